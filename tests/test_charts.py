"""The house chart style and the notebook Report: money text, axes, colours, legend placement, periods."""

from __future__ import annotations

from itertools import pairwise

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from quotabook.charts import currency_text, new_figure, percent_axis, stacked_bars_vs_target
from quotabook.charts.base import finish
from quotabook.notebook import Report
from quotabook.style import PALETTE


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


def test_sixteen_bars_print_a_third_of_a_page_tall_with_their_labels_apart():
    """A bar chart's print variant sets bars PRINT_BAR_PITCH apart: a team of sixteen prints about a third of an
    A4 page tall, its 8-point labels still apart; on screen the bars keep BAR_PITCH."""
    from quotabook.charts.base import BAR_PITCH, MIN_PRINT_PT, print_scale
    from quotabook.charts.printed import PRINT_BAR_PITCH, bars_height, print_height, print_svg

    names = [f"Representative {i:02d}" for i in range(16)]
    data = pd.DataFrame({"rep": names, "Closed": range(16), "Commit": range(16), "target": [10] * 16})
    fig = stacked_bars_vs_target(data, label="rep", categories=["Closed", "Commit"], target="target",
                                 currency="USD", title="Sixteen reps")
    assert fig.get_figheight() == pytest.approx(bars_height(16, BAR_PITCH))
    assert print_height(fig) == pytest.approx(bars_height(16, PRINT_BAR_PITCH))
    assert print_height(fig) < fig.get_figheight()

    def labels_apart(fig) -> float:
        scale = print_scale(fig)
        texts, boxes = _drawn_texts(fig)
        labels = [(t, b) for t, b in zip(texts, boxes, strict=True) if t in fig.axes[0].get_yticklabels()]
        assert len(labels) == 16 and min(t.get_fontsize() for t, _ in labels) * scale >= MIN_PRINT_PT - 1e-9
        ys = sorted((b for _, b in labels), key=lambda b: b.y0)
        assert all(low.y1 < high.y0 for low, high in pairwise(ys))  # no two labels touch
        return fig.get_figheight() * scale * 25.4  # printed height, mm

    assert labels_apart(fig) > 297 / 2.5  # as drawn for the screen, it would take over 40% of the page
    assert print_svg(labels_apart, fig) < 297 / 2.5  # its print variant takes about a third
    assert fig.get_figheight() == pytest.approx(bars_height(16, BAR_PITCH))


def test_a_figure_without_a_shorter_print_height_has_no_print_variant():
    from quotabook.charts.printed import print_svg, set_print_height

    fig, _ = new_figure(height=3.0)
    assert print_svg(lambda f: "<svg/>", fig) is None  # no print height
    assert print_svg(lambda f: "<svg/>", set_print_height(fig, 3.5)) is None  # not shorter: printed as shown
    with pytest.raises(RuntimeError):  # a failing drawing still gives the figure back its size
        print_svg(lambda f: (_ for _ in ()).throw(RuntimeError("boom")), set_print_height(fig, 2.0))
    assert fig.get_figheight() == pytest.approx(3.0)
    fig, _ = new_figure(16, height=4.0)  # an explicit height wins over the bars' count, on paper too
    assert print_svg(lambda f: "<svg/>", fig) is None


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
    report = Report(ds=ds, period=ds.period("2026-Q1"), region=None, catalog=load_catalog())
    assert report.label == "The district" and report.level == "region" and report.scope_level == "district"
    assert report.as_of == pd.Timestamp("2026-03-01")
    assert report.period_progress == pytest.approx(60 / 90)   # Jan 1 .. Mar 1 inclusive of 90 days
    assert report.weeks_left == 4                            # Mar 2 .. Mar 31: 30 days
    assert report.totals(["won_count", "closed_count"]).tolist() == [1.0, 2.0]
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


