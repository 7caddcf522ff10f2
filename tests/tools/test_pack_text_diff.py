"""tools/pack_text_diff.py: the text a reader sees, page by page, and which pages of two builds differ."""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

TOOL = Path(__file__).resolve().parents[2] / "tools" / "pack_text_diff.py"
_spec = importlib.util.spec_from_file_location("pack_text_diff", TOOL)
pack_text_diff = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pack_text_diff)

PAGE = """<html><head><title>West</title><style>td {{ color: red }}</style></head><body>
<script>var secret = 1;</script><h1>Won   and
lost</h1><p>Win rate <b>31%</b>, {when}.</p><div style="display: none">raw records</div>
<table><caption>Closed vs goals</caption><tr><th>Rep</th>
<th>Attainment</th></tr><tr><td>Ann</td><td>{attainment}</td></tr></table>
<img src="data:image/png;base64,AAAA" alt="Ann leads"><img src="x.png"></body></html>"""


def test_page_text_keeps_what_a_reader_sees_one_line_per_block():
    lines = pack_text_diff.page_text(PAGE.format(when="so far", attainment="104%"))
    assert lines == ["Won and lost", "Win rate 31%, so far.", "Closed vs goals", "Rep | Attainment", "Ann | 104%",
                     "[image: Ann leads]"]


def test_compare_names_the_pages_that_differ_and_masks_build_times(tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    for root, attainment, built in ((before, "104%", "11:12:02"), (after, "105%", "11:23:35")):
        (root / "west").mkdir(parents=True)
        (root / "west" / "06_won_lost.html").write_text(PAGE.format(when="so far", attainment=attainment))
        (root / "index.html").write_text(f"<p>Generated 2026-12-06T{built}+00:00 · data demo</p>")
    (after / "west" / "summary.html").write_text("<p>new page</p>")
    out = io.StringIO()
    assert pack_text_diff.compare(before, after, out) == 2
    assert out.getvalue().splitlines() == [
        "== index.html: same text (1 lines)", "== west/06_won_lost.html: differs", "@@ -5 +5 @@", "-Ann | 104%",
        "+Ann | 105%", "== west/summary.html: only in after"]
