"""Pipeline integrity views (InsightSquared, "Pipeline Integrity"): which open deals are at risk, and why.

InsightSquared's red flags for a deal: its close date changed 5 or more times (``slippage_red_flag_pushes``), it
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

from ...dataset import Dataset
from ...fiscal import Period
from ...metrics import compute_wide
from ...metrics.catalog import note_shown
from ...metrics.measures.integrity import FLAGS, activity_known, deal_flags

__all__ = ["INTEGRITY_METRICS", "at_risk_deals", "flag_summary", "integrity_summary", "risk_flags", "riskiest_deals",
           "short_reasons"]

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
        InsightSquared reviews.

    Returns
    -------
    DataFrame
        One row per deal, highest risk first (score, then severity, then amount): the deal's columns,
        ``pushes`` (count), ``days_in_stage`` and ``stage_average_days`` (days), ``stage_age_multiple``,
        ``average_deal_size`` (reporting currency), ``deal_size_multiple``, ``last_touch`` (date),
        ``days_since_activity`` (days), the four ``flag_*`` booleans, ``risk_score`` (0-4), ``severity``,
        ``reasons`` (text) and ``closes_soon``.
    """
    # computed here, not by compute: the page's glossary lists them
    note_shown(["stage_age_multiple", "deal_size_multiple", "days_since_activity", "at_risk_deal_count"])
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
    if not activity_known(ds):
        unavailable["flag_no_activity"] = ("days without activity not available: needs table activities (linked "
                                           "to deals) or column opportunities.last_activity_date")
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


def _label_flags(ds: Dataset) -> dict[str, str]:
    """Each flag as a reader names it, with its threshold from the workbook."""
    t = {flag: ds.settings.threshold(key) for flag, (_, key) in FLAGS.items()}
    return {"flag_pushes": f"Close date pushed {t['flag_pushes']:g}+ times",
            "flag_stage_age": f"In stage {t['flag_stage_age']:g}× the average or longer",
            "flag_deal_size": f"{t['flag_deal_size']:g}× the average deal or larger",
            "flag_no_activity": f"No activity for {t['flag_no_activity']:g}+ days"}


def short_reasons(flags: pd.DataFrame) -> pd.Series:
    """The raised flags of each deal in a few words for a table cell ("pushed 12×; 597 days in Proposal
    (24.5× avg); no activity for 115 days"), in the order of :data:`FLAGS`; empty for an unflagged deal."""
    d = flags
    pieces = {
        "flag_pushes": "pushed " + _num(d["pushes"]) + "×",
        "flag_stage_age": (_num(d["days_in_stage"]) + " days in " + d["stage"].astype("string") + " ("
                           + _num(d["stage_age_multiple"], 1) + "× avg)"),
        "flag_deal_size": _num(d["deal_size_multiple"], 1) + "× avg deal",
        "flag_no_activity": "no activity for " + _num(d["days_since_activity"]) + " days",
    }
    text = pd.Series("", index=d.index, dtype="string")
    for flag, piece in pieces.items():  # four fixed flags, each a vectorised column operation
        text = text + piece.where(d[flag], "").fillna("") + pd.Series(np.where(d[flag], "; ", ""), index=d.index)
    return text.str.removesuffix("; ").astype("object")


def riskiest_deals(ds: Dataset, n: int = 8) -> pd.DataFrame:
    """The ``n`` riskiest open deals closing soon (see :func:`at_risk_deals`), for a review table.

    Returns
    -------
    DataFrame
        ``name`` (the id when the deal has none), ``owner``, ``territory``, ``stage``, ``amount`` (reporting
        currency), ``close_date``, ``risk_score`` (flags raised, 0-4) and ``why`` (:func:`short_reasons`); ``attrs`` as
        :func:`risk_flags`, plus ``deals`` and ``amount``: how many at-risk deals there are and their value.
    """
    risky = at_risk_deals(ds)
    out = risky.head(n).assign(why=lambda f: short_reasons(f),
                               name=lambda f: f["name"].astype("object").where(f["name"].notna(), f["opportunity_id"]))
    out = out[["name", "owner", "territory", "stage", "amount", "close_date", "risk_score", "why"]]
    out.attrs = {**risky.attrs, "deals": len(risky), "amount": float(risky["amount"].sum())}
    return out


def flag_summary(ds: Dataset) -> pd.DataFrame:
    """How many open deals closing soon (within ``integrity_soon_days`` of the report date) carry each red
    flag, and their value; a deal with several flags counts under each.

    Returns
    -------
    DataFrame
        One row per flag in :data:`FLAGS` order: ``flag``, ``label`` (with its threshold), ``deals`` (count)
        and ``amount`` (reporting currency). ``attrs``: ``soon_until`` (last close date reviewed),
        ``closing_soon`` (open deals closing by then), ``at_risk`` and ``at_risk_amount`` (deals with any
        flag and their value), ``overdue`` (of the deals closing soon, those dated before the report date: still
        open past their close date), ``unavailable`` (flags the data cannot raise, with the reason).
    """
    flags = risk_flags(ds, soon_only=True)
    labels = _label_flags(ds)
    rows = [{"flag": f, "label": labels[f], "deals": int(flags[f].sum()),
             "amount": float(flags.loc[flags[f], "amount"].sum())} for f in FLAGS]
    out = pd.DataFrame(rows, columns=["flag", "label", "deals", "amount"])
    risky = flags[flags["risk_score"] > 0]
    soon = ds.reference_date + pd.Timedelta(days=ds.settings.threshold("integrity_soon_days"))
    overdue = int((pd.to_datetime(flags["close_date"]) < ds.reference_date.normalize()).sum())
    out.attrs = {**flags.attrs, "soon_until": soon, "closing_soon": len(flags), "at_risk": len(risky),
                 "at_risk_amount": float(risky["amount"].sum()), "overdue": overdue}
    return out