def _printed_svg(fig) -> tuple[float, float]:
    """The width (inches) of the SVG the page shows of ``fig`` (bounding box tight, as the notebooks save it)
    and its smallest text in points once the PDF's print CSS has scaled it to the page (an image at most
    PRINT_WIDTH wide for a MAX_WIDTH figure, plus its margin: quotabook.pack.render.PRINT_CSS)."""
    import io
    import re

    from quotabook.charts.base import MAX_WIDTH, PRINT_WIDTH, SVG_PAD, style

    svg = io.StringIO()
    with style():
        fig.savefig(svg, format="svg", bbox_inches="tight")
    text = svg.getvalue()
    width = float(re.search(r'<svg[^>]* width="([\d.]+)pt"', text).group(1)) / 72
    cap = PRINT_WIDTH * (MAX_WIDTH + 2 * SVG_PAD) / MAX_WIDTH
    return width, min(float(x) for x in re.findall(r"font-size: ([\d.]+)px", text)) * min(1.0, cap / width)


def test_a_long_title_and_a_wide_legend_stay_within_the_figure_so_its_text_prints_at_8_points():
    """A finding longer than the chart is wide, a long subtitle and seven long legend entries: the title and
    subtitle wrap at the figure's edge (measured, words kept whole and in order), the legend takes as many
    columns as fit, so the saved image is no wider than the figure and its margin, and the PDF does not shrink
    it: every text prints at 8 points or more. Before, the title ran to 11 inches and printed text at 6.7."""
    from quotabook.charts.base import MAX_WIDTH, MIN_PRINT_PT, SVG_PAD

    title = ("Run-rate has been the most accurate method for this team: 4% off over eight quarters, against "
             "$1.2M off for the weighted pipeline and $2.0M for the reps' own Commit calls")
    subtitle = "Absolute error of each method per quarter, replayed on every closed quarter since 2024-Q1 " * 2
    fig, ax = new_figure(height=3)
    for i in range(7):
        ax.plot([0, 1], [i, i + 1], label=f"Forecast method number {i} (weighted)")
    fig = finish(fig, ax, title, subtitle=subtitle.strip())
    width, smallest = _printed_svg(fig)
    assert width <= MAX_WIDTH + 2 * SVG_PAD + 0.01
    assert smallest >= MIN_PRINT_PT - 0.01
    assert fig.get_suptitle().count("\n") == 1  # two lines, each as full as fits
    assert " ".join(fig.get_suptitle().split()) == title.replace("$", r"\$")  # every word, in order
    assert "\n" in ax.get_title(loc="left") and 1 < fig.legends[0]._ncols < 6
    assert wrap_again(fig, ax) == (fig.get_suptitle(), ax.get_title(loc="left"))  # idempotent

    panels, (left, right) = new_figure(height=3, ncols=2)  # a right panel's title and a caption under both
    right.set_title("New customers per quarter (labels: customers to date), the district's whole team", loc="left")
    panels.text(0.01, 0.0, "Activities done as a share of the quarter's goal; dashed line: the goal; " * 2,
                ha="left", va="bottom")
    panels = finish(panels, left, "Two panels")
    width, smallest = _printed_svg(panels)
    assert width <= MAX_WIDTH + 2 * SVG_PAD + 0.01 and smallest >= MIN_PRINT_PT - 0.01
    assert "\n" in right.get_title(loc="left") and "\n" in panels.texts[0].get_text()

    short, ax = new_figure(height=3)
    ax.plot([0, 1], [0, 1], label="one")
    short = finish(short, ax, "Short title", subtitle="short")
    assert short.get_suptitle() == "Short title" and ax.get_title(loc="left") == "short"  # left as it was


def wrap_again(fig, ax) -> tuple[str, str]:
    from quotabook.charts.base import wrap_titles

    wrap_titles(fig)
    return fig.get_suptitle(), ax.get_title(loc="left")


