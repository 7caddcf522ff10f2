"""One PDF per region: title and contents, every theme, one glossary, printed by Debian's Chromium.

nbconvert's ``webpdf`` exporter would start a browser per page and cannot be pointed at a system
browser, and playwright cannot download its own browser here. So playwright drives the ``chromium``
package from apt (``executable_path``), launched once per pack and reused for every region. The page is
one HTML document stitched from the notebooks' rendered bodies (see :func:`compose_document`); every
network request is blocked and counted, so a PDF can only show what is embedded.

Chromium prints the PDF's bookmarks (from the headings) and tags (a tagged PDF, images with their alt
text). It cannot number the contents itself (no CSS ``target-counter``), so :func:`print_with_contents`
prints twice: once to learn on which page each section landed (the named destinations of the contents'
links, read with pypdf), then with those numbers in the contents, which take the same room either way.
"""

from __future__ import annotations

import html
import io
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter

from ..errors import PackError
from .files import atomic_write_bytes

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "GLOSSARY_ANCHOR", "PdfPrinter", "PrintResult", "Section", "anchor_pages",
           "check_browser", "compose_document", "print_with_contents"]

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
    try:
        import pypdf  # noqa: F401
    except ImportError:
        raise PackError("PDF output needs pypdf (the contents' page numbers): `pip install pypdf`") from None


@dataclass
class Section:
    """One theme of a region's PDF: its rendered body, or the failure shown in its place."""

    stem: str
    title: str
    body: str | None = None
    failure: str | None = None

    @property
    def anchor(self) -> str:
        return f"theme-{self.stem}"


#: The anchor of the glossary appendix (its contents line and bookmark).
GLOSSARY_ANCHOR = "glossary"

_DOC_CSS = """
body { font-family: var(--jp-content-font-family, "DejaVu Sans", Arial, sans-serif); color: #1a202c; }
.qb-cover { border-bottom: 2px solid #1a365d; padding-bottom: 4mm; margin-bottom: 5mm; }
.qb-cover h1 { font-size: 22pt; margin: 0 0 1mm 0; color: #1a365d; }
.qb-cover .qb-sub { font-size: 14pt; color: #2d3748; margin-bottom: 3mm; }
.qb-cover .qb-meta { font-size: 8.5pt; color: #4a5568; }
.qb-toc h2 { font-size: 12pt; margin: 4mm 0 1.5mm 0; }
.qb-toc ol { font-size: 10pt; line-height: 1.55; margin: 0; padding-left: 6mm; }
.qb-toc li a { display: flex; color: #1a365d; text-decoration: none; }
.qb-toc li a .qb-title { flex: 0 1 auto; }
.qb-toc li a .qb-dots { flex: 1 1 auto; border-bottom: 1px dotted #a0aec0; margin: 0 2mm 1.2mm 2mm; }
.qb-toc li a .qb-page { flex: 0 0 auto; min-width: 7mm; text-align: right; font-variant-numeric: tabular-nums; }
.qb-toc .qb-failed, .qb-failure { color: #9b2c2c; }
.qb-front { break-after: avoid; }
.qb-theme h1 { border-top: 1.5px solid #1a365d; padding-top: 2.5mm; }
.qb-failure { border: 1px solid #feb2b2; background: #fff5f5; padding: 12px 16px; border-radius: 4px; }
.qb-appendix .jp-RenderedMarkdown { font-size: 7pt; line-height: 1.12; }
.qb-appendix .jp-Cell:first-child { break-after: avoid; }
.qb-appendix .jp-Cell + .jp-Cell .jp-RenderedMarkdown { column-count: 2; column-gap: 5mm; }
.qb-appendix .jp-RenderedMarkdown h2 { font-size: 9.5pt; margin: 2mm 0 0.8mm 0; break-after: avoid; }
.qb-appendix .jp-RenderedMarkdown p { margin: 0.6mm 0 0 0; }
.qb-appendix .jp-RenderedMarkdown code { font-size: 6.5pt; padding: 0 1px; }
"""


