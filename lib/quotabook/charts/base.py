"""Chart building blocks: house style, colours, currency and percent axes, titles that state the finding.

Charts are made with matplotlib's object API on the Agg backend (no display needed) and shown inline as
SVG, so the HTML and PDF packs carry vector graphics. Width is capped at :data:`MAX_WIDTH` inches, which
fits an A4 or Letter page with margins at 100% scale.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TypeVar

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.text import Text
from matplotlib.ticker import AutoLocator, Formatter, FuncFormatter, MaxNLocator, PercentFormatter

from .. import privacy
from ..metrics.catalog import active_catalog
from ..metrics.catalog import label as catalog_label
from ..style import PALETTE
from ..text import UNESCAPED_DOLLAR as _DOLLAR
from ..text import currency_text, plain
from . import text_metrics
from .layout_pass import lay_out, layout_pass_only
from .printed import PRINT_BAR_PITCH, bars_height, register_print_svg, set_print_height

__all__ = ["BAR_PITCH", "CARD_WIDTH", "COLORS", "MAX_WIDTH", "MIN_PRINT_PT", "PRINT_HEIGHT", "PRINT_WIDTH", "RC",
           "SVG_PAD", "category_color", "chart_alt", "currency_axis", "currency_text", "ensure_axes", "figure",
           "finish", "legend_below", "literal", "metric_axis", "metric_label", "new_figure", "no_data",
           "percent_axis", "plain", "print_legible", "print_scale", "readable_labels", "say", "show_literally",
           "stacked_bars", "stacked_bars_vs_target", "style", "use_svg", "wrap_titles"]

_Drawn = TypeVar("_Drawn", Figure, Axes)

#: Widest chart, inches. Pages show it at that size; a PDF scales it to :data:`PRINT_WIDTH`.
MAX_WIDTH = 9.0
#: Widest and tallest a chart prints on A4 (inches): the most the print CSS gives an image
#: (``quotabook.pack.render.PRINT_CSS``: 160 mm wide, a little less than the 186 mm between the PDF's margins,
#: so that more charts share a page; 230 mm tall). A larger chart is scaled down to fit, and its text is
#: sized for that (:func:`print_legible`).
PRINT_WIDTH = 160 / 25.4
PRINT_HEIGHT = 230 / 25.4
#: The margin (inches) the inline SVG of a chart has around its figure (``savefig.pad_inches``, with
#: ``bbox_inches="tight"``): the print CSS caps the image at :data:`PRINT_WIDTH` scaled by
#: ``(MAX_WIDTH + 2 * SVG_PAD) / MAX_WIDTH``, so that a widest figure prints at :data:`PRINT_WIDTH` itself, the
#: width its text is sized for (a cap of PRINT_WIDTH on the image printed that text at 7.9 points).
SVG_PAD = 0.1
#: Width of a chart drawn for a card printed two to a line (inches, 89 mm): half the page between the PDF's
#: margins less the gap between the two cards (``quotabook.pack.render.PRINT_CSS``), so that such a chart
#: prints at its own size and its text at the size it was drawn (at least :data:`MIN_PRINT_PT`).
CARD_WIDTH = 3.5
#: The dpi matplotlib lays a figure out at when it prints SVG (the pack's charts): one dot a point.
SVG_DPI = 72
#: The smallest text a chart may print at, in points, once scaled to the page (:func:`print_legible`).
MIN_PRINT_PT = 8.0
#: Height per bar of a horizontal bar chart on screen, inches (its print variant takes
#: :data:`quotabook.charts.printed.PRINT_BAR_PITCH`).
BAR_PITCH = 0.32
#: Colours for everything that is not a forecast category: series 1, 2, 3 ... (Okabe-Ito, colour-blind safe).
COLORS = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"]
#: Matplotlib settings of the house style.
RC = {
    "figure.figsize": (MAX_WIDTH, 4.2),
    "figure.dpi": 110,
    "savefig.dpi": 200,
    "savefig.pad_inches": SVG_PAD,
    "savefig.format": "svg",
    "svg.fonttype": "none",          # text stays text in SVG: sharp, searchable, selectable in PDF
    "font.size": 10,
    "axes.titlesize": 10,
    "axes.titleweight": "normal",
    "axes.titlelocation": "left",
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "axes.prop_cycle": matplotlib.cycler(color=COLORS),
    "figure.constrained_layout.use": True,
}



@contextmanager
def style() -> Iterator[None]:
    """The house style for the charts drawn inside the ``with`` block."""
    with matplotlib.rc_context(RC):
        yield


def use_svg() -> None:
    """Apply the house style for the rest of the session and show inline figures as SVG (notebooks).

    Called by :func:`quotabook.notebook.start`; harmless outside Jupyter.
    """
    matplotlib.rcParams.update(RC)
    text_metrics.install()  # each text of a chart measured once, not once per layout and print pass
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - matplotlib-inline ships with ipykernel
        return
    set_matplotlib_formats("svg")
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    # Each chart's output carries its alt text (its title): the pack's pages and PDF show it to screen readers.
    # Each is printed with its measuring pass cut to the layout (quotabook.charts.layout_pass): the same SVG.
    svg = shell.display_formatter.formatters["image/svg+xml"]
    draw = svg.lookup_by_type(Figure)
    if not (isinstance(draw, partial) and draw.func is _svg_with_alt):
        draw = layout_pass_only(draw)
        svg.for_type(Figure, partial(_svg_with_alt, draw))
    else:
        draw = draw.args[0]
    register_print_svg(shell, draw)  # and, for a chart with a shorter print variant, that too


def literal(text: str) -> str:
    """Text from the data as a chart shows it: contact details masked (:mod:`quotabook.privacy`) and, when
    it holds two or more dollar signs (what matplotlib would typeset as mathematics), every dollar escaped,
    so a name such as ``$x^2$`` or ``$$`` prints as typed instead of failing to draw. A single dollar
    ("$150K") is never mathematics and is left as it is; backslashes need nothing (outside ``$...$``
    matplotlib prints ``\\textbf{x}`` as it is)."""
    text = privacy.mask(str(text))
    return plain(text) if len(_DOLLAR.findall(text)) > 1 else text


class _LiteralTicks(Formatter):
    """Tick labels through :func:`literal`, whatever formatter makes them (category names, labels given to
    ``set_yticks``, money axes); everything else is the wrapped formatter's."""

    def __init__(self, inner: Formatter):
        self.inner = inner

    def __getattr__(self, name: str):
        if name == "inner":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.inner, name)

    def set_axis(self, axis) -> None:
        self.axis = axis
        self.inner.set_axis(axis)

    def set_locs(self, locs) -> None:
        self.locs = locs
        self.inner.set_locs(locs)

    def __call__(self, x, pos=None) -> str:
        return literal(self.inner(x, pos))

    def format_ticks(self, values) -> list[str]:
        return [literal(label) for label in self.inner.format_ticks(values)]

    def get_offset(self) -> str:
        return literal(self.inner.get_offset())


