"""The house chart style and the notebook Report: money text, axes, colours, legend placement, periods."""

from __future__ import annotations

from itertools import pairwise

import matplotlib.colors as mcolors
import pandas as pd
import pytest

from quotabook.charts import currency_text, new_figure, percent_axis, stacked_bars_vs_target
from quotabook.charts.base import finish
from quotabook.notebook import Report
from quotabook.theme import PALETTE


@pytest.mark.parametrize(("value", "code", "text"), [
    (1_234_567, "USD", "$1.2M"), (850_000, "USD", "$850K"), (999, "USD", "$999"), (0, "USD", "$0"),
    (-2_500_000, "EUR", "-€2.5M"), (3.4e9, "GBP", "£3.4B"), (1_200_000, "SEK", "1.2M SEK"), (float("nan"), "USD", "–"),
    # The ticks of an axis around zero (a chart with no value in it) read $0, never -$0.
    (-0.04, "USD", "$0"), (-0.4, "SEK", "0 SEK"), (-0.6, "USD", "-$1"),
])
def test_currency_text(value, code, text):
    assert currency_text(value, code) == text


def test_stacked_bars_use_the_house_colours_and_mark_the_target():
    table = pd.DataFrame({"territory": ["T1", "T2"], "Closed": [100.0, 50.0], "Commit": [20.0, 0.0],
                          "Best Case": [10.0, 5.0], "Target": [150.0, 80.0]})
    fig = stacked_bars_vs_target(table, label="territory", categories=["Closed", "Commit", "Best Case"],
                                 target="Target", currency="USD", title="T1 is at 67% of target")
    ax = fig.axes[0]
    colours = {mcolors.to_hex(c.patches[0].get_facecolor()) for c in ax.containers}
    assert colours == {PALETTE["Closed"], PALETTE["Commit"], PALETTE["Best Case"]}
    assert fig._suptitle.get_text() == "T1 is at 67% of target"
    assert ax.get_xlabel() == "Amount (USD)"
    assert ax.xaxis.get_major_formatter()(150_000, 0) == "$150K"
    legend = fig.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["Closed", "Commit", "Best Case", "Target"]
    # the left end of the Commit bars starts where Closed ends
    assert [p.get_x() for p in ax.containers[1].patches] == [100.0, 50.0]


def test_figures_fit_the_page_and_grow_with_the_number_of_bars():
    small, _ = new_figure(3)
    large, _ = new_figure(30)
    assert small.get_figwidth() <= 9.0 and large.get_figwidth() <= 9.0
    assert large.get_figheight() > small.get_figheight()


def test_percent_axis_and_finish_labels():
    fig, ax = new_figure(height=3)
    ax.plot([0, 1], [0.1, 0.35])
    percent_axis(ax)
    finish(fig, ax, "Win rate rose to 35%", subtitle="Won / closed by quarter", ylabel="Win rate")
    assert ax.yaxis.get_major_formatter()(0.35, 0) == "35%"
    assert ax.get_title(loc="left") == "Won / closed by quarter" and ax.get_ylabel() == "Win rate"


def test_report_progress_and_scope(tiny_folder):
    from quotabook.loading import load
    from quotabook.metrics import load_catalog

    ds = load(tiny_folder)  # reference date 2026-03-01 (the last history change)
    rep = Report(ds=ds, period=ds.period("2026-Q1"), region=None, catalog=load_catalog())
    assert rep.label == "The district" and rep.level == "region" and rep.scope_level == "district"
    assert rep.as_of == pd.Timestamp("2026-03-01")
    assert rep.period_progress == pytest.approx(60 / 90)   # Jan 1 .. Mar 1 inclusive of 90 days
    assert rep.weeks_left == 4                            # Mar 2 .. Mar 31: 30 days
    assert rep.totals(["won_count", "closed_count"]).tolist() == [1.0, 2.0]
    east = Report(ds=ds.for_region("East"), period=ds.period("2026-Q1"), region="East", catalog=load_catalog())
    assert east.label == "East" and east.level == "territory"
    assert east.metrics(["won_count"]).index.tolist() == ["T1"]
    html = east.table(pd.DataFrame({"Closed": [1200.0], "Win rate": [0.25]}),
                      {"Closed": "currency", "Win rate": "win_rate"}).to_html()
    assert "$1K" in html and "25%" in html


def test_dollars_in_narration_stay_money_not_maths():
    from quotabook.notebook import plain

    assert plain("from $1.2M to $2M") == r"from \$1.2M to \$2M"
    assert plain(r"already \$5") == r"already \$5"
    assert Report.markdown("closed $10K")._repr_markdown_() == r"closed \$10K"


