"""Per-row fill in column mappings (``fill:``): a blank cell takes a constant, another column of the row or a
looked-up value (an open deal's amount from a product price list), the filled cells are counted and noted,
and a malformed fill stops with the mapping file and key."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path

import pytest

from quotabook import ConfigError, DataQualityWarning, load, validate_source
from quotabook.kept import filled_counts

TERRITORIES = "territory,region,district,owner\nT1,East,D,Ann\nT2,West,D,Bob\n"
# A Pipedrive-like export: its own stage names, a product per deal, values left blank on early deals.
DEALS = """\
Deal ID,Owner,Territory,Added,Expected close,Won time,Status,Stage,Value,Product,Category
1,Ann,T1,2026-01-05,2026-03-20,,open,Proposal Made,1000,Widget,Commit
2,Ann,T1,2026-01-06,2026-03-21,,open,Contact Made,,Widget,
3,Bob,T2,2026-01-07,2026-03-22,,open,Lead In,,Gadget,
4,Bob,T2,2026-01-08,2026-03-23,,open,Lead In,,Gizmo,
5,Ann,T1,2025-12-01,2026-02-01,2026-02-10,won,Won,,Widget,Closed
6,Bob,T2,2025-12-02,,2026-02-11,won,Won,700,Gadget,Closed
"""
PRICES = 'Product,List price\nWidget,"$1,200.00"\nGadget,450\nGizmo,\n'
MAPPING = """\
lookups:
  prices: {file: prices.csv, key: Product, value: List price}
tables:
  territories: {file: territories.csv}
  opportunities:
    file: deals.csv
    columns: {opportunity_id: Deal ID, owner: Owner, territory: Territory, created_date: Added,
              close_date: Won time, stage: Stage, amount: Value, product: Product,
              forecast_category: Category}
    values: {stage: {Lead In: Qualification, Contact Made: Discovery, Proposal Made: Proposal,
                     Won: Closed Won, Lost: Closed Lost}}
    derive: {is_closed: {stage_flag: is_closed}, is_won: {stage_flag: is_won}}
    fill:
      amount: {lookup: prices, match: Product, only_open: true}
      close_date: {column: Expected close}
      forecast_category: {constant: Pipeline}