def show_literally(fig: _Drawn) -> _Drawn:
    """Make every piece of text on ``fig`` (a Figure, or one Axes) safe to show: titles, axis labels, legends,
    annotations and bar labels through :func:`literal` now, and tick labels (drawn later) through a wrapping
    formatter.

    Called by :func:`finish`, so every chart is covered whatever its module put on it, and by each axes-level
    chart on its own Axes (a figure a notebook composes itself is covered too); idempotent.
    """
    for text in fig.findobj(Text):
        raw = text.get_text()
        if raw and (safe := literal(raw)) != raw:
            text.set_text(safe)
    for ax in (fig.axes if isinstance(fig, Figure) else [fig]):
        for axis in (ax.xaxis, ax.yaxis):
            for formatter, setter in ((axis.get_major_formatter(), axis.set_major_formatter),
                                      (axis.get_minor_formatter(), axis.set_minor_formatter)):
                if not isinstance(formatter, _LiteralTicks):
                    setter(_LiteralTicks(formatter))
    return fig


def say(ax: Axes, message: str, *, fontsize: float = 10) -> Axes:
    """``ax`` blanked and holding only ``message``: what an axes-level chart draws when it has nothing to plot
    (a composed figure keeps its panel, and says why it is empty)."""
    ax.set_axis_off()
    ax.text(0.0, 0.5, plain(message), ha="left", va="center", fontsize=fontsize, color="#444444",
            transform=ax.transAxes)
    return ax