def test_every_text_of_a_chart_prints_at_8_points_or_more_on_a4():
    from matplotlib.text import Text

    from quotabook.charts.base import MIN_PRINT_PT, print_scale

    fig, ax = new_figure(height=3)  # 9 inches wide: printed at 70% (160 mm)
    ax.barh(["a", "b"], [1, 2])
    ax.text(1, 0, "small label", fontsize=7)
    ax.set_xticks([0, 1, 2], ["0", "1", "2"], fontsize=6)
    fig = finish(fig, ax, "Title", subtitle="what is plotted", note="a note")
    fig.canvas.draw()  # tick labels are made again at draw time
    scale = print_scale(fig)
    assert scale == pytest.approx(160 / 25.4 / 9)
    printed = [t.get_fontsize() * scale for t in fig.findobj(Text) if t.get_text() and t.get_visible()]
    assert min(printed) >= MIN_PRINT_PT - 1e-9
    assert fig._suptitle.get_fontsize() == 12  # larger text is left as it was

    small, ax = new_figure(height=2, width=6)  # fits the page: prints at its own size
    ax.plot([0, 1], [0, 1])
    small = finish(small, ax, "Small")
    assert print_scale(small) == 1.0 and min(t.get_fontsize() for t in small.findobj(Text) if t.get_text()) >= 8


def test_a_chart_is_described_by_its_title_and_panel_titles():
    from quotabook.charts.base import _svg_with_alt, chart_alt, no_data

    fig, ax = new_figure(height=3)
    ax.plot([0, 1], [0, 1])
    fig = finish(fig, ax, "West lags at 19%: \\$1.2M short", subtitle="Win rate by region")
    assert chart_alt(fig) == "West lags at 19%: $1.2M short. Win rate by region"
    assert chart_alt(no_data("Nothing to plot", "No deals.")) == "Nothing to plot"
    data, meta = _svg_with_alt(lambda f: "<svg/>", fig)
    assert data == "<svg/>" and meta == {"alt": chart_alt(fig)}
    assert _svg_with_alt(lambda f: None, fig) is None  # an empty figure shows nothing, as IPython's printer says


def test_x_tick_labels_raised_for_print_never_touch_on_narrow_panels():
    """Three panels side by side, percent axes placed by matplotlib: once their labels are raised for print
    (a 9-inch chart prints at 70%), fewer ticks are placed so no two labels touch, within or across panels."""
    fig, axes = new_figure(16, ncols=3, sharey=True)
    for ax in axes:
        ax.barh([f"Rep {i}" for i in range(16)], [0.1 * (i % 12) for i in range(16)])
        ax.set_xlim(0, 1.3)
        percent_axis(ax, axis="x")
    fig = finish(fig, axes[0], "Activity against goal")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes = sorted((label.get_window_extent(renderer) for ax in axes for label in ax.get_xticklabels()
                    if label.get_visible() and label.get_text() and ax.get_xlim()[0] <= label.get_position()[0]
                    <= ax.get_xlim()[1]), key=lambda b: b.x0)
    assert len(boxes) >= 6  # each panel keeps a scale to read (0%, 50%, 100%)
    gap = min(right.x0 - left.x1 for left, right in pairwise(boxes))
    assert gap >= boxes[0].height / 2, [(b.x0, b.x1) for b in boxes]  # a visible space, not a hairline


def test_a_rep_card_chart_is_half_a_page_wide_with_its_text_at_8_points_and_nothing_outside_it():
    """A rep's card prints two to a line (the pack's print CSS): its chart is drawn CARD_WIDTH wide, so it prints
    at its own size, every text at 8 points or more, the long title wrapped inside the figure; a rep with no
    Commit call to compare says so inside the right panel."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from quotabook.charts.base import CARD_WIDTH, MIN_PRINT_PT, PRINT_WIDTH, print_scale
    from quotabook.charts.rep_scorecards import rep_card

    history = pd.DataFrame({"period": ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"],
                            "closed_amount": [65e3, 0.0, 75e3, 1.07e6], "target_amount": [95e3, None, 1e5, 95e3]})
    calls = pd.DataFrame({"period": ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"], "call": [85e3, 0.0, 65e3, 1.2e6],
                          "won": [115e3, 66e3, 0.0, 72e3]})
    title = "Christopher Montgomery-Whitfield: 92% of the Commit call won over four quarters"
    for fig in (rep_card(history, calls, title=title), rep_card(history, calls.iloc[:0], title=title)):
        assert tuple(fig.get_size_inches()) == (CARD_WIDTH, pytest.approx(2.7))
        assert CARD_WIDTH * 2 < PRINT_WIDTH + 1  # two cards and the gap between them fit the page
        assert print_scale(fig) == 1.0
        renderer = FigureCanvasAgg(fig).get_renderer()
        fig.draw(renderer)
        texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
        assert min(t.get_fontsize() for t in texts) >= MIN_PRINT_PT
        width = fig.bbox.width
        assert all(t.get_window_extent(renderer).x1 <= width + 1 for t in texts)  # no text cut at the edge
        assert "\n" in fig.get_suptitle()  # the long title wraps
