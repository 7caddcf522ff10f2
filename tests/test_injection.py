"""Hostile names are shown literally: HTML/JS, Markdown, LaTeX / mathtext and quotes in deal, account, rep,
territory and region names never run, never turn into markup and never break a chart, in the tables, the
Markdown narration and findings, the charts, the pack index, the HTML pages and the PDF; region names with
quotes, newlines or ``../`` cannot break the papermill parameters or write outside the pack folder.

The hostile strings live in ``tests/data/hostile/names.yaml``; :func:`write_renamed` writes the demo district
with its East region renamed by them (a folder of Parquet files).
"""

from __future__ import annotations

import html
import io
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest
import yaml

from quotabook.charts.base import literal, stacked_bars_vs_target
from quotabook.notebook import literal_names, md_literal, safe_markdown
from quotabook.pack.index import render_index
from quotabook.pack.plan import DISTRICT, make_plan

matplotlib.use("Agg")

HOSTILE = yaml.safe_load((Path(__file__).parent / "data" / "hostile" / "names.yaml").read_text(encoding="utf-8"))
DEMO = Path(__file__).resolve().parents[1] / "data" / "demo"
REGION = HOSTILE["region"]["East"]
CHROMIUM = Path("/usr/bin/chromium")
#: Every hostile string the reports may show (rep, territory, account and deal names).
NAMES = [*HOSTILE["territory"].values(), *HOSTILE["owner"], *HOSTILE["account_name"], *HOSTILE["name"]]
#: What a page's source may never hold: a script that alerts, or any tag with an ``onerror`` handler.
LIVE = re.compile(r"<script\b[^>]*>[^<]*alert\(|<[a-z]+\b[^<>]*\bonerror\s*=", re.I)
#: A quoted attribute value: text inside it (a chart's alt text naming a hostile rep) is never markup.
QUOTED_VALUE = re.compile(r"""=\s*("[^"]*"|'[^']*')""")


def live_markup(text: str):
    """The first script or handler :data:`LIVE` finds outside quoted attribute values, else None."""
    return LIVE.search(QUOTED_VALUE.sub('=""', text))


# -- the hostile dataset -----------------------------------------------------------------------------------
def renamed_tables(spec: dict) -> dict[str, pd.DataFrame]:
    """The demo tables with the East region, its territories and its reps renamed as ``spec`` says, and its
    deals' account and opportunity names taken in turn from ``spec["account_name"]`` / ``spec["name"]``."""
    tables = {p.stem: pd.read_parquet(p) for p in sorted(DEMO.glob("*.parquet"))}
    territories = tables["territories"]
    east = territories[territories["region"] == "East"]
    territory = spec.get("territory", {})
    owners = dict(zip(east["owner"], spec.get("owner", []), strict=False))
    for frame in tables.values():
        for column, mapping in (("territory", territory), ("region", spec.get("region", {})), ("owner", owners)):
            if column in frame and mapping:
                frame[column] = frame[column].replace(mapping)
    opps = tables["opportunities"]
    in_east = opps["territory"].isin(east["territory"].replace(territory))
    if names := spec.get("account_name"):
        ids = pd.Series(opps.loc[in_east, "account_id"].unique())
        given = dict(zip(ids, pd.Series(names).iloc[ids.index % len(names)], strict=True))
        opps["account_name"] = opps["account_id"].map(given).fillna(opps["account_name"])
    if names := spec.get("name"):
        turn = (in_east.cumsum() - 1)[in_east] % len(names)
        opps.loc[in_east, "name"] = pd.Series(names).iloc[turn.to_numpy()].to_numpy()
    return tables


