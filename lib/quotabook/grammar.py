"""English word forms every reader-facing text shares, below every layer that writes one: a noun's plural
("1 deal", "2 deals", "territories") and a name's possessive ("West's", "Nordics'").

The data layer's warnings become the pages' data notes (:mod:`quotabook.notes`), so they need these forms as
much as the page text does, and may not import the page-text layer: the forms live here, once, and
:mod:`quotabook.text` (with counts formatted as the pages print them) re-exports them.
"""

from __future__ import annotations

__all__ = ["count_of", "noun", "possessive"]

#: Plurals that do not just add an "s".
_PLURALS = {"territory": "territories", "opportunity": "opportunities", "company": "companies",
            "activity": "activities", "is": "are", "was": "were", "has": "have"}


def noun(word: str, n: float = 2) -> str:
    """``word`` in the singular for ``n == 1``, else its plural ("territory" → "territories"); in a phrase only
    the last word changes ("history row" → "history rows")."""
    if n == 1:
        return word
    head, _, last = word.rpartition(" ")
    many = _PLURALS.get(last) or (last[:-1] + "ies" if last.endswith("y") and last[-2:-1] not in "aeiou"
                                  else last + "s")
    return f"{head} {many}" if head else many


def count_of(n: int, word: str) -> str:
    """A whole count with its noun, thousands separated: "1 deal", "1,204 deals". For the layers below the
    metric formats (data notes); page text uses :func:`quotabook.text.plural`, which formats as the tables do."""
    return f"{int(n):,} {noun(word, n)}"


def possessive(name: str) -> str:
    """``name``'s possessive: "West's", "the district's", and an apostrophe alone after a final "s"
    ("Nordics'", "Lars Berg's" but "James'"), so a region named in the plural never reads "Nordics's"."""
    name = str(name)
    return f"{name}'" if name.endswith("s") else f"{name}'s"
