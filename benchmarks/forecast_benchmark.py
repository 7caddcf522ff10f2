"""Time the vectorised Monte Carlo forecast against naive loops, in the same run, and print the ratios.

    .venv/bin/python benchmarks/forecast_benchmark.py [--deals 50000] [--simulations 10000] [--json FILE]

A synthetic pipeline of ``--deals`` open deals (log-normal amounts, landing probabilities 0-90%, 16
territories) is simulated ``--simulations`` times three ways:

- **vectorised**: :func:`quotabook.metrics.forecasting.monte_carlo.simulate` (16-bit draws compared with each deal's
  probability in blocks of 64 deals, one matrix product per block), the whole run, best of ``--repeat``;
- **per-simulation loop**: one numpy draw per deal and a ``bincount`` per territory for each simulated
  quarter, the way one would write it first; run for ``--loop-simulations`` quarters and scaled up;
- **pure Python**: a loop over simulations and deals; run for a few quarters and scaled up.

All three must agree on the mean simulated bookings (within 1%). Results go to stdout (and ``--json FILE``);
benchmarks/README.md records them with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import time
from pathlib import Path

import numpy as np

from quotabook.metrics.forecasting.monte_carlo import simulate

TERRITORIES = 16


def pipeline(deals: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Amounts (log-normal around 25K), landing probabilities (uniform 0-90%) and territory codes."""
    rng = np.random.default_rng(seed)
    return (np.round(rng.lognormal(10.1, 0.9, deals), -2), rng.uniform(0.0, 0.9, deals),
            rng.integers(0, TERRITORIES, deals))


def per_simulation_loop(amounts, p, groups, simulations: int, seed: int = 2) -> np.ndarray:
    """Naive baseline 1: numpy over deals, a Python loop over simulated quarters."""
    rng = np.random.default_rng(seed)
    out = np.zeros((TERRITORIES, simulations))
    for s in range(simulations):
        landed = rng.random(len(amounts)) < p
        out[:, s] = np.bincount(groups, weights=amounts * landed, minlength=TERRITORIES)
    return out


def pure_python(amounts, p, groups, simulations: int, seed: int = 3) -> list[list[float]]:
    """Naive baseline 2: Python loops over simulated quarters and deals."""
    rng = random.Random(seed)
    amounts, p, groups = amounts.tolist(), p.tolist(), groups.tolist()
    out = [[0.0] * simulations for _ in range(TERRITORIES)]
    for s in range(simulations):
        for a, q, g in zip(amounts, p, groups, strict=True):
            if rng.random() < q:
                out[g][s] += a
    return out


def _cpu() -> str:
    """The processor's model name (Linux), else what the platform module knows."""
    try:
        lines = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def _timed(fn, *args, repeat: int = 1):
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=50_000)
    parser.add_argument("--simulations", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of the vectorised version (best is kept)")
    parser.add_argument("--loop-simulations", type=int, default=500, help="quarters the numpy loop runs")
    parser.add_argument("--python-simulations", type=int, default=4, help="quarters the pure-Python loop runs")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    amounts, p, groups = pipeline(args.deals)
    expected = float((amounts * p).sum())
    fast, sims = _timed(lambda: simulate(amounts, p, groups, TERRITORIES, simulations=args.simulations),
                        repeat=args.repeat)
    loop, loop_sims = _timed(per_simulation_loop, amounts, p, groups, args.loop_simulations)
    slow, slow_sims = _timed(pure_python, amounts, p, groups, args.python_simulations)
    loop_full = loop * args.simulations / args.loop_simulations
    slow_full = slow * args.simulations / args.python_simulations
    means = {"vectorised": float(sims.sum(axis=0).mean()) / expected,
             "per-simulation loop": float(loop_sims.sum(axis=0).mean()) / expected,
             "pure Python": float(np.sum(slow_sims, axis=0).mean()) / expected}
    for name, ratio in means.items():
        if name != "pure Python" and abs(ratio - 1) > 0.01:
            raise SystemExit(f"{name}: mean simulated bookings off by {ratio - 1:+.2%}")

    result = {
        "machine": f"{_cpu()}, {os.cpu_count()} CPU, Python "
                   f"{platform.python_version()}, numpy {np.__version__}",
        "load_average": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "deals": args.deals, "simulations": args.simulations,
        "vectorised_s": round(fast, 3),
        "per_simulation_loop_s": round(loop_full, 2), "per_simulation_loop_measured": args.loop_simulations,
        "pure_python_s": round(slow_full, 1), "pure_python_measured": args.python_simulations,
        "ratio_vs_loop": round(loop_full / fast, 1), "ratio_vs_pure_python": round(slow_full / fast, 0),
        "mean_vs_expected": {k: round(v, 4) for k, v in means.items()},
    }
    print(f"Monte Carlo, {args.deals:,} open deals x {args.simulations:,} simulated quarters, {TERRITORIES} groups")
    print(f"  vectorised (quotabook)   {fast:8.3f} s   (best of {args.repeat})")
    print(f"  per-simulation loop      {loop_full:8.2f} s   ({args.loop_simulations} simulations timed, scaled)"
          f"   ratio {result['ratio_vs_loop']}x")
    print(f"  pure Python              {slow_full:8.1f} s   ({args.python_simulations} simulations timed, scaled)"
          f"   ratio {result['ratio_vs_pure_python']:.0f}x")
    print(f"  mean / sum of expected values: {result['mean_vs_expected']}; load average {result['load_average']}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
