"""Render executed notebooks to self-contained, offline HTML without code.

nbconvert's ``lab`` template is used in-process (``HTMLExporter``, ~0.03 s a notebook once built) with
code cells and prompts excluded. Its page head would load require.js, MathJax and mermaid from public
CDNs and, when widget state is stored, ``@jupyter-widgets/html-manager``; the template below empties
those blocks, so a report opens with networking off. Images stay embedded (data URIs, inline SVG).
Consequences: LaTeX in Markdown shows as source and widgets show their static fallback only — the
notebooks draw their charts outside widgets for that reason.

The ``application/vnd.quotabook+json`` outputs written by :func:`quotabook.pack.record` are read here
for the index and removed before rendering. Glossary outputs (:data:`~quotabook.metrics.glossary.GLOSSARY_MIME`)
are folded in a ``<details>`` on the page and left out of a PDF's sections (:func:`pdf_section`), whose one
glossary is :func:`glossary_body` of them all. Chart images take their alt text from the chart's title, which
the house SVG formatter puts in the output's metadata; a page given its :class:`~quotabook.pack.navigation.PageNav`
opens with links to the index and the neighbouring themes, and its H1 names scope and period.
"""

from __future__ import annotations

import copy
import hashlib
import html
import logging
import re
from functools import cache

from ..headlines import PRINT_SVG_MIME, RECORD_MIME, normalise_alerts, normalise_headlines
from ..metrics.glossary import GLOSSARY_MIME, GlossaryEntry, entries_from_output, glossary_markdown, merge_entries
from .navigation import PageNav
from .print_charts import use_print_charts
from .repeated_cards import drop_repeated_cards
from .tables import TABLE_MIME

__all__ = [
    "PRINT_CSS",
    "drop_repeats",
    "extract_records",
    "find_network_refs",
    "glossary_body",
    "name_scope",
    "notebook_body",
    "notebook_html",
    "pdf_section",
    "split_glossary",
    "strip_records",
    "warm_up",
]

_HEAD_START, _HEAD_END = "<!-- quotabook:head -->", "<!-- /quotabook:head -->"
_BODY_START, _BODY_END = "<!-- quotabook:body -->", "<!-- /quotabook:body -->"

