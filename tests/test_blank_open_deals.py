"""Rows that can be placed are kept: open deals with blanks real CRMs leave, and the activities of a rejected deal.

Each test writes a small CSV export of its own (two reps, a quarter of 2026, no leads or targets unless
said), loads it through ``quotabook.load`` as a user would, and checks what is kept, what is counted, the
data note's exact words and the metrics' values, worked out by hand in the comments.
"""

from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from quotabook import DataQualityWarning, load, validate_source
from quotabook.kept import blank_open_counts, blank_open_note, kept_notes
from quotabook.metrics import compute_wide

TERRITORIES = "territory,region,district,owner\nT1,East,D,Ann\nT2,West,D,Bob\n"
OPP_HEADER = "opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won\n"
# 2026-Q1 (January to March). W1 won, L1 lost; five open deals, three of them with a blank.
OPEN_WITH_BLANKS = OPP_HEADER + """\
W1,Ann,T1,2025-12-01,2026-02-10,Closed Won,Closed,600,true,true
L1,Bob,T2,2025-12-05,2026-02-20,Closed Lost,Omitted,300,true,false
O1,Ann,T1,2026-01-05,2026-03-20,Negotiation,Commit,1000,false,false
O2,Ann,T1,2026-01-10,2026-03-25,Proposal,Commit,,false,false
O3,Bob,T2,2026-01-12,,Discovery,Pipeline,500,false,false
O4,Bob,T2,,2026-03-28,Proposal,Best Case,400,false,false
O5,Bob,T2,2026-02-01,2026-03-30,Solution,Best Case,,false,false
"""


def write(folder: Path, **files: str) -> Path:
    """A folder source holding ``territories.csv`` and the files given (name without .csv -> text)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "territories.csv").write_text(TERRITORIES, encoding="utf-8")
    for name, text in files.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


def load_noted(source: Path):
    """``load(source)`` and the texts of the DataQualityWarnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        ds = load(source)
    return ds, [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]


@pytest.fixture
def blanks(tmp_path):
    return write(tmp_path / "crm", opportunities=OPEN_WITH_BLANKS)


def test_open_deals_with_blanks_are_kept_and_counted(blanks):
    report, tables = validate_source(blanks)
    assert report.ok and report.rejects.empty
    counts = report.counts().set_index("table")
    assert counts.loc["opportunities", ["read", "used", "rejected"]].tolist() == [7, 7, 0]
    assert blank_open_counts(tables["opportunities"]).to_dict() == {"amount": 2, "close_date": 1, "created_date": 1}
    assert report.kept() == ["opportunities: 2 open deals without an amount",
                             "opportunities: 1 open deal without a close date",
                             "opportunities: 1 open deal without a created date"]


def test_one_data_note_names_them_and_says_how_metrics_treat_them(blanks):
    ds, notes = load_noted(blanks)
    expected = ("4 open deals are kept with blanks their CRM left empty: 2 without an amount, 1 without a close "
                "date, 1 without a created date (e.g. O2, O3, O4, …). They count as open deals (deal counts, aging, "
                "velocity); a blank amount adds nothing to pipeline value, coverage or the forecast (its value is "
                "unknown, not zero); a deal without a close date is in no period's pipeline; a deal without a "
                "created date is in no created-date cohort or cycle time.")
    assert notes == [expected]  # nothing rejected: this is the only note
    assert kept_notes(ds) == [expected]
    # A region's page counts its own: West holds O3, O4 and O5.
    assert blank_open_note(ds.for_region("West").opportunities).startswith(
        "3 open deals are kept with blanks their CRM left empty: 1 without an amount, 1 without a close date, "
        "1 without a created date (e.g. O3, O4, O5).")
    assert blank_open_note(ds.for_region("East").opportunities).startswith(
        "1 open deal is kept with blanks their CRM left empty: 1 without an amount (e.g. O2). It counts as an open "
        "deal")


