"""``record``: how a notebook hands its headline figures and alerts to the pack index.

A notebook calls ``quotabook.pack.record({"Attainment": "82%"}, alerts=["Coverage below 3x"])`` (a findings
block's ``show`` calls it for the page) once (or more: later calls add to and override earlier ones). The
executive summary also records ``figures``: numbers with their catalog unit (``{"group", "scope", "key",
"label", "value", "unit", "currency", "href"}``), which the index formats itself with
:func:`quotabook.text.figure`, the formatter the pages use. Each call displays one output of the MIME type
``application/vnd.quotabook+json``; the pack renderer reads those outputs from the executed notebook
for ``index.html`` and ``manifest.json`` and removes them from the HTML and PDF. Interactively, Jupyter
shows the ``text/plain`` fallback, so the analyst sees what the pack will show.

Emails and phone numbers in labels, values and alert messages are masked here, in the kernel, as the
workbook's ``privacy`` settings say (:mod:`quotabook.privacy`), so neither the manifest nor the index
page ever holds them.

This module is imported inside kernels: it must stay free of heavy imports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from .privacy import mask

__all__ = ["FIGURE_KEYS", "PRINT_ENV", "PRINT_SVG_MIME", "RECORD_MIME", "TABLE_MIME", "extract_figures",
           "normalise_alerts", "normalise_figures", "normalise_headlines", "record", "record_table"]

RECORD_MIME = "application/vnd.quotabook+json"
#: The fields a recorded figure carries (anything else is dropped).
FIGURE_KEYS = ("group", "scope", "key", "label", "metric", "value", "unit", "currency", "href")
#: The raw values of a table a page shows, for the pack's CSV and XLSX exports (:mod:`quotabook.pack.tables`).
TABLE_MIME = "application/vnd.quotabook.table+json"
#: A chart's print variant (SVG), drawn shorter for the PDF (:mod:`quotabook.charts.printed`).
PRINT_SVG_MIME = "application/vnd.quotabook.print-svg+xml"
#: The environment variable that, set to ``0``, tells a kernel not to draw print variants (the pack sets it when
#: it prints no PDF: :func:`quotabook.charts.printed.print_variants_wanted`).
PRINT_ENV = "QUOTABOOK_PRINT_CHARTS"


def _jsonable(value):
    """numpy / pandas scalars and dates become plain JSON values."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def normalise_headlines(headlines) -> dict:
    """Headlines as an ordered ``{label: value}`` from the recorded list of pairs (or a plain mapping)."""
    if isinstance(headlines, Mapping):
        return dict(headlines)
    return {str(pair[0]): pair[1] for pair in headlines or () if isinstance(pair, list | tuple) and len(pair) == 2}


def normalise_alerts(alerts: Iterable) -> list[dict]:
    """Alerts as ``{"message": str, "level": str}``, plus ``anchor`` (the ``id`` of the page's section that
    explains it) when given; a bare string is a ``warning``."""
    out = []
    for alert in alerts or ():
        if isinstance(alert, Mapping):
            item = {"message": str(alert.get("message", "")), "level": str(alert.get("level", "warning"))}
            if isinstance(alert.get("anchor"), str) and alert["anchor"]:
                item["anchor"] = alert["anchor"]
            out.append(item)
        else:
            out.append({"message": str(alert), "level": "warning"})
    return out


def normalise_figures(figures: Iterable) -> list[dict]:
    """Recorded figures as dicts of :data:`FIGURE_KEYS`; a value that is not a finite number becomes None (shown
    as "–"), so a malformed record never breaks the index."""
    out = []
    for item in figures or ():
        if not isinstance(item, Mapping):
            continue
        figure = {key: item.get(key) for key in FIGURE_KEYS}
        value = figure["value"]
        finite = isinstance(value, int | float) and not isinstance(value, bool) and value == value \
            and abs(value) != float("inf")
        figure["value"] = float(value) if finite else None
        figure["scope"] = bool(figure["scope"])
        figure.update({key: str(figure[key] or "") for key in ("group", "key", "label", "metric", "unit", "currency",
                                                               "href")})
        out.append(figure)
    return out


def extract_figures(nb) -> list[dict]:
    """The figures the executed notebook recorded (a later record's figures replace an earlier one's)."""
    figures: list[dict] = []
    for cell in nb.cells:
        for output in cell.get("outputs", ()):
            payload = output.get("data", {}).get(RECORD_MIME)
            if isinstance(payload, dict) and payload.get("figures"):
                figures = normalise_figures(payload["figures"])
    return figures


def record(headlines: Mapping[str, object] | None = None, alerts: Iterable | None = None,
           figures: Iterable[Mapping] | None = None) -> None:
    """Record headline figures and alerts fired for the pack index.

    Parameters
    ----------
    headlines : mapping of label -> value, shown as given (format amounts and ratios in the notebook,
        e.g. ``{"Attainment": "82%", "Closed": "$1.2M"}``); numbers are shown with thousands separators.
    alerts : strings, or mappings with ``message``, ``level`` (``info`` / ``warning`` / ``critical``) and
        optionally ``anchor``, the section of the page that explains the alert (the index links there).
    figures : numbers for the index's scoreboard, each a mapping of :data:`FIGURE_KEYS` (``value`` a number in
        its catalog ``unit``; the index formats it as the pages do).

    Returns None, so a trailing ``record(...)`` adds nothing to the cell's visible output.
    """
    # Headlines as a list of pairs: notebook JSON is written with sorted keys, a list keeps the given order.
    pairs = [[mask(str(label)), mask(value) if isinstance(value, str) else value]
             for label, value in dict(headlines or {}).items()]
    shown = [{**a, "message": mask(a["message"])} for a in normalise_alerts(alerts or ())]
    numbers = [{**f, "group": mask(f["group"]), "label": mask(f["label"])} for f in normalise_figures(figures or ())]
    payload = {"headlines": pairs, "alerts": shown, **({"figures": numbers} if numbers else {})}
    payload = json.loads(json.dumps(payload, default=_jsonable))
    lines = ([f"{k}: {v}" for k, v in payload["headlines"]] + [f"ALERT: {a['message']}" for a in payload["alerts"]]
             + [f"{f['group']} · {f['label']}: {f['value']} ({f['unit']})" for f in numbers])
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - outside IPython there is nothing to display
        return
    display({RECORD_MIME: payload, "text/plain": "Recorded for the pack index:\n" + "\n".join(lines)},
            raw=True, metadata={"quotabook": "record"})


def record_table(frame, *, units: Mapping[str, str], title: str, currency: str = "") -> None:
    """Display ``frame`` (headers as the page prints them, raw values) as a hidden table output for the pack.

    Dates are written as ISO text, missing values as empty cells. Returns None; outside IPython nothing
    happens."""
    payload = json.loads(frame.to_json(orient="split", index=False, date_format="iso", default_handler=str))
    payload.update(title=str(title), units={str(k): v for k, v in units.items() if k in frame.columns},
                   currency=currency)
    payload["columns"] = [str(c) for c in payload["columns"]]
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - outside IPython there is no page to hand it to
        return
    if get_ipython() is not None:
        display({TABLE_MIME: payload, "text/plain": f"Table for the pack's exports: {title}"}, raw=True,
                metadata={"quotabook": "table"})
