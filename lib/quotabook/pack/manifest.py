"""``manifest.json``: what a pack was built from and what happened, machine-readable.

It records the inputs (data folder, SHA-256 of every table file and of every notebook), the parameters,
package versions, and per run the status, error, headline figures, alerts, timings and output files;
per region the PDF. The index page is rendered from it alone, and ``--resume`` reads it back to decide
which runs can be kept: a run is reused only if it succeeded with the same parameters, the same notebook
and the same data, and its output files are still there. Nothing secret is stored: the data entry is a
folder path or ``"demo"`` (connection strings are refused at planning).
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from .execute import RunOutcome
from .files import atomic_write_text
from .plan import Plan, Run

__all__ = [
    "MANIFEST",
    "SCHEMA",
    "describe_inputs",
    "file_sha256",
    "new_manifest",
    "read_manifest",
    "run_entry",
    "select_runs",
    "versions",
    "write_manifest",
]

MANIFEST = "manifest.json"
SCHEMA = 1
_PACKAGES = ("quotabook", "papermill", "nbconvert", "nbclient", "nbformat", "ipykernel", "jupyter_client",
             "pandas", "numpy", "matplotlib", "playwright", "tqdm")


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB blocks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_inputs(plan: Plan) -> dict:
    """Data folder and hashes: one per table file, one over all of them, one per notebook."""
    from ..loading import find_table_files

    folder = plan.data_folder
    if folder is None:  # env:VAR: a live database, nothing local to hash (and the URL is never recorded)
        paths = []
    elif folder.is_file():  # a DuckDB file or a source mapping YAML
        paths = [folder]
    else:
        paths = sorted(find_table_files(folder).values())
    files = {path.name: file_sha256(path) for path in paths}
    combined = hashlib.sha256("".join(f"{n}:{h}\n" for n, h in files.items()).encode()).hexdigest()
    notebooks = {run.stem: file_sha256(run.notebook) for run in plan.runs}
    return {"data": plan.data, "data_folder": None if folder is None else str(folder), "data_sha256": combined,
            "data_files": files, "notebooks": notebooks, "pack_file": str(plan.spec.file)}


def versions(browser: str | None = None) -> dict:
    """Python, platform and package versions (``None`` for a package that is not installed)."""
    found: dict[str, str | None] = {"python": platform.python_version(), "platform": platform.platform()}
    for name in _PACKAGES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    if browser:
        found["chromium"] = browser
    return found


def new_manifest(plan: Plan, inputs: dict, *, workers: int, resume: bool) -> dict:
    """The manifest skeleton for ``plan``; runs and regions are filled in as they finish."""
    return {
        "schema": SCHEMA,
        "pack": plan.spec.name,
        "title": plan.spec.title,
        "period": plan.period,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "inputs": inputs,
        "parameters": {"period": plan.period, "as_of": plan.as_of, "data": plan.data,
                       "regions": [name for name, _ in plan.regions],
                       "notebooks": list(dict.fromkeys(r.stem for r in plan.runs)),
                       "formats": list(plan.formats), "timeout": plan.timeout, "workers": workers, "resume": resume},
        "versions": versions(),
        "regions": [{"name": name, "slug": slug, "pdf": None} for name, slug in plan.regions],
        "runs": {},
        "timings": {},
        "summary": {},
    }


def run_entry(run: Run, outcome: RunOutcome, inputs: dict) -> dict:
    """The manifest entry of one finished run (output paths relative to the pack folder)."""
    return {
        "region": run.region, "slug": run.slug, "notebook": run.stem, "title": run.title,
        "parameters": dict(run.parameters),
        "notebook_sha256": inputs["notebooks"][run.stem], "data_sha256": inputs["data_sha256"],
        "status": outcome.status,
        "failure": asdict(outcome.failure) if outcome.failure else None,
        "headlines": outcome.headlines, "alerts": outcome.alerts,
        "timings": outcome.timings, "started_at": outcome.started_at,
        "outputs": {kind: f"{run.slug}/{name}" for kind, name in outcome.outputs.items()},
        "network_refs": outcome.network_refs, "reused": False,
        "log": f"logs/{run.slug}/{Path(outcome.log).name}" if outcome.log else None,
    }


def read_manifest(out_dir: Path) -> dict | None:
    """The manifest of an earlier build in ``out_dir``, or None if there is none or it is unreadable."""
    try:
        data = json.loads((Path(out_dir) / MANIFEST).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("schema") == SCHEMA else None


def write_manifest(out_dir: Path, manifest: dict) -> Path:
    """Write ``manifest.json`` atomically, with a summary of the run statuses."""
    runs = manifest["runs"].values()
    manifest["summary"] = {"runs": len(manifest["runs"]), "ok": sum(r["status"] == "ok" for r in runs),
                           "failed": sum(r["status"] != "ok" for r in runs),
                           "reused": sum(bool(r.get("reused")) for r in runs)}
    return atomic_write_text(Path(out_dir) / MANIFEST, json.dumps(manifest, indent=2, default=str) + "\n")


def _reusable(run: Run, entry: dict | None, inputs: dict, out_dir: Path, formats: tuple[str, ...]) -> bool:
    if not entry or entry.get("status") != "ok":
        return False
    if entry.get("parameters") != run.parameters:
        return False
    if entry.get("notebook_sha256") != inputs["notebooks"][run.stem] or entry.get("data_sha256") != inputs[
            "data_sha256"]:
        return False
    needed = ["ipynb"] + (["html"] if "html" in formats else [])
    outputs = entry.get("outputs") or {}
    return all(kind in outputs and (out_dir / outputs[kind]).is_file() for kind in needed)


def select_runs(plan: Plan, previous: dict | None, inputs: dict) -> tuple[list[Run], dict[str, dict]]:
    """Split the plan for ``--resume``: runs to execute, and reusable entries of the previous manifest.

    Without a previous manifest every run executes.
    """
    old = (previous or {}).get("runs", {})
    todo: list[Run] = []
    kept: dict[str, dict] = {}
    for run in plan.runs:
        entry = old.get(run.key)
        if _reusable(run, entry, inputs, plan.out_dir, plan.formats):
            kept[run.key] = {**entry, "reused": True}
        else:
            todo.append(run)
    return todo, kept
