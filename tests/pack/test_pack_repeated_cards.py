"""A card's label | value table is printed once when the tables above hold every one of its cells (issue 16,
"Concise PDF"), and kept whenever anything differs; HTML pages keep every card. Small notebooks written here:
a territory roster (not the demo's reps), cards named in their titles."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from quotabook.headlines import TABLE_MIME
from quotabook.pack.render import PRINT_CSS, notebook_html, pdf_section
from quotabook.pack.repeated_cards import NOTE_CLASS, drop_repeated_cards, repeated_row

#: Two ranked tables that split one row per territory between them (as the team tables split a rep's figures).
RESULTS = {"title": "Territories, ranked: results", "columns": ["Rank", "Territory", "Booked", "Share"],
           "data": [[1, "North Coast", "$40K", "61%"], [2, "North", "$25K", "39%"], [3, "Inland", "$0", "0%"]]}
HABITS = {"title": "Territories, ranked: habits", "columns": ["Rank", "Territory", "Calls", "Band"],
          "data": [[1, "North Coast", 12, "green"], [2, "North", 7, "red"], [3, "Inland", None, "amber"]]}


def card(name: str, pairs: list[list]) -> dict:
    return {"title": f"Card: {name}", "columns": ["Figure", "Value"], "data": pairs}


def test_a_card_whose_every_pair_is_a_cell_of_its_row_repeats_it():
    north = card("North", [["Booked", "$25K"], ["Calls", 7], ["Band", "red"]])
    assert repeated_row(north, [RESULTS, HABITS]) == "North"
    # "North Coast" is named by its own card (the longest name found), not mistaken for "North"
    assert repeated_row(card("North Coast", [["Share", "61%"], ["Calls", 12]]), [RESULTS, HABITS]) == "North Coast"
    assert repeated_row(card("Inland", [["Booked", "$0"], ["Calls", None]]), [RESULTS, HABITS]) == "Inland"


@pytest.mark.parametrize("pairs, tables", [
    ([["Booked", "$25K"], ["Calls", 8]], [RESULTS, HABITS]),          # one value differs
    ([["Booked", "$25K"], ["Pipeline", "$9K"]], [RESULTS, HABITS]),   # a figure no table above has
    ([["Booked", "$25K"], ["Calls", 7]], [RESULTS]),                  # its other half is not shown above
    ([], [RESULTS, HABITS]),                                          # an empty card
])
def test_a_card_with_anything_of_its_own_is_kept(pairs, tables):
    assert repeated_row(card("North", pairs), tables) is None


def test_a_card_no_row_or_two_rows_name_is_kept():
    tied = {"title": "t", "columns": ["Territory", "Booked"], "data": [["North", "$25K"], ["North", "$25K"]]}
    assert repeated_row(card("North", [["Booked", "$25K"]]), [tied]) is None  # which North?
    assert repeated_row(card("Northwest", [["Booked", "$25K"]]), [RESULTS]) is None  # "North" is not a whole word
    assert repeated_row({**card("North", [["Booked", "$25K"]]), "title": ""}, [RESULTS]) is None
    three = {"title": "Card: North", "columns": ["Figure", "Value", "Note"], "data": [["Booked", "$25K", ""]]}
    assert repeated_row(three, [RESULTS]) is None  # not a label | value card


def _table_outputs(record: dict, html_class: str = "") -> list:
    rows = "".join(f"<tr><td>{'</td><td>'.join(str(c) for c in row)}</td></tr>" for row in record["data"])
    return [new_output("display_data", data={TABLE_MIME: record, "text/plain": "record"}),
            new_output("display_data", data={"text/html": f'<table class="{html_class}"><tbody>{rows}</tbody></table>',
                                             "text/plain": "table"})]


def _notebook(north_calls: int = 7):
    cards = []
    for name, pairs in (("North Coast", [["Booked", "$40K"], ["Calls", 12]]),
                        ("North", [["Booked", "$25K"], ["Calls", north_calls]])):
        cards += [new_output("display_data", data={"text/markdown": f"### {name}"}),
                  *_table_outputs(card(name, pairs), "qb-card"),
                  new_output("display_data", data={"text/markdown": f"Largest win in {name}."})]
    ranked = new_code_cell("ranked")
    ranked.outputs = _table_outputs(RESULTS) + _table_outputs(HABITS)
    shown = new_code_cell("cards")
    shown.outputs = cards
    return new_notebook(cells=[new_markdown_cell("# Territories"), ranked, shown])


def test_the_pdf_prints_a_line_in_place_of_each_repeating_card_table_and_the_page_keeps_it():
    nb = _notebook()
    printed = drop_repeated_cards(nb)
    outputs = printed.cells[2].outputs
    notes = [o for o in outputs if NOTE_CLASS in str(o.get("data", {}).get("text/html", ""))]
    assert [n["data"]["text/plain"] for n in notes] == ["Figures: the North Coast line of the tables above.",
                                                        "Figures: the North line of the tables above."]
    assert len(outputs) == len(nb.cells[2].outputs)  # one output for one: the card keeps its place in the grid
    assert sum(TABLE_MIME in o.get("data", {}) for o in outputs) == 2  # the exports keep the cards' data
    assert printed.cells[1].outputs == nb.cells[1].outputs  # the ranked tables print as they are
    assert nb.cells[2].outputs[2]["data"]["text/html"].startswith("<table")  # the notebook given is unchanged

    body, _ = pdf_section(nb)
    assert body.count(f'class="{NOTE_CLASS}"') == 2 and 'class="qb-card"' not in body
    page = notebook_html(nb)
    assert page.count('class="qb-card"') == 2 and NOTE_CLASS not in page.split("</style>")[-1]  # HTML: whole cards


def test_a_card_with_a_figure_of_its_own_prints_whole_beside_a_repeating_one():
    body, _ = pdf_section(_notebook(north_calls=8))  # North's calls differ from its ranked row
    assert body.count(f'class="{NOTE_CLASS}"') == 1 and body.count('class="qb-card"') == 1
    assert "Figures: the North Coast line" in body


def test_cards_printed_with_a_line_instead_of_their_table_stay_two_to_a_line():
    """The print CSS sets cards two to a line whether they show their table or the line in its place."""
    assert f":has(table.qb-card, .{NOTE_CLASS})" in PRINT_CSS
    assert PRINT_CSS.count(f".{NOTE_CLASS})") == PRINT_CSS.count(":has(table.qb-card")


def test_a_card_table_is_matched_to_the_table_that_follows_its_record():
    """An output between a card's record and its table (a printed line) stays; the table after it is replaced."""
    nb = _notebook()
    cell = nb.cells[2]
    cell.outputs.insert(2, new_output("stream", name="stdout", text="working\n"))
    printed = drop_repeated_cards(nbformat.from_dict(nb))
    assert printed.cells[2].outputs[2]["output_type"] == "stream"
    assert NOTE_CLASS in printed.cells[2].outputs[3]["data"]["text/html"]
