"""Forecast trust: how far to believe this quarter's calls and ranges, from how past ones turned out.

Two questions, both answered from data quotabook already has (no new input):

**Commit accuracy per rep and team.** For every completed quarter and each call week (2, 6 and 10 by
default) the dataset is rebuilt as it stood on the first day of that week (``Dataset.as_of``), and the call is
read as Closed + Commit then (the catalog's ``commit_call_amount``). Against what was finally won:

    accuracy = won ÷ call                 bias = (call − won) ÷ won     (positive: over-called)

Summed over quarters before dividing (ratio of sums, as every catalog ratio), so a quarter with a big call
weighs more than a small one and a rep's figure reconciles with the team's. Bands as Gong shows them
(as cited): 85–115% green, 70–84% and 116–130% amber, else red. The accuracy is the haircut to apply to a
rep's call this quarter: a rep who landed 70% of their call lands 70% of this one, on their record.

**Calibrated ranges.** For every backtested quarter the Monte Carlo forecast (P10, P90, chance of target) is
rebuilt as it stood at the start of week ``backtest_week`` and compared with the outcome: an honest 80%
range holds the outcome about 80% of the time, and the Brier score (mean squared gap between the stated
chance of reaching target and 1/0 for reached) says how good the chance-of-target statement was (0 perfect;
0.25 is what always saying 50% scores).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from ..dataset import Dataset
from ..errors import DataQualityWarning, MetricUnavailable
from ..metrics import compute_wide, load_catalog
from ..metrics.cache import catalog_digest, remember
from ..metrics.catalog import note_shown
from ..metrics.forecasting.deals import week_start
from ..text import plural
from .backtest import _lean, _travel, completed_quarters

__all__ = ["CALL_WEEKS", "GREEN", "RANGE_TARGET", "accuracy_band", "commit_accuracy", "commit_history",
           "range_calibration", "roll_up", "summarise_calibration", "trust_statement"]

CALL_WEEKS = (2, 6, 10)
#: Accuracy bands (won ÷ call): green inside ``GREEN``, amber inside ``AMBER`` but outside green, else red.
GREEN = (0.85, 1.15)
AMBER = (0.70, 1.30)
#: The share of outcomes an honest P10–P90 range holds.
RANGE_TARGET = 0.8


def accuracy_band(accuracy) -> np.ndarray:
    """``green`` / ``amber`` / ``red`` for each accuracy (won ÷ call); empty text where it is unknown.

    Bounds are inclusive and read on the percentage shown to whole points, so 84.6% (shown as 85%) is green
    and 115.4% is green too: a reader never sees a figure printed inside a band it is not coloured as.
    """
    shown = np.round(np.asarray(accuracy, dtype="float64") * 100) / 100
    with np.errstate(invalid="ignore"):
        green = (shown >= GREEN[0]) & (shown <= GREEN[1])
        amber = (shown >= AMBER[0]) & (shown <= AMBER[1])
    return np.select([np.isnan(shown), green, amber], ["", "green", "amber"], "red")


def commit_history(ds: Dataset, *, quarters: int = 4, weeks: Iterable[int] = CALL_WEEKS,
                   by: str = "owner") -> pd.DataFrame:
    """Each rep's (or ``by`` group's) Commit call at each call week of the last ``quarters`` completed
    quarters, and what was finally won.

    Returns
    -------
    DataFrame
        Tidy rows ``period``, ``week``, ``as_of`` (the call's date), ``by``, ``call``, ``won`` (reporting
        currency), ``accuracy`` and ``bias`` (shares; NaN where the call, or the win for bias, is zero).

    Raises
    ------
    MetricUnavailable
        No opportunity history or no forecast categories: past calls cannot be rebuilt.
    """
    _require_calls(ds)
    weeks = tuple(weeks)
    catalog = load_catalog()
    # In a pack, computed once per scope (the forecast page and the rep scorecards both read it; twelve
    # datasets rebuilt as of past call weeks): see quotabook.metrics.cache.remember.
    parts = [str(quarters), repr(weeks), by, catalog_digest(catalog)]
    return remember(ds, "commit_history", parts, lambda: _commit_history(ds, quarters, weeks, by, catalog))


def _commit_history(ds: Dataset, quarters: int, weeks: tuple[int, ...], by: str, catalog) -> pd.DataFrame:
    lean = _lean(ds, None)
    frames = []
    first_created = ds.opportunities["created_date"].min()
    for period in completed_quarters(ds, quarters):
        won = compute_wide(["closed_amount"], ds, period, by=by, catalog=catalog)["closed_amount"]
        for week in weeks:
            date = week_start(period, week)
            if pd.isna(first_created) or date < first_created:
                continue  # before the data begins: no call can be rebuilt
            thresholds = {**ds.settings.thresholds, "commit_call_week": float(week)}
            at_week = lean.with_settings(replace(lean.settings, thresholds=thresholds))  # shares its groups
            with warnings.catch_warnings():  # deals without history: noted by the caller's own as_of, once
                warnings.simplefilter("ignore", DataQualityWarning)
                call = compute_wide(["commit_call_amount"], at_week, period, by=by, catalog=catalog)
            frame = call.rename(columns={"commit_call_amount": "call"})
            frame["won"] = won.reindex(frame.index).fillna(0.0)
            frames.append(frame.reset_index().assign(period=period.label, week=int(week), as_of=date))
    cols = ["period", "week", "as_of", by, "call", "won", "accuracy", "bias"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    out["accuracy"] = out["won"] / out["call"].where(out["call"] > 0)
    out["bias"] = (out["call"] - out["won"]) / out["won"].where(out["won"] > 0)
    return out[cols]


def roll_up(history: pd.DataFrame, groups: pd.Series, *, by: str = "owner", name: str = "team") -> pd.DataFrame:
    """The calls of :func:`commit_history` (one row per ``by`` member) summed per team: ``groups`` maps each
    member to its team (a region, or one name for the whole scope). A team's call is its members' calls added
    up, as is what it won, so its accuracy reconciles with theirs (ratio of sums)."""
    cols = ["period", "week", "as_of", name, "call", "won"]
    if history.empty:
        return pd.DataFrame(columns=[*cols, "accuracy", "bias"])
    rows = history.assign(**{name: history[by].map(groups).fillna("(no territory)")})
    out = rows.groupby(["period", "week", "as_of", name], sort=True, as_index=False)[["call", "won"]].sum()
    out["accuracy"] = out["won"] / out["call"].where(out["call"] > 0)
    out["bias"] = (out["call"] - out["won"]) / out["won"].where(out["won"] > 0)
    return out


def commit_accuracy(history: pd.DataFrame, by: str = "owner", week: int | None = None) -> pd.DataFrame:
    """Per group: accuracy and bias over every quarter in ``history`` (ratio of sums), at one call week or all.

    Returns
    -------
    DataFrame
        Indexed by ``by``: ``quarters`` (with a call), ``calls`` (quarter × week calls), ``call`` and ``won``
        (sums), ``accuracy``, ``bias``, ``band`` (green / amber / red), ``calls_over`` and ``calls_under``
        (calls below / above the green band: over-called / sandbagged) — sorted worst first (farthest from
        100%).
    """
    note_shown(["commit_call_amount", "commit_accuracy", "commit_bias"])  # the page's glossary
    rows = history if week is None else history[history["week"] == week]
    rows = rows[rows["call"] > 0]
    cols = ["quarters", "calls", "call", "won", "accuracy", "bias", "band", "calls_over", "calls_under"]
    if rows.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name=by))
    ratio = rows["won"] / rows["call"]
    g = rows.assign(over=ratio < GREEN[0], under=ratio > GREEN[1]).groupby(by, sort=True)
    out = g.agg(quarters=("period", "nunique"), calls=("call", "size"), call=("call", "sum"), won=("won", "sum"),
                calls_over=("over", "sum"), calls_under=("under", "sum"))
    out["accuracy"] = out["won"] / out["call"]
    out["bias"] = (out["call"] - out["won"]) / out["won"].where(out["won"] > 0)
    out["band"] = accuracy_band(out["accuracy"])
    out[["calls_over", "calls_under"]] = out[["calls_over", "calls_under"]].astype("int64")
    order = (out["accuracy"] - 1).abs().sort_values(ascending=False, kind="stable").index
    return out.loc[order, cols]


def range_calibration(ds: Dataset, *, quarters: int = 8, week: int | None = None, by: str = "territory",
                      simulations: int | None = 2_000) -> pd.DataFrame:
    """The Monte Carlo range and chance of target as they stood at the start of ``week`` (the workbook's
    ``backtest_week`` by default) of each backtested quarter, per ``by`` group, against the outcome.

    Returns
    -------
    DataFrame
        Rows ``period``, ``by``, ``p10``, ``p90``, ``target_probability``, ``actual``, ``target``, ``inside``
        (the outcome fell within P10–P90), ``reached`` (the outcome reached a non-zero target; NaN without).

    Raises
    ------
    MetricUnavailable
        No opportunity history: past ranges cannot be rebuilt.
    """
    ds.require("range calibration", "opportunity_history")
    week = int(ds.settings.threshold("backtest_week")) if week is None else int(week)  # the backtests' days too
    lean = _lean(ds, simulations)
    catalog = load_catalog()
    frames = []
    has_targets = ds.has("targets")
    first_created = ds.opportunities["created_date"].min()
    for period in completed_quarters(ds, quarters):
        date = week_start(period, week)
        if pd.isna(first_created) or date < first_created:
            continue
        final = compute_wide(["closed_amount", *(["target_amount"] if has_targets else [])], ds, period, by=by,
                             catalog=catalog)
        names = ["monte_carlo_p10", "monte_carlo_p90", *(["target_probability"] if has_targets else [])]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DataQualityWarning)
            then = compute_wide(names, _travel(lean, date, keep=False), period, by=by, catalog=catalog)
        frame = then.rename(columns={"monte_carlo_p10": "p10", "monte_carlo_p90": "p90"})
        frame["actual"] = final["closed_amount"].reindex(frame.index)
        frame["target"] = final["target_amount"].reindex(frame.index) if has_targets else np.nan
        frames.append(frame.reset_index().assign(period=period.label))
    cols = ["period", by, "p10", "p90", "target_probability", "actual", "target", "inside", "reached"]
    if not frames:
        return pd.DataFrame(columns=cols)
    out = pd.concat(frames, ignore_index=True)
    if "target_probability" not in out:
        out["target_probability"] = np.nan
    out = out.dropna(subset=["actual", "p10", "p90"])
    out = out[(out["p90"] > 0) | (out["actual"] > 0)]  # nothing forecast and nothing won: no range to test
    out["inside"] = (out["actual"] >= out["p10"]) & (out["actual"] <= out["p90"])
    has_target = out["target"].notna() & (out["target"] > 0)
    out["reached"] = (out["actual"] >= out["target"]).astype("float64").where(has_target)
    return out[cols].reset_index(drop=True)


def summarise_calibration(calibration: pd.DataFrame) -> dict:
    """``ranges`` tested, ``inside`` share (an honest P10–P90 holds ~80%), ``below``/``above`` shares (outcomes
    under P10 / over P90), ``brier`` of the chance of target (NaN without targets) and ``quarters``."""
    n = len(calibration)
    if n == 0:
        return {"ranges": 0, "quarters": 0, "inside": np.nan, "below": np.nan, "above": np.nan, "brier": np.nan,
                "chances": 0}
    scored = calibration.dropna(subset=["reached", "target_probability"])
    brier = float(((scored["target_probability"] - scored["reached"]) ** 2).mean()) if len(scored) else np.nan
    return {"ranges": n, "quarters": int(calibration["period"].nunique()),
            "inside": float(calibration["inside"].mean()),
            "below": float((calibration["actual"] < calibration["p10"]).mean()),
            "above": float((calibration["actual"] > calibration["p90"]).mean()),
            "brier": brier, "chances": len(scored)}


def trust_statement(summary: dict) -> str:
    """How far to trust this quarter's range, in one or two plain sentences, from :func:`summarise_calibration`."""
    n = summary.get("ranges", 0)
    if not n:
        return ("No past quarter could be replayed (the change history does not reach back a full quarter), so "
                "this quarter's range is untested: read it as a rough guide.")
    inside = summary["inside"]
    held = f"In {plural(summary['quarters'], 'past quarter')}, the P10–P90 range held the outcome {inside:.0%} of " \
           f"the time ({plural(n, 'range')} tested; an honest range holds about 80%)"
    if n < 10:
        verdict = "too few to judge the range: treat it as indicative."
    elif inside < RANGE_TARGET - 0.05:
        side = "below P10 than above P90" if summary["below"] >= summary["above"] else "above P90 than below P10"
        how = "too narrow" if inside < RANGE_TARGET - 0.15 else "a little narrow"
        verdict = f"the range is {how} (more outcomes landed {side}): allow a wider margin than it shows."
    elif inside > RANGE_TARGET + 0.05:
        how = "much wider" if inside > RANGE_TARGET + 0.15 else "a little wider"
        verdict = f"the range is {how} than it needs to be: the outcome is more predictable than it suggests."
    else:
        verdict = "the range is about as wide as it should be: plan on it."
    text = f"{held}: {verdict}"
    if summary.get("chances"):
        text += (f" The chance-of-target statement scored a Brier score of {summary['brier']:.2f} over "
                 f"{plural(summary['chances'], 'call')} (0 is perfect; always saying 50% scores 0.25).")
    return text


def _require_calls(ds: Dataset) -> None:
    """Raise :class:`MetricUnavailable` unless past Commit calls can be rebuilt (history and categories)."""
    ds.require("commit accuracy", "opportunity_history")
    ds.require("commit accuracy", "opportunities", "forecast_category")


def calls_unavailable(ds: Dataset) -> str | None:
    """Why commit accuracy cannot be computed for ``ds`` (reader's words), or None when it can."""
    try:
        _require_calls(ds)
    except MetricUnavailable as exc:
        return str(exc)
    return None


def owner_call_table(history: pd.DataFrame, weeks: Sequence[int] = CALL_WEEKS, by: str = "owner") -> pd.DataFrame:
    """One row per group, a column of accuracy per call week plus the overall accuracy, bias and band."""
    overall = commit_accuracy(history, by)
    columns = ["quarters", "accuracy", "bias", "band", "calls_over", "calls_under"]
    if overall.empty:
        return pd.DataFrame(columns=[*(f"week_{w}" for w in weeks), *columns], index=overall.index)
    per_week = {f"week_{w}": commit_accuracy(history, by, week=w)["accuracy"] for w in weeks}
    return pd.DataFrame(per_week).reindex(overall.index).join(overall[columns])
