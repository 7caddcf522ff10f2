"""Words for the findings: counts with their noun, lists of names, the scope inside a sentence, and extremes
that know about ties. One module, so every notebook says "1 deal" / "2 deals" and names its lowest and
highest the same way. Also the text every page shares, whatever draws it: compact money (``$1.2M``), dollar
signs escaped (matplotlib and Markdown read ``$...$`` as mathematics) and Markdown escaping of data values.

The rule the ranking helpers keep: a sentence never names one group as the lowest and the same (or an
equal) group as the highest. Values are compared as the page prints them (``show``), so 60.2% and 59.8%
are a tie at "60%": naming one of them "lowest at 60%" and the other "highest at 60%" would read as a
contradiction.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pandas as pd

from .grammar import noun, possessive, pronoun, verb
from .metrics import format as fmt

__all__ = ["COLUMN_LABELS", "MASK_STAND_IN", "NO_LOST", "UNESCAPED_DOLLAR", "Extremes", "currency_text", "extremes",
           "figure", "heading_anchor", "is_number", "level_plural", "md_literal", "mid", "names", "noun", "one_sided",
           "part_of", "percent", "plain", "plural", "possessive", "pronoun", "say_date", "span", "spread",
           "upper_first", "verb"]

percent = fmt.percent  # "42%": the one percentage format of the reports

#: Headers of the columns that hold no metric (names, dates, words), for every table of the reports; a metric's
#: column is headed by its catalog label instead (:meth:`quotabook.notebook.Report.table`).
COLUMN_LABELS = {
    "district": "District", "region": "Region", "territory": "Territory", "owner": "Rep", "team": "Team",
    "segment": "Segment", "stage": "Stage", "deal": "Deal", "opportunity_name": "Deal", "account": "Account",
    "account_name": "Account", "close_date": "Close date", "created_date": "Created", "forecast_category": "Category",
    "type": "Activity", "step": "Step", "reason": "Reason", "status": "Status", "why": "Why", "week": "Week",
    "month": "Month", "quarter": "Quarter", "period": "Period", "method": "Method", "amount": "Amount",
}
#: What a 100% win rate lacks (see :func:`one_sided`).
NO_LOST = "no lost deal is recorded"


def is_number(value) -> bool:
    """True for a finite number (not None, NaN, NA or ±inf)."""
    try:
        return value is not None and not pd.isna(value) and not math.isinf(float(value))
    except (TypeError, ValueError):
        return False


def level_plural(level: str) -> str:
    """The plural of a grouping level as the reports name it: "territories", "regions", "reps" (the owner of a
    deal is a rep), "segments"."""
    return "reps" if level == "owner" else noun(level)


def plural(n: float, word: str) -> str:
    """"1 deal", "12 deals", "1,204 open deals" (thousands separated)."""
    return f"{fmt.count(n)} {noun(word, n)}"


def part_of(k: float, n: float, word: str) -> str:
    """``k`` of ``n`` things, the noun agreeing with the whole: "2 of 5 territories", "1 of 1 territory" (never
    "1 of 1 territories"); a grouping level names its things as the reports do (``owner`` → "rep")."""
    return f"{fmt.count(k)} of {plural(n, 'rep' if word == 'owner' else word)}"


def span(label) -> str:
    """A span of quarters as sentences and titles say it: "2015-Q4..2016-Q3" (the label a window of quarters
    carries) → "2015-Q4 to 2016-Q3"; one period's label is left as it is."""
    return str(label).replace("..", " to ")


def signed_pct(value: float) -> str:
    """A signed whole percentage, "+12%" / "-3%", and "0%" for what rounds to nothing (never "-0%" or "+0%"),
    as the tables print it."""
    text = f"{value:+.0%}"
    return "0%" if text in ("+0%", "-0%") else text


def every(n: int, word: str) -> str:
    """All ``n`` of ``word`` as a title opens on it: "The one territory", "Both territories", "All 5 territories"
    (never "All 1 territories" or "All 2 regions"). The verb after it agrees with ``n``
    (:func:`quotabook.grammar.verb`)."""
    n = int(n)
    return f"The one {word}" if n == 1 else f"Both {noun(word)}" if n == 2 else f"All {n} {noun(word)}"


def names(values: Iterable, limit: int | None = 3) -> str:
    """"A", "A and B", "A, B and C", "A, B, C and 2 more" (``limit=None``: every name)."""
    values = [str(v) for v in values]
    if not values:
        return ""
    if limit is not None and len(values) > limit:
        return ", ".join(values[:limit]) + f" and {len(values) - limit} more"
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def mid(label: str) -> str:
    """The scope label inside a sentence: "The district" becomes "the district", "West" stays "West"."""
    return label[0].lower() + label[1:] if label.startswith("The ") else label


