"""Activity views (InsightSquared, Scott Cowley): the tables behind "are the reps doing the right work?".

Each function takes the Dataset (already as of the report date and sliced to the region) and a fiscal
quarter and returns a DataFrame. Every figure that is a catalog metric (dial_count, dial_to_connect,
activity_goal_attainment, leads_per_rep, ...) comes from :func:`quotabook.metrics.compute_wide`; the views
choose the grouping, add a Total row, shortfalls and the comparison with the workbook's bands.

``result.attrs["unavailable"]`` maps a metric to its "not available: needs ..." note when the data lacks
what it needs (no activities table, no activity goals, no leads); ``result.attrs["period"]`` names the
quarter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...fiscal import Period
from ...metrics import compute_wide
from ...metrics import format as fmt
from ...metrics.catalog import Catalog, load_catalog
from ...metrics.compute import group_levels
from ...notes import note_reps_without_territory

__all__ = ["CHAIN_COLUMNS", "CHAIN_STEPS", "COACHING", "COUNT_COLUMNS", "COUNT_UNITS",
           "EFFICIENCY_COLUMNS", "GAP_UNITS", "ON_A_PAR", "REFERENCE_UNITS", "RULES_OF_THUMB", "TYPE_LABELS",
           "WEAKEST_UNITS", "activity_chain", "activity_counts", "activity_efficiency", "chain_vs_reference",
           "goal_gaps", "goals_vs_results", "rule_bands", "rules_of_thumb", "rules_table", "total_row", "weakest_steps",
           "weekly_activity"]

# InsightSquared's SDR table: metric -> column header.
EFFICIENCY_COLUMNS = {
    "dial_count": "Dials", "connect_count": "Connects", "opportunity_count": "Opps", "won_count": "Deals",
    "dial_to_connect": "Dial:Connect", "dial_to_opportunity": "Dial:Opp", "opportunity_to_deal": "Opp:Deal",
    "dial_to_deal": "Dial:Deal",
}
# Scott Cowley's rules of thumb (keys of benchmarks.rules_of_thumb_per_rep_month) -> catalog metric (None: the
# canonical data holds no such figure).
RULES_OF_THUMB = {
    "suspects_added": None, "leads": "leads_per_rep", "deals_created": "opportunities_per_rep",
    "deals_won": "deals_won_per_rep", "final_stage_deals_open": "final_stage_deals_per_rep",
}
_RULE_LABELS = {
    "suspects_added": "Suspects added per rep per month", "leads": "Leads per rep per month",
    "deals_created": "Deals created per rep per month", "deals_won": "Deals won per rep per month",
    "final_stage_deals_open": "Final-stage deals open per rep (at any time)",
}
# InsightSquared's "Number of Activities": metric -> column header, activity types first, then what they produced.
COUNT_COLUMNS = {
    "dial_count": "Dials", "connect_count": "Connects", "email_count": "Emails",
    "meeting_booked_count": "Meetings booked", "meeting_held_count": "Meetings held",
    "opportunity_count": "Opps created", "won_count": "Deals won",
}
#: Each count column's metric, for :meth:`quotabook.notebook.Report.table` (unit, format and glossary from the catalog).
COUNT_UNITS = {header: metric for metric, header in COUNT_COLUMNS.items()}
# The activity chain as ratios (InsightSquared, "Sales Activity Efficiency Ratios"): the four consecutive links,
# then the two end-to-end ratios. The columns keep their metric names: a table heads them with the catalog's
# labels ("Dial:Connect") and formats them by its units ("12:1"), the one spelling of every page
# (quotabook.notebook.Report.table reads both from the catalog, no header or unit typed here).
CHAIN_COLUMNS = {m: m for m in ("dial_to_connect", "connect_to_meeting", "meeting_to_opportunity",
                                "dial_to_opportunity", "opportunity_to_deal", "dial_to_deal")}
#: The consecutive links of the chain: a dial becomes a connect, a meeting, an opportunity, a deal.
CHAIN_STEPS = ("dial_to_connect", "connect_to_meeting", "meeting_to_opportunity", "opportunity_to_deal")
#: What InsightSquared says to coach when a link is weak (Opportunity:Deal is the funnel's job: see 02_funnel).
COACHING = {
    "dial_to_connect": "voicemails, emails, call times, lists",
    "connect_to_meeting": "explaining the product",
    "meeting_to_opportunity": "BANT discovery",
    "dial_to_opportunity": "the whole chain above",
    "opportunity_to_deal": "qualifying and closing",
    "dial_to_deal": "the whole chain",
}
#: A ratio within this share of InsightSquared's example team (12.4:1 against 12:1) reads "on a par" with it.
ON_A_PAR = 0.05
#: Activity types as the reports name them.
TYPE_LABELS = {"dial": "Dials", "connect": "Connects", "email": "Emails", "meeting_booked": "Meetings booked",
               "meeting_held": "Meetings held", "task": "Tasks", "linkedin": "LinkedIn", "other": "Other"}
_RULE_HEADERS = {"leads": "Leads / month", "deals_created": "Deals created / month",
                 "deals_won": "Deals won / month", "final_stage_deals_open": "Final-stage open"}
_NO_SUSPECTS = "not available: needs suspects (contacts targeted by outbound), which the canonical data does not hold"


def total_row(wide: pd.DataFrame, catalog: Catalog | None = None) -> pd.Series:
    """The Total of a table of catalog metrics, computed from the sums of its rows.

    Simple metrics (counts, amounts) are summed over the rows; a ratio metric is its catalog numerator over
    its catalog denominator taken from those sums (so Dial:Deal of the total is total dials / total deals,
    never a sum or an average of the rows' ratios). Other columns are left empty.

    Parameters
    ----------
    wide : pandas.DataFrame
        One row per group, one column per metric name (as :func:`~quotabook.metrics.compute_wide` returns).
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.Series
        One value per column of ``wide`` (NaN for a ratio whose denominator sums to 0 or whose inputs are
        not columns of ``wide``).
    """
    catalog = catalog or load_catalog()
    totals = pd.Series(np.nan, index=wide.columns, dtype="float64")
    for name in wide.columns:  # one pass per column, not per row
        if name in catalog and catalog.get(name).type == "simple":
            totals[name] = wide[name].sum()
    for name in wide.columns:
        if name in catalog and catalog.get(name).type == "ratio":
            metric = catalog.get(name)
            if metric.numerator in totals.index and metric.denominator in totals.index:
                den = totals[metric.denominator]
                totals[name] = totals[metric.numerator] / den if den != 0 else np.nan
    return totals


def _append_total(wide: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """``wide`` with its Total row (see :func:`total_row`) appended, labelled ``"Total: <rows>"`` as InsightSquared
    labels it."""
    label = f"Total: {len(wide)}"
    row = total_row(wide, catalog).to_frame(label).T
    if isinstance(wide.index, pd.MultiIndex):
        row.index = pd.MultiIndex.from_tuples([(label,) + ("",) * (wide.index.nlevels - 1)], names=wide.index.names)
    else:
        row.index.name = wide.index.name
    return pd.concat([wide, row])


def activity_efficiency(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "owner", total: bool = True,
                        formatted: bool = False, catalog: Catalog | None = None) -> pd.DataFrame:
    """InsightSquared's SDR table: Dials, Connects, Opps, Deals and the ratios Dial:Connect, Dial:Opp, Opp:Deal,
    Dial:Deal per rep, with a Total row computed from the column sums.

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date.
    period : str or Period
        Fiscal quarter: activities dated in it, opportunities created in it, deals won (closed) in it.
    by : str or sequence of str
        Grouping, one row per group: ``owner`` (reps, the default), territory, region, ...
    total : bool
        Append the Total row, labelled ``"Total: <number of rows>"`` as the guide labels it.
    formatted : bool
        Return text as the guide prints it: counts with thousands separators ("15,013") and ratios as N:1
        rounded half up ("12:1"; see :func:`quotabook.metrics.format.n_to_1`).
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.DataFrame
        Index: the groups (named ``Rep`` when grouped by owner) and the Total; columns in
        :data:`EFFICIENCY_COLUMNS` order (counts, then ratios as activities per one result). Columns of
        unavailable metrics (no activities table) are left out and listed in ``attrs["unavailable"]``.
    """
    catalog = catalog or load_catalog()
    wide = compute_wide(list(EFFICIENCY_COLUMNS), ds, period, by=by, catalog=catalog)
    attrs = dict(wide.attrs)
    if total:
        wide = _append_total(wide, catalog)
    table = wide.rename(columns=EFFICIENCY_COLUMNS)
    if group_levels(by) == ["owner"]:
        table.index.name = "Rep"
    if formatted:
        units = {EFFICIENCY_COLUMNS[n]: catalog.get(n).unit for n in wide.columns}
        table = fmt.format_frame(table, units)
    table.attrs = attrs
    return table


def goals_vs_results(ds: Dataset, period: str | Period, *, catalog: Catalog | None = None) -> pd.DataFrame:
    """Activity results against goals per rep and activity type (InsightSquared: "is one rep falling short in one
    specific area?").

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date (needs the activities and activity_goals tables).
    period : str or Period
        Fiscal quarter whose goals (``activity_goals.period``) and activities are compared.
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.DataFrame
        One row per (owner, type) with a goal: ``owner, type, actual`` (activities, count), ``goal``
        (count), ``attainment`` (activity_goal_attainment, share 0–1 and above), ``shortfall`` (activities
        still missing to reach the goal, 0 once met), ``met`` (attainment ≥ 100%) and ``weakest`` (the
        rep's lowest attainment among their goal types). Empty, with ``attrs["unavailable"]`` saying why,
        when goals or activities are missing.
    """
    names = ["activity_count", "activity_goal", "activity_goal_attainment"]
    wide = compute_wide(names, ds, period, by=("owner", "type"), catalog=catalog)
    columns = ["owner", "type", "actual", "goal", "attainment", "shortfall", "met", "weakest"]
    if not set(names) <= set(wide.columns):
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        out.attrs = dict(wide.attrs)
        return out
    rows = wide[wide["activity_goal"].notna() & (wide["activity_goal"] > 0)].reset_index()
    out = pd.DataFrame({
        "owner": rows["owner"], "type": rows["type"], "actual": rows["activity_count"],
        "goal": rows["activity_goal"], "attainment": rows["activity_goal_attainment"],
        "shortfall": (rows["activity_goal"] - rows["activity_count"]).clip(lower=0.0),
        "met": rows["activity_goal_attainment"] >= 1.0,
    })
    out["weakest"] = out["attainment"].eq(out.groupby("owner")["attainment"].transform("min"))
    out = out.sort_values(["owner", "type"], kind="stable").reset_index(drop=True)
    out.attrs = dict(wide.attrs)
    return out


def rule_bands(ds: Dataset, catalog: Catalog | None = None) -> dict[str, tuple[float, float]]:
    """Scott Cowley's bands per rule of thumb: the catalog benchmark of the rule's metric (leads_per_rep 70–80,
    ...), so a band is changed in the catalog only; a rule with no metric (suspects added) takes its band from
    the workbook's ``benchmarks.rules_of_thumb_per_rep_month``, where a band set for any rule also overrides
    the catalog's for that workbook."""
    catalog = catalog or load_catalog()
    bands = {rule: catalog.get(m).benchmark.band for rule, m in RULES_OF_THUMB.items()
             if m is not None and catalog.get(m).benchmark is not None}
    override = ds.settings.benchmarks.get("rules_of_thumb_per_rep_month") or {}
    bands.update({rule: (float(band[0]), float(band[1])) for rule, band in override.items() if rule in RULES_OF_THUMB})
    return bands


def rules_of_thumb(ds: Dataset, period: str | Period, *, team: bool = True,
                   catalog: Catalog | None = None) -> pd.DataFrame:
    """Each rep against Scott Cowley's bare-minimum rules of thumb (bands: :func:`rule_bands`).

    Rates are per rep per month: a quarter's counts over rep-months elapsed by the report date (catalog
    metrics leads_per_rep, opportunities_per_rep, deals_won_per_rep); final-stage deals are the ones open
    now, per rep.

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date.
    period : str or Period
        Fiscal quarter.
    team : bool
        Add one row per district for all its reps together (owner ``"All reps"``).
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.DataFrame
        One row per rep and rule: ``owner, rule, label, metric, actual, low, high, status`` (below |
        within | above | not available) and ``note`` (the "not available: needs ..." reason, else empty).
    """
    bands = rule_bands(ds, catalog)
    rules = {k: v for k, v in RULES_OF_THUMB.items() if k in bands}
    metrics = [m for m in rules.values() if m is not None]
    wide = compute_wide(metrics, ds, period, by="owner", catalog=catalog)
    unavailable = dict(wide.attrs.get("unavailable", {}))
    label = wide.attrs.get("period", str(period))
    if team:
        district = compute_wide(metrics, ds, period, by="district", catalog=catalog)
        many = len(district) > 1
        district.index = ["All reps" + (f" ({d})" if many else "") for d in district.index]
        wide = pd.concat([wide, district])
    wide = wide.reindex(columns=metrics)
    wide.index.name = "owner"
    rule_frame = pd.DataFrame({"rule": list(rules), "metric": list(rules.values())})
    out = (wide.reset_index().melt(id_vars="owner", var_name="metric", value_name="actual")
           .merge(rule_frame, on="metric", how="right"))
    missing = out["rule"].isin([r for r, m in rules.items() if m is None])
    if missing.any():  # rules with no metric: one row per owner
        owners = pd.Series(wide.index, name="owner")
        extra = pd.merge(owners, rule_frame[rule_frame["metric"].isna()], how="cross")
        out = pd.concat([out[~missing], extra.assign(actual=np.nan)], ignore_index=True)
    out["low"] = out["rule"].map({r: float(bands[r][0]) for r in rules}).astype("float64")
    out["high"] = out["rule"].map({r: float(bands[r][1]) for r in rules}).astype("float64")
    out["label"] = out["rule"].map(_RULE_LABELS).fillna(out["rule"])
    notes = {m: unavailable[m] for m in metrics if m in unavailable}
    out["note"] = out["metric"].map(notes).astype("str").fillna("")
    out.loc[out["metric"].isna(), "note"] = _NO_SUSPECTS
    out["status"] = np.select([out["actual"] < out["low"], out["actual"] > out["high"], out["actual"].notna()],
                              ["below", "above", "within"], "not available")
    order = {r: i for i, r in enumerate(rules)}
    out = (out.assign(_o=out["owner"].str.startswith("All reps"), _r=out["rule"].map(order))
           .sort_values(["_o", "owner", "_r"], kind="stable").reset_index(drop=True))
    out = out[["owner", "rule", "label", "metric", "actual", "low", "high", "status", "note"]]
    out.attrs = {"unavailable": unavailable, "period": label}
    return out


# -- the notebook's tables (01_activity_ratios) ------------------------------------------------------------
_LEVEL_HEADERS = {"owner": "Rep", "region": "Region", "territory": "Territory", "district": "District"}


def _as_columns(table: pd.DataFrame) -> pd.DataFrame:
    """The group index turned into leading columns named as reports name them (owner -> Rep)."""
    attrs = dict(table.attrs)
    out = table.reset_index()
    out = out.rename(columns={c: _LEVEL_HEADERS.get(str(c), str(c)) for c in out.columns[: table.index.nlevels]})
    out.attrs = attrs
    return out


def _metric_table(columns: dict[str, str], ds: Dataset, period: str | Period, by: str | Sequence[str], total: bool,
                  keep: Sequence[str], catalog: Catalog | None) -> pd.DataFrame:
    """Catalog metrics per group (plus the Total row), the ``keep`` metrics renamed by ``columns``, with the
    groups as leading columns. The inputs of the ratios are computed too, so the Total is a ratio of sums."""
    catalog = catalog or load_catalog()
    wide = compute_wide(list(columns), ds, period, by=by, catalog=catalog)
    if "owner" in group_levels(by):
        note_reps_without_territory(ds, period)
    attrs = dict(wide.attrs)
    if total and len(wide):
        wide = _append_total(wide, catalog)
    table = wide[[m for m in keep if m in wide.columns]].rename(columns=columns)
    table.attrs = attrs
    return _as_columns(table)


def activity_counts(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "owner", total: bool = True,
                    catalog: Catalog | None = None) -> pd.DataFrame:
    """InsightSquared's "Number of Activities": activities by type per rep, and the opportunities and deals they led to.

    Parameters
    ----------
    ds : Dataset
        The data, as of the report date.
    period : str or Period
        Fiscal quarter: activities dated in it, opportunities created in it, deals won (closed) in it.
    by : str or sequence of str
        Grouping: reps (``owner``, the default), or e.g. ``("region", "owner")``.
    total : bool
        Append the Total row (column sums), labelled ``"Total: <rows>"``.
    catalog : Catalog, optional
        The metric catalog; the packaged one by default.

    Returns
    -------
    pandas.DataFrame
        Leading group column(s) (``Rep``), then counts in :data:`COUNT_COLUMNS` order (Dials, Connects,
        Emails, Meetings booked, Meetings held, Opps created, Deals won). Metrics the data cannot give are
        left out and listed in ``attrs["unavailable"]``.
    """
    return _metric_table(COUNT_COLUMNS, ds, period, by, total, list(COUNT_COLUMNS), catalog)


def activity_chain(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "owner", total: bool = True,
                   catalog: Catalog | None = None) -> pd.DataFrame:
    """The activity chain as N:1 ratios per rep (InsightSquared): Dial:Connect, Connect:Meeting, Meeting:Opportunity,
    Dial:Opportunity, Opportunity:Deal and Dial:Deal, with a Total row that is a ratio of the column sums.

    Returns
    -------
    pandas.DataFrame
        Leading group column(s) (``Rep``), then the ratios (activities per one result, plain numbers such as
        11.8; NaN where the rep has no result yet), named by metric in :data:`CHAIN_COLUMNS` order:
        :meth:`quotabook.notebook.Report.table` heads and formats them from the catalog ("Dial:Connect", "12:1").
    """
    inputs = {m: m for m in ("dial_count", "connect_count", "meeting_booked_count", "opportunity_count", "won_count")}
    return _metric_table({**inputs, **CHAIN_COLUMNS}, ds, period, by, total, list(CHAIN_COLUMNS), catalog)


def _reference(ds: Dataset) -> tuple[dict[str, float], str]:
    ref = dict(ds.settings.benchmarks.get("activity_ratio_reference") or {})
    source = str(ref.pop("source", ""))
    return {k: float(v) for k, v in ref.items() if k in CHAIN_COLUMNS}, source


def chain_vs_reference(ds: Dataset, period: str | Period, *, catalog: Catalog | None = None) -> pd.DataFrame:
    """The team's activity chain against InsightSquared's example SDR team (workbook
    ``benchmarks.activity_ratio_reference``: 12:1 Dial:Connect, 206:1 Dial:Opportunity, 6:1 Opportunity:Deal,
    1,155:1 Dial:Deal). The guide gives no figure for Connect:Meeting or Meeting:Opportunity.

    Every ratio counts activities per result, so lower is better; ``Team ÷ example`` is the team's ratio over
    the reference (1.0 = the same, 2.0 = twice the activity per result).

    Returns
    -------
    pandas.DataFrame
        Indexed by metric, one row per ratio of :data:`CHAIN_COLUMNS`: ``Step`` (catalog label), ``Team`` (the Total
        row's ratio), ``Example team`` (NaN where none), ``Team ÷ example``, ``Reading`` ("better" |
        "on a par" (within :data:`ON_A_PAR`) | "worse" | "no reference" | "no data") and ``Coach on``
        (:data:`COACHING`); format with
        :data:`REFERENCE_UNITS`. ``attrs["source"]`` names the reference.
    """
    catalog = catalog or load_catalog()
    chain = activity_chain(ds, period, catalog=catalog)
    reference, source = _reference(ds)
    team = chain.iloc[-1] if len(chain) else pd.Series(dtype="float64")
    rows = []
    for metric, header in CHAIN_COLUMNS.items():
        actual = float(team[header]) if header in team.index and pd.notna(team[header]) else np.nan
        ref = reference.get(metric, np.nan)
        reading = ("no data" if np.isnan(actual) else "no reference" if np.isnan(ref)
                   else "on a par" if abs(actual / ref - 1) <= ON_A_PAR else "better" if actual < ref else "worse")
        rows.append({"metric": metric, "Step": catalog.get(metric).label, "Team": actual, "Example team": ref,
                     "Team ÷ example": actual / ref if ref else np.nan, "Reading": reading,
                     "Coach on": COACHING[metric]})
    out = pd.DataFrame(rows).set_index("metric")
    out.attrs = {**chain.attrs, "source": source}
    return out


def weakest_steps(ds: Dataset, period: str | Period, *, catalog: Catalog | None = None) -> pd.DataFrame:
    """Each rep's weakest link of the activity chain against the team (InsightSquared: "is one rep falling short in
    one specific area?").

    For each consecutive link (:data:`CHAIN_STEPS`) the rep's ratio is set against the team's (the Total row):
    ``Rep ÷ team`` = rep ratio / team ratio, so 2.0 means twice the activity per result. A link where the rep
    has activity but no result yet (connects but no meeting) counts as infinitely weak. Links where the rep
    has no activity at all are skipped.

    Returns
    -------
    pandas.DataFrame
        One row per rep with any activity, weakest first: ``Rep, Step, Rep ratio, Team ratio`` (activities
        per result), ``Rep ÷ team`` (multiple; inf when no result yet) and ``Coach on``; format with
        :data:`WEAKEST_UNITS` (an infinite multiple shows as "–").
    """
    catalog = catalog or load_catalog()
    names = [n for m in CHAIN_STEPS for n in (catalog.get(m).numerator, catalog.get(m).denominator)]
    wide = compute_wide(list(dict.fromkeys([*names, *CHAIN_STEPS])), ds, period, by="owner", catalog=catalog)
    columns = ["Rep", "Step", "Rep ratio", "Team ratio", "Rep ÷ team", "Coach on"]
    if not set(CHAIN_STEPS) <= set(wide.columns) or wide.empty:
        out = pd.DataFrame({c: pd.Series(dtype="float64") for c in columns})
        out.attrs = dict(wide.attrs)
        return out
    team = total_row(wide, catalog)
    parts = []
    for metric in CHAIN_STEPS:
        num, den = wide[catalog.get(metric).numerator], wide[catalog.get(metric).denominator]
        ratio = num / den.where(den > 0)
        vs = (ratio / team[metric]).where(den > 0, np.where(num > 0, np.inf, np.nan))
        parts.append(pd.DataFrame({"Rep": wide.index, "metric": metric, "Step": catalog.get(metric).label,
                                   "Rep ratio": ratio.to_numpy(), "Team ratio": team[metric],
                                   "Rep ÷ team": vs.to_numpy(), "Coach on": COACHING[metric]}))
    links = pd.concat(parts, ignore_index=True).dropna(subset=["Rep ÷ team"])
    order = {m: i for i, m in enumerate(CHAIN_STEPS)}
    links = links.assign(_o=links["metric"].map(order)).sort_values(["Rep", "Rep ÷ team", "_o"],
                                                                    ascending=[True, False, True], kind="stable")
    out = links.drop_duplicates("Rep").sort_values("Rep ÷ team", ascending=False, kind="stable")
    out = out[columns].reset_index(drop=True)
    out.attrs = dict(wide.attrs)
    return out


def goal_gaps(goals: pd.DataFrame, progress: float = 1.0) -> pd.DataFrame:
    """The activity goals a rep is behind on, from :func:`goals_vs_results`, for a table.

    In a quarter still running a goal is set against the share of the quarter elapsed (``progress``, 0–1):
    a rep at 45% of a dial goal with half the quarter gone is behind pace, at 55% on pace.

    Returns
    -------
    pandas.DataFrame
        ``Rep, Activity, Done, Goal`` (counts), ``Attainment`` (share of the whole goal), ``Expected by now``
        (share, = progress), ``Short by`` (activities behind pace), worst first; empty when every rep is on
        pace. ``attrs["on_pace"]`` counts the goals on pace, ``attrs["goals"]`` all goals.
    """
    progress = float(min(max(progress, 0.0), 1.0))
    expected = goals["goal"] * progress
    behind = goals[goals["actual"] < expected - 1e-9]
    out = pd.DataFrame({
        "Rep": behind["owner"], "Activity": behind["type"].map(TYPE_LABELS).fillna(behind["type"]),
        "Done": behind["actual"], "Goal": behind["goal"], "Attainment": behind["attainment"],
        "Expected by now": progress, "Short by": (expected - behind["actual"]).loc[behind.index],
    })
    out = out.assign(_pace=out["Attainment"] / progress if progress else 0.0)
    out = out.sort_values(["_pace", "Rep"], kind="stable").drop(columns="_pace").reset_index(drop=True)
    out.attrs = {**goals.attrs, "on_pace": len(goals) - len(behind), "goals": len(goals)}
    return out


#: How :func:`chain_vs_reference` and :func:`weakest_steps` columns are formatted.
REFERENCE_UNITS = {"Team": "n_to_1", "Example team": "n_to_1", "Team ÷ example": "ratio"}
WEAKEST_UNITS = {"Rep ratio": "n_to_1", "Team ratio": "n_to_1", "Rep ÷ team": "ratio"}
#: How :func:`goal_gaps` columns are formatted.
GAP_UNITS = {"Done": "count", "Goal": "count", "Attainment": "percent", "Expected by now": "percent",
             "Short by": "count"}


def rules_table(rules: pd.DataFrame) -> pd.DataFrame:
    """:func:`rules_of_thumb` as one row per rep (and the team) and one column per rule, for a table.

    Cells read "6.5 (below)": the rate per rep per month (final-stage deals: open now, per rep) with one
    decimal and where it stands against Scott Cowley's band; the last row gives the bands. Rules the data
    cannot measure (suspects added) are left out; ``attrs["notes"]`` keeps their reason.
    """
    shown = rules[rules["status"] != "not available"]
    notes = sorted(set(rules.loc[rules["status"] == "not available", "note"]) - {""})
    if shown.empty:
        out = pd.DataFrame({"Rep": pd.Series(dtype="str")})
        out.attrs = {"notes": notes}
        return out
    marks = {"below": " (below)", "above": " (above)", "within": ""}
    text = fmt.count(shown["actual"], 1) + shown["status"].map(marks).fillna("")
    cell = shown.assign(text=text.to_numpy())
    order = list(dict.fromkeys(cell["owner"]))
    rule_order = [r for r in _RULE_HEADERS if r in set(cell["rule"])]
    table = cell.pivot(index="owner", columns="rule", values="text").reindex(index=order, columns=rule_order)
    bands = cell.drop_duplicates("rule").set_index("rule")
    band_text = (fmt.count(bands["low"], 0) + "–" + fmt.count(bands["high"], 0)).where(bands["low"] != bands["high"],
                                                                                     fmt.count(bands["low"], 0))
    table.loc["Rule of thumb (Scott Cowley)"] = band_text.reindex(rule_order)
    table = table.rename(columns=_RULE_HEADERS).fillna(fmt.MISSING)
    table.columns.name = None
    table.index.name = "Rep"
    out = table.reset_index()
    out.attrs = {"notes": notes, "period": rules.attrs.get("period")}
    return out


def weekly_activity(ds: Dataset, period: str | Period, *, catalog: Catalog | None = None) -> pd.DataFrame:
    """Dials, connects and meetings booked per week of the quarter, and Dial:Connect per week.

    Week 1 is the quarter's first seven days, week 2 the next seven, and so on. Only whole weeks complete by
    the report date are listed: the one or two days after week 13 and a week still under way would read as
    dips. The counts are the catalog metrics grouped by week (activities by activity date; opportunities,
    which the grouping also lists, by creation date).

    Returns
    -------
    pandas.DataFrame
        ``week`` (1, 2, ...), ``week_start`` (Timestamp), ``dial_count, connect_count, meeting_booked_count``
        (counts) and ``dial_to_connect`` (N:1, NaN in a week without connects).
    """
    p = ds.period(period)
    names = ["dial_count", "connect_count", "meeting_booked_count", "dial_to_connect"]
    n_weeks = (p.end - p.start).days // 7

    def week(dates: pd.Series) -> pd.Series:
        number = (dates - p.start).dt.days // 7 + 1
        return number.where(p.contains(dates) & (number <= n_weeks)).astype("Float64")

    a, o = ds.activities, ds.opportunities
    store = None if ds.activity_store is None else ds.activity_store.derive("week", week)
    weekly = replace(ds, activities=a.assign(week=week(a["activity_date"])), activity_store=store,
                     opportunities=o.assign(week=week(o["created_date"])))
    wide = compute_wide(names, weekly, p, by="week", catalog=catalog)
    attrs = dict(wide.attrs)
    today_end = ds.reference_date.normalize() + pd.Timedelta(days=1)
    complete = [w for w in range(1, n_weeks + 1) if p.start + pd.Timedelta(days=7 * w) <= today_end]
    index = pd.Index([float(w) for w in complete], name="week")
    out = wide.reindex(index) if len(wide) else pd.DataFrame(index=index, columns=names, dtype="float64")
    for name in ("dial_count", "connect_count", "meeting_booked_count"):
        if name in out:
            out[name] = out[name].astype("float64").fillna(0.0)
    out = out.reset_index()
    out["week"] = out["week"].astype("int64")
    out.insert(1, "week_start", p.start + pd.to_timedelta(7 * (out["week"] - 1), unit="D"))
    out.attrs = attrs
    return out
