"""Target achievement views: the number stack against target, coverage against the workbook
thresholds, forecast confidence and concentration, and the pipeline each group needs. The ranked deal lists
of the four next moves live in :mod:`quotabook.themes.target_achievement.moves`.

Each function takes the Dataset (already as of the report date and sliced to the region), a fiscal quarter
and a grouping level (``territory`` for a region report, ``region`` for the district) and returns a tidy
DataFrame. Every figure that is a catalog metric comes from :func:`quotabook.metrics.compute_wide`; the
views only add labels and a status read against the workbook thresholds (coverage_target_early / _mature,
coverage_alert_below for coverage_alert_weeks weeks, pipeline_push_below). Amounts are in the reporting
currency.

``result.attrs["unavailable"]`` maps a metric to a "not available: needs ..." note when the data lacks
what it needs; ``result.attrs["period"]`` names the period and ``result.attrs["ended"]`` says whether the
period was over at the report date (its figures are final: nothing more can close in it; deals dated in it and
still open are overdue, :func:`open_past_end`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...fiscal import Period
from ...metrics import compute_wide, load_catalog
from ...metrics.compute import group_levels
from ...metrics.forecasting.deals import deals_as_of

__all__ = ["STACK_LABELS", "concentration", "coverage_status", "number_stack", "open_past_end", "period_ended",
           "pipeline_needs"]

#: Catalog metric -> the forecast category name the charts colour it by.
STACK_LABELS = {"closed_amount": "Closed", "commit_amount": "Commit", "best_case_amount": "Best Case",
                "pipeline_amount": "Pipeline", "target_amount": "Target"}
COVERAGE_METRICS = ["target_amount", "attainment", "forecast_attainment", "gap", "coverage", "coverage_of_remaining",
                    "pipeline_coverage"]


# -- helpers ---------------------------------------------------------------------------------------------
def period_ended(ds: Dataset, period: str | Period) -> bool:
    """Whether ``period`` was over at the report date (its last day reached): its figures are final."""
    return ds.period(period).state(ds.reference_date).finished


def open_past_end(ds: Dataset, period: str | Period) -> tuple[int, float]:
    """Deals dated in ``period`` and still open at the report date, once the period is over: how many, and their
    amount (reporting currency; deals without an amount add nothing). They did not close in it, so they are not
    part of its result, only overdue: a finished quarter's page says so rather than "nothing is left open".
    Forecast category Omitted is left out, as in ``open_pipeline_amount``. (0, 0.0) while the period runs."""
    quarter = ds.period(period)
    if not period_ended(ds, quarter):
        return 0, 0.0
    o = ds.opportunities
    keep = quarter.contains(o["close_date"]) & ~o["is_closed"].fillna(False).astype(bool)
    if "forecast_category" in o:
        keep &= o["forecast_category"].ne("Omitted").fillna(True).astype(bool)
    return int(keep.sum()), float(o.loc[keep, "amount"].sum())


def _wide(names: list[str], ds: Dataset, period: str | Period, by: str | Sequence[str]) -> pd.DataFrame:
    """compute_wide with every column of ``names`` present (NaN where unavailable), the group as a column.
    Closed is always computed too (it needs only the required columns), so every group has its row even when
    none of ``names`` is available."""
    wide = compute_wide(list(dict.fromkeys(["closed_amount", *names])), ds, period, by=by)
    out = wide.reindex(columns=names).reset_index()
    out.attrs = {"unavailable": dict(wide.attrs.get("unavailable", {})), "period": ds.period(period).label,
                 "ended": period_ended(ds, period)}
    return out


# -- the number stack ------------------------------------------------------------------------------------
def number_stack(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "territory") -> pd.DataFrame:
    """Closed, Commit, Best Case, Pipeline and Target per group: the DSM's five numbers.

    Returns
    -------
    DataFrame
        The ``by`` levels, then ``Closed``, ``Commit``, ``Best Case``, ``Pipeline`` (open amounts closing in
        the period, by forecast category), ``Target`` and ``Total`` (Closed + Commit + Best Case), in the
        reporting currency. A category the data cannot give (no forecast_category) is NaN.
    """
    out = _wide([*STACK_LABELS, "total_amount"], ds, period, by)
    return out.rename(columns={**STACK_LABELS, "total_amount": "Total"})


# -- coverage against the thresholds ----------------------------------------------------------------------
def _earlier_readings(ds: Dataset, period: Period, by: list[str], index: pd.Index, weeks: int) -> list[pd.DataFrame]:
    """Pipeline coverage per group at each of the ``weeks - 1`` weekly readings before the report date, most
    recent first (the history :meth:`~quotabook.metrics.catalog.Catalog.alerts` reads for ``for_weeks``)."""
    readings = []
    for k in range(1, weeks):  # one reading per week back; a handful of computes, never per row
        snapshot = ds.as_of(ds.reference_date - pd.Timedelta(days=7 * k))
        cov = compute_wide(["pipeline_coverage"], snapshot, period, by=by).reindex(columns=["pipeline_coverage"])
        readings.append(cov.reindex(index))
    return readings


def _start_coverage(ds: Dataset, period: Period, by: list[str]) -> pd.Series:
    """Pipeline coverage per group as it stood the day before the period began (open pipeline / target).

    Coverage reads only deals and targets: the travel leaves activities and leads out and is kept with ``ds``
    (:func:`~quotabook.metrics.forecasting.deals.deals_as_of`), so the scope and its groups, the summary's
    scoreboard and the quarter trend's reading of that day share one."""
    before = deals_as_of(ds, period.start - pd.Timedelta(days=1), always=False)
    return compute_wide(["pipeline_coverage"], before, period, by=by).reindex(columns=["pipeline_coverage"])[
        "pipeline_coverage"]


