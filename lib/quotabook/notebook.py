"""What every themed notebook needs, in one call: ``report = quotabook.notebook.start(region, period, as_of, data)``.

The notebooks stay thin: they take their numbers from :attr:`Report.metrics` (the metric catalog) and
the theme views, format them with the helpers here, and narrate. :func:`start` loads and validates the
data (``"demo"`` or a folder), moves it to ``as_of``, slices the region, applies the chart style and SVG
output, and returns a :class:`Report` that knows the level one step down (territories of a region,
regions of the district) for tables and charts.

Everything a report shows passes through here or :func:`quotabook.charts.base.finish`, so this is where
text from the data is made safe to show: table cells and labels are HTML-escaped, Markdown gets the names
of the data escaped wherever they appear (:func:`safe_markdown`), and contact details are masked as the
workbook's ``privacy`` settings say (:mod:`quotabook.privacy`). A deal called ``<script>...`` or
``**bold** [link](http://x)`` prints exactly so.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial

import pandas as pd

from . import privacy
from .charts.base import use_svg
from .charts.unavailable import unavailable_note
from .dataset import ALL_REGIONS, Dataset
from .fiscal import Period, PeriodState
from .headlines import record_table
from .loading import load
from .metrics import cache as metric_cache
from .metrics import compute_wide, load_catalog
from .metrics import format as fmt
from .metrics.catalog import Catalog, use_catalog
from .metrics.glossary import GlossaryDisplay, glossary_entries
from .notes import show_data_notes
from .scope import WHOLE, parse_scope, scope_label
from .settings import Settings
from .text import (
    COLUMN_LABELS,
    currency_text,
    md_literal,
    noun,
    plain,  # "$1M" -> "\\$1M": Markdown too reads $...$ as maths
)
from .text import MASK_STAND_IN as _HIDDEN
from .text import figure as figure_text

__all__ = ["Report", "empty_table_caption", "md_literal", "plain", "start"]

_TABLE_CSS = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 9.5pt; margin: 0.4em 0 1em 0;"},
    {"selector": "th", "props": "text-align: left; border-bottom: 1.5px solid #333; padding: 3px 8px;"},
    {"selector": "td", "props": "padding: 2px 8px; border-bottom: 1px solid #ddd; max-width: 22em;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold; padding: 4px 0;"},
]


class _report_or_class:
    """A method that also works on the class, called with ``None`` for the report (``Report.markdown(...)``)."""

    def __init__(self, function):
        self.function = function
        self.__doc__ = function.__doc__

    def __get__(self, report, owner=None):
        return partial(self.function, report)


@dataclass
class Report:
    """One notebook's view of the data: a region (or the district) for a period, as of a date."""

    ds: Dataset
    period: Period
    region: str | None  # None: the whole district (quotabook.ALL_REGIONS)
    catalog: Catalog
    #: Catalog metrics the page showed, in order of first use: its tables' metric columns, its chart labels and
    #: every metric computed for it (quotabook.metrics.compute records them while this report is active).
    shown_metrics: list[str] = field(default_factory=list)
    _tables: int = field(default=0, repr=False)

    # -- who and when ---------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.ds.settings

    @property
    def currency(self) -> str:
        return self.ds.currency

    @property
    def is_district(self) -> bool:
        return self.region is ALL_REGIONS

    @property
    def label(self) -> str:
        """How the report names its scope: the region's name, or "The district"."""
        return scope_label(self.region)

    @property
    def level(self) -> str:
        """The level one step below the report's scope: regions for the district, territories for a region."""
        return "region" if self.is_district else "territory"

    @property
    def scope_level(self) -> str:
        """The grouping that gives one row for the whole scope."""
        return "district" if self.is_district else "region"

    @property
    def as_of(self) -> pd.Timestamp:
        """'Today' for this report: the as-of date given, else the latest dated event of the whole source
        (the same for the district and every region)."""
        return self.ds.reference_date

    @property
    def state(self) -> PeriodState:
        """Where the period stands at the report date (not started, running, finished) and the words that
        go with it ("so far", "to date", weeks left): every such sentence asks this one object."""
        return self.period.state(self.as_of)

    @property
    def period_progress(self) -> float:
        """Share of the period elapsed at the report date (0 before it starts, 1 once it has ended)."""
        return self.state.progress

    @property
    def weeks_left(self) -> int:
        """Whole weeks left in the period after the report date (0 once it has ended)."""
        return self.state.weeks_left

    @property
    def moves_period(self) -> Period:
        """The period the next moves are for: the report's own period until it is over; once it is, the quarter
        holding the as-of date (a finished quarter's review looks ahead to the quarter in progress), or the next
        one when the as-of date is that quarter's last day (the data is as of the end of that day: it is over)."""
        if not self.state.finished:
            return self.period
        current = self.ds.calendar.period_of(self.as_of)
        return self.ds.calendar.shift(current, 1) if current.state(self.as_of).finished else current

    def as_of_statement(self) -> str:
        """The line at the top of every page: the one date the figures are as of, why that date, and where
        the period stands then ("**Figures as of 15 Nov 2026**, the latest dated event in the data. 2026-Q4
        (1 Oct – 31 Dec 2026): 50% of the quarter has gone, 6 full weeks left.")."""
        day, latest = self.as_of, self.ds.source_date
        when = f"**Figures as of {day.day} {day:%b %Y}**"
        if latest is None:
            why = " (the data holds no dated event)"
        elif day == latest:
            why = ", the latest dated event in the data"
        else:
            why = f" (the latest dated event in the data is {latest.day} {latest:%b %Y})"
        return f"{when}{why}. {self.state.summary()}"

    # -- numbers ----------------------------------------------------------------------------------------
    def metrics(self, names: str | Iterable[str], by: str | Sequence[str] | None = None,
                period: str | Period | None = None) -> pd.DataFrame:
        """Catalog metrics, one column each, one row per group of ``by`` (default :attr:`level`)."""
        return compute_wide(names, self.ds, period or self.period, by=by or self.level, catalog=self.catalog)

    def totals(self, names: str | Iterable[str], period: str | Period | None = None) -> pd.Series:
        """Catalog metrics for the whole scope (the region, or the district), as one Series."""
        wide = self.metrics(names, by=self.scope_level, period=period)
        return wide.iloc[0] if len(wide) else pd.Series(dtype="float64")

    # -- words ------------------------------------------------------------------------------------------
    def money(self, value: float) -> str:
        """Compact money for sentences: ``$1.2M``."""
        return currency_text(value, self.currency)

    def figure(self, value: float, unit: str) -> str:
        """A value as sentences and compact tables show it: money compact (``$48K``), else by its catalog unit."""
        return figure_text(value, unit, self.currency)

    @staticmethod
    def pct(value: float, decimals: int = 0) -> str:
        return fmt.percent(value, decimals)

    @staticmethod
    def times(value: float, decimals: int = 1) -> str:
        return fmt.multiple(value, decimals)

    def unit_of(self, metric: str) -> str:
        return self.catalog.get(metric).unit

    # -- display ----------------------------------------------------------------------------------------
    def table(self, frame: pd.DataFrame, metrics: Sequence[str] | Mapping[str, str] | None = None,
              units: Mapping[str, str] | None = None, *, caption: str | None = None, index: bool = False,
              max_rows: int = 40, name: str | None = None, links: Mapping[str, Sequence[str]] | None = None,
              nav_links: Mapping[str, Sequence[str]] | None = None, row_class: Sequence[str] | None = None):
        """``frame`` as a formatted table (a pandas Styler) for HTML and PDF, its value columns read from the
        catalog.

        - A column named by a catalog metric (``win_rate``) is headed by the metric's label ("Win rate") and
          formatted by its unit ("31%"); ``metrics`` may name such columns explicitly, or map a column
          headed otherwise ("Team ratio") to the metric whose unit it shows. Either way the metric is added
          to :attr:`shown_metrics`, which :meth:`glossary` lists.
        - ``units`` formats columns that hold no metric (column → unit: count, currency, percent, ratio,
          n_to_1, days, currency_per_day); a legacy ``metrics`` mapping whose values are units does the same.
        - Other columns named by a key of :data:`quotabook.text.COLUMN_LABELS` (``territory``, ``owner``,
          ``deal``) get that label.

        Numbers are right-aligned, long tables cut to ``max_rows`` with a note (no table runs off the page
        unnoticed). The whole frame, unformatted and masked as the pages are, is also recorded for the
        pack's CSV and XLSX exports (:mod:`quotabook.pack.tables`), titled by the caption (or ``name`` when the
        page shows none).

        ``links`` (column → one href per row, "" for none) makes those cells links to the section that shows
        the figure (``<a class="fig">``, the executive summary's cells: the linked section shows the same text);
        ``nav_links`` the same as plain links (``<a>``: a label leading to its section, which need not repeat it);
        ``row_class`` (one CSS class per row, "" for none) marks rows, e.g. the scope's own row. None of them
        changes the exported numbers."""
        labels, resolved = self._columns(frame, metrics, units)
        shown = frame if len(frame) <= max_rows else frame.head(max_rows)
        text = privacy.mask_frame(fmt.format_frame(shown, resolved, self.currency), self.privacy, formatted=resolved)
        text = text.rename(columns=labels)
        right = [labels.get(c, c) for c in shown.columns
                 if c in resolved or pd.api.types.is_numeric_dtype(shown[c])]
        # Cells, row and column labels come from the data: shown as text, never read as HTML.
        linked = {labels.get(c, c): h for c, h in (links or {}).items()}
        navigation = {labels.get(c, c): h for c, h in (nav_links or {}).items()}
        text = _linked(_linked(text, shown.index, linked, ' class="fig"'), shown.index, navigation, "")
        linked = {**linked, **navigation}
        styler = fmt.literal_style(text, na_rep=fmt.MISSING)  # a blank (a deal kept without a close date) reads "–"
        if linked:  # escaped by _linked already: shown as built
            styler = styler.format(subset=list(linked), escape=None)
        if row_class is not None:
            classes = pd.Series(list(row_class)[:len(shown)], index=text.index, dtype="object").fillna("")
            styler = styler.set_td_classes(pd.DataFrame({c: classes for c in text.columns}, index=text.index))
        if not index:
            styler = styler.hide(axis="index")
        styler = styler.set_table_styles(_TABLE_CSS)  # text cells wrap; numbers stay on one line
        styler = styler.set_properties(subset=right, **{"text-align": "right", "white-space": "nowrap"})
        left = [c for c in text.columns if c not in right]  # names and words: Jupyter's CSS would right-align them
        if left:
            styler = styler.set_properties(subset=left, **{"text-align": "left"})
        full_caption = caption
        if len(frame) > max_rows:
            caption = f"{caption + ' — ' if caption else ''}first {max_rows} of {len(frame)} rows"
        if frame.empty:  # no column headings over nothing: the caption says why the table is empty
            styler = styler.hide(axis="columns")
            caption = empty_table_caption(frame, caption)
        else:
            self._export(frame.rename(columns=labels), {labels.get(c, c): u for c, u in resolved.items()},
                         full_caption or name, index=index)
        return styler.set_caption(html.escape(privacy.mask(caption, self.privacy))) if caption else styler

    def _columns(self, frame: pd.DataFrame, metrics, units) -> tuple[dict[str, str], dict[str, str]]:
        """(column → header, column → unit) for :meth:`table`; records the metrics shown."""
        units = dict(units or {})
        explicit: dict[str, str] = {}
        if isinstance(metrics, Mapping):  # one mapping may serve several tables: a column not shown is no metric shown
            for column, what in metrics.items():
                if what in fmt.UNITS:
                    units[column] = what
                elif column in frame.columns:
                    explicit[column] = what
        else:
            explicit = {m: m for m in metrics or ()}
            if missing := [m for m in explicit if m not in frame.columns]:
                raise KeyError(f"metric {noun('column', len(missing))} {missing} not in the table "
                               f"(columns: {list(frame.columns)})")
        known = self.catalog if self.catalog is not None else ()  # a Report built by hand may carry none
        named = {c: c for c in frame.columns if isinstance(c, str) and c not in units and c in known}
        shown = {**named, **explicit}
        labels = {c: self.catalog.get(m).label for c, m in shown.items() if c == m}
        labels.update({c: COLUMN_LABELS[c] for c in frame.columns
                       if isinstance(c, str) and c in COLUMN_LABELS and c not in shown})
        resolved = {c: (u if u in fmt.UNITS else self.unit_of(u)) for c, u in units.items()}
        for c, u in units.items():
            if u not in fmt.UNITS:  # a legacy units mapping naming a metric: that metric is shown
                shown.setdefault(c, u)
        resolved.update({c: self.unit_of(m) for c, m in shown.items() if c not in resolved})
        self.note_metrics(shown.values())
        return labels, resolved

    def note_metrics(self, names: Iterable[str]) -> None:
        """Add catalog metrics to :attr:`shown_metrics` (a chart or a sentence showing them): the page's
        glossary lists them."""
        for name in names:
            metric = self.catalog.get(name).name if self.catalog is not None else name
            if metric not in self.shown_metrics:
                self.shown_metrics.append(metric)

    def _export(self, frame: pd.DataFrame, units: Mapping[str, str], caption: str | None, *, index: bool) -> None:
        """Hand the table's numbers to the pack (CSV / XLSX); nothing shows on the page."""
        record_table(privacy.mask_frame(frame.reset_index() if index else frame, self.privacy), units=units,
                     title=privacy.mask(caption or f"Table {self._tables + 1}", self.privacy),
                     currency=self.currency)
        self._tables += 1

    @property
    def privacy(self) -> privacy.Privacy:
        """What the reports mask (the workbook's ``privacy`` settings)."""
        return getattr(self.settings, "privacy", None) or privacy.Privacy()

    @_report_or_class
    def markdown(self: Report | None, text: str):
        """Narrative text as a Markdown display object, safe to show whatever the data holds.

        - Dollar signs are escaped, so "$1.2M to $2M" stays money instead of becoming a maths formula in
          JupyterLab, the HTML and the PDF.
        - ``<``, ``>`` and ``&`` are written as HTML entities: no tag in the text reaches the page.
        - Names from the data that hold Markdown punctuation (``**bold**``, ``[link](http://x)``, ``# h``,
          ``|``, ``$x^2$``) are escaped wherever they appear, so they print as typed.
        - Emails and phone numbers are masked (the workbook's ``privacy`` settings).

        Called on the class (``Report.markdown(text)``), with no data at hand, it masks by the configured
        policy and escapes HTML and dollars only.
        """
        from IPython.display import Markdown

        if self is None:
            return Markdown(safe_markdown(text, privacy.active()))
        return Markdown(safe_markdown(text, self.privacy, self._literal_names))

    @cached_property
    def _literal_names(self) -> re.Pattern | None:
        """One pattern matching every text value of the data (names of deals, accounts, reps, territories,
        regions, reasons ...) that holds Markdown or HTML punctuation, masked as the text will be. In a pack,
        found once per scope and shared by its notebooks (every text column of every table is read)."""
        policy = self.privacy
        return metric_cache.remember(self.ds, "literal_names", [repr(policy)],
                                     lambda: literal_names(self.ds, policy))

    def findings(self, lines: Iterable[str], title: str = "What matters this period"):
        """The opening findings as a Markdown bullet list (three to five computed sentences)."""
        items = [f"- {line}" for line in lines if line]
        return self.markdown(f"### {title}\n\n" + "\n".join(items))

    def glossary(self, used: Iterable[str] | None = None) -> GlossaryDisplay:
        """The definitions of the metrics the page showed (and what they are computed from): Markdown on the
        page, with each entry also carried as data so a region's PDF can print one glossary for all its themes
        (:mod:`quotabook.metrics.glossary`). By default the metrics the page's tables, charts and computations
        recorded (:attr:`shown_metrics`), else those named in ``used``. Each entry is escaped as
        :meth:`markdown` escapes text."""
        names = self.shown_metrics if used is None else list(used)
        entries = glossary_entries(self.catalog, list(names), self.settings)
        return GlossaryDisplay(entries, escape=lambda text: safe_markdown(text, self.privacy, self._literal_names))


