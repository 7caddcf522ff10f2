"""A chart printed with its measuring pass cut to the layout (quotabook.charts.layout_pass) gives the same SVG as
matplotlib's two full passes, for every kind of figure the pages draw, and walks its artists once less."""

from __future__ import annotations

import re
from collections import Counter

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from IPython.core.pylabtools import print_figure
from matplotlib.axes import Axes

from quotabook.charts import base
from quotabook.charts.base import (
    SVG_PAD,
    finish,
    legend_below,
    new_figure,
    percent_axis,
    stacked_bars_vs_target,
    style,
)
from quotabook.charts.layout_pass import layout_pass_only
from quotabook.charts.printed import print_svg, set_print_height


def _svg(fig) -> str:
    """The SVG as the inline backend prints it (tight box), with no date (it would differ between prints)."""
    return print_figure(fig, "svg", bbox_inches="tight", metadata={"Date": None})


def _bars():
    data = pd.DataFrame({"territory": ["North East", "Lakes & Plains", "Z"], "Closed": [120_000.0, 0.0, 75_500.0],
                         "Commit": [30_000.0, 10_000.0, np.nan], "target_amount": [200_000.0, 0.0, 50_000.0]})
    return stacked_bars_vs_target(data, label="territory", categories=["Closed", "Commit"], target="target_amount",
                                  currency="EUR", title="Two of three territories are short of a target that a long "
                                  "title runs well past the edge of the figure so that it wraps onto a second line",
                                  subtitle="Closed and Commit, EUR")


def _turned_ticks_and_panels():
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    quarters = [f"2025-Q{q}" for q in range(1, 5)] + [f"2026-Q{q}" for q in range(1, 5)]
    left.plot(quarters, np.linspace(0.2, 0.9, 8), marker="o", label="Win rate")
    left.tick_params(axis="x", labelrotation=45)
    right.bar(quarters, np.arange(8) * 1_000.0, label="Bookings")
    right.set_title("Bookings", loc="left")
    legend_below(fig, [*left.get_lines(), *right.patches[:1]], ["Win rate", "Bookings"])
    return fig


def _heatmap_with_colour_bar_and_notes():
    fig, ax = plt.subplots(figsize=(7, 3))
    image = ax.imshow(np.arange(12.0).reshape(3, 4), cmap="viridis")
    fig.colorbar(image, ax=ax, label="Deals")
    ax.annotate("peak", xy=(3, 2), xytext=(2, 0.2), arrowprops={"arrowstyle": "->"})
    fig.text(0.01, 0.0, "Source: the CRM as of 15 Nov 2026", fontsize=8)
    fig.suptitle("A heatmap", x=0.01, ha="left")
    return fig


def _no_layout_engine():
    fig, ax = plt.subplots(figsize=(5, 2), layout="none")
    ax.barh(["a", "b"], [1, 2])
    return fig


def _empty_and_hidden():
    fig = plt.figure(figsize=(3, 2))
    fig.suptitle("Nothing to plot")
    return fig


FIGURES = [_bars, _turned_ticks_and_panels, _heatmap_with_colour_bar_and_notes, _no_layout_engine,
           _empty_and_hidden]


@pytest.fixture(autouse=True)
def _same_ids():
    """Element ids are hashes salted at random unless ``svg.hashsalt`` is set: set, they compare."""
    with style(), matplotlib.rc_context({"svg.hashsalt": "layout-pass"}):
        yield
    plt.close("all")


@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__.strip("_"))
def test_the_svg_is_the_same_as_with_both_full_passes(make):
    full, fig = _svg(make()), make()  # two figures made alike, each printed once (a print moves a figure's state)
    assert layout_pass_only(_svg)(fig) == full
    assert "draw" not in vars(fig)  # the figure's own draw is back


def test_a_print_variant_is_the_same_too():
    fig = set_print_height(_bars(), 2.2)
    assert print_svg(layout_pass_only(_svg), fig) == print_svg(_svg, set_print_height(_bars(), 2.2))
    assert re.search(r'height="(\d+)', print_svg(_svg, fig)).group(1) < re.search(r'height="(\d+)', _svg(fig)).group(1)


@pytest.fixture
def walks(monkeypatch) -> Counter:
    """How many times an Axes is drawn (its artists walked), counted under ``"axes"``."""
    walks = Counter()
    draw = Axes.draw

    def counted(self, renderer):
        walks["axes"] += 1
        return draw(self, renderer)

    monkeypatch.setattr(Axes, "draw", counted)
    return walks


def test_the_artists_are_walked_once_less(walks):
    fig = _turned_ticks_and_panels()
    _svg(fig)
    full, walks["axes"] = walks["axes"], 0
    layout_pass_only(_svg)(fig)
    assert (full, walks["axes"]) == (4, 2)  # two panels: measured and drawn, then drawn only


def test_wrapping_is_idempotent_and_leaves_a_draw_of_someone_else_alone():
    wrapped = layout_pass_only(_svg)
    assert layout_pass_only(wrapped) is wrapped
    fig = _no_layout_engine()
    seen = []
    fig.draw = lambda renderer, _own=fig.draw: seen.append(renderer) or _own(renderer)
    wrapped(fig)
    assert seen and "draw" in vars(fig)


def _finished_heatmap():
    """The strike zone's shape: a heatmap with a colour bar in percent, a long finding and subtitle, through
    ``finish`` (which wraps the titles)."""
    fig, ax = new_figure(height=4.0)
    image = ax.imshow(np.linspace(0, 0.9, 20).reshape(4, 5), aspect="auto", cmap="Blues")
    bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    percent_axis(bar.ax)
    ax.set_yticks(range(4), ["under $15K", "$15K–$50K", "$50K–$150K", "$150K and more"])
    return finish(fig, ax, "Strike zone: deals under $15K aged 0–30 days win 71%; $150K and more still open at "
                  "90 days and more: only 8%", subtitle="Win rate of closed deals by size and by age they were still "
                  "open at; EV = win rate × average deal", legend=False)


def _finished_panels():
    fig, (left, right) = new_figure(height=3.0, ncols=2)
    left.barh(["North East", "Lakes & Plains"], [0.4, 0.9])
    right.barh(["North East", "Lakes & Plains"], [12.0, 30.0])
    left.set_title("Win rate of every closed deal of the quarter, by territory and stage", loc="left")
    return finish(fig, right, "Lakes & Plains wins more than twice as often as North East and closes in less than "
                  "half the time, which is where the district's quarter was made")


FINISHED = [_bars, _finished_heatmap, _finished_panels]


@pytest.mark.parametrize("make", FINISHED, ids=lambda f: f.__name__.strip("_"))
def test_titles_are_wrapped_as_a_full_draw_would_measure_them(make, monkeypatch):
    """``wrap_titles`` runs the layout alone, at the dpi the SVG prints at, where it once drew the whole figure:
    the printed chart is the same, and no wider than the figure (a title or colour bar past the edge would
    widen the image and the PDF would shrink every text of it)."""
    quick = _svg(make())
    monkeypatch.setattr(base, "lay_out", lambda fig: fig.draw_without_rendering())
    assert _svg(make()) == quick
    fig = make()
    width = float(re.search(r'width="([\d.]+)pt"', quick).group(1))
    assert width <= (fig.get_figwidth() + 2 * SVG_PAD) * 72 + 1
    assert "\n" in fig.get_suptitle()


def test_titles_are_wrapped_without_walking_the_artists(walks):
    fig = _finished_panels()
    assert walks["axes"] == 0 and "\n" in fig.get_suptitle()