def no_data(title: str, message: str) -> Figure:
    """A short figure holding only ``message``: the chart's place in the report when there is nothing to plot."""
    fig, ax = new_figure(height=1.6)
    say(ax, message)
    return finish(fig, ax, title, legend=False)


def category_color(name: str, default: str = "#7f7f7f") -> str:
    """The colour of a forecast category, Target, Won or Lost (the same in every chart)."""
    return PALETTE.get(name, default)


def currency_axis(ax: Axes, code: str = "USD", axis: str = "y") -> None:
    """Format the ``x`` or ``y`` axis as compact money in ``code`` (``$0``, ``$500K``, ``$1.0M``)."""
    money = FuncFormatter(lambda v, _pos: currency_text(v, code))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(money)


def percent_axis(ax: Axes, axis: str = "y", *, decimals: int = 0) -> None:
    """Format the ``x`` or ``y`` axis of shares 0–1 as percentages."""
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(PercentFormatter(1.0, decimals=decimals))


def new_figure(n_rows: int | None = None, *, height: float | None = None, ncols: int = 1,
               width: float = MAX_WIDTH, sharey: bool = False) -> tuple[Figure, Axes]:
    """A figure in the house style. ``n_rows``: the number of bars of a horizontal bar chart, which sets a
    height that keeps their labels apart (:data:`BAR_PITCH` per bar; its print variant is drawn with bars
    closer, :func:`quotabook.charts.printed.bars_height`); or give ``height`` in inches."""
    bars = height is None and n_rows is not None
    if height is None:
        height = bars_height(n_rows, BAR_PITCH) if bars else 4.2
    with style():
        fig, ax = plt.subplots(1, ncols, figsize=(min(width, MAX_WIDTH), height), sharey=sharey)
    if bars:
        set_print_height(fig, bars_height(n_rows, PRINT_BAR_PITCH))
    return fig, ax


def ensure_axes(ax: Axes | None, n_rows: float | None = None, *, height: float | None = None) -> Axes:
    """The Axes an axes-level chart draws on: ``ax`` when the caller gives one, else the one Axes of a new
    house-style figure (:func:`new_figure`, sized by ``n_rows`` or ``height``). Never the pyplot "current"
    Axes: a chart never draws over whatever another cell left behind."""
    return new_figure(n_rows, height=height)[1] if ax is None else ax


def metric_label(metric: str, currency: str = "USD") -> str:
    """A catalog metric's axis label: its label in the active catalog with its unit ("Slipped value (USD)",
    "Sales velocity (USD per day)", "Lost deals (count)"); shares and multiples carry their unit on the ticks
    ("Win rate"). The metric joins the page's glossary (:func:`quotabook.metrics.catalog.label`)."""
    name = catalog_label(metric)
    unit = active_catalog().get(metric).unit
    suffix = {"currency": currency, "currency_per_day": f"{currency} per day", "days": "days", "count": "count",
              "n_to_1": "N:1"}.get(unit)
    return f"{name} ({suffix})" if suffix else name


def metric_axis(ax: Axes, metric: str, *, axis: str = "x", currency: str = "USD") -> Axes:
    """Label the ``x`` or ``y`` axis of ``ax`` with a catalog metric (:func:`metric_label`) and format its ticks
    by the metric's unit when the unit has a tick format: shares as percentages, money as compact money."""
    unit = active_catalog().get(metric).unit
    if unit == "percent":
        percent_axis(ax, axis)
    elif unit == "currency":
        currency_axis(ax, currency, axis)
    (ax.set_xlabel if axis == "x" else ax.set_ylabel)(metric_label(metric, currency))
    return ax


