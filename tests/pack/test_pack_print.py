"""A region's printed PDF and its pages, end to end on a small pack of two themes written here; and the print
layout (cards, long tables, charts' size, the glossary's entries) on documents composed here.

One build (module-scoped) of two notebooks for one region, each showing a chart and its glossary, with
overlapping metrics; every assertion reads what that build wrote: the PDF (bookmarks, tags, contents whose
page numbers are where the sections landed, one glossary of the union in catalog order, no per-theme
glossary) and the HTML pages (header links, H1 with scope and period, chart alt text, folded glossary).
"""

from __future__ import annotations

import base64
import io
import re
import unicodedata

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from packtools import CHROMIUM, write_data

from quotabook.pack.build import build_pack

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("pack_print"),  # module fixtures built once, on one worker
              pytest.mark.skipif(not CHROMIUM.is_file(), reason=f"needs Debian's chromium at {CHROMIUM}")]

THEMES = {
    "00_alpha": ("Alpha theme: where we stand", "Alpha chart: nothing to draw yet", ["attainment", "win_rate"]),
    "01_beta": ("Beta theme", "Beta chart: still nothing", ["win_rate", "dial_count"]),
}


def _notebook(title: str, chart: str, metrics: list[str]):
    params = new_code_cell('region = "district"\nperiod = "2026-Q1"\nas_of = None\ndata = "demo"')
    params.metadata["tags"] = ["parameters"]
    return new_notebook(cells=[
        new_markdown_cell(f"# {title}\n\nA theme of the print test."), params,
        new_code_cell("from quotabook.charts.base import no_data\nfrom quotabook.notebook import start\n"
                      "rep = start(region, period, as_of, data)"),
        new_markdown_cell("## What the chart says"),
        new_code_cell(f"no_data({chart!r}, 'No deal to plot.')"),
        new_code_cell(f"rep.glossary({metrics!r})"),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


@pytest.fixture(scope="module")
def pack(tmp_path_factory):
    root = tmp_path_factory.mktemp("print")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    for stem, (title, chart, metrics) in THEMES.items():
        nbformat.write(_notebook(title, chart, metrics), notebooks / f"{stem}.ipynb")
    spec = root / "pack.yaml"
    spec.write_text("title: Print test pack\nnotebooks: [00_alpha, 01_beta]\nregions: [East]\n"
                    "formats: [html, pdf]\n", encoding="utf-8")
    result = build_pack("2026-Q1", data=str(write_data(root / "data")), out=root / "reports", pack=spec,
                        notebooks_dir=notebooks, workers=2, progress=False)
    assert result.ok, result.failures or result.pdf_errors
    return result.out_dir


@pytest.fixture(scope="module")
def printed(pack) -> bytes:
    (path,) = (pack / "east").glob("*.pdf")
    return path.read_bytes()


@pytest.fixture(scope="module")
def pdf(printed):
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(printed))


def _outline_titles(reader) -> list[str]:
    titles, todo = [], list(reader.outline)
    while todo:
        item = todo.pop(0)
        if isinstance(item, list):
            todo[:0] = item
        else:
            titles.append(" ".join(item.title.split()))
    return titles


def test_the_pdf_has_bookmarks_and_tags(pdf):
    titles = _outline_titles(pdf)
    for expected in ("Alpha theme: where we stand", "Beta theme", "What the chart says", "Metric glossary"):
        assert expected in titles, titles
    top = [" ".join(o.title.split()) for o in pdf.outline if not isinstance(o, list)]
    assert top[-3:] == ["Alpha theme: where we stand", "Beta theme", "Metric glossary"]  # parts, in order
    root = pdf.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root  # a tagged PDF


def test_the_contents_give_the_page_each_section_starts_on(pdf, printed):
    from quotabook.pack.pdf import GLOSSARY_ANCHOR, anchor_pages

    pages = anchor_pages(printed)
    assert {"theme-00_alpha", "theme-01_beta", GLOSSARY_ANCHOR} <= set(pages)
    contents = " ".join(pdf.pages[0].extract_text().split())
    for title, anchor in (("Alpha theme: where we stand", "theme-00_alpha"), ("Beta theme", "theme-01_beta"),
                          ("Metric glossary", GLOSSARY_ANCHOR)):
        assert re.search(re.escape(title) + r"\s*" + str(pages[anchor]) + r"\b", contents), (title, contents)
    assert pages["theme-00_alpha"] == 1  # the first theme starts under the contents, on the first page
    assert pages[GLOSSARY_ANCHOR] == 1  # the glossary is last and flows on under two short themes: no page
    assert len(pdf.pages) <= 2          # left half empty before it


def test_the_pdf_has_one_glossary_of_every_metric_its_themes_show(pdf):
    text = " ".join(unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in pdf.pages)).split())  # "ﬁ"
    assert text.count("Definitions of the metrics in this report") == 1  # not one per theme
    for name in ("win_rate", "closed_amount", "dial_count"):  # both themes' metrics, the shared one once
        assert len(re.findall(rf"\b{name}\b", text)) == 1, name
    assert text.index("closed_amount") < text.index("dial_count") < text.index("win_rate")  # catalog order
    glossary = text[text.index("Definitions of the metrics in this report"):]
    assert "Alpha chart" not in glossary and "What the chart says" not in glossary