"""


def write(folder: Path, mapping: str = MAPPING, prices: str | None = PRICES) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "territories.csv").write_text(TERRITORIES)
    (folder / "deals.csv").write_text(DEALS)
    if prices is not None:
        (folder / "prices.csv").write_text(prices)
    path = folder / "mapping.yaml"
    path.write_text(textwrap.dedent(mapping))
    return path


def test_blank_cells_are_filled_from_a_lookup_a_column_and_a_constant(tmp_path):
    report, tables = validate_source(write(tmp_path))
    opps = tables["opportunities"].set_index("opportunity_id")
    # Deal 2's Widget lists at $1,200.00 (read like the export's own amounts); deal 3's Gadget at 450.
    assert opps["amount"].to_dict() == pytest.approx({"1": 1000.0, "2": 1200.0, "3": 450.0, "4": float("nan"),
                                                      "6": 700.0}, nan_ok=True)
    # Open deals had no Won time: their close date is the Expected close; won deal 6 keeps its own.
    assert opps["close_date"].dt.strftime("%Y-%m-%d").to_dict() == {
        "1": "2026-03-20", "2": "2026-03-21", "3": "2026-03-22", "4": "2026-03-23", "6": "2026-02-11"}
    assert opps["forecast_category"].to_dict() == {"1": "Commit", "2": "Pipeline", "3": "Pipeline", "4": "Pipeline",
                                                   "6": "Closed"}
    # Deal 5 was won with no value: only_open keeps the price list off it, so it is rejected, as any closed
    # deal without an amount is; deal 4's Gizmo has no list price: it stays blank and is kept (an open deal).
    assert report.rejects[["row", "column", "reason"]].values.tolist() == [[5, "amount", "missing_value"]]
    assert report.counts().set_index("table").loc["opportunities", ["read", "used", "rejected"]].tolist() == [6, 5, 1]
    counted = filled_counts(tables["opportunities"]).sort_values(["column", "how"]).values.tolist()
    assert counted == [["amount", "prices (List price) by Product", 2],
                       ["close_date", "column Expected close", 4],
                       ["forecast_category", "the constant Pipeline", 3]]


def test_filled_values_are_listed_by_validate_and_named_in_a_data_note(tmp_path):
    source = write(tmp_path)
    report, _ = validate_source(source)
    assert "opportunities: 2 blank amount cells filled from prices (List price) by Product by the mapping" \
        in report.kept()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        ds = load(source)
    notes = [str(w.message) for w in caught]
    assert ("The source mapping filled blank cells, and the figures include these values as if the CRM held them: "
            "the amount of 2 deals from prices (List price) by Product; the close date of 4 deals from column "
            "Expected close; the forecast category of 3 deals from the constant Pipeline.") in notes
    assert any(n.startswith("1 open deal is kept with blanks") for n in notes)  # deal 4
    assert ds.opportunities.set_index("opportunity_id").loc["2", "filled_amount"] == "prices (List price) by Product"


def test_a_fill_never_overwrites_a_value_the_export_holds(tmp_path):
    report, tables = validate_source(write(tmp_path, mapping=MAPPING.replace("only_open: true", "only_open: false")))
    opps = tables["opportunities"].set_index("opportunity_id")
    assert opps.loc["1", "amount"] == 1000.0 and opps.loc["6", "amount"] == 700.0  # given, not the list price
    assert opps.loc["5", "amount"] == 1200.0  # without only_open the won deal takes the list price too
    assert report.ok


def test_a_missing_optional_lookup_file_leaves_the_cells_blank(tmp_path):
    mapping = MAPPING.replace("value: List price}", "value: List price, optional: true}")
    report, tables = validate_source(write(tmp_path, mapping=mapping, prices=None))
    assert tables["opportunities"]["amount"].isna().sum() == 3  # deals 2, 3, 4: open, kept blank
    assert report.rejects["reason"].tolist() == ["missing_value"]  # won deal 5 only


def test_a_missing_lookup_file_is_a_file_problem(tmp_path):
    report, _ = validate_source(write(tmp_path, prices=None))
    problem = next(p for p in report.file_problems if p["reason"] == "missing_table")
    assert "lookup 'prices' for tables.opportunities.fill.amount: no file found" in problem["message"]


@pytest.mark.parametrize(("fill", "key", "message"), [
    ("amount: 100", "tables.opportunities.fill.amount", "exactly one of constant"),
    ("amount: {constant: 1, column: Value}", "tables.opportunities.fill.amount", "exactly one of constant"),
    ("amount: {value: 100}", "tables.opportunities.fill.amount", "exactly one of constant"),
    ("amount: {constant: [1, 2]}", "tables.opportunities.fill.amount.constant", "a single value"),
    ("amount: {constant: 1, match: Product}", "tables.opportunities.fill.amount.match", "not a key of a constant"),
    ("amount: {column: 3}", "tables.opportunities.fill.amount.column", "a column name"),
    ("amount: {lookup: nowhere, match: Product}", "tables.opportunities.fill.amount.lookup", "neither in lookups"),
    ("amount: {lookup: prices}", "tables.opportunities.fill.amount.match", "required"),
    ("amount: {lookup: territories, match: territory}", "tables.opportunities.fill.amount", "needs key and value"),
    ("amount: {constant: 1, only_open: yes please}", "tables.opportunities.fill.amount.only_open", "true or false"),
    ("colour: {constant: red}", "tables.opportunities.fill.colour", "not a column of opportunities"),
])
def test_a_malformed_fill_names_the_file_and_key(tmp_path, fill, key, message):
    mapping = MAPPING.split("    fill:\n")[0] + "    fill:\n      " + fill + "\n"
    path = write(tmp_path, mapping=mapping)
    with pytest.raises(ConfigError, match=message) as info:
        validate_source(path)
    assert info.value.key == key and info.value.file == str(path.resolve())


def test_only_open_is_for_opportunities(tmp_path):
    mapping = MAPPING + "  targets:\n    file: deals.csv\n    fill: {period: {constant: 2026-Q1, only_open: true}}\n"
    with pytest.raises(ConfigError, match="only opportunities have open and closed rows") as info:
        validate_source(write(tmp_path, mapping=mapping))
    assert info.value.key == "tables.targets.fill.period.only_open"