def coverage_status(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "territory") -> pd.DataFrame:
    """Attainment, forecast attainment, gap and the three coverages per group, with a status read against
    the workbook thresholds.

    While the period runs, the status is the most pressing of: ``Target reached`` (gap ≤ 0), ``Short of
    target`` (Closed + Commit + Best Case under target: coverage < 1×), ``Pipeline push`` (coverage under
    pipeline_push_below, 1.5×), ``Alert < 2.5×`` (pipeline coverage under coverage_alert_below
    at each weekly reading of the last coverage_alert_weeks weeks), ``Below 2.5×`` (under it this
    week only), ``Watch < 3×`` (under coverage_target_early), ``Covered 3×+`` and ``Covered 4×+``
    (coverage_target_mature). Once the period is over, ``start_pipeline_coverage`` gives the pipeline
    coverage the day before it began and the status reads the result as volume or conversion: ``Target
    reached``, ``Missed: volume`` (under 3× going in: not enough at-bats) or ``Missed: conversion`` (enough
    pipeline, not converted).

    Returns
    -------
    DataFrame
        The ``by`` levels, ``target_amount``, ``attainment``, ``forecast_attainment`` (shares 0-1),
        ``gap`` (reporting currency), ``coverage``, ``coverage_of_remaining``, ``pipeline_coverage``
        (multiples), ``alert`` (bool: the two-week pipeline coverage alert fired; never before the period
        starts), ``start_pipeline_coverage``
        (multiple; NaN while the period runs) and ``status`` (text).
    """
    levels = group_levels(by)
    quarter = ds.period(period)
    out = _wide(COVERAGE_METRICS, ds, quarter, levels)
    t = ds.settings.threshold
    ended = out.attrs["ended"]
    index = pd.MultiIndex.from_frame(out[levels]) if len(levels) > 1 else pd.Index(out[levels[0]])
    if ended:
        start = _start_coverage(ds, quarter, levels).reindex(index).to_numpy()
        out["alert"] = False
        out["start_pipeline_coverage"] = start
    elif quarter.start > ds.reference_date:  # not started yet: no reading of it can be late
        out["alert"] = False
        out["start_pipeline_coverage"] = np.nan
    else:
        catalog = load_catalog()  # the catalog's alert: threshold, direction and the weeks it must hold
        weeks = catalog.get("pipeline_coverage").alert.weeks(ds.settings) or 1
        now = pd.DataFrame({"pipeline_coverage": out["pipeline_coverage"].to_numpy()}, index=index)
        fired = catalog.alerts(now, ds.settings, history=_earlier_readings(ds, quarter, levels, index, weeks))
        fired = fired[fired["metric"] == "pipeline_coverage"]
        out["alert"] = index.isin(list(fired["group"])) & (out["gap"] > 0).to_numpy()
        out["start_pipeline_coverage"] = np.nan
    out["status"] = _status(out, ended, t)
    return out


