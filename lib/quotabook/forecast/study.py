"""Everything the forecast notebook shows, computed once per report: :func:`study` (cached per report).

The forecast is read as of :func:`quotabook.metrics.forecasting.deals.review_date`: the report date while the period
runs, or, for a period already over, the start of week ``backtest_week`` — then the notebook also shows the
actual bookings the forecast is judged against. Backtests, the pipeline waterfall and the trend use the data
as of the report date (they need what happened after). A finished period's review ranks no deal of its own for
the strike zone (none is left to work): it ranks the open deals of the quarter in progress as of the report date
(``deals_period``, :attr:`quotabook.notebook.Report.moves_period`). Amounts are in the reporting currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ..dataset import Dataset
from ..errors import unavailable_sentence
from ..fiscal import Period
from ..metrics import compute_wide, load_catalog
from ..metrics.catalog import note_shown
from ..metrics.forecasting.deals import review_date, without_activity
from ..metrics.forecasting.methods import METHOD_LABELS
from ..metrics.forecasting.waterfall import period_flows, waterfall_steps
from ..text import part_of, say_date, verb
from . import trust
from .backtest import backtest, recommend, summarise
from .strike_zone import score_open_deals, strike_zone
from .trend import pipeline_trend

__all__ = ["BACKTEST_QUARTERS", "BACKTEST_WEEKS", "FORECAST_METRICS", "ForecastStudy", "study"]

#: Catalog metrics the forecast notebook shows for each group and for the whole scope.
FORECAST_METRICS = ["closed_amount", "target_amount", *METHOD_LABELS, "monte_carlo_p10", "monte_carlo_p90",
                    "target_probability"]
#: What the notebook backtests: four quarters, every third week (the library default is every week), so a
#: report stays within seconds.
BACKTEST_QUARTERS = 4
BACKTEST_WEEKS = (1, 4, 7, 10, 13)
BACKTEST_SIMULATIONS = 1_000
#: Forecast trust: Commit calls replayed over four quarters, Monte Carlo ranges over eight.
TRUST_QUARTERS = 4
CALIBRATION_QUARTERS = 8
_SHORT = {"category_forecast": "Category", "weighted_forecast": "Weighted", "historical_win_rate_forecast": "Win-rate",
          "run_rate_forecast": "Run-rate", "monte_carlo_p50": "Monte Carlo P50"}


@dataclass
class ForecastStudy:
    """The forecast of ``period`` for a scope (``scope_level``: district or region) and its groups
    (``level``: regions or territories)."""

    ds: Dataset
    period: Period
    level: str
    scope_level: str
    #: The period whose open deals the strike-zone table ranks (None: ``period``); a review passes the quarter
    #: in progress, so its list is deals that can still be worked.
    deals_period: Period | None = None

    # -- when ---------------------------------------------------------------------------------------------
    @cached_property
    def forecast_date(self) -> pd.Timestamp:
        return review_date(self.ds, self.period)

    @property
    def is_review(self) -> bool:
        """True when the period is over and its forecast is shown as it stood at ``forecast_date``."""
        return self.forecast_date < self.ds.reference_date.normalize()

    @cached_property
    def ds_forecast(self) -> Dataset:
        """The data as of the forecast date."""
        return without_activity(self.ds).as_of(self.forecast_date) if self.is_review else self.ds

    # -- the forecast -------------------------------------------------------------------------------------
    def _metrics(self, by: str) -> pd.DataFrame:
        wide = compute_wide(FORECAST_METRICS, self.ds_forecast, self.period, by=by)
        actual = compute_wide(["closed_amount"], self.ds, self.period, by=by)["closed_amount"]
        wide["actual"] = actual.reindex(wide.index) if self.is_review else float("nan")
        return wide

    @cached_property
    def by_level(self) -> pd.DataFrame:
        """One row per group: closed and target at the forecast date, each method, P10 / P90, chance of
        target, and ``actual`` bookings (NaN while the period runs). Unavailable metrics are missing."""
        return self._metrics(self.level)

    @cached_property
    def totals(self) -> pd.Series:
        """The same for the whole scope, as one Series (``attrs["unavailable"]`` lists skipped metrics)."""
        wide = self._metrics(self.scope_level)
        row = wide.iloc[0].copy() if len(wide) else pd.Series(dtype="float64")
        row.attrs["unavailable"] = dict(wide.attrs.get("unavailable", {}))
        return row

    @cached_property
    def outlook(self) -> pd.DataFrame:
        """The scope's forecast per method: ``metric``, ``method``, ``forecast`` and, for Monte Carlo,
        ``low`` / ``high`` (P10 / P90); ``attrs`` carry closed, target, actual, target_probability, the
        forecast date and, for a review, ``forecast_week`` (the week of the period it was made in, 1 = first)."""
        t = self.totals
        rows = [{"metric": m, "method": label, "forecast": t.get(m, float("nan")),
                 "low": t.get("monte_carlo_p10") if m == "monte_carlo_p50" else float("nan"),
                 "high": t.get("monte_carlo_p90") if m == "monte_carlo_p50" else float("nan")}
                for m, label in METHOD_LABELS.items() if m in t.index]
        out = pd.DataFrame(rows, columns=["metric", "method", "forecast", "low", "high"])
        out.attrs = {"closed": t.get("closed_amount"), "target": t.get("target_amount"),
                     "actual": t.get("actual"), "target_probability": t.get("target_probability"),
                     "forecast_date": self.forecast_date, "is_review": self.is_review,
                     "forecast_week": (int((self.forecast_date - self.period.start).days // 7) + 1
                                       if self.is_review else None)}
        return out

    def note(self) -> str:
        """Sentences naming what the data could not support (metrics skipped and why) and where forecast
        categories came from when the deals carry none (:meth:`category_note`); "" when all ran as is."""
        skipped = self.totals.attrs.get("unavailable", {})
        catalog = load_catalog()
        items = "; ".join(f"{catalog.get(name).label} (needs {why.split('needs ', 1)[-1]})"
                          for name, why in skipped.items())
        lacking = f"Not shown, because the data lacks what they need: {items}." if skipped else ""
        return " ".join(s for s in (lacking, self.category_note()) if s)

    def category_note(self) -> str:
        """A sentence when the deals carry no forecast category of their own but their change history does:
        every Category figure the page shows at a past date (a finished period's forecast, the backtests) is then
        built from the category each deal's history recorded at that date (:meth:`Dataset.as_of`), which the
        reader must be told; "" otherwise."""
        ds = self.ds
        if ds.has("opportunities", "forecast_category") or not ds.has("opportunity_history", "forecast_category"):
            return ""
        shown = []
        if self.is_review and pd.notna(self.totals.get("category_forecast")):
            shown.append(f"the {self.period.label} Category forecast as of {say_date(self.forecast_date)}")
        if (self.backtest_summary["metric"] == "category_forecast").any():
            shown.append("the Category backtest")
        if not shown:
            return ""
        return (f"The deals carry no forecast category of their own, so {' and '.join(shown)} "
                f"{verb('uses', len(shown))} the categories recorded in their change history, each deal "
                "as it stood at the date read; a deal without history has no category there.")

    # -- backtests ----------------------------------------------------------------------------------------
    @cached_property
    def backtest(self) -> pd.DataFrame:
        """Scope-level backtest over ``BACKTEST_QUARTERS`` quarters at ``BACKTEST_WEEKS``."""
        note_shown(["backtest_forecast", "forecast_accuracy", "forecast_bias"])  # the page's glossary
        return backtest(self.ds, quarters=BACKTEST_QUARTERS, weeks=BACKTEST_WEEKS, by=self.scope_level,
                        simulations=BACKTEST_SIMULATIONS)

    @cached_property
    def backtest_summary(self) -> pd.DataFrame:
        return summarise(self.backtest)

    @property
    def recommended(self) -> str | None:
        """Catalog metric of the method that has been most accurate for this team (None: nothing to test)."""
        return recommend(self.backtest_summary)

    # -- pipeline flows, trend, strike zone --------------------------------------------------------------
    @cached_property
    def flows(self) -> pd.DataFrame:
        """Per deal, how it moved the period's pipeline since the period began (see ``waterfall.flows``)."""
        note_shown(["pipeline_inflow_amount", "pipeline_outflow_amount", "net_pipeline_flow", "open_pipeline_amount"])
        return period_flows(self.ds, self.period)

    @cached_property
    def steps(self) -> pd.DataFrame:
        return waterfall_steps(self.flows)

    @cached_property
    def trend(self) -> pd.DataFrame:
        return pipeline_trend(self.ds, self.period)

    @property
    def looks_ahead(self) -> bool:
        """True for a review whose strike-zone list is another (live) period's: ``deals_period``."""
        return self.is_review and self.deals_period is not None and self.deals_period != self.period

    @cached_property
    def zone(self) -> pd.DataFrame:
        """Strike-zone cells learned from deals closed by the forecast date (by the report date when the list
        looks ahead to ``deals_period``)."""
        return strike_zone(self.ds if self.looks_ahead else self.ds_forecast)

    @cached_property
    def ranked_deals(self) -> pd.DataFrame:
        """The open deals the strike-zone table ranks: :attr:`scored_deals`, or for a review that looks ahead
        the open deals of ``deals_period`` as of the report date, scored the same way."""
        return score_open_deals(self.ds, self.deals_period, self.zone) if self.looks_ahead else self.scored_deals

    def deals_caption(self) -> str:
        """The caption of :meth:`deals_table`, naming the period its deals are dated in (and, for a review
        looking ahead, the date they are open on)."""
        if not self.looks_ahead:
            return f"Open deals dated in {self.period.label} with the highest expected value"
        day = self.ds.reference_date
        return (f"Outlook: open deals dated in {self.deals_period.label} with the highest expected value, as of "
                f"{day.day} {day:%b %Y}")

    @cached_property
    def scored_deals(self) -> pd.DataFrame:
        """The period's open deals at the forecast date, scored by their strike-zone cell."""
        return score_open_deals(self.ds_forecast, self.period, self.zone)

    @cached_property
    def trend_change(self) -> dict:
        """Open pipeline now, 13 weeks and a year before (the trend's first week), its relative changes
        ``change_13w`` / ``change_year`` and the quarterly target's change over the same year (shares)."""
        per_date = self.trend.drop_duplicates("date").set_index("date")
        if per_date.empty:
            return {}
        now = float(per_date["pipeline"].iloc[-1])
        before = float(per_date["pipeline"].iloc[max(len(per_date) - 14, 0)])
        first = float(per_date["pipeline"].iloc[0])
        t_now, t_first = per_date["target"].iloc[-1], per_date["target"].iloc[0]
        return {"now": now, "quarter_ago": before, "year_ago": first, "since": per_date.index[0],
                "change_13w": (now - before) / before if before else float("nan"),
                "change_year": (now - first) / first if first else float("nan"),
                "target_change": (t_now - t_first) / t_first if pd.notna(t_first) and t_first else float("nan")}

    # -- tables -------------------------------------------------------------------------------------------
    def _level_of(self, frame: pd.DataFrame) -> pd.Series:
        """The ``level`` group of each row of a frame keyed by territory."""
        if self.level == "territory":
            return frame["territory"]
        return frame["territory"].map(self.ds.territories.set_index("territory")[self.level])

    def methods_table(self) -> tuple[pd.DataFrame, dict]:
        """Per group and for the scope: target, each method, Monte Carlo range and chance of target (8 columns),
        with the units for :meth:`quotabook.notebook.Report.table`."""
        rows = pd.concat([self.by_level, self.totals.to_frame(f"{self._scope_name} (total)").T])
        out = pd.DataFrame({self.level.capitalize(): rows.index.astype("str")})
        columns = {"target_amount": "Target", **_SHORT,
                   "target_probability": "Chance of target"}
        for metric, label in columns.items():
            if metric in rows:
                out[label] = rows[metric].to_numpy(dtype="float64")
        units = {label: "percent" if metric == "target_probability" else "currency"
                 for metric, label in columns.items() if label in out}
        return out, units

    @property
    def _scope_name(self) -> str:
        return "District" if self.scope_level == "district" or self.ds.region is None else str(self.ds.region)

    def backtest_table(self) -> tuple[pd.DataFrame, dict]:
        """Backtest summary per method, most accurate first, with the recommended one marked."""
        s = self.backtest_summary
        out = pd.DataFrame({"Method": s["method"], "Accuracy": s["accuracy"], "Bias": s["bias"],
                            "Weeks 1-4": s["early_accuracy"], "Weeks 10-13": s["late_accuracy"],
                            "Tests": s["tests"].astype("int64"),
                            "Recommended": ["yes" if m == self.recommended else "" for m in s["metric"]]})
        return out, {"Accuracy": "percent", "Bias": "percent", "Weeks 1-4": "percent", "Weeks 10-13": "percent",
                     "Tests": "count"}

    def flows_table(self) -> tuple[pd.DataFrame, dict]:
        """Pipeline flows per group and for the scope: start, inflow, won, lost, slipped or cut, end, net."""
        f = self.flows
        cols = ["start", "inflow", "won", "lost", "slipped_out", "decreased", "end"]
        per = f.groupby(self._level_of(f))[cols].sum() if len(f) else pd.DataFrame(columns=cols, dtype="float64")
        groups = sorted(self.ds.territories[self.level].dropna().unique())
        per = per.reindex(groups, fill_value=0.0)
        per.loc[f"{self._scope_name} (total)"] = per.sum()
        out = pd.DataFrame({self.level.capitalize(): per.index.astype("str"), "Start": per["start"].to_numpy(),
                            "Inflow": per["inflow"].to_numpy(), "Won": per["won"].to_numpy(),
                            "Lost": per["lost"].to_numpy(),
                            "Slipped or cut": (per["slipped_out"] + per["decreased"]).to_numpy(),
                            "End": per["end"].to_numpy(), "Net flow": (per["end"] - per["start"]).to_numpy()})
        return out, dict.fromkeys(["Start", "Inflow", "Won", "Lost", "Slipped or cut", "End", "Net flow"], "currency")

    def deals_table(self, n: int = 10) -> tuple[pd.DataFrame, dict]:
        """The ``n`` open deals of :attr:`ranked_deals` with the highest expected value (amount × strike-zone
        win rate)."""
        d = self.ranked_deals.head(n)
        names = (d["name"] if "name" in d and d["name"].notna().all() else d["opportunity_id"]).astype("str")
        names = names.where(names.str.len() <= 30, names.str.slice(0, 29) + "…")
        out = pd.DataFrame({"Deal": names, "Owner": d["owner"], "Stage": d["stage"],
                            "Amount": d["amount"], "Age (days)": d["age_days"], "Win rate": d["win_rate"],
                            "Expected value": d["expected_value"],
                            "Strike zone": ["yes" if z else "" for z in d["in_strike_zone"]]})
        return out, {"Amount": "currency", "Age (days)": "count", "Win rate": "percent", "Expected value": "currency"}


    # -- forecast trust -----------------------------------------------------------------------------------
    @cached_property
    def commit_history(self) -> pd.DataFrame:
        """Each owner's Commit call at weeks 2, 6 and 10 of the last ``TRUST_QUARTERS`` completed quarters
        and what was won (empty, with ``attrs["unavailable"]`` saying why, when calls cannot be rebuilt)."""
        why = trust.calls_unavailable(self.ds)
        if why:
            out = pd.DataFrame(columns=["period", "week", "owner", "call", "won"])
            out.attrs["unavailable"] = why
            return out
        return trust.commit_history(self.ds, quarters=TRUST_QUARTERS, by="owner")

    @cached_property
    def commit_accuracy(self) -> pd.DataFrame:
        """Per owner over every call of :attr:`commit_history`: accuracy, bias, band (worst first)."""
        return trust.commit_accuracy(self.commit_history, "owner")

    @cached_property
    def calibration(self) -> dict:
        """How often past Monte Carlo ranges held the outcome (:func:`quotabook.forecast.trust.summarise_calibration`),
        per territory over the last ``CALIBRATION_QUARTERS`` completed quarters."""
        if not self.ds.has("opportunity_history"):
            return trust.summarise_calibration(pd.DataFrame())
        rows = trust.range_calibration(self.ds, quarters=CALIBRATION_QUARTERS, by="territory",
                                       simulations=BACKTEST_SIMULATIONS)
        return trust.summarise_calibration(rows)

    def _teams(self) -> list[tuple[pd.Series, str]]:
        """How owners roll up into the team rows of the trust table: per region (district scope only), then
        the whole scope. Each item maps owner → team name."""
        terr = self.ds.territories.dropna(subset=["owner"]).drop_duplicates("owner").set_index("owner")
        scope = f"{self._scope_name} (team)"
        teams = []
        if self.scope_level == "district" and "region" in terr:
            teams.append((terr["region"].astype("str") + " (team)", "region"))
        owners = pd.Index(self.commit_history["owner"].dropna().unique()) if len(self.commit_history) else []
        teams.append((pd.Series(scope, index=pd.Index(owners, dtype="object")), "scope"))
        return teams

    def trust_table(self) -> tuple[pd.DataFrame, dict]:
        """Per owner, then per team (each region at district scope, and the whole scope): accuracy at each call
        week and overall, bias, band and, while the period runs, the Commit call now and that call on the
        record (call × accuracy). A team's figures are its members' calls and wins added up."""
        history = self.commit_history
        teams = [groups for groups, _ in self._teams()]
        frames = [trust.owner_call_table(history, by="owner")]
        for groups in teams:
            frames.append(trust.owner_call_table(trust.roll_up(history, groups, name="team"), by="team"))
        table = pd.concat(frames)
        out = pd.DataFrame({"Owner": table.index.astype("str")})
        for week in trust.CALL_WEEKS:
            out[f"Week {week}"] = table[f"week_{week}"].to_numpy(dtype="float64")
        out["Accuracy"] = table["accuracy"].to_numpy(dtype="float64")
        out["Bias"] = table["bias"].to_numpy(dtype="float64")
        out["Band"] = table["band"].to_numpy()
        units = {**{f"Week {w}": "percent" for w in trust.CALL_WEEKS}, "Accuracy": "percent", "Bias": "percent"}
        if not self.is_review and len(table):
            now = compute_wide(["closed_amount", "commit_amount"], self.ds, self.period, by="owner")
            per_owner = (now["closed_amount"] + now["commit_amount"]).astype("float64")
            call = pd.concat([per_owner.groupby(m.reindex(per_owner.index)).sum() for m in
                              [pd.Series(per_owner.index, index=per_owner.index),
                               *teams]])
            call = call[~call.index.duplicated()].reindex(table.index).fillna(0.0)
            out["Call now"] = call.to_numpy(dtype="float64")
            out["On their record"] = (call * table["accuracy"]).to_numpy(dtype="float64")
            units.update({"Call now": "currency", "On their record": "currency"})
        return out, units

    def trust_note(self) -> str:
        """What to believe, in words: who over-calls or sandbags consistently, and how honest the range is."""
        history = self.commit_history
        if history.attrs.get("unavailable"):
            return f"{unavailable_sentence(history.attrs['unavailable'])}."
        acc = self.commit_accuracy
        if acc.empty:
            return "No rep made a Commit call in the quarters replayed, so there is no record to judge calls by."
        lines = []
        over = acc[(acc["band"] != "green") & (acc["accuracy"] < 1) & (acc["calls_over"] * 2 >= acc["calls"])]
        under = acc[(acc["band"] != "green") & (acc["accuracy"] > 1) & (acc["calls_under"] * 2 >= acc["calls"])]
        if len(over):
            names = ", ".join(f"{name} ({row['accuracy']:.0%})" for name, row in over.iterrows())
            lines.append(f"**Over-call** (under 85% of the Commit call won in at least half their calls; the share "
                         f"of the call that landed on their record): {names}. Ask for the evidence behind each of "
                         "their Commits and use the haircut figure in the forecast call.")
        if len(under):
            names = ", ".join(f"{name} ({row['accuracy']:.0%})" for name, row in under.iterrows())
            lines.append(f"**Sandbag** (beat the call by more than 15% in at least half their calls): {names}. "
                         "Their Best Case deserves a closer look: some of it is Commit.")
        green = int((acc["band"] == "green").sum())
        lines.append(f"{part_of(green, len(acc), 'rep')} called within 85–115% overall.")
        lines.append(trust.trust_statement(self.calibration))
        return "\n\n".join(lines)


_CACHE: dict[int, tuple[object, ForecastStudy]] = {}


def study(report) -> ForecastStudy:
    """The :class:`ForecastStudy` of a :class:`quotabook.notebook.Report` (built once per report object, so
    the findings, charts and tables of a notebook share one computation)."""
    hit = _CACHE.get(id(report))
    if hit is not None and hit[0] is report:
        return hit[1]
    result = ForecastStudy(report.ds, report.period, report.level, report.scope_level,
                           deals_period=report.moves_period)
    _CACHE.clear()  # one report at a time: a notebook run holds one
    _CACHE[id(report)] = (report, result)
    return result
