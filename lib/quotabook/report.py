"""A single self-contained HTML overview of a period: the data that was read, and where each territory
stands against target (Closed, Commit, Best Case, Pipeline, Target, attainment, coverage).

Every pack holds it as ``overview.html`` beside its ``index.html`` (which it never replaces);
``quotabook pack --overview`` writes only it. It loads nothing from the network: styles are inline and
the chart is embedded SVG.
"""

from __future__ import annotations

import html
import io
import os
from pathlib import Path

import pandas as pd
from pandas.io.formats.style import Styler

from . import privacy
from .dataset import Dataset
from .fiscal import Period
from .metrics.format import literal_style
from .style import CATEGORY_ORDER, PALETTE, report_style
from .text import part_of

__all__ = ["OVERVIEW", "build_overview", "overview_html", "period_standing"]

#: The overview's file name in a pack folder.
OVERVIEW = "overview.html"


# Overview column -> catalog metric. The numbers come from the metric library, not from this module.
_STANDING = {"Closed": "closed_amount", "Commit": "commit_amount", "Best Case": "best_case_amount",
             "Pipeline": "pipeline_amount", "Target": "target_amount", "Attainment": "attainment",
             "Coverage": "coverage"}


def period_standing(ds: Dataset, period: str | Period) -> pd.DataFrame:
    """Per territory for ``period``: the catalog's Closed, Commit, Best Case, Pipeline, Target, attainment
    (closed / target) and coverage ((closed + commit + best case) / target), with region and AE.
    Amounts in the reporting currency; ratios are blank where the target is zero."""
    from .metrics import compute_wide  # deferred: loads the catalog

    # a metric the data cannot give (no targets table: no Target, attainment or coverage) stays blank
    names = list(_STANDING.values())
    values = compute_wide(names, ds, period, by="territory").reindex(columns=names)
    table = values.rename(columns={v: k for k, v in _STANDING.items()})[list(_STANDING)]
    terr = ds.territories.set_index("territory")[["region", "owner"]]
    table = terr.join(table, how="left")
    return table.reset_index().sort_values(["region", "territory"], kind="stable").reset_index(drop=True)


