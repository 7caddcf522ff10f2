"""Won / lost views (InsightSquared, Scott Cowley): the breakdown tables behind "sales results".

Each function takes the Dataset (already as of the report date and sliced to the region) and a fiscal
quarter or a range of quarters (``first`` .. ``last`` inclusive) and returns a tidy DataFrame. Every
figure that is a catalog metric (won_count, closed_amount, win_rate, average_deal_size, target_amount,
attainment, sales_cycle_days, ...) comes from :func:`quotabook.metrics.compute`; the views only choose the
grouping (quarter, loss reason, deal-size band, rep) and add shares and labels. Over a range of quarters
the metrics are computed once over the whole window, so a deal is never counted twice.

``result.attrs["unavailable"]`` maps a metric (or view) to a "not available: needs ..." note when the data
lacks what it needs; ``result.attrs["period"]`` names the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...errors import MetricUnavailable
from ...fiscal import Period
from ...metrics import compute, compute_wide, load_catalog
from ...metrics import format as fmt
from ...metrics.compute import group_levels
from ...notes import note_reps_without_territory

__all__ = ["bookings_trend", "closed_vs_goals", "customers_over_time", "lost_by_reason", "quarter_in_progress",
           "sales_cycle_by_rep", "trailing_window", "win_rate_by_deal_size", "win_rate_over_time"]

NO_REASON = "(no reason given)"
BAND_COLUMN = "deal_size_band"


# -- periods -------------------------------------------------------------------------------------
def _quarters(ds: Dataset, first: str | Period, last: str | Period | None) -> list[Period]:
    """Every fiscal quarter from ``first`` to ``last`` (``first`` alone when ``last`` is None)."""
    return ds.calendar.range(first, first if last is None else last)


def _window(ds: Dataset, first: str | Period, last: str | Period | None) -> Period:
    """One period covering ``first`` .. ``last``: the quarter itself, or a span labelled ``first..last``."""
    quarters = _quarters(ds, first, last)
    if len(quarters) == 1:
        return quarters[0]
    return Period(f"{quarters[0].label}..{quarters[-1].label}", quarters[0].start, quarters[-1].end)


def _with_attrs(frame: pd.DataFrame, period: str, unavailable: dict[str, str]) -> pd.DataFrame:
    frame.attrs = {"unavailable": dict(unavailable), "period": period}
    return frame


def _wide_over_quarters(names: list[str], ds: Dataset, quarters: list[Period], by: list[str]) -> pd.DataFrame:
    """compute_wide per quarter, stacked with a leading ``period`` column (the quarter label)."""
    frames, unavailable = [], {}
    for q in quarters:  # one compute per quarter, never per row
        wide = compute_wide(names, ds, q, by=by)
        unavailable.update(wide.attrs.get("unavailable", {}))
        frames.append(wide.reset_index().assign(period=q.label))
    out = pd.concat(frames, ignore_index=True)
    cols = ["period", *by, *[n for n in names if n in out.columns]]
    label = quarters[0].label if len(quarters) == 1 else f"{quarters[0].label}..{quarters[-1].label}"
    return _with_attrs(out[cols], label, unavailable)


# -- views ---------------------------------------------------------------------------------------
def win_rate_over_time(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                       by: str | Sequence[str] = "district") -> pd.DataFrame:
    """Win rate by close-date quarter: is the team converting more or less of what it closes? (InsightSquared)

    Deals are cohorted by close date, so open deals never drag the rate down and a quarter's rate is
    final once the quarter ends.

    Parameters
    ----------
    ds : the dataset.
    first, last : first and last fiscal quarter of the range (``last`` None: ``first`` only).
    by : grouping level(s) within each quarter; the district total by default.

    Returns
    -------
    DataFrame
        One row per quarter and group: ``period``, the ``by`` levels, ``won_count``, ``lost_count``,
        ``closed_count`` (deals), ``win_rate`` (share 0-1, NaN when nothing closed), ``closed_amount`` and
        ``lost_amount`` (reporting currency).
    """
    names = ["won_count", "lost_count", "closed_count", "win_rate", "closed_amount", "lost_amount"]
    return _wide_over_quarters(names, ds, _quarters(ds, first, last), group_levels(by))


def bookings_trend(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                   by: str | Sequence[str] = "district") -> pd.DataFrame:
    """Bookings by close-date quarter: are we booking more, and larger, deals over time? (InsightSquared)

    Returns
    -------
    DataFrame
        One row per quarter and group: ``period``, the ``by`` levels, ``won_count`` (deals),
        ``closed_amount`` (bookings, reporting currency) and ``average_deal_size`` (reporting currency per
        won deal, NaN when nothing was won).
    """
    names = ["won_count", "closed_amount", "average_deal_size"]
    return _wide_over_quarters(names, ds, _quarters(ds, first, last), group_levels(by))


def lost_by_reason(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                   by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Lost deals by loss reason over the window: which objections cost the most deals? (InsightSquared)

    Lost deals without a reason are shown as ``"(no reason given)"``. When the source has no loss reasons
    at all the table is empty and ``attrs["unavailable"]["lost_by_reason"]`` says what is needed.

    Parameters
    ----------
    by : optional level(s) (e.g. ``"owner"``, ``"region"``) to break reasons down by; shares are then
        within each group.

    Returns
    -------
    DataFrame
        The ``by`` levels, ``loss_reason``, ``lost_count`` (deals), ``lost_amount`` (reporting currency),
        ``count_share`` and ``amount_share`` (shares 0-1 of the group's lost deals and lost value); most
        frequent reason first.
    """
    levels = group_levels(by)
    window = _window(ds, first, last)
    cols = [*levels, "loss_reason", "lost_count", "lost_amount", "count_share", "amount_share"]
    o = ds.opportunities
    if "loss_reason" not in o or o["loss_reason"].isna().all():
        note = str(MetricUnavailable("lost_by_reason", ["column opportunities.loss_reason"]))
        return _with_attrs(pd.DataFrame(columns=cols), window.label, {"lost_by_reason": note})
    lost = o["is_closed"].fillna(False).astype(bool) & ~o["is_won"].fillna(False).astype(bool)
    reason = o["loss_reason"].where(~(lost & o["loss_reason"].isna()), NO_REASON)
    wide = compute_wide(["lost_count", "lost_amount"], replace(ds, opportunities=o.assign(loss_reason=reason)),
                        window, by=[*levels, "loss_reason"])
    unavailable = wide.attrs.get("unavailable", {})
    wide = wide.reset_index().loc[lambda d: d["lost_count"] > 0]
    group = [wide[level] for level in levels] or [pd.Series(0, index=wide.index)]
    totals = wide[["lost_count", "lost_amount"]].groupby(group).transform("sum")
    wide = wide.assign(count_share=wide["lost_count"] / totals["lost_count"],
                       amount_share=wide["lost_amount"] / totals["lost_amount"].where(totals["lost_amount"] != 0))
    wide = wide.sort_values([*levels, "lost_count", "lost_amount", "loss_reason"],
                            ascending=[True] * len(levels) + [False, False, True], kind="stable")
    return _with_attrs(wide[cols].reset_index(drop=True), window.label, unavailable)


