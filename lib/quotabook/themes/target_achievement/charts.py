"""Target achievement charts (theme 1): the number stack against target, and coverage against the workbook bars.

Each chart comes twice, seaborn's way: an axes-level function takes a tidy table from
:mod:`quotabook.themes.target_achievement.data` (it never computes a metric), keyword options, ``ax=None`` and
``**kwargs`` for its bars, draws on ``ax`` and returns it (the number stack: :func:`quotabook.charts.base.stacked_bars`;
coverage: :func:`coverage_against`); the report's figure of the same table states the finding in its title. Money
is in the reporting currency; coverages are multiples (3.0×). A table with nothing to plot gives a small figure
that says so.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ...charts.base import (
    COLORS,
    ensure_axes,
    finish,
    legend_below,
    new_figure,
    no_data,
    percent_axis,
    show_literally,
    stacked_bars_vs_target,
)
from ...style import CATEGORY_ORDER
from ...text import mid, names, part_of, verb

__all__ = ["coverage_against", "coverage_bars", "no_data", "stack_vs_target"]

#: Bars that clear their bar, and bars under it (orange: a warning, not a forecast category colour).
OK_COLOR, WARN_COLOR = COLORS[0], COLORS[1]
_LINE = "#333333"




# -- the number stack ----------------------------------------------------------------------------------------
def _stack_title(stack: pd.DataFrame, label: str, scope: str, period: str, ended: bool) -> str:
    """The finding of the stack chart: how many groups' stack reaches target (or reached it, once over)."""
    has_target = stack["Target"] > 0
    n = int(has_target.sum())
    if n == 0:
        shown = "what it closed" if ended else "the forecast categories only"
        return f"{scope} has no target for {period}: the bars show {shown}"
    if ended:
        hit = stack.loc[has_target & (stack["Closed"] >= stack["Target"]), label].astype(str).tolist()
        if len(hit) == n:
            return f"Every {label} in {mid(scope)} reached its {period} target"
        return f"{part_of(len(hit), n, label)} in {mid(scope)} reached their {period} target"
    covered = has_target & (stack["Total"] >= stack["Target"])
    short = stack.loc[has_target & ~covered, label].astype(str).tolist()
    if not short:
        return f"Closed + Commit + Best Case reaches target in every {label} of {mid(scope)}"
    names = ", ".join(short[:3]) + (" …" if len(short) > 3 else "")
    if n == 1:  # the one group with a target: its name says it all
        return f"Closed + Commit + Best Case falls short of target in {names}"
    return f"Closed + Commit + Best Case falls short of target in {part_of(len(short), n, label)}: {names}"


def stack_vs_target(stack: pd.DataFrame, *, label: str, currency: str, scope: str, title: str | None = None
                    ) -> Figure:
    """Closed, Commit, Best Case and Pipeline stacked per group with the target marked: "where do we stand?"

    Parameters
    ----------
    stack : :func:`quotabook.themes.target_achievement.data.number_stack` (``label``, ``Closed``, ``Commit``,
        ``Best Case``, ``Pipeline``, ``Target``, ``Total``), reporting currency.
    label : the group column (``territory`` or ``region``).
    currency : reporting currency code; scope : "West" or "The district", for the title.
    """
    period = stack.attrs.get("period", "the period")
    if stack.empty:
        return no_data(title or f"{scope}: nothing to show for {period}", "No territories in view.")
    ended = bool(stack.attrs.get("ended"))
    # Once the period is over only Closed is its result: a deal dated in it and still open did not close in it
    # (it is overdue), so Commit, Best Case and Pipeline are not drawn, as the page's table and text say.
    categories = ["Closed"] if ended else (
        [c for c in CATEGORY_ORDER if c in stack and stack[c].fillna(0).gt(0).any()] or ["Closed"])
    title = title or _stack_title(stack, label, scope, period, ended)
    has_target = bool(stack["Target"].gt(0).any())
    when = (" (final: the period is over)" if ended else " closing in the period" if categories != ["Closed"]
            else " so far (no open amount is dated in the period)")
    subtitle = f"{period}: {', '.join(categories)}{when}" + ("; the tick marks each target" if has_target else "")
    return stacked_bars_vs_target(stack, label=label, categories=categories, target="Target" if has_target else None,
                                  currency=currency, title=title, subtitle=subtitle)