def _chart_svg(table: pd.DataFrame, currency_code: str, period: str, closed: bool) -> str:
    import matplotlib

    from .metrics.format import currency

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    with report_style():
        fig, ax = plt.subplots(figsize=(9, 0.35 * len(table) + 1.6))
        left = pd.Series(0.0, index=table.index)
        labels = table["territory"]
        for cat in ("Closed", "Commit", "Best Case"):
            ax.barh(labels, table[cat], left=left, color=PALETTE[cat], label=cat)
            left += table[cat]
        targeted = table["Target"].notna()
        if targeted.any():  # no targets table: bars only, never a tick at an invented zero
            ax.scatter(table.loc[targeted, "Target"], labels[targeted], marker="|", s=420, linewidths=3,
                       color=PALETTE["Target"], label="Target", zorder=3)
        ax.invert_yaxis()
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: currency(v, currency_code)))
        ax.set_xlabel(f"Amount ({currency_code})")
        if not targeted.any():
            title = f"{period}: no targets in the data, so no territory is read against one"
        elif closed:  # a finished quarter: only Closed counts
            short = int((table["Attainment"].fillna(0) < 1).sum())
            title = f"{period}: {part_of(short, len(table), 'territory')} finished below target"
        else:
            short = int((table["Coverage"].fillna(0) < 1).sum())
            title = (f"{period}: {part_of(short, len(table), 'territory')} cannot reach target even if every "
                     f"Commit and Best Case deal closes")
        ax.set_title(title, loc="left", pad=26)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, borderaxespad=0.2)
        buf = io.StringIO()
        fig.savefig(buf, format="svg", bbox_inches="tight")
        plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.index("<svg"):]


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1000px;
color:#222} h1{font-size:1.6em} table{border-collapse:collapse;font-size:.9em;margin:1em 0}
th,td{padding:.3em .7em;border-bottom:1px solid #ddd;text-align:right} th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left} .note{color:#666;font-size:.85em}
"""


def _literal(frame: pd.DataFrame, formats: dict | None = None) -> Styler:
    """``frame`` as an escaped Styler (:func:`~quotabook.metrics.format.literal_style`), index hidden."""
    return literal_style(frame, formats, na_rep="–").hide(axis="index")


def _covers(ds: Dataset) -> str:
    """What the page covers, in a sentence: the district, or one region of it (a region's pack)."""
    if ds.region is None:
        return "Covers the whole district."
    return (f"Covers region {privacy.mask(str(ds.region))} only (this pack holds no district pages); "
            "the district's overview is in a pack of the district.")


def _units() -> dict[str, str]:
    """Each overview column's catalog unit (currency, percent, ratio): the page writes its figures as every
    other page does ("$1.2M", "85%", "1.3×"), from the catalog, not retyped here."""
    from .metrics import load_catalog  # deferred: reads the catalog

    catalog = load_catalog()
    return {column: catalog.get(name).unit for column, name in _STANDING.items()}


def overview_html(ds: Dataset, period: str | Period) -> str:
    """The overview page of ``period`` as one self-contained HTML string."""
    from .metrics.format import by_unit, date, format_frame

    p = ds.period(period)
    table = period_standing(ds, p)
    units = _units()
    # Names come from the data: masked (contact details) and HTML-escaped, so they show and never act.
    shown = privacy.mask_frame(table.rename(columns={"territory": "Territory", "region": "Region", "owner": "AE"}))
    styled = _literal(format_frame(shown, units, ds.currency))
    counts = _literal(format_frame(privacy.mask_frame(ds.counts), dict.fromkeys(("read", "used", "rejected"), "count")))
    # A region's Target is blank (–) when none of its territories has one, as the territories show it, not 0.
    region_totals = table.groupby("region")[[*CATEGORY_ORDER, "Target"]].sum(min_count=1)
    region_totals[list(CATEGORY_ORDER)] = region_totals[list(CATEGORY_ORDER)].fillna(0.0)
    region_totals["Attainment"] = region_totals["Closed"] / region_totals["Target"].where(region_totals["Target"] > 0)
    by_region = privacy.mask_frame(region_totals.reset_index().rename(columns={"region": "Region"}))
    regions = _literal(format_frame(by_region, units, ds.currency))
    closed, target = table["Closed"].sum(), table["Target"].sum()
    # A region's pack holds the overview of its region only: the page names what it covers.
    scope = "District" if ds.region is None else f"Region {privacy.mask(str(ds.region))}"
    share = by_unit(closed / target, units["Attainment"]) if target else ""
    headline = (f"{scope} closed {by_unit(closed, units['Closed'], ds.currency)} of a "
                f"{by_unit(target, units['Target'], ds.currency)} target ({share})."
                if target else "No targets for this period.")
    body = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>quotabook — {html.escape(p.label)}</title><style>{_CSS}</style></head><body>
<p class="note"><a href="index.html">Pack index</a></p>
<h1>Where we stand — {html.escape(p.label)}{"" if ds.region is None else " — " + html.escape(scope)}</h1>
<p><b>{html.escape(headline)}</b></p>
<p class="note">{html.escape(_covers(ds))}
Data: {html.escape(ds.source)}, as of {date(ds.reference_date)}; amounts in {ds.currency};
period {date(p.start)} – {date(p.last_day)}.</p>
{_chart_svg(table, ds.currency, p.label, closed=p.state(ds.reference_date).finished)}
<h2>By region</h2>{regions.to_html()}
<h2>By territory</h2>{styled.to_html()}
<p class="note">Attainment = Closed / Target. Coverage = (Closed + Commit + Best Case) / Target.
Open amounts count deals whose close date falls in the period.</p>
<h2>Data read</h2>{counts.to_html()}
<p class="note">Rows read = rows used + rows rejected, per table.</p>
</body></html>"""
    return body


def build_overview(ds: Dataset, period: str, out_dir: str | os.PathLike) -> Path:
    """Write ``<out_dir>/<period>/overview.html`` and return its path (written atomically; the pack's
    ``index.html`` in the same folder is never touched)."""
    p = ds.period(period)
    folder = Path(out_dir) / p.label
    folder.mkdir(parents=True, exist_ok=True)
    target_path = folder / OVERVIEW
    tmp = target_path.with_suffix(".html.tmp")
    tmp.write_text(overview_html(ds, p), encoding="utf-8")
    os.replace(tmp, target_path)
    return target_path
