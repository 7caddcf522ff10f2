"""Rendering: pages without code, self-contained and offline, with the recorded headlines read and hidden."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from packtools import assert_offline

from quotabook.headlines import RECORD_MIME
from quotabook.metrics import load_catalog
from quotabook.metrics.catalog import THEMES
from quotabook.metrics.glossary import GLOSSARY_MIME
from quotabook.pack.navigation import PageNav
from quotabook.pack.render import (
    PRINT_CSS,
    drop_repeats,
    extract_records,
    find_network_refs,
    glossary_body,
    name_scope,
    notebook_body,
    notebook_html,
    pdf_section,
    split_glossary,
    strip_records,
)

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>'


@pytest.fixture
def executed():
    """A notebook as papermill leaves it: code with outputs (text, PNG, SVG, a record), widget state, math."""
    nb = new_notebook()
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2,
                                                                            "version_minor": 0}}
    params = new_code_cell('region = "East"', outputs=[])
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        new_markdown_cell("# Funnel\n\nConversion is $p = won / created$."),
        params,
        new_code_cell("secret_code_line = 42\nprint('hello')",
                      outputs=[new_output("stream", name="stdout", text="hello\n")]),
        new_code_cell("chart()", outputs=[new_output("display_data", data={"image/png": PNG, "text/plain": "<Fig>"})]),
        new_code_cell("svg()", outputs=[new_output("display_data", data={"image/svg+xml": SVG})]),
        new_code_cell("record(...)", outputs=[
            new_output("display_data", data={RECORD_MIME: {"headlines": {"Win rate": "31%"},
                                                           "alerts": [{"message": "Stalled deals", "level": "info"}]},
                                             "text/plain": "Recorded for the pack index: Win rate 31%"}),
            new_output("display_data", data={RECORD_MIME: {"headlines": {"Deals": 12}, "alerts": ["Low coverage"]},
                                             "text/plain": "Recorded for the pack index: Deals 12"}),
        ]),
    ]
    return nb


def test_page_has_outputs_but_no_code_and_no_prompts(executed):
    page = notebook_html(executed, title="Funnel — East")
    assert "hello" in page and "<title>Funnel — East</title>" in page
    assert "secret_code_line" not in page and "chart()" not in page
    assert 'class="jp-InputPrompt' not in page and 'class="jp-OutputPrompt' not in page


def test_page_is_self_contained_and_loads_nothing_from_the_network(executed):
    page = notebook_html(executed)
    assert_offline(page)
    assert f"data:image/png;base64,{PNG}" in page  # images embedded, not linked
    assert "data:image/svg+xml;base64," in page  # SVG embedded too


def test_network_ref_detector_catches_every_kind_of_load_but_not_links():
    page = ('<script src="https://cdnjs.cloudflare.com/require.js"></script><link rel="stylesheet" '
            'href="//fonts.example.com/a.css"><img src=http://x.test/a.png><style>@import url("https://s.test/b.css");'
            ' .a { background: url(https://s.test/c.png) }</style><a href="https://example.com/docs">docs</a>')
    assert find_network_refs(page) == ["https://cdnjs.cloudflare.com/require.js", "//fonts.example.com/a.css",
                                       "http://x.test/a.png", "https://s.test/b.css", "https://s.test/c.png"]
    assert find_network_refs('<a href="https://example.com">ok</a><img src="data:image/png;base64,AA">') == []


def test_records_are_read_in_order_and_removed_from_the_page(executed):
    headlines, alerts = extract_records(executed)
    assert headlines == {"Win rate": "31%", "Deals": 12}
    assert alerts == [{"message": "Stalled deals", "level": "info"}, {"message": "Low coverage", "level": "warning"}]
    page = notebook_html(executed)
    assert "Recorded for the pack index" not in page and RECORD_MIME not in page
    assert extract_records(strip_records(executed)) == ({}, [])
    assert extract_records(executed)[0], "rendering must not modify the executed notebook"


def test_body_and_head_split_for_stitching_into_one_document(executed):
    head, body = notebook_body(executed)
    assert "<style" in head and "@page" in head and "<body" not in head
    assert "Funnel" in body and "<style" not in body.split("jp-Cell", 1)[0]


def test_record_helper_displays_json_with_a_text_fallback(monkeypatch):
    import IPython.display

    from quotabook.pack import record

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    import numpy as np

    assert record({"Win rate": "31%", "Closed": np.float64(1.5e6)}, alerts=["Coverage below 3x"]) is None
    (data, kw), = shown
    assert data[RECORD_MIME] == {"headlines": [["Win rate", "31%"], ["Closed", 1500000.0]],
                                 "alerts": [{"message": "Coverage below 3x", "level": "warning"}]}
    assert "Coverage below 3x" in data["text/plain"] and kw["raw"] is True
    nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data=data)])])
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)  # written with sorted keys, as papermill does
    assert list(extract_records(nb)[0]) == ["Win rate", "Closed"]  # the order given is kept


def test_recorded_figures_carry_numbers_with_their_unit_masked_and_survive_the_notebook(monkeypatch):
    import IPython.display
    import numpy as np

    from quotabook.headlines import extract_figures
    from quotabook.pack import record

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, **kw: shown.append((obj, kw)))
    record(figures=[{"group": "ann@example.com", "scope": np.bool_(True), "key": "closed", "label": "Closed",
                     "metric": "closed_amount", "value": np.float64(895_400.0), "unit": "currency",
                     "currency": "USD", "href": "00_target_achievement.html#Where-we-stand-against-target"},
                    {"group": "East", "scope": False, "key": "chance", "label": "Chance of target",
                     "value": float("nan"), "unit": "percent", "currency": "USD", "href": ""}])
    (data, _), = shown
    nb = new_notebook(cells=[new_code_cell("x", outputs=[new_output("display_data", data=data)])])
    figures = extract_figures(nbformat.reads(nbformat.writes(nb), as_version=4))
    assert figures[0] == {"group": "a***@example.com", "scope": True, "key": "closed", "label": "Closed",
                          "metric": "closed_amount", "value": 895_400.0, "unit": "currency", "currency": "USD",
                          "href": "00_target_achievement.html#Where-we-stand-against-target"}
    assert figures[1]["value"] is None and figures[1]["metric"] == ""  # NaN is no figure: the index shows "–"
    assert "ann@example.com" not in data["text/plain"]


# -- glossary, alt text and navigation (issue 16) ----------------------------------------------------------------

def _glossary_output(names):
    from quotabook.metrics import load_catalog
    from quotabook.metrics.glossary import GlossaryDisplay, glossary_entries
    from quotabook.settings import load_settings

    bundle = GlossaryDisplay(glossary_entries(load_catalog(), names, load_settings()))._repr_mimebundle_()
    return new_output("display_data", data=bundle)


def _soup(page: str):
    from bs4 import BeautifulSoup

    return BeautifulSoup(page, "html.parser")


def _headings(soup, name: str) -> list[str]:
    return [h.get_text(" ", strip=True).removesuffix("¶").strip() for h in soup.find_all(name)]


def test_the_page_folds_its_glossary_and_the_pdf_section_leaves_it_out(executed):
    executed.cells.append(new_code_cell("rep.glossary([...])", outputs=[_glossary_output(["win_rate"])]))
    soup = _soup(notebook_html(executed))
    (folded,) = soup.select("details.qb-glossary")
    shown = load_catalog().closure(["win_rate"])  # the metric and what it is computed from
    assert folded.summary.get_text() == f"Metric glossary: how the {len(shown)} metrics on this page are defined"
    assert _headings(folded, "h2") == ["Metric glossary"] and "win_rate" in folded.get_text()

    body, entries = pdf_section(executed)
    assert [e.name for e in entries] == shown
    assert "Metric glossary" not in body and "Funnel" in body
    assert any(o.get("data", {}).get(GLOSSARY_MIME) for c in executed.cells for o in c.get("outputs", ())), \
        "the executed notebook is left as it was"


def test_glossaries_of_several_outputs_are_merged_once_and_render_as_one_body(executed):
    executed.cells.append(new_code_cell("g1", outputs=[_glossary_output(["win_rate"])]))
    executed.cells.append(new_code_cell("g2", outputs=[_glossary_output(["won_count", "dial_count"])]))
    nb, entries = split_glossary(executed)
    assert [e.name for e in entries].count("won_count") == 1
    assert not any(GLOSSARY_MIME in o.get("data", {}) for c in nb.cells for o in c.get("outputs", ()))
    soup = _soup(glossary_body(entries))
    assert _headings(soup, "h1") == ["Metric glossary"]  # a part of the PDF of its own
    themes = _headings(soup, "h2")  # one level down: the themes, in catalog order
    assert {"Activity ratios", "Funnel"} <= set(themes) and themes == [t for t in THEMES.values() if t in themes]
    assert [c.get_text() for c in soup.find_all("code")].count("won_count") == 1
    assert "Activities count with the rep who logged them" in soup.get_text()


def test_a_chart_image_has_its_title_as_alt_text_and_a_default_without_one(executed):
    executed.cells.append(new_code_cell("chart", outputs=[new_output(
        "display_data", data={"image/svg+xml": SVG}, metadata={"image/svg+xml": {"alt": 'West lags: "19%" <win>'}})]))
    soup = _soup(notebook_html(executed))
    alts = [img["alt"] for img in soup.select(".jp-RenderedSVG img")]
    assert alts == ["Chart", 'West lags: "19%" <win>']  # the fixture's SVG has no title; the chart's is escaped
    assert not soup.select(".jp-RenderedSVG img:not([alt])")


def test_the_page_header_links_back_to_the_index_and_to_the_neighbour_themes(executed):
    nav = PageNav(theme="Funnel", scope="East", period="2026-Q3", index_href="../index.html#region-east",
                  prev=("Activity ratios", "01_activity_ratios.html"), next=("Velocity", "03_velocity.html"))
    soup = _soup(notebook_html(executed, nav=nav))
    links = [(a["href"], a.get_text()) for a in soup.select("nav.qb-nav a")]
    assert links == [("../index.html#region-east", "↑ Pack index · 2026-Q3"),
                     ("01_activity_ratios.html", "← Activity ratios"), ("03_velocity.html", "Velocity →")]
    assert soup.select_one("nav.qb-nav").find_next("main") is not None  # the header comes before the content
    h1 = soup.find("h1")
    assert h1.get_text(" ", strip=True).removesuffix("¶").strip() == "Funnel East · 2026-Q3"
    assert h1.contents[-1].name == "a"  # the ¶ anchor link stays last
    # the PDF's body has no header and no scope line: its first page names the scope once
    body = notebook_body(executed)[1]
    assert "qb-nav" not in body and "qb-scope" not in body


def test_a_body_without_a_heading_gets_one_naming_theme_and_scope():
    scope = '<span class="qb-scope">West · 2026-Q3</span>'
    assert name_scope("<p>x</p>", scope, "Funnel <b>") == f"<h1>Funnel &lt;b&gt;{scope}</h1><p>x</p>"
    assert name_scope("<h1>A</h1><h1>B</h1>", scope, "T") == f"<h1>A{scope}</h1><h1>B</h1>"


def test_dark_and_narrow_screens_have_their_styles_and_print_keeps_them_out():
    assert "@media screen and (prefers-color-scheme: dark)" in PRINT_CSS
    assert "@media (max-width: 600px)" in PRINT_CSS
    assert ".qb-nav { display: none; }" in PRINT_CSS.split("@media print", 1)[1]


def _chart(stamp: str, ident: str, bars: str = "10") -> dict:
    """A chart's SVG output as matplotlib writes it: a date and random ids differ from one drawing to the next."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg"><metadata><dc:date>{stamp}</dc:date></metadata>'
           f'<defs><clipPath id="p{ident}"><rect/></clipPath><path id="m{ident}"/></defs>'
           f'<rect width="{bars}" clip-path="url(#p{ident})"/><use xlink:href="#m{ident}"/></svg>')
    return new_output("display_data", data={"image/svg+xml": svg}, metadata={"image/svg+xml": {"alt": "QoQ"}})