def _linked(text: pd.DataFrame, rows: pd.Index, links: Mapping[str, Sequence[str]], kind: str) -> pd.DataFrame:
    """``text`` (formatted cells) with each column of ``links`` (header → one href per row of the frame, ""
    for none) escaped and wrapped in ``<a{kind} href>`` links: HTML to show as it is."""
    if not links:
        return text
    out = text.copy()
    for column, hrefs in links.items():
        href = pd.Series(list(hrefs), index=rows, dtype="object").reindex(text.index).fillna("").astype(str)
        cell = text[column].fillna(fmt.MISSING).astype(str).map(html.escape)
        out[column] = cell.where(href == "", f"<a{kind} href=\"" + href.map(html.escape) + '">' + cell + "</a>")
    return out


def empty_table_caption(frame: pd.DataFrame, caption: str | None = None) -> str:
    """The caption of a table with no row, saying why: what the data lacks (the view's "not available: needs
    table activities" notes, each reason once), else that there is nothing to list."""
    note = unavailable_note(frame, "")
    why = note[0].lower() + note[1:] if note else "none."
    return f"{caption} — {why}" if caption else why[0].upper() + why[1:]


#: Characters that make a data value worth escaping in Markdown (they can start markup mid-sentence).
_MARKUP = r"[\\`*_\[\]<>&$|~#\n\ue000]|://|www\."
_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
#: A value worth a closer look: markup characters, or an "@" or digits a phone mask could hide.
_CANDIDATE = r"[\\`*_\[\]<>&$|~#\n@]|[+(]\d|\d[ .)\-]+\d|://|www\."
#: The start of what a Markdown renderer would turn into a live link by itself (GFM autolinks, mistune's
#: url plugin): a scheme and "://", or "www.". Escaped (``https\://``, ``www\.``) it prints the same but
#: never links: a name from the data must never become a link a reader could click.
_AUTOLINK = r"(?<![\w\\])(?:[A-Za-z][A-Za-z0-9+.\-]*:(?=//)|www\.)"