def _status(frame: pd.DataFrame, ended: bool, t) -> pd.Series:
    """The status text of each row (see :func:`coverage_status`); first matching rule wins."""
    no_target = ~(frame["target_amount"] > 0)
    reached = frame["gap"] <= 0
    if ended:
        volume = ~(frame["start_pipeline_coverage"] >= t("coverage_target_early"))
        rules = [(no_target, "No target"), (reached, "Target reached"), (volume, "Missed: volume"),
                 (pd.Series(True, index=frame.index), "Missed: conversion")]
    else:
        pipe = frame["pipeline_coverage"]
        rules = [(no_target, "No target"), (reached, "Target reached"),
                 (frame["coverage"] < 1.0, "Short of target"),
                 (frame["coverage"] < t("pipeline_push_below"), "Pipeline push"),
                 (frame["alert"], f"Alert < {t('coverage_alert_below'):g}×"),
                 (pipe < t("coverage_alert_below"), f"Below {t('coverage_alert_below'):g}×"),
                 (pipe < t("coverage_target_early"), f"Watch < {t('coverage_target_early'):g}×"),
                 (pipe < t("coverage_target_mature"), f"Covered {t('coverage_target_early'):g}×+"),
                 (pd.Series(True, index=frame.index), f"Covered {t('coverage_target_mature'):g}×+")]
    conditions = [c.fillna(False).astype(bool).to_numpy() for c, _ in rules]
    return pd.Series(np.select(conditions, [label for _, label in rules], default=""), index=frame.index)


# -- confidence, concentration and pipeline needs ---------------------------------------------------------
def concentration(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "territory") -> pd.DataFrame:
    """How confident and how concentrated the open forecast is per group ("how concentrated is
    our fate?").

    Returns
    -------
    DataFrame
        The ``by`` levels, ``commit_share`` (share 0-1 of Commit + Best Case that is Commit),
        ``deal_count`` (deals behind Commit + Best Case), ``priced_deal_count`` (those with an amount),
        ``average_selling_price``, ``largest_deal_amount`` (reporting currency) and ``top_deal_share`` (share
        0-1 of Commit + Best Case in the largest deal).
    """
    names = ["commit_share", "deal_count", "priced_deal_count", "average_selling_price", "largest_deal_amount",
             "top_deal_share"]
    return _wide(names, ds, period, by)


def pipeline_needs(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "territory") -> pd.DataFrame:
    """The pipeline each group needs: required new pipeline at its win rate and the push to 1.5× target.

    Returns
    -------
    DataFrame
        The ``by`` levels, ``gap`` (reporting currency), ``win_rate`` (share 0-1 of the period's closed
        deals won), ``required_new_pipeline`` (gap / win rate; 0 where the target is already reached),
        ``open_pipeline_amount`` and ``pipeline_push_amount`` (reporting currency).
    """
    names = ["gap", "win_rate", "required_new_pipeline", "open_pipeline_amount", "pipeline_push_amount"]
    out = _wide(names, ds, period, by)
    out["required_new_pipeline"] = out["required_new_pipeline"].where(out["gap"] > 0, 0.0)  # nothing left to win
    return out
