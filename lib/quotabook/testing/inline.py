"""A Dataset straight from rows written in a test, for hand-worked examples."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ..dataset import Dataset, canonical_table
from ..schemas import TABLES
from ..settings import Settings, load_settings

__all__ = ["inline_dataset"]


def inline_dataset(tables: Mapping[str, object], *, as_of: str | None = None,
                   settings: Settings | None = None) -> Dataset:
    """The canonical tables from ``tables`` (name → rows as dicts or a DataFrame; None: the source lacks it), taken
    as they stand on ``as_of`` (the report date). Not validated: for examples whose rows are right by hand."""
    frames = {name: canonical_table(name, tables.get(name)) for name in TABLES}
    return Dataset(**frames, settings=settings or load_settings(),
                   present=frozenset(n for n, rows in tables.items() if rows is not None), source="inline",
                   as_of_date=pd.Timestamp(as_of) if as_of else None)
