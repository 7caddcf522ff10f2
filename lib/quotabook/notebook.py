"""What every themed notebook needs, in one call: ``rep = quotabook.notebook.start(region, period, as_of, data)``.

The notebooks stay thin: they take their numbers from :attr:`Report.metrics` (the metric catalog) and
the theme views, format them with the helpers here, and narrate. :func:`start` loads and validates the
data (``"demo"`` or a folder), moves it to ``as_of``, slices the region, applies the chart style and SVG
output, and returns a :class:`Report` that knows the level one step down (territories of a region,
regions of the district) for tables and charts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from .charts.base import currency_text, use_svg
from .dataset import ALL_REGIONS, Dataset
from .fiscal import Period
from .loading import load
from .metrics import compute_wide, load_catalog
from .metrics import format as fmt
from .metrics.catalog import Catalog
from .settings import Settings

__all__ = ["Report", "escape_dollars", "start"]

_TABLE_CSS = [
    {"selector": "", "props": "border-collapse: collapse; font-size: 9.5pt; margin: 0.4em 0 1em 0;"},
    {"selector": "th", "props": "text-align: left; border-bottom: 1.5px solid #333; padding: 3px 8px;"},
    {"selector": "td", "props": "padding: 2px 8px; border-bottom: 1px solid #ddd; max-width: 22em;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold; padding: 4px 0;"},
]


@dataclass
class Report:
    """One notebook's view of the data: a region (or the district) for a period, as of a date."""

    ds: Dataset
    period: Period
    region: str
    catalog: Catalog

    # -- who and when ---------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.ds.settings

    @property
    def currency(self) -> str:
        return self.ds.currency

    @property
    def is_district(self) -> bool:
        return self.region == ALL_REGIONS

    @property
    def label(self) -> str:
        """How the report names its scope: the region's name, or "The district"."""
        return "The district" if self.is_district else self.region

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
        """'Today' for this report: the as-of date given, else the latest date in the data."""
        return self.ds.reference_date

    @property
    def period_progress(self) -> float:
        """Share of the period elapsed at the report date (0 before it starts, 1 once it has ended)."""
        start, end = pd.Timestamp(self.period.start), pd.Timestamp(self.period.end)
        return float(min(max((self.as_of + pd.Timedelta(days=1) - start) / (end - start), 0.0), 1.0))

    @property
    def weeks_left(self) -> int:
        """Whole weeks left in the period after the report date (0 once it has ended)."""
        days = (pd.Timestamp(self.period.end) - (self.as_of + pd.Timedelta(days=1))).days
        return max(days, 0) // 7

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

    @staticmethod
    def pct(value: float, decimals: int = 0) -> str:
        return fmt.percent(value, decimals)

    @staticmethod
    def times(value: float, decimals: int = 1) -> str:
        return fmt.multiple(value, decimals)

    def unit_of(self, metric: str) -> str:
        return self.catalog.get(metric).unit

    # -- display ----------------------------------------------------------------------------------------
    def table(self, frame: pd.DataFrame, units: Mapping[str, str] | None = None, *, caption: str | None = None,
              index: bool = False, max_rows: int = 40):
        """``frame`` as a formatted table (a pandas Styler) for HTML and PDF: each column in ``units`` (column
        → catalog unit, or a catalog metric name whose unit is used) formatted, numbers right-aligned,
        long tables cut to ``max_rows`` with a note, so no table runs off the page unnoticed."""
        units = dict(units or {})
        resolved = {c: (u if u in _UNITS else self.unit_of(u)) for c, u in units.items()}
        shown = frame if len(frame) <= max_rows else frame.head(max_rows)
        text = fmt.format_frame(shown, resolved, self.currency)
        styler = text.style
        if not index:
            styler = styler.hide(axis="index")
        right = [c for c in text.columns if c in resolved or pd.api.types.is_numeric_dtype(shown[c])]
        styler = styler.set_table_styles(_TABLE_CSS)  # text cells wrap; numbers stay on one line
        styler = styler.set_properties(subset=right, **{"text-align": "right", "white-space": "nowrap"})
        left = [c for c in text.columns if c not in right]  # names and words: Jupyter's CSS would right-align them
        if left:
            styler = styler.set_properties(subset=left, **{"text-align": "left"})
        if len(frame) > max_rows:
            caption = f"{caption + ' — ' if caption else ''}first {max_rows} of {len(frame)} rows"
        return styler.set_caption(caption) if caption else styler

    @staticmethod
    def markdown(text: str):
        """Narrative text as a Markdown display object. Dollar signs are escaped, so "$1.2M to $2M" stays
        money instead of becoming a maths formula in JupyterLab, the HTML and the PDF."""
        from IPython.display import Markdown

        return Markdown(escape_dollars(text))

    def findings(self, lines: Iterable[str], title: str = "What matters this period"):
        """The opening findings as a Markdown bullet list (three to five computed sentences)."""
        items = [f"- {line}" for line in lines if line]
        return self.markdown(f"### {title}\n\n" + "\n".join(items))

    def glossary(self, used: Iterable[str]):
        """The definitions of the metrics the notebook showed (and what they are computed from)."""
        return self.markdown(self.catalog.to_markdown(used=list(used), settings=self.settings))


def escape_dollars(text: str) -> str:
    """``$`` → ``\\$`` unless already escaped (Markdown renderers read a pair of dollars as maths)."""
    return re.sub(r"(?<!\\)\$", r"\\$", text)


_UNITS = {"count", "currency", "currency_per_day", "percent", "ratio", "n_to_1", "days"}


def start(region: str = ALL_REGIONS, period: str = "2026-Q3", as_of=None, data: str | None = "demo") -> Report:
    """Load the data for a notebook run and return its :class:`Report`.

    Parameters
    ----------
    region : a region name, or ``"ALL"`` for the whole district.
    period : fiscal quarter, e.g. ``"2026-Q3"``.
    as_of : date the report is written as of (``None``: the data as it stands).
    data : ``"demo"`` for the demo district, or a folder of canonical tables.
    """
    use_svg()
    pd.set_option("display.max_columns", 30)
    ds = load(data, region=None if region in (None, ALL_REGIONS) else region, as_of=as_of)
    return Report(ds=ds, period=ds.period(period), region=region or ALL_REGIONS, catalog=load_catalog())
