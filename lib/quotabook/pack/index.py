"""``index.html``: the pack's front page, rendered from the manifest alone.

The scoreboard first: one row per region (the whole organisation last) with the Target, Closed, Forecast, Gap,
Attainment and Coverage its executive summary (:mod:`quotabook.summary`) recorded as numbers with their catalog
unit, formatted here with :func:`quotabook.text.figure` as the pages format them, each linked to the
section that shows it — the business status, apart from whether the notebooks ran (their run status is
said separately: "ran" or "failed"). Then failures (region, theme, the cell, the exception name and value, a link
to where the page shows it), then the alerts that fired, most severe first and each linked to the page that
explains it, then one block per region: its PDF, and per theme the status, the
headline figures recorded with :func:`quotabook.pack.record` and links to the page and the executed
notebook. Self-contained: inline styles, no scripts, relative links only.
"""

from __future__ import annotations

import html
from numbers import Number
from urllib.parse import quote

from ..errors import failure_place
from ..text import figure as figure_text
from ..text import part_of, say_date

__all__ = ["format_headline", "render_index"]

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a202c;
       max-width: 1100px; margin: 24px auto; padding: 0 20px; line-height: 1.45; }
h1 { margin-bottom: 4px; } .meta { color: #4a5568; margin-bottom: 18px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 22px 0; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e2e8f0; vertical-align: top; }
th { background: #f7fafc; }
.ok { color: #276749; font-weight: 600; } .failed { color: #9b2c2c; font-weight: 600; }
.reused { color: #718096; font-size: 12px; }
.unfinished { background: #ebf8ff; border: 1px solid #90cdf4; }
.box { border-radius: 4px; padding: 10px 14px; margin: 12px 0 20px 0; }
.failures { background: #fff5f5; border: 1px solid #feb2b2; }
.alerts { background: #fffaf0; border: 1px solid #fbd38d; }
.level-critical { color: #9b2c2c; font-weight: 600; } .level-warning { color: #975a16; font-weight: 600; }
.level-info { color: #2c5282; }
dl.hl { display: grid; grid-template-columns: max-content auto; gap: 0 10px; margin: 0; }
dl.hl dt { color: #4a5568; } dl.hl dd { margin: 0; font-weight: 600; }
code { font-size: 13px; }
.wrap { overflow-x: auto; } .scoreboard td, .scoreboard th { white-space: nowrap; }
.scoreboard td.num, .scoreboard th + th { text-align: right; font-weight: 600; }
.scoreboard tr.whole td { border-top: 2px solid #4a5568; }
@media (max-width: 600px) { body { margin: 12px auto; padding: 0 10px; } table { font-size: 13px; }
  dl.hl { grid-template-columns: auto; } }
@media (prefers-color-scheme: dark) { body { background: #1a202c; color: #e2e8f0; } th { background: #2d3748; }
  a { color: #90cdf4; } .meta, dl.hl dt { color: #a0aec0; } .failures { background: #3b1d1d; }
  .alerts { background: #3b2f1d; } .unfinished { background: #1d2f3b; } }
"""
#: The notebook whose recorded figures make the scoreboard (the executive summary, :mod:`quotabook.summary`).
SUMMARY_STEM = "summary"
#: The notebooks a scoreboard needs: the summary and the pages its figures link to.
SCOREBOARD_NOTEBOOKS = (SUMMARY_STEM, "00_target_achievement", "05_forecast")
#: The scoreboard's columns: the summary's figure key, or the one standing in for it (a finished period records
#: the pipeline coverage going in where a running one records coverage).
SCOREBOARD_COLUMNS = (("target", "target"), ("closed", "closed"), ("forecast", "forecast"), ("gap", "gap"),
                      ("attainment", "attainment"), ("coverage", "coverage_going_in"))
#: Alert levels, most severe first (the catalog's severities).
LEVELS = ("critical", "warning", "info")


def format_headline(value) -> str:
    """A headline value as shown: strings as given, numbers with thousands separators."""
    if isinstance(value, bool) or not isinstance(value, Number):
        return str(value)
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3g}"


def _link(path: str | None, label: str, anchor: str = "") -> str:
    if not path:
        return ""
    href = quote(path) + (f"#{quote(anchor)}" if anchor else "")
    return f'<a href="{html.escape(href)}">{html.escape(label)}</a>'


def _failure_text(failure: dict) -> str:
    where = failure_place(failure.get("cell_index"), failure.get("ename", ""), failure.get("execution_count"),
                          failure.get("section", ""))
    return f"{where}: {failure.get('ename', '')}: {failure.get('evalue', '')}"


def _failures(manifest: dict) -> str:
    rows = []
    for entry in manifest["runs"].values():
        if entry["status"] == "ok":
            continue
        failure = entry.get("failure") or {}
        outputs = entry.get("outputs") or {}
        links = " ".join(filter(None, [_link(outputs.get("html"), "page", failure.get("html_anchor", "")),
                                       _link(outputs.get("ipynb"), "notebook")]))
        log = f"<br><span class='reused'>kernel log: {_link(entry['log'], entry['log'])}</span>" if entry.get(
            "log") else ""
        rows.append(f"<tr><td>{html.escape(entry['region'])}</td><td>{html.escape(entry['title'])}</td>"
                    f"<td><code>{html.escape(_failure_text(failure))}</code>{log}</td><td>{links}</td></tr>")
    for region in manifest["regions"]:
        if region.get("pdf_status") == "failed":
            rows.append(f"<tr><td>{html.escape(region['name'])}</td><td>PDF</td>"
                        f"<td><code>{html.escape(region.get('error') or '')}</code></td><td></td></tr>")
    if manifest.get("overview_error"):
        rows.append(f"<tr><td>All</td><td>One-page overview</td><td><code>{html.escape(manifest['overview_error'])}"
                    "</code></td><td></td></tr>")
    return _box("failures", "Failures", ["Region", "Theme", "Error", "Open"], rows) if rows else ""


def _alerts(manifest: dict) -> str:
    """Every alert fired, most severe first (then in pack order), each linked to the page that explains it."""
    ranked = []
    for order, entry in enumerate(manifest["runs"].values()):
        for alert in entry.get("alerts") or ():
            level = str(alert.get("level", "warning"))
            rank = LEVELS.index(level) if level in LEVELS else len(LEVELS)
            page = _link((entry.get("outputs") or {}).get("html"), entry["title"], alert.get("anchor") or "") \
                or html.escape(entry["title"])
            where = _label({"slug": entry.get("slug"), "name": entry["region"]})
            ranked.append((rank, order, f"<tr><td>{html.escape(where)}</td><td>{page}</td>"
                                        f'<td class="level-{html.escape(level)}">{html.escape(level)}</td>'
                                        f"<td>{html.escape(str(alert.get('message', '')))}</td></tr>"))
    if not ranked:
        return '<p class="meta">No alerts fired.</p>'
    rows = [row for _, _, row in sorted(ranked, key=lambda item: item[:2])]
    return _box("alerts", "Alerts fired", ["Region", "Theme", "Level", "Alert"], rows)


def _summary_figures(manifest: dict) -> dict[str, tuple[dict | None, dict[str, dict]]]:
    """Per region slug: its executive summary run (None when it did not run) and the figures of its own row,
    keyed by column. A region without a summary of its own takes its row from the district's summary,
    linked to the district's pages."""
    runs = [e for e in manifest["runs"].values() if e.get("notebook") == SUMMARY_STEM and e.get("status") == "ok"]
    out: dict[str, tuple[dict | None, dict[str, dict]]] = {}
    for entry in runs:
        own = {f["key"]: f for f in entry.get("figures") or () if f.get("scope")}
        out[entry["slug"]] = (entry, own)
    district = next((e for e in runs if e["slug"] == "district"), None)
    for region in manifest["regions"]:
        if region["slug"] in out or district is None:
            continue
        rows = {f["key"]: f for f in district.get("figures") or ()
                if not f.get("scope") and f.get("group") == region["name"]}
        if rows:
            out[region["slug"]] = (district, rows)
    return out


def _figure_cell(figure: dict | None, folder: str) -> str:
    """A scoreboard cell: the figure formatted by its catalog unit as the pages format it, linked to the
    section of the page that shows it."""
    if figure is None:
        return '<td class="num">–</td>'
    text = html.escape(figure_text(figure["value"], figure["unit"], figure.get("currency", "")))
    href = figure.get("href")
    if href:
        text = f'<a href="{html.escape(quote(folder + "/" + href, safe="/#?-_.~"))}">{text}</a>'
    return f'<td class="num">{text}</td>'


def _scoreboard(manifest: dict) -> str:
    """Region × Target, Closed, Forecast, Gap, Attainment and Coverage, the whole organisation last: the figures
    each scope's executive summary recorded, formatted here as the pages format them. Empty when no summary
    ran."""
    figures = _summary_figures(manifest)
    if not figures:
        return ""
    recorded = {key for _, own in figures.values() for key in own}
    columns = [key if key in recorded else alt for key, alt in SCOREBOARD_COLUMNS]
    labels = {}
    for _, own in figures.values():
        for key in columns:
            if key in own:
                labels.setdefault(key, own[key]["label"])
    head = "".join(f"<th>{html.escape(labels.get(k, k.title()))}</th>" for k in columns)
    body = []
    for region in sorted(manifest["regions"], key=lambda r: r["slug"] == "district"):
        entry, own = figures.get(region["slug"], (None, {}))
        page = (entry.get("outputs") or {}).get("html") if entry else None
        name = _link(page, _label(region)) or html.escape(_label(region))
        folder = entry["slug"] if entry else region["slug"]
        cells = "".join(_figure_cell(own.get(k), folder) for k in columns)
        whole = ' class="whole"' if region["slug"] == "district" else ""
        body.append(f"<tr{whole}><td>{name}</td>{cells}</tr>")
    return (f'<h2>Scoreboard</h2><div class="wrap"><table class="scoreboard"><tr><th>Region</th>{head}</tr>'
            f'{"".join(body)}</table></div>')


def _box(kind: str, title: str, headers: list[str], rows: list[str]) -> str:
    """A titled box holding a table of ``rows`` (already escaped ``<tr>`` strings), with their count."""
    head = "".join(f"<th>{h}</th>" for h in headers)
    return (f'<div class="box {kind}"><h2>{title} ({len(rows)})</h2><table><tr>{head}</tr>{"".join(rows)}'
            "</table></div>")


def _label(region: dict) -> str:
    return "District (all regions)" if region["slug"] == "district" else region["name"]


def _region(manifest: dict, region: dict) -> str:
    entries = [e for e in manifest["runs"].values() if e["slug"] == region["slug"]]
    pdf = _link(region.get("pdf"), "PDF (all themes)") if region.get("pdf_status") == "ok" else ""
    rows = []
    for entry in entries:
        outputs = entry.get("outputs") or {}
        ran = entry["status"] == "ok"  # whether the notebook ran: its business figures are on the scoreboard
        status = f'<span class="{"ok" if ran else "failed"}">{"ran" if ran else html.escape(entry["status"])}</span>'
        if entry.get("reused"):
            status += ' <span class="reused">(kept from the previous build)</span>'
        headlines = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{html.escape(format_headline(v))}</dd>"
                            for k, v in (entry.get("headlines") or {}).items())
        links = " · ".join(filter(None, [_link(outputs.get("html"), "page"), _link(outputs.get("ipynb"), "notebook")]))
        rows.append(f"<tr><td>{html.escape(entry['title'])}</td><td>{status}</td>"
                    f'<td><dl class="hl">{headlines}</dl></td><td>{links}</td></tr>')
    done = {e.get("notebook") for e in entries}
    for stem in manifest["parameters"].get("notebooks", []):
        if stem not in done:  # the build stopped (Ctrl-C, a crash) before this run finished
            rows.append(f"<tr><td>{html.escape(stem)}</td><td><span class=\"failed\">not run</span></td>"
                        "<td>the build stopped before this notebook ran</td><td>run again with --resume</td></tr>")
    label = _label(region)
    return (f'<h2 id="region-{html.escape(region["slug"])}">{html.escape(label)}</h2>'
            f"<p>{pdf}</p><table><tr><th>Theme</th><th>Notebook run</th><th>Headline figures</th><th>Open</th></tr>"
            f"{''.join(rows)}</table>")


def render_index(manifest: dict) -> str:
    """The index page for ``manifest`` (see :mod:`quotabook.pack.manifest` for its shape)."""
    params = manifest["parameters"]
    summary = manifest.get("summary") or {}
    as_of = f" · as of {html.escape(say_date(params['as_of']))}" if params.get("as_of") else ""
    meta = (f"Generated {html.escape(manifest['generated_at'])} · data <code>{html.escape(str(params['data']))}</code>"
            f"{as_of} · {part_of(summary.get('ok', 0), summary.get('runs', 0), 'notebook')} ran"
            + (f", {summary['failed']} failed" if summary.get("failed") else "")
            + (f", {summary['reused']} kept from the previous build" if summary.get("reused") else ""))
    previous = manifest.get("previous_pack")
    if previous:
        meta += f" · previous period: {_link(f'../{previous}/index.html', str(previous))}"
    if manifest.get("overview"):
        meta += f" · {_link(manifest['overview'], 'one-page overview')}"
    meta += f" · {_link('../index.html', 'all packs')}"
    regions = "".join(_region(manifest, r) for r in manifest["regions"])
    nav = " · ".join(f'<a href="#region-{html.escape(r["slug"])}">{html.escape(_label(r))}</a>'
                     for r in manifest["regions"])
    title = f"{manifest['title']} — {manifest['period']}"
    state = manifest.get("state", "complete")
    unfinished = "" if state == "complete" else (
        '<div class="box unfinished"><strong>This pack is incomplete:</strong> its build '
        + ("is still running or was killed" if state == "building" else "was stopped")
        + " before every notebook ran. Only the pages linked below belong to it; run the pack again with "
        "<code>--resume</code> to complete it.</div>")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            f'content="width=device-width, initial-scale=1"><title>{html.escape(title)}</title><style>{_CSS}</style>'
            f'</head><body><h1>{html.escape(title)}</h1><div class="meta">{meta}</div>{unfinished}<p>{nav}</p>'
            f"{_scoreboard(manifest)}{_failures(manifest)}{_alerts(manifest)}{regions}"
            '<p class="meta">Details: <a href="manifest.json">manifest.json</a></p></body></html>')
