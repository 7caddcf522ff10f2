"""The what-if app's live chart (inline SVG): the finding in its title, one bar per territory up to the limit
(then those furthest short of target), target ticks only where a target is set, names masked and escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd

from quotabook.themes.territory_quota.whatif_chart import projection_svg, projection_title

NS = {"s": "http://www.w3.org/2000/svg"}


def _table(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def _svg(table: pd.DataFrame, **kwargs) -> ET.Element:
    return ET.fromstring(projection_svg(table, currency="USD", scope="East", period="2026-Q4", **kwargs))


def test_title_states_who_is_short_and_by_how_much():
    table = _table(territory=["T1", "T2", "T3"], closed=[100.0, 0, 0], projected=[500.0, 300, 0],
                   target=[500.0, 300, 100])
    assert projection_title(table, "USD", "East", "2026-Q4") == \
        "1 of 3 territories are projected short of target; T3 by $100"
    assert projection_title(table.iloc[:2], "USD", "East", "2026-Q4") == \
        "Every territory with a target is projected to reach it (2)"
    assert projection_title(table.iloc[2:], "USD", "East", "2026-Q4") == "T3 is projected $100 short of target"
    assert projection_title(table.assign(target=np.nan), "USD", "East", "2026-Q4") == \
        "East: no target is set for 2026-Q4"
    assert projection_title(table.assign(projected=0.0), "USD", "East", "2026-Q4") == \
        "All 3 territories are projected short of target; T1 by $500"


def test_one_bar_pair_per_territory_and_a_target_tick_only_where_a_target_is_set():
    table = _table(territory=["T1", "T2"], closed=[100.0, 50.0], projected=[400.0, 50.0], target=[300.0, np.nan])
    svg = _svg(table)
    bars = svg.findall("s:rect", NS)[:-2]                        # the last two are the legend's samples
    assert [b.find("s:title", NS).text for b in bars] == [
        "T1: Closed $100", "T1: projected $400", "T2: Closed $50", "T2: projected $50"]
    # Closed and the rest stack: T1's second bar starts where Closed ends and is 3× as long (300 vs 100)
    assert float(bars[1].get("x")) == float(bars[0].get("x")) + float(bars[0].get("width"))
    assert np.isclose(float(bars[1].get("width")), 3 * float(bars[0].get("width")))
    titled = [line.find("s:title", NS) for line in svg.findall("s:line", NS)]
    assert [title.text for title in titled if title is not None] == ["T1: target $300"]
    assert svg.get("aria-label") == "Every territory with a target is projected to reach it (1)"


def test_past_the_limit_the_territories_furthest_short_are_drawn_in_their_order():
    n = 40
    table = _table(territory=[f"T{i:02d}" for i in range(n)], closed=np.zeros(n), projected=np.full(n, 100.0),
                   target=100.0 + np.arange(n, dtype=float))       # T39 is furthest short, T00 reaches target
    text = projection_svg(table, currency="USD", scope="East", period="2026-Q4", limit=5)
    names = re.findall(r"<text [^>]*text-anchor='end'>([^<]*)</text>", text)
    assert names == ["T35", "T36", "T37", "T38", "T39"]
    assert "(the 5 of 40 furthest short of target)" in text
    assert "39 of 40 territories are projected short of target; T39 by $39" in text


def test_names_from_the_data_are_escaped_and_contact_details_masked():
    table = _table(territory=["<b>x</b> & ann@example.com"], closed=[1.0], projected=[2.0], target=[1.0])
    text = projection_svg(table, currency="USD", scope="East", period="2026-Q4")
    ET.fromstring(text)                                              # still well-formed XML
    assert "<b>" not in text and "&lt;b&gt;x&lt;/b&gt; &amp;" in text and "ann@example.com" not in text
