"""``manifest.json``: what a pack was built from and what happened, machine-readable.

It records the inputs (a fingerprint of everything the runs read: data files or database tables, workbook,
currency rates, notebooks, the quotabook package; see :mod:`.fingerprint`), the parameters, package versions,
and per run the status, error, headline figures, alerts, timings, output files and fingerprint; per region
the PDF. The index page is rendered from it alone, and ``--resume`` reads it back to decide which runs can be
kept: a run is reused only if it succeeded with the same parameters and the same fingerprint, and its output
files are still there; every other run is executed again, with the reason recorded (``rerun_reason``). Nothing
secret is stored: the data entry is a folder path, ``"demo"`` or ``env:VAR`` (connection strings are refused
at planning).
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from ..privacy import mask_tree
from .execute import RunOutcome
from .files import atomic_write_text
from .fingerprint import describe_inputs, file_sha256, rerun_reason, run_fingerprint
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


def run_entry(run: Run, outcome: RunOutcome, inputs: dict, *, print_charts: bool = True) -> dict:
    """The manifest entry of one finished run (output paths relative to the pack folder); ``print_charts``:
    whether its charts were drawn with their print variants (:mod:`quotabook.charts.printed`), which a PDF needs."""
    return {
        "region": run.region, "slug": run.slug, "notebook": run.stem, "title": run.title,
        "parameters": dict(run.parameters),
        "notebook_sha256": inputs["notebooks"][run.stem], "data_sha256": inputs["data_sha256"],
        "fingerprint": run_fingerprint(inputs, run.stem),
        "status": outcome.status,
        "failure": asdict(outcome.failure) if outcome.failure else None,
        "headlines": outcome.headlines, "alerts": outcome.alerts, "figures": outcome.figures,
        "timings": outcome.timings, "started_at": outcome.started_at,
        "outputs": {kind: f"{run.slug}/{name}" for kind, name in outcome.outputs.items()},
        "network_refs": outcome.network_refs, "reused": False, "print_charts": print_charts,
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


def _why_rerun(run: Run, entry: dict | None, old_inputs: dict, inputs: dict, out_dir: Path,
               formats: tuple[str, ...]) -> str | None:
    """Why ``run`` must execute again rather than keep ``entry`` (None: keep it)."""
    if not entry:
        return "not in the previous build"
    if entry.get("status") != "ok":
        return f"it {entry.get('status') or 'did not finish'} in the previous build"
    # Inputs first: changed data also moves the pack's as-of date (its latest event), and the data is the cause.
    if reason := rerun_reason(entry, run.stem, old_inputs, inputs):
        return reason
    parameters = mask_tree(dict(run.parameters))  # the manifest holds them masked (see privacy.mask_tree)
    if entry.get("parameters") != parameters:
        old = entry.get("parameters") or {}
        changed = sorted(k for k in set(old) | set(parameters) if old.get(k) != parameters.get(k))
        return f"parameters changed ({', '.join(changed)})"
    if "pdf" in formats and entry.get("print_charts") is False:  # an entry without the key had them
        return "its charts were drawn without their print variants (the previous build printed no PDF)"
    needed = ["ipynb"] + (["html"] if "html" in formats else [])
    outputs = entry.get("outputs") or {}
    if missing := [kind for kind in needed if kind not in outputs or not (out_dir / outputs[kind]).is_file()]:
        return f"its {' and '.join(missing)} output is missing"
    return None


def select_runs(plan: Plan, previous: dict | None, inputs: dict) -> tuple[list[Run], dict[str, dict], dict[str, str]]:
    """Split the plan for ``--resume``: runs to execute, reusable entries of the previous manifest, and for each
    run to execute the reason it cannot be kept (in words, for the CLI and the manifest).

    Without a previous manifest every run executes.
    """
    old = (previous or {}).get("runs", {})
    old_inputs = (previous or {}).get("inputs") or {}
    todo: list[Run] = []
    kept: dict[str, dict] = {}
    reasons: dict[str, str] = {}
    for run in plan.runs:
        entry = old.get(run.key)
        if previous is not None and (reason := _why_rerun(run, entry, old_inputs, inputs, plan.out_dir,
                                                           plan.formats)) is None:
            kept[run.key] = {**entry, "reused": True, "rerun_reason": None}
        else:
            todo.append(run)
            reasons[run.key] = reason if previous is not None else "no previous build to resume"
    return todo, kept, reasons
