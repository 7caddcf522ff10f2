"""Pack throughput on a 40-territory organisation: notebooks per minute against the naive sequential CLIs, and
where the time goes.

    .venv/bin/python benchmarks/pack_throughput.py [--territories 40] [--baseline-runs 7] [--json FILE]

In one run it:

1. generates the organisation once (``quotabook demo --scale 40``: 40 territories in ~10 regions, cached in
   ``~/.cache/quotabook/bench-<N>``);
2. builds the real quarterly pack for 2026-Q3 (the seven themed notebooks for every region and the whole
   organisation, HTML and one PDF per region) with ``quotabook pack``, timed as a whole subprocess;
3. runs ``--baseline-runs`` of the same notebook runs (one region's seven by default) the naive way, one
   after another: the ``papermill`` CLI, then ``jupyter nbconvert --to html --no-input``. The baseline is a
   sample, not the whole pack (it would take the better part of an hour): both sides are compared as
   notebooks per minute, which a sample measures fairly since every run does the same kind of work.

Where the time goes is read from the pack's own records, per run: the kernel start and papermill's overhead
(execution wall time minus the time inside cells), the first code cell's imports and data load (the
``start(...)`` cell; split into imports and loading by timing both once more in a fresh process whose region
is already in the pack's cache, as it is for all but a region's first notebook), the rest
of the cells (computing and drawing), the HTML export, and the PDF printing (manifest). Sums are CPU-side
seconds over all runs; with two workers the wall time is about half.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from pack_benchmark import BIN, ROOT, baseline, pack

PERIOD = "2026-Q3"


def organisation(territories: int) -> Path:
    """The ``--scale`` organisation, generated once and reused by later runs."""
    folder = Path.home() / ".cache" / "quotabook" / f"bench-{territories}"
    if not (folder / "opportunities.parquet").is_file():
        subprocess.run([str(BIN / "quotabook"), "demo", "--scale", str(territories), "--out", str(folder)],
                       check=True, stdout=subprocess.DEVNULL)
    return folder


def regions(folder: Path) -> list[str]:
    sys.path.insert(0, str(ROOT / "lib"))
    from quotabook.pack.plan import data_regions

    return data_regions(folder)


def import_and_load(data: Path, region: str) -> tuple[float, float]:
    """Seconds to import the notebook module, then to load one region, in a fresh process (as a kernel does)
    whose region data is already in the pack's cache (as for all but the first notebook of a region)."""
    code = ("import time; t = time.perf_counter(); from quotabook.notebook import start; i = time.perf_counter() - t;"
            f"t = time.perf_counter(); start({region!r}, {PERIOD!r}, None, {str(data)!r});"
            "print(i, time.perf_counter() - t)")
    with tempfile.TemporaryDirectory(prefix="qb-cache-") as cache:
        env = {**os.environ, "QUOTABOOK_CACHE_DIR": cache}
        for _ in range(2):  # the first run fills the cache, the second is measured
            out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT,
                                 env=env)
    first, second = out.stdout.split()[-2:]
    return float(first), float(second)


def breakdown(pack_dir: Path, import_share: float) -> dict[str, float]:
    """Seconds per phase summed over the pack's runs (see the module docstring)."""
    manifest = json.loads((pack_dir / "manifest.json").read_text(encoding="utf-8"))
    phases = dict.fromkeys(["kernel start + papermill", "imports", "data load", "cells (compute + charts)",
                            "HTML export", "PDF printing"], 0.0)
    for key, run in manifest["runs"].items():
        nb = json.loads((pack_dir / f"{key}.ipynb").read_text(encoding="utf-8"))
        cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
        durations = [float(c["metadata"].get("papermill", {}).get("duration") or 0.0) for c in cells]
        first = next(i for i, c in enumerate(cells) if "start(" in "".join(c["source"]))
        phases["kernel start + papermill"] += max(run["timings"].get("execute", 0.0) - sum(durations), 0.0)
        phases["imports"] += durations[first] * import_share
        phases["data load"] += durations[first] * (1 - import_share)
        phases["cells (compute + charts)"] += sum(durations) - durations[first]
        phases["HTML export"] += run["timings"].get("html", 0.0)
    phases["PDF printing"] = float(manifest.get("timings", {}).get("pdf", 0.0))
    return phases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=40)
    parser.add_argument("--baseline-runs", type=int, default=7, help="naive CLI runs to time (default 7)")
    parser.add_argument("--workers", type=int, help="pack workers (default: one per core)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    data = organisation(args.territories)
    names = regions(data)
    pack_yaml = ROOT / "params" / "packs" / "quarterly.yaml"
    stems = list(yaml.safe_load(pack_yaml.read_text(encoding="utf-8"))["notebooks"])
    runs = len(stems) * (len(names) + 1)
    print(f"{args.territories} territories in {len(names)} regions: {len(stems)} notebooks x {len(names) + 1} "
          f"(regions + the whole organisation) = {runs} runs; {os.cpu_count()} cores; Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="qb-throughput-") as tmp:
        work = Path(tmp)
        formats = "html,pdf" if Path("/usr/bin/chromium").is_file() else "html"
        wall = pack(ROOT / "notebooks", pack_yaml, str(data), work / "pack", formats, args.workers, PERIOD)
        pack_rate = runs / (wall / 60)
        print(f"pack ({formats}): {runs} runs in {wall:.1f} s = {pack_rate:.1f} notebooks per minute", flush=True)

        sample = [(region, stem) for region in names for stem in stems][: max(args.baseline_runs, 1)]
        (work / "baseline").mkdir()
        start = time.perf_counter()
        for region, stem in sample:
            baseline(ROOT / "notebooks", [stem], [region], str(data), work / "baseline", PERIOD)
        base_wall = time.perf_counter() - start
        base_rate = len(sample) / (base_wall / 60)
        print(f"baseline (papermill CLI + nbconvert CLI, sequential): {len(sample)} runs in {base_wall:.1f} s = "
              f"{base_rate:.1f} notebooks per minute (HTML only)", flush=True)
        print(f"throughput ratio pack / baseline: {pack_rate / base_rate:.1f}x", flush=True)

        imports, load = import_and_load(data, names[0])
        phases = breakdown(work / "pack" / PERIOD, imports / (imports + load))
        total = sum(phases.values())
        print(f"\nwhere the time goes (seconds summed over the {runs} runs; imports/load split measured once: "
              f"{imports:.1f} s / {load:.1f} s)")
        for phase, seconds in phases.items():
            print(f"  {phase:<28} {seconds:8.1f} s  {seconds / total:6.1%}")
        results = {"territories": args.territories, "regions": len(names), "runs": runs, "pack_wall_s": wall,
                   "pack_notebooks_per_min": pack_rate, "baseline_runs": len(sample), "baseline_wall_s": base_wall,
                   "baseline_notebooks_per_min": base_rate, "ratio": pack_rate / base_rate, "phases_s": phases,
                   "cores": os.cpu_count(), "load_average": os.getloadavg()[0]}
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