def test_metric_values_leave_a_blank_amount_out_and_count_the_deal(blanks):
    ds, _ = load_noted(blanks)
    names = ["commit_amount", "best_case_amount", "pipeline_amount", "open_pipeline_amount", "deal_count",
             "priced_deal_count", "average_selling_price", "largest_deal_amount", "closed_amount",
             "opportunity_count"]
    wide = compute_wide(names, ds, "2026-Q1", by="territory")
    assert wide.loc["T1"].to_dict() == {
        "commit_amount": 1000.0,          # O1 1000; O2 has no amount: nothing, not NaN
        "best_case_amount": 0.0,
        "pipeline_amount": 0.0,
        "open_pipeline_amount": 1000.0,
        "deal_count": 2.0,                # O1 and O2: a deal without an amount is still a deal
        "priced_deal_count": 1.0,         # only O1 has a value
        "average_selling_price": 1000.0,  # 1000 / 1, not 1000 / 2
        "largest_deal_amount": 1000.0,
        "closed_amount": 600.0,
        "opportunity_count": 2.0,         # O1, O2 created in the quarter
    }
    assert wide.loc["T2"].to_dict() == {
        "commit_amount": 0.0,
        "best_case_amount": 400.0,        # O4 400; O5 has no amount
        "pipeline_amount": 0.0,           # O3 (Pipeline) has no close date: in no period
        "open_pipeline_amount": 400.0,
        "deal_count": 2.0,                # O4, O5
        "priced_deal_count": 1.0,
        "average_selling_price": 400.0,
        "largest_deal_amount": 400.0,
        "closed_amount": 0.0,
        "opportunity_count": 2.0,         # O3, O5; O4 has no created date: in no cohort
    }
    district = compute_wide(["average_selling_price", "open_pipeline_amount"], ds, "2026-Q1", by="district")
    assert district.loc["D"].to_dict() == {"average_selling_price": 700.0, "open_pipeline_amount": 1400.0}


def test_deals_without_a_created_date_count_as_open_at_any_date(blanks):
    ds, _ = load_noted(blanks)
    # Deals open at the end of 2026-Q1: all five open deals, O4 included (in the pipeline, since when unknown).
    wide = compute_wide(["open_deal_count", "opening_deal_count"], ds, "2026-Q1", by="territory")
    assert wide["open_deal_count"].to_dict() == {"T1": 2.0, "T2": 3.0}
    # Open at the start of the quarter: W1 and L1 (created in December, closed in February) and O4 (no created
    # date); the other open deals were created during the quarter.
    assert wide["opening_deal_count"].to_dict() == {"T1": 1.0, "T2": 2.0}
    with pytest.warns(DataQualityWarning, match="2 deal"):  # W1 and L1 closed later and have no history
        past = ds.as_of("2026-01-11").opportunities
    assert sorted(past["opportunity_id"]) == ["L1", "O1", "O2", "O4", "W1"]
    # The pipeline trend's weekly snapshots agree with as_of.
    from quotabook.forecast.trend import snapshots

    assert sorted(snapshots(ds, ["2026-01-11"])["opportunity_id"]) == ["L1", "O1", "O2", "O4", "W1"]


def test_a_deal_of_unknown_age_gets_its_stages_win_rate_over_every_age(blanks):
    from quotabook.metrics.forecasting.learning import AGE_LABELS, learned_win_probability

    ds, _ = load_noted(blanks)
    ds = dataclasses.replace(ds, as_of_date=pd.Timestamp("2026-02-01"))  # the report date, fixed
    stages = ["Proposal", "Solution"]
    rates = pd.DataFrame({"rate": [0.5, 0.3, np.nan, 0.1, 0.1, *[np.nan] * 5]},
                         index=pd.MultiIndex.from_product([stages, AGE_LABELS], names=["stage", "age_band"]))
    deals = ds.opportunities.set_index("opportunity_id").loc[["O2", "O4", "O5"]]
    got = learned_win_probability(ds, deals, rates)
    # O2 (Proposal, created 2026-01-10, 22 days before the report date): the 0-29 days band, 0.5.
    # O4 (Proposal, no created date): the mean of Proposal's known bands, (0.5 + 0.3 + 0.1 + 0.1) / 4 = 0.25.
    # O5 (Solution, which no closed deal passed through): the overall win rate of closed deals, 1 of 2.
    assert got.round(6).tolist() == [0.5, 0.25, 0.5]


def test_blank_values_never_print_as_nan_in_a_deal_table(blanks):
    from quotabook.metrics import format as fmt

    ds, _ = load_noted(blanks)
    open_deals = ds.opportunities[~ds.opportunities["is_closed"].astype(bool)]
    text = fmt.literal_style(fmt.format_frame(open_deals[["opportunity_id", "amount", "close_date"]],
                                              {"amount": "currency"}, "USD"), na_rep=fmt.MISSING).to_html()
    assert "nan" not in text.lower() and "NaT" not in text and "–" in text


