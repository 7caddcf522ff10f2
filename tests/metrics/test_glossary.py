"""The glossary as entries: what a notebook displays, what a PDF merges into its one appendix."""

from __future__ import annotations

import pytest

from quotabook.metrics.glossary import (
    GLOSSARY_MIME,
    GlossaryDisplay,
    GlossaryEntry,
    entries_from_output,
    entry_markdown,
    glossary_entries,
    glossary_markdown,
    merge_entries,
    printed,
    source_text,
)


def test_entries_are_the_metrics_used_and_what_they_are_computed_from_in_catalog_order(catalog, settings):
    entries = glossary_entries(catalog, ["win_rate", "attainment"], settings)
    names = [e.name for e in entries]
    assert set(names) == set(catalog.closure(["win_rate", "attainment"]))
    assert names == [n for n in catalog.names if n in names]  # catalog order, whatever order they were asked in
    assert [e.order for e in entries] == sorted(e.order for e in entries)
    attainment = next(e for e in entries if e.name == "attainment")
    assert attainment.theme == "target_achievement" and attainment.text.startswith("**Attainment** (`attainment`)")


def test_the_markdown_of_the_entries_is_the_catalog_glossary(catalog, settings):
    used = ["dial_count", "win_rate", "pipeline_coverage"]
    assert glossary_markdown(glossary_entries(catalog, used, settings)) == catalog.to_markdown(used, settings=settings)


def test_merging_glossaries_keeps_each_metric_once_in_catalog_order(catalog, settings):
    funnel = glossary_entries(catalog, ["win_rate"], settings)
    activity = glossary_entries(catalog, ["dial_count", "win_rate"], settings)
    merged = merge_entries([activity, funnel])
    names = [e.name for e in merged]
    assert len(names) == len(set(names)) and set(names) == set(catalog.closure(["dial_count", "win_rate"]))
    assert names == [n for n in catalog.names if n in names]
    text = glossary_markdown(merged)
    assert text.count("(`win_rate`)") == 1 and text.count("## Metric glossary") == 1
    assert "Activities count with the rep who logged them" in text  # dial_count is counted from activities


def test_a_displayed_glossary_carries_markdown_for_the_page_and_its_entries_as_data(catalog, settings):
    entries = glossary_entries(catalog, ["win_rate"], settings)
    shown = GlossaryDisplay(entries, escape=lambda text: text.replace("Win rate", "WIN RATE"))
    bundle = shown._repr_mimebundle_()
    assert "**WIN RATE** (`win_rate`)" in bundle["text/markdown"]
    assert bundle["text/plain"] == f"Metric glossary: {len(entries)} metrics"
    back = entries_from_output({"output_type": "display_data", "data": bundle})
    assert [e.name for e in back] == [e.name for e in entries]
    assert back[0].text == shown.entries[0].text  # the escaped text: the PDF shows what the page shows


def test_outputs_that_are_no_glossary_and_broken_glossary_data():
    assert entries_from_output({"output_type": "stream", "text": "x"}) is None
    assert entries_from_output({"data": {"text/markdown": "## Metric glossary"}}) is None
    with pytest.raises(ValueError, match="not a list of glossary entries"):
        entries_from_output({"data": {GLOSSARY_MIME: {"entries": [{"name": "win_rate"}]}}})


def test_entries_of_a_metric_without_benchmark_or_alert_hand_made():
    one = GlossaryEntry("x_count", "funnel", 3, "**X** (`x_count`): things.")
    two = GlossaryEntry("a_rate", "target_achievement", 9, "**A** (`a_rate`): share.")
    text = glossary_markdown(merge_entries([[one], [two, one]]))
    # themes in THEMES order (target achievement before funnel), whatever the catalog positions
    assert text.index("### Target achievement") < text.index("**A**") < text.index("### Funnel") < text.index("**X**")
    assert "Activities count" not in text


def test_sources_are_grouped_by_table_in_the_order_they_come():
    assert source_text(["opportunities.amount", "opportunities.is_won", "targets.target_amount",
                        "opportunities.close_date"]) == ("opportunities (amount, is_won, close_date); "
                                                         "targets (target_amount)")
    assert source_text(["activities"]) == "activities" and source_text([]) == "computed"


def test_a_printed_entry_keeps_the_meaning_and_drops_the_data_columns(catalog, settings):
    """The PDF's glossary (reference text on paper) leaves out the CRM columns a metric reads, the optional data
    it needs and its cadence line; its direction joins the formula; purpose, benchmark with source and alert
    with its value stay, each field running on from the purpose in one paragraph."""
    entry = entry_markdown(catalog.get("pipeline_coverage"), settings)
    assert "- Source: opportunities (amount" in entry and "- Cadence: week; direction: higher is better" in entry
    assert "- Needs optional data: targets" in entry
    shown = printed(entry)
    assert "\n" not in shown  # one paragraph
    assert "Source:" not in shown and "Cadence" not in shown and "Needs optional data" not in shown
    fields = shown.split(" · ")
    assert fields[0] == entry.splitlines()[0]  # label, name and purpose, as on the page
    assert fields[1] == "Formula: Open pipeline / Gap to target; higher is better"
    kept = [line[2:] for line in entry.splitlines()
            if line.startswith("- ") and not line.startswith(("- Source:", "- Cadence:", "- Formula:", "- Needs"))]
    assert fields[2:] == kept and any(f.startswith("Benchmark: 3–4×") for f in kept)
    assert any(f.startswith("Alert: when below 2.5× for 2 consecutive weeks") for f in kept)
    page = glossary_markdown([GlossaryEntry("win_rate", "won_lost", 0, entry_markdown(catalog.get("win_rate"),
                                                                                    settings))], for_print=True)
    assert "CSO Insights 2024, as cited" in page and "- Source:" not in page and "glossary at the foot" in page