# -- coverage against the bars ------------------------------------------------------------------------------
def _multiple_axis(ax: Axes) -> None:
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:g}×"))


def _bars(ax: Axes, names: pd.Series, values: pd.Series, bar: float, *, labels: pd.Series, **kwargs) -> None:
    """Horizontal bars (drawn with ``kwargs``), orange under ``bar``, each labelled at its end (``labels``)."""
    y = np.arange(len(names))
    shown = values.where(np.isfinite(values) & (values > 0), 0.0)
    colors = [WARN_COLOR if (np.isfinite(v) and v < bar) else OK_COLOR for v in values]
    ax.barh(y, shown, **{"color": colors, "height": 0.6, **kwargs})
    right = float(shown.max()) if len(shown) else 0.0
    for yi, v, text in zip(y, shown, labels, strict=True):
        ax.text(v + right * 0.02 + 0.02, yi, text, va="center", ha="left", fontsize=8.5, color=_LINE)
    ax.set_yticks(y, names)
    ax.grid(axis="y", visible=False)


#: How each reference line is drawn: (colour, line style), by the kind of bar it marks.
_LINE_STYLES = {"target": ("#777777", "-"), "push": (_LINE, "--"), "alert": (COLORS[3], "--"),
                "early": (_LINE, ":"), "mature": (_LINE, "-.")}


def _lines(ax: Axes, lines: Mapping[str, tuple[str, float]]) -> None:
    """Vertical reference lines: label -> (kind, x); the kind picks colour and style (``_LINE_STYLES``)."""
    for text, (kind, x) in lines.items():
        color, style = _LINE_STYLES[kind]
        ax.axvline(x, color=color, linestyle=style, linewidth=1.4, label=text)


def _multiple_text(v: float) -> str:
    return "–" if not np.isfinite(v) else f"{v:.1f}×"


def _percent_text(v: float) -> str:
    return "–" if pd.isna(v) else f"{v:.0%}"


def coverage_against(data: pd.DataFrame, *, metric: str, label: str, bar: float,
                     lines: Mapping[str, tuple[str, float]] | None = None, texts: pd.Series | None = None,
                     ax: Axes | None = None, **kwargs) -> Axes:
    """One coverage reading per group (``metric``: a multiple such as ``coverage``, or ``attainment`` as a
    share) as horizontal bars (drawn with ``kwargs``), first group on top, orange under ``bar``, each labelled at
    its end (``texts``; default: "3.1×" or "85%"), against reference lines (``lines``: legend label -> (kind, x),
    the kind picking colour and style).

    ``data``: :func:`quotabook.themes.target_achievement.data.coverage_status` (``label`` and the ``metric`` column).
    """
    ax = ensure_axes(ax, len(data) + 2)
    values = data[metric].astype("float64")
    share = metric == "attainment"
    if texts is None:
        texts = values.map(_percent_text if share else _multiple_text)
    _bars(ax, data[label].astype(str), values, bar, labels=texts, **kwargs)
    _lines(ax, lines or {})
    if share:
        percent_axis(ax, axis="x")
    else:
        _multiple_axis(ax)
    if not ax.yaxis_inverted():  # axes sharing y share the inversion: flip once
        ax.invert_yaxis()
    return show_literally(ax)


def _coverage_title(cov: pd.DataFrame, label: str, scope: str, ended: bool) -> str:
    status = cov["status"].astype(str)
    n = int((status != "No target").sum())
    if n == 0:
        return f"{scope} has no target for the period: coverage cannot be read"
    if ended:
        missed = cov.loc[status.str.startswith("Missed"), [label, "status"]]
        if missed.empty:
            return f"Every {label} of {mid(scope)} reached target"
        volume = missed.loc[missed["status"] == "Missed: volume", label].astype(str).tolist()
        if volume:
            return (f"{part_of(len(missed), n, label)} missed target; {', '.join(volume[:3])} went in "
                    f"with too little pipeline")
        return f"{part_of(len(missed), n, label)} missed target despite enough pipeline going in"
    push = cov.loc[status.isin(["Short of target", "Pipeline push"]), label].astype(str).tolist()
    alert = cov.loc[cov["alert"].astype(bool), label].astype(str).tolist()
    if push:
        return f"{names(push)} {verb('needs', len(push))} a pipeline push: stack under 1.5× target"
    if alert:
        return f"{', '.join(alert[:3])}: pipeline coverage under the 2.5× alert for two weeks"
    reached = int((status == "Target reached").sum())
    covered = int(status.str.startswith("Covered").sum())
    return f"{part_of(covered + reached, n, label)} in {mid(scope)} are covered 3×+ or already at target"


