"""One vocabulary on data the pages have never seen (issue 16): sentences read on other CRMs' exports
(:func:`quotabook.testing.crm_export`: Pipedrive stages, 2014-2016 deals, three regions; a 2016-Q3 review of data
pulled on 20 Dec 2016, and 2016-Q4 still running then) and on small hand-built datasets, each asserted as the
reader sees it.

Each test names the defect it holds fixed: a tick "marking the target" on a page without targets, "deal(s)"
in data notes, "no result yet" on a finished quarter, "Nordics's", three date formats in one pack, strike-zone
sizes without a currency sign, forecast categories rebuilt from history without a word on the page.
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import nbformat
import pytest

from quotabook.errors import DataQualityWarning
from quotabook.loading import load
from quotabook.metrics import format as fmt
from quotabook.metrics import load_catalog
from quotabook.notebook import Report
from quotabook.settings import load_settings
from quotabook.testing import build_dataset, crm_export, deal, targets
from quotabook.text import noun, plural, possessive, pronoun, verb

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "lib" / "quotabook"

#: Deals without history are shown open before they closed when rebuilt at a past date: noted, expected.
pytestmark = pytest.mark.filterwarnings("ignore::quotabook.errors.DataQualityWarning")


def _load(export, folder: Path):
    export.write(folder)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return load(folder, settings=load_settings(folder / "workbook.yaml"))


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """The export whole, without targets, and without the deals' forecast category, each loaded once."""
    base = crm_export()
    variants = {"full": base, "no_targets": base.without("targets"),
                "no_category": base.without_columns("opportunities", "forecast_category")}
    return {name: _load(export, tmp_path_factory.mktemp(name)) for name, export in variants.items()}


def _report(ds, period: str, region: str | None = "Nordics") -> Report:
    scoped = ds if region is None else ds.for_region(region)
    return Report(ds=scoped, period=scoped.period(period), region=region, catalog=load_catalog())


# -- 1. the stack chart's reading speaks of a tick only where one is drawn ----------------------------------------
def test_without_targets_the_stack_reading_never_speaks_of_a_tick(exports):
    from quotabook.themes.target_achievement import data as views
    from quotabook.themes.target_achievement import text as ta

    report = _report(exports["no_targets"], "2016-Q3")
    stack = views.number_stack(report.ds, report.period, by=report.level)
    assert ta.stack_reading(report, stack).data == (
        "2016-Q3 is over, so each bar shows only **Closed**, its result: a deal dated in it and still open did not "
        "close in it. No territory has a target for 2016-Q3, so no target is marked.")


def test_with_targets_the_stack_reading_explains_the_tick_for_the_period_state(exports):
    from quotabook.themes.target_achievement import data as views
    from quotabook.themes.target_achievement import text as ta

    over = _report(exports["full"], "2016-Q3")
    said = ta.stack_reading(over, views.number_stack(over.ds, over.period, by=over.level)).data
    assert said.endswith("did not close in it. The orange tick marks the target: a bar short of its tick missed it.")
    # Running, with a Commit deal dated in the quarter (Nordics has none open in 2016-Q4): T1 won 50K, C1 40K
    ds = build_dataset([deal("W1", "T1", close="2026-07-20", stage="Closed Won", amount=50_000.0),
                        deal("C1", "T1", close="2026-09-15", stage="Negotiation", category="Commit", amount=40_000.0)],
                       targets=targets("2026-Q3", T1=100_000.0, T2=80_000.0), as_of="2026-08-19").for_region("East")
    running = Report(ds=ds, period=ds.period("2026-Q3"), region="East", catalog=load_catalog())
    said = ta.stack_reading(running, views.number_stack(ds, running.period, by="territory")).data
    assert said.startswith("Each bar stacks the money already won (**Closed**)")
    assert "(**Pipeline**). The orange tick marks the target. A territory whose Closed + Commit + Best Case" in said