#: Rules shared by the HTML pages and the PDF. On screen: readable at 390 px (nothing wider than the window:
#: wide tables scroll inside their own box), the page header, the folded glossary, dark styles when the
#: reader's system asks for them. In print: A4 with 9–12 mm margins, a compact type scale (body 8.5 pt, tables
#: 7.5 pt, headings 15 / 12 / 10 pt, tight spacing), no chart, short table or table row split across pages,
#: while a long table or text goes on below what comes before it (a long table with its header repeated), not
#: pushed whole onto a new page, leaving the rest of one empty; label | value cards two or three pairs a line,
#: rep cards two to a line (also on a wide screen; their charts are drawn half a page wide,
#: ``quotabook.charts.base.CARD_WIDTH``), headings kept with what follows them, charts at most 160 mm wide (a
#: little less than the page: three more charts a page or so) and 230 mm tall (``quotabook.charts.base.PRINT_WIDTH``
#: and ``PRINT_HEIGHT``, which the charts' smallest text is sized for; the image is that plus its SVG's margin).
PRINT_CSS = """
@page { size: A4; margin: 9mm 10mm 12mm 10mm; }
body.jp-Notebook { max-width: 1100px; margin: 0 auto; padding: 12px 20px; }
.jp-OutputArea-output img, .jp-OutputArea-output svg, .jp-RenderedMarkdown img { max-width: 100%; height: auto; }
.jp-RenderedHTMLCommon table { font-size: 11.5px; border-collapse: collapse; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 2px 6px; }
.jp-Cell.jp-CodeCell:not(:has(.jp-OutputArea-output)) { display: none; }
.jp-mod-noInput .jp-Cell-inputWrapper { display: none; }
.jp-RenderedHTML:has(> table), .jp-RenderedHTML:has(> div > table) { overflow-x: auto; }
.qb-nav { max-width: 1100px; margin: 0 auto; padding: 10px 20px 0 20px; display: flex; flex-wrap: wrap;
          gap: 6px 18px; font: 14px/1.4 var(--jp-ui-font-family, sans-serif); }
.qb-nav a { color: var(--jp-content-link-color, #1a56db); text-decoration: none; }
.qb-nav a:hover { text-decoration: underline; }
.qb-nav .qb-next { margin-left: auto; }
.qb-scope { display: block; font-size: 0.55em; font-weight: normal; color: var(--jp-ui-font-color2, #4a5568);
            margin-top: 0.35em; }
details.qb-glossary > summary { cursor: pointer; font-weight: 600; margin: 1.2em 0 0.4em 0;
  font-family: var(--jp-content-font-family); font-size: var(--jp-content-font-size1); }
/* Rep cards (quotabook.rep_scorecards.tables.show_cards: four outputs a card, its table of class qb-card, or in a
   PDF the line printed in its place, quotabook.pack.repeated_cards), two to a line in print and on a wide
   screen, each card's outputs in its column, the two cards' rows aligned. */
@media print, screen and (min-width: 900px) {
  .jp-OutputArea:has(table.qb-card, .qb-card-note) {
    display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); grid-auto-flow: row dense;
    column-gap: 5mm; align-items: start; }
  .jp-OutputArea:has(table.qb-card, .qb-card-note) > .jp-OutputArea-child { display: block; min-width: 0; }
  .jp-OutputArea:has(table.qb-card, .qb-card-note) > .jp-OutputArea-child:is(:nth-child(8n+1), :nth-child(8n+2),
    :nth-child(8n+3), :nth-child(8n+4)) { grid-column: 1; }
  .jp-OutputArea:has(table.qb-card, .qb-card-note) > .jp-OutputArea-child:is(:nth-child(8n+5), :nth-child(8n+6),
    :nth-child(8n+7), :nth-child(8n)) { grid-column: 2; }
  .jp-OutputArea:has(table.qb-card, .qb-card-note) .jp-OutputPrompt { display: none; }
}
@media (max-width: 600px) {
  body.jp-Notebook { padding: 8px 10px; }
  .qb-nav { padding: 8px 10px 0 10px; }
  .jp-RenderedHTMLCommon h1 { font-size: 1.45em; }
  .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea-child, .jp-OutputArea-output { padding-left: 0; margin-left: 0; }
  .jp-OutputArea-output { overflow-x: auto; }
}
@media screen and (prefers-color-scheme: dark) {
  :root { --jp-layout-color0: #16191f; --jp-layout-color1: #1d2129; --jp-layout-color2: #2a2f3a;
          --jp-layout-color3: #3a4150; --jp-content-font-color0: #f4f6fa; --jp-content-font-color1: #e2e8f0;
          --jp-content-font-color2: #cbd5e0; --jp-content-font-color3: #a0aec0; --jp-ui-font-color0: #f4f6fa;
          --jp-ui-font-color1: #e2e8f0; --jp-ui-font-color2: #cbd5e0; --jp-border-color1: #4a5568;
          --jp-border-color2: #3a4150; --jp-content-link-color: #90cdf4;
          --jp-rendermime-table-row-background: #1d2129; --jp-rendermime-table-row-hover-background: #2a2f3a;
          --jp-rendermime-error-background: #3b1f24; --jp-cell-editor-background: #1d2129; color-scheme: dark; }
  body.jp-Notebook, body { background: var(--jp-layout-color0); color: var(--jp-content-font-color1); }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th, .jp-RenderedHTMLCommon caption {
    color: var(--jp-content-font-color1) !important; border-color: var(--jp-border-color1) !important; }
  .jp-RenderedHTMLCommon tr:nth-child(odd) { background: var(--jp-layout-color0); }
  .jp-RenderedSVG img, .jp-RenderedImage img { background: #ffffff; border-radius: 4px; }
}
@media print {
  :root { --jp-content-font-size1: 8.5pt; --jp-content-line-height: 1.2; --jp-content-heading-margin-top: 0.55em;
          --jp-content-heading-margin-bottom: 0.35em; }
  .qb-nav { display: none; }
  body.jp-Notebook { max-width: none; padding: 0; }
  .jp-Cell { padding: 0; }
  .jp-OutputArea-output { margin: 0; }
  .jp-RenderedHTMLCommon p, .jp-RenderedHTMLCommon ul, .jp-RenderedHTMLCommon ol { margin-bottom: 0.45em; }
  .jp-RenderedHTMLCommon h1 { font-size: 15pt; }
  .jp-RenderedHTMLCommon h2 { font-size: 12pt; }
  .jp-RenderedHTMLCommon h3 { font-size: 10pt; }
  .jp-RenderedHTMLCommon table { font-size: 7.5pt !important; margin: 0.2em 0 0.7em 0 !important; }
  .jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 0.5px 5px !important; line-height: 1.15; }
  .jp-RenderedHTMLCommon td { max-width: 32em !important; }
  .jp-RenderedImage, .jp-RenderedSVG, figure, img, svg, pre, tr, li {
    break-inside: avoid; page-break-inside: avoid;
  }
  /* JupyterLab keeps every output whole (.jp-OutputArea-child { break-inside: avoid-page }): a long table or a
     list of findings went whole onto the next page, leaving the rest of one empty. Outputs may break; what
     must stay whole is said below (a chart, a short table, a table row, a list item). */
  .jp-OutputArea-child { break-inside: auto; }
  /* A table taller than the room left on a page goes on below it, its header repeated, instead of leaving
     the rest of the page empty; a short one (up to 12 rows) stays whole. */
  table:not(:has(tbody tr:nth-child(13))) { break-inside: avoid; page-break-inside: avoid; }
  thead { display: table-header-group; }
  .jp-RenderedHTML:has(> table), .jp-RenderedHTML:has(> div > table) { overflow: visible; }
  /* A long two-column table (label | value) prints as two pairs per line: half the height. */
  table:not(:has(th:nth-child(3), td:nth-child(3))):has(tbody tr:nth-child(8)) > tbody {
    display: grid; grid-template-columns: repeat(2, max-content max-content); column-gap: 0; }
  table:not(:has(th:nth-child(3), td:nth-child(3))):has(tbody tr:nth-child(8)) > tbody > tr { display: contents; }
  table:not(:has(th:nth-child(3), td:nth-child(3))):has(tbody tr:nth-child(8)) > tbody > tr > td:nth-child(2) {
    padding-right: 8mm !important; }
  table:not(:has(th:nth-child(3), td:nth-child(3))):has(tbody tr:nth-child(8)) > thead { display: none; }
  /* Twelve pairs or more (a rep's card): three pairs per line. */
  table:not(:has(th:nth-child(3), td:nth-child(3))):has(tbody tr:nth-child(12)) > tbody {
    grid-template-columns: repeat(3, max-content max-content); }
  /* A rep's card, half the page wide: two pairs a line, set closer. */
  .jp-OutputArea table.qb-card { font-size: 7.2pt !important; }
  table.qb-card > tbody { grid-template-columns: repeat(2, max-content max-content) !important; }
  .jp-OutputArea .jp-OutputArea-output table.qb-card > tbody > tr > td { padding: 0.5px 2px !important; }
  .jp-OutputArea .jp-OutputArea-output table.qb-card > tbody > tr > td:nth-child(2) { padding-right: 3mm !important; }
  h1, h2, h3, h4, caption { break-after: avoid; page-break-after: avoid; }
  /* A 9-inch figure at 160 mm (PRINT_WIDTH), its SVG 9.2 inches wide with its margin (SVG_PAD a side):
     163.5 mm; at most 230 mm tall, and that margin. */
  .jp-OutputArea-output img { max-width: 163.5mm !important; max-height: 235mm; object-fit: contain;
                               object-position: left top; }
  details.qb-glossary > summary { display: none; }
}
"""

