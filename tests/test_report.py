"""The period overview: standing per territory worked by hand on the tiny folder, and an offline page."""

import re

import pytest

from quotabook import load
from quotabook.report import build_overview, period_standing


def test_standing_is_worked_by_hand(tiny_folder):
    # 2026-Q1 as of Mar 15: T1 has B won (500) and A in Commit (1,200, closing Mar 30); T2's only
    # Q1 deal, D, was lost; C closes in Q2. Targets: T1 1,000; T2 2,000.
    table = period_standing(load(tiny_folder).as_of("2026-03-15"), "2026-Q1").set_index("territory")
    assert table.loc["T1", ["Closed", "Commit", "Best Case", "Pipeline", "Target"]].tolist() == [500, 1200, 0, 0,
                                                                                                 1000]
    assert table.loc["T1", "Attainment"] == pytest.approx(0.5)
    assert table.loc["T1", "Coverage"] == pytest.approx(1.7)
    assert table.loc["T2", ["Closed", "Commit", "Target"]].tolist() == [0, 0, 2000]
    assert table.loc["T2", "Coverage"] == 0


def test_overview_is_self_contained_html(tiny_folder, tmp_path):
    path = build_overview(load(tiny_folder), "2026-Q1", tmp_path)
    html = path.read_text()
    assert path == tmp_path / "2026-Q1" / "overview.html"  # never the pack's index
    assert "<svg" in html and "Where we stand — 2026-Q1" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "no network resources"
    assert not list(tmp_path.rglob("*.tmp"))


def test_overview_shows_hostile_names_literally_and_masks_contact_details(tmp_path):
    from dataclasses import replace

    ds = load("demo")
    old = ds.territories.loc[0, "owner"]
    hostile = '<script>alert(1)</script>"><img src=x onerror=alert(1)> ann@example.com'
    territories = ds.territories.assign(owner=ds.territories["owner"].replace(old, hostile))
    opportunities = ds.opportunities.assign(owner=ds.opportunities["owner"].replace(old, hostile))
    page = build_overview(replace(ds, territories=territories, opportunities=opportunities), "2026-Q3",
                          tmp_path).read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<img src=x" not in page and "ann@example.com" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt; a***@example.com" in page


def test_overview_without_targets_leaves_target_attainment_and_coverage_blank(tiny_folder, tmp_path):
    from dataclasses import replace

    from quotabook.dataset import canonical_table

    ds = load(tiny_folder)
    ds = replace(ds, targets=canonical_table("targets", None), present=ds.present - {"targets"})
    table = period_standing(ds, "2026-Q1")
    assert table[["Target", "Attainment", "Coverage"]].isna().all().all()
    page = build_overview(ds, "2026-Q1", tmp_path).read_text(encoding="utf-8")
    assert "No targets for this period." in page and "no targets in the data" in page
    assert "cannot reach target" not in page and "inf%" not in page


def test_overview_writes_its_figures_as_every_page_does(tiny_folder, tmp_path):
    # Money, shares and multiples through the catalog's units ("$500", "$1K" for 1,200, "17%", "1.7×"), dates
    # as the pages write them; a region with no target shows "–", never "$0" or "0".
    from dataclasses import replace

    from quotabook.dataset import canonical_table

    ds = load(tiny_folder).as_of("2026-03-15")
    page = build_overview(ds, "2026-Q1", tmp_path).read_text(encoding="utf-8")
    assert "District closed $500 of a $3K target (17%)." in page  # T1 500 of 1,000; T2 0 of 2,000
    assert "as of 15 Mar 2026" in page and "period 1 Jan 2026 – 31 Mar 2026" in page
    assert re.search(r"<td[^>]*>T1</td>.*?<td[^>]*>\$500</td>.*?<td[^>]*>\$1K</td>", page, re.S)
    assert ">1.7×</td>" in page and ">50%</td>" in page  # T1's coverage and attainment
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", page.split("<h2>Data read</h2>", 1)[0])
    assert not [c for c in cells if re.fullmatch(r"[\d,.]+", c)]  # never a raw amount
    bare = replace(ds, targets=canonical_table("targets", None), present=ds.present - {"targets"})
    page = build_overview(bare, "2026-Q1", tmp_path / "bare").read_text(encoding="utf-8")
    by_region = page.split("<h2>By region</h2>", 1)[1].split("</table>", 1)[0]
    rows = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in by_region.split("</tr>")[1:] if "<td" in row]
    assert rows and all(row[-2:] == ["–", "–"] for row in rows)  # Target and Attainment blank, per region
