"""One test per reason a row or file is set aside, each with its message checked, plus reconciliation."""

import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotabook import DataQualityWarning, DataValidationError, load, validate_source
from quotabook.schemas import TABLES
from quotabook.testing.tiny import OPPORTUNITIES, TERRITORIES, write_folder
from quotabook.validation import validate_table


def _problems(folder):
    report, _ = validate_source(folder)
    return report, report.rejects


def _assert_reconciles(report):
    counts = report.counts()
    assert (counts["read"] == counts["used"] + counts["rejected"]).all()


def _only(rejects, reason):
    rows = rejects[rejects["reason"] == reason]
    assert len(rows) == 1, rejects.to_string()
    return rows.iloc[0]


def _folder_with_opportunity_row(tmp_path, row: str):
    return write_folder(tmp_path / "f", territories=TERRITORIES, opportunities=OPPORTUNITIES + row + "\n")


def test_valid_folder_has_no_rejects(tiny_folder):
    report, rejects = _problems(tiny_folder)
    assert report.ok and rejects.empty
    _assert_reconciles(report)


def test_missing_required_column_names_it_and_rejects_every_row(tmp_path):
    text = OPPORTUNITIES.replace("close_date,", "closing,")
    folder = write_folder(tmp_path / "f", territories=TERRITORIES, opportunities=text)
    report, _ = _problems(folder)
    problem = report.file_problems[0]
    assert problem["reason"] == "missing_column" and problem["column"] == "close_date"
    assert "required column missing: close_date" in problem["message"]
    assert report.tables["opportunities"].rejected_rows == 4
    _assert_reconciles(report)
    with pytest.raises(DataValidationError, match="close_date"):
        load(folder)


def test_bad_date_names_file_row_column_and_value(tmp_path):
    folder = _folder_with_opportunity_row(tmp_path, "E,Ann,T1,2026-02-30,2026-03-01,Proposal,Commit,10,false,false,")
    report, rejects = _problems(folder)
    rec = _only(rejects, "bad_date")
    assert (rec.file.endswith("opportunities.csv"), rec.row, rec.column, rec.value) == (True, 5, "created_date",
                                                                                          "2026-02-30")
    assert "expected ISO format YYYY-MM-DD" in rec.message
    _assert_reconciles(report)


def test_negative_amount(tmp_path):
    folder = _folder_with_opportunity_row(tmp_path, "E,Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,-10,false,false,")
    rec = _only(_problems(folder)[1], "negative_amount")
    assert (rec.row, rec.column, rec.message) == (5, "amount", "amount is negative")


def test_conflicting_duplicate_ids_are_all_rejected_exact_copies_keep_one(tmp_path):
    dup = "A,Ann,T1,2026-01-05,2026-03-30,Proposal,Commit,9999,false,false,"
    exact = OPPORTUNITIES.splitlines()[2]  # deal B repeated verbatim
    folder = _folder_with_opportunity_row(tmp_path, dup + "\n" + exact)
    report, rejects = _problems(folder)
    dups = rejects[rejects["reason"] == "duplicate_id"]
    assert sorted(dups["row"]) == [1, 5, 6]
    assert "several rows with different values" in dups[dups["row"] == 1].iloc[0]["message"]
    assert "exact copy" in dups[dups["row"] == 6].iloc[0]["message"]
    assert set(report.tables["opportunities"].data["opportunity_id"]) == {"B", "C", "D"}
    _assert_reconciles(report)


def test_unknown_stage_points_at_the_stage_map(tmp_path):
    folder = _folder_with_opportunity_row(tmp_path, "E,Ann,T1,2026-01-01,2026-03-01,Demo,Commit,10,false,false,")
    rec = _only(_problems(folder)[1], "unknown_stage")
    assert (rec.column, rec.value) == ("stage", "Demo")
    assert "workbook stage map" in rec.message


def test_close_before_create(tmp_path):
    folder = _folder_with_opportunity_row(tmp_path, "E,Ann,T1,2026-03-01,2026-01-01,Proposal,Commit,10,false,false,")
    rec = _only(_problems(folder)[1], "close_before_create")
    assert (rec.row, rec.column) == (5, "created_date, close_date")
    assert rec.message == "close date is before the created date"


