"""Test helpers others can build on: realistic data that is not the demo.

- :func:`crm_export` — a small, deterministic export of another CRM (its own stage names, 2014-2016 dates,
  lost deals at amount 0, open deals, blanks) with every optional table; :class:`Export` drops tables or
  columns and writes the folder plus the workbook that maps its stages.
- :func:`build_dataset`, :func:`deal`, :func:`targets`, :func:`frame` — a Dataset from rows or CSV text written
  in a test, for hand-worked examples (:mod:`quotabook.testing.inline`).

Nothing here is imported by the library itself: it exists for tests, benchmarks and worked examples.
"""

from .exports import OPTIONAL_TABLES, STAGES, Export, crm_export
from .inline import (
    EVIDENCE_OK,
    OWNERS,
    TERRITORIES,
    build_dataset,
    deal,
    frame,
    inline_dataset,
    stage_map,
    targets,
    wide,
)

__all__ = ["EVIDENCE_OK", "OPTIONAL_TABLES", "OWNERS", "STAGES", "TERRITORIES", "Export", "build_dataset",
           "crm_export", "deal", "frame", "inline_dataset", "stage_map", "targets", "wide"]
