"""The region PDF: its document (title and contents, one section per theme, one glossary) and the browser check."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest
from packtools import CHROMIUM, assert_offline

from quotabook.errors import PackError
from quotabook.pack.pdf import GLOSSARY_ANCHOR, Section, check_browser, compose_document


def test_document_has_title_and_contents_first_then_each_theme_and_one_glossary():
    sections = [Section("00_target_achievement", "Target achievement", body="<p>82%</p>"),
                Section("02_funnel", "Funnel", failure="ValueError: no funnel data")]
    doc = compose_document(head="<style>.x{}</style>", pack_title="Quarterly sales pack", region="West",
                           period="2026-Q3", generated="2026-10-01 08:00", data="demo", sections=sections,
                           glossary="<h2>Metric glossary</h2><p>Win rate</p>")
    assert_offline(doc)
    front = doc.split('class="qb-theme"')[0]
    assert "West · 2026-Q3" in front and "2026-10-01 08:00" in front and "Quarterly sales pack" in front
    # contents: every theme and the glossary, a dash where the page is not known yet
    assert ('<a href="#theme-00_target_achievement"><span class="qb-title">Target achievement</span>'
            '<span class="qb-dots"></span><span class="qb-page">–</span></a>') in front
    assert '<span class="qb-title">Funnel <span class="qb-failed">(not available: failed)</span></span>' in front
    assert f'<a href="#{GLOSSARY_ANCHOR}"><span class="qb-title">Metric glossary</span>' in front
    assert doc.index('id="theme-00_target_achievement"') < doc.index('id="theme-02_funnel"') < doc.index(
        f'id="{GLOSSARY_ANCHOR}"')
    assert "<p>82%</p>" in doc and "ValueError: no funnel data" in doc and doc.count("<h2>Metric glossary</h2>") == 1
    assert "break-before: page" not in doc  # the themes and the glossary flow: no page left half empty


def test_contents_show_the_page_numbers_given_and_take_the_same_room_without_them():
    sections = [Section("a", "Alpha", body="<h1>Alpha</h1>"), Section("b", "Beta", body="<h1>Beta</h1>")]
    kwargs = dict(head="", pack_title="P", region="East", period="2026-Q3", generated="now", data="demo",
                  sections=sections)
    numbered = compose_document(**kwargs, pages={"theme-a": 1, "theme-b": 7})
    assert '<span class="qb-page">1</span>' in numbered and '<span class="qb-page">7</span>' in numbered
    assert "Metric glossary" not in numbered  # no glossary given: no contents line for it
    blank = compose_document(**kwargs)
    assert blank.count('<span class="qb-page">–</span>') == 2
    assert blank.replace("–", "0") == numbered.replace(">1<", ">0<").replace(">7<", ">0<")


def test_names_from_the_data_are_escaped_in_the_document():
    doc = compose_document(head="", pack_title="P", region="<b>East</b>", period="2026-Q3", generated="now",
                           data="demo", sections=[Section("x", "T", failure="<script>boom</script>")])
    assert "<b>East</b>" not in doc and "<script>boom" not in doc


def test_missing_chromium_is_a_pack_error_naming_the_apt_package(tmp_path):
    with pytest.raises(PackError, match="apt-get install chromium"):
        check_browser(str(tmp_path / "no-chromium"))


class _FakePrinter:
    """Stands in for Chromium: each print returns the document it was given (as bytes) and records how."""

    def __init__(self):
        self.calls: list[tuple[str, bool]] = []

    def render(self, document: str, *, footer: str = "", tagged: bool = True):
        from quotabook.pack.pdf import PrintResult

        self.calls.append((document, tagged))
        return document.encode(), PrintResult(0.5)


def test_contents_are_numbered_from_a_first_plain_print_then_printed_tagged(tmp_path, monkeypatch):
    import quotabook.pack.pdf as pdf

    landed = iter([{"theme-a": 1, "theme-b": 3}, {"theme-a": 1, "theme-b": 3}])
    monkeypatch.setattr(pdf, "anchor_pages", lambda printed: next(landed))
    printer = _FakePrinter()
    result = pdf.print_with_contents(printer, lambda pages: f"contents {dict(pages or {})}", tmp_path / "x.pdf")
    assert [tagged for _, tagged in printer.calls] == [False, True]
    assert printer.calls[1][0] == "contents {'theme-a': 1, 'theme-b': 3}"
    assert (tmp_path / "x.pdf").read_bytes() == printer.calls[-1][0].encode()  # the tagged, numbered print
    assert result.pages == {"theme-a": 1, "theme-b": 3} and result.seconds == 1.0


def test_a_contents_page_that_moves_the_sections_is_printed_again(tmp_path, monkeypatch):
    import quotabook.pack.pdf as pdf

    landed = iter([{"theme-a": 1}, {"theme-a": 2}, {"theme-a": 2}])
    monkeypatch.setattr(pdf, "anchor_pages", lambda printed: next(landed))
    printer = _FakePrinter()
    result = pdf.print_with_contents(printer, lambda pages: f"contents {dict(pages or {})}", tmp_path / "x.pdf")
    assert [tagged for _, tagged in printer.calls] == [False, True, True]
    assert result.pages == {"theme-a": 2} and printer.calls[-1][0] == "contents {'theme-a': 2}"


def _children_running(word: bytes) -> list[int]:
    """This process's children whose command line holds ``word`` (playwright's driver: ``.../playwright/driver``)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError):
            if int(stat.read_text().rpartition(")")[2].split()[1]) == os.getpid() and word in (
                    stat.parent / "cmdline").read_bytes():
                found.append(int(stat.parent.name))
    return found


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Chromium")
def test_a_sigterm_while_chromium_starts_leaves_no_driver_behind(monkeypatch):
    """A build stopped by SIGTERM while the printer launched Chromium (the fault test stops it as soon as Chromium is
    in its process tree) left playwright's driver running with its event loop suspended until the process exited:
    ``with`` never reached ``__exit__``. The stop reaches the build as PackTerminated, as before, and the driver is
    stopped."""
    from playwright.sync_api._generated import BrowserType

    from quotabook.pack.executors import PackTerminated, terminate_as_interrupt
    from quotabook.pack.pdf import PdfPrinter

    launch = BrowserType.launch

    def stopped_while_launching(self, *args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)  # handled at the next bytecode: inside the launch's sync call
        return launch(self, *args, **kwargs)

    monkeypatch.setattr(BrowserType, "launch", stopped_while_launching)
    with pytest.raises(PackTerminated), terminate_as_interrupt(), PdfPrinter():
        pytest.fail("the printer started despite the SIGTERM")
    deadline = time.monotonic() + 10
    while _children_running(b"playwright") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _children_running(b"playwright") == []
