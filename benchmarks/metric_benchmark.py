"""The metric engine on a big organisation against the same core metrics in DuckDB SQL.

    .venv/bin/python benchmarks/metric_benchmark.py --scale 1000            # 1,000 territories, 2026-Q3
    .venv/bin/python benchmarks/metric_benchmark.py --scale 64 --json /tmp/metric_bench.json

The organisation is generated once with ``quotabook demo --scale N`` into ``--data`` (default
/tmp/quotabook-scale/tN, seed 7) and reused. Each engine then runs in its own subprocess, so that its
peak memory is its own. Peak memory is the resident set size of the engine's process during each step
(VmHWM, reset between steps through /proc/self/clear_refs; it includes what earlier steps left in
memory, e.g. the loaded tables, and the interpreter with its imports, ~150 MB); "held" is the resident
size after the step, once freed memory is handed back to the system. CPU seconds (``process_time``, all
threads) are printed next to wall seconds: on a shared machine they move less with the load. The steps:

- **quotabook**: ``quotabook.load(folder)`` (read, validate, as the notebooks do: reported separately),
  then the core metrics with ``quotabook.metrics.compute`` by territory and by region, then the full
  catalog (every metric, as the notebooks call it) by territory and by region;
- **duckdb**: the seven Parquet files read into in-memory DuckDB tables (load), then the same core
  metrics by territory and by region in one SQL statement each.

Core metrics: the target-achievement stack (closed, commit, best case, target, attainment), win rate
(won / closed in the period), stage conversion (``pipeline_conversion``: deals open at the period start
that advanced a stage in it / deals open at the start), sales cycle (mean days creation -> win of the
deals won in the period) and activity ratios (Dial:Connect, Connect:Meeting, Meeting:Opportunity,
Dial:Opportunity). The script checks that both engines give the same value for every territory, region
and metric (relative tolerance 1e-9; both NaN counts as equal) and exits 1 when they do not.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]
CORE = ("closed_amount", "commit_amount", "best_case_amount", "target_amount", "attainment", "won_count",
        "closed_count", "win_rate", "opening_deal_count", "stage_advance_count", "pipeline_conversion",
        "sales_cycle_days", "dial_count", "connect_count", "meeting_booked_count", "opportunity_count",
        "dial_to_connect", "connect_to_meeting", "meeting_to_opportunity", "dial_to_opportunity")
LEVELS = ("territory", "region")
RATIOS = {"attainment": ("closed_amount", "target_amount"), "win_rate": ("won_count", "closed_count"),
          "pipeline_conversion": ("stage_advance_count", "opening_deal_count"),
          "sales_cycle_days": ("cycle_day_sum", "won_count"), "dial_to_connect": ("dial_count", "connect_count"),
          "connect_to_meeting": ("connect_count", "meeting_booked_count"),
          "meeting_to_opportunity": ("meeting_booked_count", "opportunity_count"),
          "dial_to_opportunity": ("dial_count", "opportunity_count")}


def _peak_mb() -> float:
    """Peak resident set size of this process since the last :func:`_reset_peak` (MB).

    Linux keeps the peak (VmHWM) in /proc/self/status and resets it when 5 is written to
    /proc/self/clear_refs, which gives each step its own peak; elsewhere this falls back to the peak
    of the whole process (``ru_maxrss``).
    """
    try:
        with open("/proc/self/status") as status:
            line = next(x for x in status if x.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _rss_mb() -> float:
    """Resident set size of this process now (MB)."""
    try:
        with open("/proc/self/status") as status:
            return int(next(x for x in status if x.startswith("VmRSS:")).split()[1]) / 1024
    except (OSError, StopIteration):
        return float("nan")


def _malloc_trim() -> None:
    """Return glibc's free heap pages to the system (numpy and pandas allocate through malloc)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