def coverage_bars(cov: pd.DataFrame, *, label: str, scope: str, thresholds: Mapping[str, float],
                  title: str | None = None) -> Figure:
    """Coverage per group against the workbook bars, in two panels.

    While the period runs: left, coverage = (Closed + Commit + Best Case) / Target against 1× and the
    1.5× pipeline-push line; right, pipeline coverage = open pipeline / remaining target against
    the 2.5× alert and the 3× / 4× targets. Once the period is over: left, pipeline coverage the
    day before it began against the same bars; right, attainment at the end against 100%. Orange bars are
    under their bar.

    Parameters
    ----------
    cov : :func:`quotabook.themes.target_achievement.data.coverage_status`.
    thresholds : the workbook thresholds (``coverage_alert_below``, ``coverage_target_early``,
        ``coverage_target_mature``, ``pipeline_push_below``).
    """
    ended = bool(cov.attrs.get("ended"))
    period = cov.attrs.get("period", "the period")
    data = cov[cov["status"] != "No target"].reset_index(drop=True)
    if data.empty:
        return no_data(title or f"{scope} has no target for {period}", "No target is set: coverage cannot be read.")
    title = title or _coverage_title(cov, label, scope, ended)
    fig, (left, right) = new_figure(len(data) + 2, ncols=2, sharey=True)
    alert, early, mature = (thresholds["coverage_alert_below"], thresholds["coverage_target_early"],
                            thresholds["coverage_target_mature"])
    pipe_lines = {f"Alert {alert:g}×": ("alert", alert), f"Target {early:g}× (early)": ("early", early),
                  f"{mature:g}× (mature)": ("mature", mature)}
    if ended:
        coverage_against(data, metric="start_pipeline_coverage", label=label, bar=early, lines=pipe_lines, ax=left)
        left.set_title("Pipeline coverage going in\n(the day before the period)", fontsize=9.5, loc="left")
        coverage_against(data, metric="attainment", label=label, bar=1.0, lines={"Target 100%": ("target", 1.0)},
                         ax=right)
        right.set_title("Attainment at the end\n(100% = target)", fontsize=9.5, loc="left")
    else:
        push = thresholds["pipeline_push_below"]
        coverage_against(data, metric="coverage", label=label, bar=push, ax=left,
                         lines={"Target 1×": ("target", 1.0), f"Pipeline push {push:g}×": ("push", push)})
        left.set_title("Coverage: (Closed + Commit + Best Case) ÷ Target", fontsize=9.5, loc="left")
        reached = data["gap"] <= 0
        pipe = data["pipeline_coverage"].where(~reached)
        coverage_against(data.assign(pipeline_coverage=pipe), metric="pipeline_coverage", label=label, bar=early,
                         lines=pipe_lines, texts=pipe.map(_multiple_text).where(~reached, "at target"), ax=right)
        right.set_title("Pipeline coverage: open pipeline ÷ remaining target", fontsize=9.5, loc="left")
    for ax in (left, right):
        ax.set_xlim(0, max(ax.get_xlim()[1], 1.0) * 1.12)
    handles = [Patch(color=OK_COLOR, label="Clears its bar"), Patch(color=WARN_COLOR, label="Under its bar")]
    texts = [h.get_label() for h in handles]
    for ax in (left, right):
        h, t = ax.get_legend_handles_labels()
        handles += [x for x, s in zip(h, t, strict=True) if s not in texts]
        texts += [s for s in t if s not in texts]
    legend_below(fig, handles, texts, ncols=4, handlelength=1.8)
    left.set_xlabel("Multiple of target")
    right.set_xlabel("Share of target" if ended else "Multiple of remaining target")
    return finish(fig, left, title, legend=False)
