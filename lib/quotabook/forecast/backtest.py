"""Backtests: what each method would have forecast for past quarters, week by week, against what was booked.

For each of the last ``quarters`` completed quarters and each week of it, the dataset is rebuilt as it
stood on the first day of that week with ``Dataset.as_of`` (deal states, history and closed deals as known
then, nothing later), every method is run on it through the metric catalog, and its forecast is compared
with the quarter's actual bookings (``closed_amount`` as known at the report date):

    accuracy = 1 − |forecast − actual| / actual        bias = (forecast − actual) / actual

the same formulas as the catalog's ``forecast_accuracy`` and ``forecast_bias``. The method with the
highest mean accuracy over all those quarters and weeks is the one recommended for this team.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import DataQualityWarning
from ..fiscal import Period
from ..metrics import compute_wide, load_catalog
from ..metrics.forecasting.deals import DEAL_COLUMNS, GROUP_COLUMNS, week_start, without_activity
from ..metrics.forecasting.methods import METHOD_LABELS

__all__ = ["BACKTEST_METRICS", "DEFAULT_WEEKS", "backtest", "completed_quarters", "recommend", "summarise"]

BACKTEST_METRICS = list(METHOD_LABELS)
DEFAULT_WEEKS = tuple(range(1, 14))


def completed_quarters(ds: Dataset, quarters: int = 4) -> list[Period]:
    """The last ``quarters`` fiscal quarters that ended by the dataset's date, oldest first."""
    cal = ds.calendar
    ref = ds.reference_date.normalize()
    current = cal.period_of(ref)
    last = current if current.last_day <= ref else cal.shift(current, -1)
    return [cal.shift(last, -k) for k in range(quarters - 1, -1, -1)]


def _lean(ds: Dataset, simulations: int | None) -> Dataset:
    """The dataset without what no forecast method reads (activities, leads, most deal columns), and with deal
    ids replaced by integer codes and names by categories (grouping and selecting them is several times quicker
    than text), so each ``as_of`` is quick; fewer Monte Carlo simulations when asked. Results are per territory,
    region or district: the ids never show.

    Built once per dataset (and simulation count) and kept with it, so the backtests, the range calibration and
    the Commit-call history of a report share it and the past dates it travelled to (:func:`_travel`)."""
    lean = ds.derive(("forecast_lean",), lambda: _lean_tables(ds), large=True)
    if simulations is None:
        return lean
    thresholds = {**ds.settings.thresholds, "monte_carlo_simulations": float(simulations)}
    return ds.derive(("forecast_lean", float(simulations)),
                     lambda: lean.with_settings(replace(ds.settings, thresholds=thresholds)), large=True)


def _lean_tables(ds: Dataset) -> Dataset:
    """:func:`_lean`'s tables, read with the dataset's own settings."""
    o = ds.opportunities
    keep = [c for c in [*DEAL_COLUMNS, *GROUP_COLUMNS] if c in o]
    codes, ids = pd.factorize(o["opportunity_id"])
    hist = ds.opportunity_history
    hist = hist.assign(opportunity_id=pd.Index(ids).get_indexer(hist["opportunity_id"]))
    hist = hist.sort_values(["opportunity_id", "changed_at"], kind="stable")  # sorted once, not at every date
    labels = {c: o[c].astype("category") for c in ["territory", "owner", *GROUP_COLUMNS] if c in o}
    return replace(without_activity(ds), opportunities=o[keep].assign(opportunity_id=codes, **labels),
                   opportunity_history=hist[hist["opportunity_id"] >= 0])


def _travel(lean: Dataset, day: pd.Timestamp, *, keep: bool) -> Dataset:
    """``lean.as_of(day)``: the travel kept with ``lean`` when there is one, else built; with ``keep``, a travel
    built is kept for the next reader of that day. The backtest keeps its days of week ``backtest_week``, which
    the range calibration reads with the same settings, so it shares the travel and what its metrics keep on it
    (the learned odds, the period's pipeline); the calibration keeps none of its own (eight quarters of copies of
    the deals held for the rest of the report would cost more memory than their reuse saves).

    The time travel's data-quality warnings are given at every call, not only when it is built: a backtest
    counts them whichever reader came first."""

    def travelled() -> tuple[Dataset, list[warnings.WarningMessage]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DataQualityWarning)
            past = lean.as_of(day)
        return past, list(caught)

    key = ("forecast_as_of", day)
    past, caught = lean.derive(key, travelled, large=True) if keep else lean.derived.get(key) or travelled()
    for w in caught:
        warnings.warn(w.message, w.category, stacklevel=2)
    return past