def write_renamed(folder: Path, spec: dict) -> Path:
    """:func:`renamed_tables` written as a folder of Parquet files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in renamed_tables(spec).items():
        frame.to_parquet(folder / f"{name}.parquet")
    return folder


# -- reading pages ------------------------------------------------------------------------------------------
class Page(HTMLParser):
    """A page as the browser builds it: its elements (tag, attributes, script text) and its visible text."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._tags: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._tags.append(tag)

    def handle_endtag(self, tag):
        if self._tags and self._tags[-1] == tag:
            self._tags.pop()

    def handle_data(self, data):
        (self.scripts if self._tags and self._tags[-1] == "script" else self.text).append(data)

    @property
    def visible(self) -> str:
        return squeeze("".join(self.text))


def squeeze(text: str) -> str:
    """Text without whitespace (pages and PDFs wrap long names anywhere)."""
    return re.sub(r"\s+", "", text)


def planted(page: Page) -> list[str]:
    """Elements or handlers on ``page`` that came from the data: a script that alerts, an ``on*`` handler,
    an ``<img src=x>``, a link to ``http://x``."""
    found = [s for s in page.scripts if "alert(" in s]
    for tag, attrs in page.elements:
        found += [f"<{tag} {k}=...>" for k in attrs if k.startswith("on")]
        if (tag == "img" and attrs.get("src") == "x") or (tag == "a" and attrs.get("href") == "http://x"):
            found.append(f"<{tag} {attrs}>")
    return found


def markdown_page(text: str) -> Page:
    """Markdown rendered as nbconvert renders a notebook's Markdown output, then parsed."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    return Page(markdown2html_mistune(text))


# -- Markdown: narration and findings ------------------------------------------------------------------------
def test_markdown_shows_every_hostile_name_as_typed():
    ds = SimpleNamespace(opportunities=pd.DataFrame({"name": NAMES, "amount": range(len(NAMES))}))
    names = literal_names(ds)
    for name in NAMES:
        text = f"**Top deal**: {name} closed \\$10K on time."
        page = markdown_page(safe_markdown(text, names=names))
        assert planted(page) == []
        assert {tag for tag, _ in page.elements} == {"p", "strong"}, name  # only our own bold
        assert squeeze(f"Top deal: {name} closed $10K on time.") == page.visible


def test_markdown_escapes_html_and_line_breaks_even_for_names_it_does_not_know():
    page = markdown_page(safe_markdown('- Deal <script>alert(1)</script> & "><img src=x onerror=alert(2)>'))
    assert planted(page) == [] and "img" not in {t for t, _ in page.elements}
    assert squeeze('Deal <script>alert(1)</script> & "><img src=x onerror=alert(2)>') in page.visible
    assert md_literal("two\nlines # not a heading") == r"two lines \# not a heading"


def test_findings_sentences_name_hostile_groups_literally():
    """A real findings sentence over hostile territory names, through the report's Markdown."""
    from quotabook.text import names as _names

    ds = SimpleNamespace(territories=pd.DataFrame({"territory": list(HOSTILE["territory"].values())}))
    sentence = f"Reps reached goal in {_names(list(HOSTILE['territory'].values()), limit=5)}."
    page = markdown_page(safe_markdown(sentence, names=literal_names(ds)))
    assert planted(page) == [] and {t for t, _ in page.elements} == {"p"}
    assert all(squeeze(name) in page.visible for name in HOSTILE["territory"].values())


# -- tables ----------------------------------------------------------------------------------------------------
def test_tables_escape_cells_row_and_column_labels_and_caption():
    from quotabook.notebook import Report
    from quotabook.settings import load_settings

    report = Report(ds=SimpleNamespace(settings=load_settings(), currency="USD"), period=None, region="East",
                 catalog=None)
    frame = pd.DataFrame({"Rep <b>": HOSTILE["owner"][:4], "Deal": HOSTILE["name"], "amount": [1.0, 2.0, 3.0, 4.0]},
                         index=pd.Index(HOSTILE["account_name"], name="<i>account</i>"))
    page = Page(report.table(frame, index=True, caption="Top <script>alert(9)</script>").to_html())
    assert planted(page) == []
    assert not {"b", "i", "script"} & {t for t, _ in page.elements}
    for text in [*HOSTILE["owner"][:4], *HOSTILE["name"], *HOSTILE["account_name"], "Rep <b>",
                 "<i>account</i>", "Top <script>alert(9)</script>"]:
        assert squeeze(text) in page.visible, text


