"""``record``: how a notebook hands its headline figures and alerts to the pack index.

A notebook calls ``quotabook.pack.record({"Attainment": "82%"}, alerts=["Coverage below 3x"])`` (a findings
block's ``show`` calls it for the page) once
(or more: later calls add to and override earlier ones). It displays one output of the MIME type
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

__all__ = ["RECORD_MIME", "normalise_alerts", "normalise_headlines", "record"]

RECORD_MIME = "application/vnd.quotabook+json"


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
    """Alerts as ``{"message": str, "level": str}``; a bare string is a ``warning``."""
    out = []
    for alert in alerts or ():
        if isinstance(alert, Mapping):
            out.append({"message": str(alert.get("message", "")), "level": str(alert.get("level", "warning"))})
        else:
            out.append({"message": str(alert), "level": "warning"})
    return out


def record(headlines: Mapping[str, object] | None = None, alerts: Iterable | None = None) -> None:
    """Record headline figures and alerts fired for the pack index.

    Parameters
    ----------
    headlines : mapping of label -> value, shown as given (format amounts and ratios in the notebook,
        e.g. ``{"Attainment": "82%", "Closed": "$1.2M"}``); numbers are shown with thousands separators.
    alerts : strings, or mappings with ``message`` and ``level`` (``info`` / ``warning`` / ``critical``).

    Returns None, so a trailing ``record(...)`` adds nothing to the cell's visible output.
    """
    # Headlines as a list of pairs: notebook JSON is written with sorted keys, a list keeps the given order.
    pairs = [[mask(str(label)), mask(value) if isinstance(value, str) else value]
             for label, value in dict(headlines or {}).items()]
    shown = [{**a, "message": mask(a["message"])} for a in normalise_alerts(alerts or ())]
    payload = {"headlines": pairs, "alerts": shown}
    payload = json.loads(json.dumps(payload, default=_jsonable))
    lines = [f"{k}: {v}" for k, v in payload["headlines"]] + [f"ALERT: {a['message']}" for a in payload["alerts"]]
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover - outside IPython there is nothing to display
        return
    display({RECORD_MIME: payload, "text/plain": "Recorded for the pack index:\n" + "\n".join(lines)},
            raw=True, metadata={"quotabook": "record"})
