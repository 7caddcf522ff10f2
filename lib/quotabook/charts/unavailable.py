"""The chart's place in a report when its data is missing: one short, readable sentence saying what is needed.

Views mark what they could not compute in ``table.attrs["unavailable"]`` (metric -> "x not available: needs
table activities"). Several metrics usually miss for one reason, so the note states each reason once."""

from __future__ import annotations

import re
import textwrap

import pandas as pd
from matplotlib.figure import Figure

from .base import no_data

__all__ = ["unavailable_chart", "unavailable_note"]

_REASON = re.compile(r"^.*?\bnot available:\s*")


def unavailable_note(table: pd.DataFrame, fallback: str) -> str:
    """Why ``table`` is empty, each distinct reason once ("Not available: needs table activities."),
    or ``fallback`` when the view gave none."""
    notes = (getattr(table, "attrs", None) or {}).get("unavailable") or {}
    reasons = list(dict.fromkeys(_REASON.sub("", str(text)).rstrip(".") for text in notes.values()))
    return f"Not available: {'; '.join(reasons)}." if reasons else fallback


def unavailable_chart(title: str, table: pd.DataFrame, fallback: str) -> Figure:
    """A small figure holding the note, wrapped to the page width, so a notebook never breaks on missing data."""
    return no_data(title, textwrap.fill(unavailable_note(table, fallback), width=95))
