"""One PDF per region: a cover, a table of contents, then every theme, printed by Debian's Chromium.

nbconvert's ``webpdf`` exporter would start a browser per page and cannot be pointed at a system
browser, and playwright cannot download its own browser here. So playwright drives the ``chromium``
package from apt (``executable_path``), launched once per pack and reused for every region. The page is
one HTML document stitched from the notebooks' rendered bodies (see :func:`compose_document`); every
network request is blocked and counted, so a PDF can only show what is embedded.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from ..errors import PackError
from .files import atomic_write_bytes

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "PdfPrinter", "Section", "check_browser", "compose_document"]

CHROMIUM = os.environ.get("QUOTABOOK_CHROMIUM", "/usr/bin/chromium")
#: Flags that keep Chromium headless, sandbox-free (root in containers) and silent offline.
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run")


def check_browser(path: str = CHROMIUM) -> None:
    """Fail early, before any notebook runs, when PDFs cannot be printed.

    Raises
    ------
    PackError
        Chromium or playwright is missing; the message says how to install it.
    """
    if not Path(path).is_file():
        raise PackError(f"PDF output needs Chromium at {path}: install it with `apt-get install chromium` "
                        "(or build HTML only with --formats html)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise PackError("PDF output needs playwright: `pip install playwright` (no `playwright install`: "
                        "the system Chromium is used)") from None


@dataclass
class Section:
    """One theme of a region's PDF: its rendered body, or the failure shown in its place."""

    stem: str
    title: str
    body: str | None = None
    failure: str | None = None


_DOC_CSS = """
body { font-family: var(--jp-content-font-family, "DejaVu Sans", Arial, sans-serif); color: #1a202c; }
.qb-cover { break-after: page; padding-top: 70mm; }
.qb-cover h1 { font-size: 30px; margin: 0 0 6px 0; }
.qb-cover .qb-sub { font-size: 20px; color: #2d3748; margin-bottom: 28px; }
.qb-cover dl { display: grid; grid-template-columns: max-content auto; gap: 4px 16px; color: #4a5568; }
.qb-cover dt { font-weight: 600; }
.qb-toc { break-after: page; }
.qb-toc ol { font-size: 15px; line-height: 1.9; }
.qb-toc a { color: #1a365d; text-decoration: none; }
.qb-toc .qb-failed, .qb-failure { color: #9b2c2c; }
.qb-theme { break-before: page; }
.qb-failure { border: 1px solid #feb2b2; background: #fff5f5; padding: 12px 16px; border-radius: 4px; }
"""


def compose_document(*, head: str, pack_title: str, region: str, period: str, generated: str, data: str,
                     sections: list[Section]) -> str:
    """The region's printable document: cover (region, period, generation date, data), contents with
    links to each theme (a failed theme is marked), then each theme starting on a new page."""
    esc = html.escape
    toc = "".join(
        f'<li><a href="#theme-{esc(s.stem)}">{esc(s.title)}</a>'
        + (' <span class="qb-failed">(not available: failed)</span>' if s.failure else "") + "</li>"
        for s in sections)
    parts = []
    for s in sections:
        content = s.body if s.failure is None else (
            f'<h1>{esc(s.title)}</h1><div class="qb-failure"><strong>This section could not be produced.</strong>'
            f"<br>{esc(s.failure)}<br>See the pack index for details.</div>")
        parts.append(f'<section class="qb-theme" id="theme-{esc(s.stem)}">{content}</section>')
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(pack_title)} — {esc(region)} — '
        f"{esc(period)}</title>{head}<style>{_DOC_CSS}</style></head>"
        '<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light"><main>'
        f'<section class="qb-cover"><h1>{esc(pack_title)}</h1><div class="qb-sub">{esc(region)} · {esc(period)}</div>'
        f"<dl><dt>Region</dt><dd>{esc(region)}</dd><dt>Period</dt><dd>{esc(period)}</dd>"
        f"<dt>Generated</dt><dd>{esc(generated)}</dd><dt>Data</dt><dd>{esc(data)}</dd></dl></section>"
        f'<section class="qb-toc"><h1>Contents</h1><ol>{toc}</ol></section>'
        + "".join(parts) + "</main></body></html>")


@dataclass
class PrintResult:
    """One printed PDF: seconds taken, requests blocked, console errors seen."""

    seconds: float
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)


class PdfPrinter:
    """One headless Chromium for the whole pack; :meth:`print` turns an HTML document into a PDF file.

    Use as a context manager; the browser is launched on entry and closed on exit.
    """

    def __init__(self, executable: str = CHROMIUM):
        self.executable = executable
        self.version: str | None = None
        self._playwright = None
        self._browser = None

    def __enter__(self) -> PdfPrinter:
        check_browser(self.executable)
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(executable_path=self.executable,
                                                             args=list(CHROMIUM_ARGS))
        except Exception as exc:
            self._playwright.stop()
            raise PackError(f"could not start Chromium at {self.executable}: {exc}".strip()) from None
        self.version = self._browser.version
        return self

    def __exit__(self, *exc_info) -> None:
        """Close the browser and playwright's driver. Also after Ctrl-C or SIGTERM cut a print short, when
        playwright may refuse a clean close: the driver is stopped anyway, which ends its Chromium."""
        try:
            if self._browser is not None:
                self._browser.close()
        except Exception:  # interrupted mid-call: stopping the driver below still ends the browser
            pass
        finally:
            if self._playwright is not None:
                self._playwright.stop()

    def print(self, document: str, target: Path, *, footer: str = "") -> PrintResult:
        """Print ``document`` to ``target`` (A4, page numbers in the footer), written atomically."""
        start = perf_counter()
        result = PrintResult(0.0)
        page = self._browser.new_page()
        try:
            def block(route):  # offline by construction: nothing but the document itself loads
                result.blocked.append(route.request.url)
                route.abort()

            page.route("**/*", block)
            page.on("console", lambda msg: msg.type == "error" and result.console_errors.append(msg.text))
            page.set_content(document, wait_until="load")
            footer_html = (f'<div style="font-size:9px;color:#718096;width:100%;padding:0 14mm;display:flex;'
                           f'justify-content:space-between"><span>{html.escape(footer)}</span><span>'
                           '<span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True,
                           display_header_footer=True, header_template="<div></div>", footer_template=footer_html)
        finally:
            page.close()
        atomic_write_bytes(target, pdf)
        result.seconds = round(perf_counter() - start, 3)
        return result
