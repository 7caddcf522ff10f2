"""Compare the visible text of two builds of a pack, page by page: a check that a refactor changed no page.

Each HTML page of the two pack folders (``reports/<period>/``, the same relative paths) is reduced to the text a
reader sees: scripts, styles and elements hidden with ``display: none`` dropped, one line per block, whitespace
normalised. Pages whose text differs print as a unified diff (no context lines); the exit status is 1 when any
page differs or exists on one side only, else 0.

Typical use, before and after a change (one region, HTML only, a couple of minutes each)::

    git worktree add /tmp/before <commit> && cp -r data/demo /tmp/before/data/
    (cd /tmp/before && PYTHONPATH=lib quotabook pack --regions West --period 2026-Q4 --formats html --out /tmp/a)
    PYTHONPATH=lib quotabook pack --regions West --period 2026-Q4 --formats html --out /tmp/b
    python tools/pack_text_diff.py /tmp/a/2026-Q4 /tmp/b/2026-Q4

Numbers drawn inside chart images are not text and are not compared; a chart's title and its alt text are. Two
builds always differ in the index's build time and the overview's build time and data paths: ``--ignore`` masks
what a regular expression matches on both sides (the default: those timestamps and paths) before comparing.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup

#: Elements whose content a reader never sees as text.
_INVISIBLE = ("script", "style", "noscript", "template", "head")
#: Block elements: each starts a new line of the extracted text.
_BLOCKS = ("p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "table", "pre", "section",
           "figure", "figcaption", "ul", "ol", "dt", "dd", "br", "hr", "nav", "header", "footer", "blockquote")
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
#: Marks a block boundary in the extracted text (never in a page).
_BREAK = "\x00"


def page_text(html: str) -> list[str]:
    """The visible text of one HTML page, one line per block (table cells of a row joined by " | "), each line's
    whitespace collapsed, empty lines dropped. Image alt text is kept as ``[image: alt]``."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(_INVISIBLE):
        tag.decompose()
    for tag in soup.find_all(style=_HIDDEN):
        tag.decompose()
    for tag in soup.find_all(hidden=True):
        tag.decompose()
    for img in soup.find_all("img"):
        img.replace_with(f"[image: {img.get('alt', '')}]" if img.get("alt") else "")
    for cell in soup.find_all(["td", "th"]):
        cell.insert_after(" | ")
    for tag in soup.find_all(_BLOCKS):  # a line break of the page, whatever the source's own line breaks
        tag.insert_before(_BREAK)
        tag.insert_after(_BREAK)
    lines = (re.sub(r"\s+", " ", line).strip(" |") for line in soup.get_text().split(_BREAK))
    return [line for line in lines if line]


def pages(folder: Path) -> dict[str, Path]:
    """Every HTML page under ``folder`` by its path relative to it."""
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*.html"))}


#: What every build writes afresh: its time ("2026-12-06T11:12:02+00:00") and the data files it read (the
#: overview lists their paths).
BUILD_LINES = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d)?|/\S+\.(parquet|csv|xlsx)\b"


def compare(before: Path, after: Path, out=sys.stdout, ignore: str | None = BUILD_LINES) -> int:
    """Print each page's text difference between the packs in ``before`` and ``after``, what ``ignore`` matches
    masked as "…"; the number of pages that differ (a page on one side only counts)."""
    skip = re.compile(ignore) if ignore else None

    def text(path: Path) -> list[str]:
        lines = page_text(path.read_text(encoding="utf-8"))
        return [skip.sub("…", line) for line in lines] if skip else lines

    old, new = pages(before), pages(after)
    differing = 0
    for name in sorted(old.keys() | new.keys()):
        if name not in new or name not in old:
            print(f"== {name}: only in {'before' if name in old else 'after'}", file=out)
            differing += 1
            continue
        a, b = text(old[name]), text(new[name])
        if a == b:
            print(f"== {name}: same text ({len(a)} lines)", file=out)
            continue
        differing += 1
        print(f"== {name}: differs", file=out)
        for line in difflib.unified_diff(a, b, "before", "after", n=0, lineterm=""):
            if not line.startswith(("---", "+++")):
                print(line, file=out)
    return differing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("before", type=Path, help="a pack's period folder, e.g. reports/2026-Q4 of the old build")
    parser.add_argument("after", type=Path, help="the same pack's folder of the new build")
    parser.add_argument("--ignore", default=BUILD_LINES,
                        help="regular expression of text to mask on both sides ('' for none; default: build times and "
                             "data paths)")
    args = parser.parse_args(argv)
    for folder in (args.before, args.after):
        if not folder.is_dir():
            parser.error(f"{folder} is not a folder")
    return 1 if compare(args.before, args.after, ignore=args.ignore or None) else 0


if __name__ == "__main__":
    sys.exit(main())
