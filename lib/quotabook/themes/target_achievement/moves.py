"""The four next moves as ranked, explained lists, per territory and region.

The play once the number stack is read: (1) reclassify weak Commits to Best Case, (2) promote
high-confidence Best Case to Commit, (3) find expansion and pull-in plays, (4) launch a pipeline push where
coverage fails. The tests behind each move are the catalog's (see
:mod:`quotabook.metrics.measures.target_achievement`: :func:`weak_commit_deals`,
:func:`promotable_best_case_deals`, :func:`pull_in_deals`, :func:`expansion_candidates`, and the metrics
``coverage``, ``pipeline_push_amount`` and ``required_new_pipeline``); this module only ranks the rows
and says *why* each one is on its list, in words a DSM can take into a forecast call.

Every list has ``region`` and ``territory`` so a notebook can show it for a region or the district; amounts
are in the reporting currency, dates are days. :func:`impact` shows how Closed + Commit moves per territory
or region if moves 1 and 2 are applied. For notebooks: :func:`table` (one formatted table per move) and
:func:`summary` (the amounts per move per territory or region).

The moves are always for a period with something left to move: a report's own period while it runs, and once
it is over the quarter in progress at the as-of date (:attr:`quotabook.notebook.Report.moves_period`,
:func:`moves_report`). A finished quarter's review so looks ahead; its tables say for which quarter and as of
which date (:func:`outlook_label`), and its page says so once (:func:`outlook_note`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...fiscal import Period
from ...metrics import compute_wide
from ...metrics import format as fmt
from ...metrics.compute import Context
from ...metrics.measures.target_achievement import (
    expansion_candidates,
    last_activity_dates,
    promotable_best_case_deals,
    pull_in_deals,
    weak_commit_deals,
)
from ...schemas import EVIDENCE_FLAGS
from ...text import currency_text, names, noun, plural, pronoun, verb

__all__ = ["MOVES", "NextMoves", "expand", "impact", "is_outlook", "moves_report", "next_moves", "nothing_to_do",
           "outlook_label", "outlook_note", "promote", "pull_in", "push", "reclassify", "summary", "table", "tables"]

#: Each move's key and its heading (the order of the play).
MOVES = {
    "reclassify": "1. Weak Commits to reclassify as Best Case",
    "promote": "2. Best Case to promote to Commit",
    "expand": "3a. Expansion plays: recent customers without an open expansion deal",
    "pull_in": "3b. Pull-in plays: late-stage deals dated next quarter",
    "push": "4. Pipeline push: where coverage is under the bar",
}
_FLAG_WORDS = {"economic_buyer": "economic buyer", "champion": "champion", "decision_criteria": "decision criteria",
               "paper_process": "paper process"}
_LIST_COLUMNS = ["region", "territory", "owner", "opportunity_id", "deal", "stage", "close_date", "amount"]


def _period(ds: Dataset, period: str | Period) -> Period:
    return ds.period(period)


def _context(ds: Dataset, period: str | Period) -> Context:
    return Context(ds, _period(ds, period), ("territory",))


def _with_region(ds: Dataset, frame: pd.DataFrame) -> pd.DataFrame:
    regions = ds.territories.drop_duplicates("territory").set_index("territory")["region"]
    return frame.assign(region=frame["territory"].map(regions))


def _deal_name(frame: pd.DataFrame) -> pd.Series:
    """The deal's name, else its account's, else its id."""
    name = frame["name"] if "name" in frame else pd.Series(np.nan, index=frame.index)
    account = frame["account_name"] if "account_name" in frame else pd.Series(np.nan, index=frame.index)
    return name.fillna(account).fillna(frame["opportunity_id"]).astype(str)


def _days_text(days: float) -> str:
    return "today" if days == 0 else f"{plural(days, 'day')} ago"


def _join(parts: list[list[str]]) -> list[str]:
    return ["; ".join(p for p in row if p) for row in parts]


def _stage_name(ds: Dataset, order: float) -> str:
    names = [s.name for s in ds.settings.stages if s.order == order and not s.is_closed]
    return names[0] if names else f"stage {order:g}"


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})


# -- move 1 ---------------------------------------------------------------------------------------------
def reclassify(ds: Dataset, period: str | Period) -> pd.DataFrame:
    """Open Commit deals of the period lacking recent proof, largest first (next move 1).

    Returns
    -------
    DataFrame
        One row per weak Commit: ``region``, ``territory``, ``owner``, ``opportunity_id``, ``deal`` (name),
        ``stage``, ``close_date``, ``amount`` (currency), ``reason_count`` and ``why`` — every reason that
        applies, e.g. "no activity for 23 days; close date pushed later; missing champion, paper process".
        Ranked by amount (the biggest false precision first), then by the number of reasons.
    """
    ctx = _context(ds, period)
    deals = weak_commit_deals(ctx)
    deals = deals[deals["weak"]]
    columns = [*_LIST_COLUMNS, "reason_count", "why"]
    if deals.empty:
        return _empty(columns)
    days = (ctx.reference_date.normalize() - last_activity_dates(ctx, deals)).dt.days
    proof = ctx.threshold("commit_proof_days")
    first_late = _stage_name(ds, ctx.threshold("commit_min_stage_order"))
    flags = [f for f in EVIDENCE_FLAGS if f in deals and ctx.opportunities[f].notna().any()]
    parts = []
    for i, row in deals.iterrows():
        missing = [_FLAG_WORDS[f] for f in flags if not bool(pd.notna(row[f]) and row[f])]
        activity = (f"no activity for {int(days[i])} days (over {proof:g})" if pd.notna(days[i])
                    else "no activity recorded")
        parts.append([activity if row["no_recent_activity"] else "",
                      "close date pushed later" if row["close_date_pushed"] else "",
                      f"stage {row['stage']} is before {first_late}" if row["early_stage"] else "",
                      f"missing {', '.join(missing)}" if row["missing_evidence"] else ""])
    reasons = ["no_recent_activity", "close_date_pushed", "early_stage", "missing_evidence"]
    out = _with_region(ds, deals).assign(deal=_deal_name(deals), why=_join(parts),
                                         reason_count=deals[reasons].sum(axis=1).astype(int))
    out = out.sort_values(["amount", "reason_count", "opportunity_id"], ascending=[False, False, True], kind="stable")
    return out[columns].reset_index(drop=True)


# -- move 2 ---------------------------------------------------------------------------------------------
_PROMOTE_TESTS = {"late_stage": "stage too early", "recent_activity": "no recent activity",
                  "strong_win_rate": "similar deals win less often than average",
                  "evidence_present": "evidence incomplete"}


def promote(ds: Dataset, period: str | Period, *, near: bool = False) -> pd.DataFrame:
    """Open Best Case deals of the period strong enough for Commit (next move 2).

    A deal qualifies when it is late stage, had activity within ``commit_proof_days`` days, similar closed
    deals (segment, type, size half) won at least as often as all closed deals, and every evidence flag
    the source fills is true; its close date is in the period by construction. With ``near=True`` deals
    failing exactly one test are listed too (``status`` "one test short"), with the test they miss:
    "what prevents this from being in Commit right now?".

    Returns
    -------
    DataFrame
        ``region``, ``territory``, ``owner``, ``opportunity_id``, ``deal``, ``stage``, ``close_date``,
        ``amount`` (currency), ``similar_win_rate`` (0-1), ``expected_amount`` (amount × similar win
        rate), ``status`` and ``why``. Ranked by status, then expected amount (largest first).
    """
    ctx = _context(ds, period)
    deals = promotable_best_case_deals(ctx)
    failed = (~deals[list(_PROMOTE_TESTS)]).sum(axis=1)
    deals = deals[(failed == 0) | (near & (failed == 1))]
    columns = [*_LIST_COLUMNS, "similar_win_rate", "expected_amount", "status", "why"]
    if deals.empty:
        return _empty(columns)
    days = (ctx.reference_date.normalize() - last_activity_dates(ctx, deals)).dt.days
    parts = []
    for i, row in deals.iterrows():
        short = [text for test, text in _PROMOTE_TESTS.items() if not row[test]]
        rate = row["similar_win_rate"]
        parts.append([f"short: {short[0]}" if short else "",
                      f"at {row['stage']}",
                      f"last activity {_days_text(days[i])}" if pd.notna(days[i]) else "",
                      f"closes {fmt.date(row['close_date'])}",
                      f"similar deals won {rate:.0%}" if pd.notna(rate) else ""])
    out = _with_region(ds, deals).assign(
        deal=_deal_name(deals), why=_join(parts),
        expected_amount=deals["amount"] * deals["similar_win_rate"].fillna(0.0),
        status=np.where(failed[deals.index] == 0, "promote", "one test short"))
    out = out.sort_values(["status", "expected_amount", "opportunity_id"], ascending=[False, False, True],
                          kind="stable")
    return out[columns].reset_index(drop=True)


# -- move 3 ---------------------------------------------------------------------------------------------
def pull_in(ds: Dataset, period: str | Period) -> pd.DataFrame:
    """Late-stage open deals dated in the next quarter that could be pulled into this one (next move 3).

    Returns
    -------
    DataFrame
        ``region``, ``territory``, ``owner``, ``opportunity_id``, ``deal``, ``stage``, ``close_date``,
        ``amount`` and ``why`` (stage, date, last activity). Ranked by stage (latest first), then amount.
    """
    ctx = _context(ds, period)
    extra = [c for c in ("opportunity_id", "name", "account_name", "stage", "close_date", "last_activity_date")
             if c in ctx.opportunities]
    deals = pull_in_deals(ctx, *extra)
    columns = [*_LIST_COLUMNS, "why"]
    if deals.empty:
        return _empty(columns)
    order = deals["stage"].map({s.name: s.order for s in ds.settings.stages}).fillna(0)
    days = (ctx.reference_date.normalize() - last_activity_dates(ctx, deals)).dt.days
    why = [f"at {stage}, dated {fmt.date(close)} (next quarter)"
           + (f"; last activity {_days_text(d)}" if pd.notna(d) else "")
           for stage, close, d in zip(deals["stage"], deals["close_date"], days, strict=True)]
    out = _with_region(ds, deals).assign(deal=_deal_name(deals), why=why, _order=order)
    out = out.sort_values(["_order", "amount", "opportunity_id"], ascending=[False, False, True], kind="stable")
    return out[columns].reset_index(drop=True)


def expand(ds: Dataset, period: str | Period) -> pd.DataFrame:
    """Recent customers (won in the period or the three quarters before) with no open expansion deal
    (next move 3), ranked by what they bought in those four quarters (largest first).

    Returns
    -------
    DataFrame
        ``region``, ``territory``, ``owner``, ``account_id``, ``account``, ``won_amount`` (currency, all
        won deals of the account in the four quarters), ``won_deals`` (count), ``last_won`` (date) and
        ``why``.
    """
    ctx = _context(ds, period)
    columns = ["region", "territory", "owner", "account_id", "account", "won_amount", "won_deals", "last_won",
               "why"]
    if "type" not in ctx.opportunities or ctx.opportunities["account_id"].isna().all():
        return _empty(columns)
    extra = [c for c in ("account_name",) if c in ctx.opportunities]
    accounts = expansion_candidates(ctx, *extra)
    if accounts.empty:
        return _empty(columns)
    o = ctx.opportunities
    first = ds.calendar.shift(ctx.period, -3).start
    won = o[o["is_won"].fillna(False).astype(bool) & (o["close_date"] >= first) & (o["close_date"] < ctx.period.end)
            & o["account_id"].isin(accounts["account_id"])]
    totals = won.groupby("account_id")["amount"].agg(["sum", "count"])
    out = _with_region(ds, accounts).assign(
        account=(accounts["account_name"] if "account_name" in accounts else accounts["account_id"]).fillna(
            accounts["account_id"]),
        won_amount=accounts["account_id"].map(totals["sum"]).astype("float64"),
        won_deals=accounts["account_id"].map(totals["count"]).astype(int),
        last_won=accounts["close_date"])
    out["why"] = [f"{plural(n, 'won deal')} in four quarters, latest {fmt.date(d)}; "
                  "no open expansion deal" for n, d in zip(out["won_deals"], out["last_won"], strict=True)]
    out = out.sort_values(["won_amount", "account_id"], ascending=[False, True], kind="stable")
    return out[columns].reset_index(drop=True)


# -- move 4 ---------------------------------------------------------------------------------------------
_PUSH_METRICS = ["total_amount", "target_amount", "coverage", "gap", "win_rate", "pipeline_push_amount",
                 "required_new_pipeline"]


def push(ds: Dataset, period: str | Period, by: str = "territory") -> pd.DataFrame:
    """Territories (or regions) whose stack (Closed + Commit + Best Case) is under ``pipeline_push_below`` ×
    target, with the new pipeline they need (next move 4), largest push first. A territory that
    has already won its target is left out: its coverage is thin but its number is in.

    Returns
    -------
    DataFrame
        ``by``, ``total_amount``, ``target_amount``, ``coverage`` (×), ``gap``, ``win_rate`` (0-1),
        ``pipeline_push_amount`` (pipeline to reach the bar) and ``required_new_pipeline`` (the gap ÷ the
        historical win rate), all from the metric catalog, and ``why``.
    """
    wide = compute_wide(_PUSH_METRICS, ds, period, by=by)
    columns = [by, *_PUSH_METRICS, "why"]
    if not set(_PUSH_METRICS[:3]) <= set(wide.columns):
        return _empty(columns)
    bar = ds.settings.threshold("pipeline_push_below")
    wide = wide.reindex(columns=_PUSH_METRICS)
    # a stack under the bar whose target is already won needs no push (the quarter's number is in)
    short = wide[(wide["coverage"] < bar) & (wide["target_amount"] > 0) & (wide["gap"] > 0)].reset_index()
    if short.empty:
        return _empty(columns)
    code = ds.currency

    def why(row) -> str:
        text = (f"stack {currency_text(row.total_amount, code)} is {row.coverage:.1f}× target "
                f"{currency_text(row.target_amount, code)} (bar {bar:g}×): add "
                f"{currency_text(row.pipeline_push_amount, code)} of pipeline")
        if row.gap > 0 and pd.notna(row.required_new_pipeline) and np.isfinite(row.required_new_pipeline):
            text += (f"; closing the {currency_text(row.gap, code)} gap at the {row.win_rate:.0%} win rate takes "
                     f"{currency_text(row.required_new_pipeline, code)} of new pipeline")
        return text

    short["why"] = [why(r) for r in short.itertuples(index=False)]
    short = short.sort_values(["pipeline_push_amount", by], ascending=[False, True], kind="stable")
    return short[columns].reset_index(drop=True)


# -- the forecast impact of moves 1 and 2 ----------------------------------------------------------------
_IMPACT_METRICS = ["closed_amount", "commit_amount", "weak_commit_amount", "promotable_best_case_amount",
                   "target_amount"]


def impact(ds: Dataset, period: str | Period, by: str = "territory") -> pd.DataFrame:
    """How the committed forecast (Closed + Commit) moves per territory or region if every weak Commit is
    reclassified (move 1) and every promotable Best Case promoted (move 2).

    Returns
    -------
    DataFrame
        ``by``, ``forecast`` (Closed + Commit today), ``reclassified`` (− weak Commit), ``promoted``
        (+ promotable Best Case), ``forecast_after``, ``change``, ``target_amount``,
        ``forecast_attainment`` and ``attainment_after`` (shares of target; NaN without a target).
    """
    w = compute_wide(_IMPACT_METRICS, ds, period, by=by).reindex(columns=_IMPACT_METRICS).fillna(
        {c: 0.0 for c in _IMPACT_METRICS[:4]})
    out = pd.DataFrame(index=w.index)
    out["forecast"] = w["closed_amount"] + w["commit_amount"]
    out["reclassified"] = 0.0 - w["weak_commit_amount"] + 0.0  # + 0.0: no "-0" in tables
    out["promoted"] = w["promotable_best_case_amount"]
    out["forecast_after"] = out["forecast"] + out["reclassified"] + out["promoted"]
    out["change"] = out["forecast_after"] - out["forecast"]
    target = w["target_amount"].where(w["target_amount"] > 0)
    out["target_amount"] = w["target_amount"]
    out["forecast_attainment"] = out["forecast"] / target
    out["attainment_after"] = out["forecast_after"] / target
    return out.reset_index()


# -- all of it, and formatted for notebooks -----------------------------------------------------------
@dataclass
class NextMoves:
    """The four moves for one scope and period: one ranked, explained frame each, plus the impact."""

    reclassify: pd.DataFrame
    promote: pd.DataFrame
    expand: pd.DataFrame
    pull_in: pd.DataFrame
    push: pd.DataFrame
    impact: pd.DataFrame


def next_moves(ds: Dataset, period: str | Period, by: str = "territory") -> NextMoves:
    """Every move's list for ``ds`` (already sliced to a region or the district) and ``period``; the
    push and impact are per ``by`` (territory or region)."""
    return NextMoves(reclassify(ds, period), promote(ds, period), expand(ds, period), pull_in(ds, period),
                     push(ds, period, by), impact(ds, period, by))


_TABLES = {  # move -> (function, columns shown: header -> unit or None)
    "reclassify": {"territory": None, "deal": None, "stage": None, "close_date": None, "amount": "currency",
                   "why": None},
    "promote": {"territory": None, "deal": None, "amount": "currency", "similar_win_rate": "percent",
                "why": None},  # the stage opens the Why
    "expand": {"territory": None, "account": None, "won_amount": "currency", "won_deals": "count", "why": None},
    "pull_in": {"territory": None, "deal": None, "amount": "currency", "why": None},
    "push": {"territory": None, "coverage": "ratio", "pipeline_push_amount": "currency",
             "required_new_pipeline": "currency", "why": None},
    "impact": {"territory": None, "forecast": "currency", "reclassified": "currency", "promoted": "currency",
               "forecast_after": "currency", "forecast_attainment": "percent", "attainment_after": "percent"},
}
_HEADERS = {"territory": "Territory", "region": "Region", "deal": "Deal", "stage": "Stage", "close_date": "Close date",
            "amount": "Amount", "why": "Why", "similar_win_rate": "Similar deals won", "account": "Account",
            "won_amount": "Won (4 quarters)", "won_deals": "Won deals", "coverage": "Coverage",
            "pipeline_push_amount": "Pipeline to add", "required_new_pipeline": "New pipeline at win rate",
            "forecast": "Closed + Commit", "reclassified": "Move 1", "promoted": "Move 2",
            "forecast_after": "After moves", "forecast_attainment": "Attainment now",
            "attainment_after": "Attainment after"}
_NONE = {  # {period}: the period the moves are for; {following}: the quarter after it
    "reclassify": "No weak Commit: every Commit deal closing in {period} has recent proof.",
    "promote": "No Best Case deal passes every test for Commit in {period}.",
    "expand": "No recent customer lacks an open expansion deal.",
    "pull_in": "No late-stage deal is dated {following}, the quarter after {period}.",
    "impact": "No forecast to show for {period}.",
}
_NONE_NEAR = "No Best Case deal passes, or misses by a single test, the tests for Commit in {period}."


# -- which period the moves are for --------------------------------------------------------------------------
def moves_report(report):
    """``report`` as its next moves read it: ``report`` itself while its period runs (or lies ahead); once the period
    is over, the same scope for :attr:`~quotabook.notebook.Report.moves_period`, the quarter in progress at the
    as-of date. A finished quarter has nothing open left to move, so its review looks ahead instead of listing
    deals that can no longer be worked."""
    period = report.moves_period
    return report if period == report.period else replace(report, period=period)


def is_outlook(report) -> bool:
    """Whether ``report``'s moves are for another period than its own (a finished period's review)."""
    return report.moves_period != report.period


def outlook_label(report) -> str:
    """The period the moves are for and the one date they are read on: "2026-Q4 as of 15 Nov 2026"."""
    return f"{report.moves_period.label} as of {fmt.date(report.as_of)}"


def outlook_note(report) -> str:
    """Markdown, said once on a finished period's page (empty while it runs): a heading naming the period the
    next moves are for and the as-of date, and why they are not the finished period's own."""
    if not is_outlook(report):
        return ""
    live = report.moves_period
    which = "the quarter in progress" if live.state(report.as_of).running else "the next quarter"
    return (f"### Outlook: {outlook_label(report)} — next moves\n\n"
            f"*{report.period.label} is over and nothing more can close in it, so the moves below are for {live.label}"
            ", "
            f"{which}, as the data stood on the as-of date. Its figures are not final: they move as deals are won, "
            "lost or slip.*")