def test_a_legend_added_after_finish_prints_at_8_points_within_the_figure():
    """The pipeline waterfall sets its colour key after finish (legend_below): the key is set at the print size
    (its 9 points printed at 6.3 before) and the chart's image stays the figure's width."""
    from quotabook.charts.base import MAX_WIDTH, MIN_PRINT_PT, SVG_PAD
    from quotabook.themes.forecast.charts import pipeline_waterfall

    keys = ["start", "created", "pulled_in", "increased", "decreased", "won", "lost", "slipped_out", "end"]
    amount = pd.Series([500e3, 300e3, 0.0, 50e3, -50e3, -200e3, -100e3, 0.0, 500e3])
    top = pd.Series([500e3, 800e3, 800e3, 850e3, 850e3, 800e3, 600e3, 500e3, 500e3])
    steps = pd.DataFrame({"step": [k.replace("_", " ").capitalize() for k in keys], "key": keys, "amount": amount,
                          "top": top, "bottom": top - amount.abs()})
    fig = pipeline_waterfall(steps, scope="Northern Europe and the Baltic states district", period="2026-Q4",
                             currency="USD")
    width, smallest = _printed_svg(fig)
    assert width <= MAX_WIDTH + 2 * SVG_PAD + 0.01 and smallest >= MIN_PRINT_PT - 0.01
    assert [t.get_text() for t in fig.legends[0].texts] == ["Inflow", "Outflow (open)", "Won", "Lost"]


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


def _drawn_texts(fig):
    """The texts ``fig`` draws, each once (tick labels outside their axis' limits are not drawn), and their
    boxes in a drawing of the figure at its current size."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    unseen = {id(t) for ax in fig.axes for t, lim, at in
              [*((t, ax.get_ylim(), t.get_position()[1]) for t in ax.get_yticklabels()),
               *((t, ax.get_xlim(), t.get_position()[0]) for t in ax.get_xticklabels())]
              if not ax.axison or not min(lim) - 1e-9 <= at <= max(lim) + 1e-9}  # (nor on an axis turned off)
    texts = [t for t in dict.fromkeys(fig.findobj(Text))  # (the title is found twice)
             if t.get_text().strip() and t.get_visible() and id(t) not in unseen]
    return texts, [t.get_window_extent(renderer) for t in texts]


def test_a_rep_card_chart_is_half_a_page_wide_with_its_text_at_8_points_and_nothing_outside_it():
    """A rep's card prints two to a line (the pack's print CSS): its chart is drawn CARD_WIDTH wide, so it prints
    at its own size, every text at 8 points or more, the long title wrapped inside the figure; a rep with no
    Commit call to compare says so inside the right panel. Its print variant is shorter (CARD_PRINT_HEIGHT), its
    texts the same and still apart; the page's chart is left as it was."""
    from quotabook.charts.base import CARD_WIDTH, MIN_PRINT_PT, PRINT_WIDTH, print_scale
    from quotabook.charts.printed import CARD_PRINT_HEIGHT, print_svg
    from quotabook.rep_scorecards.charts import rep_card

    history = pd.DataFrame({"period": ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"],
                            "closed_amount": [65e3, 0.0, 75e3, 1.07e6], "target_amount": [95e3, None, 1e5, 95e3]})
    calls = pd.DataFrame({"period": ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"], "call": [85e3, 0.0, 65e3, 1.2e6],
                          "won": [115e3, 66e3, 0.0, 72e3]})
    title = "Christopher Montgomery-Whitfield: 92% of the Commit call won over four quarters"

    def legible(fig) -> str:
        assert print_scale(fig) == 1.0
        texts, boxes = _drawn_texts(fig)
        assert min(t.get_fontsize() for t in texts) >= MIN_PRINT_PT
        assert all(b.x1 <= fig.bbox.width + 1 for b in boxes)  # no text cut at the edge
        assert not [(a.get_text(), b.get_text()) for i, a in enumerate(texts) for j, b in enumerate(texts)
                    if i < j and boxes[i].overlaps(boxes[j])]  # no two texts touch
        return f"{fig.get_figheight():.2f}"

    for fig in (rep_card(history, calls, title=title), rep_card(history, calls.iloc[:0], title=title)):
        assert tuple(fig.get_size_inches()) == (CARD_WIDTH, pytest.approx(2.7))
        assert CARD_WIDTH * 2 < PRINT_WIDTH + 1  # two cards and the gap between them fit the page
        assert "\n" in fig.get_suptitle()  # the long title wraps
        assert legible(fig) == "2.70"
        assert print_svg(legible, fig) == f"{CARD_PRINT_HEIGHT:.2f}"  # drawn shorter for print, still legible
        assert tuple(fig.get_size_inches()) == (CARD_WIDTH, pytest.approx(2.7))  # and given back its size


