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

from .dataset import Dataset, lead_owner_territory
from .errors import DataQualityWarning, QuotabookWarning
from .fiscal import Period
from .metrics.compute import Context
from .text import md_literal, names, plural, verb

__all__ = ["data_note", "note_reps_without_territory", "reps_without_territory", "show_data_notes"]

#: What varies between two warnings of one kind: dates as the notes write them ("30 Jun 2016", whose month is a
#: word) and numbers, so "5 deals closed after 30 Jun 2016 ..." and "4 deals closed after 30 Sep 2016 ..." are one.
_NUMBERS = re.compile(r"\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}|\d[\d,.:-]*")


def data_note(message: str) -> str:
    """The Markdown of one note: the message quoted, shown literally (no HTML or Markdown in it acts)."""
    return f"> **Data note:** {md_literal(' '.join(str(message).split()))}"


def reps_without_territory(ds: Dataset, period: str | Period) -> str | None:
    """The sentence a per-rep table needs when it lists reps who own no territory (former or overlay reps) in
    ``period``, saying where their figures are counted; None when every rep found owns a territory.

    Such reps are listed after the territory owners (:meth:`quotabook.metrics.compute.Context.rep_rows`);
    without the sentence a reader would look for them in a territory's row."""
    ctx = Context(ds, ds.period(period), ("owner",))
    reps = ctx.reps_without_territory()
    if not len(reps):
        return None
    placed = lead_owner_territory(ds.territories, ds.opportunities).index
    dealless = not reps.isin(placed).all()
    where = "the territory of their latest deal" + (", or Unassigned for a rep with no deal" if dealless else "")
    who = "a former or overlay rep" if len(reps) == 1 else "former or overlay reps"
    return (f"{plural(len(reps), 'rep')} {verb('owns', len(reps))} no territory ({who}: {names(reps)}): "
            f"their deals are counted in the deals' territories, their activities in {where}.")


def note_reps_without_territory(ds: Dataset, period: str | Period) -> None:
    """Say :func:`reps_without_territory`'s sentence as a data note (a :class:`DataQualityWarning`, shown once
    under the table's cell by :func:`show_data_notes`), when there is one."""
    if sentence := reps_without_territory(ds, period):
        warnings.warn(sentence, DataQualityWarning, stacklevel=3)


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
