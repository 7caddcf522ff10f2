"""Activity views (seed 004 chapter 1, seed 002): the tables behind "are the reps doing the right work?".

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

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..fiscal import Period
from ..metrics import compute_wide
from ..metrics import format as fmt
from ..metrics.catalog import Catalog, load_catalog

__all__ = ["EFFICIENCY_COLUMNS", "RULES_OF_THUMB", "activity_efficiency", "goals_vs_results", "rules_of_thumb",
           "total_row"]

# Seed 004's SDR table: metric -> column header.
EFFICIENCY_COLUMNS = {
    "dial_count": "Dials", "connect_count": "Connects", "opportunity_count": "Opps", "won_count": "Deals",
    "dial_to_connect": "Dial:Connect", "dial_to_opportunity": "Dial:Opp", "opportunity_to_deal": "Opp:Deal",
    "dial_to_deal": "Dial:Deal",
}
# Seed 002's rules of thumb (keys of benchmarks.rules_of_thumb_per_rep_month) -> catalog metric (None: the
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
_NO_SUSPECTS = "not available: needs suspects (contacts targeted by outbound), which the canonical data does not hold"


def _levels(by: str | Sequence[str]) -> list[str]:
    return [by] if isinstance(by, str) else list(by)


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


def activity_efficiency(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "owner", total: bool = True,
                        formatted: bool = False, catalog: Catalog | None = None) -> pd.DataFrame:
    """Seed 004's SDR table: Dials, Connects, Opps, Deals and the ratios Dial:Connect, Dial:Opp, Opp:Deal,
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
        Append the Total row, labelled ``"Total: <number of rows>"`` as the seed labels it.
    formatted : bool
        Return text as the seed prints it: counts with thousands separators ("15,013") and ratios as N:1
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
        label = f"Total: {len(wide)}"
        row = total_row(wide, catalog).to_frame(label).T
        if isinstance(wide.index, pd.MultiIndex):
            row.index = pd.MultiIndex.from_tuples([(label,) + ("",) * (wide.index.nlevels - 1)],
                                                  names=wide.index.names)
        else:
            row.index.name = wide.index.name
        wide = pd.concat([wide, row])
    table = wide.rename(columns=EFFICIENCY_COLUMNS)
    if _levels(by) == ["owner"]:
        table.index.name = "Rep"
    if formatted:
        units = {EFFICIENCY_COLUMNS[n]: catalog.get(n).unit for n in wide.columns}
        table = fmt.format_frame(table, units)
    table.attrs = attrs
    return table


def goals_vs_results(ds: Dataset, period: str | Period, *, catalog: Catalog | None = None) -> pd.DataFrame:
    """Activity results against goals per rep and activity type (seed 004: "is one rep falling short in one
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


def rules_of_thumb(ds: Dataset, period: str | Period, *, team: bool = True,
                   catalog: Catalog | None = None) -> pd.DataFrame:
    """Each rep against seed 002's bare-minimum rules of thumb (bands in ``params/workbook.yaml``,
    ``benchmarks.rules_of_thumb_per_rep_month``).

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
    bands = ds.settings.benchmarks.get("rules_of_thumb_per_rep_month", {})
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
