"""The metric catalog: the shipped catalog is valid and complete, and every rule reports its problem with the
metric, the field and the YAML line. Each rule test appends one inline entry to a small valid catalog."""

from __future__ import annotations

import dataclasses
import pickle
import textwrap

import pytest

from quotabook.errors import CatalogError, CatalogIssue
from quotabook.metrics import Catalog, Metric, load_catalog, validate
from quotabook.metrics.catalog import CATALOG_FILE, THEMES, Alert, Benchmark, format_value

# Two valid simple metrics; each rule test appends an entry after them, so its first line is BASE_LINES + 1.
BASE = textwrap.dedent("""\
    - name: won_total
      label: Won total
      theme: won_lost
      type: simple
      purpose: Value won.
      formula: Sum of amount over won deals.
      source: [opportunities.amount, opportunities.is_won]
      cadence: month
      category: outcome
      direction: higher
      unit: currency
    - name: deals_won
      label: Deals won
      theme: won_lost
      type: simple
      purpose: Deals won.
      formula: Count of won deals.
      source: [opportunities.opportunity_id, opportunities.is_won]
      cadence: month
      category: outcome
      direction: higher
      unit: count
""")
BASE_LINES = BASE.count("\n")


def issues_of(extra: str, settings) -> list[CatalogIssue]:
    """The issues validation reports for BASE plus ``extra`` (an inline YAML entry)."""
    with pytest.raises(CatalogError) as info:
        validate(BASE + textwrap.dedent(extra), settings)
    return info.value.issues


def only_issue(extra: str, settings) -> CatalogIssue:
    issues = issues_of(extra, settings)
    assert len(issues) == 1, [str(i) for i in issues]
    return issues[0]


# --- the shipped catalog -------------------------------------------------------------------------------------

def test_shipped_catalog_validates(catalog, settings):
    assert len(catalog) > 50
    assert catalog.source == str(CATALOG_FILE.resolve())
    validate(CATALOG_FILE.read_text(encoding="utf-8"), settings)


def test_every_theme_of_the_product_spec_has_metrics(catalog):
    for theme in THEMES:
        assert catalog.by_theme(theme), theme


@pytest.mark.parametrize("name", [
    "closed_amount", "commit_amount", "best_case_amount", "pipeline_amount", "total_amount", "target_amount",
    "attainment", "forecast_attainment", "gap", "coverage", "coverage_of_remaining", "commit_share",
    "pipeline_coverage", "required_new_pipeline", "deal_count", "average_selling_price", "top_deal_share",
    "activity_count", "dial_to_connect", "connect_to_meeting", "meeting_to_opportunity", "dial_to_opportunity",
    "opportunity_to_deal", "dial_to_deal", "activity_goal_attainment", "lead_to_sal", "sal_to_sql",
    "sql_to_opportunity", "opportunity_to_proposal", "proposal_to_won", "win_rate", "time_in_stage_days",
    "sales_cycle_days", "median_sales_cycle_days", "sales_velocity", "pipeline_aging_share",
    "stale_deal_count", "close_date_push_count", "slipped_amount", "quota", "weighted_opportunity",
    "fairness_variance", "category_forecast", "weighted_forecast", "historical_win_rate_forecast",
    "run_rate_forecast", "monte_carlo_p50", "target_probability", "forecast_accuracy", "forecast_bias",
    "at_risk_deal_count", "won_count", "won_amount", "bookings", "lost_count", "average_deal_size",
    "customers", "run_rate_revenue",
])
def test_metrics_the_product_spec_names_are_declared(catalog, name):
    assert name in catalog


def test_ratio_formula_names_its_numerator_and_denominator(catalog):
    for m in catalog:
        if m.type == "ratio":
            num, den = catalog.get(m.numerator), catalog.get(m.denominator)
            assert num.label in m.formula and den.label in m.formula, m.name
    assert catalog.get("attainment").formula == "Closed / Target"


def test_cited_benchmarks_and_alert_keys_are_declared(catalog):
    win_rate = catalog.get("win_rate").benchmark
    assert win_rate.band == (0.22, 0.35) and "CSO Insights 2024" in win_rate.source
    assert catalog.get("forecast_accuracy").benchmark.band == (0.75, 0.85)
    assert "divides by the actual" in catalog.get("forecast_accuracy").formula
    assert catalog.get("pipeline_coverage").alert == Alert("coverage_alert_below", "below", "coverage_alert_weeks")
    assert catalog.get("pipeline_aging_share").alert.threshold == "aging_alert_share"
    assert catalog.get("close_date_push_count").alert.threshold == "slippage_red_flag_pushes"
    assert catalog.get("dial_to_deal").unit == "n_to_1"


