"""The pack index as a scoreboard: regions × Target, Closed, Forecast, Gap, Attainment and Coverage first (the
whole organisation last), from the numbers each scope's executive summary recorded with their catalog unit and
formatted as the pages format them, each linked to the section that shows it; alerts ranked most severe first
and linked to the page that explains them; run status ("ran", "failed") kept apart from business status."""

from __future__ import annotations

import re

from quotabook.headlines import normalise_figures
from quotabook.pack.index import render_index

SECTIONS = {"target": "00_target_achievement.html#Where-we-stand-against-target",
            "closed": "00_target_achievement.html#Where-we-stand-against-target",
            "forecast": "05_forecast.html#The-five-methods-side-by-side",
            "gap": "00_target_achievement.html#Attainment-and-coverage",
            "attainment": "00_target_achievement.html#Attainment-and-coverage",
            "coverage": "00_target_achievement.html#Attainment-and-coverage",
            "coverage_going_in": "00_target_achievement.html#Attainment-and-coverage"}
LABELS = {"target": "Target", "closed": "Closed", "forecast": "Forecast (P50)", "gap": "Gap",
          "attainment": "Attainment", "coverage": "Coverage", "coverage_going_in": "Pipeline coverage going in",
          "chance": "Chance of target"}
UNITS = {"target": "currency", "closed": "currency", "forecast": "currency", "gap": "currency",
         "attainment": "percent", "coverage": "ratio", "coverage_going_in": "ratio", "chance": "percent"}


def _figures(group, scope, **values):
    return [{"group": group, "scope": scope, "key": k, "label": LABELS[k], "metric": k, "value": v,
             "unit": UNITS[k], "currency": "USD", "href": SECTIONS.get(k, "05_forecast.html#x")}
            for k, v in values.items()]


def _run(region, slug, stem, title, headlines=None, alerts=(), status="ok", figures=()):
    return {"region": region, "slug": slug, "notebook": stem, "title": title, "status": status,
            "headlines": headlines or {}, "alerts": list(alerts), "figures": list(figures),
            "outputs": {"html": f"{slug}/{stem}.html", "ipynb": f"{slug}/{stem}.ipynb"}}


EAST = dict(target=1_700_000, closed=895_400, forecast=1_406_200, gap=804_600, attainment=0.5267, coverage=1.625,
            chance=0.1243)
WEST = dict(target=1_740_000, closed=569_700, forecast=989_000, gap=1_170_300, attainment=0.3274, coverage=1.1244)
DISTRICT = dict(target=5_150_000, closed=2_081_600, forecast=4_254_250, gap=3_068_400, attainment=0.4042,
                coverage=1.9244)


def _manifest(west_summary=False):
    runs = {
        "east/summary": _run("East", "east", "summary", "Executive summary", figures=_figures("East", True, **EAST)),
        "east/00_target_achievement": _run("East", "east", "00_target_achievement", "Target achievement",
                                           {"Attainment": "53%"},
                                           [{"message": "EAST-03: coverage 0.40× is under the 1.5× line",
                                             "level": "critical", "anchor": "Attainment-and-coverage"}]),
        "east/05_forecast": _run("East", "east", "05_forecast", "Forecast", {"Forecast (P50)": "$1.4M"},
                                 [{"message": "chance of target 12%", "level": "warning"}]),
        "district/summary": _run("district", "district", "summary", "Executive summary",
                                 figures=[*_figures("East", False, **EAST), *_figures("West", False, **WEST),
                                          *_figures("The district", True, **DISTRICT)]),
        "district/00_target_achievement": _run("district", "district", "00_target_achievement",
                                               "Target achievement", {"Attainment": "40%"},
                                               [{"message": "district info", "level": "info"}]),
        "district/05_forecast": _run("district", "district", "05_forecast", "Forecast", status="failed"),
        "west/00_target_achievement": _run("West", "west", "00_target_achievement", "Target achievement",
                                           {"Attainment": "33%"}, [{"message": "West short", "level": "warning"}]),
    }
    if west_summary:
        runs["west/summary"] = _run("West", "west", "summary", "Executive summary",
                                    figures=_figures("West", True, **{**WEST, "closed": 570_100}))
    return {"title": "Quarterly sales pack", "period": "2026-Q4", "generated_at": "2026-11-16T06:00:00+00:00",
            "parameters": {"data": "demo", "as_of": "2026-11-15",
                           "notebooks": ["summary", "00_target_achievement", "05_forecast"]},
            "summary": {"runs": 7, "ok": 6, "failed": 1}, "overview": "overview.html",
            "regions": [{"name": "district", "slug": "district"}, {"name": "East", "slug": "east"},
                        {"name": "West", "slug": "west"}, {"name": "North", "slug": "north"}],
            "runs": runs}


def _board(page: str) -> str:
    start = page.index("<h2>Scoreboard</h2>")
    return page[start:page.index("</table>", start)]