# -- seaborn's convention: axes-level charts (data, options, ax=None, **kwargs -> Axes) ------------------------
def _frame(columns: dict, **attrs) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    frame.attrs.update(attrs)
    return frame


_Q = ["2026-Q1", "2026-Q2"]
_SIZES = pd.Categorical(["under $1K", "under $1K", "$1K+", "$1K+"], categories=["under $1K", "$1K+"], ordered=True)
_AGES = pd.Categorical(["0-30", "31+", "0-30", "31+"], categories=["0-30", "31+"], ordered=True)
_STAGES = pd.Categorical(["Discovery", "Proposal", "Discovery", "Proposal"], categories=["Discovery", "Proposal"],
                         ordered=True)
#: Every axes-level chart with a small table in another CRM's words (two territories, reps Ann and Bob, a rep with
#: nothing won, a stage never left, a missing target) and the options it needs.
AXES_LEVEL = {
    "base.stacked_bars": (_frame({"territory": ["T1", "T2"], "Closed": [100.0, 50.0], "Commit": [20.0, 0.0],
                                  "Target": [150.0, np.nan]}),
                          {"label": "territory", "categories": ["Closed", "Commit"], "target": "Target"}),
    "activity_ratios.activity_bars": (_frame({"owner": ["Ann", "Bob"], "dial_count": [40.0, 10.0]}), {}),
    "activity_ratios.goal_bars": (_frame({"owner": ["Ann", "Bob"], "type": ["dial", "dial"],
                                          "attainment": [0.5, 1.2]}), {"kind": "dial", "progress": 0.5}),
    "activity_ratios.weekly_bars": (_frame({"week": [1, 2, 3], "dial_count": [5.0, 0.0, 2.0]}), {}),
    "funnel.funnel_panel": (_frame({"step": ["Opportunity→Proposal", "Proposal→Won"], "entered": [10.0, 6.0],
                                    "converted": [6.0, 3.0], "conversion": [0.6, 0.5]}), {}),
    "funnel.conversion_band": (_frame({"segment": ["SMB", "SMB"], "step": ["Lead→SAL", "SAL→SQL"],
                                       "low": [0.2, 0.3], "high": [0.4, 0.5], "conversion": [0.1, 0.45],
                                       "status": ["below", "within"]}), {"segment": "SMB"}),
    "funnel.win_rate_bars": (_frame({"group": ["North", "South", "Total"], "won_count": [3.0, 0.0, 3.0],
                                     "closed_count": [10.0, 0.0, 10.0], "win_rate": [0.3, np.nan, 0.3], "low": 0.22,
                                     "high": 0.35, "status": ["within", "no data", "within"]}), {}),
    "funnel.lost_stage_bars": (_frame({"stage": ["Discovery", "Proposal"], "deals": [3, 1], "share": [0.75, 0.25],
                                       "amount": [0.0, 5000.0]}), {}),
    "funnel.stage_days_pairs": (_frame({"stage": ["Discovery", "Discovery", "Proposal", "Proposal"],
                                        "stage_order": [1, 1, 2, 2], "outcome": ["won", "lost", "won", "lost"],
                                        "median_days": [10.0, 30.0, 5.0, np.nan]}), {}),
    "funnel.pipeline_stacks": (_frame({"owner": ["Ann", "Ann", "Bob"], "stage": ["Discovery", "Proposal", "Discovery"],
                                       "stage_order": [1, 2, 1], "amount": [100.0, 200.0, 50.0]}), {}),
    "won_lost.won_vs_goal": (_frame({"owner": ["Ann", "Bob"], "won_count": [2, 0], "closed_amount": [300.0, 0.0],
                                     "target_amount": [200.0, np.nan], "attainment": [1.5, np.nan]}), {}),
    "won_lost.win_rate_line": (_frame({"period": _Q, "won_count": [1, 0], "closed_count": [4, 2],
                                       "win_rate": [0.25, 0.0]}), {"benchmark": (0.2, 0.3)}),
    "won_lost.win_rate_by_size": (_frame({"band_low": [0.0, 1000.0], "band_high": [1000.0, np.inf],
                                          "won_count": [1, 1], "closed_count": [2, 3], "win_rate": [0.5, 1 / 3]}), {}),
    "won_lost.lost_reasons": (_frame({"loss_reason": ["Price", "No budget"], "lost_count": [3, 1],
                                      "lost_amount": [0.0, 900.0], "count_share": [0.75, 0.25]}), {}),
    "won_lost.sales_cycle_per_rep": (_frame({"owner": ["Ann", "Bob"], "won_count": [2, 1],
                                             "sales_cycle_days": [30.0, 90.0],
                                             "median_sales_cycle_days": [25.0, 90.0]}), {"alert_days": 120}),
    "won_lost.bookings_per_quarter": (_frame({"period": _Q, "won_count": [2, 1], "closed_amount": [500.0, 100.0],
                                              "average_deal_size": [250.0, 100.0]}), {}),
    "won_lost.average_deal_line": (_frame({"period": _Q, "won_count": [2, 1], "closed_amount": [500.0, 100.0],
                                           "average_deal_size": [250.0, 100.0]}), {}),
    "won_lost.run_rate_line": (_frame({"period": _Q, "run_rate_revenue": [1200.0, 2400.0]}), {}),
    "won_lost.new_customer_bars": (_frame({"period": _Q, "customer_count": [3, 5], "new_customer_count": [3, 2]}), {}),
    "velocity.sales_cycle_spread": (_frame({"owner": ["Ann", "Bob"], "won_deals": [2, 1],
                                            "sales_cycle_days": [40.0, 100.0], "median_sales_cycle_days": [35.0, 100.0],
                                            "q1_days": [20.0, 100.0], "q3_days": [60.0, 100.0]}),
                                    {"label": "owner", "alert_days": 120}),
    "velocity.stage_time_pairs": (_frame({"stage": ["Discovery"], "won_mean_days": [10.0],
                                          "lost_mean_days": [25.0]}), {}),
    "velocity.velocity_per_group": (_frame({"territory": ["T1", "T2"], "sales_velocity": [300.0, 1200.0]}),
                                    {"label": "territory"}),
    "velocity.aging_shares": (_frame({"territory": ["T1", "T2"], "pipeline_aging_share": [0.1, 0.5],
                                      "aged_deal_count": [1, 2], "open_deal_count": [10, 4],
                                      "stale_deal_count": [0, np.nan]}), {"label": "territory", "alert_share": 0.3}),
    "velocity.cohort_cycles": (_frame({"cohort": ["2026-01", "2026-02"], "mean_cycle_days": [40.0, 80.0],
                                       "won": [3, 1], "slow": [False, True]}, baseline_cycle_days=50.0),
                               {"slowdown": 0.2}),
    "velocity.slipped_value": (_frame({"territory": ["T1", "T2"], "slipped_amount": [0.0, 5000.0],
                                       "slipped_deals": [0, 2]}), {"label": "territory"}),
    "integrity.red_flag_counts": (_frame({"flag": ["no_next_step", "pushed"], "label": ["No next step", "Pushed"],
                                          "deals": [2, 0], "amount": [3000.0, 0.0]}), {}),
    "forecast.outlook_dots": (_frame({"metric": ["category_forecast", "monte_carlo_p50"],
                                      "method": ["Category", "Monte Carlo"], "forecast": [900.0, 1000.0],
                                      "low": [np.nan, 800.0], "high": [np.nan, 1200.0]}, target=1100.0, closed=500.0),
                              {}),
    "forecast.methods_per_group": (pd.DataFrame({"category_forecast": [900.0, 50.0], "monte_carlo_p50": [1000.0, 60.0],
                                                 "monte_carlo_p10": [800.0, 40.0], "monte_carlo_p90": [1200.0, 80.0],
                                                 "target_amount": [1100.0, np.nan]}, index=["West", "East"]), {}),
    "forecast.backtest_accuracy": (_frame({"metric": ["category_forecast"] * 2 + ["weighted_forecast"] * 2,
                                           "week": [1, 2, 1, 2], "accuracy": [0.7, 0.9, 0.5, np.nan],
                                           "period": ["2025-Q4"] * 4}),
                                   {"summary": pd.DataFrame({"metric": ["category_forecast", "weighted_forecast"]})}),
    "forecast.waterfall_bars": (_frame({"step": ["Start", "Created", "Won", "End"],
                                        "key": ["start", "created", "won", "end"],
                                        "amount": [100.0, 50.0, -30.0, 120.0], "bottom": [0.0, 100.0, 120.0, 0.0],
                                        "top": [100.0, 150.0, 150.0, 120.0]}), {}),
    "forecast.pipeline_areas": (_frame({"date": pd.to_datetime(["2026-01-05"] * 2 + ["2026-01-12"] * 2),
                                        "stage": _STAGES, "amount": [100.0, 50.0, 80.0, 90.0],
                                        "target": [60.0] * 4, "pipeline": [150.0, 150.0, 170.0, 170.0]}), {}),
    "forecast.strike_zone": (_frame({"size_band": _SIZES, "age_band": _AGES, "win_rate": [0.5, 0.1, np.nan, 0.3],
                                     "expected_value": [400.0, 80.0, np.nan, 900.0], "open_deals": [2, 0, 0, 1],
                                     "deals": [4, 10, 0, 3]}), {}),
    "territory_quota.calibration_pairs": (_frame({"territory": ["T1", "T2"], "target_amount": [100.0, 200.0],
                                                  "calibrated_target": [150.0, 150.0],
                                                  "target_gap": [-50.0, 50.0]}), {}),
    "territory_quota.fairness_deviation": (_frame({"territory": ["T1", "T2"], "deviation": [0.05, -0.3]}),
                                           {"tolerance": 0.1}),
    "territory_quota.scenario_cells": (_frame({"territory": ["T1", "T1", "T2", "T2"],
                                               "scenario": ["As forecast", "Worst case"] * 2,
                                               "attainment": [1.1, 0.9, 0.8, np.nan],
                                               "probability": [0.6, 0.4, 0.2, np.nan]}), {"by": "territory"}),
    "territory_quota.sensitivity_cells": (_frame({"conversion": [-0.1, -0.1, 0.1, 0.1], "quota": [-0.1, 0.1] * 2,
                                                  "attainment": [1.0, 0.8, 1.2, 0.95],
                                                  "probability": [0.5, 0.3, 0.7, 0.45]}), {}),
    "target_achievement.coverage_against": (_frame({"territory": ["T1", "T2"], "coverage": [2.0, 1.0]}),
                                            {"metric": "coverage", "label": "territory", "bar": 1.5}),
    "rep_scorecards.bookings_vs_target": (_frame({"period": _Q, "closed_amount": [100.0, 0.0],
                                                  "target_amount": [150.0, np.nan]}), {}),
    "rep_scorecards.calls_vs_won": (_frame({"period": _Q, "call": [100.0, 50.0], "won": [80.0, 60.0]}), {}),
}


