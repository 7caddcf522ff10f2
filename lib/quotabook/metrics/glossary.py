"""The metric glossary: one entry per metric, as Markdown a page shows and as data a PDF merges.

Every report ends with the definitions of the metrics it shows (label, purpose, formula, source, cadence,
direction, benchmark with its source, alert with its threshold value read from the workbook settings). A
region's PDF binds several reports, and printing each one's glossary repeated the same definitions after
every theme, so the PDF keeps one glossary instead: the union of the reports', in catalog order. For that a
report's glossary is displayed as a :class:`GlossaryDisplay`, whose output carries, beside the Markdown that
Jupyter and the HTML page show, its entries as data under :data:`GLOSSARY_MIME`. The pack renderer finds
those outputs, folds them away on the HTML page and leaves them out of the PDF, whose appendix is
:func:`glossary_markdown` of :func:`merge_entries` over its reports.

This module is imported inside kernels and by the catalog: it imports neither.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

from ..dataset import ACTIVITY_RULE
from ..grammar import count_of
from .format import by_unit
from .rules import ALERT_WHEN, THEMES

if TYPE_CHECKING:
    from ..settings import Settings
    from .catalog import Catalog, Metric

__all__ = ["GLOSSARY_MIME", "GlossaryDisplay", "GlossaryEntry", "entries_from_output", "format_value",
           "glossary_entries", "glossary_markdown", "merge_entries", "printed", "source_text"]

#: MIME type of the data a displayed glossary carries: ``{"entries": [GlossaryEntry as a dict, ...]}``.
GLOSSARY_MIME = "application/vnd.quotabook.glossary+json"
TITLE = "Metric glossary"
INTRO = ("Definitions of the metrics in this report. Alert thresholds and parameters are read from the workbook "
         "settings (params/workbook.yaml).")


@dataclass(frozen=True)
class GlossaryEntry:
    """One metric's definition. ``order`` is its position in the catalog (glossaries list entries in that
    order, grouped by ``theme``); ``activities`` says whether it is counted from the activities table (the
    glossary then says how activities are given to regions)."""

    name: str
    theme: str
    order: int
    text: str
    activities: bool = False


def format_value(value: float, unit: str, currency: str = "") -> str:
    """A number as the glossary shows it in ``unit`` (percent 0–1 → "22%", ratio → "3×", n_to_1 → "12:1")."""
    if unit == "percent":
        return f"{value * 100:.4g}%"
    if unit in ("currency", "currency_per_day"):
        return str(by_unit(value, unit, currency))  # "$42K", "$42K per day": the reports' one money format
    suffix = {"ratio": "×", "n_to_1": ":1", "days": " days"}.get(unit, "")
    return f"{value:g}{suffix}"


def source_text(source: Iterable[str]) -> str:
    """The columns a metric reads, grouped by table in the order they come: ``opportunities.amount,
    opportunities.is_won, targets.target_amount`` → "opportunities (amount, is_won); targets (target_amount)".
    A name without a table stays as it is; no source at all reads "computed"."""
    tables: dict[str, list[str]] = {}
    for item in source:
        table, _, column = item.partition(".")
        tables.setdefault(table if column else item, []).extend([column] if column else [])
    return "; ".join(f"{t} ({', '.join(c)})" if c else t for t, c in tables.items()) or "computed"


def entry_markdown(m: Metric, settings: Settings) -> str:
    """The Markdown of one metric's definition: its label and name, purpose, then one bullet per field."""
    def fmt(v: float) -> str:
        return format_value(v, m.unit, settings.currency)

    direction = {"higher": "higher is better", "lower": "lower is better",
                 "none": "neither higher nor lower is better"}[m.direction]
    lines = [f"**{m.label}** (`{m.name}`): {m.purpose.strip()}", "",
             f"- Formula: {m.formula.strip()}", f"- Source: {source_text(m.source)}",
             f"- Cadence: {m.cadence}; direction: {direction}; unit: {m.unit}; category: {m.category}"]
    if m.requires:
        lines.append(f"- Needs optional data: {', '.join(m.requires)}")
    if m.parameters:
        values = ", ".join(f"`{k}` = {settings.threshold(k):g}" for k in m.parameters)
        lines.append(f"- Parameters: {values}")
    if b := m.benchmark:
        def band(low: float, high: float) -> str:
            lo, hi = fmt(low), fmt(high)
            unit_text = re.search(r"(%|×|:1| days)$", hi)
            if unit_text and lo.endswith(unit_text[0]):  # "90–120 days", not "90 days–120 days"
                lo = lo.removesuffix(unit_text[0])
            return hi if low == high else f"up to {hi}" if low == 0 else f"{lo}–{hi}"

        note = f" ({b.note})" if b.note else ""
        if b.segments and all(s.source == b.source for _, s in b.segments):
            bands = ", ".join(f"{name} {band(*s.band)}" for name, s in b.segments)
            lines.append(f"- Benchmark by segment: {bands}{note}; source: {b.source}")
        elif b.segments:
            bands = "; ".join(f"{name} {band(*s.band)} ({s.source})" for name, s in b.segments)
            lines.append(f"- Benchmark by segment: {bands}{note}")
        else:
            lines.append(f"- Benchmark: {band(*b.band)}{note}; source: {b.source}")
    if a := m.alert:
        weeks = a.weeks(settings)
        run = f" for {weeks} consecutive weeks" if weeks else ""
        lines.append(f"- Alert: when {ALERT_WHEN[a.when]} {fmt(a.value(settings))}{run} "
                     f"(threshold `{a.threshold}`)")
    return "\n".join(lines)


