"""Measures of theme 3, the funnel: Lead → SAL → SQL → Opportunity → Proposal → Won.

Every step is counted on a *creation cohort*: leads created in the period and how far they went, then
opportunities created in the period and how far they went. Reaching a step implies having passed the
steps before it (a lead created straight as an SQL counts as accepted too), so each step's count is a
subset of the previous one and every stage-to-stage conversion lies between 0 and 1. Win rate is not
here: it is ``won_count / closed_count`` of theme won/lost, cohorted by close date so open deals never
count against it.

Steps of opportunities follow the workbook stage map (``funnel_step`` of each stage, in the order of
``funnel_steps``). :func:`stage_spells` turns the change history into completed stage spells, the
basis of time in stage here and of the funnel views.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...dataset import Dataset, deal_codes, in_deal_order, is_in
from ...errors import MetricUnavailable
from ...frames import carried_rows
from ..compute import LEVEL_COLUMNS, Context, map_keys, measure
from ..history import dataset_stage_runs

__all__ = ["STEP_DAYS", "lead_steps_reached", "lead_won", "opportunity_step_reached", "proposal_entered_at",
           "stage_spells", "step_days_counts", "step_index"]

_DAY = pd.Timedelta(days=1)


# -- shared selections -----------------------------------------------------------------------------------
def _flag(series: pd.Series) -> pd.Series:
    """A nullable boolean column as plain bool (missing = False)."""
    return series.fillna(False).astype(bool)


def _created_in_period(ctx: Context, frame: pd.DataFrame) -> pd.DataFrame:
    return frame[ctx.period.contains(frame["created_date"])]


def _count_where(ctx: Context, frame: pd.DataFrame, mask: pd.Series, *, unplaced: bool = False) -> pd.Series:
    """Rows of ``frame`` where ``mask`` holds, per group, as a sum of the indicator over *all* rows: every
    group present in ``frame`` gets a count (0 when none qualifies), so a step's count lists the same
    groups as the cohort it is a subset of, whatever the grouping (segment, cohort month, ...).
    ``unplaced``: rows no owner places count in the "Unassigned" group (leads; see ``Context.keys``)."""
    wanted = ("territory", "owner", *ctx.by, *(c for level in ctx.by for c in LEVEL_COLUMNS.get(level, ())))
    keep = list(dict.fromkeys(c for c in wanted if c in frame))
    return ctx.sum(frame[keep].assign(_hit=mask.astype("float64")), "_hit", unplaced=unplaced)


def _open_at(opps: pd.DataFrame, moment: pd.Timestamp) -> pd.Series:
    """Mask: deals created before ``moment`` and not closed before it (closed deals close on close_date).
    An open deal without a created date counts as created (it is in the pipeline; since when is unknown)."""
    created = opps["created_date"]
    return ((created < moment) | created.isna()) & (~_flag(opps["is_closed"]) | (opps["close_date"] >= moment))


def lead_steps_reached(leads: pd.DataFrame) -> pd.DataFrame:
    """Which funnel steps each lead reached, cumulatively (a later step implies the earlier ones).

    Parameters
    ----------
    leads : pandas.DataFrame
        Canonical leads table.

    Returns
    -------
    pandas.DataFrame
        Boolean columns ``SAL`` (sal_date, or any later step), ``SQL`` (sql_date, or converted) and
        ``Opportunity`` (converted_date or opportunity_id), indexed like ``leads``.
    """
    converted = leads["converted_date"].notna() | leads["opportunity_id"].notna()
    sql = leads["sql_date"].notna() | converted
    sal = leads["sal_date"].notna() | sql
    return pd.DataFrame({"SAL": sal, "SQL": sql, "Opportunity": converted}, index=leads.index)


def step_index(ds: Dataset) -> pd.Series:
    """Position of each CRM stage's funnel step in ``funnel_steps`` (NaN for steps outside it, e.g. Lost)."""
    steps = {step: float(i) for i, step in enumerate(ds.settings.funnel_steps)}
    return ds.settings.stage_table()["funnel_step"].map(steps).astype("float64")