def size_band_edges(amounts: pd.Series, quantiles: int = 4) -> np.ndarray:
    """Deal-size band edges (reporting currency) at the quantiles of ``amounts``: ``[0, q1, ..., inf]``.

    Repeated quantiles (many deals of one size) collapse into one edge, so there may be fewer bands.
    """
    inner = np.quantile(amounts.dropna().to_numpy(dtype="float64"), np.linspace(0, 1, quantiles + 1)[1:-1]) \
        if amounts.notna().any() else np.array([])
    return np.unique(np.concatenate([[0.0], inner[inner > 0], [np.inf]]))


def _band_labels(edges: np.ndarray, currency: str) -> list[str]:
    """One label per band (a handful) in the reports' money format, e.g. ``"$10K–$50K"`` and ``"$50K+"``."""
    return [f"{fmt.currency(lo, currency)}+" if np.isinf(hi)
            else f"{fmt.currency(lo, currency)}–{fmt.currency(hi, currency)}" for lo, hi in pairwise(edges)]


def win_rate_by_deal_size(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                          edges: Sequence[float] | None = None, quantiles: int = 4,
                          by: str | Sequence[str] = "district") -> pd.DataFrame:
    """Win rate by deal-size band over the window: where in deal size do we win? (InsightSquared)

    Each band's metrics come from ``compute`` on the band's deals at a geographic level (``by``), which
    lists every group with zeros, so a band with only won or only lost deals still gets its win rate.

    Parameters
    ----------
    edges : band edges in the reporting currency, ascending (e.g. ``[0, 10_000, 50_000, inf]``); a band
        holds amounts ``>= low`` and ``< high``. By default the quantiles of the amounts of the deals
        closed in the window (``quantiles`` bands, fewer when quantiles repeat).
    by : geographic level(s) (``district``, ``region``, ``territory``, ``owner``) within each band.

    Returns
    -------
    DataFrame
        One row per band and group, smallest band first: ``deal_size_band`` (ordered label in the reporting
        currency), ``band_low`` and ``band_high`` (reporting currency), the ``by`` levels, ``won_count``,
        ``lost_count``, ``closed_count`` (deals), ``win_rate`` (share 0-1, NaN where nothing closed) and
        ``closed_amount`` (won value, reporting currency). ``attrs["unplaced"]``: how many deals closed in
        the window (``{"won": n, "lost": n}``) had no amount (blank or 0) and so sit in no band.
    """
    window = _window(ds, first, last)
    levels = group_levels(by)
    bands = None if edges is None else tuple(float(edge) for edge in edges)
    # The findings and the chart ask for the same bands. Each band is computed on a dataset built here, which
    # the pack's metric cache cannot key, so the result is kept with ``ds`` instead; every caller gets a copy.
    key = ("win_rate_by_deal_size", window.label, window.start, window.end, bands, quantiles, tuple(levels))
    return ds.derive(key, lambda: _win_rate_by_deal_size(ds, window, levels, bands, quantiles)).copy()


