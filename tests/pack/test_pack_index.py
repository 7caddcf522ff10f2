"""The pack index as a scoreboard: regions × headline figures first (the whole organisation last, each region
linked to its page), alerts ranked most severe first and linked to the page that explains them, and run
status kept apart from business status."""

from __future__ import annotations

from quotabook.pack.index import render_index


def _run(region, slug, stem, title, headlines=None, alerts=(), status="ok"):
    return {"region": region, "slug": slug, "notebook": stem, "title": title, "status": status,
            "headlines": headlines or {}, "alerts": list(alerts),
            "outputs": {"html": f"{slug}/{stem}.html", "ipynb": f"{slug}/{stem}.ipynb"}}


def _manifest():
    runs = {
        "east/00_target_achievement": _run("East", "east", "00_target_achievement", "Target achievement",
                                           {"Attainment": "96%", "Closed": "$1.6M"},
                                           [{"message": "EAST-03: coverage 0.40× is under the 1.5× line",
                                             "level": "critical"}]),
        "east/05_forecast": _run("East", "east", "05_forecast", "Forecast", {"Monte Carlo P50": "$1.7M"},
                                 [{"message": "chance of target 41%", "level": "warning"}]),
        "district/00_target_achievement": _run("district", "district", "00_target_achievement",
                                               "Target achievement", {"Attainment": "91%", "Closed": "$4.5M"},
                                               [{"message": "district info", "level": "info"}]),
        "district/05_forecast": _run("district", "district", "05_forecast", "Forecast", status="failed"),
        "west/00_target_achievement": _run("West", "west", "00_target_achievement", "Target achievement",
                                           {"Attainment": "51%", "Closed": "$0.9M"},
                                           [{"message": "West short", "level": "warning"}]),
    }
    return {"title": "Quarterly sales pack", "period": "2026-Q3", "generated_at": "2026-10-03T06:00:00+00:00",
            "parameters": {"data": "demo", "as_of": "2026-09-30", "notebooks": ["00_target_achievement",
                                                                                "05_forecast"]},
            "summary": {"runs": 5, "ok": 4, "failed": 1},
            "regions": [{"name": "district", "slug": "district"}, {"name": "East", "slug": "east"},
                        {"name": "West", "slug": "west"}],
            "runs": runs}


def test_the_scoreboard_comes_first_with_every_region_and_the_whole_organisation_last():
    page = render_index(_manifest())
    board = page[page.index("<h2>Scoreboard</h2>"):page.index("</table>", page.index("<h2>Scoreboard</h2>"))]
    assert page.index("Scoreboard") < page.index("Failures") < page.index("Alerts fired")
    assert "<th>Region</th><th>Attainment</th><th>Closed</th><th>Monte Carlo P50</th>" in board
    assert board.index(">East<") < board.index(">West<") < board.index(">District (all regions)<")
    assert '<a href="east/00_target_achievement.html">East</a>' in board
    assert '<td class="num">96%</td><td class="num">$1.6M</td><td class="num">$1.7M</td>' in board
    # West has no forecast page and the district's failed: their cells say so with a dash, not a stale figure
    assert '<td class="num">51%</td><td class="num">$0.9M</td><td class="num">–</td>' in board
    whole = '<tr class="whole"><td><a href="district/00_target_achievement.html">District (all regions)</a></td>'
    assert whole in board


def test_alerts_are_ranked_by_severity_and_link_the_page_that_explains_them():
    page = render_index(_manifest())
    alerts = page[page.index("Alerts fired"):]
    order = [alerts.index(m) for m in ("coverage 0.40×", "chance of target 41%", "West short", "district info")]
    assert order == sorted(order)  # critical, then the warnings in pack order, then info
    assert '<a href="east/00_target_achievement.html">Target achievement</a>' in alerts


def test_no_scoreboard_without_headline_figures():
    manifest = _manifest()
    for run in manifest["runs"].values():
        run["headlines"] = {}
    assert "Scoreboard" not in render_index(manifest)