# -- charts ------------------------------------------------------------------------------------------------------
def test_charts_print_mathtext_and_latex_as_typed():
    table = pd.DataFrame({"territory": NAMES[:6], "Closed": range(1, 7), "Commit": 1.0, "Target": 5.0})
    fig = stacked_bars_vs_target(table, label="territory", categories=["Closed", "Commit"], target="Target",
                                 currency="USD", title=f"{NAMES[3]} leads", subtitle="$$ and \\frac{1}{2}")
    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg")  # mathtext would raise here on "$$" or "$x^2$ ... $$"
    svg = html.unescape(buffer.getvalue())
    for name in [*NAMES[:6], "$$ and \\frac{1}{2}"]:
        assert name in svg, name
    assert fig.axes[0].xaxis.get_major_formatter()(150_000, 0) == "$150K"  # money axes are untouched
    assert literal("from $1M to $2M") == r"from \$1M to \$2M" and literal("$150K") == "$150K"


# -- pack index ----------------------------------------------------------------------------------------------------
def test_index_page_shows_hostile_region_headlines_and_alerts_as_text():
    entry = {"region": REGION, "slug": "east", "title": "Won <b>lost</b>", "status": "failed", "log": None,
             "failure": {"cell_index": 3, "ename": "ValueError", "evalue": NAMES[1], "html_anchor": "a\"><x"},
             "outputs": {"html": "east/06.html"}, "alerts": [{"message": NAMES[0], "level": "<b>x</b>"}],
             "headlines": {NAMES[2]: NAMES[3]}}
    manifest = {"parameters": {"data": "<script>alert(0)</script>", "as_of": None}, "generated_at": "now",
                "title": "<i>Pack</i>", "period": "2026-Q3", "summary": {"runs": 1, "failed": 1},
                "runs": {"east/06": entry}, "regions": [{"name": REGION, "slug": "east", "pdf_status": "ok",
                                                          "pdf": "east/x.pdf"}]}
    page = Page(render_index(manifest))
    assert planted(page) == [] and not {"script", "b", "i", "x"} & {t for t, _ in page.elements}
    for text in [REGION, NAMES[0], NAMES[1], NAMES[2], NAMES[3], "<script>alert(0)</script>", "Won <b>lost</b>"]:
        assert squeeze(text) in page.visible, text


# -- region names: parameters and paths ----------------------------------------------------------------------------
ODD_REGIONS = [REGION, "../../../etc", "..", "West\"; import os; os.system('echo pwned') #", "a\\b\r\nc",
               "Nord/Süd", "'''", '"""', "\x00null"]


def test_odd_region_names_stay_inside_the_pack_and_reach_the_notebook_unchanged(tmp_path, monkeypatch):
    from papermill.translators import translate_parameters

    import quotabook.pack.plan as plan_module

    monkeypatch.setattr(plan_module, "data_regions", lambda _data: ODD_REGIONS)
    out = tmp_path / "reports"
    plan = make_plan("2026-Q3", regions=ODD_REGIONS, notebooks=["00_target_achievement"], data="demo", out=out)
    assert sorted(r.region for r in plan.runs) == sorted(ODD_REGIONS)
    root = (out / "2026-Q3").resolve()
    for run in plan.runs:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", run.slug) and run.slug != DISTRICT
        for path in (run.ipynb, run.html, plan.pdf_path(run.slug)):
            assert path.resolve().is_relative_to(root) and path.parent.name == run.slug
        code = translate_parameters("python", "python", run.parameters, "Injected parameters")
        namespace: dict = {}
        exec(code, namespace)  # the cell papermill injects, run as the kernel runs it
        assert namespace["region"] == run.region
        assert {k: namespace[k] for k in run.parameters} == run.parameters
    assert len({r.slug for r in plan.runs}) == len(ODD_REGIONS)


