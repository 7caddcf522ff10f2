"""Pipeline integrity views (seed 004, "Pipeline Integrity"): which open deals are at risk, and why.

Seed 004's red flags for a deal: its close date changed 5 or more times (``slippage_red_flag_pushes``), it
lingered in its stage 6× longer than an average deal (``integrity_stage_age_multiple``), it is 3× larger
than an average deal (``integrity_deal_size_multiple``), or nobody worked it for a few weeks
(``integrity_no_activity_days``). Thresholds are read from the workbook settings.

The combined **risk score** of a deal is the number of red flags it carries (0-4), each flag counting
once; ``severity`` (the sum over its raised flags of value ÷ threshold) orders deals with the same score,
and ``reasons`` spells each raised flag out with its value and threshold. The per-deal values come from
:func:`quotabook.metrics.measures.integrity.deal_flags`, the same frame the catalog measures aggregate, and
the summary per territory comes from :func:`quotabook.metrics.compute`. Everything works on a dataset
``as_of`` a past date: history, activities and deal states are those known at the end of that day.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..fiscal import Period
from ..metrics import compute_wide
from ..metrics.measures.integrity import FLAGS, deal_flags

__all__ = ["INTEGRITY_METRICS", "at_risk_deals", "integrity_summary", "risk_flags"]

INTEGRITY_METRICS = ["at_risk_deal_count", "close_date_push_count", "stage_age_multiple", "deal_size_multiple",
                     "days_since_activity"]
_COLUMNS = ["opportunity_id", "name", "owner", "territory", "stage", "amount", "close_date", "forecast_category",
            "pushes", "days_in_stage", "stage_average_days", "stage_age_multiple", "average_deal_size",
            "deal_size_multiple", "last_touch", "days_since_activity", *FLAGS, "risk_score", "severity", "reasons",
            "closes_soon"]


def _num(values: pd.Series, decimals: int = 0) -> pd.Series:
    """Numbers as text, vectorised: whole numbers without decimals, others rounded to ``decimals``."""
    rounded = values.astype("float64").round(decimals)
    text = rounded.astype("string")
    return text.str.removesuffix(".0").fillna("?")


def _reasons(d: pd.DataFrame, ds: Dataset) -> pd.Series:
    """One sentence per raised flag, joined with "; " (empty when the deal carries no flag)."""
    t = {flag: ds.settings.threshold(key) for flag, (_, key) in FLAGS.items()}
    pieces = {
        "flag_pushes": "close date pushed " + _num(d["pushes"]) + " times (red flag at " + f"{t['flag_pushes']:g})",
        "flag_stage_age": ("in " + d["stage"].astype("string") + " for " + _num(d["days_in_stage"]) + " days, "
                           + _num(d["stage_age_multiple"], 1) + "× the average " + _num(d["stage_average_days"], 1)
                           + f" days (red flag at {t['flag_stage_age']:g}×)"),
        "flag_deal_size": ("amount " + _num(d["deal_size_multiple"], 1) + "× the average won deal of "
                           + _num(d["average_deal_size"]) + f" {ds.currency} (red flag at {t['flag_deal_size']:g}×)"),
        "flag_no_activity": ("no activity for " + _num(d["days_since_activity"]) + " days (red flag at "
                             + f"{t['flag_no_activity']:g})"),
    }
    text = pd.Series("", index=d.index, dtype="string")
    for flag, piece in pieces.items():  # four fixed flags, each a vectorised column operation
        text = text + piece.where(d[flag], "").fillna("") + pd.Series(np.where(d[flag], "; ", ""), index=d.index)
    return text.str.removesuffix("; ").astype("object")


def risk_flags(ds: Dataset, *, flagged_only: bool = False, soon_only: bool = False) -> pd.DataFrame:
    """Every open deal at the report date with its integrity values, red flags, risk score and reasons.

    Parameters
    ----------
    ds : the dataset (as of the report date; pass ``ds.as_of(date)`` for a past date).
    flagged_only : keep deals with at least one red flag.
    soon_only : keep deals closing within 90 days of the report date (overdue included), the pipeline
        seed 004 reviews.

    Returns
    -------
    DataFrame
        One row per deal, highest risk first (score, then severity, then amount): the deal's columns,
        ``pushes`` (count), ``days_in_stage`` and ``stage_average_days`` (days), ``stage_age_multiple``,
        ``average_deal_size`` (reporting currency), ``deal_size_multiple``, ``last_touch`` (date),
        ``days_since_activity`` (days), the four ``flag_*`` booleans, ``risk_score`` (0-4), ``severity``,
        ``reasons`` (text) and ``closes_soon``.
    """
    d = deal_flags(ds)
    ratios = {flag: d[column] / ds.settings.threshold(key) for flag, (column, key) in FLAGS.items()}
    d = d.assign(risk_score=d["risk_flags"],
                 severity=pd.DataFrame({f: r.where(d[f], 0.0) for f, r in ratios.items()}).sum(axis=1))
    d["reasons"] = _reasons(d, ds)
    if flagged_only:
        d = d[d["risk_score"] > 0]
    if soon_only:
        d = d[d["closes_soon"]]
    d = d.sort_values(["risk_score", "severity", "amount"], ascending=False, kind="stable")
    out = d[[c for c in _COLUMNS if c in d]].reset_index(drop=True)
    unavailable = {}
    if not ds.has("opportunity_history"):
        unavailable["flag_pushes"] = "close-date pushes not available: needs table opportunity_history"
        unavailable["flag_stage_age"] = "stage age not available: needs table opportunity_history"
    out.attrs = {"unavailable": unavailable, "period": str(ds.reference_date.date())}
    return out


def at_risk_deals(ds: Dataset) -> pd.DataFrame:
    """The deals ``at_risk_deal_count`` counts: open, closing within 90 days of the report date, with at
    least one red flag; highest risk first (see :func:`risk_flags`)."""
    return risk_flags(ds, flagged_only=True, soon_only=True)


def integrity_summary(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "territory") -> pd.DataFrame:
    """Integrity metrics per group from the catalog: at-risk deals, close-date pushes of the period's deals,
    and the worst stage age multiple, deal size multiple and days without activity among open deals closing
    in the period; ``*_alert`` columns say where a metric reaches its red-flag threshold."""
    levels = [by] if isinstance(by, str) else list(by)
    wide = compute_wide(INTEGRITY_METRICS, ds, period, by=levels)
    alerts = {"stage_age_multiple": "integrity_stage_age_multiple", "deal_size_multiple":
              "integrity_deal_size_multiple", "days_since_activity": "integrity_no_activity_days"}
    for metric, key in alerts.items():
        if metric in wide:
            wide[f"{metric}_alert"] = wide[metric] >= ds.settings.threshold(key)
    out = wide.reset_index()
    out.attrs = dict(wide.attrs)
    return out
