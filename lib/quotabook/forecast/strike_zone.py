"""The strike zone (InsightSquared): win rate and expected value by deal size × deal age, used to score open deals.

Learned from the deals closed by the dataset's date. A closed deal counts in its size band and in every
age band it lived through while open (a deal lost at 75 days counts for 0-29, 30-59 and 60-89 days), so a
cell answers "of the deals this size still open at this age, how many were won?" — the question an open
deal of that size and age asks. As for the learned forecast rates, each deal weighs by the days it spent in
the cell (a deal seen open on a given day is more often one that lingers). Size bands are the quartiles of
closed amounts, rounded to two significant figures. Expected value per deal = cell win rate × average
amount of the cell's deals.

An open deal's score is its own amount × its cell's win rate; a deal is *in the strike zone* when its
cell wins at least as often as closed deals overall.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..metrics import format as fmt
from ..metrics.forecasting.deals import flag
from ..metrics.forecasting.learning import AGE_LABELS, age_band, passed_bands

__all__ = ["score_open_deals", "size_bands", "strike_zone"]

_DAY = pd.Timedelta(days=1)


def _round2(x: float) -> float:
    if x <= 0 or not np.isfinite(x):
        return 0.0
    digits = 1 - int(np.floor(np.log10(x)))
    return float(round(x, digits))


def size_bands(amounts: pd.Series) -> list[float]:
    """Inner edges of the size bands: quartiles of ``amounts`` rounded to two significant figures, distinct."""
    values = amounts.dropna().astype("float64")
    if values.empty:
        return []
    edges = sorted({_round2(q) for q in np.quantile(values, [0.25, 0.5, 0.75])} - {0.0})
    return edges


def _size_labels(edges: list[float], currency: str) -> list[str]:
    """The bands' names as the chart's ticks, its title and the page's sentences show them: "under $12K",
    "$12K–$35K", "$35K and over" (money in the one compact format, as the win-rate-by-size bands)."""
    if not edges:
        return ["All sizes"]
    labels = [f"under {_money(edges[0], currency)}"]
    labels += [f"{_money(lo, currency)}–{_money(hi, currency)}" for lo, hi in pairwise(edges)]
    return [*labels, f"{_money(edges[-1], currency)} and over"]


def _size_band(amounts: pd.Series, edges: list[float], labels: list[str]) -> pd.Series:
    codes = np.searchsorted(np.asarray(edges, dtype="float64"), amounts.to_numpy(dtype="float64"), side="right")
    return pd.Series(pd.Categorical.from_codes(codes, labels, ordered=True), index=amounts.index, name="size_band")


def _money(value: float, currency: str) -> str:
    """Compact amount in the reporting currency ("$12K", "1.5M SEK"), for the band labels."""
    return str(fmt.currency(value, currency))


def strike_zone(ds: Dataset) -> pd.DataFrame:
    """One row per size band × age band: ``size_band``, ``age_band`` (ordered categories), ``deals`` and
    ``won`` (closed deals that lived through the cell), ``win_rate`` (0-1, days-weighted; NaN without deals),
    ``average_amount``, ``expected_value`` (per deal, reporting currency), ``open_deals`` and
    ``open_amount`` (open deals now in the cell). ``attrs["overall_win_rate"]`` is the rate of all closed
    deals and ``attrs["edges"]`` the size-band edges."""
    o = ds.opportunities
    closed = o[flag(o, "is_closed")]
    edges = size_bands(closed["amount"])
    labels = _size_labels(edges, ds.currency)
    age_close = ((pd.to_datetime(closed["close_date"]) - pd.to_datetime(closed["created_date"])) / _DAY).clip(lower=0)
    lived = passed_bands(pd.Series(0.0, index=closed.index), age_close)
    rows = closed.iloc[lived["row"].to_numpy()]
    won = flag(rows, "is_won").to_numpy()
    seen = pd.DataFrame({"size_band": _size_band(rows["amount"], edges, labels).to_numpy(),
                         "age_band": lived["age_band"].to_numpy(), "won": won,
                         "amount": rows["amount"].astype("float64").to_numpy(), "days": lived["days"].to_numpy(),
                         "won_days": np.where(won, lived["days"].to_numpy(), 0.0)})
    cells = pd.MultiIndex.from_product([pd.CategoricalIndex(labels, categories=labels, ordered=True),
                                        pd.CategoricalIndex(AGE_LABELS, categories=AGE_LABELS, ordered=True)],
                                       names=["size_band", "age_band"])
    stats = seen.groupby(["size_band", "age_band"], observed=False).agg(
        deals=("won", "size"), won=("won", "sum"), average_amount=("amount", "mean"), days=("days", "sum"),
        won_days=("won_days", "sum")).reindex(cells)
    stats["deals"] = stats["deals"].fillna(0).astype("int64")
    stats["won"] = stats["won"].fillna(0).astype("int64")
    stats["win_rate"] = stats["won_days"] / stats["days"].where(stats["days"] > 0)
    stats = stats.drop(columns=["days", "won_days"])
    stats["expected_value"] = stats["win_rate"] * stats["average_amount"]
    open_deals = _open_cells(ds, edges, labels)
    now = open_deals.groupby(["size_band", "age_band"], observed=False)["amount"].agg(["size", "sum"]).reindex(cells)
    stats["open_deals"] = now["size"].fillna(0).astype("int64")
    stats["open_amount"] = now["sum"].fillna(0.0)
    out = stats.reset_index()
    out.attrs["overall_win_rate"] = float(flag(closed, "is_won").mean()) if len(closed) else float("nan")
    out.attrs["edges"] = edges
    return out


def _open_cells(ds: Dataset, edges: list[float], labels: list[str]) -> pd.DataFrame:
    o = ds.opportunities
    deals = o[~flag(o, "is_closed") & o["forecast_category"].ne("Omitted")].copy()
    age = ((ds.reference_date.normalize() - pd.to_datetime(deals["created_date"]).dt.normalize()) / _DAY).clip(lower=0)
    deals["age_days"] = age
    deals["age_band"] = age_band(age)
    deals["size_band"] = _size_band(deals["amount"].astype("float64"), edges, labels)
    return deals


def score_open_deals(ds: Dataset, period=None, zone: pd.DataFrame | None = None) -> pd.DataFrame:
    """Open deals (dated in ``period`` when given) with ``size_band``, ``age_band``, ``age_days``,
    ``win_rate`` (their cell's, 0-1), ``expected_value`` (amount × win rate) and ``in_strike_zone``,
    highest expected value first."""
    zone = strike_zone(ds) if zone is None else zone
    labels = list(zone["size_band"].cat.categories)
    deals = _open_cells(ds, zone.attrs.get("edges", []), labels)
    if period is not None:
        deals = deals[period.contains(deals["close_date"])]
    rate = zone.set_index(["size_band", "age_band"])["win_rate"]
    keys = pd.MultiIndex.from_arrays([deals["size_band"].astype("str"), deals["age_band"].astype("str")])
    rate.index = rate.index.set_levels([lvl.astype("str") for lvl in rate.index.levels])
    deals["win_rate"] = rate.reindex(keys).to_numpy()
    deals["expected_value"] = deals["amount"].astype("float64") * deals["win_rate"]
    overall = zone.attrs.get("overall_win_rate", np.nan)
    deals["in_strike_zone"] = deals["win_rate"] >= overall
    return deals.sort_values(["expected_value", "opportunity_id"], ascending=[False, True]).reset_index(drop=True)
