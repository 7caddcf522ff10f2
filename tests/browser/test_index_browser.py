"""A small real pack (one region, the scoreboard's themes and the territory-quota page, HTML only) opened in
headless chromium at 1400×900.

Written against facts that hold while the index and pages evolve: the index opens without errors, a table
naming every region of the pack starts in the first screen, every link of every page leads to a file of the
pack (and every in-page anchor to an element), and the territory-quota page says how to open the what-if for
its scope and period. Add a check: a test over ``small_pack`` (built once per module).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browsertools import SCREEN, in_first_screen, need_chromium, open_browser, watch

from quotabook.cli import main
from quotabook.pack.index import SCOREBOARD_THEMES

PERIOD = "2026-Q4"  # the quarter holding the demo's as-of date (15 Nov 2026): the pack `make pack` builds
REGION = "East"


@pytest.fixture(scope="module")
def small_pack(tmp_path_factory) -> Path:
    need_chromium()
    out = tmp_path_factory.mktemp("index") / "reports"
    notebooks = ",".join([*SCOREBOARD_THEMES, "04_territory_quota"])
    assert main(["pack", "--period", PERIOD, "--regions", REGION, "--notebooks", notebooks, "--formats", "html",
                 "--workers", "2", "--out", str(out), "--quiet"]) == 0
    return out / PERIOD


@pytest.fixture(scope="module")
def browser():
    with open_browser() as b:
        yield b


def _labels(pack: Path) -> list[str]:
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    return [r["name"] for r in manifest["regions"] if r["slug"] != "district"]


@pytest.mark.slow
def test_the_index_opens_with_a_table_of_the_regions_in_the_first_screen(small_pack, browser):
    page = browser.new_page(viewport=SCREEN)
    problems: list[str] = []
    watch(page, problems)
    page.goto((small_pack / "index.html").as_uri(), wait_until="load")
    regions = _labels(small_pack)
    assert REGION in regions
    tables = page.locator("table").filter(has=page.locator("tr", has_text=regions[0]))
    board = next((tables.nth(i) for i in range(tables.count())
                  if all(tables.nth(i).locator("tr", has_text=r).count() for r in regions)), None)
    assert board is not None, "no table names every region of the pack"
    assert in_first_screen(board), f"the region table starts below the first {SCREEN['height']} px"
    assert problems == []
    page.close()


@pytest.mark.slow
def test_every_link_of_every_page_leads_to_a_file_of_the_pack(small_pack, browser):
    page = browser.new_page(viewport=SCREEN)
    broken: list[str] = []
    pages = [small_pack / "index.html", *sorted(small_pack.glob("*/*.html"))]
    assert len(pages) > 1
    for file in pages:
        page.goto(file.as_uri(), wait_until="load")
        links = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
        ids = set(page.evaluate("[...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.name)"))
        for href in links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:  # outside the pack (none expected offline; not this test's concern)
                continue
            if not parts.path:
                if parts.fragment and unquote(parts.fragment) not in ids:
                    broken.append(f"{file.relative_to(small_pack)}: no element #{parts.fragment}")
                continue
            target = (file.parent / unquote(parts.path)).resolve()
            if not target.exists():
                broken.append(f"{file.relative_to(small_pack)}: link to a missing file {href}")
    page.close()
    assert broken == []


@pytest.mark.slow
def test_the_territory_quota_page_says_how_to_open_the_what_if_for_its_scope(small_pack, browser):
    page = browser.new_page(viewport=SCREEN)
    quota = next(small_pack.glob("*/04_territory_quota.html"))
    page.goto(quota.as_uri(), wait_until="load")
    text = page.locator("body").inner_text()
    assert f"quotabook app --region {REGION} --period {PERIOD}" in text
    page.close()