def _win_rate_by_deal_size(ds: Dataset, window: Period, levels: list[str], edges: tuple[float, ...] | None,
                           quantiles: int) -> pd.DataFrame:
    o = ds.opportunities
    closed = o["is_closed"].fillna(False).astype(bool) & window.contains(o["close_date"])
    # A deal recorded at amount 0 (or none) has no size: many CRMs zero a lost deal's amount. Placed in the
    # lowest band it would make that band's win rate say something about bookkeeping, not about size.
    sized = o["amount"].astype("float64") > 0
    if edges is None:
        bounds = size_band_edges(o.loc[closed & sized, "amount"], quantiles)
    else:
        bounds = np.asarray(edges, dtype="float64")
    labels = _band_labels(bounds, ds.currency)
    band = pd.cut(o["amount"].where(sized), bounds, right=False, labels=range(len(labels))).astype("float64")
    won = o["is_won"].fillna(False).astype(bool)
    unplaced = {"won": int((closed & ~sized & won).sum()), "lost": int((closed & ~sized & ~won).sum())}
    names = ["won_count", "lost_count", "closed_count", "win_rate", "closed_amount"]
    frames, unavailable = [], {}
    for i, label in enumerate(labels):  # one compute per band (a handful), never per row
        wide = compute_wide(names, replace(ds, opportunities=o[band == i]), window, by=levels)
        unavailable.update(wide.attrs.get("unavailable", {}))
        frames.append(wide.reset_index().assign(**{BAND_COLUMN: label, "band_low": bounds[i],
                                                   "band_high": bounds[i + 1]}))
    out = pd.concat(frames, ignore_index=True)
    out[BAND_COLUMN] = pd.Categorical(out[BAND_COLUMN], categories=labels, ordered=True)
    cols = [BAND_COLUMN, "band_low", "band_high", *levels, *[n for n in names if n in out]]
    out = _with_attrs(out[cols], window.label, unavailable)
    out.attrs["unplaced"] = unplaced
    return out


def sales_cycle_by_rep(ds: Dataset, first: str | Period, last: str | Period | None = None) -> pd.DataFrame:
    """Sales cycle of each rep's won deals over the window: who moves deals fastest? (InsightSquared)

    Returns
    -------
    DataFrame
        One row per rep (``owner``): ``won_count`` (deals), ``sales_cycle_days`` (mean days from creation
        to close of the deals won in the window) and ``median_sales_cycle_days`` (days); NaN for a rep with
        no won deal.
    """
    window = _window(ds, first, last)
    names = ["won_count", "sales_cycle_days", "median_sales_cycle_days"]
    wide = compute_wide(names, ds, window, by="owner")
    note_reps_without_territory(ds, window)
    return _with_attrs(wide.reset_index(), window.label, wide.attrs.get("unavailable", {}))