def figure(draw: Callable[..., Axes], data: pd.DataFrame, *, title: str, subtitle: str | None = None,
           xlabel: str | None = None, ylabel: str | None = None, legend: bool | str = "auto", note: str | None = None,
           n_rows: float | None = None, height: float | None = None, **kwargs) -> Figure:
    """The figure-level form of an axes-level chart: a house-style figure (sized by ``n_rows`` or ``height``),
    ``draw(data, ax=ax, **kwargs)`` on its Axes, then :func:`finish` with the finding ``title``, the
    ``subtitle`` saying what is plotted, and the legend under the plot. This is how every single-panel chart
    of a report is made; a notebook that wants panels side by side calls the axes-level functions itself."""
    fig, ax = new_figure(n_rows, height=height)
    draw(data, ax=ax, **kwargs)
    return finish(fig, ax, title, subtitle=subtitle, xlabel=xlabel, ylabel=ylabel, legend=legend, note=note)


def readable_labels(ax: Axes, axis: str = "x", *, width: int = 14) -> None:
    """Wrap long tick labels onto several lines and, on a crowded x axis, turn them 30° so they never overlap."""
    ticks = ax.get_xticklabels() if axis == "x" else ax.get_yticklabels()
    labels = [textwrap.fill(t.get_text(), width) for t in ticks]
    if axis == "x":
        ax.set_xticks(ax.get_xticks(), labels)
        if len(labels) * width * 0.075 > ax.figure.get_figwidth():
            ax.tick_params(axis="x", labelrotation=30)
            for label in ax.get_xticklabels():
                label.set_horizontalalignment("right")
    else:
        ax.set_yticks(ax.get_yticks(), labels)


def finish(fig: Figure, ax: Axes, title: str, *, subtitle: str | None = None, xlabel: str | None = None,
           ylabel: str | None = None, legend: bool | str = "auto", note: str | None = None,
           title_size: float = 12) -> Figure:
    """Title the figure with the finding (bold, left, ``title_size`` points: a narrow card's chart takes a
    smaller one, wrapped) and what is plotted (subtitle), label the axes, and place the legend under the
    plot area, where it cannot cover data.

    Returns the figure, so a notebook cell can end with ``finish(...)`` and display it.
    """
    fig.suptitle(plain(title), x=_TITLE_X, ha="left", fontsize=title_size, fontweight="bold")
    if subtitle:
        ax.set_title(plain(subtitle), fontsize=9.5, color="#444444", loc="left")
    if xlabel is not None:
        ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i] == "Target")  # the target reads last
    handles, labels = [handles[i] for i in order], [labels[i] for i in order]
    if legend and labels:  # below the plot, outside it: it can never cover a bar or a title
        legend_below(fig, handles, labels, ncols=6, handlelength=1.4, markerscale=0.6)
    if note:
        fig.text(0.01, 0.0, note, ha="left", va="bottom", fontsize=8, color="#555555")
    show_literally(fig)
    print_legible(fig)
    wrap_titles(fig)
    plt.close(fig)  # the notebook displays the returned figure once; nothing is left for plt.show()
    return fig


def legend_below(fig: Figure, handles: Sequence, labels: Sequence[str] | None = None, *, ncols: int | None = None,
                 fontsize: float | None = None, **kwargs) -> Legend:
    """The figure's legend under its plot (outside it: it can never cover data), at a size that prints at
    :data:`MIN_PRINT_PT` or more (:func:`print_legible`), in as many columns (at most ``ncols``, default one per
    entry) as fit the figure's width, measured: a legend wider than the figure would widen the saved image,
    which the PDF then shrinks to the page, and every text of the chart with it. ``kwargs`` go to
    :meth:`~matplotlib.figure.Figure.legend`."""
    labels = [h.get_label() for h in handles] if labels is None else list(labels)
    asked = FontProperties(size=fontsize or RC["legend.fontsize"]).get_size_in_points()
    size = max(asked, MIN_PRINT_PT / print_scale(fig))
    renderer = _renderer(fig)
    for columns in range(min(ncols or len(labels), len(labels)), 0, -1):
        made = fig.legend(handles, labels, loc="outside lower left", ncols=columns, fontsize=size, **kwargs)
        if columns == 1 or made.get_window_extent(renderer).width <= _room(fig):
            return made
        made.remove()
    raise ValueError("legend_below needs at least one handle")  # (an empty range: no labels)