def _no_categories(report) -> bool:
    return not report.ds.has("opportunities", "forecast_category")


def _push_none(report) -> str:
    """Why the push list is empty, in agreement with the coverage table beside it: no target, no coverage
    to read (no forecast categories), or no group under the bar, naming any group whose pipeline coverage
    still fires its catalog alert (``pipeline_coverage``'s :meth:`~quotabook.metrics.catalog.Alert.fires`)."""
    level = report.level
    wide = report.metrics(["pipeline_coverage", "target_amount", "gap"]).reindex(
        columns=["pipeline_coverage", "target_amount", "gap"])  # a metric the data cannot give stays NaN
    if not (wide["target_amount"] > 0).any():
        return f"No {level} has a target for {report.period.label}, so no pipeline push can be sized."
    live = wide[(wide["target_amount"] > 0) & (wide["gap"] > 0)]
    alert = report.catalog.get("pipeline_coverage").alert
    firing = live.index[alert.fires(live["pipeline_coverage"], report.settings).fillna(False).astype(bool)]
    under = (f"open pipeline in {names(list(firing))} is under the {alert.value(report.settings):g}× pipeline "
             f"coverage alert, so {pronoun(len(firing))} {verb('needs', len(firing))} more pipeline all the same"
             if len(firing) else "")
    if _no_categories(report):
        text = ("The data has no forecast categories (column opportunities.forecast_category), so coverage "
                "(Closed + Commit + Best Case ÷ target) and the push it calls for cannot be read")
        return text + (f"; {under}." if under else ".")
    if live.empty:
        return f"Every {level} with a target has reached it: no pipeline push needed."
    if under:
        return (f"No {level} with a target still to win is under the "
                f"{report.settings.threshold('pipeline_push_below'):g}× coverage bar for a pipeline push, but {under}.")
    return f"No {level} with a target still to win is under the coverage bar: no pipeline push needed."