def closed_vs_goals(ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "owner") -> pd.DataFrame:
    """Each rep's bookings against target, in count and value, for one fiscal quarter (InsightSquared).

    The value goal is the bookings target (``targets``, through each rep's territory). For the count,
    ``deals_needed`` answers InsightSquared's "how many deals does the rep still need to book to hit the goal?":
    the remaining gap over the rep's average deal size of the quarter (the average of all reps in view when
    the rep has won nothing), rounded up; and ``rule_of_thumb_low`` / ``_high`` give Scott Cowley's 6-8 won
    deals per rep per month over the quarter's three months.

    Returns
    -------
    DataFrame
        One row per rep: ``won_count`` (deals), ``closed_amount``, ``target_amount``, ``gap`` (reporting
        currency), ``attainment`` (share of target, may exceed 1; NaN without target),
        ``average_deal_size`` (reporting currency), ``deals_needed``, ``rule_of_thumb_low``,
        ``rule_of_thumb_high`` (deals).
    """
    quarter = ds.period(period)
    levels = group_levels(by)
    names = ["won_count", "closed_amount", "target_amount", "gap", "attainment", "average_deal_size"]
    long = compute(names, ds, quarter, by=levels)
    wide = long.set_index([*levels, "metric"])["value"].unstack("metric")
    wide = wide.reindex(columns=[n for n in names if n in set(long["metric"])])
    if "average_deal_size" in wide and "gap" in wide:
        ads = long[long["metric"] == "average_deal_size"]
        overall = ads["numerator"].sum() / ads["denominator"].sum() if ads["denominator"].sum() else np.nan
        size = wide["average_deal_size"].fillna(overall)
        wide["deals_needed"] = np.ceil(wide["gap"].clip(lower=0) / size.where(size > 0))
    benchmark = load_catalog().get("deals_won_per_rep").benchmark  # Scott Cowley's deals won per rep per month
    rule = benchmark.band if benchmark else None
    months = (quarter.end.year - quarter.start.year) * 12 + quarter.end.month - quarter.start.month
    if rule:
        wide["rule_of_thumb_low"] = float(rule[0]) * months
        wide["rule_of_thumb_high"] = float(rule[1]) * months
    wide.columns.name = None
    return _with_attrs(wide.reset_index(), quarter.label, long.attrs.get("unavailable", {}))


# -- windows for trends, and customers -----------------------------------------------------------------------
def trailing_window(ds: Dataset, period: str | Period, quarters: int = 4) -> tuple[str, str]:
    """(first, last) quarter labels of the ``quarters`` fiscal quarters ending with ``period``, starting no
    earlier than the quarter of the first close date in the data, so a trend never opens on empty quarters.

    InsightSquared reads won/lost results over the previous twelve months: four quarters is the default.
    """
    last = ds.period(period)
    first = ds.calendar.shift(last, -(quarters - 1))
    closes = ds.opportunities["close_date"].dropna()
    if len(closes):
        earliest = ds.calendar.period_of(closes.min())
        if earliest.start > first.start:  # the data starts later: open on its first quarter (never after last)
            first = earliest if earliest.start <= last.start else last
    return first.label, last.label


def quarter_in_progress(ds: Dataset, period: str | Period) -> str | None:
    """The label of the quarter of ``period`` still running at the report date (its figures are to date,
    marked so in the quarterly charts), else None: a finished or not yet started quarter is never "to date".
    For a half or a year, the running quarter inside it."""
    p, ref = ds.period(period), ds.reference_date
    current = ds.calendar.period_of(ref)
    inside = p.start <= current.start and current.end <= p.end
    return current.label if inside and current.state(ref).running else None


def customers_over_time(ds: Dataset, first: str | Period, last: str | Period | None = None, *,
                        by: str | Sequence[str] = "district") -> pd.DataFrame:
    """Customers and revenue run rate by quarter: is the customer base and the bookings pace growing?
    (Scott Cowley)

    Customers are distinct accounts with a won deal (they need ``opportunities.account_id``); the run rate
    is the won amount of the three months ending with each quarter (with the report date while it runs)
    × 4. A figure the data cannot give is left out and named in ``attrs["unavailable"]``.

    Returns
    -------
    DataFrame
        One row per quarter and group: ``period``, the ``by`` levels, ``customer_count`` (accounts won up to
        the quarter's end), ``new_customer_count`` (accounts first won in the quarter) and
        ``run_rate_revenue`` (reporting currency per year).
    """
    names = ["customer_count", "new_customer_count", "run_rate_revenue"]
    return _wide_over_quarters(names, ds, _quarters(ds, first, last), group_levels(by))
