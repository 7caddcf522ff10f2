"""Degrade, never crash (issue 14): every themed notebook runs to the end on every subset of optional inputs.

A realistic export that is not the demo (:func:`quotabook.testing.crm_export`: Pipedrive stage names mapped
through the workbook stage map, 2014-2016 dates, three regions, lost deals at amount 0, open deals) is built
in these cases: without one optional table or one key optional column at a time (lead source and type, which
few pages read, in one case); with every lost deal's amount zeroed by the CRM; deals only (opportunities and
territories); and bare (deals only, with the required columns alone). For each case the report pack builds every
themed notebook as HTML, with papermill, for a past quarter (2016-Q3 of data pulled in December 2016): for the
district in every case, and for one region as well in the deals-only and bare cases.

Each scope of a case is one build shared by every check of it, and one test, so parallel test workers never
build it twice and a case of two scopes is two tests of one build's length (the longest test bounds the suite's
time on two workers). The checks: no notebook fails; no page shows a Python warning or traceback, a "nan", an "inf", a
range whose two ends are the same amount ("$0.0–$0.0") or a negative zero ("-$0"); a page that cannot show
something says what it needs ("needs table targets") and says each such sentence once; every code cell ran
and the page reaches its glossary.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from quotabook.pack import build_pack
from quotabook.pack.plan import load_pack_spec
from quotabook.testing import OPTIONAL_TABLES, Export, crm_export

pytestmark = pytest.mark.slow

PERIOD = "2016-Q3"  # over: the export was pulled on 20 December 2016
REGION = "Benelux"
#: Every themed notebook of the quarterly pack, in its order (a notebook added to the pack joins the matrix).
NOTEBOOKS = load_pack_spec("quarterly").notebooks
#: Columns of the opportunities table a loader requires; every other one is optional.
REQUIRED_DEAL_COLUMNS = ("opportunity_id", "owner", "territory", "created_date", "close_date", "stage", "amount",
                         "is_closed", "is_won")


def _no_column(*columns: str) -> Callable[[], Export]:
    """The export without ``columns``, in every table where a CRM would leave them out (deals, their history)."""
    def build() -> Export:
        export = crm_export()
        for table in ("opportunities", "opportunity_history"):
            present = [c for c in columns if c in export.tables[table]]
            if present:
                export = export.without_columns(table, *present)
        return export
    return build


def _bare() -> Export:
    """Deals and territories only, each with its required columns alone."""
    export = crm_export().without(*OPTIONAL_TABLES)
    deals = export.tables["opportunities"]
    export = export.without_columns("opportunities", *[c for c in deals if c not in REQUIRED_DEAL_COLUMNS])
    return export.without_columns("territories", "owner", "segment", "tam", "propensity", "capacity_factor")


@dataclass(frozen=True)
class Case:
    build: Callable[[], Export]
    regions: tuple[str, ...] = ("district",)


CASES: dict[str, Case] = {
    **{f"no_{table}": Case(lambda table=table: crm_export().without(table)) for table in OPTIONAL_TABLES},
    **{f"no_{column}": Case(_no_column(column)) for column in ("forecast_category", "probability", "loss_reason",
                                                                "segment")},
    # Two descriptive columns few pages read (the forecast's deal list, the expansion move): one build for both.
    "no_lead_source_or_type": Case(_no_column("lead_source", "type")),
    "lost_deals_at_zero": Case(lambda: crm_export(lost_at_zero=1.0)),
    "deals_only": Case(lambda: crm_export().without(*OPTIONAL_TABLES), regions=("district", REGION)),
    "bare": Case(_bare, regions=("district", REGION)),
}

#: Case -> notebook -> what its pages must say they need (a missing table named on the pages that read it).
_NEEDS = {
    "no_targets": {"00_target_achievement": "needs table targets", "06_won_lost": "needs table targets"},
    "no_activities": {"01_activity_ratios": "needs table activities"},
    "no_activity_goals": {"01_activity_ratios": "needs table activity_goals"},
    "no_leads": {"02_funnel": "needs table leads"},
    "no_opportunity_history": {"03_velocity": "needs table opportunity_history"},
    "no_loss_reason": {"06_won_lost": "loss_reason"},
}


# -- reading a page ----------------------------------------------------------------------------------------------
class _Text(HTMLParser):
    """The text a reader sees: HTML text outside scripts and styles, and the text of the SVG charts (embedded as
    base64 images; only their ``<text>``, not their metadata). Each heading starts a new section; tables that
    show column headings over no row at all are counted by caption."""

    SECTION = "\x00"

    def __init__(self, svg: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.empty_tables: list[str] = []
        self._svg = svg
        self._open: list[str] = []
        self._table: dict | None = None

    def handle_starttag(self, tag, attrs):
        self._open.append(tag)
        if tag in ("h1", "h2", "h3", "h4"):
            self.parts.append(self.SECTION)
        if tag in ("p", "li", "tr", "td", "th", "div", "caption", "br", "text", "tspan"):
            self.parts.append("\n")
        if tag == "table":
            self._table = {"caption": "", "th": 0, "tr": 0, "in_body": False}
        elif self._table is not None and tag == "tbody":
            self._table["in_body"] = True
        elif self._table is not None and tag == "th":
            self._table["th"] += 1
        elif self._table is not None and tag == "tr" and self._table["in_body"]:
            self._table["tr"] += 1
        src = dict(attrs).get("src") or ""
        if tag == "img" and src.startswith("data:image/svg+xml;base64,"):
            chart = _Text(svg=True)
            chart.feed(base64.b64decode(src.split(",", 1)[1]).decode("utf-8"))
            self.parts.append("\n" + chart.text + "\n")

    def handle_endtag(self, tag):
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag):]
        if tag == "table" and self._table is not None:
            if self._table["th"] and not self._table["tr"]:
                self.empty_tables.append(self._table["caption"].strip() or "(no caption)")
            self._table = None

    def handle_data(self, data):
        if any(t in ("script", "style") for t in self._open):
            return
        if self._svg and not any(t in ("text", "tspan") for t in self._open):
            return
        if self._table is not None and "caption" in self._open:
            self._table["caption"] += data
        self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"[ \t]*\n\s*", "\n", "".join(self.parts)).strip()


def read_page(html: str) -> _Text:
    reader = _Text()
    reader.feed(html)
    return reader


def page_text(html: str) -> str:
    return read_page(html).text.replace(_Text.SECTION, "")


_AMOUNT = r"[-−]?[$€£]?\d[\d.,]*\s?[KMB%]?"
#: What a reader must never see, by name.
BAD_TEXT = {
    "a Python warning": re.compile(r"\b[A-Z]\w*Warning\b|warnings\.warn"),
    "a traceback": re.compile(r"Traceback \(most recent call last\)|\b[A-Z]\w*(Error|Exception)\b"),
    "nan": re.compile(r"(?<![\w-])(nan|NaN|NaT|<NA>|None(?! of))(?![\w-])"),
    "inf": re.compile(r"(?<![\w-])[-−]?inf(inity)?(?![\w-])", re.I),
    # (within a line: table cells come one per line, and "$0", "–" (no value), "$0" in a row is not a range)
    "a range with equal ends": re.compile(rf"(?<![\w.,-])({_AMOUNT})[^\S\n]*(?:–|\bto\b)[^\S\n]*\1(?![\w.,%])"
                                          rf"|(?<![\w.,-])([-−]?[$€£]\d[\d.,]*\s?[KMB]?)[^\S\n]*-[^\S\n]*\2"
                                          rf"(?![\w.,%])"),
    "an internal name for what is missing": re.compile(r"\b[a-z]+(?:_[a-z]+)+ not available|Not available:[^.;\n]*"
                                                        r" not available:"),
    "a negative zero": re.compile(r"(?<![\w-])[-−][$€£]?0(?:\.0+)?\s?[KMB%]?(?![\d.,])"),
}
_UNAVAILABLE = re.compile(r"[^.\n]*\bnot available:[^\n]*", re.I)  # a note giving its reason


def bad_text(text: str) -> list[str]:
    """Each forbidden thing on a page, with its context: ``["nan: '... nan days ...'"]``."""
    found = []
    for what, pattern in BAD_TEXT.items():
        for match in pattern.finditer(text):
            start, end = max(match.start() - 50, 0), match.end() + 50
            found.append(f"{what}: {text[start:end]!r}")
    return found


def repeated_notes(text: str) -> list[str]:
    """"Not available" sentences a section of the page (the text under one heading) says more than once."""
    found = []
    for section in text.split(_Text.SECTION):
        lines = Counter(line.strip() for line in _UNAVAILABLE.findall(section))
        found += [f"said {n} times in one section: {line!r}" for line, n in lines.items() if n > 1]
    return found


def unfinished(ipynb: Path) -> list[str]:
    """Code cells that did not run, and output a kernel wrote to stderr."""
    nb = json.loads(ipynb.read_text(encoding="utf-8"))
    problems = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        if cell.get("execution_count") is None:
            problems.append(f"cell {index} did not run")
        problems += [f"cell {index} wrote to stderr: {''.join(o.get('text', ''))[:200]!r}"
                     for o in cell.get("outputs", ()) if o.get("name") == "stderr"]
    return problems


# -- the matrix ----------------------------------------------------------------------------------------------------
#: The tests: each case once per scope, named by the case alone where it has one scope ("no_targets") and by case
#: and scope where it has two ("bare-district", "bare-Benelux").
RUNS = [pytest.param(name, region, id=name if len(case.regions) == 1 else f"{name}-{region}")
        for name, case in CASES.items() for region in case.regions]


def build_case(name: str, case: Case, region: str, tmp: Path, monkeypatch) -> dict[tuple[str, str], Path]:
    """Write the case's export, build its pack (HTML) for ``region`` and return the pages by (region folder,
    notebook)."""
    folder = case.build().write(tmp / "data")
    monkeypatch.setenv("QUOTABOOK_WORKBOOK", str(folder / "workbook.yaml"))
    # Under pytest-xdist the test workers already fill the cores: one notebook at a time per build there.
    workers = 1 if os.environ.get("PYTEST_XDIST_WORKER") else 2
    result = build_pack(PERIOD, regions=[region], data=str(folder), formats=("html",),
                        out=tmp / "reports", progress=False, workers=workers, timeout=300)
    failures = [f"{f.region}/{f.theme} cell {f.cell_index}: {f.ename}: {f.evalue[:300]}" for f in result.failures]
    assert not failures, f"{name}: notebooks failed:\n" + "\n".join(failures)
    pages = {(path.parent.name, path.stem): path for path in sorted(result.out_dir.glob("*/*.html"))}
    assert {stem for _, stem in pages} == set(NOTEBOOKS)
    assert len(pages) == len(NOTEBOOKS)
    return pages


@pytest.mark.parametrize(("name", "region"), RUNS)
def test_every_notebook_degrades_without_crashing_or_printing_junk(name, region, tmp_path, monkeypatch):
    case = CASES[name]
    pages = build_case(f"{name} ({region})", case, region, tmp_path, monkeypatch)
    problems = []
    texts = {}
    for (folder, stem), path in pages.items():
        page = read_page(path.read_text(encoding="utf-8"))
        text = texts[folder, stem] = page.text
        where = f"{folder}/{stem}"
        problems += [f"{where}: {p}" for p in bad_text(text)]
        problems += [f"{where}: {p}" for p in repeated_notes(text)]
        problems += [f"{where}: a table with headings and no row, not saying why: {c!r}" for c in page.empty_tables]
        problems += [f"{where}: {p}" for p in unfinished(path.with_suffix(".ipynb"))]
        if "Metric glossary" not in text:
            problems.append(f"{where}: the page stops before its glossary")
    for stem, need in _NEEDS.get(name, {}).items():
        problems += [f"{folder}/{stem}: does not say it {need!r}" for folder in {f for f, _ in pages}
                     if need not in texts[folder, stem]]
    assert not problems, f"{name} ({region}): {len(problems)} problem(s):\n" + "\n".join(problems)
