"""Page navigation: every page's header links to the index and to the previous and next theme of its region."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from quotabook.pack.navigation import page_navs, short_title


def _run(slug: str, region: str, stem: str, title: str):
    return SimpleNamespace(slug=slug, region=region, stem=stem, title=title, key=f"{slug}/{stem}",
                           html=Path("/pack") / slug / f"{stem}.html")


def test_previous_and_next_stay_within_the_region_in_pack_order():
    runs = [_run("east", "East", "00_target", "Target achievement"),
            _run("east", "East", "02_funnel", "Funnel: where deals come from, where they leak"),
            _run("east", "East", "03_velocity", "Velocity"),
            _run("district", "district", "00_target", "Target achievement")]
    navs = page_navs(runs, "2026-Q3", "district")
    first, middle, last = navs["east/00_target"], navs["east/02_funnel"], navs["east/03_velocity"]
    assert first.prev is None and first.next == ("Funnel", "02_funnel.html")
    assert middle.prev == ("Target achievement", "00_target.html") and middle.next == ("Velocity", "03_velocity.html")
    assert last.next is None
    assert middle.index_href == "../index.html#region-east" and middle.scope == "East"
    assert middle.theme == "Funnel: where deals come from, where they leak"  # the H1 keeps the whole title
    alone = navs["district/00_target"]
    assert alone.prev is None and alone.next is None and alone.scope == "District (all regions)"


def test_names_are_escaped_in_the_header_and_the_heading():
    (nav,) = page_navs([_run("r", "<b>East</b>", "00_x", "X")], "2026-Q3", "district").values()
    assert "<b>" not in nav.header_html() + nav.heading_html()
    assert "&lt;b&gt;East&lt;/b&gt; · 2026-Q3" in nav.heading_html()


def test_a_link_names_a_theme_by_its_title_up_to_the_colon():
    assert short_title("Funnel: where deals come from") == "Funnel"
    assert short_title("Won / lost") == "Won / lost"
    assert short_title(": odd") == ": odd"
