"""Render executed notebooks to self-contained, offline HTML without code.

nbconvert's ``lab`` template is used in-process (``HTMLExporter``, ~0.03 s a notebook once built) with
code cells and prompts excluded. Its page head would load require.js, MathJax and mermaid from public
CDNs and, when widget state is stored, ``@jupyter-widgets/html-manager``; the template below empties
those blocks, so a report opens with networking off. Images stay embedded (data URIs, inline SVG).
Consequences: LaTeX in Markdown shows as source and widgets show their static fallback only — the
notebooks draw their charts outside widgets for that reason.

The ``application/vnd.quotabook+json`` outputs written by :func:`quotabook.pack.record` are read here
for the index and removed before rendering.
"""

from __future__ import annotations

import copy
import logging
import re
from functools import cache

from ..headlines import RECORD_MIME, normalise_alerts, normalise_headlines

__all__ = [
    "PRINT_CSS",
    "extract_records",
    "find_network_refs",
    "notebook_body",
    "notebook_html",
    "strip_records",
    "warm_up",
]

_HEAD_START, _HEAD_END = "<!-- quotabook:head -->", "<!-- /quotabook:head -->"
_BODY_START, _BODY_END = "<!-- quotabook:body -->", "<!-- /quotabook:body -->"

#: Print rules shared by the HTML pages and the PDF: A4, margins, nothing split across pages that
#: should not be (figures, tables, single outputs), readable tables, images never wider than the page.
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
body.jp-Notebook { max-width: 1100px; margin: 0 auto; padding: 12px 20px; }
.jp-OutputArea-output img, .jp-OutputArea-output svg, .jp-RenderedMarkdown img { max-width: 100%; height: auto; }
.jp-RenderedHTMLCommon table { font-size: 11.5px; border-collapse: collapse; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 2px 6px; }
.jp-Cell.jp-CodeCell:not(:has(.jp-OutputArea-output)) { display: none; }
.jp-mod-noInput .jp-Cell-inputWrapper { display: none; }
@media print {
  body.jp-Notebook { max-width: none; padding: 0; }
  .jp-OutputArea-output, .jp-RenderedImage, .jp-RenderedSVG, figure, table, img, svg, pre {
    break-inside: avoid; page-break-inside: avoid;
  }
  h1, h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
  .jp-OutputArea-output img { max-height: 245mm; object-fit: contain; }
}
"""

# Extends nbconvert's lab page: no CDN scripts (require.js, MathJax, mermaid, widget manager), our
# print rules, and markers around head styles and body so the PDF can stitch notebooks together.
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
{{ super() }}
""" + _BODY_START + """
{%- endblock body_header -%}
{%- block body_footer -%}
""" + _BODY_END + """
{{ super() }}
{%- endblock body_footer -%}
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
    """A copy of ``nb`` without the record outputs (they are data for the index, not report content)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if RECORD_MIME not in o.get("data", {})]
    return nb


def notebook_html(nb, title: str | None = None) -> str:
    """The notebook as one self-contained HTML page, without code cells or prompts."""
    nb = strip_records(nb)
    if title:
        nb.metadata["title"] = title
    body, _ = _exporter().from_notebook_node(nb, resources={"quotabook_css": PRINT_CSS})
    return body


def _between(text: str, start: str, end: str) -> str:
    i, j = text.index(start) + len(start), text.index(end)
    return text[i:j]


def notebook_body(nb) -> tuple[str, str]:
    """``(head, body)`` of the rendered page: the style elements and the cells' HTML, for stitching
    several notebooks into one document (the PDF). The head is the same for every notebook."""
    page = notebook_html(nb)
    return _between(page, _HEAD_START, _HEAD_END), _between(page, _BODY_START, _BODY_END)


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