def test_ratio_and_derived_metrics_inherit_source_and_requires(catalog):
    attainment = catalog.get("attainment")
    assert {"opportunities.amount", "targets.target_amount"} <= set(attainment.source)
    assert "targets" in attainment.requires
    assert catalog.get("sales_velocity").inputs == ("open_deal_count", "win_rate", "average_deal_size",
                                                    "sales_cycle_days")


def test_aliases_resolve_to_the_one_declaration(catalog):
    assert catalog.get("won_amount") is catalog.get("closed_amount")
    assert "won_amount" not in catalog.names
    with pytest.raises(KeyError, match="did you mean 'win_rate'"):
        catalog.get("win_rat")


def test_load_catalog_is_cached(catalog):
    assert load_catalog() is catalog


def test_to_frame_has_one_row_per_metric_and_a_column_per_field(catalog):
    frame = catalog.to_frame()
    assert len(frame) == len(catalog)
    fields = {f.name for f in dataclasses.fields(Metric)} - {"benchmark", "alert"}
    assert fields | {"benchmark_low", "benchmark_source", "alert_threshold", "alert_for_weeks"} <= set(frame)
    assert frame.set_index("name").loc["win_rate", "benchmark_high"] == 0.35


# --- glossary ------------------------------------------------------------------------------------------------

def test_glossary_shows_benchmark_source_and_alert_value_from_settings(catalog, settings):
    changed = dataclasses.replace(settings, thresholds={**settings.thresholds, "coverage_alert_below": 2.7})
    text = catalog.to_markdown(settings=changed)
    assert "CSO Insights 2024, as cited" in text
    assert "Alert: when below 2.7× for 2 consecutive weeks (threshold `coverage_alert_below`)" in text
    assert catalog.alert_value("pipeline_coverage", changed) == 2.7
    assert catalog.alert_value("gap", changed) is None


def test_glossary_of_used_metrics_groups_by_theme_and_adds_what_they_are_computed_from(catalog, settings):
    text = catalog.to_markdown(["attainment"], settings=settings)
    assert "### Target achievement" in text and "### Funnel" not in text
    assert "(`closed_amount`)" in text and "(`target_amount`)" in text
    assert "Benchmark: 57% (average quota attainment of B2B reps); source: Gartner 2023" in text
    assert "Benchmark: 22–35%; source: CSO Insights 2024" in catalog.to_markdown(["win_rate"], settings=settings)


def test_format_value_by_unit():
    assert format_value(0.2, "percent") == "20%"
    assert format_value(2.5, "ratio") == "2.5×"
    assert format_value(12, "n_to_1") == "12:1"
    assert format_value(1600000, "currency", "USD") == "$1.6M"  # the one money format of the reports


def test_alert_fires_on_the_side_it_names(settings):
    assert Alert("coverage_alert_below", "below").fires(2.4, settings)
    assert not Alert("coverage_alert_below", "below").fires(2.5, settings)
    assert Alert("slippage_red_flag_pushes", "at_or_above").fires(5, settings)
    assert Alert("coverage_alert_below", "below", "coverage_alert_weeks").weeks(settings) == 2


# --- one test per rule ---------------------------------------------------------------------------------------

def test_valid_inline_catalog_builds_and_generates_the_ratio_formula(settings):
    cat = Catalog.from_yaml(BASE + textwrap.dedent("""\
        - name: average_won
          label: Average won
          theme: won_lost
          type: ratio
          numerator: won_total
          denominator: deals_won
          purpose: Average won deal.
          cadence: month
          category: outcome
          direction: higher
          unit: currency
    """), settings)
    assert cat.get("average_won").formula == "Won total / Deals won"
    assert cat.get("average_won").line == BASE_LINES + 1


