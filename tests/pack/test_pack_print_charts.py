"""The PDF prints a chart's print variant (drawn shorter, same text) and the HTML page the chart as drawn, with
no trace of the variant (issue 16, "Concise PDF"). Notebooks written here with small stand-in SVGs."""

from __future__ import annotations

import base64

from nbformat.v4 import new_code_cell, new_notebook, new_output

from quotabook.headlines import PRINT_SVG_MIME
from quotabook.pack.print_charts import use_print_charts
from quotabook.pack.render import notebook_html, pdf_section

PAGE = '<svg xmlns="http://www.w3.org/2000/svg" width="648pt" height="484pt"><title>page</title></svg>'
PRINT = '<svg xmlns="http://www.w3.org/2000/svg" width="648pt" height="415pt"><title>print</title></svg>'


def _notebook():
    bars = new_output("display_data", data={"image/svg+xml": PAGE, PRINT_SVG_MIME: PRINT, "text/plain": "<Figure>"},
                      metadata={"image/svg+xml": {"alt": "Sixteen reps"}})
    line = new_output("display_data", data={"image/svg+xml": PAGE.replace("page", "line"), "text/plain": "<Figure>"})
    cell = new_code_cell("charts")
    cell.outputs = [bars, line]
    return new_notebook(cells=[cell])


def _svgs(html: str) -> list[str]:
    import re

    return [base64.b64decode(m).decode() for m in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', html)]


def test_the_pdf_prints_the_variant_and_the_page_shows_the_chart_as_drawn():
    nb = _notebook()
    body, _ = pdf_section(nb)
    assert [("print" in s, "line" in s) for s in _svgs(body)] == [(True, False), (False, True)]
    assert 'alt="Sixteen reps"' in body  # the variant keeps the chart's alt text
    page = notebook_html(nb)
    assert [("page" in s, "line" in s) for s in _svgs(page)] == [(True, False), (False, True)]
    assert "print" not in "".join(_svgs(page)) and PRINT_SVG_MIME not in page
    assert nb.cells[0].outputs[0]["data"][PRINT_SVG_MIME] == PRINT  # the notebook given is unchanged


def test_a_variant_without_a_chart_to_replace_is_dropped():
    cell = new_code_cell("odd")
    cell.outputs = [new_output("display_data", data={PRINT_SVG_MIME: PRINT, "text/plain": "x"})]
    printed = use_print_charts(new_notebook(cells=[cell]))
    assert printed.cells[0].outputs[0]["data"] == {"text/plain": "x"}
