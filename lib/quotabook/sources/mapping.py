"""Column mappings: read CRM exports (Salesforce, HubSpot, any CSV/Parquet) into the canonical tables.

A mapping is a YAML file in ``params/sources/`` (see ``salesforce.yaml`` and ``hubspot.yaml``)::

    label: Salesforce export
    folder: ../../data/salesforce       # where the export files are, relative to this file
    extends: other.yaml                 # optional: start from another mapping and override keys
    currency: {rates: ../currency_rates.yaml}   # optional; default params/currency_rates.yaml
    lookups:                            # side tables for derived columns
      users: {file: "*User.csv", key: Id, value: Name, optional: true}
    tables:
      opportunities:
        file: "*Opportunity.csv"        # a path or a glob, relative to ``folder``
        delimiter: ","                  # encoding: utf-8 (a BOM is handled), date_format: "%m/%d/%Y"
        columns: {opportunity_id: [Id, Name], stage: StageName}   # canonical: export column(s), first found
        values: {stage: {Prospecting: Qualification, "*": null}}  # "*" catches every other value
        dates: {close_date: "%d/%m/%Y"}  # per-column formats; ISO and Excel serial numbers always work
        scale: {probability: 100}        # multiply (HubSpot's 0-1 probability -> 0-100)
        constants: {currency: EUR}
        derive:                          # fills a column only when the export lacks it
          is_closed: {stage_flag: is_closed}
          territory: {lookup: territories, match: owner, key: owner, value: territory}
          owner: {lookup: users, match: OwnerId, unmatched: keep}     # unmatched: reject | keep | blank
          activity_id: {row_id: "task-"}
        fill:                            # per row: a blank cell takes a value, filled cells are counted
          amount: {lookup: list_prices, match: Product, only_open: true}  # the product's list price
          forecast_category: {constant: Pipeline}                       # a constant
          close_date: {column: ExpectedCloseDate}                          # another column of the row
      activities:
        parts: [{file: "*Task.csv", ...}, {file: "*Event.csv", ...}]   # several exports, one table
      territories: {from: opportunities, columns: {territory: territory}, constants: {region: All}}

``fill`` differs from ``constants`` and ``derive``, which set a whole column: it touches only the blank
cells of a column (or every cell, when the export lacks the column) and leaves given values alone. Each
fill is exactly one of ``constant``, ``column`` (the same row's value of another export or
canonical column) or ``lookup`` (a value from a ``lookups`` side table or a canonical table, found by
``match``, with ``key`` / ``value`` as for ``derive``); ``only_open: true`` (opportunities only) fills open
deals alone, so a closed deal's booked value is never an estimate. A cell the fill cannot supply (no match
in the lookup) stays blank and is treated as any blank is. Filled cells are read like the export's own
(``$1,234.50``, dates in ``date_format``) and counted: ``quotabook validate`` lists them and the reports
say so in a data note.

This module reads and checks the mapping file: mistakes raise :class:`~quotabook.errors.ConfigError`
naming the file and the key. :mod:`quotabook.sources.exports` reads the exports it names.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..schemas import TABLES
from ..yaml_files import safe_load

__all__ = ["Mapping", "check_mapping", "find_files", "load_mapping", "table_order"]

_TOP_KEYS = {"label", "folder", "extends", "currency", "lookups", "tables", "description"}
_PART_KEYS = {"file", "from", "delimiter", "encoding", "date_format", "decimal", "columns", "values", "dates",
              "scale", "constants", "derive", "fill", "optional"}
_TABLE_KEYS = _PART_KEYS | {"parts"}
_LOOKUP_KEYS = {"file", "key", "value", "delimiter", "encoding", "optional"}
_DERIVE_KINDS = {"stage_flag", "lookup", "row_id", "copy"}
_STAGE_FLAGS = {"is_closed", "is_won", "probability", "funnel_step", "order"}
_FILL_KINDS = {"constant", "column", "lookup"}
_FILL_KEYS = {"constant": {"constant", "only_open"}, "column": {"column", "only_open"},
              "lookup": {"lookup", "match", "key", "value", "only_open"}}


@dataclass
class Mapping:
    """A parsed mapping file: ``raw`` is the merged YAML, ``file`` where it came from, ``folder`` where
    the export files are."""

    file: Path
    folder: Path
    raw: dict

    @property
    def label(self) -> str:
        return str(self.raw.get("label") or self.file.stem)


# -- the mapping file ---------------------------------------------------------------------------------
def _fail(file: Path, key: str, message: str) -> ConfigError:
    return ConfigError(message, file=str(file), key=key)


def _read_yaml(path: Path) -> dict:
    try:
        raw = safe_load(path.read_text(encoding="utf-8"), file=path)
    except FileNotFoundError:
        raise ConfigError("mapping file not found", file=str(path)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from None
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping with a 'tables' key at the top level", file=str(path))
    return raw


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def load_mapping(path: str | Path, _seen: tuple = ()) -> Mapping:
    """Read, merge (``extends``) and check a mapping file. Raises ConfigError with file and key."""
    path = Path(path).expanduser().resolve()
    if path in _seen:
        raise _fail(path, "extends", "mappings extend each other in a loop")
    raw = _read_yaml(path)
    folder = path.parent / str(raw.get("folder", "."))
    if "extends" in raw:
        parent = load_mapping(path.parent / str(raw["extends"]), (*_seen, path))
        if "folder" not in raw:
            folder = parent.folder
        raw = _merge(parent.raw, {k: v for k, v in raw.items() if k != "extends"})
        raw.pop("extends", None)
    mapping = Mapping(path, folder.resolve(), raw)
    check_mapping(mapping)
    return mapping


def check_mapping(mapping: Mapping) -> None:
    """Every rule a mapping file must follow; the first broken one raises ConfigError (file, key, reason)."""
    raw, file = mapping.raw, mapping.file
    for key in raw:
        if key not in _TOP_KEYS:
            raise _fail(file, key, f"unknown key (allowed: {', '.join(sorted(_TOP_KEYS))})")
    currency = raw.get("currency") or {}
    if not isinstance(currency, dict) or set(currency) - {"rates"}:
        raise _fail(file, "currency", "expected {rates: <file path or {base:, rates: {CODE: rate}}>}")
    tables = raw.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise _fail(file, "tables", "required: a mapping of canonical table name -> export")
    lookups = raw.get("lookups") or {}
    if not isinstance(lookups, dict):
        raise _fail(file, "lookups", "expected a mapping of name -> {file, key, value}")
    for name, spec in lookups.items():
        where = f"lookups.{name}"
        if not isinstance(spec, dict):
            raise _fail(file, where, "expected a mapping with file, key and value")
        for key in spec:
            if key not in _LOOKUP_KEYS:
                raise _fail(file, f"{where}.{key}", f"unknown key (allowed: {', '.join(sorted(_LOOKUP_KEYS))})")
        for key in ("file", "key", "value"):
            if key not in spec:
                raise _fail(file, f"{where}.{key}", "required key is missing")
        _check_delimiter(file, where, spec)
    for name, spec in tables.items():
        if name not in TABLES:
            raise _fail(file, f"tables.{name}", f"not a canonical table (known: {', '.join(TABLES)})")
        if not isinstance(spec, dict):
            raise _fail(file, f"tables.{name}", "expected a mapping with at least 'file' or 'parts'")
        for key in spec:
            if key not in _TABLE_KEYS:
                raise _fail(file, f"tables.{name}.{key}", f"unknown key (allowed: {', '.join(sorted(_TABLE_KEYS))})")
        parts = spec.get("parts", [spec])
        if not isinstance(parts, list) or not parts:
            raise _fail(file, f"tables.{name}.parts", "expected a non-empty list of exports")
        for i, part in enumerate(parts):
            where = f"tables.{name}.parts[{i}]" if "parts" in spec else f"tables.{name}"
            _check_part(mapping, name, part, where, set(lookups))
    for name in (n for n, t in TABLES.items() if t.required_table):
        if name not in tables:
            raise _fail(file, f"tables.{name}", "required table is not mapped")
    table_order(mapping)


def _check_delimiter(file: Path, where: str, spec: dict) -> None:
    delim = spec.get("delimiter", ",")
    if not isinstance(delim, str) or len(delim) != 1:
        raise _fail(file, f"{where}.delimiter", f"must be one character such as ',' ';' or a tab, got {delim!r}")


def _check_part(mapping: Mapping, table: str, part: Any, where: str, lookups: set[str]) -> None:
    file = mapping.file
    if not isinstance(part, dict):
        raise _fail(file, where, "expected a mapping with 'file' or 'from'")
    for key in part:
        if key not in _PART_KEYS:
            raise _fail(file, f"{where}.{key}", f"unknown key (allowed: {', '.join(sorted(_PART_KEYS))})")
    if ("file" in part) == ("from" in part):
        raise _fail(file, where, "give exactly one of 'file' (an export) or 'from' (another canonical table)")
    if "file" in part and not isinstance(part["file"], str):
        raise _fail(file, f"{where}.file", f"expected a file name or glob, got {part['file']!r}")
    if "from" in part and part["from"] not in TABLES:
        raise _fail(file, f"{where}.from", f"not a canonical table: {part['from']!r}")
    _check_delimiter(file, where, part)
    if part.get("decimal", ".") not in (".", ","):
        raise _fail(file, f"{where}.decimal", "must be '.' or ','")
    canonical = {c.name for c in TABLES[table].columns}
    for key in ("columns", "values", "dates", "scale", "constants", "derive", "fill"):
        section = part.get(key) or {}
        if not isinstance(section, dict):
            raise _fail(file, f"{where}.{key}", "expected a mapping keyed by canonical column")
        for column, value in section.items():
            if column not in canonical:
                raise _fail(file, f"{where}.{key}.{column}",
                            f"not a column of {table} (known: {', '.join(sorted(canonical))})")
            if key == "columns" and not (isinstance(value, str) or (isinstance(value, list) and value
                                                                    and all(isinstance(v, str) for v in value))):
                raise _fail(file, f"{where}.columns.{column}", "expected an export column name or a list of them")
            if key == "values" and not isinstance(value, dict):
                raise _fail(file, f"{where}.values.{column}", "expected a mapping of export value -> canonical value")
            if key == "scale" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
                raise _fail(file, f"{where}.scale.{column}", f"expected a number, got {value!r}")
            if key == "derive":
                _check_derive(file, f"{where}.derive.{column}", value, lookups)
            if key == "fill":
                _check_fill(file, f"{where}.fill.{column}", value, lookups, table)


def _check_derive(file: Path, where: str, spec: Any, lookups: set[str]) -> None:
    if not isinstance(spec, dict) or len(set(spec) & _DERIVE_KINDS) != 1:
        raise _fail(file, where, f"expected exactly one of {', '.join(sorted(_DERIVE_KINDS))}")
    if "stage_flag" in spec and spec["stage_flag"] not in _STAGE_FLAGS:
        raise _fail(file, f"{where}.stage_flag", f"must be one of {', '.join(sorted(_STAGE_FLAGS))}")
    if "lookup" in spec:
        target = spec["lookup"]
        if target not in lookups and target not in TABLES:
            raise _fail(file, f"{where}.lookup", f"{target!r} is neither in lookups nor a canonical table")
        if "match" not in spec:
            raise _fail(file, f"{where}.match", "required: the column whose values are looked up")
        if spec.get("unmatched", "reject") not in ("reject", "keep", "blank"):
            raise _fail(file, f"{where}.unmatched", "must be reject, keep or blank")
        if target in TABLES and not {"key", "value"} <= set(spec):
            raise _fail(file, where, "a lookup in a canonical table needs key and value columns")


def _check_fill(file: Path, where: str, spec: Any, lookups: set[str], table: str) -> None:
    """A per-row fill: exactly one of constant / column / lookup, and only the keys its kind takes."""
    if not isinstance(spec, dict) or len(set(spec) & _FILL_KINDS) != 1:
        raise _fail(file, where, "expected exactly one of constant (a value), column (another column of the row) "
                                 "or lookup (a side table), e.g. {constant: Pipeline}")
    kind = next(k for k in spec if k in _FILL_KINDS)
    allowed = _FILL_KEYS[kind]
    for key in spec:
        if key not in allowed:
            raise _fail(file, f"{where}.{key}", f"not a key of a {kind} fill (allowed: {', '.join(sorted(allowed))})")
    if "only_open" in spec:
        if not isinstance(spec["only_open"], bool):
            raise _fail(file, f"{where}.only_open", f"expected true or false, got {spec['only_open']!r}")
        if table != "opportunities":
            raise _fail(file, f"{where}.only_open", "only opportunities have open and closed rows")
    if kind == "constant" and (spec["constant"] is None or isinstance(spec["constant"], (dict, list))):
        raise _fail(file, f"{where}.constant", f"expected a single value, got {spec['constant']!r}")
    if kind == "column" and not isinstance(spec["column"], str):
        raise _fail(file, f"{where}.column", f"expected a column name, got {spec['column']!r}")
    if kind == "lookup":
        target = spec["lookup"]
        if target not in lookups and target not in TABLES:
            raise _fail(file, f"{where}.lookup", f"{target!r} is neither in lookups nor a canonical table")
        if not isinstance(spec.get("match"), str):
            raise _fail(file, f"{where}.match", "required: the column of the row whose value is looked up")
        if target in TABLES and not {"key", "value"} <= set(spec):
            raise _fail(file, where, "a lookup in a canonical table needs key and value columns")


def _deps(name: str, spec: dict) -> set[str]:
    deps = set()
    for part in spec.get("parts", [spec]):
        if "from" in part:
            deps.add(part["from"])
        for how in (*(part.get("derive") or {}).values(), *(part.get("fill") or {}).values()):
            if how.get("lookup") in TABLES:
                deps.add(how["lookup"])
    return deps - {name}


def table_order(mapping: Mapping) -> list[str]:
    """Tables in an order where every table comes after those it is derived or looked up from."""
    tables = mapping.raw["tables"]
    deps = {name: _deps(name, spec) for name, spec in tables.items()}
    for name, needs in deps.items():
        for need in needs:
            if need not in tables:
                raise _fail(mapping.file, f"tables.{name}", f"uses table {need!r}, which the mapping does not map")
    order: list[str] = []
    while len(order) < len(tables):
        ready = [n for n in tables if n not in order and deps[n] <= set(order)]
        if not ready:
            left = ", ".join(n for n in tables if n not in order)
            raise _fail(mapping.file, "tables", f"tables depend on each other in a loop: {left}")
        order.extend(ready)
    return order


def find_files(mapping: Mapping, pattern: str) -> list[Path]:
    """Export files matching ``pattern`` (a path or glob) in the mapping's folder."""
    full = mapping.folder / pattern
    if glob.has_magic(pattern):
        return sorted(Path(p) for p in glob.glob(str(full)))
    return [full] if full.is_file() else []
