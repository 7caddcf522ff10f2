"""Column mappings: each malformed export gives a precise message and its rows are counted as rejected."""

import textwrap
from pathlib import Path

import pytest

from quotabook import ConfigError, DataValidationError, load, validate_source

TERRITORIES = "territory,region,district\nT1,East,D\nT2,West,D\n"
DEALS = """\
Id,Owner,Territory,Created,Close,Stage,Amount
A,Ann,T1,2026-01-05,2026-03-30,Talking,1200
B,Ann,T1,2026-01-10,2026-02-20,Won,500
C,Bob,T2,2026-02-15,2026-04-30,Talking,900
"""
MAPPING = """\
tables:
  territories: {file: territories.csv}
  opportunities:
    file: deals.csv
    columns: {opportunity_id: Id, owner: Owner, territory: Territory, created_date: Created, close_date: Close,
              stage: Stage, amount: Amount}
    values: {stage: {Won: Closed Won, Lost: Closed Lost, Talking: Discovery}}
    derive: {is_closed: {stage_flag: is_closed}, is_won: {stage_flag: is_won}}
"""


def write(tmp_path: Path, mapping: str = MAPPING, deals: str | bytes = DEALS, **files: str) -> Path:
    (tmp_path / "territories.csv").write_text(TERRITORIES)
    if isinstance(deals, bytes):
        (tmp_path / "deals.csv").write_bytes(deals)
    else:
        (tmp_path / "deals.csv").write_text(textwrap.dedent(deals))
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    path = tmp_path / "mapping.yaml"
    path.write_text(textwrap.dedent(mapping))
    return path


def reconcile(report):
    counts = report.counts()
    assert (counts["read"] == counts["used"] + counts["rejected"]).all()
    return counts.set_index("table")


def test_a_clean_export_maps_every_row_and_derives_closed_and_won_from_the_stage_map(tmp_path):
    report, tables = validate_source(write(tmp_path))
    assert report.ok, report.summary()
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps.loc["B", "stage"] == "Closed Won" and opps.loc["B", "is_won"] and opps.loc["B", "is_closed"]
    assert opps.loc["A", "stage"] == "Discovery" and not opps.loc["A", "is_closed"]
    assert "_row" not in tables["opportunities"]


def test_an_unknown_stage_names_the_mapping_key_and_sets_the_row_aside(tmp_path):
    deals = DEALS + "D,Bob,T2,2026-01-02,2026-02-01,Parked,300\n"
    report, tables = validate_source(write(tmp_path, deals=deals))
    rejects = report.rejects
    assert len(rejects) == 1
    rec = rejects.iloc[0]
    assert (rec["row"], rec["column"], rec["reason"], rec["value"]) == (4, "stage", "unknown_stage", "Parked")
    assert "tables.opportunities.values.stage of mapping.yaml" in rec["message"]
    assert reconcile(report).loc["opportunities", "rejected"] == 1
    assert "D" not in set(tables["opportunities"]["opportunity_id"])


def test_wrong_delimiter_is_named_with_the_key_to_set_and_every_row_is_counted_rejected(tmp_path):
    report, _ = validate_source(write(tmp_path, deals=DEALS.replace(",", ";")))
    problem = next(p for p in report.file_problems if p["reason"] == "wrong_delimiter")
    assert "splits on ';', not ','" in problem["message"]
    assert "set tables.opportunities.delimiter: ';'" in problem["message"]
    assert reconcile(report).loc["opportunities", "rejected"] == 3


def test_a_byte_order_mark_does_not_hide_the_first_column(tmp_path):
    report, tables = validate_source(write(tmp_path, deals=b"\xef\xbb\xbf" + DEALS.encode()))
    assert report.ok, report.summary()
    assert list(tables["opportunities"]["opportunity_id"]) == ["A", "B", "C"]


def test_wrong_encoding_is_a_file_problem_naming_the_encoding_key(tmp_path):
    deals = DEALS.replace("Bob", "Bj\xf6rn").encode("latin-1")
    report, _ = validate_source(write(tmp_path, deals=deals))
    problem = next(p for p in report.file_problems if p["table"] == "opportunities")
    assert problem["reason"] == "unreadable_file" and "tables.opportunities.encoding" in problem["message"]


