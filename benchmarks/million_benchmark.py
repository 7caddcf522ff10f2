"""The million-deal organisation on one machine: generate it, load it, compute the whole catalog, build a pack.

    .venv/bin/python benchmarks/million_benchmark.py                         # ~1,000,000 deals
    .venv/bin/python benchmarks/million_benchmark.py --deals 200000          # a smaller rehearsal
    .venv/bin/python benchmarks/million_benchmark.py --data DIR --steps pack # one step of an existing organisation

Each step runs in its own process (a pack: its process tree) under ``/usr/bin/time -v`` and a watchdog that
samples the memory of the whole process tree (summed PSS) every ``--sample`` seconds and kills the tree past
``--limit-gb`` (default 14: the machine has 24 GB, shared), so that a step that outgrows the machine stops
with its figures instead of taking the machine down:

1. **generate** (once; reused when ``--data`` holds it): ``quotabook demo --deals N`` streams it to Parquet;
2. **district**: ``quotabook.load(folder)`` (activities past ``$QUOTABOOK_ACTIVITIES_IN_MEMORY`` rows stay in
   Parquet and are counted by DuckDB), then the core metrics and every catalog metric by district and by
   region (``benchmarks/metric_benchmark.py --phase quotabook``: seconds, CPU seconds and peak per step, the
   peak being the process's ``VmHWM``, reset between steps);
3. **region**: one region as a pack's run loads it, ``quotabook.load(folder, region=R)`` (only the region's
   rows of each file are read), then every catalog metric by territory;
4. **pack**: ``quotabook pack --regions R --formats html,pdf`` for that region, the pack's notebooks (summary
   and themed pages) and the region's PDF, as a manager would build it (planning reads the source's latest
   event first); the manifest's timings and each notebook's are printed.

Every step prints wall seconds, CPU seconds (user + system of the step's processes, children included) and
peak memory (``/usr/bin/time``'s largest single process, and the watchdog's sampled sum of PSS over the tree;
for the district step the per-step ``VmHWM`` is the figure: resetting it between steps also resets what
``/usr/bin/time`` reads);
``uptime`` is printed before and after each step: on a shared machine wall seconds move with the load, CPU
seconds and peak memory much less.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME = "/usr/bin/time"
STEPS = ("district", "region", "pack")


@dataclass
class Timed:
    """What one step's process tree took: its stdout, wall and CPU seconds, the peak of its largest process
    (``/usr/bin/time``), the sampled peak of the tree's summed memory (PSS), and whether the watchdog
    stopped it."""

    out: str
    err: str
    returncode: int
    wall: float
    cpu: float
    peak_mb: float
    tree_peak_mb: float
    killed: bool


def _children(pid: int) -> list[int]:
    """The direct children of ``pid`` (every thread's list, from /proc)."""
    kids: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                kids.extend(int(k) for k in f.read().split())
    except OSError:
        pass
    return kids


def tree_memory_mb(pid: int) -> float:
    """Memory (MB) of ``pid`` and all its descendants now, as their summed proportional set size (PSS: a page
    shared by n processes counts 1/n in each), so that pool workers forked from a big parent, which share its
    pages until they write them, are not counted once per worker."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo.extend(_children(p))
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()


def timed(cmd: list[str], limit_gb: float, sample_s: float = 1.0, env: dict | None = None) -> Timed:
    """Run ``cmd`` under ``/usr/bin/time -v`` in its own process group, watched: its tree is killed when its
    summed memory (:func:`tree_memory_mb`) passes ``limit_gb``."""
    start = time.perf_counter()
    proc = subprocess.Popen([TIME, "-v", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT, start_new_session=True, env=env)
    peak, killed, stop = [0.0], [False], threading.Event()

    def watch() -> None:
        while not stop.wait(sample_s):
            used = tree_memory_mb(proc.pid)
            peak[0] = max(peak[0], used)
            if used > limit_gb * 1024:
                killed[0] = True
                print(f"watchdog: {used:,.0f} MB > {limit_gb} GB, stopping {' '.join(cmd[:4])}", file=sys.stderr)
                os.killpg(proc.pid, signal.SIGKILL)
                return

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    out, err = proc.communicate()
    stop.set()
    watcher.join()
    wall = time.perf_counter() - start

    def field(name: str) -> float:
        found = re.search(rf"{re.escape(name)}: ([\d.]+)", err)
        return float(found.group(1)) if found else float("nan")

    return Timed(out, err, proc.returncode, wall, field("User time (seconds)") + field("System time (seconds)"),
                 field("Maximum resident set size (kbytes)") / 1024, peak[0], killed[0])


def _report(name: str, t: Timed) -> None:
    state = "STOPPED by the watchdog" if t.killed else ("ok" if t.returncode == 0 else f"FAILED ({t.returncode})")
    print(f"{name}: {state}; {t.wall:.1f}s wall, {t.cpu:.1f}s CPU, peak {t.peak_mb:,.0f} MB (largest process), "
          f"{t.tree_peak_mb:,.0f} MB (tree PSS, sampled); load now: {uptime()}", flush=True)
    if t.returncode:
        print(t.err[-3000:], file=sys.stderr)


def run_region(folder: str, period: str, region: str) -> dict:
    """Load one region (read in part) and compute the whole catalog by territory."""
    import warnings

    import quotabook
    from quotabook.activities import activity_rows
    from quotabook.metrics import compute, load_catalog

    warnings.simplefilter("ignore")
    catalog = load_catalog()
    start, cpu = time.perf_counter(), time.process_time()
    ds = quotabook.load(folder, region=region)
    loaded, loaded_cpu = time.perf_counter() - start, time.process_time() - cpu
    full = compute(list(catalog.names), ds, period, by="territory", catalog=catalog)
    return {"region": region, "load_s": loaded, "load_cpu_s": loaded_cpu,
            "catalog_s": time.perf_counter() - start - loaded, "catalog_cpu_s": time.process_time() - cpu - loaded_cpu,
            "metrics": int(full["metric"].nunique()), "deals": len(ds.opportunities), "activities": activity_rows(ds)}


def first_region(folder: str) -> str:
    """The first region by name of the organisation's territories."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    regions = pq.read_table(Path(folder) / "territories.parquet", columns=["region"])["region"]
    return sorted(pc.unique(regions.drop_null()).to_pylist())[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals in the organisation (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--period", default="2026-Q4",
                        help="the period of the metrics and the pack (default 2026-Q4: the generated data's quarter "
                             "in progress)")
    parser.add_argument("--data", help="folder of the organisation (default /tmp/quotabook-scale/d<deals>)")
    parser.add_argument("--region", help="region of the region and pack steps (default: the first by name)")
    parser.add_argument("--steps", default=",".join(STEPS), help=f"comma-separated, of {', '.join(STEPS)}")
    parser.add_argument("--limit-gb", type=float, default=14.0, help="stop a step past this much memory (default 14)")
    parser.add_argument("--sample", type=float, default=1.0, help="seconds between the watchdog's samples")
    parser.add_argument("--phase", choices=("region",), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.data = args.data or f"/tmp/quotabook-scale/d{args.deals}"
    if args.phase == "region":
        print(json.dumps(run_region(args.data, args.period, args.region)))
        return 0
    steps = args.steps.split(",")
    if unknown := set(steps) - set(STEPS):
        parser.error(f"unknown step(s) {', '.join(sorted(unknown))}: pick from {', '.join(STEPS)}")

    print("load before:", uptime(), flush=True)
    failed = False
    if not (Path(args.data) / "activity_goals.parquet").exists():
        t = timed([sys.executable, "-m", "quotabook", "demo", "--deals", str(args.deals), "--out", args.data,
                   "--seed", str(args.seed)], args.limit_gb, args.sample)
        _report("generate", t)
        if t.returncode:
            return 1
    region = args.region or first_region(args.data)
    with tempfile.TemporaryDirectory() as tmp:
        if "district" in steps:
            t = timed([sys.executable, str(ROOT / "benchmarks" / "metric_benchmark.py"), "--phase", "quotabook",
                       "--data", args.data, "--period", args.period, "--levels", "district,region", "--out",
                       str(Path(tmp) / "core.parquet")], args.limit_gb, args.sample)
            _report("district (load, then core metrics and the full catalog by district and by region)", t)
            failed |= bool(t.returncode)
            if not t.returncode:
                figures = json.loads(t.out.strip().splitlines()[-1])
                print("  rows " + ", ".join(f"{k} {v:,}" for k, v in figures["rows"].items())
                      + f"; activities on disk: {figures['activities_on_disk']}")
                for step, fig in figures["steps"].items():
                    print(f"  {step:<24}{fig['seconds']:>8.1f}s wall {fig['cpu_seconds']:>8.1f}s cpu "
                          f"{fig['peak_mb']:>8,.0f} MB peak {fig['after_mb']:>8,.0f} MB held after")
            else:  # the steps done before it failed or was stopped, as metric_benchmark printed them
                print("\n".join("  " + line for line in t.err.splitlines() if re.match(r"[\w ]+: seconds", line)))
        if "region" in steps:
            t = timed([sys.executable, __file__, "--phase", "region", "--data", args.data, "--period", args.period,
                       "--region", region], args.limit_gb, args.sample)
            _report(f"region {region} (load in part, full catalog by territory)", t)
            failed |= bool(t.returncode)
            if not t.returncode:
                r = json.loads(t.out.strip().splitlines()[-1])
                print(f"  load {r['load_s']:.1f}s wall / {r['load_cpu_s']:.1f}s CPU ({r['deals']:,} deals, "
                      f"{r['activities']:,} activities); {r['metrics']} metrics by territory "
                      f"{r['catalog_s']:.1f}s wall / {r['catalog_cpu_s']:.1f}s CPU")
        if "pack" in steps:
            out = Path(tmp) / "reports"
            t = timed([sys.executable, "-m", "quotabook", "pack", "--data", args.data, "--period", args.period,
                       "--regions", region, "--formats", "html,pdf", "--out", str(out), "--quiet"],
                      args.limit_gb, args.sample)
            _report(f"pack of region {region} (html, pdf)", t)
            failed |= bool(t.returncode)
            manifest = out / args.period / "manifest.json"
            if manifest.is_file():
                written = json.loads(manifest.read_text())
                runs = list(written.get("runs", {}).values())
                print(f"  {sum(r['status'] == 'ok' for r in runs)} of {len(runs)} notebooks ok; timings "
                      + json.dumps(written.get("timings")))
                for r in runs:
                    print(f"    {r['notebook']:<28}{r['status']:<8}{json.dumps(r.get('timings'))}")
    print("load after:", uptime())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
