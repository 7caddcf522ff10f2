"""The tables of the rep-scorecards notebook: the ranked team table, whole or in two parts that each fit a
printed page, and one card per rep (its table, its deals line and its chart).

Every figure comes from :func:`quotabook.rep_scorecards.data.scorecards`; the sentences are in
:mod:`quotabook.rep_scorecards.text`.
"""

from __future__ import annotations

import pandas as pd

from .charts import rep_card
from .data import Scorecards
from .text import card_columns, card_value, deals_line, is_running

__all__ = ["CARD_CLASS", "PARTS", "show_cards", "team_table"]

#: The class of a card's table: the pack's CSS finds the cards by it (``quotabook.pack.render.PRINT_CSS``).
CARD_CLASS = "qb-card"


#: The team table in two parts that each fit a printed page: the quarter's results, then how each rep works
#: and calls (activity, tenure, Commit calls).
PARTS = {"results": ("closed_amount", "target_amount", "attainment", "pipeline_coverage", "win_rate",
                     "sales_cycle_days", "average_deal_size"),
         "habits": ("activity_goal_attainment", "rep_tenure_days", "commit_accuracy", "commit_bias")}


def team_table(report, cards: Scorecards, part: str | None = None):
    """The reps ranked (attainment, else bookings), one row each: every scorecard metric, or one of
    :data:`PARTS` (``"results"`` or ``"habits"``, the latter with the Commit band)."""
    columns = card_columns(report, cards)
    if part is not None:
        columns = {m: label for m, label in columns.items() if m in PARTS[part]}
    frame = cards.team.reset_index()
    shown = pd.DataFrame({"Rank": frame["rank"], "Rep": frame["owner"].astype("str")})
    for metric, label in columns.items():
        shown[label] = [card_value(report, metric, v) for v in frame[metric]]  # the figures the cards show
    if part in (None, "habits"):
        shown["Commit band"] = frame["commit_band"].to_numpy()
    what = {None: "", "results": ": results", "habits": ": activity, tenure and Commit calls"}[part]
    caption = f"The team in {report.period.label}{' so far' if is_running(report) else ''}, ranked{what}"
    if "pipeline_coverage" in columns:
        caption += " (coverage –: target already met, or no target)"
    styler = report.table(shown, {"Rank": "count"}, caption=caption)
    return styler.set_properties(subset=[c for c in shown.columns if c not in ("Rep", "Commit band")],
                                 **{"text-align": "right"})


def show_cards(report, cards: Scorecards) -> None:
    """Display one card per rep, in rank order: a heading, a compact table (its class :data:`CARD_CLASS`), the
    top win and loss, and two charts (:func:`~quotabook.rep_scorecards.charts.rep_card`, half a page wide):
    four outputs a rep, which the pack's CSS sets two cards to a line in print and on a wide screen."""
    from IPython.display import display

    columns = card_columns(report, cards)
    wins = cards.wins.set_index("owner")
    losses = cards.losses.set_index("owner")
    for owner, row in cards.team.iterrows():  # a handful of reps per scope: one card each
        rows = [{"Metric": label, "Value": card_value(report, metric, row[metric])}
                for metric, label in columns.items()]
        if row.get("commit_band"):
            rows.append({"Metric": "Commit band", "Value": row["commit_band"]})
        display(report.markdown(f"### {int(row['rank'])}. {owner}"))
        display(report.table(pd.DataFrame(rows), name=f"Scorecard: {owner}").set_table_attributes(
            f'class="{CARD_CLASS}"'))
        display(report.markdown(deals_line(report, owner, wins, losses)))
        history = cards.history[cards.history["owner"] == owner]
        calls = cards.calls[cards.calls["owner"] == owner]
        acc = row.get("commit_accuracy")
        title = (f"{owner}: {report.pct(acc)} of the Commit call won over four quarters" if pd.notna(acc)
                 else f"{owner}: bookings by quarter")
        display(rep_card(history, calls, title=title, currency=report.currency))