def wrap_titles(fig: Figure) -> Figure:
    """Break the lines of the figure's title (the finding), of its captions (figure texts) and of every panel's
    titles (the subtitle :func:`finish` sets among them) at spaces so that none runs past the figure's edge,
    measured where the laid-out figure places them, with their fonts at their print size: a line past the edge
    widens the saved image (its bounding box is tight), and the PDF shrinks the whole chart to the page, its
    text under :data:`MIN_PRINT_PT` (an 11.7-inch image printed the 8-point labels of a 9-inch chart at 6.3).
    Lines a title already breaks stay broken there; turned text is left alone. Called by :func:`finish`, after
    :func:`print_legible`; idempotent."""
    texts = [fig._suptitle, *fig.texts,
             *(t for ax in fig.axes for t in (ax.title, ax._left_title, ax._right_title))]
    texts = [t for t in texts if t is not None and t.get_visible() and t.get_text() and t.get_rotation() == 0]
    if not texts:
        return fig
    # Measured as the chart prints: as SVG, which matplotlib lays out at 72 dots (points) an inch whatever the
    # figure's dpi (a line's width rounds differently at the screen's 110), and which the layout it prints with
    # starts from (constrained layout starts from where the axes are). pyplot's close in finish() gives the
    # figure its own dpi back.
    fig.set_dpi(SVG_DPI)
    lay_out(fig)  # where the layout puts each title (a panel's starts where its axes do)
    renderer = _renderer(fig)
    left, right = fig.bbox.width * _TITLE_X, fig.bbox.width * (1 - _TITLE_X)
    for text in texts:
        box = text.get_window_extent(renderer)
        room = {"left": right - box.x0, "right": box.x1 - left}.get(
            text.get_horizontalalignment(), 2 * min(box.x0 + box.width / 2 - left, right - box.x0 - box.width / 2))
        _wrap_text(text, room, renderer)
    return fig


#: Where a chart's title starts, as a share of the figure's width (it ends as far from the right edge).
_TITLE_X = 0.01


def _room(fig: Figure) -> float:
    """The width (pixels at the figure's dpi) a line of text may take: the figure less :data:`_TITLE_X` a side."""
    return fig.bbox.width * (1 - 2 * _TITLE_X)


def _renderer(fig: Figure):
    """A renderer measuring text as the figure draws it (an Agg renderer at the figure's size and dpi), without
    replacing the figure's canvas."""
    from matplotlib.backends.backend_agg import RendererAgg

    return RendererAgg(fig.bbox.width, fig.bbox.height, fig.dpi)


def _wrap_text(text: Text, room: float, renderer) -> None:
    """Break each line of ``text`` at spaces, greedily, so that it is at most ``room`` pixels wide as drawn (a
    single word wider than that stays whole). Never inside a ``$...$`` formula: a break there would unpair
    its dollars."""
    if text.get_window_extent(renderer).width <= room:
        return
    lines = []
    for line in text.get_text().split("\n"):
        words = line.split(" ")
        current = words[0]
        for word in words[1:]:
            trial = f"{current} {word}"
            text.set_text(trial)
            if text.get_window_extent(renderer).width > room and len(_DOLLAR.findall(current)) % 2 == 0:
                lines.append(current)
                current = word
            else:
                current = trial
        lines.append(current)
    text.set_text("\n".join(lines))


def print_scale(fig: Figure) -> float:
    """How much a PDF shrinks ``fig`` to fit the page (1.0: it prints at its own size)."""
    width, height = fig.get_size_inches()
    return min(1.0, PRINT_WIDTH / width, PRINT_HEIGHT / height)