#: Where each chart module named in :data:`AXES_LEVEL` lives: a theme's charts in its package, the shared pieces
#: under ``quotabook.charts``.
CHART_MODULES = {
    **{t: f"quotabook.themes.{t}.charts" for t in ("target_achievement", "activity_ratios", "funnel", "velocity",
                                                  "territory_quota", "forecast", "won_lost")},
    "trends": "quotabook.trends.charts", "rep_scorecards": "quotabook.rep_scorecards.charts",
    "integrity": "quotabook.themes.velocity.integrity_charts", "base": "quotabook.charts.base",
    "unavailable": "quotabook.charts.unavailable",
}


def _chart(name: str):
    import importlib

    module, function = name.split(".")
    return getattr(importlib.import_module(CHART_MODULES[module]), function)


def _artists(ax) -> list:
    return [*ax.patches, *ax.collections, *ax.lines, *ax.images]


def test_every_chart_module_has_its_axes_level_functions_in_the_table():
    """A new axes-level chart gets a row above (a chart is axes-level when its signature has ``ax`` and
    ``**kwargs``), so the composition test below covers it."""
    import importlib
    import inspect

    found = set()
    for short, path in CHART_MODULES.items():
        module = importlib.import_module(path)
        for name in getattr(module, "__all__", []):
            function = getattr(module, name)
            if not inspect.isfunction(function) or function.__module__ != module.__name__:
                continue
            params = inspect.signature(function).parameters
            if "ax" in params and any(p.kind is p.VAR_KEYWORD for p in params.values()):
                found.add(f"{short}.{name}")
    assert found - {"trends.trend_line"} == set(AXES_LEVEL)  # a trend line needs a Trend: tests/trends/test_data.py