# Extends nbconvert's lab page: no CDN scripts (require.js, MathJax, mermaid, widget manager), our CSS, the
# page header (``resources.quotabook_nav``), charts whose alt text is their title (the ``alt`` the house SVG
# formatter puts in the output's metadata, see quotabook.charts.base.use_svg), the glossary folded in a
# <details>, and markers around head styles and body so the PDF can stitch notebooks together.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block notebook_css -%}
""" + _HEAD_START + """
{{ super() }}
<style type="text/css">{{ resources.quotabook_css }}</style>
""" + _HEAD_END + """
{%- endblock notebook_css -%}
{%- block body_header -%}
<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light">
{{ resources.quotabook_nav }}
<main>
""" + _BODY_START + """
{%- endblock body_header -%}
{%- block body_footer -%}
""" + _BODY_END + """
{{ super() }}
{%- endblock body_footer -%}
{%- block output -%}
{%- set glossary = output.get('data', {}).get('""" + GLOSSARY_MIME + """') -%}
{%- if glossary -%}
<details class="qb-glossary"><summary>Metric glossary: how the {{ glossary.get('entries', []) | length }} \
metrics on this page are defined</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{%- endblock output -%}
{%- block data_svg scoped -%}
{%- set alt = output.get('metadata', {}).get('image/svg+xml', {}).get('alt') or 'Chart' -%}
<div class="jp-RenderedSVG jp-OutputArea-output {{ extra_class }}" data-mime-type="image/svg+xml">
<img alt="{{ alt | escape_html }}" src="data:image/svg+xml;base64,{{ output.data['image/svg+xml'] | text_base64 }}">
</div>
{%- endblock data_svg -%}
"""


@cache
def _exporter():
    """The configured exporter, built once per process (building it costs far more than using it)."""
    from jinja2 import DictLoader
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    config.HTMLExporter.exclude_input = True
    config.HTMLExporter.exclude_input_prompt = True
    config.HTMLExporter.exclude_output_prompt = True
    config.HTMLExporter.embed_images = True
    config.TagRemovePreprocessor.enabled = True
    config.TagRemovePreprocessor.remove_cell_tags = {"remove-cell", "injected-parameters"}
    config.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    exporter = HTMLExporter(config=config, template_name="lab", template_file="quotabook_pack.html.j2",
                            extra_loaders=[DictLoader({"quotabook_pack.html.j2": _TEMPLATE})])
    exporter.log.addFilter(_NoAltTextWarning())  # not one warning per chart image
    return exporter


class _NoAltTextWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "Alternative text is missing" not in record.getMessage()


def extract_records(nb) -> tuple[dict, list[dict]]:
    """Headline figures and alerts recorded by the notebook (later records override earlier ones)."""
    headlines: dict = {}
    alerts: list[dict] = []
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            payload = output.get("data", {}).get(RECORD_MIME)
            if isinstance(payload, dict):
                headlines.update(normalise_headlines(payload.get("headlines")))
                alerts += normalise_alerts(payload.get("alerts") or ())
    return headlines, alerts


def strip_records(nb):
    """A copy of ``nb`` without the record and table-export outputs (data for the index and the CSV / XLSX
    exports, not report content) and without the charts' print variants."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if not {RECORD_MIME, TABLE_MIME} & set(o.get("data", {}))]
            for output in cell.outputs:  # a chart's print variant is the PDF's (pdf_section), never the page's
                (output.get("data") or {}).pop(PRINT_SVG_MIME, None)
    return nb


