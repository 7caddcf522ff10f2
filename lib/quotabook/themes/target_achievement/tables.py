"""Tables of the target achievement notebook (theme 1).

The ``*_table`` functions turn the views of :mod:`quotabook.themes.target_achievement.data` into the formatted
tables the notebook shows (labels, units, a total row for the whole scope), or into a sentence when there
is nothing to show (the period is over, or the data lacks what a table needs). The sentences are in
:mod:`quotabook.themes.target_achievement.text`.
"""

from __future__ import annotations

import pandas as pd

from . import data as views
from . import moves
from .text import report_ended

__all__ = ["confidence_table", "coverage_table", "needs_table", "stack_table"]


def _with_total(report, frame: pd.DataFrame, scope: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (one row per group) with the scope's own row appended, labelled "Total" (computed for the
    scope, not summed: ratios and the push are the scope's own)."""
    scope = scope.rename(columns={report.scope_level: report.level}).assign(**{report.level: "Total"})
    return pd.concat([frame, scope[frame.columns]], ignore_index=True)


def stack_table(report, stack: pd.DataFrame):
    """The five numbers per group and for the scope, as a formatted table."""
    scope = views.number_stack(report.ds, report.period, by=report.scope_level)
    cols = [report.level, "Closed", "Commit", "Best Case", "Pipeline", "Total", "Target"]
    if report_ended(report):  # nothing is open once the period is over: the open categories would be columns of zeros
        cols = [report.level, "Closed", "Target"]
    table = _with_total(report, stack, scope)[cols].rename(columns={report.level: report.level.title(),
                                                                  "Total": "Closed + Commit + Best Case"})
    units = {c: "currency" for c in table.columns[1:]}
    return report.table(table, units, caption=f"The number stack, {report.period.label}")


def coverage_table(report, cov: pd.DataFrame):
    """Attainment and the coverages with their status (running period), or the result and the pipeline
    coverage going in (period over), per group and for the scope."""
    scope = views.coverage_status(report.ds, report.period, by=report.scope_level)
    table = _with_total(report, cov, scope)
    name = report.level.title()
    if report_ended(report):
        cols = {report.level: name, "target_amount": "Target", "attainment": "Attainment", "gap": "Gap",
                "start_pipeline_coverage": "Pipeline coverage going in", "status": "Status"}
        units = {"Target": "currency", "Attainment": "percent", "Gap": "currency",
                 "Pipeline coverage going in": "ratio"}
    else:
        cols = {report.level: name, "attainment": "Attainment", "forecast_attainment": "Forecast att.", "gap": "Gap",
                "coverage": "Coverage", "coverage_of_remaining": "Cov. of remaining",
                "pipeline_coverage": "Pipeline coverage", "status": "Status"}
        units = {"Attainment": "percent", "Forecast att.": "percent", "Gap": "currency", "Coverage": "ratio",
                 "Cov. of remaining": "ratio", "Pipeline coverage": "ratio"}
        live = table["gap"] > 0  # coverage of what is left means nothing once target is reached
        table["coverage_of_remaining"] = table["coverage_of_remaining"].where(live)
        table["pipeline_coverage"] = table["pipeline_coverage"].where(live)
    table = table[list(cols)].rename(columns=cols)
    return report.table(table, units, caption=f"Attainment and coverage, {report.period.label}")


def _over_note(report, what: str):
    """Markdown: the period is over (nothing more can close in it, even a deal still open and dated in it), so
    ``what`` ("no open forecast to weigh") is all there is to say; the
    quarter in progress is the page's outlook, under the next moves."""
    return report.markdown(f"*{report.period.label} is over and nothing more can close in it: {what}. The outlook for "
                        f"{moves.outlook_label(report)} is under Next moves.*")


def confidence_table(report, conc: pd.DataFrame):
    """Commit share and concentration per group and for the scope (a note once the period is over)."""
    if report_ended(report) or not (conc["deal_count"] > 0).any():
        return _over_note(report, "no open forecast to weigh") if report_ended(report) else report.markdown(
            f"*No open Commit or Best Case deal closes in {report.period.label}.*")
    scope = views.concentration(report.ds, report.period, by=report.scope_level)
    cols = {report.level: report.level.title(), "commit_share": "Commit share", "deal_count": "Deals",
            "average_selling_price": "ASP", "largest_deal_amount": "Largest deal", "top_deal_share": "Top-deal share"}
    table = _with_total(report, conc, scope)[list(cols)].rename(columns=cols)
    units = {"Commit share": "percent", "Deals": "count", "ASP": "currency", "Largest deal": "currency",
             "Top-deal share": "percent"}
    return report.table(table, units, caption="Forecast confidence and concentration behind Commit + Best Case")


def needs_table(report, needs: pd.DataFrame):
    """Gap, win rate, required new pipeline, open pipeline and the push needed, per group and for the scope."""
    if report_ended(report):
        return _over_note(report, "no gap left to fill with pipeline")
    scope = views.pipeline_needs(report.ds, report.period, by=report.scope_level)
    metrics = ["gap", "win_rate", "required_new_pipeline", "open_pipeline_amount", "pipeline_push_amount"]
    table = _with_total(report, needs, scope)[[report.level, *metrics]]
    table["gap"] = table["gap"].clip(lower=0)
    return report.table(table, metrics, caption=f"Pipeline needed to close the gap, {report.period.label}")
