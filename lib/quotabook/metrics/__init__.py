"""The metric catalog: every metric declared once (``catalog.yaml``), validated and rendered as a glossary."""

from .catalog import Alert, Benchmark, Catalog, Metric, load_catalog, validate

__all__ = ["Alert", "Benchmark", "Catalog", "Metric", "load_catalog", "validate"]
