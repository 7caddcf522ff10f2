"""Measure functions, one module per theme. Importing this package registers every measure."""

from . import target_achievement  # noqa: F401
