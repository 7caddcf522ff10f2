"""The app's page: a scope and a period picker over the what-if widget
(:func:`quotabook.themes.territory_quota.whatif.make_widget`).

The data is loaded once per page; picking another region or period swaps the widget's scope and keeps every
slider where the reader put it (the scenario), so "what does +10% conversion do for East, and for the whole
district?" is two clicks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from ..dataset import Dataset
from ..fiscal import Period
from ..text import say_date

__all__ = ["ENV", "period_choices", "start_point", "view"]

#: Where :func:`quotabook.app.serve` passes its options to the app's kernel (environment variables).
ENV = {"region": "QUOTABOOK_APP_REGION", "period": "QUOTABOOK_APP_PERIOD", "data": "QUOTABOOK_APP_DATA",
       "as_of": "QUOTABOOK_APP_AS_OF"}


def _options(environ: Mapping[str, str]) -> dict:
    return {key: environ.get(var) or None for key, var in ENV.items()}


def start_point(full: Dataset, region: str | None = None, period: str | None = None) -> tuple[str | None, Period]:
    """The scope (a region name, None for the whole district) and period the app opens on: those asked, as
    the CLI spells them, else the whole district and the pack's period, the quarter holding the data's
    as-of date (:attr:`~quotabook.dataset.Dataset.reference_date`). An unknown region is a clear error."""
    from ..scope import WHOLE, parse_scope

    scope = parse_scope(region or WHOLE, full.regions)
    return scope, full.period(period or full.calendar.period_of(full.reference_date).label)


def period_choices(full: Dataset, period: Period) -> list[str]:
    """The periods the app offers: the quarter before the one holding the as-of date, that quarter (the one in
    progress) and the next, plus ``period`` when it is none of them; in time order."""
    current = full.calendar.period_of(full.reference_date)
    labels = {p.label: p.start for p in (full.calendar.shift(current, -1), current,
                                         full.calendar.shift(current, 1), period)}
    return sorted(labels, key=labels.__getitem__)


def view(region: str | None = None, period: str | None = None, data: str | None = None, as_of: str | None = None,
         *, environ: Mapping[str, str] | None = None):
    """The app: a heading, a scope picker (the district or one region), a period picker and the what-if.

    Arguments left None come from :data:`ENV` (set by ``quotabook app``), then from defaults: the whole
    district, the quarter holding the data's as-of date (the pack's period), the demo data.
    """
    import ipywidgets as w

    from ..loading import load
    from ..scope import parse_scope, scope_label, scope_parameter
    from ..themes.territory_quota.whatif import build_base, make_widget

    given = _options(os.environ if environ is None else environ)
    full = load(data or given["data"] or "demo", as_of=as_of or given["as_of"])
    scope, start = start_point(full, region or given["region"], period or given["period"])
    style, layout = {"description_width": "11em"}, w.Layout(width="34em")
    # Each scope's value is written as text writes it ("district", "East", "region:district"): never ambiguous.
    picker = w.Dropdown(options=[(scope_label(s), scope_parameter(s)) for s in [None, *full.regions]],
                        value=scope_parameter(scope), description="Scope", style=style, layout=layout)
    periods = w.Dropdown(options=period_choices(full, start), value=start.label, description="Period",
                         style=style, layout=layout)
    heading = w.HTML()
    current = full.calendar.period_of(full.reference_date).label

    def scope_now():
        chosen = parse_scope(picker.value)
        when = full.period(periods.value)
        return chosen, when, build_base(full.for_region(chosen), when), when.state(full.reference_date)

    def title(chosen, when, state) -> str:
        day = full.reference_date
        ahead = (f" For the quarter in progress pick {current} under Period." if state.finished
                 and when.label != current else "")
        return (f"<h2 style='margin:0.2em 0'>What-if: {scope_label(chosen)}, {when.label}</h2>"
                f"<p style='margin:0 0 0.6em 0;color:#444'>Data as of {say_date(day)}. Move a slider: "
                f"projected bookings, attainment and the chance of reaching target update at once; the "
                f"scenario stays when you pick another scope or period.{ahead}</p>")

    chosen, when, base, state = scope_now()
    whatif = make_widget(base, level="region" if chosen is None else "territory", scope=scope_label(chosen),
                         state=state)
    heading.value = title(chosen, when, state)

    def show(_change=None) -> None:
        chosen, when, base, state = scope_now()
        heading.value = title(chosen, when, state)
        whatif.set_scope(base, level="region" if chosen is None else "territory", scope=scope_label(chosen),
                         state=state)

    picker.observe(show, names="value")
    periods.observe(show, names="value")
    return w.VBox([heading, w.HBox([picker, periods]), whatif])