def test_empty_file_is_reported_and_required_table_stops_loading(tmp_path):
    header = OPPORTUNITIES.splitlines()[0] + "\n"
    folder = write_folder(tmp_path / "f", territories=TERRITORIES, opportunities=header)
    report, _ = _problems(folder)
    assert report.file_problems[0]["reason"] == "empty_file"
    assert report.file_problems[0]["message"] == "the file has no data rows"
    with pytest.raises(DataValidationError, match="no data rows"):
        load(folder)


@pytest.mark.parametrize(("row", "reason", "column"), [
    ("E,Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,lots,false,false,", "bad_number", "amount"),
    ("E,Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,10,maybe,false,", "bad_boolean", "is_closed"),
    ("E,Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,10,false,true,", "won_but_not_closed", "is_won, is_closed"),
    ("E,Ann,T9,2026-01-01,2026-03-01,Proposal,Commit,10,false,false,", "unknown_territory", "territory"),
    ("E,Ann,T1,2026-01-01,2026-03-01,Proposal,Maybe,10,false,false,", "unknown_value", "forecast_category"),
    (",Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,10,false,false,", "missing_value", "opportunity_id"),
])
def test_other_row_level_reasons(tmp_path, row, reason, column):
    report, rejects = _problems(_folder_with_opportunity_row(tmp_path, row))
    rec = _only(rejects, reason)
    assert (rec.row, rec.column) == (5, column)
    _assert_reconciles(report)


def test_history_for_unknown_deal_is_rejected(tmp_path):
    folder = write_folder(tmp_path / "f", territories=TERRITORIES, opportunities=OPPORTUNITIES,
                          opportunity_history="opportunity_id,changed_at,stage\nZZ,2026-01-01,Discovery\n")
    rec = _only(_problems(folder)[1], "unknown_opportunity")
    assert (rec.table, rec.row, rec.value) == ("opportunity_history", 1, "ZZ")


def test_unreadable_file_is_a_named_problem(tmp_path):
    folder = write_folder(tmp_path / "f", territories=TERRITORIES, opportunities=OPPORTUNITIES)
    (folder / "activities.parquet").write_bytes(b"not parquet at all")
    report, _ = _problems(folder)
    problem = report.file_problems[0]
    assert problem["reason"] == "unreadable_file" and problem["file"].endswith("activities.parquet")


def test_load_warns_and_keeps_rejects_on_the_dataset(tmp_path):
    folder = _folder_with_opportunity_row(tmp_path, "E,Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,-1,false,false,")
    with pytest.warns(DataQualityWarning, match="1 problem"):
        ds = load(folder)
    assert len(ds.opportunities) == 4 and ds.rejects["reason"].tolist() == ["negative_amount"]
    with pytest.raises(DataValidationError, match="negative_amount"):
        load(folder, strict=True)


def test_summary_reads_as_file_row_column_reason(tmp_path):
    folder = _folder_with_opportunity_row(tmp_path, "E,Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,-1,false,false,")
    report, _ = _problems(folder)
    assert "opportunities.csv, row 5, column 'amount': negative_amount — amount is negative" in report.summary()


CELLS = st.sampled_from(["", "null", "-5", "abc", "2026-13-01", "true", "Proposal", "T9", "1e3", "NaN", "  7 "])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 10), CELLS), max_size=12))
def test_any_corruption_reconciles_and_never_crashes(edits):
    """Property: whatever cells are corrupted, read = used + rejected and every reject names a row."""
    raw = pd.read_csv(pd.io.common.StringIO(OPPORTUNITIES), dtype=str, keep_default_na=False)
    for row, col, value in edits:
        raw.iat[row, col] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result, _ = validate_table(TABLES["opportunities"], raw, "fuzz.csv",
                                   ["Qualification", "Discovery", "Proposal", "Closed Won", "Closed Lost"])
    assert result.read == result.used + result.rejected_rows == 4
    assert result.rejects["row"].between(1, 4).all()
