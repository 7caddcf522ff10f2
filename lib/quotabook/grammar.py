"""English word forms every reader-facing text shares, below every layer that writes one: a noun's plural
("1 deal", "2 deals", "territories"), a verb agreeing with its count ("1 rep owns", "2 reps own"), the pronoun
that stands for them ("it", "they"), a name's possessive ("West's", "Nordics'") and a day as a reader says it
("5 Nov 2026").

The data layer's warnings become the pages' data notes (:mod:`quotabook.notes`), so they need these forms as
much as the page text does, and may not import the page-text layer: the forms live here, once, and
:mod:`quotabook.text` (with counts formatted as the pages print them) re-exports them.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["count_of", "day", "noun", "possessive", "pronoun", "verb"]

#: Plurals that do not just add an "s".
_PLURALS = {"territory": "territories", "opportunity": "opportunities", "company": "companies",
            "activity": "activities", "process": "processes"}
#: Verbs whose form after a plural subject is not their singular less its "s" ("is" → "are").
_VERB_PLURALS = {"is": "are", "was": "were", "has": "have", "does": "do"}
#: Endings of a singular verb that drop "es", not "s", after a plural subject ("reaches" → "reach").
_ES_ENDINGS = ("ches", "shes", "sses", "xes", "zes", "oes")


def noun(word: str, n: float = 2) -> str:
    """``word`` in the singular for ``n == 1``, else its plural ("territory" → "territories"); in a phrase only
    the last word changes ("history row" → "history rows")."""
    if n == 1:
        return word
    head, _, last = word.rpartition(" ")
    many = _PLURALS.get(last) or (last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou"
                                  else last + "s")
    return f"{head} {many}" if head else many


def verb(word: str, n: float = 2) -> str:
    """``word``, a verb as it follows one subject ("owns", "is", "reaches", "carries"), agreed with ``n``
    subjects: unchanged for ``n == 1``, else "own", "are", "reach", "carry". In a phrase only the first word
    changes ("is kept" → "are kept", "has no history" → "have no history"). ``f"{count_of(n, 'rep')} {verb('owns',
    n)}"`` reads "1 rep owns" and "2 reps own", so no sentence builds the pair by hand."""
    if n == 1:
        return word
    first, space, rest = word.partition(" ")
    many = _VERB_PLURALS.get(first) or (first[:-3] + "y" if first.endswith("ies") else first[:-2]
                                        if first.endswith(_ES_ENDINGS) else first.removesuffix("s"))
    return f"{many}{space}{rest}"


#: The third-person pronoun for one thing and for more, by its place in the sentence.
_PRONOUNS = {"subject": ("it", "they"), "object": ("it", "them"), "possessive": ("its", "their")}


def pronoun(n: float, *, case: str = "subject", start: bool = False) -> str:
    """The pronoun for ``n`` things just counted: "it" / "they" (``case="object"``: "it" / "them";
    ``"possessive"``: "its" / "their"); ``start`` capitalises it to open a sentence. With :func:`verb`:
    ``f"{pronoun(n)} {verb('is', n)} shown open"``."""
    one, many = _PRONOUNS[case]
    word = one if n == 1 else many
    return word.capitalize() if start else word


def count_of(n: int, word: str) -> str:
    """A whole count with its noun, thousands separated: "1 deal", "1,204 deals". For the layers below the
    metric formats (data notes); page text uses :func:`quotabook.text.plural`, which formats as the tables do."""
    return f"{int(n):,} {noun(word, n)}"


def possessive(name: str) -> str:
    """``name``'s possessive: "West's", "the district's", and an apostrophe alone after a final "s"
    ("Nordics'", "Lars Berg's" but "James'"), so a region named in the plural never reads "Nordics's"."""
    name = str(name)
    return f"{name}'" if name.endswith("s") else f"{name}'s"


def day(value) -> str:
    """A known day as every page writes it: "5 Nov 2026" (a Timestamp, a date or an ISO string; no time of day).
    The data notes use it, so "closed after 30 Jun 2016" reads as the page's "Figures as of 20 Dec 2016" does, not
    "2016-06-30"; tables of dates, which may hold blanks, use :func:`quotabook.metrics.format.date`."""
    when = pd.Timestamp(value)
    return f"{when.day} {when:%b %Y}"