def test_the_stack_against_target_is_said_in_one_unit(exports):
    """Nordics 2016-Q4 (running, nothing open dated in it) read "Closed + Commit reaches 15% of target and Closed +
    Commit + Best Case 0.1×": one stack, two units, two figures that looked different."""
    from quotabook.themes.target_achievement import text as ta

    said = ta.target_achievement_findings(_report(exports["full"], "2016-Q4")).sentences[0]
    assert said == ("Nordics has closed $16K of its $109K 2016-Q4 target (15%) with 1 week left; Closed + Commit and "
                    "Closed + Commit + Best Case both reach 15% of target (coverage 0.1×).")


def test_a_group_without_a_target_is_named_as_having_no_tick():
    """T1 has a 2026-Q3 target of 100K, T2 none: the reading says which bar has no tick."""
    from quotabook.themes.target_achievement import data as views
    from quotabook.themes.target_achievement import text as ta

    ds = build_dataset([deal("W1", "T1", close="2026-07-20", stage="Closed Won", amount=50_000.0),
                        deal("W2", "T2", close="2026-07-21", stage="Closed Won", amount=20_000.0)],
                       targets=targets("2026-Q3", T1=100_000.0), as_of="2026-08-19").for_region("East")
    report = Report(ds=ds, period=ds.period("2026-Q3"), region="East", catalog=load_catalog())
    said = ta.stack_reading(report, views.number_stack(ds, report.period, by="territory")).data
    assert "The orange tick marks the target (T2 has none, so no tick). A territory whose" in said


def test_the_notebook_asks_the_library_for_the_stack_reading():
    nb = nbformat.read(ROOT / "notebooks" / "00_target_achievement.ipynb", as_version=4)
    assert not [c for c in nb.cells if c.cell_type == "markdown" and "tick" in c.source]
    assert any("ta.stack_reading(report, stack)" in c.source for c in nb.cells if c.cell_type == "code")


# -- 2. counts agree with their noun, in data notes too -----------------------------------------------------------
def test_data_notes_count_one_deal_and_many_deals_in_words():
    """One deal closed after the date read and without history: "1 deal ... has", not "1 deal(s) ... have"."""
    from quotabook.kept import blank_open_note

    ds = build_dataset([deal("W1", close="2026-09-10", stage="Closed Won", amount=1000.0, created="2026-07-01"),
                        {**deal("O1", close="2026-10-30", created="2026-07-01"), "amount": None}],
                       as_of="2026-09-30")
    with pytest.warns(DataQualityWarning) as caught:
        ds.as_of("2026-08-01")
    assert [str(w.message) for w in caught] == [
        "1 deal closed after 1 Aug 2026 has no history; it is shown open in stage 'Qualification' as of that date"]
    assert blank_open_note(ds.opportunities).startswith(
        "1 open deal is kept with blanks their CRM left empty: 1 without an amount (e.g. O1). It counts as an open "
        "deal (deal counts, aging, velocity);")
    assert [plural(n, "history row") for n in (1, 2, 1204)] == ["1 history row", "2 history rows", "1,204 history rows"]
    assert noun("activity") == "activities" and noun("territory", 1) == "territory"


def _reader_strings(path: Path):
    """String literals of ``path`` a reader may see: every constant and f-string part except docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)) and node.body
            and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            yield node.lineno, node.value


def test_no_string_a_reader_sees_hedges_a_plural_or_builds_a_possessive_by_hand():
    """"deal(s)" and ``f"{name}'s"`` ("Nordics's") have one cure each: :func:`quotabook.text.plural` and
    :func:`quotabook.text.possessive`. Every module is read, not only the pages' ones: the CLI's "wrote 5 rejected
    row(s)", validation's "6 problem(s)" and "required column(s) missing", the pack's "notebook(s) of the pack do
    not exist", the pack history's "1 pack(s)" and the app's "kernel process(es)" reach a reader too."""
    found = []
    for path in sorted(LIB.rglob("*.py")):
        for line, text in _reader_strings(path):
            if re.search(r"\w\((s|es|ies)\)", text) or text.startswith("'s "):
                found.append(f"{path.relative_to(LIB)}:{line}: {text!r}")
    for stem in ("00_target_achievement", "01_activity_ratios", "02_funnel", "03_velocity", "04_territory_quota",
                 "05_forecast", "06_won_lost", "07_rep_scorecards", "summary"):
        nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        found += [f"{stem}: {c.source[:60]!r}" for c in nb.cells if re.search(r"\w\((s|es|ies)\)", c.source)]
    assert not found, "\n".join(found)


