"""The funnel theme's presentation (notebook 02_funnel): ``data`` (tables built from the
catalog's metrics), ``charts`` (the house chart style) and ``text`` (the findings and captions the page reads).

A theme never imports another theme: what themes share lives below them (``quotabook.text``, ``quotabook.style``,
``quotabook.charts``, ``quotabook.trends``). ``TITLE`` and ``NUMBER`` make this package one of
:data:`quotabook.metrics.rules.THEMES` (read as text, not imported, by the metrics layer).
"""

TITLE = "Funnel"
NUMBER = 2