# -- end to end: a pack of the hostile region -------------------------------------------------------------------
@pytest.mark.slow
def test_a_pack_of_hostile_names_shows_them_literally_in_html_pdf_and_index(tmp_path):
    from quotabook.cli import main

    data = write_renamed(tmp_path / "data", HOSTILE)
    formats = "html,pdf" if CHROMIUM.is_file() else "html"
    out = tmp_path / "reports"
    code = main(["pack", "--period", "2026-Q3", "--data", str(data), "--out", str(out), "--regions", REGION,
                 "--notebooks", "00_target_achievement,06_won_lost", "--as-of", "2026-08-14",  # mid-quarter: the
                 "--workers", "1", "--quiet", "--formats", formats])  # moves tables list deals by name
    pack = out / "2026-Q3"
    (folder,) = [p for p in pack.iterdir() if p.is_dir() and p.name != "logs"]
    assert code == 0, (pack / "manifest.json").read_text(encoding="utf-8")
    assert re.fullmatch(r"[a-z0-9-]+", folder.name)
    written = {p.resolve() for p in tmp_path.rglob("*") if p.is_file()}
    history = (out / "index.html").resolve()  # the reports folder's list of packs, beside the pack
    assert all(p.is_relative_to(pack.resolve()) or p.is_relative_to(data.resolve()) or p == history for p in written)

    pages = {p.name: p.read_text(encoding="utf-8") for p in [pack / "index.html", *folder.glob("*.html")]}
    shown = ""
    for name, text in pages.items():
        page = Page(text)
        assert planted(page) == [], name
        assert not live_markup(text), (name, live_markup(text))
        shown += page.visible
    assert squeeze(REGION) in Page(pages["index.html"]).visible
    for name in [REGION, *HOSTILE["territory"].values(), *HOSTILE["owner"], *HOSTILE["name"]]:
        assert squeeze(name) in shown, name
    executed = "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.ipynb"))
    assert "ParseException" not in executed and "mathtext" not in executed
    assert '"output_type": "error"' not in executed

    if CHROMIUM.is_file():
        (pdf,) = folder.glob("*.pdf")
        text = squeeze(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                      check=True).stdout)
        for name in [*HOSTILE["territory"].values(), *HOSTILE["owner"], *HOSTILE["name"]]:
            assert squeeze(name) in text, name
        _assert_no_dialog_in_chromium([pack / "index.html", *folder.glob("*.html")])


def _assert_no_dialog_in_chromium(pages: list[Path]) -> None:
    """Open each page in headless Chromium, offline: no alert, confirm or prompt dialog ever opens."""
    from playwright.sync_api import sync_playwright

    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(offline=True)
        for file in pages:
            page = context.new_page()
            page.on("dialog", lambda d, f=file: (dialogs.append(f"{f.name}: {d.message}"), d.dismiss()))
            page.goto(file.as_uri(), wait_until="load")
            page.wait_for_timeout(200)  # let any timer or image error handler fire
            page.close()
        browser.close()
    assert dialogs == []


def test_the_page_checks_catch_a_live_script_and_handler(tmp_path):
    """The checks above are not vacuous: the same hostile names, unescaped, are caught by each of them."""
    raw = f"<p>{NAMES[0]} {NAMES[1]} [link](http://x)</p><a href='http://x'>x</a>"
    assert len(planted(Page(raw))) == 4 and LIVE.search(raw) and live_markup(raw)
    if not CHROMIUM.is_file():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    page = tmp_path / "live.html"
    page.write_text(raw, encoding="utf-8")
    with pytest.raises(AssertionError, match=r"live.html: 1"):
        _assert_no_dialog_in_chromium([page])


