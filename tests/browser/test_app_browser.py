"""``quotabook app`` for real: the CLI started as a user starts it, driven in headless chromium.

One app start for the whole story (a start costs a Voilà server and a ~280 MB kernel): it prints the address it
really serves when the port asked is taken; the page opens on the scope asked with sliders and a chart; moving a
slider updates the projection; picking another scope keeps the scenario; a page closed is culled while the open
one keeps working; SIGTERM stops Voilà and every kernel, leaving no process and no bound port.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import psutil
import pytest
from browsertools import SCREEN, in_first_screen, listening, need_chromium, open_browser, watch

from quotabook.app.server import still_running

SUMMARY = ".widget-html b"
#: Milliseconds to wait for the kernel's answer to a move: generous, CI shares two cores with other work.
WAIT = 90_000


class _Lines:
    """The app's stdout read on a thread, so a test can wait for a line without blocking forever."""

    def __init__(self, stream):
        self.lines: list[str] = []
        self._thread = threading.Thread(target=lambda: self.lines.extend(iter(stream.readline, "")), daemon=True)
        self._thread.start()

    def wait_for(self, pattern: str, proc: subprocess.Popen, seconds: float = 180) -> re.Match:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            if proc.poll() is not None and not self._thread.is_alive():
                break
            time.sleep(0.2)
        raise AssertionError(f"no line matching {pattern!r} in the app's output: {self.lines}")


def _kernels(app: psutil.Process) -> list[psutil.Process]:
    """The live kernels under the app (a kernel just shut down may linger a moment as a zombie, or be gone)."""
    def is_kernel(p: psutil.Process) -> bool:
        try:
            return p.status() != psutil.STATUS_ZOMBIE and "ipykernel" in " ".join(p.cmdline())
        except psutil.Error:
            return False

    return [p for p in app.children(recursive=True) if is_kernel(p)]


def _wait(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")


@pytest.mark.slow
def test_the_app_serves_moves_keeps_the_scenario_culls_and_stops_clean(tiny_folder, tmp_path):
    need_chromium()
    from playwright.sync_api import expect

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    asked = taken.getsockname()[1]
    log = (tmp_path / "voila.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "quotabook", "app", "--data", str(tiny_folder), "--region", "East",
         "--period", "2026-Q1", "--port", str(asked), "--cull-after", "3"],
        stdout=subprocess.PIPE, stderr=log, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    app = psutil.Process(proc.pid)
    try:
        out = _Lines(proc.stdout)
        out.wait_for(rf"port {asked} is in use; serving on port \d+ instead", proc)
        url = out.wait_for(r"the what-if for East, 2026-Q1 .* is at (http://127\.0\.0\.1:(\d+)/)", proc)
        port = int(url.group(2))
        assert port != asked and listening(port)
        taken.close()

        with open_browser() as browser:
            context = browser.new_context(viewport=SCREEN)
            context.set_default_timeout(WAIT)
            page = context.new_page()
            problems: list[str] = []
            watch(page, problems)
            page.goto(url.group(1))
            page.wait_for_selector("table.qb-whatif", timeout=120_000)
            assert page.locator(".widget-slider").count() == 5
            assert "What-if: East, 2026-Q1" in page.locator("h2").first.inner_text()
            assert "East: projected $1.7K against a target of $1.0K (170%)" in page.locator(SUMMARY).inner_text()
            chart = page.locator(".qb-whatif-chart")
            assert chart.locator("svg").count() == 1 and chart.locator("svg").is_visible()
            expect(chart).to_contain_text("Every territory with a target is projected to reach it (1)", timeout=WAIT)

            # Commit realisation (the second slider) from 100% to 0%: deal A's 1,200 no longer counts
            page.locator(".widget-slider .noUi-handle").nth(1).focus()
            page.keyboard.press("Home")
            page.wait_for_function("s => document.querySelector(s).innerText.includes('projected $500 against')",
                                   arg=SUMMARY, timeout=WAIT)
            assert "−$1.2K" in page.locator(SUMMARY).inner_text()
            # the chart is drawn just after the summary
            expect(chart).to_contain_text("T1 is projected $500 short of target", timeout=WAIT)

            # the whole district: the scenario (Commit at 0%) is kept
            page.locator(".widget-dropdown select").first.select_option(label="The district")
            page.wait_for_function("s => document.querySelector(s).innerText.includes('The district: projected')",
                                   arg=SUMMARY, timeout=WAIT)
            assert "The district: projected $500 against a target of $3.0K" in page.locator(SUMMARY).inner_text()
            assert page.locator(".widget-readout").nth(1).inner_text() == "0%"
            assert in_first_screen(page.locator(".widget-slider").first)

            # a second page starts a second kernel; once closed it is culled (idle 3 s), the open one is kept
            _wait(lambda: len(_kernels(app)) == 1, 90, "the first page's kernel")
            other = context.new_page()
            other.goto(url.group(1))
            other.wait_for_selector("table.qb-whatif", timeout=120_000)
            assert len(_kernels(app)) == 2
            other.close()
            _wait(lambda: len(_kernels(app)) == 1, 120, "the closed page's kernel to be culled")
            page.locator(".widget-slider .noUi-handle").nth(1).focus()
            page.keyboard.press("End")                        # the open page still computes: back to 100%
            page.wait_for_function("s => document.querySelector(s).innerText.includes('projected $1.7K')",
                                   arg=SUMMARY, timeout=WAIT)
            assert problems == [], "\n".join(problems)

        tree = app.children(recursive=True)
        assert len(tree) >= 2                                 # Voilà and the open page's kernel
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        out.wait_for(rf"stopped on SIGTERM: Voilà and its \d+ kernel process(?:es)? ended, port {port} freed", proc)
        assert still_running(tree) == []
        assert not listening(port)
    finally:
        taken.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