def glossary_entries(catalog: Catalog, used: Iterable[str] | None, settings: Settings) -> list[GlossaryEntry]:
    """The entries of the metrics ``used`` and of everything they are computed from (every metric when
    ``used`` is None), in catalog order."""
    keep = set(catalog.closure(used)) if used is not None else None
    return [GlossaryEntry(m.name, m.theme, order, entry_markdown(m, settings),
                          any(src.startswith("activities.") for src in m.source))
            for order, m in enumerate(catalog) if keep is None or m.name in keep]


#: A printed glossary's intro: the data columns and cadence each metric is read from are in the HTML pages.
PRINT_INTRO = (INTRO + " Which data columns each metric reads, and its cadence, are in the glossary at the foot of "
               "each HTML page.")
_CADENCE_LINE = re.compile(r"^- Cadence: [^;]*; direction: ([^;]*); unit: [^;]*; category: .*$", re.M)


def printed(text: str) -> str:
    """One entry as a printed glossary shows it: one paragraph, :func:`entry_markdown`'s fields running on from
    the purpose (" · Formula: ... · Benchmark: ..."), without the data it reads (the CRM columns, the optional
    tables or columns it needs) and without its cadence line, whose direction joins the formula ("Open
    pipeline / Gap to target; higher is better"). A PDF's glossary is reference text: a third of each entry's
    words named data a DSM reading on paper never needs (the HTML pages' glossaries keep it), and one
    paragraph an entry lets the columns break between or inside entries as they do in any text."""
    direction = _CADENCE_LINE.search(text)
    kept = [line for line in text.split("\n")
            if not (line.startswith(_DATA_FIELDS) or _CADENCE_LINE.match(line))]
    text = "\n".join(kept)
    if direction:
        text = re.sub(r"^(- Formula: .*?)\.?$", lambda m: f"{m[1]}; {direction[1]}", text, count=1, flags=re.M)
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    head = " ".join(line for line in lines if not line.startswith("- "))
    return " · ".join([head, *(line[2:] for line in lines if line.startswith("- "))])


#: The fields of an entry that name the data a metric reads: left out of a printed glossary.
_DATA_FIELDS = ("- Source: ", "- Needs optional data: ")


def glossary_markdown(entries: Iterable[GlossaryEntry], *, title: str = TITLE, intro: str | None = None,
                      level: int = 2, for_print: bool = False) -> str:
    """The glossary as Markdown: a heading (of ``level``: 2 closing a report, 1 for a PDF's appendix, a part
    of its own), the intro, then the entries grouped under their theme's title one level down (themes in
    :data:`THEMES` order, entries in catalog order) and, when any is counted from activities, how activities
    are given to regions. ``for_print``: each entry as :func:`printed` shows it."""
    entries = sorted(entries, key=lambda e: e.order)
    intro = intro if intro is not None else PRINT_INTRO if for_print else INTRO
    out = [f"{'#' * level} {title}", "", intro]
    for theme, theme_title in THEMES.items():
        if shown := [e for e in entries if e.theme == theme]:
            out += ["", f"{'#' * (level + 1)} {theme_title}"]
            out += [line for e in shown for line in ("", printed(e.text) if for_print else e.text)]
    if any(e.activities for e in entries):
        out += ["", f"Activities count {ACTIVITY_RULE}, so no activity is counted in two regions."]
    return "\n".join(out) + "\n"


def merge_entries(groups: Iterable[Iterable[GlossaryEntry]]) -> list[GlossaryEntry]:
    """The union of several glossaries, each metric once (its first entry), in catalog order."""
    merged: dict[str, GlossaryEntry] = {}
    for group in groups:
        for entry in group:
            merged.setdefault(entry.name, entry)
    return sorted(merged.values(), key=lambda e: e.order)


def entries_from_output(output: Mapping) -> list[GlossaryEntry] | None:
    """The entries a notebook output carries under :data:`GLOSSARY_MIME`; None when it is no glossary.

    Raises
    ------
    ValueError
        The output claims to be a glossary but its data is not a list of entries (a notebook edited by hand).
    """
    payload = (output.get("data") or {}).get(GLOSSARY_MIME)
    if payload is None:
        return None
    try:
        return [GlossaryEntry(str(e["name"]), str(e["theme"]), int(e["order"]), str(e["text"]),
                              bool(e.get("activities", False))) for e in payload["entries"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"a {GLOSSARY_MIME} output is not a list of glossary entries: {exc!r}") from None


class GlossaryDisplay:
    """A glossary as a notebook shows it: Markdown for Jupyter and the HTML page, entries as data for the
    pack (:data:`GLOSSARY_MIME`). ``escape`` makes each entry's text safe to show (the report's Markdown
    escaping); it is applied before the entries are stored, so the PDF shows the same text."""

    def __init__(self, entries: Iterable[GlossaryEntry], escape: Callable[[str], str] = str):
        self.entries = [GlossaryEntry(e.name, e.theme, e.order, escape(e.text), e.activities) for e in entries]

    def markdown(self) -> str:
        return glossary_markdown(self.entries)

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        return {"text/markdown": self.markdown(),
                "text/plain": f"{TITLE}: {count_of(len(self.entries), 'metric')}",
                GLOSSARY_MIME: {"entries": [asdict(e) for e in self.entries]}}

    def __repr__(self) -> str:
        return f"GlossaryDisplay({len(self.entries)} entries)"