def test_the_concentration_finding_leaves_deals_without_an_amount_out_and_says_so(blanks):
    from quotabook.metrics import load_catalog
    from quotabook.notebook import Report
    from quotabook.themes.target_achievement import text as say

    ds, _ = load_noted(blanks)
    report = Report(ds=ds, period=ds.period("2026-Q1"), region=None, catalog=load_catalog())  # the district
    with warnings.catch_warnings():  # W1 and L1 have no history: past weeks show them open, noted elsewhere
        warnings.simplefilter("ignore", DataQualityWarning)
        sentences = say.target_achievement_findings(report).sentences
    sentence = next(s for s in sentences if "carry Commit" in s)
    # Four deals, two with an amount (O1 1000, O4 400): average 700; each region has one deal with an
    # amount, which is always all of its own forecast, so no region is named as the most concentrated.
    assert sentence == ("4 deals carry Commit + Best Case (average $700, 2 without an amount left out); the "
                        "largest, $1K, is 71% of it.")


def test_a_closed_deal_still_needs_its_amount_close_date_and_created_date(tmp_path):
    source = write(tmp_path / "crm", opportunities=OPP_HEADER + """\
W1,Ann,T1,2025-12-01,,Closed Won,Closed,600,true,true
W2,Ann,T1,2025-12-01,2026-02-10,Closed Won,Closed,,true,true
L1,Bob,T2,,2026-02-20,Closed Lost,Omitted,300,true,false
O1,Ann,T1,2026-01-05,2026-03-20,Negotiation,Commit,,false,false
""")
    report, _ = validate_source(source)
    got = report.rejects[["row", "column", "reason"]].astype({"row": int}).values.tolist()
    assert sorted(got) == [[1, "close_date", "missing_value"], [2, "amount", "missing_value"],
                           [3, "created_date", "missing_value"]]
    messages = dict(zip(report.rejects["column"], report.rejects["message"], strict=True))
    assert messages["close_date"].startswith("a closed deal needs its close date: it places the win or loss in a "
                                             "period")
    assert messages["amount"].startswith("a closed deal needs its amount")
    assert messages["created_date"].startswith("a closed deal needs its created date")
    counts = report.counts().set_index("table")
    assert counts.loc["opportunities", ["read", "used", "rejected"]].tolist() == [4, 1, 3]


def test_an_unparseable_value_on_an_open_deal_is_still_rejected(tmp_path):
    source = write(tmp_path / "crm", opportunities=OPP_HEADER + "O1,Ann,T1,2026-01-05,2026-03-20,Proposal,Commit,"
                                                                  "lots,false,false\n")
    report, _ = validate_source(source)
    assert report.rejects[["column", "reason"]].values.tolist() == [["amount", "bad_number"]]


# -- a rejected deal's activities and history --------------------------------------------------------------
ACTIVITIES = """\
activity_id,owner,activity_date,type,opportunity_id
1,Ann,2026-01-06T10:00:00,dial,R1
2,Ann,2026-01-07T10:00:00,dial,R1
3,Ann,2026-01-08T10:00:00,meeting_held,R1
4,Ann,2026-01-09T10:00:00,dial,O1
5,Bob,2026-01-10T10:00:00,email,
"""
HISTORY = """\
opportunity_id,changed_at,stage,amount,close_date
R1,2026-01-02T09:00:00,Qualification,100,2026-03-01
R1,2026-01-20T09:00:00,Proposal,200,2026-03-01
O1,2026-01-05T09:00:00,Negotiation,1000,2026-03-20
"""
WITH_A_BAD_DEAL = OPP_HEADER + """\
O1,Ann,T1,2026-01-05,2026-03-20,Negotiation,Commit,1000,false,false
R1,Ann,T1,2026-01-02,2026-03-01,Proposal,Commit,-200,false,false
"""


@pytest.fixture
def bad_deal(tmp_path):
    return write(tmp_path / "crm", opportunities=WITH_A_BAD_DEAL, activities=ACTIVITIES, opportunity_history=HISTORY)