def opportunity_step_reached(ds: Dataset) -> pd.Series:
    """The furthest funnel step each opportunity reached, now or in its history, as a position in
    ``funnel_steps`` (index aligned with ``ds.opportunities``; NaN when no stage maps to a step)."""
    idx = step_index(ds)
    o, h = ds.opportunities, ds.opportunity_history
    # map_keys, not Series.map: each stage and deal id is looked up once, not once per row of Arrow text
    now = map_keys(o["stage"], idx)
    past = map_keys(h["stage"], idx).groupby(h["opportunity_id"]).max()
    return pd.Series(np.fmax(now.to_numpy(dtype="float64"), map_keys(o["opportunity_id"], past).to_numpy(
        dtype="float64")), index=o.index)


def _step_position(ctx: Context, metric: str, step: str) -> int:
    steps = list(ctx.ds.settings.funnel_steps)
    if step not in steps:
        raise MetricUnavailable(metric, [f"funnel step {step} in the workbook funnel_steps"])
    return steps.index(step)


def stage_spells(ds: Dataset, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Completed stage spells from the change history: one row per stretch a deal spent in one stage.

    A spell starts at the first history row of a run of equal stages (blank stages carry the previous
    one) and ends when the next run starts. The spell a deal is in now (open deals) and closed stages
    (never left) are not completed and are left out.

    Parameters
    ----------
    ds : Dataset
        The dataset (as of its report date).
    columns : sequence of str, optional
        Opportunity columns to carry onto the spells; all of them by default.

    Returns
    -------
    pandas.DataFrame
        ``opportunity_id, stage, stage_order, entered_at, left_at, days`` (days as a float, calendar
        days), ``outcome`` (won | lost | open, the deal's state now) and every other opportunity column
        (territory, owner, segment, ...), so spells group like deals.
    """
    # The runs of equal stages (blank stages carry the previous one) that the deal left: stage_runs reads
    # the history in deal and time order by row positions, never grouping by the Arrow text ids.
    runs = dataset_stage_runs(ds)
    spells = runs.loc[runs["exited_at"].notna().to_numpy(), ["opportunity_id", "stage", "entered_at", "exited_at"]]
    spells = spells.rename(columns={"exited_at": "left_at"})
    spells["days"] = (spells["left_at"] - spells["entered_at"]) / _DAY
    spells["stage_order"] = map_keys(spells["stage"], ds.settings.stage_table()["order"]).astype("float64")
    o = ds.opportunities
    outcome = np.where(_flag(o["is_won"]), "won", np.where(_flag(o["is_closed"]), "lost", "open"))
    keep = [c for c in (o.columns if columns is None else ["opportunity_id", *columns]) if c in o and c != "stage"]
    o = o[list(dict.fromkeys(keep))].assign(outcome=outcome)
    spells = spells.merge(o, on="opportunity_id", how="inner")
    return spells.reset_index(drop=True)


# -- leads: Lead, SAL, SQL, converted, won ---------------------------------------------------------------
# Every lead of the cohort is counted in some group: a lead no owner places in a territory counts at
# district level and in the "Unassigned" group of territory, region and rep (Context.keys, unplaced=True),
# so the groups of any grouping add up to the district's leads.
def _leads_reaching(ctx: Context, step: str | None) -> pd.Series:
    leads = _created_in_period(ctx, ctx.ds.leads)
    if step is None:
        return ctx.count(leads, unplaced=True)
    return _count_where(ctx, leads, lead_steps_reached(leads)[step], unplaced=True)


def lead_won(ds: Dataset, leads: pd.DataFrame) -> pd.Series:
    """Mask aligned with ``leads``: the lead's linked opportunity (``opportunity_id``) is a won deal of
    ``ds.opportunities``. A link to a deal not in the data in view (another region's, or rejected) is not
    counted as won."""
    o = ds.opportunities
    won = o.loc[_flag(o["is_won"]), "opportunity_id"]
    return pd.Series(np.asarray(is_in(leads["opportunity_id"], won), dtype=bool) & leads["opportunity_id"].notna(),
                     index=leads.index)


@measure("lead_count")
def lead_count(ctx: Context) -> pd.Series:
    """Leads created in the period (count)."""
    return _leads_reaching(ctx, None)


@measure("sal_count")
def sal_count(ctx: Context) -> pd.Series:
    """Leads created in the period that sales accepted (sal_date, or a later step) (count)."""
    return _leads_reaching(ctx, "SAL")


@measure("sql_count")
def sql_count(ctx: Context) -> pd.Series:
    """Leads created in the period that sales qualified (sql_date, or converted) (count)."""
    return _leads_reaching(ctx, "SQL")


@measure("converted_lead_count")
def converted_lead_count(ctx: Context) -> pd.Series:
    """Leads created in the period that became an opportunity (converted_date or opportunity_id) (count)."""
    return _leads_reaching(ctx, "Opportunity")


@measure("won_lead_count")
def won_lead_count(ctx: Context) -> pd.Series:
    """Leads created in the period whose linked opportunity (opportunity_id) is won (count)."""
    leads = _created_in_period(ctx, ctx.ds.leads)
    return _count_where(ctx, leads, lead_won(ctx.ds, leads), unplaced=True)


# -- opportunities: created, Proposal, Won ---------------------------------------------------------------
@measure("opportunity_count")
def opportunity_count(ctx: Context) -> pd.Series:
    """Opportunities created in the period (count)."""
    return ctx.count(_created_in_period(ctx, ctx.opportunities))


@measure("proposal_count")
def proposal_count(ctx: Context) -> pd.Series:
    """Opportunities created in the period whose furthest funnel step (now or in their history) is
    Proposal or later (count)."""
    position = _step_position(ctx, "proposal_count", "Proposal")
    o = ctx.opportunities
    cohort = ctx.period.contains(o["created_date"])
    reached = ctx.per_dataset(("step_reached",), lambda: opportunity_step_reached(ctx.ds)) >= position
    return _count_where(ctx, o[cohort], reached[cohort])


@measure("cohort_won_count")
def cohort_won_count(ctx: Context) -> pd.Series:
    """Opportunities created in the period that are won (count)."""
    o = _created_in_period(ctx, ctx.opportunities)
    return _count_where(ctx, o, _flag(o["is_won"]))


# -- pipeline state --------------------------------------------------------------------------------------
@measure("open_deal_count")
def open_deal_count(ctx: Context) -> pd.Series:
    """Deals open at the end of the period: created before its end and not closed before it (count).

    For the current period the dataset is already as of the report date, so this is the open pipeline now.
    """
    o = ctx.opportunities
    return ctx.count(o[_open_at(o, ctx.period.end)])


@measure("opening_deal_count")
def opening_deal_count(ctx: Context) -> pd.Series:
    """Deals open at the start of the period: created before it and not closed before it (count)."""
    o = ctx.opportunities
    return ctx.count(o[_open_at(o, ctx.period.start)])


@measure("final_stage_deal_count")
def final_stage_deal_count(ctx: Context) -> pd.Series:
    """Open deals (now, as of the report date) in the open stage of highest order (count)."""
    stages = ctx.ds.settings.stage_table()
    open_stages = stages[~stages["is_closed"].astype(bool)]
    final = open_stages.index[open_stages["order"] == open_stages["order"].max()]
    o = ctx.opportunities
    return ctx.count(o[~_flag(o["is_closed"]) & o["stage"].isin(final)])


@measure("stage_advance_count")
def stage_advance_count(ctx: Context) -> pd.Series:
    """Deals open at the start of the period whose history shows, within the period, a move to a stage of
    higher order that is not a lost stage (count)."""
    o = ctx.opportunities
    opening = _open_at(o, ctx.period.start)
    advanced = ctx.per_dataset(("advanced_deals", ctx.period.start, ctx.period.end), lambda: advanced_deals(
        ctx.ds.opportunity_history, ctx.ds.settings.stage_table(), ctx.period))  # the same deals at every level
    return _count_where(ctx, o[opening], is_in(o.loc[opening, "opportunity_id"], advanced))


def advanced_deals(history: pd.DataFrame, stages: pd.DataFrame, period) -> pd.Series:
    """The ids of the history rows, within ``period``, that move their deal to a stage of higher order (in
    the stage map ``stages``) than its previous row's, not a lost stage; a blank stage carries the deal's
    previous one. A history already in deal and time order (exports) is read in numpy; any other is sorted
    and grouped by pandas (:func:`_advances_grouped`), with the same answer."""
    h = history[["opportunity_id", "changed_at", "stage"]]
    deal = deal_codes(h["opportunity_id"])
    if not in_deal_order(deal, h["changed_at"]):
        return _advances_grouped(h.assign(_deal=deal), stages, period)
    lost = stages["is_closed"].astype(bool) & ~stages["is_won"].astype(bool)
    codes, uniques = pd.factorize(h["stage"])
    names = pd.Series(uniques)
    order_of = names.map(stages["order"]).to_numpy(dtype="float64")
    lost_of = names.map(lost).fillna(False).to_numpy(dtype=bool)
    d = deal.to_numpy(dtype="float64")
    starts = np.r_[True, d[1:] != d[:-1]]
    carried = carried_rows(codes < 0, starts)
    stage = np.where(carried >= 0, codes[np.maximum(carried, 0)], -1)
    known = stage >= 0
    order = np.where(known, order_of[np.maximum(stage, 0)], np.nan)
    previous = np.r_[np.nan, order[:-1]]
    previous[starts] = np.nan
    is_lost = known & lost_of[np.maximum(stage, 0)]
    advanced = (order > previous) & ~is_lost & np.asarray(period.contains(h["changed_at"]), dtype=bool)
    return h.loc[advanced, "opportunity_id"]


def _advances_grouped(h: pd.DataFrame, stages: pd.DataFrame, period) -> pd.Series:
    """:func:`advanced_deals` for any history (``_deal``: its deal codes): sorted, then grouped by pandas."""
    lost = stages["is_closed"].astype(bool) & ~stages["is_won"].astype(bool)
    h = h.sort_values(["_deal", "changed_at"], kind="stable")
    stage = h["stage"].groupby(h["_deal"]).ffill()
    order = map_keys(stage, stages["order"]).astype("float64")
    previous = order.groupby(h["_deal"]).shift()
    is_lost = map_keys(stage, lost).fillna(False).astype(bool)
    advanced = (order > previous) & ~is_lost & period.contains(h["changed_at"])
    return h.loc[advanced, "opportunity_id"]


@measure("time_in_stage_days")
def time_in_stage_days(ctx: Context) -> pd.Series:
    """Mean days of the stage spells that ended in the period (days; NaN where a group has none).

    Group by ``stage`` (a column of the spells) for days per stage, and by ``outcome`` (won | lost |
    open) to set won and lost deals apart.
    """
    keep = ["territory", "owner", *(c for c in ctx.by if c in ctx.opportunities)]
    spells = stage_spells(ctx.ds, keep)
    return ctx.agg(spells[ctx.period.contains(spells["left_at"])], "days", "mean")


# -- days per funnel step ----------------------------------------------------------------------------------
#: Days-per-step metric -> (step, start, end): the lead steps measure between two dates of the lead; the
#: opportunity steps between creation, the first entry into a Proposal-step stage and the close of a won deal.
STEP_DAYS = {
    "lead_to_sal_days": ("Lead→SAL", "created_date", "sal_date"),
    "sal_to_sql_days": ("SAL→SQL", "sal_date", "sql_date"),
    "sql_to_opportunity_days": ("SQL→Opportunity", "sql_date", "converted_date"),
    "opportunity_to_proposal_days": ("Opportunity→Proposal", "created_date", "proposal_at"),
    "proposal_to_won_days": ("Proposal→Won", "proposal_at", "close_date"),
}


def proposal_entered_at(ds: Dataset) -> pd.Series:
    """When each opportunity first entered a stage of funnel step Proposal, from the change history (aligned
    with ``ds.opportunities``; NaT for deals that never sat in one)."""
    h = ds.opportunity_history
    position = list(ds.settings.funnel_steps).index("Proposal")
    reached = h[map_keys(h["stage"], step_index(ds)) == position]
    first = reached.groupby("opportunity_id")["changed_at"].min()
    return pd.to_datetime(map_keys(ds.opportunities["opportunity_id"], first))


def _is_lead_step(metric: str) -> bool:
    """Whether a days-per-step metric is measured on leads (else on opportunities)."""
    return STEP_DAYS[metric][2] in ("sal_date", "sql_date", "converted_date")


def _step_rows(ctx: Context, metric: str) -> tuple[pd.DataFrame, bool]:
    """The cohort rows one funnel step is measured on, with their ``_days``, and whether they are leads
    (placed as Unassigned when no owner places them): leads created in the period for the lead steps,
    opportunities created in it for the opportunity steps (won deals for Proposal→Won). A step whose dates
    are missing or run backwards (a data error) is left out. Selected once per context (``ctx._memo``): the
    median (:func:`_step_days`) and the count behind it (:func:`step_days_counts`) read the same rows."""
    key = f"step_rows:{metric}"
    if key in ctx._memo:
        return ctx._memo[key]
    _, start, end = STEP_DAYS[metric]
    lead_step = _is_lead_step(metric)
    if lead_step:
        frame = _created_in_period(ctx, ctx.ds.leads)
    else:
        _step_position(ctx, metric, "Proposal")
        if "opportunities_created_with_proposal_at" not in ctx._memo:  # both opportunity steps start here
            o = ctx.opportunities.assign(proposal_at=proposal_entered_at(ctx.ds).to_numpy())
            ctx._memo["opportunities_created_with_proposal_at"] = _created_in_period(ctx, o)
        frame = ctx._memo["opportunities_created_with_proposal_at"]
        if end == "close_date":
            frame = frame[_flag(frame["is_won"])]
    days = (frame[end] - frame[start]) / _DAY
    kept = days.notna() & (days >= 0)
    ctx._memo[key] = frame[kept].assign(_days=days[kept]), lead_step
    return ctx._memo[key]


def _step_days(ctx: Context, metric: str) -> pd.Series:
    """Median calendar days of one funnel step over its cohort (:func:`_step_rows`); NaN where a group has
    none."""
    rows, leads = _step_rows(ctx, metric)
    return ctx.agg(rows, "_days", "median", unplaced=leads)


def step_days_counts(ctx: Context) -> pd.DataFrame:
    """How many leads or deals each days-per-step median is taken over, per group of ``ctx``: long form
    ``[*ctx.by], metric, items`` (steps whose data is missing are left out)."""
    parts = []
    for metric in STEP_DAYS:
        lead_step = _is_lead_step(metric)
        if not ctx.ds.has("leads" if lead_step else "opportunity_history") or (
                not lead_step and "Proposal" not in ctx.ds.settings.funnel_steps):
            continue
        rows, leads = _step_rows(ctx, metric)
        parts.append(ctx.count(rows, unplaced=leads).rename("items").reset_index().assign(metric=metric))
    columns = [*ctx.by, "metric", "items"]
    return pd.concat(parts, ignore_index=True)[columns] if parts else pd.DataFrame(columns=columns)


def _register_step_days(name: str) -> None:
    def step_days(ctx: Context) -> pd.Series:
        return _step_days(ctx, name)

    step_days.__name__ = step_days.__qualname__ = name
    step_days.__doc__ = f"Median days of the funnel step {STEP_DAYS[name][0]} (see :func:`_step_days`)."
    measure(name)(step_days)


for _name in STEP_DAYS:
    _register_step_days(_name)