def _hand_agreements(path: Path):
    """``x if n == 1 else y`` (or ``!= 1``, ``> 1``) choosing between two strings that are one word's singular and
    plural ("is"/"are", "owns"/"own", "deal"/"deals") or a bare plural ending ("s"/""): agreement built by hand."""
    def forms(word: str) -> set[str]:
        return {verb(word, 2), noun(word, 2)}

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare)
                and any(isinstance(c, ast.Constant) and c.value == 1 for c in node.test.comparators)):
            continue
        pair = [n.value for n in (node.body, node.orelse) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
        if len(pair) == 2 and (set(pair) in ({"s", ""}, {"es", ""}) or pair[1] in forms(pair[0])
                               or pair[0] in forms(pair[1])):
            yield node.lineno, pair


def test_no_module_agrees_a_word_with_its_count_by_hand():
    """"1 rep own{'s' if n == 1 else ''}", "'has' if n == 1 else 'have'": each site chose its own forms and one
    got them backwards or forgot the pronoun; :func:`quotabook.grammar.verb`, :func:`~quotabook.grammar.noun` and
    :func:`~quotabook.grammar.pronoun` agree every count the same way."""
    found = [f"{path.relative_to(LIB)}:{line}: {pair}" for path in sorted(LIB.rglob("*.py"))
             for line, pair in _hand_agreements(path)]
    assert not found, "\n".join(found)


def test_a_verb_agrees_with_its_count():
    assert [verb(w, 1) for w in ("owns", "is kept")] == ["owns", "is kept"]
    assert [verb(w, n) for w, n in (("owns", 2), ("is", 0), ("was", 3), ("has no history", 2), ("reaches", 2),
                                    ("carries", 5), ("does", 2), ("passes", 2), ("uses", 2), ("is kept", 1204))] == [
        "own", "are", "were", "have no history", "reach", "carry", "do", "pass", "use", "are kept"]
    assert [pronoun(1), pronoun(2), pronoun(1, start=True), pronoun(3, case="possessive"),
            pronoun(1, case="object"), pronoun(0, case="object")] == ["it", "they", "It", "their", "it", "them"]
    assert noun("kernel process", 2) == "kernel processes" and noun("was", 2) == "wass"  # a verb is verb()'s


def test_a_rep_owning_territories_in_two_regions_is_one_rep_who_owns():
    """The data note built "own" + "s" by hand; it reads through :func:`quotabook.grammar.verb` now."""
    import pandas as pd

    from quotabook.dataset import _warn_owners_in_regions

    one = pd.DataFrame({"territory": ["T1", "T2", "T3"], "owner": ["Ana", "Ana", "Bo"],
                        "region": ["East", "West", "West"]})
    with pytest.warns(DataQualityWarning, match=r"^1 rep owns territories in more than one region \(Ana\)"):
        _warn_owners_in_regions(one)
    two = one.assign(owner=["Ana", "Ana", "Ana"]).pipe(
        lambda t: pd.concat([t, t.assign(owner="Bo")], ignore_index=True))
    with pytest.warns(DataQualityWarning, match=r"^2 reps own territories in more than one region \(Ana, Bo\)"):
        _warn_owners_in_regions(two)


def test_the_cli_and_validation_count_in_words(tmp_path, capsys):
    """One rejected row, one missing column, one unknown format: the messages agree with the count."""
    from quotabook.cli import main
    from quotabook.errors import ConfigError
    from quotabook.pack.plan import load_pack_spec

    ds = build_dataset([deal("W1", close="2026-07-20", stage="Closed Won", amount=10.0),
                        deal("W2", close="2026-07-21", stage="Closed Won", amount=20.0)])
    folder = tmp_path / "src"
    folder.mkdir()
    ds.territories.to_csv(folder / "territories.csv", index=False)
    ds.opportunities.assign(amount=["10", "ten"]).to_csv(folder / "opportunities.csv", index=False)
    assert main(["validate", "--source", str(folder), "--rejects", str(tmp_path / "rejects.csv")]) == 1
    out = capsys.readouterr().out
    assert re.search(r"^1 problem:$", out, re.M) and "(s)" not in out, out
    assert re.search(r"^wrote 1 rejected row with their reasons to ", out, re.M), out
    folder.joinpath("territories.csv").unlink()
    ds.opportunities.drop(columns=["close_date", "stage"]).to_csv(folder / "opportunities.csv", index=False)
    main(["validate", "--source", str(folder)])
    out = capsys.readouterr().out
    assert "required columns missing: close_date, stage" in out and "(s)" not in out, out
    spec = tmp_path / "p.yaml"
    spec.write_text("notebooks: [00_target_achievement]\nformats: [html, docx]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown format \['docx'\]"):
        load_pack_spec(spec, tmp_path)


# -- 3. a finished quarter is never "yet" --------------------------------------------------------------------------
def test_a_finished_quarters_activity_findings_say_what_it_held_not_yet(exports):
    from quotabook.themes.activity_ratios import text as at

    said = at.activity_ratio_findings(_report(exports["full"], "2016-Q3")).sentences
    assert said[2] == ("Ingrid Dahl's weakest link is Opportunity:Deal, which produced no deal in 2016-Q3: coach "
                       "qualifying and closing.")
    iberia = at.activity_ratio_findings(_report(exports["full"], "2016-Q3", "Iberia")).sentences
    assert iberia[0] == "Iberia's reps made 17 dials in 2016-Q3 and won no deal."
    assert not [s for s in [*said, *iberia] if re.search(r"\byet\b", s)]


def test_a_running_quarter_still_says_yet(exports):
    from quotabook.themes.activity_ratios import text as at

    said = at.activity_ratio_findings(_report(exports["full"], "2016-Q4")).sentences
    assert said[2] == ("Lars Berg dials the most (17) but has no deal to show for them yet, while Ingrid Dahl wins one "
                       "every 6 dials; Lars Berg's weakest link is Connect:Meeting, which has produced no meeting yet: "
                       "coach explaining the product.")


def test_a_one_rep_region_is_the_one_rep_not_one_of_one_reps(exports):
    """Iberia has one rep (Lucía Gómez), behind her goals: "1 of 1 reps is behind" read like a table row."""
    from quotabook.themes.activity_ratios import text as at

    said = at.activity_ratio_findings(_report(exports["full"], "2016-Q3", "Iberia"))
    assert said.sentences[3] == ("The one rep is behind an activity goal (share of the goal done): Lucía Gómez "
                                 "(dials 11%, emails 13%, meetings held 50%).")
    assert said.alerts[0]["message"] == "Iberia: the one rep behind an activity goal (Lucía Gómez)"


def test_a_ratio_the_team_shares_when_rounded_is_said_with_a_decimal():
    """A rep's Connect:Meeting of 2.3:1 and the team's 1.8:1 both print "2:1", so "runs at 2:1, 1.3× the team's
    2:1" contradicted itself (found on Benelux 2016-Q3 of an export): one decimal shows the difference."""
    import pandas as pd

    from quotabook.themes.activity_ratios import text as at
    from quotabook.themes.activity_ratios.data import CHAIN_COLUMNS

    chain = pd.DataFrame({"Rep": ["Sanne de Vries", "Joost Bakker"], CHAIN_COLUMNS["dial_to_deal"]: [6.0, 10.0]})
    counts = pd.DataFrame({"Rep": ["Sanne de Vries", "Joost Bakker"], "Dials": [12.0, 19.0]})
    weakest = pd.DataFrame({"Rep": ["Sanne de Vries"], "Step": ["Connect:Meeting"], "Rep ratio": [2.3],
                            "Team ratio": [1.8], "Rep ÷ team": [2.3 / 1.8], "Coach on": ["explaining the product"]})
    said = at.spotlight_sentence(chain, counts, weakest)
    assert said.endswith("Sanne de Vries' weakest link is Connect:Meeting, which runs at 2.3:1, 1.3× the team's "
                         "1.8:1: coach explaining the product."), said


# -- 4. possessives ---------------------------------------------------------------------------------------------
def test_possessive_of_a_name_ending_in_s():
    assert [possessive(n) for n in ("Nordics", "West", "The district", "Sanne de Vries", "Lucía Gómez")] == [
        "Nordics'", "West's", "The district's", "Sanne de Vries'", "Lucía Gómez's"]


def test_a_region_named_in_the_plural_reads_nordics_not_nordicss(exports):
    from quotabook.themes.activity_ratios import text as at
    from quotabook.themes.target_achievement import text as ta

    report = _report(exports["full"], "2016-Q3")
    assert at.activity_ratio_findings(report).sentences[0].startswith("Nordics' reps made 37 dials in 2016-Q3")
    assert ta.impact_note(report).data == ("No Commit lacks proof and no Best Case is ready to promote: Nordics' "
                                           "Closed + Commit stays at \\$16K.")


# -- 5. one date format --------------------------------------------------------------------------------------------
def test_the_one_date_format_for_sentences_and_tables():
    import pandas as pd

    days = pd.Series(pd.to_datetime(["2026-11-05", None, "2016-01-31"]), index=[3, 4, 5])
    assert fmt.date(days).to_dict() == {3: "5 Nov 2026", 4: "–", 5: "31 Jan 2016"}
    assert fmt.date("2016-02-25") == "25 Feb 2016"


def test_next_moves_write_dates_as_the_rest_of_the_pack(exports):
    """The review's moves (2016-Q4 as of 20 Dec 2016) wrote "Feb 25", "Apr 22, 2016" and "Nov 05, 2026" beside
    the pages' "20 Dec 2016"."""
    from quotabook.themes.target_achievement import moves

    report = _report(exports["full"], "2016-Q3")
    assert moves.frame_for(report, "pull_in")["why"].tolist() == [
        "at Proposal Made, dated 25 Feb 2017 (next quarter); last activity 18 days ago"]
    assert moves.frame_for(report, "expand")["why"].iloc[0] == (
        "1 won deal in four quarters, latest 22 Apr 2016; no open expansion deal")
    assert moves.outlook_label(report) == "2016-Q4 as of 20 Dec 2016"
    shown = moves.table(report, "pull_in")  # the table's close dates as its Why and its caption write them
    assert shown.caption == "3b. Pull-in plays: late-stage deals dated next quarter — 2016-Q4 as of 20 Dec 2016"
    assert shown.data["Why"].tolist() == [
        "at Proposal Made, dated 25 Feb 2017 (next quarter); last activity 18 days ago"]


# -- 6. money in chart titles ----------------------------------------------------------------------------------------
def test_strike_zone_sizes_carry_the_currency(exports):
    from quotabook.forecast import study
    from quotabook.themes.forecast import charts

    fx = study(_report(exports["full"], "2016-Q3"))
    assert list(fx.zone["size_band"].cat.categories) == ["under $5K", "$5K–$16K", "$16K and over"]
    fig = charts.strike_zone_heatmap(fx.zone, currency="USD")
    title = fig._suptitle.get_text().replace("\n", " ")  # wrapped to the chart's width
    assert title == ("Strike zone: deals \\$16K and over aged 30-59 days win 50%; under \\$5K still open at 60-89 "
                     "days: none won")


def test_what_needs_the_change_history_says_so_once(tmp_path):
    """Without history the forecast and rep pages read "Commit accuracy cannot be judged: commit accuracy not
    available: needs table opportunity_history"."""
    from quotabook.forecast import study
    from quotabook.rep_scorecards import text as rt
    from quotabook.rep_scorecards.data import scorecards

    ds = _load(crm_export().without("opportunity_history"), tmp_path)
    report = _report(ds, "2016-Q3")
    said = "Commit accuracy not available: needs table opportunity_history."
    assert study(report).trust_note() == said
    assert said in rt.scorecard_findings(report, scorecards(report.ds, report.period)).sentences


# -- 7. categories rebuilt from history are said -------------------------------------------------------------------
def test_forecast_categories_rebuilt_from_history_are_noted_where_the_page_shows_them(exports):
    from quotabook.forecast import study

    review = study(_report(exports["no_category"], "2016-Q3"))
    assert review.note() == (
        "The deals carry no forecast category of their own, so the 2016-Q3 Category forecast as of 12 Aug 2016 and "
        "the Category backtest use the categories recorded in their change history, each deal as it stood at the "
        "date read; a deal without history has no category there.")
    running = study(_report(exports["no_category"], "2016-Q4"))
    assert running.note() == (
        "Not shown, because the data lacks what they need: Category forecast (needs column "
        "opportunities.forecast_category). The deals carry no forecast category of their own, so the Category "
        "backtest uses the categories recorded in their change history, each deal as it stood at the date read; a "
        "deal without history has no category there.")
    assert study(_report(exports["full"], "2016-Q3")).category_note() == ""


# -- the sweep: single-region packs of the exports, read as text ---------------------------------------------------
def test_a_part_of_a_whole_agrees_with_the_whole():
    from quotabook.text import part_of

    assert [part_of(k, n, w) for k, n, w in ((1, 1, "territory"), (0, 1, "owner"), (2, 5, "region"),
                                             (1, 1204, "open deal"))] == [
        "1 of 1 territory", "0 of 1 rep", "2 of 5 regions", "1 of 1,204 open deals"]


def test_a_one_territory_region_reads_as_one(exports):
    """Iberia is one territory (ES-Madrid) and one rep; in 2016-Q4 nothing open is dated in the quarter. The stack
    title read "falls short of target in 1 of 1 territories", its reading spoke of Commit, Best Case and Pipeline
    the chart does not draw, and a red-flag bar read "1 deals"."""
    from quotabook.themes.target_achievement import charts as ta_charts
    from quotabook.themes.target_achievement import data as views
    from quotabook.themes.target_achievement import text as ta
    from quotabook.themes.velocity.integrity_charts import red_flag_bars
    from quotabook.themes.velocity.integrity_data import flag_summary

    report = _report(exports["full"], "2016-Q4", "Iberia")
    stack = views.number_stack(report.ds, report.period, by=report.level)
    fig = ta_charts.stack_vs_target(stack, label=report.level, currency=report.currency, scope=report.label)
    assert fig._suptitle.get_text() == "Closed + Commit + Best Case falls short of target in ES-Madrid"
    assert ta.stack_reading(report, stack).data.startswith(
        "No open amount is dated in 2016-Q4, so each bar shows only **Closed**, won so far. The orange tick marks the "
        "target.")
    flags = red_flag_bars(flag_summary(report.ds), currency="USD")
    assert flags._suptitle.get_text() == "6 of 12 open deals closing by 20 Mar 2017 carry a red flag, worth \\$314K"
    assert [t.get_text() for t in flags.axes[0].texts] == [
        "0 deals · \\$0", "6 deals · \\$314K", "1 deal · \\$227K", "6 deals · \\$314K"]


def test_one_group_forecast_to_reach_target_is_the_one_group():
    """"Every one of the 1 territories is forecast to reach target" on a one-territory region."""
    import pandas as pd

    from quotabook.themes.forecast.charts import _groups_title

    one = pd.DataFrame({"monte_carlo_p50": [60.0], "target_amount": [50.0]}, index=["ES-Madrid"])
    assert _groups_title(one, "territory", []) == "The one territory is forecast to reach target (Monte Carlo median)"


def test_a_reviewed_forecast_was_a_forecast_not_the_result(exports):
    """Iberia 2016-Q3 closed $0 against $96K: its page said the one territory "reached target on the Monte Carlo
    median" (the week-7 forecast), told the reader to "lead with" a method 8% accurate, and labelled what had
    closed by the forecast date "Closed to date"."""
    from quotabook.forecast import study
    from quotabook.themes.forecast import charts
    from quotabook.themes.forecast.text import forecast_findings

    report = _report(exports["full"], "2016-Q3", "Iberia")
    said = forecast_findings(report).sentences
    assert said[1] == ("In week 7 (12 Aug 2016) the 5 methods ranged from $27K (Run-rate) to $160K (Monte Carlo "
                       "median); its one territory was forecast to reach target on the Monte Carlo median.")
    assert said[2].startswith("Rerun on the pipeline as it stood in each of the last 2 quarters, Category has been "
                              "the most accurate forecast for Iberia (8% on average, bias +61%), but under the 75% "
                              "alert line, so treat every method's forecast as indicative;")
    fx = study(report)
    fig = charts.outlook_ranges(fx.outlook, scope=report.label, period=report.period.label, currency=report.currency)
    assert "Closed by 12 Aug 2016" in [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_a_quarter_with_nothing_won_says_it_once_and_in_the_past(exports):
    """Iberia closed 6 deals in 2016-Q3 and won none: "It won 0% of the deals it closed (0 won deals; no won deal
    is recorded)" said it three times; the won/lost page said "has won no deal" of a finished quarter and wrote
    its window as "2015-Q4..2016-Q3"."""
    from quotabook.text import span
    from quotabook.themes.target_achievement import text as ta
    from quotabook.themes.won_lost import text as wl

    report = _report(exports["full"], "2016-Q3", "Iberia")
    assert ta.target_achievement_findings(report).sentences[2] == (
        "It won none of the 6 deals it closed; nothing more can close in 2016-Q3, so the next moves at the end of "
        "this page are for 2016-Q4 as of 20 Dec 2016.")
    said = wl.won_lost_findings(report).sentences
    assert said[0] == "Iberia won no deal in 2016-Q3 against a $96K target."
    assert said[1] == ("It won 0% of the 6 deals it closed, down from 50% in 2016-Q2, below the 22–35% benchmark "
                       "band (CSO Insights 2024, as cited).")  # the band as the funnel page writes it, not "22%–35%"
    assert said[2] == ("No decision is the top loss reason over 2015-Q4 to 2016-Q3: 6 of 20 lost deals (30%), $140K "
                       "of value.")
    assert span("2015-Q4..2016-Q3") == "2015-Q4 to 2016-Q3" and span("2016-Q3") == "2016-Q3"


def test_a_review_without_targets_says_what_was_forecast_and_what_closed(exports):
    """Nordics 2016-Q3 without targets: "Monte Carlo puts bookings at $14K-$102K" read as a live forecast of a
    quarter that had closed $74K; "the lowest capacity is SE-Stockholm at 100%, which scales its calibrated quota
    down by the same share" scaled nothing."""
    from quotabook.themes.forecast.text import forecast_findings
    from quotabook.themes.territory_quota import text as tq

    report = _report(exports["no_targets"], "2016-Q3")
    assert forecast_findings(report).sentences[0] == (
        "Nordics has no target for 2016-Q3 in the data, so the forecast cannot be set against one; in week 7 "
        "(12 Aug 2016) Monte Carlo put bookings at $14K–$102K, and it closed $74K.")
    said = tq.territory_quota_findings(report).sentences
    assert said[2] == "No territory is on a new-hire ramp: every one sells at full capacity."


def test_without_targets_the_territory_page_says_so_once(exports):
    """Nordics 2016-Q3 without targets opened its first sentence and its fourth, in a row on the page, with "No target
    is set for 2016-Q3": the calibration and the what-if both lack the target, said in one sentence."""
    from quotabook.themes.territory_quota import text as tq

    findings = tq.territory_quota_findings(_report(exports["no_targets"], "2016-Q3"))
    assert findings.sentences[0] == ("No target is set for 2016-Q3, so neither the calibrated quota nor the what-if "
                                     "has a target to measure against.")
    assert sum("No target" in s for s in findings.sentences) == 1 and len(findings.sentences) == 3
    assert "Chance of target" not in findings.headlines
    with_targets = tq.territory_quota_findings(_report(exports["full"], "2016-Q3")).sentences
    assert not [s for s in with_targets if "No target" in s] and len(with_targets) >= 4