def notebook_html(nb, title: str | None = None, nav: PageNav | None = None) -> str:
    """The notebook as one self-contained HTML page, without code cells or prompts. With ``nav``, the page
    opens with its header (the pack index, previous and next theme) and its H1 names scope and period."""
    nb = strip_records(nb)
    if title:
        nb.metadata["title"] = title
    resources = {"quotabook_css": PRINT_CSS, "quotabook_nav": nav.header_html() if nav else ""}
    page, _ = _exporter().from_notebook_node(nb, resources=resources)
    if nav is not None:
        head, body = page.split(_BODY_START, 1)
        page = head + _BODY_START + name_scope(body, nav.heading_html(), nav.theme)
    return page


def name_scope(body: str, scope_html: str, theme: str) -> str:
    """``body`` whose first H1 also names the scope and period (``scope_html``, inserted before the heading's
    anchor link); a body without an H1 gets one, made of ``theme`` and the scope."""
    match = _FIRST_H1.search(body)
    if match is None:
        return f"<h1>{html.escape(theme)}{scope_html}</h1>" + body
    inner = match["inner"]
    anchor = inner.find('<a class="anchor-link"')
    inner = inner + scope_html if anchor < 0 else inner[:anchor] + scope_html + inner[anchor:]
    return body[:match.start("inner")] + inner + body[match.end("inner"):]