def _row(board: str, name: str) -> list[str]:
    """The cell texts of the row whose first cell links or names ``name``."""
    row = next(r for r in board.split("<tr") if re.search(rf">{re.escape(name)}<", r.split("</td>")[0] + "</td>"))
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def test_the_scoreboard_is_regions_by_the_six_figures_with_the_whole_organisation_last():
    page = render_index(_manifest())
    board = _board(page)
    assert page.index("Scoreboard") < page.index("Failures") < page.index("Alerts fired")
    assert ("<tr><th>Region</th><th>Target</th><th>Closed</th><th>Forecast (P50)</th><th>Gap</th>"
            "<th>Attainment</th><th>Coverage</th></tr>") in board
    assert board.index(">East<") < board.index(">West<") < board.index(">North<") \
        < board.index(">District (all regions)<")
    # numbers formatted here with the workbook formats the pages use: compact money, whole percent, one-decimal ×
    assert _row(board, "East") == ["East", "$1.7M", "$895K", "$1.4M", "$805K", "53%", "1.6×"]
    assert _row(board, "District (all regions)") == ["District (all regions)", "$5.2M", "$2.1M", "$4.3M", "$3.1M",
                                                     "40%", "1.9×"]
    assert '<tr class="whole"><td><a href="district/summary.html">District (all regions)</a></td>' in board


def test_each_figure_links_to_the_section_of_its_scope_that_shows_it():
    board = _board(render_index(_manifest()))
    assert '<a href="east/summary.html">East</a>' in board
    assert '<a href="east/00_target_achievement.html#Where-we-stand-against-target">$1.7M</a>' in board
    assert '<a href="east/05_forecast.html#The-five-methods-side-by-side">$1.4M</a>' in board
    assert '<a href="east/00_target_achievement.html#Attainment-and-coverage">53%</a>' in board


def test_a_region_without_its_own_summary_takes_its_row_from_the_districts_and_links_there():
    board = _board(render_index(_manifest()))
    assert _row(board, "West") == ["West", "$1.7M", "$570K", "$989K", "$1.2M", "33%", "1.1×"]
    assert '<a href="district/00_target_achievement.html#Where-we-stand-against-target">$570K</a>' in board
    # a region with neither shows dashes, never a stale or invented figure
    assert _row(board, "North") == ["North", *["–"] * 6]


def test_a_regions_own_summary_wins_over_the_districts_row():
    board = _board(render_index(_manifest(west_summary=True)))
    assert _row(board, "West")[2] == "$570K"  # 570,100 rounds alike; the link shows whose figure it is
    assert '<a href="west/00_target_achievement.html#Where-we-stand-against-target">$570K</a>' in board
    assert '<a href="west/summary.html">West</a>' in board


def test_a_finished_period_shows_the_pipeline_coverage_going_in_under_its_own_name():
    manifest = _manifest()
    for run in manifest["runs"].values():
        for figure in run["figures"]:
            if figure["key"] == "coverage":
                figure.update(key="coverage_going_in", label=LABELS["coverage_going_in"], value=2.894)
    board = _board(render_index(manifest))
    assert "<th>Pipeline coverage going in</th>" in board and "<th>Coverage</th>" not in board
    assert _row(board, "East")[-1] == "2.9×"


def test_missing_or_malformed_values_show_a_dash():
    figures = normalise_figures([{"key": "gap", "value": float("nan"), "unit": "currency"},
                                 {"key": "closed", "value": "12", "unit": "currency"}, "junk",
                                 {"key": "target", "value": float("inf"), "unit": "currency"}])
    assert [f["value"] for f in figures] == [None, None, None]
    manifest = _manifest()
    manifest["runs"]["east/summary"]["figures"] = [
        {**f, "value": None} if f["key"] == "gap" else f for f in manifest["runs"]["east/summary"]["figures"]]
    assert _row(_board(render_index(manifest)), "East")[4] == "–"


def test_run_status_is_apart_from_business_status():
    page = render_index(_manifest())
    board = _board(page)
    assert "ran" not in board and "ok" not in board.lower().replace("book", "")  # no run status on the scoreboard
    assert "6 of 7 notebooks ran, 1 failed" in page
    assert " · as of 15 Nov 2026 · " in page  # the date as the pages write it, not "2026-11-15"
    assert "<th>Notebook run</th>" in page and '<span class="ok">ran</span>' in page
    assert '<span class="failed">failed</span>' in page


def test_the_overview_is_linked_under_its_own_name():
    page = render_index(_manifest())
    assert '<a href="overview.html">one-page overview</a>' in page


def test_alerts_are_ranked_by_severity_and_link_the_page_that_explains_them():
    page = render_index(_manifest())
    alerts = page[page.index("Alerts fired"):]
    order = [alerts.index(m) for m in ("coverage 0.40×", "chance of target 12%", "West short", "district info")]
    assert order == sorted(order)  # critical, then the warnings in pack order, then info
    # linked to the section that explains the alert where the notebook names it, else to the page
    assert '<a href="east/00_target_achievement.html#Attainment-and-coverage">Target achievement</a>' in alerts
    assert '<a href="west/00_target_achievement.html">Target achievement</a>' in alerts
    assert "<td>District (all regions)</td>" in alerts


def test_no_scoreboard_without_a_summary():
    manifest = _manifest()
    manifest["runs"] = {k: v for k, v in manifest["runs"].items() if not k.endswith("/summary")}
    assert "Scoreboard" not in render_index(manifest)
