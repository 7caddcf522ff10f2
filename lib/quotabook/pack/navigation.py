"""How a pack's HTML pages link to each other: a header on every page and an H1 that names scope and period.

A reader who lands on one theme's page (from an email, a bookmark, the index's alert list) must see which
region and quarter it is about without the tab title, get back to the pack index, and move to the previous
or next theme of the same region. :func:`page_navs` works that out from the plan's runs (pack order, one
region at a time) and each page is rendered with its :class:`PageNav` (:func:`quotabook.pack.render.notebook_html`).
Links are relative (``../index.html#region-<slug>``, ``<stem>.html``), so the pack folder can be moved or
zipped. Picklable: a Dask worker renders the page too.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

from ..privacy import mask

__all__ = ["PageNav", "page_navs", "scope_name", "short_title"]


@dataclass(frozen=True)
class PageNav:
    """The navigation of one page: what it is (``theme``, ``scope``, ``period``) and where its links go
    (``prev`` / ``next``: ``(title, href)`` of the neighbouring themes, None at either end)."""

    theme: str
    scope: str
    period: str
    index_href: str
    prev: tuple[str, str] | None = None
    next: tuple[str, str] | None = None

    def header_html(self) -> str:
        """The ``<nav>`` at the top of the page: back to the index, previous and next theme."""
        esc = html.escape
        links = [f'<a class="qb-index" href="{esc(self.index_href)}">↑ Pack index · {esc(self.period)}</a>']
        if self.prev:
            links.append(f'<a class="qb-prev" rel="prev" href="{esc(self.prev[1])}">← {esc(self.prev[0])}</a>')
        if self.next:
            links.append(f'<a class="qb-next" rel="next" href="{esc(self.next[1])}">{esc(self.next[0])} →</a>')
        return f'<nav class="qb-nav" aria-label="Pack navigation">{"".join(links)}</nav>'

    def heading_html(self) -> str:
        """What the page's H1 gets after the theme: the scope and the period."""
        return f'<span class="qb-scope">{html.escape(self.scope)} · {html.escape(self.period)}</span>'


def scope_name(region: str, slug: str, district: str) -> str:
    """How pages name a scope: "District (all regions)" for the district, else the region's name (masked as
    the workbook's privacy settings say, like every name a pack shows)."""
    return "District (all regions)" if slug == district else mask(region)


def short_title(title: str) -> str:
    """A theme's name for a link: its title up to the first colon ("Funnel: where deals come from" → "Funnel")."""
    return title.split(":", 1)[0].strip() or title


def page_navs(runs: Iterable, period: str, district: str) -> dict[str, PageNav]:
    """Each run's :class:`PageNav`, by run key. ``runs`` in pack order (a plan's runs); previous and next
    stay within the run's region."""
    runs = list(runs)
    out: dict[str, PageNav] = {}
    for slug in dict.fromkeys(r.slug for r in runs):
        mine = [r for r in runs if r.slug == slug]
        for i, run in enumerate(mine):
            before = mine[i - 1] if i > 0 else None
            after = mine[i + 1] if i + 1 < len(mine) else None
            out[run.key] = PageNav(
                theme=run.title, scope=scope_name(run.region, slug, district), period=period,
                index_href=f"../index.html#region-{slug}",
                prev=(short_title(before.title), before.html.name) if before else None,
                next=(short_title(after.title), after.html.name) if after else None)
    return out