def literal_names(ds: Dataset, policy: privacy.Privacy | None = None) -> re.Pattern | None:
    """A pattern matching the text values of ``ds`` that hold Markdown or HTML punctuation (longest first,
    so a longer name wins over a name it contains), masked with the placeholder as Markdown text will be;
    None when there are none."""
    values = []
    for name in ("opportunities", "opportunity_history", "activities", "leads", "territories", "targets",
                 "activity_goals"):
        frame = getattr(ds, name, None)
        if not isinstance(frame, pd.DataFrame) or frame.empty:
            continue
        text = frame.select_dtypes(include=["object", "string", "category"])
        for column in text.columns.drop([c for c in text.columns if str(c).endswith("_id")]):  # ids are not prose
            values.append(pd.Series(pd.unique(text[column].dropna().astype("str")), dtype="str"))
    if not values:
        return None
    names = pd.concat(values, ignore_index=True).drop_duplicates()
    # Only values with markup, or with something a mask could hide, can need escaping: a cheap test first
    # keeps the masking off the many plain names of a real CRM.
    names = names[names.str.contains(_CANDIDATE, regex=True)]
    names = names[names.str.len() > 1]
    names = privacy.mask(names, policy or privacy.Privacy(), char=_HIDDEN)
    names = names[names.str.contains(_MARKUP, regex=True)]
    if names.empty:
        return None
    ordered = names.loc[names.str.len().sort_values(ascending=False).index]
    return re.compile("|".join(map(re.escape, ordered)))