def test_each_page_links_back_to_the_index_and_to_its_neighbour(pack):
    from bs4 import BeautifulSoup

    index = BeautifulSoup((pack / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert index.find(id="region-east") is not None  # where the pages' back link lands
    for stem, neighbour in (("00_alpha", ("01_beta.html", "Beta theme →")),
                            ("01_beta", ("00_alpha.html", "← Alpha theme"))):
        soup = BeautifulSoup((pack / "east" / f"{stem}.html").read_text(encoding="utf-8"), "html.parser")
        links = [(a["href"], a.get_text()) for a in soup.select("nav.qb-nav a")]
        assert links == [("../index.html#region-east", "↑ Pack index · 2026-Q1"), neighbour]
        title, chart, _ = THEMES[stem]
        h1 = soup.find("h1").get_text(" ", strip=True).removesuffix("¶").strip()
        assert h1 == f"{title} East · 2026-Q1"
        assert [img["alt"] for img in soup.select("img")] == [chart]
        assert "No description has been provided" not in str(soup)
        assert soup.select_one("details.qb-glossary summary").get_text().startswith("Metric glossary: how the")


def test_a_page_fits_a_390_px_phone_and_follows_a_dark_system_theme(pack):
    from playwright.sync_api import sync_playwright

    from quotabook.pack.pdf import CHROMIUM_ARGS

    page_url = (pack / "east" / "00_alpha.html").as_uri()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            phone = browser.new_context(viewport={"width": 390, "height": 844}, offline=True)
            page = phone.new_page()
            page.goto(page_url, wait_until="load")
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing scrolls sideways
            assert page.locator("nav.qb-nav a").first.is_visible()
            dark = browser.new_context(color_scheme="dark", offline=True).new_page()
            dark.goto(page_url, wait_until="load")
            background = dark.evaluate("getComputedStyle(document.body).backgroundColor")
            red, green, blue = (int(v) for v in re.findall(r"\d+", background)[:3])
            assert max(red, green, blue) < 60, background
        finally:
            browser.close()


# Print layout, on documents composed here and laid out by the same Chromium with print styles (no pack build):
# where a PDF's pages go (issue 16, "Concise PDF").

#: Width between the PDF's left and right margins, millimetres (A4's 210 less the print CSS's @page margins).
CONTENT_MM = 190


def _markdown_body(text: str) -> str:
    from quotabook.pack.render import notebook_body

    return notebook_body(new_notebook(cells=[new_markdown_cell(text)]))[1]


def _document(body: str, glossary: str | None = None) -> str:
    from quotabook.pack.pdf import Section, compose_document
    from quotabook.pack.render import notebook_body

    return compose_document(head=notebook_body(new_notebook())[0], pack_title="P", region="East", period="2026-Q1",
                            generated="now", data="demo", sections=[Section("t", "Theme", body=body)],
                            glossary=glossary)


@pytest.fixture(scope="module")
def print_page():
    """A Chromium page laid out as it prints (A4 content width, print media)."""
    from playwright.sync_api import sync_playwright

    from quotabook.pack.pdf import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        page = browser.new_page(viewport={"width": round(CONTENT_MM / 25.4 * 96), "height": 1000})
        page.emulate_media(media="print")
        yield page
        browser.close()


def _rows(cells: list[dict]) -> list[float]:
    return sorted({round(c["top"]) for c in cells})


def test_a_card_of_twelve_pairs_prints_three_pairs_a_line_and_a_short_card_two(print_page):
    labels = ["Closed", "Target", "Attainment", "Pipeline coverage", "Win rate", "Sales cycle (mean)",
              "Average deal size", "Activity goal attainment", "Tenure", "Commit accuracy", "Commit bias", "Band"]
    def table(pairs: list[str]) -> str:
        return "\n".join(["| Figure | Value |", "|---|---|", *(f"| {label} | {i}% |" for i, label in enumerate(pairs))])

    card, short = table(labels), table(labels[:8])
    print_page.set_content(_document(_markdown_body(card + "\n\nBetween.\n\n" + short)))
    tables = print_page.evaluate("""() => [...document.querySelectorAll('table')].map(t =>
        [...t.querySelectorAll('td')].map(c => ({top: c.getBoundingClientRect().top})))""")
    assert len(tables[0]) == 24 and len(_rows(tables[0])) == 4  # 12 pairs, 3 a line
    assert len(tables[1]) == 16 and len(_rows(tables[1])) == 4  # 8 pairs, 2 a line
    assert print_page.evaluate("getComputedStyle(document.querySelector('thead')).display") == "none"


def _output_body(text: str, html: str) -> str:
    """The rendered body of a notebook of Markdown ``text`` then a code cell whose result is ``html`` (a table
    as a report shows it: an output, which JupyterLab's own print CSS keeps whole)."""
    from quotabook.pack.render import notebook_body

    cell = new_code_cell("table")
    cell.outputs = [new_output("execute_result", data={"text/html": html}, execution_count=1)]
    return notebook_body(new_notebook(cells=[new_markdown_cell(text), cell]))[1]


@pytest.mark.parametrize("shown_as", ["markdown", "output"])
def test_a_long_table_goes_on_below_the_text_on_the_next_page_with_its_header(print_page, shown_as):
    """A table taller than the room left is not pushed whole onto a new page (which left most of a page
    empty): it starts where it is and its header repeats, in Markdown or as a cell's output; a short table
    still never splits."""
    from pypdf import PdfReader

    filler = "\n\n".join(f"Paragraph {i} of the text that comes first, long enough to fill a line or two of "
                         "the printed page with words." for i in range(34))
    if shown_as == "markdown":
        body = _markdown_body(f"{filler}\n\n| Deal name | Amount long header | Third |\n|---|---|---|\n"
                              + "\n".join(f"| Deal {i:02d} | {i * 1000} | z |" for i in range(60)))
    else:
        rows = "".join(f"<tr><td>Deal {i:02d}</td><td>{i * 1000}</td><td>z</td></tr>" for i in range(60))
        body = _output_body(filler, "<table><thead><tr><th>Deal name</th><th>Amount long header</th><th>Third</th>"
                                    f"</tr></thead><tbody>{rows}</tbody></table>")
    print_page.set_content(_document(body))
    printed = print_page.pdf(format="A4", prefer_css_page_size=True)
    pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(printed)).pages]
    first = next(i for i, text in enumerate(pages) if "Deal 00" in text)
    assert "Paragraph 33" in pages[first]  # the table starts under the text, on the same page
    assert "Deal 59" not in pages[first]
    later = next(i for i, text in enumerate(pages) if "Deal 59" in text)
    assert later > first and "Amount long header" in pages[later]  # the header repeats

    short = _markdown_body(f"{filler}\n\n| Deal name | Amount |\n|---|---|\n"
                           + "\n".join(f"| Deal {i:02d} | {i} |" for i in range(12)))
    print_page.set_content(_document(short))
    pages = [" ".join(p.extract_text().split())
             for p in PdfReader(io.BytesIO(print_page.pdf(format="A4", prefer_css_page_size=True))).pages]
    assert [i for i, text in enumerate(pages) if "Deal 00" in text] == [i for i, text in enumerate(pages)
                                                                         if "Deal 11" in text]  # whole