def print_legible(fig: Figure) -> Figure:
    """Raise every text of ``fig`` (titles, labels, legends, annotations, tick labels) that would print under
    :data:`MIN_PRINT_PT` once the figure is scaled to the page (:func:`print_scale`): a 9-inch chart prints
    at 70% on A4, so its 8-point labels would print at 5.6 points. Larger text is left as it is.

    Called by :func:`finish`, so every chart is covered; idempotent.
    """
    least = MIN_PRINT_PT / print_scale(fig)
    for text in fig.findobj(Text):
        if text.get_fontsize() < least:
            text.set_fontsize(least)
    for ax in fig.axes:  # tick labels are made again at each draw: raise the axis' own setting
        for name, axis in (("x", ax.xaxis), ("y", ax.yaxis)):
            ticks = axis.get_major_ticks() + axis.get_minor_ticks()
            if not ticks or min(min(t.label1.get_fontsize(), t.label2.get_fontsize()) for t in ticks) < least:
                ax.tick_params(axis=name, which="both", labelsize=least)
        _space_ticks(ax, least)
    return fig


def _space_ticks(ax: Axes, points: float) -> None:
    """Give the x axis of ``ax``, when matplotlib places its ticks (the default locator), at most one tick per
    four label heights of width: with labels raised for print, "75%" and "100%" of a narrow panel would touch.
    Ticks a chart placed itself are left alone."""
    if type(ax.xaxis.get_major_locator()) is AutoLocator:
        length = ax.get_position().width * ax.figure.get_figwidth() * 72
        ax.xaxis.set_major_locator(MaxNLocator(nbins=max(2, int(length // (4 * points))), steps=[1, 2, 2.5, 5, 10]))


def chart_alt(fig: Figure) -> str:
    """A chart's text alternative: its title (the finding) and what its panels show (their titles)."""
    parts = [fig.get_suptitle(), *(ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right"))]
    seen = dict.fromkeys(" ".join(p.replace("\\$", "$").split()) for p in parts if p and p.strip())
    return ". ".join(p.rstrip(".") for p in seen) or "Chart"


def _svg_with_alt(draw, fig: Figure):
    """The SVG of ``fig`` as ``draw`` makes it, with the chart's alt text in the output's metadata."""
    data = draw(fig)
    return None if data is None else (data, {"alt": chart_alt(fig)})


def stacked_bars(data: pd.DataFrame, *, label: str, categories: Sequence[str], target: str | None = None,
                 currency: str = "USD", ax: Axes | None = None, **kwargs) -> Axes:
    """Horizontal stacked bars of forecast categories per row of ``data`` (amounts in ``currency``), with
    the target marked as a vertical tick on each bar. The colours are the house category colours;
    ``kwargs`` go to every bar (``alpha``, ``height``, ``edgecolor`` ...).

    Parameters
    ----------
    data : one row per bar; ``label`` names the bar, ``categories`` are amount columns stacked left to
        right in that order (e.g. Closed, Commit, Best Case), ``target`` the target amount column.
    """
    ax = ensure_axes(ax, len(data))
    left = pd.Series(0.0, index=data.index)
    names = data[label].astype(str)
    for cat in categories:
        values = data[cat].astype("float64").fillna(0.0)
        ax.barh(names, values, left=left, **{"color": category_color(cat, COLORS[0]), "label": cat, "height": 0.7,
                                             **kwargs})
        left = left + values
    goal = data[target].astype("float64") if target is not None else pd.Series(np.nan, index=data.index)
    # rows without a target (NaN, or 0: none set) get no tick (a NaN beside a name breaks the category axis)
    has = goal.gt(0)
    if has.any():
        ax.scatter(goal[has], names[has], marker="|", s=500, linewidths=2.5,
                   color=category_color("Target"), label="Target", zorder=3)
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    currency_axis(ax, currency, axis="x")
    ax.set_xlabel(f"Amount ({currency})")
    return show_literally(ax)


def stacked_bars_vs_target(table: pd.DataFrame, *, label: str, categories: Sequence[str], target: str | None,
                           currency: str, title: str, subtitle: str | None = None,
                           xlabel: str | None = None) -> Figure:
    """:func:`stacked_bars` as a report figure, titled with the finding ``title``."""
    return figure(stacked_bars, table, title=title, subtitle=subtitle, xlabel=xlabel, n_rows=len(table), label=label,
                  categories=categories, target=target, currency=currency)