_FIRST_H1 = re.compile(r"<h1\b[^>]*>(?P<inner>.*?)</h1>", re.DOTALL)


def _between(text: str, start: str, end: str) -> str:
    i, j = text.index(start) + len(start), text.index(end)
    return text[i:j]


def notebook_body(nb) -> tuple[str, str]:
    """``(head, body)`` of the rendered page: the style elements and the cells' HTML, for stitching
    several notebooks into one document (the PDF). The head is the same for every notebook."""
    page = notebook_html(nb)
    return _between(page, _HEAD_START, _HEAD_END), _between(page, _BODY_START, _BODY_END)


def split_glossary(nb) -> tuple[object, list[GlossaryEntry]]:
    """A copy of ``nb`` without its glossary outputs, and the entries they held (in catalog order, each
    metric once): a PDF prints one glossary for all its themes instead of one after each.

    Raises
    ------
    ValueError
        A glossary output whose data is not a list of entries.
    """
    nb = copy.deepcopy(nb)
    groups = []
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", ()):
            entries = entries_from_output(output)
            if entries is None:
                kept.append(output)
            else:
                groups.append(entries)
        if "outputs" in cell:
            cell.outputs = kept
    return nb, merge_entries(groups)


def pdf_section(nb, shown: dict[str, str] | None = None, title: str = "") -> tuple[str, list[GlossaryEntry]]:
    """One theme's part of a PDF: the rendered body without its glossary, and the glossary entries it had.

    With ``shown`` (the charts and tables printed so far in the PDF, see :func:`drop_repeats`), a chart or
    table an earlier theme printed already is left out for a line naming that theme; this theme's are added
    to ``shown`` under ``title``. Charts print as their print variants (:mod:`quotabook.pack.print_charts`:
    bars closer than on screen, text the same size). A card's table that only repeats the rows of the tables
    above it is left out for a line saying where its figures are
    (:func:`~quotabook.pack.repeated_cards.drop_repeated_cards`)."""
    nb, entries = split_glossary(use_print_charts(nb))
    if shown is not None:
        nb = drop_repeats(nb, shown, title)
    return notebook_body(drop_repeated_cards(nb))[1], entries


def _fingerprint(output) -> str | None:
    """What identifies a chart (its SVG without the date and the random ids matplotlib writes in it) or a
    table (its HTML without the random ids pandas gives each rendering) or a long Markdown output (a list of
    findings) among a PDF's outputs; None for anything else (a short line is never left out)."""
    data = output.get("data") or {}
    if "image/svg+xml" in data:
        return "svg:" + hashlib.sha1(_SVG_VOLATILE.sub("", str(data["image/svg+xml"])).encode()).hexdigest()
    table = data.get("text/html")
    if isinstance(table, list):
        table = "".join(table)
    if table and "<table" in table:
        return "table:" + hashlib.sha1(_STYLER_ID.sub("T_", table).encode()).hexdigest()
    text = data.get("text/markdown")
    if isinstance(text, list):
        text = "".join(text)
    if text and len(text) >= _LONG_TEXT:
        return "text:" + hashlib.sha1(text.encode()).hexdigest()
    return None