def nothing_to_do(report, move: str, *, near: bool = False) -> str:
    """The sentence shown instead of an empty move list: why it is empty, in terms the rest of the page
    agrees with. Without forecast categories there is no Commit or Best Case to test (not "every Commit has
    proof"); with none closing in the period, there is nothing to test. The period is the one the moves are
    for (:func:`moves_report`)."""
    report = moves_report(report)
    period = report.period.label
    if move in ("reclassify", "promote", "impact") and _no_categories(report):
        what = {"reclassify": "Commit to test for proof", "promote": "Best Case to test for Commit",
                "impact": "Commit or Best Case for moves 1 and 2 to change"}[move]
        return f"The data has no forecast categories (column opportunities.forecast_category): no {what}."
    if move in ("reclassify", "promote"):
        metric, name = ("commit_amount", "Commit") if move == "reclassify" else ("best_case_amount", "Best Case")
        if not report.totals([metric]).get(metric, 0.0) > 0:
            return f"No open {name} deal closes in {period}: nothing to {move}."
    if move == "push":
        return _push_none(report)
    if move == "expand":
        lacking = {c: w for c, w in (("account_id", "account"), ("type", "deal type"))
                   if not report.ds.has("opportunities", c)}
        if lacking:  # say which, not "none (or the data lacks something)"
            columns = " and ".join(f"opportunities.{c}" for c in lacking)
            return (f"The data has no {' or '.join(lacking.values())} on its deals ({noun('column', len(lacking))} "
                    f"{columns}), so expansion plays cannot be found.")
    following = report.ds.calendar.shift(report.period, 1).label
    return (_NONE_NEAR if near else _NONE[move]).format(period=period, following=following)


