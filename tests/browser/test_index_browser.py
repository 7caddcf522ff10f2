"""A small real pack (one region, the scoreboard's notebooks and the territory-quota page, HTML only) opened in
headless chromium at 1400×900.

Written against facts that hold while the index and pages evolve: the index opens without errors, a table
naming every region of the pack starts in the first screen, every link of every page leads to a file of the
pack (and every in-page anchor to an element), and the territory-quota page says how to open the what-if for
its scope and period.

One test runs every check over one build, whatever the number of pytest-xdist workers (a module fixture is
built again on each worker that runs one of the module's tests). To add a check, write a function
``(pack, browser) -> list of problems`` and append it to :data:`CHECKS`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from browsertools import SCREEN, in_first_screen, need_chromium, open_browser, watch

from quotabook.cli import main
from quotabook.pack.index import SCOREBOARD_NOTEBOOKS

PERIOD = "2026-Q4"  # the quarter holding the demo's as-of date (15 Nov 2026): the pack `make pack` builds
REGION = "East"


def build_small_pack(out: Path) -> Path:
    """The demo pack for :data:`REGION` only, the scoreboard's notebooks and the territory-quota page, HTML only."""
    notebooks = ",".join([*SCOREBOARD_NOTEBOOKS, "04_territory_quota"])
    assert main(["pack", "--period", PERIOD, "--regions", REGION, "--notebooks", notebooks, "--formats", "html",
                 "--workers", "2", "--out", str(out), "--quiet"]) == 0
    return out / PERIOD


def index_shows_a_table_of_the_regions_in_the_first_screen(pack: Path, browser) -> list[str]:
    page = browser.new_page(viewport=SCREEN)
    problems: list[str] = []
    watch(page, problems)
    page.goto((pack / "index.html").as_uri(), wait_until="load")
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    regions = [r["name"] for r in manifest["regions"] if r["slug"] != "district"]
    tables = page.locator("table")
    board = next((tables.nth(i) for i in range(tables.count())
                  if all(tables.nth(i).locator("tr", has_text=r).count() for r in regions)), None)
    if not regions or board is None:
        problems.append(f"no table names every region of the pack ({', '.join(regions) or 'none'})")
    elif not in_first_screen(board):
        problems.append(f"the table of the regions starts below the first {SCREEN['height']} px")
    page.close()
    return [f"index.html: {p}" for p in problems]


def every_link_leads_to_a_file_of_the_pack(pack: Path, browser) -> list[str]:
    page = browser.new_page(viewport=SCREEN)
    broken: list[str] = []
    pages = [pack / "index.html", *sorted(pack.glob("*/*.html"))]
    if len(pages) < 2:
        broken.append(f"the pack has no page besides its index: {pages}")
    for file in pages:
        name = file.relative_to(pack).as_posix()
        page.goto(file.as_uri(), wait_until="load")
        links = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
        ids = set(page.evaluate("[...document.querySelectorAll('[id], a[name]')].map(e => e.id || e.name)"))
        for href in links:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:  # outside the pack: the offline checks (tests/pack) own those
                continue
            if not parts.path:
                if parts.fragment and unquote(parts.fragment) not in ids:
                    broken.append(f"{name}: no element #{parts.fragment}")
            elif not (file.parent / unquote(parts.path)).exists():
                broken.append(f"{name}: link to a missing file {href}")
    page.close()
    return broken


def territory_quota_page_gives_the_app_command(pack: Path, browser) -> list[str]:
    page = browser.new_page(viewport=SCREEN)
    quota = next(pack.glob("*/04_territory_quota.html"))
    page.goto(quota.as_uri(), wait_until="load")
    text = page.locator("body").inner_text()
    page.close()
    command = f"quotabook app --region {REGION} --period {PERIOD}"
    return [] if command in text else [f"{quota.relative_to(pack)}: no `{command}`"]


#: Every check of the small pack: ``(pack folder, playwright Browser) -> problems`` (empty when fine).
CHECKS: list[Callable[[Path, object], list[str]]] = [
    index_shows_a_table_of_the_regions_in_the_first_screen,
    every_link_leads_to_a_file_of_the_pack,
    territory_quota_page_gives_the_app_command,
]


@pytest.mark.slow
def test_a_small_pack_in_a_real_browser(tmp_path):
    need_chromium()
    pack = build_small_pack(tmp_path / "reports")
    with open_browser() as browser:
        problems = {check.__name__: check(pack, browser) for check in CHECKS}
    assert {name: found for name, found in problems.items() if found} == {}


@pytest.mark.slow
def test_the_checks_catch_a_missing_table_a_low_table_dead_links_and_a_missing_command(tmp_path):
    """The checks above over a hand-written broken pack: each finds its problem (no pack build needed)."""
    need_chromium()
    (tmp_path / "east").mkdir()
    (tmp_path / "manifest.json").write_text(json.dumps({"regions": [{"name": "East", "slug": "east"},
                                                                    {"name": "West", "slug": "west"}]}))
    (tmp_path / "index.html").write_text(
        '<html><body><div style="height:2000px"></div><table><tr><td>East</td></tr><tr><td>West</td></tr></table>'
        '<a href="east/gone.html">x</a> <a href="#nowhere">y</a></body></html>')
    (tmp_path / "east" / "04_territory_quota.html").write_text('<html><body><a href="../index.html">i</a></body>')
    with open_browser() as browser:
        low = index_shows_a_table_of_the_regions_in_the_first_screen(tmp_path, browser)
        links = every_link_leads_to_a_file_of_the_pack(tmp_path, browser)
        command = territory_quota_page_gives_the_app_command(tmp_path, browser)
        (tmp_path / "index.html").write_text("<html><body><table><tr><td>East</td></tr></table></body></html>")
        missing = index_shows_a_table_of_the_regions_in_the_first_screen(tmp_path, browser)
    assert low == ["index.html: the table of the regions starts below the first 900 px"]
    assert links == ["index.html: link to a missing file east/gone.html", "index.html: no element #nowhere"]
    assert command == [f"east/04_territory_quota.html: no `quotabook app --region East --period {PERIOD}`"]
    assert missing == ["index.html: no table names every region of the pack (East, West)"]