def test_code_spans_print_verbatim_while_the_prose_around_them_is_escaped():
    from quotabook.notebook import safe_markdown

    names = re.compile("meeting_booked|<b>x</b>")
    text = "**Booked** (`meeting_booked_count`): meeting_booked by <b>x</b> for $5, `ann@example.com`"
    assert safe_markdown(text, None, names) == (
        "**Booked** (`meeting_booked_count`): meeting\\_booked by &lt;b&gt;x&lt;/b&gt; for \\$5, `a***@example.com`")


# -- bare URLs never become live links (issue 15) --------------------------------------------------------------
URLS = ["https://evil.example/login", "http://evil.example", "www.evil.example/login", "ftp://files.evil.example/x",
        "Acme (see https://evil.example/login?a=1&b=2)"]


@pytest.mark.parametrize("name", URLS)
def test_a_bare_url_in_a_name_prints_as_typed_and_never_becomes_a_link(name):
    ds = SimpleNamespace(opportunities=pd.DataFrame({"name": [name, "Plain"], "amount": [1, 2]}))
    for names in (literal_names(ds), None):  # known to the report, or text it has never seen
        page = markdown_page(safe_markdown(f"**Top deal**: {name} won.", names=names))
        assert {tag for tag, _ in page.elements} == {"p", "strong"}, page.elements  # no <a>
        assert squeeze(f"Top deal: {name} won.") == page.visible


def test_a_bare_url_in_a_finding_is_no_link_in_the_rendered_page():
    import nbformat

    from quotabook.pack.render import notebook_html

    text = safe_markdown("- Biggest loss: https://evil.example/login (Acme www.evil.example)")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("", outputs=[nbformat.v4.new_output(
        "display_data", data={"text/markdown": text})])])
    page = notebook_html(nb)
    assert "evil.example" in page and not re.search(r"<a\b[^>]*evil", page)
    assert "https://evil.example/login" in html.unescape(re.sub(r"<[^>]+>", "", page))


def test_a_packs_notebooks_share_the_names_pattern_of_their_scope(tmp_path, monkeypatch):
    """In a pack (a cache folder set), the pattern of names to show literally is found once per scope and read
    back by the scope's other notebooks: the same pattern a fresh search gives, never another scope's or
    another privacy policy's."""
    from quotabook import privacy
    from quotabook.metrics import cache as metric_cache
    from quotabook.notebook import start

    data = write_renamed(tmp_path / "data", HOSTILE)
    monkeypatch.setenv("QUOTABOOK_CACHE_DIR", str(tmp_path / "cache"))
    import quotabook.notebook

    searched = []
    monkeypatch.setattr(quotabook.notebook, "literal_names",
                        lambda ds, policy=None: searched.append(ds) or literal_names(ds, policy))
    first, second = (start(REGION, "2026-Q3", None, str(data)) for _ in range(2))
    assert first._literal_names.pattern == literal_names(first.ds).pattern
    kept = list((tmp_path / "cache" / metric_cache.RESULTS).glob("literal_names-*.pickle"))
    assert len(kept) == 1
    assert second._literal_names.pattern == first._literal_names.pattern
    assert searched == [first.ds]  # the second notebook read it back
    assert all(re.search(second._literal_names, name) for name in HOSTILE["territory"].values()
               if re.search(r"[<>*_`\[\]#&|\\]", name))
    district = start("district", "2026-Q3", None, str(data))
    assert district._literal_names.pattern == literal_names(district.ds).pattern
    monkeypatch.setattr(type(district), "privacy", property(lambda _r: privacy.Privacy(False, False)))
    unmasked = start(REGION, "2026-Q3", None, str(data))
    assert unmasked._literal_names.pattern == literal_names(unmasked.ds, privacy.Privacy(False, False)).pattern
    assert len(list((tmp_path / "cache" / metric_cache.RESULTS).glob("literal_names-*.pickle"))) == 3