def frame_for(report, move: str, *, near: bool = False) -> pd.DataFrame:
    """The ranked frame of one move (see :data:`MOVES`, or ``"impact"``) for a notebook's report, for the period
    its moves are for (:func:`moves_report`); ``near`` adds the Best Case deals one test short to ``"promote"``
    (see :func:`promote`)."""
    report = moves_report(report)
    if move in ("push", "impact"):
        return {"push": push, "impact": impact}[move](report.ds, report.period, report.level)
    if move == "promote":
        return promote(report.ds, report.period, near=near)
    return {"reclassify": reclassify, "expand": expand, "pull_in": pull_in}[move](report.ds, report.period)


def table(report, move: str, *, limit: int = 10, near: bool = False):
    """One move as a formatted table for a notebook (at most ``limit`` rows, largest first), or a sentence
    saying there is nothing to do. Once the report's period is over the list is the quarter in progress's
    (:func:`moves_report`), its caption naming that quarter and the as-of date. ``near=True`` lists, after
    the Best Case deals ready for Commit, those one test short (their Why names the test). ``report`` is a
    :class:`quotabook.notebook.Report`."""
    if move not in _TABLES:
        raise ValueError(f"unknown move {move!r}: one of {', '.join(_TABLES)}")
    outlook = is_outlook(report)
    near = near and move == "promote"
    frame = frame_for(report, move, near=near)
    if frame.empty:
        return report.markdown(f"*{nothing_to_do(report, move, near=near)}*")
    spec = dict(_TABLES[move])
    if "territory" in spec and "territory" not in frame:
        spec = {report.level if k == "territory" else k: v for k, v in spec.items()}
    if report.is_district and "region" in frame and report.level == "region" and "territory" in spec:
        spec = {"region": None, **spec}
    shown = frame.head(limit)[list(spec)]
    units = {_HEADERS.get(c, c.replace("_", " ").capitalize()): u for c, u in spec.items() if u}
    shown = shown.rename(columns=lambda c: _HEADERS.get(c, c.replace("_", " ").capitalize()))
    if "Close date" in shown:
        shown["Close date"] = fmt.date(shown["Close date"])
    title = MOVES.get(move, "Forecast impact of moves 1 and 2")
    if near:
        ready = int((frame["status"] == "promote").sum())
        short = len(frame) - ready
        title += f": {ready} ready" + (f", then {short} one test short" if short else "")
    if outlook:  # a finished period's review: say whose moves these are
        title += f" — {outlook_label(report)}"
    caption = f"{title} — {len(frame)} in all" if len(frame) > limit else title
    styler = report.table(shown, units, caption=caption, max_rows=limit)  # money compact, as on every page
    if "Close date" in shown:  # a date on one line; the words get the width
        styler = styler.set_properties(subset=["Close date"], **{"white-space": "nowrap"})
    wrap = [c for c in ("Why", "Deal", "Account") if c in shown]
    return styler.set_properties(subset=wrap, **{"white-space": "normal", "min-width": "9em"}) if wrap else styler


def tables(report, *, limit: int = 10) -> dict:
    """Every move's table (see :func:`table`), keyed by move, plus ``"impact"``."""
    return {move: table(report, move, limit=limit) for move in [*MOVES, "impact"]}


_SUMMARY = ["weak_commit_amount", "promotable_best_case_amount", "pull_in_amount", "expansion_candidate_count",
            "pipeline_push_amount"]


def summary(report):
    """The size of each move per territory (a region's report) or region (the district's), formatted, for the
    period the moves are for (:func:`moves_report`)."""
    caption = "The four moves in numbers" + (f" — {outlook_label(report)}" if is_outlook(report) else "")
    report = moves_report(report)
    wide = report.metrics(_SUMMARY)
    shown = wide.reindex(columns=[c for c in _SUMMARY if c in wide.columns]).reset_index()
    labels = {m: report.catalog.get(m).label for m in shown.columns if m != report.level}
    return report.table(shown.rename(columns={report.level: report.level.capitalize(), **labels}),
                     {labels[m]: m for m in labels}, caption=caption)
