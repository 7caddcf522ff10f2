"""Rendering: pages without code, self-contained and offline, with the recorded headlines read and hidden."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from packtools import assert_offline

from quotabook.headlines import RECORD_MIME
from quotabook.pack.render import extract_records, find_network_refs, notebook_body, notebook_html, strip_records

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