@pytest.mark.parametrize("name", sorted(AXES_LEVEL))
def test_an_axes_level_chart_draws_on_the_axes_it_is_given_and_passes_kwargs_to_its_main_artist(name):
    import matplotlib.pyplot as plt
    from matplotlib.axes import Axes

    draw = _chart(name)
    data, options = AXES_LEVEL[name]
    fig, (left, right) = plt.subplots(1, 2)
    try:
        got = draw(data.copy(), ax=right, alpha=0.5, **options)
        assert got is right and not _artists(left)  # its own Axes, nothing drawn beside it
        assert any(a.get_alpha() == 0.5 for a in _artists(right))  # the kwarg reached the main artist
        alone = draw(data.copy(), **options)  # no ax: a house-style figure of its own, never pyplot's current one
        assert isinstance(alone, Axes) and alone.figure is not fig and _artists(alone)
        plt.close(alone.figure)
    finally:
        plt.close(fig)


def test_two_charts_compose_on_one_figure_with_catalog_axes_and_the_callers_colour():
    """A notebook's own figure: sales velocity beside lost reasons, each on its panel, in the caller's colour."""
    import matplotlib.pyplot as plt

    from quotabook.themes.velocity.charts import velocity_per_group
    from quotabook.themes.won_lost.charts import lost_reasons

    fig, (left, right) = plt.subplots(1, 2)
    speed = velocity_per_group(pd.DataFrame({"territory": ["T1", "T2"], "sales_velocity": [300.0, 1200.0]}),
                               label="territory", currency="EUR", ax=left, color="#123456", alpha=0.4)
    lost = lost_reasons(pd.DataFrame({"loss_reason": ["Price", "No budget"], "lost_count": [3, 1],
                                      "lost_amount": [0.0, 900.0], "count_share": [0.75, 0.25]}), ax=right)
    assert speed is left and lost is right
    assert [p.get_width() for p in left.patches] == [1200.0, 300.0]  # fastest on top
    assert {mcolors.to_hex(p.get_facecolor()) for p in left.patches} == {"#123456"}
    assert {p.get_alpha() for p in left.patches} == {0.4}
    assert [p.get_width() for p in right.patches] == [3, 1]
    assert {mcolors.to_hex(p.get_facecolor()) for p in right.patches} == {PALETTE["Lost"]}  # the house colour
    assert left.get_xlabel() == "Sales velocity (EUR per day)" and right.get_xlabel() == "Lost deals (count)"
    assert [t.get_text() for t in right.texts] == [r"75% · \$0", r"25% · \$900"]  # dollars printed, not maths
    plt.close(fig)