def safe_markdown(text: str, policy: privacy.Privacy | None = None, names: re.Pattern | None = None) -> str:
    """``text`` (our Markdown, with data values in it) ready to display: contact details masked, the data
    values matched by ``names`` escaped with :func:`md_literal`, any other ``<``, ``>``, ``&`` as entities,
    masked characters as ``\\*``, dollar signs and the start of a bare URL escaped (no autolink). Our own
    inline code spans (`` `meeting_booked_count` ``) print verbatim in Markdown, so they are left as they are
    (masked only): an escape there would show. A data value wins over a code span that would start inside it,
    so backticks in a name never make code."""
    text = privacy.mask(str(text), policy or privacy.Privacy(), char=_HIDDEN)
    token = re.compile(("(?P<name>" + names.pattern + ")|" if names is not None else "")
                       + r"(?P<code>`[^`\n]+`)|(?P<dollar>(?<!\\)\$)|(?P<other>[<>&\ue000])|(?P<link>"
                       + _AUTOLINK + ")")

    def escape(match: re.Match) -> str:
        kind, found = match.lastgroup, match.group()
        if kind == "name":
            return md_literal(found)
        if kind == "code":
            return found.replace(_HIDDEN, "*")
        if kind == "dollar":
            return "\\$"
        if kind == "link":  # "https:" -> "https\:", "www." -> "www\.": the same text, never a live link
            return found[:-1] + "\\" + found[-1]
        return "\\*" if found == _HIDDEN else _HTML[found]

    return token.sub(escape, text)