def compose_document(*, head: str, pack_title: str, region: str, period: str, generated: str, data: str,
                     sections: list[Section], glossary: str | None = None,
                     pages: Mapping[str, int] | None = None) -> str:
    """The region's printable document: a title block (region, period, generation date, data) and the
    contents on the first page, then each theme (a failed theme is marked in the contents and shown as its
    failure), one after the other with no page left half empty between them, then, flowing on the same way,
    the one glossary of the whole PDF, in two columns at 7 pt (reference text), each entry's fields running on
    from its purpose (``glossary``: a rendered body, see :func:`quotabook.pack.render.glossary_body`).

    ``pages`` maps each section's anchor (and :data:`GLOSSARY_ANCHOR`) to its page number, for the contents;
    without it the contents show a dash, taking the same room, so that printing the document again with
    the page numbers found (:func:`print_with_contents`) lays out every page the same way.
    """
    esc = html.escape
    pages = pages or {}
    entries = [(s.anchor, s.title, s.failure is not None) for s in sections]
    if glossary is not None:
        entries.append((GLOSSARY_ANCHOR, "Metric glossary", False))

    def line(anchor: str, title: str, failed: bool) -> str:
        mark = ' <span class="qb-failed">(not available: failed)</span>' if failed else ""
        number = pages.get(anchor)
        return (f'<li><a href="#{esc(anchor)}"><span class="qb-title">{esc(title)}{mark}</span>'
                f'<span class="qb-dots"></span><span class="qb-page">{number if number else "–"}</span></a></li>')

    parts = []
    for s in sections:
        content = s.body if s.failure is None else (
            f'<h1>{esc(s.title)}</h1><div class="qb-failure"><strong>This section could not be produced.</strong>'
            f"<br>{esc(s.failure)}<br>See the pack index for details.</div>")
        parts.append(f'<section class="qb-theme" id="{esc(s.anchor)}">{content}</section>')
    if glossary is not None:
        parts.append(f'<section class="qb-theme qb-appendix" id="{GLOSSARY_ANCHOR}">{glossary}</section>')
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(pack_title)} — {esc(region)} — '
        f"{esc(period)}</title>{head}<style>{_DOC_CSS}</style></head>"
        '<body class="jp-Notebook" data-jp-theme-light="true" data-jp-theme-name="JupyterLab Light"><main>'
        f'<div class="qb-front"><header class="qb-cover"><h1>{esc(pack_title)}</h1>'
        f'<div class="qb-sub">{esc(region)} · {esc(period)}</div>'
        f'<div class="qb-meta">Generated {esc(generated)} · Data: {esc(data)}</div></header>'
        f'<nav class="qb-toc" aria-label="Contents"><h2>Contents</h2><ol>'
        + "".join(line(*e) for e in entries) + "</ol></nav></div>"
        + "".join(parts) + "</main></body></html>")


def anchor_pages(pdf: bytes) -> dict[str, int]:
    """The page (from 1) each named destination of a printed PDF lands on: Chromium names one after each
    element an internal link points to (the contents' ``#theme-...`` links)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    return {str(name).lstrip("/"): reader.get_destination_page_number(dest) + 1
            for name, dest in reader.named_destinations.items()}


def print_with_contents(printer: PdfPrinter, document: Callable[[Mapping[str, int] | None], str], target: Path, *,
                        footer: str = "", attempts: int = 3) -> PrintResult:
    """Print a document whose contents list page numbers: print it once, plain (untagged: faster), to read
    where each anchor landed, then again, tagged and with those numbers in the contents (which take the same
    room either way), until the numbers printed are the numbers found (two prints, in practice; at most
    ``attempts``). Writes ``target``; ``pages`` of the result are the numbers the contents show."""
    pages: dict[str, int] | None = None
    total = 0.0
    for attempt in range(max(attempts, 2)):
        final = attempt > 0
        pdf, result = printer.render(document(pages), footer=footer, tagged=final)
        total += result.seconds
        found = anchor_pages(pdf)
        if final and found == pages:
            break
        pages = found
    atomic_write_bytes(target, pdf)
    result.seconds = round(total, 3)
    result.pages = pages or {}
    return result


@dataclass
class PrintResult:
    """One printed PDF: seconds taken, requests blocked, console errors seen."""

    seconds: float
    blocked: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    #: Page (from 1) of each section and of the glossary, as the contents show them.
    pages: dict[str, int] = field(default_factory=dict)


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

        manager = sync_playwright()
        try:
            self._playwright = manager.start()
            try:
                self._browser = self._playwright.chromium.launch(executable_path=self.executable,
                                                                 args=list(CHROMIUM_ARGS))
            except Exception as exc:
                raise PackError(f"could not start Chromium at {self.executable}: {exc}".strip()) from None
            self.version = self._browser.version
        except BaseException:
            # Also when Ctrl-C or SIGTERM (PackTerminated) lands while the driver or Chromium starts: ``with`` never
            # reaches __exit__ then, and the driver, with its dispatcher greenlet and event loop suspended, outlived
            # the stop until the process exited. Stopping the manager also ends a start cut short.
            manager.__exit__(None, None, None)
            raise
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

    def render(self, document: str, *, footer: str = "", tagged: bool = True) -> tuple[bytes, PrintResult]:
        """``document`` printed on A4 with page numbers in the footer and, when ``tagged``, bookmarks (the PDF
        outline, from the headings) and tags (a tagged PDF: headings, lists, tables and images with their
        alt text reach a screen reader): the PDF's bytes and how the print went."""
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
            footer_html = (f'<div style="font-size:9px;color:#718096;width:100%;padding:0 10mm;display:flex;'
                           f'justify-content:space-between"><span>{html.escape(footer)}</span><span>'
                           '<span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')
            pdf = page.pdf(format="A4", print_background=True, prefer_css_page_size=True, outline=tagged, tagged=tagged,
                           display_header_footer=True, header_template="<div></div>", footer_template=footer_html)
        finally:
            page.close()
        result.seconds = round(perf_counter() - start, 3)
        return pdf, result

    def print(self, document: str, target: Path, *, footer: str = "") -> PrintResult:
        """Print ``document`` to ``target`` (see :meth:`render`), written atomically."""
        pdf, result = self.render(document, footer=footer)
        atomic_write_bytes(target, pdf)
        return result