def test_a_displayed_bar_chart_carries_its_print_variant_beside_the_pages_svg():
    """In a kernel, displaying a figure with a shorter print height gives two SVGs: the page's, as drawn, and
    the print variant under PRINT_SVG_MIME, shorter; a figure without one gives the page's only."""
    from types import SimpleNamespace

    from IPython.core.formatters import DisplayFormatter
    from matplotlib.figure import Figure

    from quotabook.charts.printed import register_print_svg
    from quotabook.headlines import PRINT_SVG_MIME

    shell = SimpleNamespace(display_formatter=DisplayFormatter())
    drawn = []

    def draw(fig) -> str:
        drawn.append(round(float(fig.get_figheight()), 2))
        return f"<svg height='{fig.get_figheight():.2f}in'/>"

    shell.display_formatter.formatters["image/svg+xml"].for_type(Figure, draw)
    register_print_svg(shell, draw)
    register_print_svg(shell, draw)  # idempotent
    bars, _ = new_figure(16)
    data, _ = shell.display_formatter.format(bars)
    assert data["image/svg+xml"] == "<svg height='6.72in'/>" and data[PRINT_SVG_MIME] == "<svg height='5.76in'/>"
    assert bars.get_figheight() == pytest.approx(6.72) and drawn == [6.72, 5.76]  # drawn once each
    line, _ = new_figure(height=3.0)
    assert PRINT_SVG_MIME not in shell.display_formatter.format(line)[0]