class _Steps:
    """Wall time and peak RSS of each named step of one engine (peak reset at the start of each step)."""

    def __init__(self) -> None:
        self.steps: dict[str, dict[str, float]] = {}
        _reset_peak()
        self._t, self._cpu = time.perf_counter(), time.process_time()

    def done(self, name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        self.steps[name] = {"seconds": now - self._t, "cpu_seconds": cpu - self._cpu, "peak_mb": _peak_mb()}
        # Hand freed memory back before the next step, so that its peak is what it holds, not what the
        # allocators kept from the step before (Arrow's pool and glibc's heap keep freed blocks for reuse).
        gc.collect()
        pa.default_memory_pool().release_unused()
        _malloc_trim()
        self.steps[name]["after_mb"] = _rss_mb()
        # As it goes, on stderr: a run stopped part-way (out of memory, or by a watchdog) still tells how far it got.
        print(f"{name}: " + ", ".join(f"{k} {v:.1f}" for k, v in self.steps[name].items()), file=sys.stderr, flush=True)
        _reset_peak()
        self._t, self._cpu = time.perf_counter(), time.process_time()


# -- quotabook ---------------------------------------------------------------------------------------------
def run_quotabook(folder: str, period: str, out: str, levels: tuple[str, ...] = LEVELS) -> dict:
    import warnings

    import quotabook
    from quotabook.activities import activity_rows
    from quotabook.metrics import compute, load_catalog

    warnings.simplefilter("ignore")
    catalog = load_catalog()
    steps = _Steps()
    ds = quotabook.load(folder)
    steps.done("load")
    frames = []
    for level in levels:
        long = compute(CORE, ds, period, by=level, catalog=catalog)
        frames.append(long.rename(columns={level: "group"}).assign(level=level)[["level", "group", "metric",
                                                                                 "value"]])
        steps.done(f"core by {level}")
    pd.concat(frames, ignore_index=True).to_parquet(out)
    names = list(catalog.names)
    counts = {}
    for level in levels:
        full = compute(names, ds, period, by=level, catalog=catalog)
        counts[level] = {"metrics": int(full["metric"].nunique()), "rows": len(full),
                         "unavailable": sorted(full.attrs["unavailable"])}
        steps.done(f"full suite by {level}")
    rows = {name: len(getattr(ds, name)) for name in ("opportunities", "opportunity_history", "leads", "territories")}
    rows["activities"] = activity_rows(ds)  # in pandas, or on disk (DuckDB) past $QUOTABOOK_ACTIVITIES_IN_MEMORY
    return {"steps": steps.steps, "full_suite": counts, "rows": rows,
            "activities_on_disk": ds.activity_store is not None}


# -- duckdb ------------------------------------------------------------------------------------------------
_BY_TERRITORY = """
WITH
advanced AS (  -- deals whose history shows a move to a later, not lost, stage within the period
    SELECT DISTINCT opportunity_id FROM (
        SELECT opportunity_id, changed_at, s."order" AS ord, s.lost,
            LAG(s."order") OVER (PARTITION BY opportunity_id ORDER BY changed_at, rn) AS prev
        FROM history h JOIN stages s ON s.name = h.stage
    )
    WHERE ord > prev AND NOT lost AND changed_at >= $start AND changed_at < $end
),
opp AS (
    SELECT territory,
        SUM(amount) FILTER (WHERE won AND close_in) AS closed_amount,
        SUM(amount) FILTER (WHERE NOT closed AND close_in AND forecast_category = 'Commit') AS commit_amount,
        SUM(amount) FILTER (WHERE NOT closed AND close_in AND forecast_category = 'Best Case') AS best_case_amount,
        COUNT(*) FILTER (WHERE won AND close_in) AS won_count,
        COUNT(*) FILTER (WHERE closed AND NOT won AND close_in) AS lost_count,
        COUNT(*) FILTER (WHERE created_date >= $start AND created_date < $end) AS opportunity_count,
        COUNT(*) FILTER (WHERE opening) AS opening_deal_count,
        COUNT(*) FILTER (WHERE opening AND advanced) AS stage_advance_count,
        SUM(GREATEST(date_diff('day', CAST(created_date AS DATE), CAST(close_date AS DATE)), 0))
            FILTER (WHERE won AND close_in) AS cycle_day_sum
    FROM (
        SELECT o.*, COALESCE(o.is_won, false) AS won, COALESCE(o.is_closed, false) AS closed,
            close_date >= $start AND close_date < $end AS close_in,
            created_date < $start AND (NOT COALESCE(o.is_closed, false) OR close_date >= $start) AS opening,
            a.opportunity_id IS NOT NULL AS advanced
        FROM opportunities o LEFT JOIN advanced a USING (opportunity_id)
    )
    GROUP BY territory
),
act AS (
    SELECT t.territory,
        COUNT(*) FILTER (WHERE a.type = 'dial') AS dial_count,
        COUNT(*) FILTER (WHERE a.type = 'connect') AS connect_count,
        COUNT(*) FILTER (WHERE a.type = 'meeting_booked') AS meeting_booked_count
    FROM activities a JOIN owners t USING (owner)
    WHERE a.activity_date >= $start AND a.activity_date < $end
    GROUP BY t.territory
),
tgt AS (
    SELECT territory, SUM(target_amount) AS target_amount FROM targets WHERE period = $label GROUP BY territory
)
SELECT t.territory, t.region,
    COALESCE(closed_amount, 0) AS closed_amount, COALESCE(commit_amount, 0) AS commit_amount,
    COALESCE(best_case_amount, 0) AS best_case_amount, COALESCE(target_amount, 0) AS target_amount,
    COALESCE(won_count, 0) AS won_count, COALESCE(won_count, 0) + COALESCE(lost_count, 0) AS closed_count,
    COALESCE(opening_deal_count, 0) AS opening_deal_count, COALESCE(stage_advance_count, 0) AS stage_advance_count,
    COALESCE(cycle_day_sum, 0) AS cycle_day_sum, COALESCE(opportunity_count, 0) AS opportunity_count,
    COALESCE(dial_count, 0) AS dial_count, COALESCE(connect_count, 0) AS connect_count,
    COALESCE(meeting_booked_count, 0) AS meeting_booked_count
FROM territories t
LEFT JOIN opp USING (territory) LEFT JOIN act USING (territory) LEFT JOIN tgt USING (territory)
"""

_STAGES = "CREATE TABLE stages AS SELECT * FROM stage_frame"


def _ratio_sql(group: str, source: str) -> str:
    sums = ", ".join(f"SUM({c}) AS {c}" for c in _ADDITIVE)
    ratios = ", ".join(f"{num} / NULLIF({den}, 0) AS {name}" for name, (num, den) in RATIOS.items())
    return f"SELECT {group} AS \"group\", *, {ratios} FROM (SELECT {group}, {sums} FROM ({source}) GROUP BY {group})"


_ADDITIVE = ("closed_amount", "commit_amount", "best_case_amount", "target_amount", "won_count", "closed_count",
             "opening_deal_count", "stage_advance_count", "cycle_day_sum", "opportunity_count", "dial_count",
             "connect_count", "meeting_booked_count")


def run_duckdb(folder: str, period: str, out: str, threads: int) -> dict:
    import duckdb

    from quotabook.fiscal import FiscalCalendar
    from quotabook.settings import load_settings

    settings = load_settings()
    p = FiscalCalendar.from_settings(settings).period(period)
    stage_frame = settings.stage_table().reset_index()[["name", "order", "is_closed", "is_won"]]
    stage_frame["lost"] = stage_frame["is_closed"].astype(bool) & ~stage_frame["is_won"].astype(bool)
    steps = _Steps()
    con = duckdb.connect()
    con.execute(f"SET threads = {threads}")
    files = {name: str(Path(folder) / f"{name}.parquet") for name in
             ("opportunities", "opportunity_history", "activities", "targets", "territories")}
    con.execute(f"CREATE TABLE opportunities AS SELECT opportunity_id, territory, amount, is_won, is_closed, "
                f"forecast_category, created_date, close_date FROM read_parquet('{files['opportunities']}')")
    con.execute(f"CREATE TABLE history AS SELECT opportunity_id, changed_at, stage, file_row_number AS rn "
                f"FROM read_parquet('{files['opportunity_history']}', file_row_number = true)")
    con.execute(f"CREATE TABLE activities AS SELECT owner, activity_date, type "
                f"FROM read_parquet('{files['activities']}')")
    con.execute(f"CREATE TABLE targets AS SELECT * FROM read_parquet('{files['targets']}')")
    con.execute(f"CREATE TABLE territories AS SELECT * FROM read_parquet('{files['territories']}')")
    con.execute("CREATE TABLE owners AS SELECT owner, FIRST(territory ORDER BY rn) AS territory FROM "
                "(SELECT owner, territory, row_number() OVER () AS rn FROM territories WHERE owner IS NOT NULL) "
                "GROUP BY owner")
    con.register("stage_frame", stage_frame)
    con.execute(_STAGES)
    steps.done("load")
    params = {"start": p.start.to_pydatetime(), "end": p.end.to_pydatetime(), "label": p.label}
    frames = []
    for level in LEVELS:
        wide = con.execute(_ratio_sql(level, _BY_TERRITORY), params).df()
        cols = [c for c in CORE if c in wide]
        frames.append(wide.melt(id_vars="group", value_vars=cols, var_name="metric").assign(level=level))
        steps.done(f"core by {level}")
    pd.concat(frames, ignore_index=True)[["level", "group", "metric", "value"]].to_parquet(out)
    return {"steps": steps.steps}


# -- driver ------------------------------------------------------------------------------------------------
def _phase(args: argparse.Namespace, engine: str, out: str) -> dict:
    cmd = [sys.executable, __file__, "--phase", engine, "--data", str(args.data), "--period", args.period,
           "--out", out, "--threads", str(args.threads)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if done.returncode:
        sys.exit(f"{engine} phase failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(ours: pd.DataFrame, theirs: pd.DataFrame) -> pd.DataFrame:
    """Rows where the two engines disagree (empty when every value matches)."""
    keys = ["level", "group", "metric"]
    both = ours.merge(theirs, on=keys, how="outer", suffixes=("_ours", "_duckdb"), indicator=True)
    a = both["value_ours"].astype("float64").to_numpy()
    b = both["value_duckdb"].astype("float64").to_numpy()
    same = np.isclose(a, b, rtol=1e-9, atol=1e-9) | (np.isnan(a) & np.isnan(b))
    return both[~same | (both["_merge"] != "both")]


def ensure_data(args: argparse.Namespace) -> float | None:
    """Generate the organisation into the cache folder if it is not there; seconds taken (None: cached)."""
    if (Path(args.data) / "activity_goals.parquet").exists():
        return None
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "quotabook", "demo", "--scale", str(args.scale), "--out", str(args.data),
                    "--seed", str(args.seed)], check=True, cwd=ROOT)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1000, help="territories in the organisation (default 1000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--period", default="2026-Q3")
    parser.add_argument("--data", help="folder of the organisation (default /tmp/quotabook-scale/t<scale>)")
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads (default 2: the machine's cores)")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--levels", default=",".join(LEVELS),
                        help="levels of the quotabook-only run (--phase quotabook), comma-separated")
    parser.add_argument("--phase", choices=("quotabook", "duckdb"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.data = args.data or f"/tmp/quotabook-scale/t{args.scale}"
    if args.phase == "quotabook":
        print(json.dumps(run_quotabook(args.data, args.period, args.out, tuple(args.levels.split(",")))))
        return 0
    if args.phase == "duckdb":
        print(json.dumps(run_duckdb(args.data, args.period, args.out, args.threads)))
        return 0

    generated = ensure_data(args)
    with tempfile.TemporaryDirectory() as tmp:
        ours_file, theirs_file = os.path.join(tmp, "ours.parquet"), os.path.join(tmp, "duckdb.parquet")
        ours = _phase(args, "quotabook", ours_file)
        theirs = _phase(args, "duckdb", theirs_file)
        diff = compare(pd.read_parquet(ours_file), pd.read_parquet(theirs_file))
        checked = len(pd.read_parquet(ours_file))
    print(f"data: {args.data} ({', '.join(f'{k} {v:,}' for k, v in ours['rows'].items())}), period {args.period}"
          + (f"; generated in {generated:.1f}s" if generated else ""))
    print(f"{'step':<24}{'quotabook s':>12}{'cpu s':>8}{'peak MB':>9}{'held MB':>9}"
          f"{'duckdb s':>10}{'cpu s':>8}{'peak MB':>9}{'ratio':>7}")
    for step, mine in ours["steps"].items():
        other = theirs["steps"].get(step)
        ratio = f"{mine['seconds'] / other['seconds']:.1f}x" if other else ""
        line = (f"{step:<24}{mine['seconds']:>12.2f}{mine['cpu_seconds']:>8.2f}{mine['peak_mb']:>9.0f}"
                f"{mine['after_mb']:>9.0f}")
        line += (f"{other['seconds']:>10.2f}{other['cpu_seconds']:>8.2f}{other['peak_mb']:>9.0f}{ratio:>7}"
                 if other else "")
        print(line)
    core = [f"core by {level}" for level in LEVELS]
    ours_core = sum(ours["steps"][s]["seconds"] for s in core)
    theirs_core = sum(theirs["steps"][s]["seconds"] for s in core)
    peak = max(s["peak_mb"] for name, s in ours["steps"].items() if name != "load")
    print(f"core metrics: quotabook {ours_core:.2f}s / duckdb {theirs_core:.2f}s = {ours_core / theirs_core:.1f}x; "
          f"quotabook peak RSS while computing {peak:,.0f} MB, "
          f"while loading {ours['steps']['load']['peak_mb']:,.0f} MB")
    print(f"full suite: {ours['full_suite']['territory']['metrics']} metrics; "
          + ", ".join(f"by {lvl} {ours['steps'][f'full suite by {lvl}']['seconds']:.1f}s" for lvl in LEVELS))
    status = "agree" if diff.empty else f"DISAGREE on {len(diff)} of {checked} values"
    print(f"answers: {status} ({checked} values: {len(CORE)} metrics x territories and regions)")
    if not diff.empty:
        print(diff.head(20).to_string())
    if args.json:
        Path(args.json).write_text(json.dumps({"data": args.data, "period": args.period, "quotabook": ours,
                                               "duckdb": theirs, "agree": diff.empty, "values": checked},
                                              indent=2))
    return 0 if diff.empty else 1


if __name__ == "__main__":
    sys.exit(main())
