"""The what-if web app: the Voilà command, the app view in-process, and (slow) the real app in headless
Chromium driven by playwright with Debian's browser: the sliders render and moving one updates the projection."""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from quotabook.app import APP_NOTEBOOK, ENV, view, voila_command
from quotabook.pack.pdf import CHROMIUM, CHROMIUM_ARGS


def test_the_app_notebook_ships_with_the_package_and_calls_view():
    import nbformat

    nb = nbformat.read(APP_NOTEBOOK, as_version=4)
    assert [c.source for c in nb.cells if c.cell_type == "code"] == ["from quotabook.app import view\n\nview()"]


def test_voila_command_serves_the_app_on_localhost_only():
    command = voila_command(port=9123)
    assert command[1:4] == ["-m", "voila", str(APP_NOTEBOOK)]
    assert "--port=9123" in command and "--Voila.ip=127.0.0.1" in command and "--no-browser" in command
    assert "--no-browser" not in voila_command(open_browser=True)


def test_view_reads_its_options_from_the_environment_and_switches_region(tiny_folder):
    environ = {ENV["data"]: str(tiny_folder), ENV["region"]: "East", ENV["period"]: "2026-Q1"}
    app = view(environ=environ)
    heading, picker, holder = app.children
    assert "What-if: East, 2026-Q1" in heading.value
    assert [value for _, value in picker.options] == ["district", "East", "West"]
    whatif = holder.children[0]
    assert whatif.level == "territory" and whatif.scope == "East"
    assert "East: projected $1.7K against a target of $1.0K" in whatif.summary.value   # 500 won + 1,200 Commit
    picker.value = "district"
    whatif = holder.children[0]
    assert whatif.level == "region" and "The district" in heading.value
    assert "The district: projected $1.7K against a target of $3.0K" in whatif.summary.value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_server(url: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"Voilà exited with {proc.returncode}")
        try:  # any HTTP answer, even a 404, means the server listens (a GET of / would start a kernel)
            with urllib.request.urlopen(url + "api/status", timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"Voilà did not answer at {url} within {seconds:.0f}s")


@pytest.fixture
def app_server(tiny_folder, tmp_path):
    """``quotabook app``'s Voilà on a free local port over the tiny folder (East, 2026-Q1); stopped after."""
    port = _free_port()
    env = {**os.environ, ENV["data"]: str(tiny_folder), ENV["region"]: "East", ENV["period"]: "2026-Q1"}
    log = (tmp_path / "voila.log").open("w")
    proc = subprocess.Popen(voila_command(port=port), env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_server(url, proc)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.mark.slow
def test_app_in_a_real_browser_moving_a_slider_updates_the_projection(app_server):
    if not Path(CHROMIUM).is_file():
        pytest.skip(f"needs Debian's chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    summary = ".widget-html b"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=list(CHROMIUM_ARGS))
        try:
            page = browser.new_page()
            page.goto(app_server)
            page.wait_for_selector(".widget-slider", timeout=120_000)
            page.wait_for_selector("table.qb-whatif", timeout=60_000)
            assert page.locator(".widget-slider").count() == 5
            assert "East: projected $1.7K against a target of $1.0K (170%)" in page.locator(summary).inner_text()
            # Commit realisation (the second slider) from 100% to 0%: T1's 1,200 Commit no longer counts
            handle = page.locator(".widget-slider .noUi-handle").nth(1)
            handle.focus()
            page.keyboard.press("Home")
            page.wait_for_function(
                "s => document.querySelector(s).innerText.includes('projected $500 against a target of $1.0K')",
                arg=summary, timeout=30_000)
            assert "−$1.2K" in page.locator(summary).inner_text()
            assert page.locator(".widget-readout").nth(1).inner_text() == "0%"
        finally:
            browser.close()
