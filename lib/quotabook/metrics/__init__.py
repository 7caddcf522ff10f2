"""The metric catalog and its computation.

Every metric is declared once (``catalog.yaml``), validated and rendered as a glossary; simple metrics
are computed by the measure registered under their name (``measures/``), ratios and derived metrics by
``compute`` from their declaration.
"""

from . import measures  # noqa: F401  (registers every measure)
from .catalog import Alert, Benchmark, Catalog, Metric, load_catalog, validate
from .compute import MEASURES, Context, compute, compute_wide, measure

__all__ = ["MEASURES", "Alert", "Benchmark", "Catalog", "Context", "Metric", "compute", "compute_wide",
           "load_catalog", "measure", "validate"]
