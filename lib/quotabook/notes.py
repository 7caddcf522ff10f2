"""Data-quality warnings shown to the reader as short notes, once each, instead of Python's warning text.

quotabook warns (:class:`~quotabook.errors.QuotabookWarning`) when the data forces an approximation: rows set
aside, deals without stage history shown open at a past date. In a notebook Python prints such a warning as
``/path/to/module.py:88: DataQualityWarning: …`` plus a source line, and prints it again at every call with
other figures: noise for a District Sales Manager, and it leaks file paths into the report. After
:func:`show_data_notes` each distinct warning (numbers and dates aside) appears once, as a quoted
"Data note" under the cell that raised it. Other warnings (a library's deprecation, a chart problem) are
left to Python: they point at a fault in quotabook, and the tests look for them.
"""

from __future__ import annotations

import re
import warnings

from .errors import QuotabookWarning
from .text import md_literal

__all__ = ["data_note", "show_data_notes"]

_NUMBERS = re.compile(r"\d[\d,.:-]*")


def data_note(message: str) -> str:
    """The Markdown of one note: the message quoted, shown literally (no HTML or Markdown in it acts)."""
    return f"> **Data note:** {md_literal(' '.join(str(message).split()))}"


def show_data_notes() -> None:
    """From now on in this process, show each distinct quotabook warning once as a Markdown data note."""
    from IPython.display import Markdown, display

    python_show = warnings.showwarning
    if getattr(python_show, "quotabook_notes", False):
        return  # already installed (start() called twice in one kernel)
    seen: set[str] = set()

    def show(message, category, filename, lineno, file=None, line=None):
        if not issubclass(category, QuotabookWarning):
            return python_show(message, category, filename, lineno, file, line)
        key = _NUMBERS.sub("#", str(message))
        if key not in seen:
            seen.add(key)
            display(Markdown(data_note(str(message))))
        return None

    show.quotabook_notes = True  # type: ignore[attr-defined]
    warnings.showwarning = show
    warnings.simplefilter("always", QuotabookWarning)  # the note decides what repeats, not the registry