def start(region: str | None = WHOLE, period: str | None = None, as_of=None, data: str | None = "demo") -> Report:
    """Load the data for a notebook run and return its :class:`Report`.

    Parameters
    ----------
    region : the scope as the CLI writes it (a notebook's ``region`` parameter, ``papermill -p region …``):
        ``"district"`` (or None) for the whole district, a region name exactly as in the data, or
        ``"region:NAME"`` for a region whose name reads as a keyword (see :mod:`quotabook.scope`).
    period : ``"2026-Q3"``, ``"2026-H2"``, ``"2026"`` / ``"FY2026"`` (fiscal year) or
        ``"2026-01-01..2026-06-30"``; ``None``: the quarter holding the as-of date (the quarter in progress,
        as ``quotabook pack`` picks it).
    as_of : ISO date the report is written as of (``None``: the data as it stands, as of its latest dated
        event; a pack passes the one date of the whole source to all its pages).
    data : ``"demo"`` for the demo district, a folder of canonical tables, a source mapping YAML,
        ``duckdb:///file.db`` or ``env:VAR`` (see :func:`quotabook.load`).

    In a notebook, the page then opens with :meth:`Report.as_of_statement`: the one date its figures are
    as of and where the period stands.
    """
    use_svg()
    pd.set_option("display.max_columns", 30)
    show_data_notes()  # data-quality warnings: one short note each, not Python's warning text
    scope = parse_scope(region)
    ds = load(data, region=scope, as_of=as_of)
    metric_cache.register(ds, data, scope)  # in a pack, the scope's notebooks share their metric values
    if scope is ALL_REGIONS:
        parse_scope(region, ds.regions)  # warns when the data also has a region named like the keyword
    privacy.configure(ds.settings.privacy)  # charts and pack records mask as this workbook says
    chosen = ds.period(period) if period is not None else ds.calendar.period_of(ds.reference_date)
    report = Report(ds=ds, period=chosen, region=scope, catalog=load_catalog())
    # chart labels come from it; the metrics they show join the glossary
    use_catalog(report.catalog, report.shown_metrics)
    _show(report.markdown(report.as_of_statement()))
    return report


def _show(obj) -> None:
    """Display ``obj`` in a running notebook; nothing elsewhere (a script or a test has no page to show on)."""
    from IPython import get_ipython
    from IPython.display import display

    if get_ipython() is not None:
        display(obj)
