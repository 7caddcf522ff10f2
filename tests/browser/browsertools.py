"""Shared helpers of the browser tests: headless Debian chromium driven by playwright, page-problem watching,
process trees and ports.

Playwright cannot download its own browser here, so every test launches ``/usr/bin/chromium``
(:data:`quotabook.pack.pdf.CHROMIUM`, installed by ``.ci/run``) through ``executable_path``; a machine without
it skips. New browser checks: open a page with :func:`open_browser`, record problems with :func:`watch`.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from quotabook.pack.pdf import CHROMIUM, CHROMIUM_ARGS

#: The first screen every check is made against (a laptop).
SCREEN = {"width": 1400, "height": 900}


def need_chromium() -> None:
    """Skip the calling test unless Debian's chromium is installed."""
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM} (.ci/run installs it)")


@contextmanager
def open_browser() -> Iterator:
    """A headless chromium (playwright ``Browser``), closed after."""
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def watch(page, problems: list[str]) -> None:
    """Append to ``problems`` every console error, uncaught script error, failed request and HTTP error of
    ``page``."""
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"script error {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None)


def in_first_screen(locator) -> bool:
    """Whether the element starts inside the first :data:`SCREEN` of the page (scrolled to the top)."""
    box = locator.bounding_box()
    return box is not None and box["y"] < SCREEN["height"] and box["x"] < SCREEN["width"]


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port``."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0