def test_the_glossary_prints_in_two_columns_each_entry_running_on_from_its_purpose(print_page):
    from quotabook.metrics.glossary import GlossaryEntry
    from quotabook.pack.render import glossary_body

    entries = [GlossaryEntry(f"m{i}", "target_achievement", i, f"**Metric {i}** (`m{i}`): a use.\n\n- Formula: a / b\n"
                             "- Source: opportunities (amount, is_won)\n- Needs optional data: targets\n"
                             "- Cadence: week; direction: higher is better; unit: count; category: pipeline")
               for i in range(60)]
    print_page.set_content(_document("<p>x</p>", glossary=glossary_body(entries)))
    found = print_page.evaluate("""() => {
        const md = [...document.querySelectorAll('.qb-appendix .jp-RenderedMarkdown')].at(-1);  // the entries
        const entry = n => [...md.querySelectorAll('p')].find(e => e.textContent.startsWith(`Metric ${n} `));
        const [p, next] = [entry(7), entry(8)];
        return {columns: getComputedStyle(md).columnCount, size: parseFloat(getComputedStyle(md).fontSize),
                text: p.textContent, lines: p.getClientRects()[0].height / parseFloat(getComputedStyle(p).lineHeight),
                pBottom: p.getBoundingClientRect().bottom, nextTop: next.getBoundingClientRect().top};
    }""")
    assert found["columns"] == "2"  # three took as many pages (more lines wrap)
    assert 6.99 <= found["size"] * 0.75 < 7.5  # CSS px to points (7 pt): reference text, small yet legible
    assert found["text"] == "Metric 7 (m7): a use. · Formula: a / b; higher is better"  # no data columns
    assert found["lines"] < 1.5  # on the purpose's line
    assert found["nextTop"] >= found["pBottom"]  # the next entry starts on a line of its own