def test_a_rejected_deal_keeps_its_activities_unlinked_and_sets_its_history_aside(bad_deal):
    report, tables = validate_source(bad_deal)
    counts = report.counts().set_index("table")[["read", "used", "rejected"]]
    assert counts.loc["opportunities"].tolist() == [2, 1, 1]
    assert counts.loc["activities"].tolist() == [5, 5, 0]           # the rep's dials still happened
    assert counts.loc["opportunity_history"].tolist() == [3, 1, 2]  # a deal's state, not placeable without it
    acts = tables["activities"].set_index("activity_id")
    assert acts["opportunity_id"].isna().tolist() == [True, True, True, False, True]
    assert acts.loc["4", "opportunity_id"] == "O1"
    history = report.rejects[report.rejects["table"] == "opportunity_history"]
    assert history["row"].tolist() == [1, 2]
    assert history["message"].str.endswith("a deal's history cannot be placed without the deal").all()
    assert report.tables["activities"].detached.values.tolist() == [["opportunity_id", "R1", "Ann"]] * 3
    assert "activities: 3 rows of 1 rejected deal kept without their deal" in report.kept()


def test_the_activities_count_for_their_owner_and_the_note_says_so_once(bad_deal):
    ds, notes = load_noted(bad_deal)
    assert notes[0].startswith("3 problems in ")
    assert notes[1:] == ["3 activities logged on 1 rejected deal (R1) are kept without their deal: they count "
                         "for their owner's activity ratios, not for any deal. Their 2 history rows are set aside "
                         "with them: a deal's history cannot be placed without the deal."]
    counted = compute_wide(["activity_count", "dial_count"], ds, "2026-Q1", by="owner")
    assert counted.loc["Ann"].to_dict() == {"activity_count": 4.0, "dial_count": 3.0}
    assert counted.loc["Bob"].to_dict() == {"activity_count": 1.0, "dial_count": 0.0}
    # The East region (Ann) keeps them; West (Bob) has none of them, so its page says nothing of them.
    assert len(ds.for_region("East").activities) == 4
    assert kept_notes(ds.for_region("West")) == []
    assert kept_notes(ds.for_region("East")) == notes[1:]


def test_an_activity_on_a_deal_that_never_existed_is_still_rejected(tmp_path):
    source = write(tmp_path / "crm", opportunities=WITH_A_BAD_DEAL.replace("-200", "200"),
                   activities=ACTIVITIES.replace("R1", "ZZ"))
    report, _ = validate_source(source)
    assert report.rejects["reason"].unique().tolist() == ["unknown_opportunity"]
    assert report.rejects["row"].tolist() == [1, 2, 3]
    assert np.all(report.counts().set_index("table").loc["activities", ["read", "used", "rejected"]] == [5, 2, 3])
    assert pd.isna(report.tables["activities"].detached.get("value")).all()


# -- the pages, end to end ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_pages_on_an_export_whose_open_deals_lack_amounts_and_dates_render_without_nan(tmp_path):
    """The demo district with what real CRMs leave blank: every open deal without an amount (and its history
    too), every other one also without a close date, every third without a created date. The target and
    velocity pages build, say it once in a data note, and print no nan, NaT or -$0."""
    import re

    from quotabook.loading import ensure_demo
    from quotabook.pack import build_pack

    data = tmp_path / "export"
    data.mkdir()
    for path in ensure_demo().glob("*.parquet"):
        (data / path.name).write_bytes(path.read_bytes())
    opps = pd.read_parquet(data / "opportunities.parquet")
    is_open = ~opps["is_closed"].astype(bool).to_numpy()
    position = np.arange(len(opps))
    opps.loc[is_open, "amount"] = np.nan
    opps.loc[is_open & (position % 2 == 0), "close_date"] = pd.NaT
    opps.loc[is_open & (position % 3 == 0), "created_date"] = pd.NaT
    opps.to_parquet(data / "opportunities.parquet", index=False)
    history = pd.read_parquet(data / "opportunity_history.parquet")
    for column in ("amount", "close_date"):  # history would give the blanks back in past views
        blanked = history["opportunity_id"].isin(opps.loc[opps[column].isna(), "opportunity_id"])
        history.loc[blanked, column] = None
    history.to_parquet(data / "opportunity_history.parquet", index=False)
    ds, _ = load_noted(data)
    period = ds.calendar.period_of(ds.reference_date).label

    result = build_pack(period, regions=["district"], notebooks=["00_target_achievement", "03_velocity"],
                        data=str(data), formats=("html",), out=tmp_path / "reports", progress=False, workers=1)
    assert result.ok, result.failures
    for page in (result.out_dir / "district").glob("*.html"):
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style).*?</\1>", "", page.read_text(), flags=re.S))
        assert len(re.findall(r"open deals are kept with blanks", text)) == 1, page.name
        for bad in (r"\bnan\b", r"\bNaN\b", r"\bNaT\b", r"-\$0\b", "Traceback"):
            assert not re.search(bad, text), (page.name, bad)
