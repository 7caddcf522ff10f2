"""The findings each themed notebook opens with: three to five sentences computed from the metrics.

One module per theme (``quotabook.themes.<theme>.text``), each with a function that takes a
:class:`quotabook.notebook.Report` and returns the sentences (most important first) plus the headline
figures and alerts the notebook records for the pack index. Keeping the wording here, not in the
notebook, means every sentence is tested against hand-built data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .headlines import record

__all__ = ["Findings"]


@dataclass
class Findings:
    """What a notebook opens with and hands to the pack index.

    sentences : three to five plain-language findings, most important first, numbers formatted.
    headlines : label -> formatted value for the pack index (two to four), e.g. ``{"Attainment": "82%"}``.
    alerts : alert messages fired (catalog alert thresholds), each a string or ``{"message", "level"}``.
    """

    sentences: list[str]
    headlines: dict[str, str] = field(default_factory=dict)
    alerts: list = field(default_factory=list)

    def show(self, report, title: str = "What matters this period"):
        """Record headlines and alerts for the pack index and return the findings as Markdown to display."""
        record(self.headlines, alerts=self.alerts)
        return report.findings(self.sentences, title=title)
