"""The region PDF: its document (cover, contents, one section per theme) and the browser check."""

from __future__ import annotations

import pytest
from packtools import assert_offline

from quotabook.errors import PackError
from quotabook.pack.pdf import Section, check_browser, compose_document


def test_document_has_cover_contents_and_each_theme_on_its_own_page():
    doc = compose_document(head="<style>.x{}</style>", pack_title="Quarterly sales pack", region="West",
                           period="2026-Q3", generated="2026-10-01 08:00", data="demo",
                           sections=[Section("00_target_achievement", "Target achievement", body="<p>82%</p>"),
                                     Section("02_funnel", "Funnel", failure="ValueError: no funnel data")])
    assert_offline(doc)
    cover = doc.split('class="qb-toc"')[0]
    assert "West · 2026-Q3" in cover and "2026-10-01 08:00" in cover and "Quarterly sales pack" in cover
    assert '<a href="#theme-00_target_achievement">Target achievement</a>' in doc
    assert '<a href="#theme-02_funnel">Funnel</a> <span class="qb-failed">(not available: failed)</span>' in doc
    assert doc.index('id="theme-00_target_achievement"') < doc.index('id="theme-02_funnel"')
    assert "<p>82%</p>" in doc and "ValueError: no funnel data" in doc
    assert ".qb-theme { break-before: page; }" in doc


def test_names_from_the_data_are_escaped_in_the_document():
    doc = compose_document(head="", pack_title="P", region="<b>East</b>", period="2026-Q3", generated="now",
                           data="demo", sections=[Section("x", "T", failure="<script>boom</script>")])
    assert "<b>East</b>" not in doc and "<script>boom" not in doc


def test_missing_chromium_is_a_pack_error_naming_the_apt_package(tmp_path):
    with pytest.raises(PackError, match="apt-get install chromium"):
        check_browser(str(tmp_path / "no-chromium"))
