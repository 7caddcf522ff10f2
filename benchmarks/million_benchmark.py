"""The million-deal organisation on one machine: generate it, load it, compute the whole catalog, watch memory.

    .venv/bin/python benchmarks/million_benchmark.py                 # ~1,000,000 deals, 2026-Q3
    .venv/bin/python benchmarks/million_benchmark.py --deals 200000  # a smaller rehearsal

Three steps, each in its own process under ``/usr/bin/time -v`` (its peak resident memory is its own):

1. **generate** (once; reused from ``--data``): ``quotabook demo --deals N`` streams the organisation to Parquet;
2. **district**: ``quotabook.load(folder)`` (activities past ``$QUOTABOOK_ACTIVITIES_IN_MEMORY`` rows stay in
   Parquet and are counted by DuckDB), then every catalog metric by district and by region
   (``benchmarks/metric_benchmark.py --phase quotabook``: per-step seconds, CPU seconds and peak);
3. **region**: one region as a pack's run loads it, ``quotabook.load(folder, region=R)`` (only the region's
   rows of each file are read), then every catalog metric by territory.

The machine's load (``uptime``) is printed before and after: on a shared machine wall seconds move with it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TIME = "/usr/bin/time"


def timed(cmd: list[str]) -> tuple[str, float, float]:
    """Run ``cmd`` under ``/usr/bin/time -v``: (its stdout, wall seconds, peak resident MB)."""
    start = time.perf_counter()
    done = subprocess.run([TIME, "-v", *cmd], capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - start
    if done.returncode:
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-4000:]}")
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return done.stdout, wall, (int(peak.group(1)) / 1024 if peak else float("nan"))


def run_region(folder: str, period: str, region: str | None) -> dict:
    """Load one region (read in part) and compute the whole catalog by territory."""
    import warnings

    import quotabook
    from quotabook.activities import activity_rows
    from quotabook.metrics import compute, load_catalog
    from quotabook.sources import source_regions

    warnings.simplefilter("ignore")
    catalog = load_catalog()
    region = region or source_regions(folder, quotabook.load_settings())[0]
    start = time.perf_counter()
    ds = quotabook.load(folder, region=region)
    loaded = time.perf_counter() - start
    full = compute(list(catalog.names), ds, period, by="territory", catalog=catalog)
    return {"region": region, "load_s": loaded, "catalog_s": time.perf_counter() - start - loaded,
            "metrics": int(full["metric"].nunique()), "deals": len(ds.opportunities),
            "activities": activity_rows(ds)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=1_000_000, help="deals in the organisation (default 1,000,000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--data", help="folder of the organisation (default /tmp/quotabook-scale/d<deals>)")
    parser.add_argument("--region", help="region of step 3 (default: the first by name)")
    parser.add_argument("--phase", choices=("region",), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.data = args.data or f"/tmp/quotabook-scale/d{args.deals}"
    if args.phase == "region":
        print(json.dumps(run_region(args.data, args.period, args.region)))
        return 0

    print("load before:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    if not (Path(args.data) / "activity_goals.parquet").exists():
        out, wall, peak = timed([sys.executable, "-m", "quotabook", "demo", "--deals", str(args.deals), "--out",
                                 args.data, "--seed", str(args.seed)])
        print(f"generate: {wall:.0f}s, peak {peak:,.0f} MB; {out.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        out, wall, peak = timed([sys.executable, str(ROOT / "benchmarks" / "metric_benchmark.py"), "--phase",
                                 "quotabook", "--data", args.data, "--period", args.period, "--levels",
                                 "district,region", "--out", str(Path(tmp) / "core.parquet")])
    district = json.loads(out.strip().splitlines()[-1])
    print(f"district: {wall:.0f}s in all, peak {peak:,.0f} MB (/usr/bin/time); rows "
          + ", ".join(f"{k} {v:,}" for k, v in district["rows"].items())
          + f"; activities on disk: {district['activities_on_disk']}")
    for step, fig in district["steps"].items():
        print(f"  {step:<24}{fig['seconds']:>8.1f}s wall {fig['cpu_seconds']:>8.1f}s cpu "
              f"{fig['peak_mb']:>8,.0f} MB peak")
    out, wall, peak = timed([sys.executable, __file__, "--phase", "region", "--data", args.data, "--period",
                             args.period, *(["--region", args.region] if args.region else [])])
    region = json.loads(out.strip().splitlines()[-1])
    print(f"region {region['region']}: load {region['load_s']:.1f}s ({region['deals']:,} deals, "
          f"{region['activities']:,} activities), {region['metrics']} metrics by territory {region['catalog_s']:.1f}s; "
          f"{wall:.0f}s in all, peak {peak:,.0f} MB")
    print("load after:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