def _table(uuid: str, value: str = "$48K") -> dict:
    html = (f'<style>#T_{uuid}_row0_col0 {{ text-align: right; }}</style><table id="T_{uuid}"><tbody><tr>'
            f'<td id="T_{uuid}_row0_col0">{value}</td></tr></tbody></table>')
    return new_output("display_data", data={"text/html": html})


def _text(text: str) -> dict:
    return new_output("display_data", data={"text/markdown": text})


def test_a_chart_table_or_finding_an_earlier_theme_printed_is_printed_once_with_a_line_saying_where():
    """The quarter-over-quarter chart, table and findings sit in two themes: the second prints one line naming
    the first instead. The same figure drawn again (new date, new random ids) is still the same; a short line,
    a different figure and a repeat within one theme are kept."""
    findings = "- " + "Average deal size $48K so far, 27% above the same point of last quarter. " * 4
    first = new_notebook(cells=[
        new_markdown_cell("## Quarter over quarter"),
        new_code_cell("chart", outputs=[_chart("2026-12-06T08:05", "12479bbe1a")]),
        new_code_cell("table", outputs=[_table("1adcd"), _text(findings), _text("No deal to show.")]),
        new_code_cell("again", outputs=[_table("1adcd")]),  # a repeat within one theme stays
    ])
    second = new_notebook(cells=[
        new_markdown_cell("## Quarter over quarter"),
        new_code_cell("chart", outputs=[_chart("2026-12-06T08:07", "df3d0ac76c")]),
        new_code_cell("table", outputs=[new_output("display_data", data={RECORD_MIME: {"headlines": {}}}),
                                        _table("4d22e"), _text(findings)]),
        new_markdown_cell("## Bookings"),
        new_code_cell("more", outputs=[_text("No deal to show."), _chart("2026-12-06T08:07", "0a0a0a0a0a", "20"),
                                       _table("aaaaa", "$50K")]),
        new_code_cell("late", outputs=[_table("bbbbb")]),
    ])
    shown: dict[str, str] = {}
    kept_first = drop_repeats(first, shown, "Target achievement")
    assert [len(c.get("outputs", [])) for c in kept_first.cells] == [0, 1, 3, 1]  # nothing left out
    assert len(shown) == 3  # its chart, table and findings (a short line is no figure)

    kept = drop_repeats(second, shown, "Won / lost")
    outputs = [[next(iter(o["data"].values())) for o in c.get("outputs", [])] for c in kept.cells]
    note = "*Printed in Target achievement, earlier in this PDF.*"
    assert outputs[1] == [note]  # the chart drawn again
    assert outputs[2] == [{"headlines": {}}]  # its table and findings right after: the same line covers them
    assert outputs[4][0] == "No deal to show." and len(outputs[4]) == 3  # a short line and new figures stay
    assert outputs[5] == [note]  # after new output, a repeat gets its own line
    assert second.cells[1].outputs[0]["data"]["image/svg+xml"].startswith("<svg")  # the notebook is untouched
    body, _ = pdf_section(second, dict(shown), "Won / lost")
    assert body.count("Printed in Target achievement") == 2 and "$50K" in body