def test_the_glossary_heading_never_ends_a_page_alone(print_page):
    """Wherever the glossary starts, its heading prints on the page of its intro and first entries (the text
    before it is made a line longer at a time, so that the heading lands at every height of the page)."""
    from pypdf import PdfReader

    from quotabook.metrics.glossary import GlossaryEntry
    from quotabook.pack.pdf import GLOSSARY_ANCHOR, anchor_pages
    from quotabook.pack.render import glossary_body

    glossary = glossary_body([GlossaryEntry(f"m{i}", "target_achievement", i, f"**Metric {i}** (`m{i}`): a use, "
                                            "described in a sentence long enough to take two lines.\n\n"
                                            "- Formula: a / b") for i in range(40)])
    for lines in range(38, 46):  # 42: the heading and intro ended page 1 when the heading spanned the columns
        body = _markdown_body("\n\n".join(f"Line {i}." for i in range(lines)))
        print_page.set_content(_document(body, glossary=glossary))
        printed = print_page.pdf(format="A4", prefer_css_page_size=True)
        pages = [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(printed)).pages]
        heading = anchor_pages(printed)[GLOSSARY_ANCHOR] - 1
        assert "Metric 0 (m0)" in pages[heading], (lines, pages[heading][-200:])


def test_a_chart_prints_no_larger_than_its_text_is_sized_for(print_page):
    """The print CSS and ``charts.base`` agree: a wide or tall figure prints at most PRINT_WIDTH by PRINT_HEIGHT
    inches, the size :func:`~quotabook.charts.base.print_legible` raises its text for (8 points or more), its
    SVG's margin (SVG_PAD a side) besides: a 9-inch figure saved 9.2 inches wide prints its 9 at PRINT_WIDTH."""
    from quotabook.charts.base import MAX_WIDTH, PRINT_HEIGHT, PRINT_WIDTH, SVG_PAD

    def chart(width: float, height: float) -> str:
        svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}in" height="{height}in" '
               f'viewBox="0 0 {width * 72} {height * 72}"><rect width="10" height="10"/></svg>')
        return (f'<div class="jp-RenderedSVG jp-OutputArea-output"><img alt="c" '
                f'src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}"></div>')

    pad = 2 * SVG_PAD
    print_page.set_content(_document(chart(MAX_WIDTH + pad, 4.2 + pad) + chart(4.0 + pad, 12.0 + pad)
                                     + chart(5.0, 2.0)))
    sizes = print_page.evaluate("""() => [...document.querySelectorAll('img')].map(i => {
        const r = i.getBoundingClientRect(); return [r.width / 96, r.height / 96]; })""")
    wide, tall, small = sizes
    scale = wide[0] / (MAX_WIDTH + pad)
    assert MAX_WIDTH * scale == pytest.approx(PRINT_WIDTH, abs=0.01)  # the figure, without its margin
    assert wide[1] == pytest.approx((4.2 + pad) * scale, abs=0.02)
    assert PRINT_HEIGHT <= tall[1] <= PRINT_HEIGHT + pad  # the box is capped; the chart is contained in it
    assert small == pytest.approx((5.0, 2.0), abs=0.02)  # a chart that fits prints at its own size


