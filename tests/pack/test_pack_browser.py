"""The real themed notebooks, packed and opened in headless Chromium with the network cut off: every page renders
with no console error and no failed or outside request (issue 4's offline contract, checked in a browser)."""

from __future__ import annotations

import pytest
from packtools import CHROMIUM, assert_offline

from quotabook.cli import main

STEMS = ["00_target_achievement", "02_funnel", "06_won_lost"]


@pytest.mark.slow
def test_themed_pack_pages_render_offline_in_chromium(tmp_path):
    if not CHROMIUM.is_file():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    out = tmp_path / "reports"
    assert main(["pack", "--period", "2026-Q3", "--regions", "West", "--notebooks", ",".join(STEMS),
                 "--formats", "html", "--out", str(out), "--quiet"]) == 0
    pages = [out / "2026-Q3" / "index.html", *(out / "2026-Q3" / "west" / f"{s}.html" for s in STEMS)]
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        context = browser.new_context(offline=True)
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                      else (problems.append(f"outside request {route.request.url}"), route.abort()))
        for page_file in pages:
            assert_offline(page_file.read_text(encoding="utf-8"))
            page = context.new_page()
            page.on("console", lambda m, f=page_file: problems.append(f"{f.name}: {m.text}") if m.type == "error"
                    else None)
            page.on("requestfailed", lambda r, f=page_file: problems.append(f"{f.name}: failed {r.url}"))
            page.goto(page_file.as_uri(), wait_until="load")
            if page_file.name != "index.html":  # charts are inline SVG images, and every image decoded
                charts = page.locator('img[src^="data:image/svg+xml"], svg')
                assert charts.count() > 0, page_file.name
                broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0).length")
                assert broken == 0, f"{page_file.name}: {broken} image(s) did not render"
            page.close()
        browser.close()
    assert problems == []
