"""Print a card's label | value table once: when the tables above it already hold every figure.

A page may show a ranked table with one row per rep (or territory, or region) and, further down, a card per
row whose compact label | value table repeats that row's cells (the rep scorecards: the team tables, then a
card per rep). On screen a reader scrolling to a card is glad of it; on paper the same figures sit a page
apart, and sixteen such tables take most of a page. So a PDF leaves a card's table out when every one of
its pairs equals, cell by cell, the row naming the card in the tables the page showed before it, and
prints one line in its place saying where the figures are. Anything short of that (a label no table above
has, one value that differs, no row or two rows naming the card) keeps the card's table.

The comparison reads the tables' recorded data (:data:`~quotabook.headlines.TABLE_MIME`, the cells as the
report gave them), not their HTML; it is about print only: HTML pages keep every card whole.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Mapping, Sequence

from ..headlines import TABLE_MIME

__all__ = ["NOTE_CLASS", "drop_repeated_cards", "repeated_row"]

#: Class of the line printed in place of a card's table (the print CSS keeps such cards two to a line).
NOTE_CLASS = "qb-card-note"


def repeated_row(card: Mapping, earlier: Sequence[Mapping]) -> str | None:
    """The name of the row of ``earlier`` tables whose cells hold every pair of ``card``, or None.

    ``card`` is a recorded two-column table (label, value) with a title naming its subject ("Scorecard:
    Priya Raman"); ``earlier`` are recorded tables of three columns or more. In each earlier table, the row
    naming the card is the one with a text cell found, as whole words, in the card's title (the longest
    such cell; a tie between two rows names no row in that table). The card repeats them when each of its
    labels is a column of one of those tables and the named row's cell there equals its value.
    """
    title = str(card.get("title") or "")
    columns, rows = card.get("columns") or [], card.get("data") or []
    if len(columns) != 2 or not rows or not title:
        return None
    cells: dict[str, object] = {}
    name = None
    for table in earlier:
        found = _row_named(table, title)
        if found is None:
            continue
        row_name, row = found
        name = name or row_name
        for column, value in zip(table.get("columns") or [], row, strict=False):
            cells.setdefault(str(column), value)
    if name is None:
        return None
    missing = object()
    if all(len(pair) == 2 and cells.get(str(pair[0]), missing) == pair[1] for pair in rows):
        return name
    return None


def _row_named(table: Mapping, title: str) -> tuple[str, Sequence] | None:
    """``(name, row)`` of the one row of ``table`` with the longest text cell that ``title`` names."""
    best: list[tuple[str, Sequence]] = []
    for row in table.get("data") or []:
        names = [c for c in row if isinstance(c, str) and c.strip() and _names(title, c)]
        if not names:
            continue
        longest = max(names, key=len)
        if not best or len(longest) > len(best[0][0]):
            best = [(longest, row)]
        elif len(longest) == len(best[0][0]):
            best.append((longest, row))
    return best[0] if len(best) == 1 else None


def _names(title: str, cell: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(cell.strip())}(?!\w)", title) is not None


def _is_table(output) -> bool:
    data = output.get("data") or {}
    text = data.get("text/html")
    text = "".join(text) if isinstance(text, list) else text
    return bool(text) and "<table" in text


def drop_repeated_cards(nb):
    """A copy of ``nb`` in which each card table that repeats the tables shown before it in the notebook
    (:func:`repeated_row`) is replaced by one line, of class :data:`NOTE_CLASS`, naming the row that holds
    its figures. The card's recorded data stays (the CSV / XLSX exports are not about print)."""
    import nbformat

    nb = copy.deepcopy(nb)
    earlier: list[Mapping] = []
    for cell in nb.cells:
        outputs = list(cell.get("outputs", ()))
        replace_next: str | None = None
        for i, output in enumerate(outputs):
            table = (output.get("data") or {}).get(TABLE_MIME)
            if isinstance(table, dict):
                if len(table.get("columns") or []) > 2:
                    earlier.append(table)
                    replace_next = None
                else:
                    replace_next = repeated_row(table, earlier)
                continue
            if replace_next is not None and _is_table(output):
                note = f"Figures: the {html.escape(replace_next)} line of the tables above."
                outputs[i] = nbformat.v4.new_output("display_data", data={
                    "text/html": f'<p class="{NOTE_CLASS}"><em>{note}</em></p>', "text/plain": note})
                replace_next = None
        if "outputs" in cell:
            cell.outputs = outputs
    return nb
