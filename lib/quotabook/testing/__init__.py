"""Test helpers others can build on: realistic data that is not the demo.

- :func:`crm_export` — a small, deterministic export of another CRM (its own stage names, 2014-2016 dates,
  lost deals at amount 0, open deals, blanks) with every optional table; :class:`Export` drops tables or
  columns and writes the folder plus the workbook that maps its stages.
- :func:`inline_dataset` — a Dataset from rows written in a test, for hand-worked examples.

Nothing here is imported by the library itself: it exists for tests, benchmarks and worked examples.
"""

from .exports import OPTIONAL_TABLES, STAGES, Export, crm_export
from .inline import inline_dataset

__all__ = ["OPTIONAL_TABLES", "STAGES", "Export", "crm_export", "inline_dataset"]
