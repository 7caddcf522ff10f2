"""Funnel views: where deals come from, where they drop out and how long they take.

Each function takes the Dataset (already as of the report date and sliced to the region) and a fiscal
quarter or a range of quarters (``first`` .. ``last`` inclusive, computed once over the whole window so
nothing is counted twice) and returns a tidy DataFrame. Stage-to-stage conversions are the catalog metrics
lead_to_sal, sal_to_sql, sql_to_opportunity, opportunity_to_proposal and proposal_to_won, computed by
:func:`quotabook.metrics.compute` (numerator = ``converted``, denominator = ``entered``); the views only
choose the grouping (creation month, segment, rep) and set the workbook's benchmark bands beside them.

Lead steps are counted on the cohort of leads created in the window, opportunity steps on the cohort of
opportunities created in it (catalog definitions); each step is a subset of the one before. Leads without
SAL or SQL dates still convert: Lead→Opportunity (lead_to_opportunity, from converted_date or
opportunity_id) stands in for the three lead steps, and :func:`lead_conversion` adds Lead→Won. Every lead
counts: leads no owner places in a territory are the group "Unassigned" (:func:`unassigned_leads`).

``result.attrs["unavailable"]`` maps a metric to its "not available: needs ..." note (no leads table,
no change history); ``result.attrs["period"]`` names the window.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ...dataset import ALL_REGIONS, Dataset, is_in, lead_owner_territory, unassigned_lead_count
from ...fiscal import Period
from ...metrics import compute, compute_wide
from ...metrics import format as fmt
from ...metrics.catalog import Catalog, load_catalog
from ...metrics.compute import Context, compute_in, group_levels
from ...metrics.measures.funnel import STEP_DAYS, stage_spells, step_days_counts

__all__ = ["COHORT_UNITS", "DAYS_UNITS", "DROP_UNITS", "LEAD_COLUMNS", "LEAD_STEP", "LEAD_UNITS", "SEGMENT_UNITS",
           "SHORT_STEPS", "STEPS", "STEP_NOUNS", "band_text", "benchmarks_by_segment", "cohort_conversion",
           "cohort_table", "drop_off", "drop_off_table", "lead_conversion", "leaks", "lost_from_stage",
           "pipeline_by_rep_stage", "pipeline_table", "pipeline_units", "segment_table", "step_days_by_segment",
           "step_days_table", "time_in_stage", "unassigned_leads", "win_rate_by"]

# (from step, to step, catalog metric): the funnel, Lead -> SAL -> SQL -> Opportunity -> Proposal -> Won.
STEPS = (("Lead", "SAL", "lead_to_sal"), ("SAL", "SQL", "sal_to_sql"), ("SQL", "Opportunity", "sql_to_opportunity"),
         ("Opportunity", "Proposal", "opportunity_to_proposal"), ("Proposal", "Won", "proposal_to_won"))
#: The lead step used in place of Lead→SAL→SQL→Opportunity when SAL or SQL dates are missing: conversion known
#: from converted_date / opportunity_id alone.
LEAD_STEP = ("Lead", "Opportunity", "lead_to_opportunity")
_LEAD_METRICS = tuple(m for *_, m in STEPS[:3])
_STEP_OF = {metric: (a, b) for a, b, metric in (*STEPS, LEAD_STEP)}
_ORDER = {metric: i for i, (_, _, metric) in enumerate((*STEPS[:3], LEAD_STEP, *STEPS[3:]))}
_DAY = pd.Timedelta(days=1)
UNKNOWN_STAGE = "(no history)"


# -- helpers ---------------------------------------------------------------------------------------
def _window(ds: Dataset, first: str | Period, last: str | Period | None) -> Period:
    """One period covering ``first`` .. ``last``: the quarter itself, or a span labelled ``first..last``."""
    quarters = ds.calendar.range(first, first if last is None else last)
    if len(quarters) == 1:
        return quarters[0]
    return Period(f"{quarters[0].label}..{quarters[-1].label}", quarters[0].start, quarters[-1].end)


def _attrs(frame: pd.DataFrame, period: Period, unavailable: dict[str, str]) -> pd.DataFrame:
    frame.attrs = {"unavailable": dict(unavailable), "period": period.label}
    return frame


def _status(actual: pd.Series, low: pd.Series, high: pd.Series) -> np.ndarray:
    """below | within | above the band; "no benchmark" without a band; "no data" without an actual."""
    return np.select([actual.isna(), low.isna() | high.isna(), actual < low, actual > high],
                     ["no data", "no benchmark", "below", "above"], "within")


def _steps(ds: Dataset, period: Period, by: list[str], catalog: Catalog | None) -> pd.DataFrame:
    """The step conversions from compute, long form: ``[*by], step, from_step, to_step, metric, entered,
    converted, conversion``. The five steps of :data:`STEPS`; when a leads table lacks the SAL or SQL dates
    the three lead steps need, the one step Lead→Opportunity (:data:`LEAD_STEP`) stands in for them, so
    lead conversion is shown whenever leads are (the notes still name what the finer steps need)."""
    long = compute([m for *_, m in STEPS] + [LEAD_STEP[2]], ds, period, by=by or "district", catalog=catalog)
    attrs = dict(long.attrs)
    fine = not any(m in attrs.get("unavailable", {}) for m in _LEAD_METRICS)
    long = long[~long["metric"].isin([LEAD_STEP[2]] if fine else _LEAD_METRICS)]
    long.attrs = attrs
    steps = long["metric"].map(_STEP_OF)
    out = long[by].copy() if by else pd.DataFrame(index=long.index)
    out["from_step"] = steps.str[0]
    out["to_step"] = steps.str[1]
    out["step"] = out["from_step"] + "→" + out["to_step"]
    out["metric"] = long["metric"]
    out["entered"] = long["denominator"].astype("float64")
    out["converted"] = long["numerator"].astype("float64")
    out["conversion"] = long["value"].astype("float64")
    if not by:  # one total over the whole dataset
        out = (out.groupby(["step", "from_step", "to_step", "metric"], sort=False)[["entered", "converted"]]
               .sum(min_count=1).reset_index())
        out["conversion"] = out["converted"] / out["entered"].where(out["entered"] > 0)
    out = out.assign(_o=out["metric"].map(_ORDER)).sort_values([*by, "_o"], kind="stable").drop(columns="_o")
    out.attrs = dict(long.attrs)
    return out.reset_index(drop=True)


# -- conversion ----------------------------------------------------------------------------------------
def cohort_conversion(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                      by: str | Sequence[str] | None = None, catalog: Catalog | None = None) -> pd.DataFrame:
    """Stage-to-stage conversion Lead→SAL→SQL→Opportunity→Proposal→Won by creation-month cohort.

    A lead belongs to the month it was created, an opportunity to the month it was created; each cohort's
    counts are how far its members have gone so far (recent cohorts are still maturing).

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date.
    first, last : str or Period
        Fiscal quarters bounding the window (``last`` defaults to ``first``).
    by : str or sequence of str, optional
        Extra grouping inside each cohort (``segment``, ``owner``, ...).
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.DataFrame
        ``cohort`` (YYYY-MM), ``[*by]``, ``step`` ("Lead→SAL"), ``from_step``, ``to_step``, ``metric``,
        ``entered`` and ``converted`` (counts) and ``conversion`` (share 0–1).
    """
    period = _window(ds, first, last)
    levels = ["cohort", *group_levels(by)]

    def month(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.assign(cohort=frame["created_date"].dt.to_period("M").astype("str"))

    cohorts = replace(ds, leads=month(ds.leads), opportunities=month(ds.opportunities))
    out = _steps(cohorts, period, levels, catalog)
    return _attrs(out, period, out.attrs.get("unavailable", {}))


#: The lead conversion metrics of :func:`lead_conversion`, and the table columns they become.
LEAD_COLUMNS = {"lead_count": "Leads", "converted_lead_count": "Converted", "won_lead_count": "Won",
                "lead_to_opportunity": "Lead→Opp", "lead_to_won": "Lead→Won"}
#: Each column's metric, for :meth:`quotabook.notebook.Report.table` (unit, format and glossary from the catalog).
LEAD_UNITS = {header: metric for metric, header in LEAD_COLUMNS.items()}


def lead_conversion(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                    by: str | Sequence[str] | None = None, catalog: Catalog | None = None) -> pd.DataFrame:
    """Lead→Opportunity and Lead→Won conversion of the leads created in the window, per group and in total.

    Known from each lead's conversion (converted_date or opportunity_id) and its opportunity's outcome
    (is_won), so it needs no SAL or SQL dates. Every lead counts in a group: leads no owner places in a
    territory form the group "Unassigned" (territory, region, rep), so the groups add up to the Total.

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date.
    first, last : str or Period
        Fiscal quarters bounding the lead creation cohorts.
    by : str or sequence of str, optional
        Grouping: ``territory``, ``region``, ``owner``, ``lead_source``, ``segment`` ...; one total when None.
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.DataFrame
        ``[*by]``, ``Leads``, ``Converted``, ``Won`` (counts), ``Lead→Opp``, ``Lead→Won`` (shares 0–1, NaN
        without leads), one row per group and a last row ``Total`` (all leads of the window); format with
        :data:`LEAD_UNITS`. ``attrs["unavailable"]`` notes what is missing (no leads table: no rows; no
        opportunity_id on leads: no Won and Lead→Won columns).
    """
    period = _window(ds, first, last)
    levels = group_levels(by)
    wide = compute_wide(list(LEAD_COLUMNS), ds, period, by=levels or "district", catalog=catalog)
    unavailable = dict(wide.attrs.get("unavailable", {}))
    names = [m for m in LEAD_COLUMNS if m in wide.columns]
    if "lead_count" not in names:
        return _attrs(pd.DataFrame(columns=[*levels, *LEAD_COLUMNS.values()]), period, unavailable)
    catalog = catalog or load_catalog()
    table = wide[names].astype("float64")
    total = table.sum()  # counts add up over groups (every lead is in one); ratios are re-formed below
    for name in names:
        metric = catalog.get(name)
        if metric.type == "ratio":
            den = total[metric.denominator]
            total[name] = total[metric.numerator] / den if den > 0 else np.nan
    if levels:
        table = pd.concat([table.reset_index(), pd.DataFrame([{**dict.fromkeys(levels, "Total"), **total}])],
                          ignore_index=True)
    else:
        table = pd.DataFrame([total.to_dict()])
    out = table[[*levels, *names]].rename(columns=LEAD_COLUMNS)
    return _attrs(out.reset_index(drop=True), period, unavailable)


def unassigned_leads(ds: Dataset, first: str | Period, last: str | Period | None = None) -> int | None:
    """Leads created in the window that no owner places in a territory, in the whole district.

    On the district these are the rows of the "Unassigned" group; a region slice holds none of them, so
    the count comes from the created days the slice kept (``leads.attrs[UNASSIGNED_LEADS]``, see
    :meth:`quotabook.dataset.Dataset.for_region`). None when it is not known (a region read from a
    database, which returns only the region's rows).
    """
    period = _window(ds, first, last)
    leads = ds.leads
    if ds.region != ALL_REGIONS:
        return unassigned_lead_count(leads, period.start, period.end)
    owners = lead_owner_territory(ds.territories, ds.opportunities).index
    unplaced = ~np.asarray(is_in(leads["owner"], owners), dtype=bool)
    return int((unplaced & np.asarray(period.contains(leads["created_date"]), dtype=bool)).sum())


def drop_off(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
             by: str | Sequence[str] | None = None, catalog: Catalog | None = None) -> pd.DataFrame:
    """Where the funnel leaks: for each step, how many entered, how many went on and how many did not.

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date.
    first, last : str or Period
        Fiscal quarters bounding the creation cohorts.
    by : str or sequence of str, optional
        Grouping (territory, region, owner, segment); one total when None.
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.DataFrame
        ``[*by], step, from_step, to_step, metric, entered, converted, dropped`` (counts; dropped includes
        deals still open in the step), ``conversion`` and ``drop_off`` (shares 0–1, summing to 1),
        ``benchmark_low`` / ``benchmark_high`` (the catalog band of the conversion, all segments),
        ``status`` of the conversion against it and ``largest_drop`` (the step with the highest drop-off
        of its group).
    """
    catalog = catalog or load_catalog()
    period = _window(ds, first, last)
    levels = group_levels(by)
    out = _steps(ds, period, levels, catalog)
    unavailable = out.attrs.get("unavailable", {})
    out["dropped"] = out["entered"] - out["converted"]
    out["drop_off"] = 1.0 - out["conversion"]
    bands = {m: catalog.get(m).benchmark for *_, m in STEPS}
    out["benchmark_low"] = out["metric"].map({m: b.band[0] for m, b in bands.items() if b}).astype("float64")
    out["benchmark_high"] = out["metric"].map({m: b.band[1] for m, b in bands.items() if b}).astype("float64")
    out["status"] = _status(out["conversion"], out["benchmark_low"], out["benchmark_high"])
    worst = out.groupby(levels)["drop_off"].transform("max") if levels else out["drop_off"].max()
    out["largest_drop"] = out["drop_off"].eq(worst) & out["drop_off"].notna()
    cols = [*levels, "step", "from_step", "to_step", "metric", "entered", "converted", "dropped", "conversion",
            "drop_off", "benchmark_low", "benchmark_high", "status", "largest_drop"]
    return _attrs(out[cols], period, unavailable)


def lost_from_stage(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                    by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Where deals drop out: the deals lost in the window, by the stage they were in before being lost.

    The stage comes from the change history (the last stage spell before the lost stage); deals without
    history show as "(no history)". Without any history the frame is empty and ``attrs["unavailable"]`` says so.

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date.
    first, last : str or Period
        Fiscal quarters bounding the close dates.
    by : str or sequence of str, optional
        Grouping by opportunity columns (owner, territory, segment, ...).

    Returns
    -------
    pandas.DataFrame
        ``[*by], stage, stage_order, deals`` (count), ``amount`` (reporting currency) and ``share`` (of
        the group's lost deals, 0–1), in stage order.
    """
    period = _window(ds, first, last)
    levels = group_levels(by)
    cols = [*levels, "stage", "stage_order", "deals", "amount", "share"]
    if not ds.has("opportunity_history"):  # every lost deal would sit under "(no history)": nothing to read
        note = {"stage at loss": "the stage lost deals left not available: needs table opportunity_history"}
        return _attrs(pd.DataFrame({c: pd.Series(dtype="float64") for c in cols}), period, note)
    o = ds.opportunities
    closed, won = o["is_closed"].fillna(False).astype(bool), o["is_won"].fillna(False).astype(bool)
    lost = o[closed & ~won & period.contains(o["close_date"])]
    spells = stage_spells(ds, ["territory"])
    last_spell = spells.sort_values(["opportunity_id", "left_at"], kind="stable").groupby("opportunity_id").tail(1)
    stage = lost["opportunity_id"].map(last_spell.set_index("opportunity_id")["stage"]).astype("str")
    stage = stage.fillna(UNKNOWN_STAGE)
    lost = lost.assign(stage=stage)
    out = lost.groupby([*levels, "stage"], dropna=False).agg(deals=("opportunity_id", "size"),
                                                              amount=("amount", "sum")).reset_index()
    out["deals"] = out["deals"].astype("float64")
    total = out.groupby(levels)["deals"].transform("sum") if levels else out["deals"].sum()
    out["share"] = out["deals"] / total
    out["stage_order"] = out["stage"].map(ds.settings.stage_table()["order"]).astype("float64")
    out = out.sort_values([*levels, "stage_order"], kind="stable", na_position="last").reset_index(drop=True)
    return _attrs(out[cols], period, {})


# -- time ------------------------------------------------------------------------------------------------
def time_in_stage(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                  by: str | Sequence[str] | None = None, catalog: Catalog | None = None) -> pd.DataFrame:
    """Days spent per CRM stage, won and lost deals apart (InsightSquared: lost deals linger far longer).

    Spells are the completed stretches of the change history that ended in the window (see
    :func:`quotabook.metrics.measures.funnel.stage_spells`). ``mean_days`` is the catalog metric
    time_in_stage_days; the median is robust to the few deals that sit for months.

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date (needs opportunity_history).
    first, last : str or Period
        Fiscal quarters bounding the end of the spells.
    by : str or sequence of str, optional
        Extra grouping by opportunity columns (segment, owner, ...).
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.DataFrame
        ``[*by], stage, stage_order, outcome`` (won | lost | open | all), ``spells`` (count),
        ``median_days`` and ``mean_days`` (calendar days), in stage order. Empty with
        ``attrs["unavailable"]`` when there is no change history.
    """
    period = _window(ds, first, last)
    levels = group_levels(by)
    columns = [*levels, "stage", "stage_order", "outcome", "spells", "median_days", "mean_days"]
    frames, unavailable = [], {}
    for split in (["outcome"], []):  # by outcome, then all deals together
        long = compute(["time_in_stage_days"], ds, period, by=[*levels, "stage", *split], catalog=catalog)
        unavailable.update(long.attrs.get("unavailable", {}))
        if unavailable:
            return _attrs(pd.DataFrame({c: pd.Series(dtype="float64") for c in columns}), period, unavailable)
        frames.append(long.rename(columns={"value": "mean_days"}).assign(**({} if split else {"outcome": "all"})))
    mean = pd.concat(frames, ignore_index=True)
    spells = stage_spells(ds, ["territory", "owner", *levels])
    spells = spells[period.contains(spells["left_at"])]
    stats = []
    for split in (["outcome"], []):
        g = spells.groupby([*levels, "stage", *split])["days"].agg(spells="size", median_days="median")
        stats.append(g.reset_index().assign(**({} if split else {"outcome": "all"})))
    out = pd.concat(stats, ignore_index=True).merge(mean[[*levels, "stage", "outcome", "mean_days"]],
                                                    on=[*levels, "stage", "outcome"], how="left")
    out["spells"] = out["spells"].astype("float64")
    out["stage_order"] = out["stage"].map(ds.settings.stage_table()["order"]).astype("float64")
    rank = {"won": 0, "lost": 1, "open": 2, "all": 3}
    out = (out.assign(_r=out["outcome"].map(rank)).sort_values([*levels, "stage_order", "_r"], kind="stable")
           .reset_index(drop=True))
    return _attrs(out[columns], period, unavailable)


def step_days_by_segment(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                         catalog: Catalog | None = None) -> pd.DataFrame:
    """Median days per funnel step by segment (the catalog's days-per-step metrics, ``lead_to_sal_days`` ...),
    beside each segment's band from the same metrics' benchmarks.

    Lead→SAL, SAL→SQL and SQL→Opportunity are measured on leads created in the window (a lead no territory
    places is in the segment "(blank)"); Opportunity→Proposal and Proposal→Won on opportunities created in it,
    from the first entry into a stage of funnel step Proposal in the change history (won deals for the last
    step). Deals that never sat in a Proposal-step stage are left out of both opportunity steps.

    Returns
    -------
    pandas.DataFrame
        ``segment, step, metric, items`` (count), ``median_days`` (calendar days), ``low, high`` (band, days;
        empty where the catalog gives none, e.g. Mid-Market) and ``status``.
    """
    catalog = catalog or load_catalog()
    period = _window(ds, first, last)
    metrics = list(STEP_DAYS)
    ctx = Context(ds, period, ("segment",), catalog)  # one context: the counts read the medians' rows
    long = compute_in(ctx, metrics)
    unavailable = {}
    for metric, why in long.attrs.get("unavailable", {}).items():
        group = "lead steps" if metric in metrics[:3] else "opportunity steps" if metric in metrics else metric
        unavailable.setdefault(group, re.sub(r"^.*? not available", f"{group} not available", why))
    values = long[["segment", "metric", "value"]].rename(columns={"value": "median_days"})
    items = step_days_counts(ctx)
    bands = pd.concat([catalog.get(m).benchmark.segment_frame().assign(metric=m) for m in metrics
                       if catalog.get(m).benchmark], ignore_index=True)[["segment", "metric", "low", "high"]]
    out = values.merge(items, on=["segment", "metric"], how="outer").merge(bands, on=["segment", "metric"],
                                                                           how="outer")
    out["items"] = out["items"].fillna(0.0).astype("float64")
    out["median_days"] = out["median_days"].astype("float64")
    out["step"] = out["metric"].map({m: step for m, (step, *_) in STEP_DAYS.items()})
    out["status"] = _status(out["median_days"], out["low"], out["high"])
    out = (out.assign(_o=out["metric"].map({m: i for i, m in enumerate(metrics)}))
           .sort_values(["segment", "_o"], kind="stable").drop(columns="_o").reset_index(drop=True))
    return _attrs(out[["segment", "step", "metric", "items", "median_days", "low", "high", "status"]], period,
                  unavailable)


# -- benchmarks and pipeline -----------------------------------------------------------------------------
def benchmarks_by_segment(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                          catalog: Catalog | None = None) -> pd.DataFrame:
    """Stage-to-stage conversion by segment side by side with the benchmark bands for that segment
    (the segment bands of each step's conversion metric in the catalog).

    Returns
    -------
    pandas.DataFrame
        One row per benchmark segment and step (and any other segment in the data): ``segment, step,
        metric, entered, converted, conversion`` (share 0–1), ``low, high, source`` (the band and who gives
        it) and ``status`` (below | within | above | no data | no benchmark).
    """
    period = _window(ds, first, last)
    actual = _steps(ds, period, ["segment"], catalog)
    unavailable = dict(actual.attrs.get("unavailable", {}))
    if ds.opportunities["segment"].isna().all():
        unavailable["segment"] = "segment breakdown not available: needs column opportunities.segment"
    catalog = catalog or load_catalog()
    metrics = [m for *_, m in STEPS]
    band_frame = pd.concat([catalog.get(m).benchmark.segment_frame().assign(metric=m) for m in metrics
                            if catalog.get(m).benchmark], ignore_index=True)
    out = actual.merge(band_frame, on=["segment", "metric"], how="outer")
    names = out["metric"].map(_STEP_OF)
    out["step"] = names.str[0] + "→" + names.str[1]
    out["status"] = _status(out["conversion"], out["low"], out["high"])
    segments = {s: i for i, s in enumerate(band_frame["segment"].unique())}
    out = (out.assign(_s=out["segment"].map(segments).fillna(len(segments)), _o=out["metric"].map(_ORDER))
           .sort_values(["_s", "segment", "_o"], kind="stable").reset_index(drop=True))
    cols = ["segment", "step", "metric", "entered", "converted", "conversion", "low", "high", "source", "status"]
    return _attrs(out[cols], period, unavailable)


def pipeline_by_rep_stage(ds: Dataset, period: str | Period | None = None, *, wide: bool = False) -> pd.DataFrame:
    """Open pipeline by rep and stage, as of the report date.

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date.
    period : str or Period, optional
        Keep only open deals whose close date falls in this quarter; all open deals when None.
    wide : bool
        Return amounts as a rep × stage table (stages in stage-map order) with Total row and column.

    Returns
    -------
    pandas.DataFrame
        Long: ``owner, stage, stage_order, deals`` (count) and ``amount`` (reporting currency), every rep
        (territory owners and owners of open deals) × every open stage, zeros included.
    """
    o = ds.opportunities
    open_deals = o[~o["is_closed"].fillna(False).astype(bool)]
    label = "all open deals"
    if period is not None:
        p = ds.period(period)
        open_deals = open_deals[p.contains(open_deals["close_date"])]
        label = p.label
    stages = ds.settings.open_stages
    owners = sorted(set(ds.territories["owner"].dropna()) | set(open_deals["owner"].dropna()))
    grid = pd.MultiIndex.from_product([owners, stages], names=["owner", "stage"])
    agg = open_deals.groupby(["owner", "stage"]).agg(deals=("opportunity_id", "size"), amount=("amount", "sum"))
    out = agg.reindex(grid, fill_value=0).astype("float64").reset_index()
    out.insert(2, "stage_order", out["stage"].map(ds.settings.stage_table()["order"]).astype("float64"))
    if wide:
        table = out.pivot(index="owner", columns="stage", values="amount")[stages]
        table["Total"] = table.sum(axis=1)
        table.loc["Total"] = table.sum(axis=0)
        table.columns.name = None
        out = table
    out.attrs = {"unavailable": {}, "period": label}
    return out


# -- the notebook's tables (02_funnel) -----------------------------------------------------------------
#: Short step names for table columns (the conversions of :data:`STEPS`).
SHORT_STEPS = {"lead_to_sal": "Lead→SAL", "sal_to_sql": "SAL→SQL", "sql_to_opportunity": "SQL→Opp",
               "opportunity_to_proposal": "Opp→Proposal", "proposal_to_won": "Proposal→Won",
               "lead_to_opportunity": "Lead→Opp"}
#: What enters each funnel step, for sentences ("85% of 5,654 leads").
STEP_NOUNS = {"Lead": "leads", "SAL": "accepted leads", "SQL": "qualified leads", "Opportunity": "opportunities",
              "Proposal": "proposals"}
#: How the drop-off, segment and step-days tables are formatted (column -> unit): one row per step, so a
#: column holds a different metric on each row and takes its unit from here, not from one catalog metric.
DROP_UNITS = {"Entered": "count", "Went on": "count", "Dropped": "count", "Conversion": "percent",
              "Drop-off": "percent"}
SEGMENT_UNITS = {"Entered": "count", "Converted": "count", "Conversion": "percent"}
#: The cohort table's step columns are catalog conversions (unit and glossary from the catalog); the leads and
#: opportunities entering them are plain counts.
COHORT_UNITS = {"Leads": "count", "Opps": "count", **{header: metric for metric, header in SHORT_STEPS.items()}}
DAYS_UNITS = {"Items": "count", "Median days": "days"}


def _unbroken(labels: pd.Series) -> pd.Series:
    """Labels whose hyphens do not break the line ("Mid-Market", "2025-10" stay on one line in a table that
    wraps text to fit the page): U+2011, the non-breaking hyphen, which reads the same."""
    return labels.astype("str").str.replace("-", "\u2011", regex=False)


#: Benchmark bands as text, "22–35%" or "10–20 days" (:func:`quotabook.metrics.format.band`, which every page shares).
band_text = fmt.band


def drop_off_table(drop: pd.DataFrame) -> pd.DataFrame:
    """:func:`drop_off` (one total) for a table: ``Step, Entered, Went on, Dropped, Conversion, Drop-off,
    Benchmark`` (the catalog band, all segments) and ``Status``; format with :data:`DROP_UNITS`."""
    out = pd.DataFrame({
        "Step": drop["step"], "Entered": drop["entered"], "Went on": drop["converted"], "Dropped": drop["dropped"],
        "Conversion": drop["conversion"], "Drop-off": drop["drop_off"],
        "Benchmark": band_text(drop["benchmark_low"], drop["benchmark_high"]).to_numpy(), "Status": drop["status"],
    }).reset_index(drop=True)
    out.attrs = dict(drop.attrs)
    return out


def segment_table(bench: pd.DataFrame) -> pd.DataFrame:
    """:func:`benchmarks_by_segment` for a table: ``Segment, Step, Entered, Converted, Conversion, Benchmark``
    (the benchmark band for the segment) and ``Status``; format with :data:`SEGMENT_UNITS`."""
    out = pd.DataFrame({
        "Segment": _unbroken(bench["segment"]), "Step": bench["step"], "Entered": bench["entered"],
        "Converted": bench["converted"], "Conversion": bench["conversion"],
        "Benchmark": band_text(bench["low"], bench["high"]).to_numpy(), "Status": bench["status"],
    }).reset_index(drop=True)
    out.attrs = dict(bench.attrs)
    return out


def leaks(bench: pd.DataFrame, *, min_entered: int = 10) -> pd.DataFrame:
    """Where the funnel leaks most against its benchmark: the segment steps ranked by how far their
    conversion falls short of the low end of the benchmark band for the segment.

    ``shortfall`` is the gap in points (low − conversion, share 0–1; negative when inside or above the band)
    and ``relative`` the gap as a share of the low end (0.5 = half the minimum), which ranks the steps so a
    5-point miss on a 15% band counts more than on a 60% one. A step with fewer than ``min_entered`` deals
    or leads entering it is ranked after the others (``enough`` False): a rate on a handful is mostly noise.

    Returns
    -------
    pandas.DataFrame
        The rows of ``bench`` that have a conversion and a band, with ``shortfall``, ``relative`` and
        ``enough`` added, worst first.
    """
    rows = bench[bench["conversion"].notna() & bench["low"].notna()].copy()
    rows["shortfall"] = rows["low"] - rows["conversion"]
    rows["relative"] = rows["shortfall"] / rows["low"].where(rows["low"] > 0)
    rows["enough"] = rows["entered"] >= min_entered
    out = rows.sort_values(["enough", "relative"], ascending=[False, False], kind="stable").reset_index(drop=True)
    out.attrs = dict(bench.attrs)
    return out


def cohort_table(cohorts: pd.DataFrame) -> pd.DataFrame:
    """:func:`cohort_conversion` as one row per creation month and one column per step (conversion, share
    0–1), with the leads and opportunities created in the month; months with nothing created are left out.
    Labels (segments, months) use non-breaking hyphens in this and the other ``*_table`` functions.

    Returns
    -------
    pandas.DataFrame
        ``Cohort`` (YYYY-MM), ``Leads``, ``Lead→SAL``, ``SAL→SQL``, ``SQL→Opp`` (or the one column
        ``Lead→Opp`` when the leads have no SAL/SQL dates), ``Opps``, ``Opp→Proposal``, ``Proposal→Won``;
        format with :data:`COHORT_UNITS`.
    """
    rate = cohorts.pivot(index="cohort", columns="metric", values="conversion").rename(columns=SHORT_STEPS)
    entered = cohorts.pivot(index="cohort", columns="metric", values="entered")
    out = pd.DataFrame(index=rate.index)
    coarse = LEAD_STEP[2] in entered.columns  # no SAL/SQL dates: Lead→Opp stands in for the three lead steps
    lead_steps = (LEAD_STEP[2],) if coarse else _LEAD_METRICS
    out["Leads"] = entered.get(lead_steps[0], np.nan)
    for metric in lead_steps:
        out[SHORT_STEPS[metric]] = rate.get(SHORT_STEPS[metric], np.nan)
    out["Opps"] = entered.get("opportunity_to_proposal", np.nan)
    for metric in ("opportunity_to_proposal", "proposal_to_won"):
        out[SHORT_STEPS[metric]] = rate.get(SHORT_STEPS[metric], np.nan)
    out = out[(out["Leads"].fillna(0) > 0) | (out["Opps"].fillna(0) > 0)]
    out.index = _unbroken(pd.Series(out.index, dtype="str")).to_numpy()
    out.index.name = "Cohort"
    out = out.reset_index()
    out.attrs = dict(cohorts.attrs)
    return out


def step_days_table(days: pd.DataFrame) -> pd.DataFrame:
    """:func:`step_days_by_segment` for a table: ``Segment, Step, Items, Median days, Benchmark`` (the
    band's days, "–" where none is given) and ``Status``; steps nothing went through are left out."""
    shown = days[days["items"] > 0]
    out = pd.DataFrame({
        "Segment": _unbroken(shown["segment"]), "Step": shown["step"], "Items": shown["items"],
        "Median days": shown["median_days"], "Benchmark": band_text(shown["low"], shown["high"], "days").to_numpy(),
        "Status": shown["status"],
    }).reset_index(drop=True)
    out.attrs = dict(days.attrs)
    return out


def win_rate_by(ds: Dataset, period: str | Period, *, by: str = "territory",
                catalog: Catalog | None = None) -> pd.DataFrame:
    """Win rate per group and for the whole scope, closed-date cohort: deals closed (won or lost) in the
    period; open deals are left out, so a quarter's rate is final once it ends (InsightSquared).

    Returns
    -------
    pandas.DataFrame
        One row per group, then ``Total``: ``group`` (name), ``won_count``, ``closed_count`` (counts),
        ``win_rate`` (share 0–1, NaN with nothing closed), ``low`` / ``high`` (the catalog band, 22–35%) and
        ``status``. Value columns are named by their catalog metric (labels and formats come from there).
        ``attrs["source"]`` cites the band.
    """
    catalog = catalog or load_catalog()
    names = ["win_rate", "won_count", "closed_count"]
    wide = compute_wide(names, ds, period, by=by, catalog=catalog)
    attrs = dict(wide.attrs)
    table = wide.reindex(columns=names).astype("float64")
    won, closed = table["won_count"].sum(), table["closed_count"].sum()
    table.loc["Total"] = [won / closed if closed else np.nan, won, closed]
    bench = catalog.get("win_rate").benchmark
    low, high = (bench.band if bench else (np.nan, np.nan))
    out = pd.DataFrame({"group": table.index.astype("str"), **{m: table[m].to_numpy(dtype=float) for m in
                                                                 ("won_count", "closed_count", "win_rate")},
                        "low": low, "high": high})
    out["status"] = _status(out["win_rate"], out["low"], out["high"])
    out.attrs = {**attrs, "source": bench.source if bench else "", "by": by}
    return out


def pipeline_table(pipeline: pd.DataFrame, *, scale: float = 1.0) -> pd.DataFrame:
    """:func:`pipeline_by_rep_stage` (long) as one row per rep and one column per open stage (amounts divided
    by ``scale``: 1000 gives thousands, which keeps seven columns of amounts on the page), with a Total column
    and a Total row; reps with no open deal are left out. Format with :func:`pipeline_units`."""
    pipeline = pipeline.assign(amount=pipeline["amount"] / scale)
    shown = pipeline[pipeline.groupby("owner")["amount"].transform("sum") > 0]
    stages = list(dict.fromkeys(pipeline.sort_values("stage_order", kind="stable")["stage"]))
    table = shown.pivot(index="owner", columns="stage", values="amount").reindex(columns=stages)
    table["Total"] = table.sum(axis=1)
    table = table.sort_values("Total", ascending=False, kind="stable")  # the order of the chart
    table.loc["Total"] = table.sum(axis=0)
    table.columns.name = None
    table.index.name = "Rep"
    out = table.reset_index()
    out.attrs = dict(pipeline.attrs)
    return out


def pipeline_units(table: pd.DataFrame, unit: str = "count") -> dict[str, str]:
    """How :func:`pipeline_table` is formatted: every amount column in ``unit`` ("count": whole numbers with
    thousands separators, for scaled amounts; "currency": full amounts with the currency code)."""
    return {c: unit for c in table.columns if c != "Rep"}