def test_excel_serial_dates_are_read_and_bad_dates_name_the_expected_format(tmp_path):
    deals = DEALS.replace("2026-01-05", "46027").replace("2026-02-15", "15/02/2026")
    mapping = MAPPING + "    date_format: \"%Y-%m-%d\"\n"
    report, tables = validate_source(write(tmp_path, mapping, deals=deals))
    assert str(tables["opportunities"].set_index("opportunity_id").loc["A", "created_date"].date()) == "2026-01-05"
    rec = report.rejects.iloc[0]
    assert (rec["row"], rec["column"], rec["reason"], rec["value"]) == (3, "created_date", "bad_date", "15/02/2026")
    assert "%Y-%m-%d, ISO 8601 or an Excel serial number" in rec["message"]
    assert len(report.rejects) == 1 and reconcile(report).loc["opportunities", "rejected"] == 1


def test_currency_strings_are_amounts_and_a_bad_one_is_rejected_with_its_text(tmp_path):
    deals = DEALS.replace(",1200\n", ',"$1,200.00"\n').replace(",900\n", ",nine hundred\n")
    report, tables = validate_source(write(tmp_path, deals=deals))
    assert tables["opportunities"].set_index("opportunity_id").loc["A", "amount"] == 1200
    rec = report.rejects.iloc[0]
    assert (rec["row"], rec["column"], rec["reason"], rec["value"]) == (3, "amount", "bad_number", "nine hundred")
    assert "$1,234.50" in rec["message"] and len(report.rejects) == 1


def test_a_missing_export_column_names_the_export_column_and_the_canonical_one(tmp_path):
    deals = DEALS.replace("Stage,", "Phase,")
    report, _ = validate_source(write(tmp_path, deals=deals))
    problems = [p for p in report.file_problems if p["table"] == "opportunities"]
    assert len(problems) == 1
    assert "no column 'Stage' (for stage)" in problems[0]["message"] and "found: Id, Owner" in problems[0]["message"]
    assert reconcile(report).loc["opportunities", "rejected"] == 3


def test_a_missing_export_file_is_a_missing_table_problem_and_load_refuses(tmp_path):
    path = write(tmp_path)
    (tmp_path / "deals.csv").unlink()
    report, _ = validate_source(path)
    assert any(p["reason"] == "missing_table" and "no file matches 'deals.csv'" in p["message"]
               for p in report.file_problems)
    with pytest.raises(DataValidationError, match="no file matches"):
        load(path)


def test_an_unknown_currency_is_rejected_and_known_ones_are_converted(tmp_path):
    deals = "Id,Owner,Territory,Created,Close,Stage,Amount,Cur\n" + "\n".join(
        line + cur for line, cur in zip(DEALS.splitlines()[1:], [",EUR", ",XYZ", ","], strict=True)) + "\n"
    mapping = MAPPING.replace("amount: Amount}", "amount: Amount, currency: Cur}") + \
        "currency: {rates: {base: USD, rates: {EUR: 1.5}}}\n"
    report, tables = validate_source(write(tmp_path, mapping, deals=deals))
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps.loc["A", "amount"] == 1800 and opps.loc["A", "original_currency"] == "EUR"
    assert opps.loc["C", "amount"] == 900 and set(opps["currency"]) == {"USD"}
    rec = report.rejects.iloc[0]
    assert (rec["row"], rec["column"], rec["reason"], rec["value"]) == (2, "currency", "unknown_currency", "XYZ")
    assert "no exchange rate for 'XYZ' in currency.rates in mapping.yaml" in rec["message"]
    assert reconcile(report).loc["opportunities", "rejected"] == 1


def test_history_of_a_deal_set_aside_by_the_mapping_goes_with_it(tmp_path):
    deals = DEALS.replace("C,Bob,T2,2026-02-15,2026-04-30,Talking", "C,Bob,T2,2026-02-15,2026-04-30,Parked")
    mapping = MAPPING + "  opportunity_history: {file: history.csv}\n"
    history = "opportunity_id,changed_at,stage\nA,2026-01-05,Discovery\nC,2026-02-15,Discovery\n"
    report, tables = validate_source(write(tmp_path, mapping, deals=deals, **{"history.csv": history}))
    assert list(tables["opportunity_history"]["opportunity_id"]) == ["A"]
    assert reconcile(report).loc["opportunity_history", "rejected"] == 1


