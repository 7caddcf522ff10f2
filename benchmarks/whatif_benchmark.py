"""How fast the what-if recomputes after a slider move, for a synthetic 1,000-territory organisation.

Builds a seeded district of ``--territories`` territories (20 per region) with closed, Commit, Best Case and
Pipeline deals, then times, in the same run:

- **recompute**: :func:`quotabook.themes.territory_quota.whatif.project` on the precomputed base plus the roll-ups to
region and
  district, for random adjustments (what every slider move does);
- **widget callback**: setting one slider of the what-if widget (project, roll-ups, the HTML table of the
  regions and the chart of projected against target per territory), in-process, no browser;
- **baseline**: the same projection recomputed from the deal table on every move (catalog metrics, Σ deal²
  and four-quarter win rates via :func:`quotabook.themes.territory_quota.whatif.build_base`, then project), which is
  what a callback without a precomputed base would have to do.

Run: ``.venv/bin/python benchmarks/whatif_benchmark.py [--territories 1000] [--repeats 200] [--json out.json]``.
The issue's bar: p95 under 50 ms for 1,000 territories.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import numpy as np
import pandas as pd

from quotabook.dataset import Dataset, canonical_table
from quotabook.schemas import TABLES
from quotabook.settings import load_settings
from quotabook.themes.territory_quota.whatif import Adjustments, build_base, make_widget, project, rollup

PERIOD = "2026-Q3"


def synthetic_dataset(territories: int = 1000, seed: int = 7) -> Dataset:
    """``territories`` territories in regions of 20, each with ~36 deals: 24 closed over the last four
    quarters (a third won) and 12 open in the period across Commit, Best Case and Pipeline."""
    rng = np.random.default_rng(seed)
    names = [f"T{i:04d}" for i in range(territories)]
    terr = pd.DataFrame({"territory": names, "region": [f"R{i // 20:03d}" for i in range(territories)],
                         "district": "D", "owner": [f"rep{i}" for i in range(territories)]})
    closed_n, open_n = 24, 12
    t_closed = np.repeat(names, closed_n)
    closes = pd.Timestamp("2025-10-01") + pd.to_timedelta(rng.integers(0, 365, len(t_closed)), unit="D")
    won = rng.random(len(t_closed)) < 1 / 3
    closed = pd.DataFrame({"territory": t_closed, "close_date": closes, "is_won": won, "is_closed": True,
                           "stage": np.where(won, "Closed Won", "Closed Lost"),
                           "forecast_category": np.where(won, "Closed", "Omitted")})
    t_open = np.repeat(names, open_n)
    open_ = pd.DataFrame({"territory": t_open, "close_date": pd.Timestamp("2026-08-01")
                          + pd.to_timedelta(rng.integers(0, 60, len(t_open)), unit="D"),
                          "is_won": False, "is_closed": False, "stage": "Negotiation",
                          "forecast_category": rng.choice(["Commit", "Best Case", "Pipeline"], len(t_open))})
    opps = pd.concat([closed, open_], ignore_index=True)
    opps["opportunity_id"] = [f"O{i}" for i in range(len(opps))]
    opps["owner"] = opps["territory"].map(dict(zip(terr["territory"], terr["owner"], strict=True)))
    opps["created_date"] = opps["close_date"] - pd.Timedelta(days=90)
    opps["amount"] = np.round(rng.lognormal(10.5, 0.8, len(opps)), -2)
    tgt = pd.DataFrame({"period": PERIOD, "territory": names, "target_amount": rng.integers(2, 8, territories) * 1e5})
    given = {"territories": terr, "opportunities": opps, "targets": tgt}
    frames = {name: canonical_table(name, given[name].to_dict("records") if name in given else None)
              for name in TABLES}
    return Dataset(**frames, settings=load_settings(), present=frozenset(given), source="synthetic",
                   as_of_date=pd.Timestamp("2026-08-01"))


def _random_adjustments(rng: np.random.Generator) -> Adjustments:
    return Adjustments(conversion=float(rng.choice(np.arange(-0.3, 0.31, 0.05))),
                       commit=float(rng.choice(np.arange(-0.5, 0.01, 0.05))),
                       best_case=float(rng.choice(np.arange(-0.5, 0.51, 0.05))),
                       new_pipeline=float(rng.choice([0, 1e5, 2e5])), quota=float(rng.choice([-0.1, 0.0, 0.1])))


def _timings(fn, repeats: int) -> list[float]:
    out = []
    for i in range(repeats):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def _summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2), "max_ms": round(max(ms), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--territories", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--baseline-repeats", type=int, default=10)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    ds = synthetic_dataset(args.territories)
    base = build_base(ds, PERIOD)
    setup = time.perf_counter() - start
    rng = np.random.default_rng(1)
    adjustments = [_random_adjustments(rng) for _ in range(args.repeats)]

    def recompute(i: int) -> None:
        result = project(base, adjustments[i])
        rollup(result, "region")
        rollup(result, "district")

    widget = make_widget(base, level="region", scope="District")
    slider = widget.controls["conversion"]
    values = [round(v, 2) for v in np.arange(-0.3, 0.31, 0.05)]

    def callback(i: int) -> None:
        slider.value = values[i % len(values)] if values[i % len(values)] != slider.value else 0.0

    def baseline(i: int) -> None:
        rollup(project(build_base(ds, PERIOD), adjustments[i]), "region")

    recompute(0), callback(0), baseline(0)  # warm-up: imports, caches
    results = {"recompute": _summary(_timings(recompute, args.repeats)),
               "widget callback": _summary(_timings(callback, args.repeats)),
               "baseline (from deals)": _summary(_timings(baseline, args.baseline_repeats))}
    deals = len(ds.opportunities)
    print(f"{args.territories} territories, {ds.territories['region'].nunique()} regions, {deals:,} deals; "
          f"setup (data + base) {setup:.1f}s")
    print(f"{'':24}{'n':>5}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for name, r in results.items():
        print(f"{name:24}{r['n']:>5}{r['p50_ms']:>10.2f}{r['p95_ms']:>10.2f}{r['max_ms']:>10.2f}")
    ratio = results["baseline (from deals)"]["p95_ms"] / results["widget callback"]["p95_ms"]
    print(f"p95 widget callback vs baseline: {ratio:.0f}× faster; bar: p95 < 50 ms "
          f"({'met' if results['widget callback']['p95_ms'] < 50 else 'MISSED'})")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"territories": args.territories, "deals": deals, "results": results,
                       "python": platform.python_version(), "machine": platform.machine()}, fh, indent=2)
    return 0 if results["widget callback"]["p95_ms"] < 50 else 1


if __name__ == "__main__":
    sys.exit(main())
