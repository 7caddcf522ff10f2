"""Property-based fuzzing of the loaders: whatever bytes or cells a file holds, reading a folder or a mapped
export ends in a report (or a QuotabookError with a message), never a stray exception, and rows read = rows
used + rows rejected on every table.

Example counts are modest to keep the suite quick; hypothesis keeps failing examples in its database.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quotabook import DataQualityWarning, QuotabookError, load, validate_source
from quotabook.schemas import TABLES, Reason

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "tests" / "data" / "bad" / "_base"
FUZZ = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

OPP_COLUMNS = ["opportunity_id", "owner", "territory", "created_date", "close_date", "stage", "forecast_category",
               "amount", "is_closed", "is_won", "loss_reason"]
SF_COLUMNS = ["Id", "Name", "AccountId", "OwnerId", "CreatedDate", "CloseDate", "StageName", "ForecastCategoryName",
              "Amount", "CurrencyIsoCode", "Probability", "IsClosed", "IsWon", "Type", "LeadSource"]
# Values that have broken CSV loaders before: nulls, separators, quotes, dates in every shape, huge numbers.
NASTY = ["", " ", "null", "None", "NaN", "nan", "#N/A", "inf", "-inf", "1e400", "-0", "0", "1e15", "$1,234.50",
         "1.234,50 €", "(1,000.00)", "1,234", "46032", "0.5", "2026-02-30", "03/04/2026", "2026-01-05",
         "2026-01-05T09:00:00.000+0000", "9999-12-31", "0001-01-01", "true", "FALSE", "yes", "maybe", "A", "T1", "T9",
         "Ann", "Proposal", "Closed Won", "Commit", "Prospecting", "USD", "XYZ", '"', '""', "'", ",", ";", "\t", "\n",
         "\r\n", "\x00", "\ufeff", "é", "🙂", "<script>", "=1+1", "x" * 300]
READER_REASONS = ("missing_table", "ambiguous_file", "unknown_currency")  # reasons only source readers give
CELL = st.one_of(st.sampled_from(NASTY), st.text(max_size=12))


def reconciles(report) -> pd.DataFrame:
    counts = report.counts()
    assert (counts["read"] == counts["used"] + counts["rejected"]).all(), counts.to_string()
    rejects = report.rejects
    assert rejects["message"].map(lambda m: isinstance(m, str) and bool(m.strip())).all(), rejects.to_string()
    assert rejects["file"].map(lambda f: isinstance(f, str) and bool(f)).all()
    assert rejects["reason"].isin([*(r.value for r in Reason), *READER_REASONS]).all(), rejects.to_string()
    report.summary()  # renders whatever was found
    return counts.set_index("table")


def check_source(source: str | Path):
    """Validate ``source``: a report that reconciles, or a QuotabookError that says something."""
    try:
        report, tables = validate_source(source)
    except QuotabookError as exc:
        assert str(exc).strip()
        return None
    counts = reconciles(report)
    for name, frame in tables.items():
        assert len(frame) == counts.loc[name, "used"]
        assert set(TABLES[name].required_columns) <= set(frame.columns) or frame.empty
    return report


def check_load(source: str | Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        try:
            ds = load(source)
        except QuotabookError as exc:
            assert str(exc).strip()
            return
    assert len(ds.opportunities) >= 1


def folder_with(files: dict[str, bytes]) -> tuple[tempfile.TemporaryDirectory, Path]:
    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name) / "data"
    shutil.copytree(BASE / "folder", folder)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return tmp, folder


def salesforce_with(files: dict[str, bytes]) -> tuple[tempfile.TemporaryDirectory, Path]:
    tmp = tempfile.TemporaryDirectory()
    folder = Path(tmp.name) / "data"
    shutil.copytree(BASE / "salesforce", folder)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    mapping = folder / "mapping.yaml"
    mapping.write_text(yaml.safe_dump({"extends": str(ROOT / "params" / "sources" / "salesforce.yaml"),
                                       "folder": "."}), encoding="utf-8")
    return tmp, mapping


def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")  # as Excel writes: a CR or LF inside a cell gets quoted
    writer.writerow(header)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8", errors="surrogatepass")


def mutate(data: bytes, ops: list[tuple[str, int, bytes]]) -> bytes:
    """Apply edits at relative positions: delete a span, insert bytes, overwrite a byte, cut the file."""
    out = bytearray(data)
    for op, at, junk in ops:
        pos = at % (len(out) + 1)
        if op == "delete":
            del out[pos:pos + len(junk) + 1]
        elif op == "insert":
            out[pos:pos] = junk
        elif op == "overwrite" and out:
            out[min(pos, len(out) - 1)] = junk[0] if junk else 0
        elif op == "cut":
            del out[pos:]
    return bytes(out)


OPS = st.lists(st.tuples(st.sampled_from(["delete", "insert", "overwrite", "cut"]), st.integers(0, 10_000),
                         st.one_of(st.binary(min_size=1, max_size=8),
                                   st.sampled_from([b",", b";", b"\t", b'"', b"\n", b"\r", b"\x00", b"\xff", b"\xe9",
                                                    b"\xef\xbb\xbf", b"\xff\xfe"]))), min_size=1, max_size=6)
ROW = st.lists(CELL, min_size=len(OPP_COLUMNS), max_size=len(OPP_COLUMNS))
SF_ROW = st.lists(CELL, min_size=len(SF_COLUMNS), max_size=len(SF_COLUMNS))


@FUZZ
@given(data=st.binary(max_size=2048), table=st.sampled_from(["opportunities.csv", "territories.csv",
                                                              "opportunity_history.csv", "targets.csv",
                                                              "opportunities.parquet"]))
def test_random_bytes_in_any_table_file_give_a_report_or_a_named_error(data, table):
    tmp, folder = folder_with({table: data})
    with tmp:
        check_source(folder)


@FUZZ
@given(ops=OPS, table=st.sampled_from(["opportunities.csv", "opportunity_history.csv", "territories.csv"]))
def test_mutated_valid_csvs_reconcile(ops, table):
    original = (BASE / "folder" / table).read_bytes()
    tmp, folder = folder_with({table: mutate(original, ops)})
    with tmp:
        check_source(folder)


@pytest.mark.slow
@settings(FUZZ, max_examples=12)  # each example also builds a Dataset
@given(rows=st.lists(ROW, min_size=1, max_size=6))
def test_random_cells_are_used_or_rejected_one_for_one(rows):
    base = (BASE / "folder" / "opportunities.csv").read_text(encoding="utf-8").splitlines()[1:]
    good = [line.split(",") for line in base]
    tmp, folder = folder_with({"opportunities.csv": csv_bytes(OPP_COLUMNS, good + rows)})
    with tmp:
        report = check_source(folder)
        if report is not None and "opportunities" in report.tables:
            # csv quoting keeps one record per row written; the reader may not invent or lose any
            assert report.tables["opportunities"].read == len(good) + len(rows)
        check_load(folder)


@pytest.mark.slow
@FUZZ
@given(rows=st.lists(SF_ROW, min_size=1, max_size=6))
def test_random_cells_in_a_salesforce_export_reconcile(rows):
    base = (BASE / "salesforce" / "Opportunity.csv").read_text(encoding="utf-8").splitlines()[1:]
    good = [line.split(",") for line in base]
    tmp, mapping = salesforce_with({"Opportunity.csv": csv_bytes(SF_COLUMNS, good + rows)})
    with tmp:
        report = check_source(mapping)
        if report is not None and "opportunities" in report.tables:
            assert report.tables["opportunities"].read == len(good) + len(rows)


@pytest.mark.slow
@FUZZ
@given(ops=OPS, name=st.sampled_from(["Opportunity.csv", "OpportunityHistory.csv", "User.csv", "Territories.csv"]))
def test_mutated_salesforce_exports_reconcile(ops, name):
    original = (BASE / "salesforce" / name).read_bytes()
    tmp, mapping = salesforce_with({name: mutate(original, ops)})
    with tmp:
        check_source(mapping)