def upper_first(text: str) -> str:
    """``text`` with its first letter capitalised (a sentence built from parts)."""
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Extremes:
    """The lowest and highest of a set of named values, as printed. ``low`` and ``high`` list every name
    printed at that value (ties), ``count`` how many names had a value."""

    low: list[str]
    low_text: str
    high: list[str]
    high_text: str
    count: int

    @property
    def tied(self) -> bool:
        """Whether every value prints the same: there is no lowest or highest to name."""
        return self.low_text == self.high_text


def extremes(values: pd.Series, show: Callable[[float], str]) -> Extremes | None:
    """Lowest and highest of ``values`` (index: names; NaN ignored), compared as ``show`` prints them.
    None when no value is known."""
    known = values.dropna()
    if known.empty:
        return None
    printed = pd.Series([show(v) for v in known], index=known.index)
    low_text, high_text = show(known.min()), show(known.max())
    return Extremes(low=[str(n) for n in printed.index[printed == low_text]], low_text=low_text,
                    high=[str(n) for n in printed.index[printed == high_text]], high_text=high_text,
                    count=len(known))


def spread(values: pd.Series, show: Callable[[float], str], what: str, *, low: str = "lowest",
           high: str = "highest") -> str | None:
    """The lowest and highest of ``values`` in words, ties named as ties; None with fewer than two values.

    ``what`` is the noun of the groups ("region", "rep"). Examples: "East is lowest at 20%, West highest at
    60%"; "East and North are lowest at 20%, West highest at 60%"; "both regions are at 100%"; "all 3 reps
    are at 80 days".
    """
    ex = extremes(values, show)
    if ex is None or ex.count < 2:
        return None
    if ex.tied:
        group = f"both {noun(what)}" if ex.count == 2 else f"all {plural(ex.count, what)}"
        return f"{group} are at {ex.low_text}"
    return (f"{names(ex.low)} {verb('is', len(ex.low))} {low} at {ex.low_text}, "
            f"{names(ex.high)} {high} at {ex.high_text}")


def one_sided(won: float, closed: float) -> str | None:
    """What a win rate of 100% or 0% is missing: "no lost deal is recorded" when every closed deal was won,
    "no won deal is recorded" when every one was lost; None for a two-sided count (or nothing closed).

    A 100% rate says more about the export (lost deals are often left out) than about selling, so the
    findings say what is missing (:data:`NO_LOST`) instead of comparing it with a benchmark. A 0% rate with
    lost deals recorded is a real result (and still compared), but it cannot size a pipeline."""
    if not (is_number(closed) and closed > 0 and is_number(won)):
        return None
    if won >= closed:
        return NO_LOST
    if won <= 0:
        return "no won deal is recorded"
    return None


# -- text any page shows: money, dollars, Markdown ----------------------------------------------------------
#: A dollar sign not already escaped with a backslash.
UNESCAPED_DOLLAR = re.compile(r"(?<!\\)\$")


def plain(text: str) -> str:
    """Text with dollar signs escaped for matplotlib, which reads "$1M ... $2M" as mathematics otherwise
    (an already escaped ``\\$`` is left alone)."""
    return UNESCAPED_DOLLAR.sub(r"\\$", text)


def currency_text(value: float, code: str = "USD", *, decimals: int | None = None) -> str:
    """A compact money amount for titles, sentences and bar labels: ``$1.2M``, ``$850K``, ``€3.4B``,
    ``1.2M SEK`` (:func:`quotabook.metrics.format.currency`, the one money format of the reports)."""
    return str(fmt.currency(value, code, decimals=decimals))


def figure(value, unit: str, code: str = "USD") -> str:
    """One value as sentences, compact tables and the pack index show it: money compact (``$48K``), anything
    else by its catalog unit (``82%``, ``2.8×``, ``12:1``). The one formatter the executive summary, the
    pages' compact tables and ``index.html`` share, so a figure reads the same everywhere."""
    return currency_text(value, code) if unit == "currency" else str(fmt.by_unit(value, unit, code))


#: Stands in for a masked character inside Markdown until the text is escaped (then it becomes ``\*``).
MASK_STAND_IN = "\ue000"
#: ASCII punctuation CommonMark lets a backslash escape (``&`` and ``;`` are left to the HTML entities).
_PUNCT = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$:\"'=^])")


def md_literal(text: str) -> str:
    """``text`` escaped for Markdown so it prints exactly as typed: HTML entities for ``<``, ``>``, ``&``,
    a backslash before every other Markdown punctuation character, line breaks as spaces."""
    text = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    return _PUNCT.sub(r"\\\1", text).replace(MASK_STAND_IN, "\\*")


def heading_anchor(heading: str) -> str:
    """The ``id`` a rendered page gives a Markdown heading (nbconvert: spaces become hyphens), so a summary figure
    or an index alert can link to the section that explains it: "Attainment and coverage" →
    "Attainment-and-coverage"."""
    return "-".join(str(heading).split())


def say_date(day) -> str:
    """A date as a reader says it: "13 Nov 2026" (:func:`quotabook.metrics.format.date`, the one date format of
    the pages)."""
    return str(fmt.date(pd.Timestamp(day)))
