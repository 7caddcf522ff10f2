"""Fingerprints of everything a pack's runs read, so ``--resume`` keeps a page only when none of it changed.

A run reads more than its notebook and a data folder: a mapping YAML reads its export files and the mapping it
``extends:``; a database (``duckdb:``, ``env:VAR``) has tables that change under the same name; the workbook
(``$QUOTABOOK_WORKBOOK`` or ``params/workbook.yaml``) sets the currency and the stage map, the currency rates
file converts amounts, and the quotabook package itself (its code and metric catalog) computes every figure.
Each of these is one *component* of a run's fingerprint:

``data``
    SHA-256 of every file the source reads (a folder's table files; a mapping's YAML chain, exports and rates
    file; a DuckDB file and its write-ahead log), or for a database its tables' row counts, latest modified
    times and content checksums (:func:`quotabook.sources.sql.table_fingerprints`); plus a user-declared
    snapshot id, when given, which alone stands for a database's tables.
``workbook``, ``currency_rates``
    SHA-256 of the settings file and of the rates file next to it.
``quotabook``
    the package version and a SHA-256 over its source and data files.
``notebook``
    SHA-256 of the run's notebook file.

:func:`rerun_reason` compares a previous run's fingerprint with the current one and says, in words, what
changed; a run is kept only when it says nothing. Nothing secret is stored: a database is named by its
``env:VAR`` and its URL with the password masked.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

__all__ = ["COMPONENTS", "data_files", "describe_inputs", "file_sha256", "package_fingerprint", "rerun_reason",
           "run_fingerprint"]

#: The parts of a run's fingerprint, in the order reasons are given.
COMPONENTS = ("data", "workbook", "currency_rates", "quotabook", "notebook")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest(items: dict) -> str:
    """One SHA-256 over a mapping of names to (JSON-able) values, independent of insertion order."""
    import json

    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()


def data_files(data: str, folder: Path | None) -> dict[str, Path]:
    """Every local file the source ``data`` reads, by the name the manifest gives it.

    A folder (or the demo): its table files. A mapping YAML: the YAML and each mapping it ``extends:``, every
    export and lookup file its patterns match, and a rates file it names. A DuckDB file: the file and its
    write-ahead log (``<file>.wal``, where recent writes live until a checkpoint). ``env:VAR``: none.
    """
    from ..loading import find_table_files

    if folder is None:
        return {}
    if folder.is_dir():
        return {path.name: path for path in sorted(find_table_files(folder).values())}
    if folder.suffix.lower() in (".yaml", ".yml"):
        return _mapping_files(folder)
    wal = folder.with_name(folder.name + ".wal")
    return {path.name: path for path in (folder, wal) if path.is_file()}


def _mapping_files(yaml_file: Path) -> dict[str, Path]:
    from ..sources.mapping import _read_yaml, find_files, load_mapping

    files: dict[str, Path] = {}
    chain, seen = yaml_file.resolve(), set()
    while chain not in seen:  # the YAML and the mappings it extends (load_mapping below refuses a loop)
        seen.add(chain)
        files[_name(chain, yaml_file.parent)] = chain
        raw = _read_yaml(chain)
        if "extends" not in raw:
            break
        chain = (chain.parent / str(raw["extends"])).resolve()
    mapping = load_mapping(yaml_file)
    patterns = [spec["file"] for spec in (mapping.raw.get("lookups") or {}).values() if isinstance(spec, dict)
                and "file" in spec]
    for spec in (mapping.raw.get("tables") or {}).values():
        for part in (spec.get("parts") or [spec]) if isinstance(spec, dict) else []:
            if isinstance(part, dict) and "file" in part:
                patterns.append(part["file"])
    for pattern in patterns:
        for path in find_files(mapping, str(pattern)):
            files[_name(path, yaml_file.parent)] = path.resolve()
    rates = (mapping.raw.get("currency") or {}).get("rates")
    if isinstance(rates, str) and (path := (mapping.file.parent / rates)).is_file():
        files[_name(path, yaml_file.parent)] = path.resolve()
    return files


def _name(path: Path, base: Path) -> str:
    try:
        return Path(path).resolve().relative_to(Path(base).resolve()).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def package_fingerprint() -> dict:
    """The quotabook version and a SHA-256 over the package's files (code, metric catalog, defaults): a page
    computed by other code is not the same page, even under the same version number."""
    from ..version import __version__, source_sha256

    return {"version": __version__, "sha256": source_sha256()}


def _settings_files(kernel_folder: Path) -> tuple[dict | None, dict | None]:
    """(workbook, currency rates) as a kernel started in ``kernel_folder`` finds them (kernels inherit
    ``$QUOTABOOK_WORKBOOK`` and otherwise search from their folder up): each ``{"file": path, "sha256": hash}``,
    or None."""
    from ..settings import find_workbook_file, load_settings
    from ..sources.currency import find_rates_file

    workbook = find_workbook_file(start=kernel_folder).resolve()
    rates = find_rates_file(load_settings(workbook))
    return ({"file": str(workbook), "sha256": file_sha256(workbook)} if workbook.is_file() else None,
            {"file": str(rates), "sha256": file_sha256(rates)} if rates and rates.is_file() else None)


def describe_inputs(plan, *, snapshot: str | None = None) -> dict:
    """Everything the plan's runs read, hashed: the manifest's ``inputs``.

    ``snapshot`` is a user-declared id of the data's state (e.g. the replication batch a database holds); when
    given, a database's tables are not queried and the id stands for them.
    """
    from ..sources.sql import source_label, table_fingerprints

    files = {name: file_sha256(path) for name, path in data_files(plan.data, plan.data_folder).items()}
    database = source_label(plan.data) if plan.data.startswith("env:") else None  # the URL, masked
    tables = table_fingerprints(plan.data) if database and snapshot is None else None
    data = {"source": plan.data, "database": database, "files": files, "tables": tables, "snapshot": snapshot}
    workbook, rates = _settings_files(plan.runs[0].notebook.parent if plan.runs else Path.cwd())
    package = package_fingerprint()
    notebooks = {run.stem: file_sha256(run.notebook) for run in plan.runs}
    return {"data": plan.data, "data_folder": None if plan.data_folder is None else str(plan.data_folder),
            "data_sha256": _digest(data), "data_files": files, "data_database": database, "data_tables": tables,
            "data_snapshot": snapshot,
            "workbook": workbook, "currency_rates": rates, "quotabook": package, "notebooks": notebooks,
            "pack_file": str(plan.spec.file)}


def run_fingerprint(inputs: dict, stem: str) -> dict[str, str | None]:
    """One run's fingerprint: a digest per :data:`COMPONENTS` entry."""
    return {"data": inputs["data_sha256"],
            "workbook": (inputs.get("workbook") or {}).get("sha256"),
            "currency_rates": (inputs.get("currency_rates") or {}).get("sha256"),
            "quotabook": _digest(inputs.get("quotabook") or {}),
            "notebook": inputs["notebooks"][stem]}