def backtest(ds: Dataset, *, quarters: int = 4, weeks: Iterable[int] = DEFAULT_WEEKS,
             metrics: Sequence[str] = tuple(BACKTEST_METRICS), by: str = "district",
             simulations: int | None = 2_000) -> pd.DataFrame:
    """Forecast vs actual for each completed quarter, week and method.

    Parameters
    ----------
    ds : the dataset as of the report date (its region slice, if any).
    quarters : how many completed quarters to test (fewer when the data is younger).
    weeks : weeks of the quarter at whose first day the forecast is rebuilt.
    metrics : catalog metrics of the methods to test (methods the data cannot support are left out).
    by : level of the result (``district``, ``region``, ``territory`` ...).
    simulations : Monte Carlo simulations per backtest date (None: the workbook's count).

    Returns
    -------
    DataFrame
        Tidy rows: ``period``, ``week``, ``as_of``, the ``by`` level, ``metric``, ``method`` (label),
        ``forecast`` and ``actual`` (reporting currency), ``accuracy`` and ``bias`` (shares; NaN where the
        actual is zero).
    """
    lean = _lean(ds, simulations)
    catalog = load_catalog()
    ref = ds.reference_date.normalize()
    shared_week = int(ds.settings.threshold("backtest_week"))  # the range calibration reads those days too
    frames, noted = [], []
    for period in completed_quarters(ds, quarters):  # a few quarters × weeks; each step is one as_of + compute
        actual = compute_wide(["closed_amount"], ds, period, by=by)["closed_amount"]
        for week in weeks:
            date = week_start(period, week)
            if date > ref or date < ds.opportunities["created_date"].min():
                continue
            with warnings.catch_warnings(record=True) as caught:  # one note for the run, not one per date
                warnings.simplefilter("always", DataQualityWarning)
                past = _travel(lean, date, keep=int(week) == shared_week)
                got = compute_wide(list(metrics), past, period, by=by, catalog=catalog)
            noted += [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
            long = got.reset_index().melt(id_vars=[by], var_name="metric", value_name="forecast")
            long["actual"] = long[by].map(actual).astype("float64")
            frames.append(long.assign(period=period.label, week=int(week), as_of=date))
    if noted:
        warnings.warn(f"backtests: {len(noted)} of the rebuilt dates showed deals without history as open until "
                      f"they closed (e.g. {noted[0]})", DataQualityWarning, stacklevel=2)
    cols = ["period", "week", "as_of", by, "metric", "method", "forecast", "actual", "accuracy", "bias"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out["method"] = out["metric"].map(METHOD_LABELS)
    actual = out["actual"].where(out["actual"] != 0)
    out["accuracy"] = 1 - (out["forecast"] - actual).abs() / actual
    out["bias"] = (out["forecast"] - actual) / actual
    return out[cols]


def summarise(results: pd.DataFrame) -> pd.DataFrame:
    """Per method: mean ``accuracy`` and ``bias`` over every quarter and week tested, ``early_accuracy``
    (weeks 1-4), ``late_accuracy`` (weeks 10 on), ``tests`` (points) and ``rank`` (1 = most accurate)."""
    r = results.dropna(subset=["accuracy"])
    cols = ["metric", "method", "accuracy", "bias", "early_accuracy", "late_accuracy", "tests", "rank"]
    if r.empty:
        return pd.DataFrame(columns=cols)
    g = r.groupby(["metric", "method"], sort=False)
    out = g.agg(accuracy=("accuracy", "mean"), bias=("bias", "mean"), tests=("accuracy", "size")).reset_index()
    early = r[r["week"] <= 4].groupby("metric")["accuracy"].mean()
    late = r[r["week"] >= 10].groupby("metric")["accuracy"].mean()
    out["early_accuracy"] = out["metric"].map(early)
    out["late_accuracy"] = out["metric"].map(late)
    out = out.sort_values(["accuracy", "metric"], ascending=[False, True], kind="stable").reset_index(drop=True)
    out["rank"] = np.arange(1, len(out) + 1)
    return out[cols]


def recommend(summary: pd.DataFrame) -> str | None:
    """The catalog metric of the most accurate method (None when nothing could be tested)."""
    return None if summary.empty else str(summary.iloc[0]["metric"])