def test_rep_cards_print_two_to_a_line_each_within_its_half_and_every_rep_kept(print_page):
    """The rep-scorecards cell shows four outputs a rep (heading, card table, deals line, chart): in print the
    cards go two to a line, the two headings level, each card's table two pairs a line inside its half of the
    page, its chart (CARD_WIDTH wide) at its own size so its text stays at 8 points; a third card starts a new
    line under the first. The card-table class comes from the notebook code that shows the cards."""
    from quotabook.charts.base import CARD_WIDTH
    from quotabook.pack.render import notebook_body
    from quotabook.rep_scorecards.tables import CARD_CLASS

    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{CARD_WIDTH * 72}pt" height="{2.7 * 72}pt" '
           f'viewBox="0 0 {CARD_WIDTH * 72} {2.7 * 72}"><rect width="10" height="10"/></svg>')
    labels = ["Closed", "Target", "Attainment", "Pipeline coverage", "Win rate", "Sales cycle (mean)",
              "Average deal size", "Activity goal attainment", "Tenure", "Commit accuracy", "Commit bias",
              "Commit band"]
    outputs = []
    for rep in ("Hannah Whitfield", "Priya Raman", "Olivia Bennett"):
        rows = "".join(f"<tr><td>{label}</td><td>{'1,773 days' if label == 'Tenure' else '$1.07M'}</td></tr>"
                       for label in labels)
        outputs += [new_output("display_data", data={"text/markdown": f"### {rep}"}),
                    new_output("display_data", data={"text/html": f'<table class="{CARD_CLASS}"><thead><tr>'
                                                     f"<th>Metric</th><th>Value</th></tr></thead><tbody>{rows}"
                                                     "</tbody></table>"}),
                    new_output("display_data", data={"text/markdown": f"Largest win: a deal of {rep}."}),
                    new_output("display_data", data={"image/svg+xml": svg}, metadata={"image/svg+xml": {"alt": rep}})]
    body = notebook_body(new_notebook(cells=[new_code_cell("show_cards(rep, cards)", outputs=outputs)]))[1]
    print_page.set_content(_document(body))
    cards = print_page.evaluate("""() => [...document.querySelectorAll('.jp-OutputArea-child')].map(c => {
        const r = c.getBoundingClientRect(), t = c.querySelector('table');
        const cells = t ? [...t.querySelectorAll('td')].map(td => td.getBoundingClientRect()) : [];
        const img = c.querySelector('img');
        return {left: r.left, right: r.right, top: r.top, rows: new Set(cells.map(x => Math.round(x.top))).size,
                cellRight: Math.max(0, ...cells.map(x => x.right)),
                imgWidth: img ? img.getBoundingClientRect().width : 0};
    })""")
    assert len(cards) == 12  # every rep kept, four outputs each
    heading = [cards[i] for i in (0, 4, 8)]
    assert heading[0]["top"] == heading[1]["top"] and heading[1]["left"] > heading[0]["right"]  # side by side
    assert heading[2]["left"] == heading[0]["left"] and heading[2]["top"] > cards[3]["top"]  # then a new line
    half = CONTENT_MM / 25.4 * 96 / 2
    for table in (cards[1], cards[5], cards[9]):
        assert table["rows"] == 6  # twelve pairs, two a line
        assert table["cellRight"] <= table["right"] + 0.5 and table["right"] - table["left"] <= half  # inside
    for chart in (cards[3], cards[7]):
        assert chart["imgWidth"] == pytest.approx(CARD_WIDTH * 96, abs=1)  # printed at its own size
