"""End to end: every figure of a pack's executive summary reads the same in the section it links to, and the
index's scoreboard shows the summaries' own figures.

Two small packs, built once for the module from a realistic export that is not the demo
(:func:`quotabook.testing.crm_export`, Pipedrive stage names, 2014-2016), HTML only, the summary with the two
pages it links to: the quarter under way when it was pulled (2016-Q4) for one region (Nordics) and the
district, and the quarter before (2016-Q3, finished: a review) for the district.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from quotabook.pack import build_pack
from quotabook.testing import crm_export

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pack_summary")]  # module fixtures built once, on one worker
NOTEBOOKS = ["summary", "00_target_achievement", "05_forecast"]


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    folder = crm_export().write(tmp_path_factory.mktemp("summary-export"))
    patch = pytest.MonkeyPatch()
    patch.setenv("QUOTABOOK_WORKBOOK", str(folder / "workbook.yaml"))  # the export's stage map; kernels inherit it
    yield folder
    patch.undo()


def _build(folder: Path, period: str, regions: list[str]) -> Path:
    result = build_pack(period, regions=regions, notebooks=NOTEBOOKS, data=str(folder), formats=("html",),
                        out=folder.parent / "reports", workers=2, progress=False)
    assert result.exit_code == 0, result.failures
    return result.out_dir


@pytest.fixture(scope="module")
def pack(export) -> Path:
    """The quarter under way, one region and the district."""
    return _build(export, "2016-Q4", ["Nordics", "district"])


@pytest.fixture(scope="module")
def review(export) -> Path:
    """A finished quarter (2016-Q3), the district only: a review whose moves are 2016-Q4's."""
    return _build(export, "2016-Q3", ["district"])


class _Links(HTMLParser):
    """``(href, class, text)`` of every link of a page."""

    def __init__(self):
        super().__init__()
        self.open: list[list[str]] = []
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            found = dict(attrs)
            self.open.append([found.get("href") or "", found.get("class") or "", ""])

    def handle_endtag(self, tag):
        if tag == "a" and self.open:
            self.links.append(tuple(self.open.pop()))

    def handle_data(self, data):
        for link in self.open:
            link[2] += data


def links(page: str) -> list[tuple[str, str, str]]:
    parser = _Links()
    parser.feed(page)
    return parser.links


def section_text(page: str, anchor: str) -> str:
    """The text of the section opened by the heading ``id=anchor``, up to the next heading of its level or above."""
    start = page.index(f'id="{anchor}"')
    level = int(page[page.rindex("<h", 0, start) + 2])
    stop = re.compile(rf"<h[1-{level}][ >]").search(page, start)
    body = page[start:stop.start() if stop else len(page)]
    body = re.sub(r"<style.*?</style>|<script.*?</script>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


CASES = [("pack", "nordics"), ("pack", "district"), ("review", "district")]


@pytest.mark.parametrize(("built", "scope"), CASES)
def test_every_summary_figure_reads_the_same_in_the_section_it_links_to(request, built, scope):
    pack = request.getfixturevalue(built)
    page = (pack / scope / "summary.html").read_text(encoding="utf-8")
    figures = [(href, text) for href, kind, text in links(page) if kind == "fig"]
    assert len(figures) >= 3 * 7, "a scoreboard of regions (or territories) and the scope, and the top moves"
    if built == "review":  # the moves of a finished quarter's review are those of the quarter in progress
        assert "Top moves for 2016-Q4" in page and "2016-Q3 is over, so these moves are for 2016-Q4" in page
    missing = []
    for href, text in figures:
        file, anchor = href.split("#", 1)
        target = (pack / scope / file).read_text(encoding="utf-8")
        if " ".join(text.split()) not in section_text(target, anchor):
            missing.append(f"{text!r} not in {href}")
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(("built", "scope"), CASES)
def test_every_link_of_the_summary_lands_on_a_heading_of_the_pack(request, built, scope):
    pack = request.getfixturevalue(built)
    page = (pack / scope / "summary.html").read_text(encoding="utf-8")
    for href, _, _ in links(page):
        if href.startswith("#") or "#" not in href:
            continue
        file, anchor = href.split("#", 1)
        assert f'id="{anchor}"' in (pack / scope / file).read_text(encoding="utf-8"), href


def test_the_index_scoreboard_shows_each_scopes_own_summary_figures(pack):
    index = (pack / "index.html").read_text(encoding="utf-8")
    start = index.index("<h2>Scoreboard</h2>")
    board = index[start:index.index("</table>", start)]
    assert board.index(">Nordics<") < board.index(">District (all regions)<")
    for scope in ("nordics", "district"):
        page = (pack / scope / "summary.html").read_text(encoding="utf-8")
        cell = re.search(r'<td [^>]*class="[^"]*\bscope\b', page).start()  # the scope's row: its cells' class
        row = page[page.rindex("<tr", 0, cell):page.index("</tr>", cell)]
        on_summary = {(href, text) for href, kind, text in links(row) if kind == "fig"}
        on_index = [(href.removeprefix(f"{scope}/"), text) for href, _, text in links(board)
                    if href.startswith(f"{scope}/") and "#" in href]
        assert len(on_index) == 6, on_index  # Target, Closed, Forecast, Gap, Attainment, Coverage
        assert set(on_index) <= on_summary, (scope, set(on_index) - on_summary)
    assert '<a href="overview.html">one-page overview</a>' in index
    assert "Where we stand" in (pack / "overview.html").read_text(encoding="utf-8")
