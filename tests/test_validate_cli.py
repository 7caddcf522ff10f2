"""``quotabook validate``: problems counted per reason before the first N are listed, ``--rejects FILE.csv``
writing every rejected row with its reasons (like Salesforce Data Loader's error file), and a folder that
holds one table in two files refused with both named; ``quotabook demo --csv`` writes a folder that loads."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest

from quotabook import load
from quotabook.cli import main
from quotabook.errors import DataValidationError, SourceError
from quotabook.loading import find_table_files
from quotabook.testing.tiny import ACTIVITIES, HISTORY, OPPORTUNITIES, TERRITORIES, write_folder

# Rows 5-8 of opportunities: E negative, F negative and a bad date, G a closed deal without a close date,
# H clean. A's history and activities stay; history row 9 points at E (rejected), row 10 at ZZ (unknown).
BAD_OPPORTUNITIES = OPPORTUNITIES + """\
E,Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,-1,false,false,
F,Ann,T1,someday,2026-03-01,Proposal,Commit,-2,false,false,
G,Bob,T2,2026-01-01,,Closed Won,Closed,700,true,true,
H,Bob,T2,2026-01-03,2026-03-03,Proposal,Commit,50,false,false,
"""
BAD_HISTORY = HISTORY + """\
E,2026-01-02T09:00:00,Qualification,10,2026-03-01,Pipeline,10
ZZ,2026-01-02T09:00:00,Qualification,10,2026-03-01,Pipeline,10
"""


@pytest.fixture
def bad_folder(tmp_path):
    return write_folder(tmp_path / "crm", territories=TERRITORIES, opportunities=BAD_OPPORTUNITIES,
                        opportunity_history=BAD_HISTORY, activities=ACTIVITIES)


def test_validate_counts_problems_per_reason_table_and_column_before_listing_them(bad_folder, capsys):
    assert main(["validate", str(bad_folder), "--limit", "2"]) == 1
    out = capsys.readouterr().out
    by_reason = out.split("problems by reason:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split() for line in by_reason] == [
        ["reason", "table", "column", "count"],
        ["negative_amount", "opportunities", "amount", "2"],           # E and F
        ["unknown_opportunity", "opportunity_history", "opportunity_id", "2"],  # E's row and ZZ's
        ["bad_date", "opportunities", "created_date", "1"],           # F
        ["missing_value", "opportunities", "close_date", "1"],        # G: closed, no close date
    ]
    assert out.index("problems by reason:") < out.index("6 problems, root causes first:")
    listed = out.split("6 problems, root causes first:\n", 1)[1].splitlines()
    assert len(listed) == 3 and listed[2] == "  … and 4 more (see the rejects table)"


def test_a_missing_required_column_is_listed_once_for_its_file_with_the_rows_it_cost(tmp_path, capsys):
    # Every deal of a file without its stage column is rejected: one line says so, not one per row.
    header, *rows = OPPORTUNITIES.splitlines()
    stage = header.split(",").index("stage")
    without = "\n".join(",".join(c for i, c in enumerate(line.split(",")) if i != stage)
                         for line in [header, *rows]) + "\n"
    folder = write_folder(tmp_path / "crm", territories=TERRITORIES, opportunities=without)
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    listed = out.split("5 problems:\n", 1)[1].split("\n\n", 1)[0].splitlines()  # 4 rows + the file's
    stage_lines = [line for line in listed if "missing_column" in line]
    assert len(stage_lines) == 1 and listed[0] == stage_lines[0]  # the root cause, first
    assert "opportunities.csv, column 'stage': missing_column — required column missing: stage" in listed[0]
    assert listed[0].endswith(f"; {len(rows)} rows rejected for it")
    target = tmp_path / "rejects.csv"  # the rejects table still holds every row
    assert main(["validate", str(folder), "--rejects", str(target)]) == 1
    rejected = pd.read_csv(target, dtype=str).query("table == 'opportunities'")
    assert rejected["row"].dropna().astype(int).tolist() == list(range(1, len(rows) + 1))


def test_rejects_file_holds_every_rejected_row_with_its_reasons_and_columns(bad_folder, tmp_path, capsys):
    target = tmp_path / "out" / "rejects.csv"
    assert main(["validate", str(bad_folder), "--rejects", str(target)]) == 1
    assert f"wrote 5 rejected rows with their reasons to {target}" in capsys.readouterr().out
    rows = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert rows.columns[:6].tolist() == ["table", "file", "row", "column", "reason", "message"]
    assert rows[["table", "row", "opportunity_id"]].values.tolist() == [
        ["opportunities", "5", "E"], ["opportunities", "6", "F"], ["opportunities", "7", "G"],
        ["opportunity_history", "9", "E"], ["opportunity_history", "10", "ZZ"]]
    f = rows[(rows["table"] == "opportunities") & (rows["opportunity_id"] == "F")].iloc[0]
    # One line per row, its problems joined; the row's own cells as read (the bad text, not a parsed value).
    assert f["reason"] == "bad_date; negative_amount" and f["column"] == "created_date; amount"
    assert f["created_date"] == "someday" and f["amount"] == "-2" and f["owner"] == "Ann"
    assert f["file"].endswith("opportunities.csv")
    g = rows[rows["opportunity_id"] == "G"].iloc[0]
    assert g["message"].startswith("a closed deal needs its close date") and g["close_date"] == ""
    zz = rows[rows["opportunity_id"] == "ZZ"].iloc[0]
    assert zz["changed_at"] == "2026-01-02T09:00:00" and "not in opportunities" in zz["message"]


def test_rejects_file_of_a_clean_source_has_the_header_only(tmp_path, capsys):
    folder = write_folder(tmp_path / "crm", territories=TERRITORIES, opportunities=OPPORTUNITIES)
    target = tmp_path / "rejects.csv"
    assert main(["validate", str(folder), "--rejects", str(target)]) == 0
    assert target.read_text() == "table,file,row,column,reason,message\n"


# -- one table, two files ---------------------------------------------------------------------------------
@pytest.fixture
def two_files(tmp_path):
    folder = write_folder(tmp_path / "crm", territories=TERRITORIES, opportunities=OPPORTUNITIES,
                          activities=ACTIVITIES)
    pd.read_csv(folder / "activities.csv", dtype=str).to_parquet(folder / "activities.parquet")
    return folder


def test_a_table_in_two_files_is_a_problem_naming_both(two_files, capsys):
    assert main(["validate", str(two_files)]) == 1
    out = capsys.readouterr().out
    assert "  ambiguous_file  activities  -           1" in out  # counted by reason
    line = next(ln for ln in out.splitlines() if ": ambiguous_file — " in ln)
    assert "table 'activities' is in 2 files, activities.parquet and activities.csv" in line
    assert "cannot tell which one is current" in line
    with pytest.raises(SourceError, match=r"activities\.parquet and activities\.csv"):
        find_table_files(two_files)


def test_a_required_table_in_two_files_stops_loading(tmp_path):
    folder = write_folder(tmp_path / "crm", territories=TERRITORIES, opportunities=OPPORTUNITIES)
    (folder / "opportunities.csv.gz").write_bytes(gzip.compress(OPPORTUNITIES.encode()))
    with pytest.raises(DataValidationError, match=r"opportunities\.csv and opportunities\.csv\.gz"):
        load(folder)


def test_demo_csv_writes_csv_only_and_the_folder_loads(tmp_path, capsys):
    out = tmp_path / "demo-csv"
    out.mkdir()
    (out / "opportunities.parquet").write_bytes(b"stale")  # a Parquet twin left from before: replaced, not kept
    assert main(["demo", "--csv", "--out", str(out)]) == 0
    assert "wrote 7 files" in capsys.readouterr().out
    assert sorted(p.suffix for p in out.iterdir()) == [".csv"] * 7
    assert len(load(out, region="East").opportunities) > 0


def test_an_unwritable_rejects_file_is_a_usage_error_not_a_traceback(bad_folder, tmp_path, capsys):
    target = tmp_path / "a-folder"
    target.mkdir()
    assert main(["validate", str(bad_folder), "--rejects", str(target)]) == 2
    err = capsys.readouterr().err
    assert "cannot write the rejects file" in err and "Traceback" not in err