@pytest.mark.parametrize("bad", ["Win_rate", "win__rate", "win_rate_", "9lives"])
def test_bad_name(settings, bad):
    issue = only_issue(f"""\
        - name: {bad}
          label: X
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          cadence: month
          category: outcome
          direction: higher
          unit: count
    """, settings)
    assert (issue.metric, issue.field, issue.line) == (bad, "name", BASE_LINES + 1)
    assert f"bad name {bad!r}" in str(issue) and f"(catalog line {BASE_LINES + 1})" in str(issue)


def test_duplicate_name(settings):
    issue = only_issue("""\
        - name: deals_won
          label: Deals won again
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          cadence: month
          category: outcome
          direction: higher
          unit: count
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("deals_won", "name", BASE_LINES + 1)
    assert "duplicate name 'deals_won'; already used by entry 'deals_won' at line 12" in issue.reason


@pytest.mark.parametrize(("field", "value"), [("theme", "pipeline"), ("type", "cumulative"),
                                              ("cadence", "weekly"), ("category", "lagging"),
                                              ("direction", "up"), ("unit", "dollars")])
def test_unknown_enum_value(settings, field, value):
    entry = {"theme": "won_lost", "type": "simple", "cadence": "month", "category": "outcome",
             "direction": "higher", "unit": "count", field: value}
    issue = only_issue(f"""\
        - name: lost_total
          label: Lost total
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          theme: {entry["theme"]}
          type: {entry["type"]}
          cadence: {entry["cadence"]}
          category: {entry["category"]}
          direction: {entry["direction"]}
          unit: {entry["unit"]}
    """, settings)
    line = BASE_LINES + 6 + ["theme", "type", "cadence", "category", "direction", "unit"].index(field)
    assert (issue.metric, issue.field, issue.line) == ("lost_total", field, line)
    assert issue.reason.startswith(f"unknown value {value!r}; allowed: ")


def test_ratio_without_numerator_or_denominator(settings):
    issue = only_issue("""\
        - name: average_won
          label: Average won
          theme: won_lost
          type: ratio
          numerator: won_total
          purpose: P.
          cadence: month
          category: outcome
          direction: higher
          unit: currency
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("average_won", "denominator", BASE_LINES + 1)
    assert "a ratio metric needs a numerator and a denominator" in issue.reason


def test_unknown_metric_reference(settings):
    issue = only_issue("""\
        - name: average_won
          label: Average won
          theme: won_lost
          type: ratio
          numerator: won_total
          denominator: deal_won
          purpose: P.
          cadence: month
          category: outcome
          direction: higher
          unit: currency
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("average_won", "denominator", BASE_LINES + 6)
    assert issue.reason == "unknown metric 'deal_won'; did you mean 'deals_won'?"


def test_unknown_metric_in_an_expression(settings):
    issue = only_issue("""\
        - name: net_won
          label: Net won
          theme: won_lost
          type: derived
          expression: won_total - refunds
          purpose: P.
          cadence: month
          category: outcome
          direction: higher
          unit: currency
    """, settings)
    assert (issue.field, issue.line, issue.reason) == ("expression", BASE_LINES + 5, "unknown metric 'refunds'")


def test_reference_cycle(settings):
    issue = only_issue("""\
        - name: share_a
          label: Share A
          theme: won_lost
          type: ratio
          numerator: won_total
          denominator: share_b
          purpose: P.
          cadence: month
          category: outcome
          direction: none
          unit: ratio
        - name: share_b
          label: Share B
          theme: won_lost
          type: derived
          expression: share_a * 2
          purpose: P.
          cadence: month
          category: outcome
          direction: none
          unit: ratio
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("share_a", "denominator", BASE_LINES + 6)
    assert issue.reason == "reference cycle: share_a → share_b → share_a"


def test_source_column_not_in_canonical_schema(settings):
    issue = only_issue("""\
        - name: lost_total
          label: Lost total
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source:
            - opportunities.amount
            - opportunities.lost_reason
          cadence: month
          category: outcome
          direction: lower
          unit: currency
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("lost_total", "source[1]", BASE_LINES + 9)
    assert "'opportunities.lost_reason' is not a column of the canonical schema" in issue.reason
    assert "did you mean 'opportunities.loss_reason'?" in issue.reason


def test_alert_threshold_not_in_workbook_settings(settings):
    issue = only_issue("""\
        - name: lost_total
          label: Lost total
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          cadence: month
          category: outcome
          direction: lower
          unit: currency
          alert:
            threshold: coverage_alert_bellow
            when: above
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("lost_total", "alert.threshold", BASE_LINES + 13)
    assert "'coverage_alert_bellow' is not a workbook threshold" in issue.reason
    assert "did you mean 'coverage_alert_below'?" in issue.reason


def test_benchmark_band_low_above_high(settings):
    issue = only_issue("""\
        - name: lost_total
          label: Lost total
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          cadence: month
          category: outcome
          direction: lower
          unit: currency
          benchmark:
            band: [120, 90]
            source: Forrester, as cited
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("lost_total", "benchmark.band", BASE_LINES + 13)
    assert issue.reason == "low 120 is above high 90; write [low, high]"


def test_percent_benchmark_band_is_a_share(settings):
    issue = only_issue("""\
        - name: lost_share
          label: Lost share
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          cadence: month
          category: outcome
          direction: lower
          unit: percent
          benchmark: {band: [22, 35], source: "CSO Insights 2024, as cited"}
    """, settings)
    assert (issue.field, issue.line) == ("benchmark.band", BASE_LINES + 12)
    assert "write 0.22, not 22" in issue.reason


def test_missing_required_field(settings):
    issue = only_issue("""\
        - name: lost_total
          label: Lost total
          theme: won_lost
          type: simple
          formula: F.
          source: [opportunities.amount]
          cadence: month
          category: outcome
          direction: lower
          unit: currency
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("lost_total", "purpose", BASE_LINES + 1)
    assert issue.reason == "required field is missing"


def test_hand_written_formula_must_name_what_the_metric_is_computed_from(settings):
    issue = only_issue("""\
        - name: average_won
          label: Average won
          theme: won_lost
          type: ratio
          numerator: won_total
          denominator: deals_won
          formula: Won total / number of opportunities
          purpose: P.
          cadence: month
          category: outcome
          direction: higher
          unit: currency
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("average_won", "formula", BASE_LINES + 7)
    assert issue.reason.startswith("does not mention 'deals_won' (label 'Deals won')")


def test_unknown_and_repeated_fields(settings):
    issues = issues_of("""\
        - name: lost_total
          label: Lost total
          theme: won_lost
          type: simple
          purpose: P.
          purpse: P.
          formula: F.
          source: [opportunities.amount]
          cadence: month
          cadence: quarter
          category: outcome
          direction: lower
          unit: currency
    """, settings)
    assert [(i.field, i.line) for i in issues] == [("purpse", BASE_LINES + 6), ("cadence", BASE_LINES + 10)]
    assert issues[0].reason == "unknown field; did you mean 'purpose'?"
    assert issues[1].reason == "field given twice"


def test_expression_outside_the_grammar(settings):
    issue = only_issue("""\
        - name: net_won
          label: Net won
          theme: won_lost
          type: derived
          expression: __import__('os').getcwd()
          purpose: P.
          cadence: month
          category: outcome
          direction: higher
          unit: currency
    """, settings)
    assert (issue.field, issue.line) == ("expression", BASE_LINES + 5)
    assert issue.reason == "only abs, min, max may be called"


def test_requires_lists_only_optional_columns(settings):
    issue = only_issue("""\
        - name: lost_total
          label: Lost total
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          requires: [opportunities.loss_reason, opportunities.amount]
          cadence: month
          category: outcome
          direction: lower
          unit: currency
    """, settings)
    assert (issue.field, issue.line) == ("requires[1]", BASE_LINES + 8)
    assert "'opportunities.amount' is always present" in issue.reason


def test_references_use_names_not_aliases(settings):
    issue = only_issue("""\
        - name: lost_total
          label: Lost total
          aliases: [lost_value]
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          cadence: month
          category: outcome
          direction: lower
          unit: currency
        - name: loss_ratio
          label: Loss ratio
          theme: won_lost
          type: ratio
          numerator: lost_value
          denominator: won_total
          purpose: P.
          cadence: month
          category: outcome
          direction: lower
          unit: ratio
    """, settings)
    assert (issue.metric, issue.field, issue.line) == ("loss_ratio", "numerator", BASE_LINES + 17)
    assert "'lost_value' is an alias; refer to the metric by its name 'lost_total'" in issue.reason


def test_not_yaml_is_one_issue_with_its_line(settings):
    issue = only_issue("""\
        - name: lost_total
          label: [unclosed
    """, settings)
    assert issue.field == "yaml" and issue.line == BASE_LINES + 3
    assert issue.reason.startswith("not valid YAML")


# --- all issues at once, and the error travels -----------------------------------------------------------------

BROKEN = """\
    - name: Lost
      label: Lost total
      theme: won_lost
      type: ratio
      numerator: won_total
      purpose: P.
      cadence: monthly
      category: outcome
      direction: lower
      unit: currency
      source: [opportunities.lost_amount]
      alert: {threshold: no_such_key, when: above}
"""


def test_every_problem_is_reported_in_one_error(settings):
    issues = issues_of(BROKEN, settings)
    assert [(i.field, i.line) for i in issues] == [
        ("name", BASE_LINES + 1), ("denominator", BASE_LINES + 1), ("cadence", BASE_LINES + 7),
        ("source[0]", BASE_LINES + 11), ("alert.threshold", BASE_LINES + 12)]
    assert {i.metric for i in issues} == {"Lost"}


def test_catalog_error_lists_every_issue_and_pickles(settings):
    with pytest.raises(CatalogError) as info:
        validate(BASE + textwrap.dedent(BROKEN), settings)
    err = info.value
    assert str(err).startswith("the metric catalog has 5 problems:")
    assert "field 'cadence': unknown value 'monthly'" in str(err) and f"line {BASE_LINES + 7}" in str(err)
    clone = pickle.loads(pickle.dumps(err))
    assert clone.issues == err.issues and str(clone) == str(err)


def test_parsed_entries_validate_without_line_numbers(settings):
    with pytest.raises(CatalogError) as info:
        validate([{"name": "x_y", "label": "X"}], settings)
    assert {i.field for i in info.value.issues} >= {"theme", "type", "purpose"}
    assert all(i.line is None for i in info.value.issues)


#: A percent metric whose benchmark is given per segment only; each test adds the segments under it.
SEGMENTED = """\
        - name: lost_share
          label: Lost share
          theme: won_lost
          type: simple
          purpose: P.
          formula: F.
          source: [opportunities.amount]
          cadence: month
          category: outcome
          direction: lower
          unit: percent
          benchmark:
            source: "SaaStr 2024, as cited"
            segments:
"""


def test_segment_bands_take_the_benchmark_source_unless_they_name_one_and_span_the_band(settings):
    text = BASE + textwrap.dedent(SEGMENTED + """\
              SMB: {band: [0.10, 0.20]}
              Enterprise: {band: [0.30, 0.45], source: "TOPO 2023, as cited"}
    """)
    b = Catalog.from_yaml(text, settings).get("lost_share").benchmark
    assert b.band == (0.10, 0.45)  # no overall band: the range the segments span
    assert b.for_segment("SMB") == Benchmark((0.10, 0.20), "SaaStr 2024, as cited")
    assert b.for_segment("Enterprise").source == "TOPO 2023, as cited"
    assert b.for_segment("Mid-Market") is None
    assert b.segment_frame().to_dict("list") == {"segment": ["SMB", "Enterprise"], "low": [0.10, 0.30],
                                                 "high": [0.20, 0.45],
                                                 "source": ["SaaStr 2024, as cited", "TOPO 2023, as cited"]}


def test_a_segment_band_is_checked_like_any_band(settings):
    issue = only_issue(SEGMENTED + """\
              SMB: {band: [20, 35]}
    """, settings)
    assert issue.field == "benchmark.segments.SMB.band" and "write 0.22, not 22" in issue.reason


def test_every_funnel_step_has_a_band_per_segment_in_the_catalog(catalog):
    for metric in ("lead_to_sal", "sal_to_sql", "sql_to_opportunity", "opportunity_to_proposal", "proposal_to_won"):
        b = catalog.get(metric).benchmark
        assert [s for s, _ in b.segments] == ["SMB", "Mid-Market", "Enterprise"]
        assert all(b.band[0] <= s.band[0] <= s.band[1] <= b.band[1] for _, s in b.segments)
    assert catalog.get("lead_to_sal").benchmark.for_segment("Enterprise").band == (0.08, 0.15)
    days = catalog.get("proposal_to_won_days").benchmark
    assert [s for s, _ in days.segments] == ["SMB", "Enterprise"] and days.for_segment("Enterprise").band == (45, 90)