def test_lookup_derives_territory_from_a_territory_table_and_names_unmatched_owners(tmp_path):
    mapping = """\
    tables:
      territories: {file: territories.csv}
      opportunities:
        file: deals.csv
        columns: {opportunity_id: Id, owner: Owner, created_date: Created, close_date: Close, stage: Stage,
                  amount: Amount}
        values: {stage: {Won: Closed Won, Talking: Discovery}}
        constants: {is_closed: false, is_won: false}
        derive: {territory: {lookup: territories, match: owner, key: owner, value: territory}}
    """
    path = write(tmp_path, mapping)
    (tmp_path / "territories.csv").write_text("territory,region,district,owner\nT1,East,D,Ann\n")
    report, tables = validate_source(path)
    assert set(tables["opportunities"]["territory"]) == {"T1"}
    rec = report.rejects.iloc[0]
    assert (rec["row"], rec["column"], rec["reason"], rec["value"]) == (3, "territory", "unknown_territory", "Bob")
    assert "owner value not found in territories (owner)" in rec["message"]


@pytest.mark.parametrize(("text", "key", "reason"), [
    ("tables: {opportunities: {file: a.csv}, territories: {file: t.csv}}\nfolders: x\n", "folders", "unknown key"),
    ("tables: {deals: {file: a.csv}}\n", "tables.deals", "not a canonical table"),
    ("currency: {EUR: 1.1}\ntables: {opportunities: {file: a.csv}, territories: {file: t.csv}}\n", "currency",
     "expected {rates:"),
    ("tables: {opportunities: {file: a.csv, columns: {stage_name: S}}, territories: {file: t.csv}}\n",
     "tables.opportunities.columns.stage_name", "not a column of opportunities"),
    ("tables: {opportunities: {file: a.csv, delimiter: ';;'}, territories: {file: t.csv}}\n",
     "tables.opportunities.delimiter", "must be one character"),
    ("tables: {opportunities: {file: a.csv}}\n", "tables.territories", "required table is not mapped"),
    ("tables: {opportunities: {file: a.csv, derive: {is_won: {guess: x}}}, territories: {file: t.csv}}\n",
     "tables.opportunities.derive.is_won", "expected exactly one of"),
    ("tables: {opportunities: {file: a.csv, derive: {territory: {lookup: regions, match: owner}}}, "
     "territories: {file: t.csv}}\n", "tables.opportunities.derive.territory.lookup", "neither in lookups"),
    ("tables: {opportunities: {file: a.csv, scale: {probability: lots}}, territories: {file: t.csv}}\n",
     "tables.opportunities.scale.probability", "expected a number"),
    ("tables: {opportunities: {file: [a.csv]}, territories: {file: t.csv}}\n",
     "tables.opportunities.file", "expected a file name or glob"),
    ("tables: {opportunities: {columns: {stage: S}}, territories: {file: t.csv}}\n",
     "tables.opportunities", "exactly one of 'file'"),
])
def test_mapping_file_mistakes_name_the_file_the_key_and_the_reason(tmp_path, text, key, reason):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        validate_source(path)
    assert err.value.key == key and err.value.file == str(path)
    assert reason in str(err.value)


def test_extends_merges_the_shipped_mapping_and_keeps_its_folder_relative_to_the_child(tmp_path):
    root = Path(__file__).resolve().parents[2]
    child = tmp_path / "mine.yaml"
    child.write_text(f"extends: {root / 'params/sources/hubspot.yaml'}\nfolder: exports\nlabel: Mine\n")
    from quotabook.sources.mapping import load_mapping

    mapping = load_mapping(child)
    assert mapping.folder == (tmp_path / "exports").resolve() and mapping.label == "Mine"
    assert mapping.raw["tables"]["opportunities"]["file"] == "*deals*.csv"


def test_a_salesforce_report_footer_is_not_read_as_deals(tmp_path):
    footer = ('Total,,,,,,2600\n\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
              '"Confidential Information - Do Not Distribute"\n"Generated By:  Ann  1/31/2026 10:00 AM"\n"Acme"\n')
    report, tables = validate_source(write(tmp_path, deals=DEALS + footer))
    assert report.ok, report.summary()
    assert list(tables["opportunities"]["opportunity_id"]) == ["A", "B", "C"]


def test_an_excel_workbook_is_named_as_such(tmp_path):
    path = write(tmp_path, MAPPING.replace("file: deals.csv", "file: deals.xlsx"))
    (tmp_path / "deals.xlsx").write_bytes(b"PK\x03\x04")
    report, _ = validate_source(path)
    assert any("save the sheet as CSV" in p["message"] for p in report.file_problems)