#: A Markdown output this long (a paragraph, a list of findings) printed twice is a repeat; a shorter one ("No
#: deal to show.") may rightly say the same thing in two places.
_LONG_TEXT = 200


_STYLER_ID = re.compile(r"T_[0-9a-f]{5}")
_SVG_VOLATILE = re.compile(r"<dc:date>[^<]*</dc:date>|\b[pm][0-9a-f]{10}\b")


def drop_repeats(nb, shown: dict[str, str], title: str):
    """A copy of ``nb`` without the charts, tables and findings ``shown`` already holds (fingerprint → title
    of the theme that printed it): two themes may show the same figure (the quarter-over-quarter headline
    chart, table and findings sit in target achievement and in won / lost), and a PDF prints it once. Each
    run of left-out outputs becomes one line naming where they are; ``shown`` gains this notebook's."""
    import nbformat

    nb = copy.deepcopy(nb)
    noted = False  # the output just before is such a line: the next outputs left out join it
    for cell in nb.cells:
        if not cell.get("outputs"):
            noted = noted and cell.cell_type == "code"  # text between starts a new run
            continue
        kept, where = [], None
        for output in cell.outputs:
            key = _fingerprint(output)
            if key is not None and key in shown and shown[key] != title:
                where = shown[key]
                continue
            if key is not None:
                shown.setdefault(key, title)
            kept.append(output)
        printed = [o for o in kept if not {RECORD_MIME, TABLE_MIME} & set(o.get("data", {}))]  # not data records
        if where is not None and (printed or not noted):
            kept.append(nbformat.v4.new_output("display_data", data={
                "text/markdown": f"*Printed in {html.escape(where)}, earlier in this PDF.*"}))
        noted = where is not None
        cell.outputs = kept
    return nb


def glossary_body(entries: list[GlossaryEntry]) -> str:
    """The rendered body of one glossary of ``entries`` (a PDF's appendix: a part of its own, so its heading
    is an H1, a top-level bookmark beside the themes), styled as the notebooks are, each entry as printed
    (:func:`quotabook.metrics.glossary.printed`: without the data columns it reads). Heading and intro are
    one cell and the entries another, which the PDF sets in columns (a heading spanning columns could end a
    page alone)."""
    import nbformat

    text = glossary_markdown(entries, level=1, for_print=True)
    head, themes, rest = text.partition("\n## ")
    cells = [head, themes.lstrip("\n") + rest] if themes else [text]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(cell) for cell in cells])
    return notebook_body(nb)[1]


# Elements that load what their src/href names (an <a href> is a link, not a load), and CSS url()/@import.
_LOADING_REF = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*?\b(?:src|href|data)\s*=\s*["']?"""
    r"""((?:https?:)?//[^"'\s>]+)"""
    r"""|@import\s+(?:url\()?["']?((?:https?:)?//[^"')\s;]+)"""
    r"""|url\(\s*["']?((?:https?:)?//[^"')\s]+)""",
    re.IGNORECASE,
)


def find_network_refs(html: str) -> list[str]:
    """Every network resource the page would load (scripts, styles, images, fonts); empty when the page is
    self-contained. Used by the tests over every produced page and recorded in the manifest."""
    return [next(g for g in m.groups() if g) for m in _LOADING_REF.finditer(html)]


def warm_up() -> None:
    """Build the exporter and compile its templates now (~1 s), e.g. in a parent process before it forks its
    workers, so that no worker pays for it again."""
    import nbformat

    notebook_html(nbformat.v4.new_notebook())
