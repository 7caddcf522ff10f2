"""The demo pack opened in headless Chromium with the network cut off (issues 4 and 9).

One build of the demo pack for one region and the district, HTML only (every notebook of the quarterly pack
for each: the regions run the same notebooks, so more of them would add minutes, not coverage), shared by the
tests below and tests/test_notebooks.py (``demo_pack`` in tests/conftest.py). Every page — each
report and the index — must open with no console error, no uncaught script error, no failed or outside
request and no broken image, and every report must show its charts.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest
from packtools import CHROMIUM, assert_offline

from quotabook.pack.plan import load_pack_spec

pytestmark = pytest.mark.xdist_group("demo_pack")  # the demo pack (tests/conftest.py), built on one worker

# Quiet offline Chromium (TOOLCHAIN.md); --no-sandbox because CI runs as root.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def demo_pack(demo_pack) -> Path:
    """The demo pack for West and the district, HTML only (tests/conftest.py: built once per run), every run ok."""
    if not CHROMIUM.is_file():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    runs = json.loads((demo_pack / "manifest.json").read_text(encoding="utf-8"))["runs"]
    failed = {key: run["failure"] for key, run in runs.items() if run["status"] != "ok"}
    assert not failed, failed
    return demo_pack


def _watch(page, current: list[str], problems: list[str]) -> None:
    """Record on ``problems``, against the page being checked (``current[0]``), every console error, uncaught
    script error, failed request and HTTP error."""
    def note(text: str) -> None:
        problems.append(f"{current[0]}: {text}")

    page.on("console", lambda m: note(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: note(f"script error {e}"))
    page.on("requestfailed", lambda r: note(f"failed {r.url} {r.failure}"))
    page.on("response", lambda r: note(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)


def _pages(pack: Path) -> list[Path]:
    return [pack / "index.html", *sorted(pack.glob("*/*.html"))]


@pytest.mark.slow
def test_the_demo_pack_has_a_page_for_every_theme_of_each_scope_and_the_index_links_them_all(demo_pack):
    manifest = json.loads((demo_pack / "manifest.json").read_text(encoding="utf-8"))
    stems = load_pack_spec("quarterly").notebooks
    slugs = [region["slug"] for region in manifest["regions"]]
    assert "district" in slugs and len(slugs) == 2  # West and the district
    expected = {f"{slug}/{stem}.html" for slug in slugs for stem in stems}
    assert {p.relative_to(demo_pack).as_posix() for p in demo_pack.glob("*/*.html")} == expected
    assert manifest["summary"] == {"runs": len(expected), "ok": len(expected), "failed": 0, "reused": 0}
    index = (demo_pack / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{page}"' in index for page in expected)


def browser_problems(root: Path, pages: list[Path]) -> list[str]:
    """Open each page (under ``root``) in headless Chromium, offline, and list what is wrong: console errors,
    uncaught script errors, failed, outside or HTTP-error requests, images that did not render, a report
    page without a chart, an ``index.html`` link to a missing file. Empty when every page is fine."""
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        context = browser.new_context(offline=True)

        def only_local(route):
            url = route.request.url
            if url.startswith(("file:", "data:")):
                route.continue_()
            else:
                problems.append(f"outside request {url}")
                route.abort()

        context.route("**/*", only_local)
        page = context.new_page()  # one tab visits every page in turn (a new tab each costs more than the visit)
        current = ["?"]
        _watch(page, current, problems)
        for page_file in pages:
            name = current[0] = page_file.relative_to(root).as_posix()
            page.goto(page_file.as_uri(), wait_until="load")
            broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                                   ".map(i => i.src.slice(0, 60))")
            problems.extend(f"{name}: image did not render: {src}" for src in broken)
            if page_file.name == "index.html":  # every link of the index leads to a file of the pack
                hrefs = page.evaluate("[...document.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))")
                missing = [h for h in hrefs if not h.startswith("#")
                           and not (page_file.parent / unquote(h.split("#")[0])).is_file()]
                problems.extend(f"{name}: link to a missing file {h}" for h in missing)
            # every themed page shows its charts (embedded images, inline SVG); the executive summary is
            # sentences, a scoreboard and moves
            elif page_file.name != "summary.html" and not page.locator(
                    'img[src^="data:image/"], .jp-RenderedSVG svg').count():
                problems.append(f"{name}: no chart")
        browser.close()
    return problems


def test_the_browser_check_catches_script_errors_outside_requests_broken_images_and_dead_links(tmp_path):
    if not CHROMIUM.is_file():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    (tmp_path / "east").mkdir()
    (tmp_path / "index.html").write_text('<html><body><a href="east/missing.html">x</a></body></html>')
    (tmp_path / "east" / "bad.html").write_text(
        '<html><body><script>console.error("boom"); undefinedFunction();</script>'
        '<img src="gone.png"><script src="https://cdn.example.com/x.js"></script></body></html>')
    problems = browser_problems(tmp_path, [tmp_path / "index.html", tmp_path / "east" / "bad.html"])
    joined = "\n".join(problems)
    assert "index.html: link to a missing file east/missing.html" in joined
    assert "east/bad.html: console error: boom" in joined
    assert "east/bad.html: script error" in joined and "undefinedFunction" in joined
    assert "outside request https://cdn.example.com/x.js" in joined
    assert "east/bad.html: image did not render" in joined and "east/bad.html: no chart" in joined


@pytest.mark.slow
def test_every_page_of_the_demo_pack_renders_offline_in_chromium(demo_pack):
    pages = _pages(demo_pack)
    for page in pages:
        assert_offline(page.read_text(encoding="utf-8"))
    assert browser_problems(demo_pack, pages) == []
