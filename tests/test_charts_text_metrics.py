"""Text sizes shared between renderers (quotabook.charts.text_metrics): the same SVGs, each text measured once."""

from __future__ import annotations

import io
from collections import Counter

import matplotlib
import matplotlib.pyplot as plt
import matplotlib.text
import numpy as np
import pandas as pd
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.font_manager import FontProperties

from quotabook.charts import text_metrics
from quotabook.charts.base import finish, new_figure, percent_axis, stacked_bars_vs_target, style
from quotabook.charts.layout_pass import layout_pass_only

ORIGINAL = text_metrics._ORIGINAL


def _svg(fig) -> str:
    return layout_pass_only(lambda f: print_figure(f, "svg", bbox_inches="tight", metadata={"Date": None}))(fig)


def _bars():
    data = pd.DataFrame({"territory": ["North East", "Lakes & Plains", "Zürich"], "Closed": [120_000.0, 0.0, 75_500.0],
                         "Commit": [30_000.0, 10_000.0, np.nan], "target_amount": [200_000.0, 0.0, 50_000.0]})
    return stacked_bars_vs_target(data, label="territory", categories=["Closed", "Commit"], target="target_amount",
                                  currency="EUR", title="Two of three territories are short of target, and this title "
                                  "is long enough to wrap onto a second line of the chart", subtitle="Closed, EUR")


def _heatmap_with_math():
    fig, ax = new_figure(height=3.0)
    image = ax.imshow(np.linspace(0, 1, 12).reshape(3, 4), aspect="auto")
    percent_axis(fig.colorbar(image, ax=ax).ax)
    ax.set_xlabel(r"$\sqrt{x^2}$ days")  # mathtext: matplotlib's own cache, per renderer
    return finish(fig, ax, "A heatmap whose axis label is a formula", legend=False)


@pytest.fixture(autouse=True)
def _house_style(monkeypatch):
    """The house style, an empty cache, and matplotlib's own look-up put back after the test."""
    monkeypatch.setattr(matplotlib.text, "_get_text_metrics_function", matplotlib.text._get_text_metrics_function)
    text_metrics.clear()
    with style(), matplotlib.rc_context({"svg.hashsalt": "text-metrics"}):
        yield
    plt.close("all")


@pytest.fixture
def measured(monkeypatch) -> Counter:
    """How many times each renderer kind measured a text from its font."""
    counts = Counter()
    for cls in (RendererAgg, RendererSVG):
        own = cls.get_text_width_height_descent

        def counted(self, s, prop, ismath, _own=own, _name=cls.__name__):
            counts[_name] += 1
            return _own(self, s, prop, ismath)

        monkeypatch.setattr(cls, "get_text_width_height_descent", counted)
    return counts


@pytest.mark.parametrize("make", [_bars, _heatmap_with_math], ids=lambda f: f.__name__.strip("_"))
def test_charts_print_the_same_with_sizes_shared(make, monkeypatch):
    monkeypatch.setattr(matplotlib.text, "_get_text_metrics_function", ORIGINAL)
    alone = [_svg(make()) for _ in range(2)]
    text_metrics.install()
    assert text_metrics.installed()
    assert [_svg(make()) for _ in range(2)] == alone


def test_a_chart_printed_again_measures_nothing_again(measured, monkeypatch):
    monkeypatch.setattr(matplotlib.text, "_get_text_metrics_function", ORIGINAL)
    _svg(_bars())
    first = measured["RendererSVG"]
    _svg(_bars())
    assert measured["RendererSVG"] == 2 * first > 0  # matplotlib alone: every print measures everything again
    text_metrics.install()
    measured.clear()
    _svg(_bars())
    once = measured["RendererSVG"]
    _svg(_bars())
    assert 0 < once < first and measured["RendererSVG"] == once  # shared: the second print measures none


def test_sizes_are_kept_apart_by_renderer_kind_dpi_and_font():
    text_metrics.install()
    font, bold = FontProperties(size=10), FontProperties(size=10, weight="bold")
    get = matplotlib.text._get_text_metrics_with_cache
    at_72, at_144 = RendererAgg(100, 100, 72), RendererAgg(100, 100, 144)
    svg = RendererSVG(100, 100, io.StringIO())
    sizes = {name: get(r, "Lakes & Plains", f, False, 72)
             for name, r, f in [("agg72", at_72, font), ("agg144", at_144, font), ("svg", svg, font),
                                ("bold", at_72, bold)]}
    assert sizes["agg144"][0] == pytest.approx(2 * sizes["agg72"][0], rel=0.05) != sizes["agg72"][0]
    assert sizes["bold"][0] > sizes["agg72"][0]
    assert sizes["svg"] == svg.get_text_width_height_descent("Lakes & Plains", font, False)
    assert get(RendererAgg(50, 50, 72), "Lakes & Plains", font, False, 72) == sizes["agg72"]  # another renderer


def test_the_cache_is_bounded(monkeypatch):
    text_metrics.install()
    monkeypatch.setattr(text_metrics, "MAX_SIZES", 3)
    renderer, font = RendererAgg(100, 100, 72), FontProperties(size=10)
    for word in ["a", "bb", "ccc", "dddd", "eeeee"]:
        matplotlib.text._get_text_metrics_with_cache(renderer, word, font, False, 72)
    assert len(text_metrics._SIZES) <= 3