def rerun_reason(entry: dict, stem: str, old_inputs: dict, inputs: dict) -> str | None:
    """Why a run recorded as ``entry`` under ``old_inputs`` cannot be kept now, in words; None when nothing it
    reads changed. An entry without a fingerprint (an older manifest) is never kept."""
    old = entry.get("fingerprint")
    if not isinstance(old, dict):
        return "the previous build recorded no fingerprint of its inputs"
    new = run_fingerprint(inputs, stem)
    changed = [c for c in COMPONENTS if old.get(c) != new[c]]
    if not changed:
        return None
    return "; ".join(_explain(c, old_inputs, inputs) for c in changed)


def _explain(component: str, old: dict, new: dict) -> str:
    if component == "data":
        if old.get("data") != new["data"]:
            return f"the data source changed ({old.get('data')} → {new['data']})"
        if old.get("data_database") != new.get("data_database"):
            return f"the database changed ({old.get('data_database')} → {new.get('data_database')})"
        what = _changed_names(old.get("data_files") or {}, new.get("data_files") or {})
        what += [f"table {t}" for t in _changed_names(old.get("data_tables") or {}, new.get("data_tables") or {})]
        if old.get("data_snapshot") != new.get("data_snapshot"):
            what.append(f"snapshot {old.get('data_snapshot')} → {new.get('data_snapshot')}")
        return f"data changed ({', '.join(what[:5]) + (f' and {len(what) - 5} more' if len(what) > 5 else '')})" \
            if what else "data changed"
    if component == "quotabook":
        before, after = (old.get("quotabook") or {}).get("version"), new["quotabook"]["version"]
        return f"quotabook changed ({before} → {after})" if before != after else "quotabook's code changed"
    if component == "workbook":
        return f"the workbook changed ({(new.get('workbook') or {}).get('file')})"
    if component == "currency_rates":
        return f"the currency rates changed ({(new.get('currency_rates') or {}).get('file')})"
    return "the notebook changed"


def _changed_names(old: dict, new: dict) -> list[str]:
    return [name for name in sorted(set(old) | set(new)) if old.get(name) != new.get(name)]