def _apart(boxes) -> bool:
    """No two boxes (text extents in one drawing) overlap."""
    return not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_the_pipeline_trend_names_months_once_and_its_dates_never_touch():
    """A year of weekly pipeline: the x axis reads "2026, Feb, Mar, …" (the year once, where it starts), not a
    year-month per tick, which ran together at print size ("2026-022026-03")."""
    from quotabook.themes.forecast.charts import pipeline_trend_area

    stages = pd.CategoricalDtype(["Discovery", "Qualification", "Proposal"], ordered=True)
    dates = pd.date_range("2026-01-04", periods=46, freq="W")
    trend = pd.DataFrame([{"date": d, "stage": s, "amount": 1e6 + i * 1e4, "target": 5e6, "pipeline": 3e6}
                          for i, d in enumerate(dates) for s in stages.categories])
    trend["stage"] = trend["stage"].astype(stages)
    fig = pipeline_trend_area(trend, scope="District", currency="USD", multiple=3.0)
    texts, boxes = _drawn_texts(fig)
    ticks = [(t.get_text(), b) for t, b in zip(texts, boxes, strict=True) if t in fig.axes[0].get_xticklabels()]
    labels = [text for text, _ in ticks]
    assert labels[0] == "2026" and "Feb" in labels and not any("-" in text for text in labels), labels
    assert _apart([b for _, b in ticks])


def test_a_segment_panel_keeps_its_first_value_label_clear_of_its_title():
    """The conversion-band panels: the value over the first step's dot sits below the panel title."""
    from quotabook.themes.funnel.charts import conversion_vs_band

    steps = ["Lead→SAL", "SAL→SQL", "Proposal→Won"]
    bench = pd.DataFrame({"segment": np.repeat(["SMB", "Enterprise"], 3), "step": steps * 2,
                          "low": 0.15, "high": 0.25, "conversion": [0.2, 0.6, 0.45, 0.11, 0.4, 0.31],
                          "status": "within"})
    fig = conversion_vs_band(bench)
    texts, boxes = _drawn_texts(fig)
    for ax in fig.axes:
        title = next(b for t, b in zip(texts, boxes, strict=True) if t is ax.title or t is ax._left_title)
        values = [b for t, b in zip(texts, boxes, strict=True) if t.axes is ax and t.get_text().endswith("%")
                  and t not in ax.get_xticklabels()]
        assert values and not any(v.overlaps(title) for v in values)


def test_print_variants_are_drawn_unless_the_pack_prints_no_pdf(monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from matplotlib.figure import Figure
    from traitlets.config import SingletonConfigurable

    from quotabook.charts.base import use_svg
    from quotabook.charts.printed import PRINT_ENV, print_variants_wanted, set_print_height
    from quotabook.headlines import PRINT_SVG_MIME

    class Shell(InteractiveShell):
        def enable_gui(self, gui=None):  # no event loop: only the formatters are exercised
            return None

    # Another test may already hold IPython's shell singleton (matplotlib_inline registers its formats on it):
    # this test's shell stands in for it and the old one is back afterwards.
    for cls in Shell.__mro__:
        if issubclass(cls, SingletonConfigurable):
            monkeypatch.setattr(cls, "_instance", None)
    shell = Shell.instance()
    monkeypatch.setattr("IPython.get_ipython", lambda: shell)
    fig = set_print_height(Figure(figsize=(6, 4)), 2.5)
    fig.add_subplot().barh(["a", "b"], [1, 2])
    for value, wanted in [(None, True), ("1", True), ("0", False), (" 0 ", False)]:
        if value is None:
            monkeypatch.delenv(PRINT_ENV, raising=False)
        else:
            monkeypatch.setenv(PRINT_ENV, value)
        use_svg()
        data, _ = shell.display_formatter.format(fig)
        assert print_variants_wanted() is wanted
        assert (PRINT_SVG_MIME in data) is wanted and "image/svg+xml" in data
