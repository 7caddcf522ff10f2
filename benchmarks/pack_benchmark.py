"""Time a report pack against the naive baseline, in the same run, and print the ratio.

    .venv/bin/python benchmarks/pack_benchmark.py [--notebooks 7] [--data demo|FOLDER] [--workers N]
    .venv/bin/python benchmarks/pack_benchmark.py --real [--regions district,West]

``--real`` times the real thing, issue 19's benchmark (a): the notebooks of the pack YAML
(``params/packs/quarterly.yaml``) on the demo district for 2026-Q3 (all regions and the district by default,
the whole demo pack; ``--regions`` picks a subset to save time), its second variant the pack as ``make pack``
builds it (pages, PDFs, CSV and XLSX tables). Otherwise it
writes N fixture-like notebooks (each loads the data for its region with ``quotabook.load``, draws a
chart, shows a table and records headline figures, like a themed notebook) and runs them for the
district and every region of the data:

- **pack**: ``quotabook pack`` (one command: process pool, in-process HTML, index, manifest), once with
  ``--formats html`` (the like-for-like comparison) and once with ``--formats html,pdf`` (``--real``:
  ``html,pdf,csv,xlsx``, the whole pack);
- **pack, no kernels ahead** (``--ab``): ``--formats html`` with ``QUOTABOOK_KERNELS_AHEAD=0``, each run starting
  its own kernel (what the kernels started ahead save);
- **pack, no zygote** (``--ab``): ``--formats html`` with ``QUOTABOOK_ZYGOTE=0``, kernels started ahead but each
  with ``Popen`` and its own imports (what forking them from a pre-imported zygote saves);
- **pack, other library** (``--compare-lib DIR``): ``--formats html`` with the quotabook package of ``DIR`` (e.g.
  ``git archive <commit> lib | tar -x -C /tmp/base`` then ``--compare-lib /tmp/base/lib``): a before/after of a change;
- **baseline**: per run, sequentially, the ``papermill`` CLI then ``jupyter nbconvert --to html --no-input``.

Each is timed as a whole subprocess, start-up included, with the machine's load average (1 minute) before and
after it and the CPU seconds of its processes (``RUSAGE_CHILDREN``): the machine may be shared, and the wall
ratios mean little unless both sides ran under the same load.
Results go to stdout (and ``--json FILE``); benchmarks/README.md records them with the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PERIOD = "2026-Q1"

TERRITORIES = """territory,region,district,owner,segment
T1,East,D,Ann,SMB
T2,East,D,Cy,SMB
T3,West,D,Bob,Enterprise
T4,West,D,Dee,Enterprise
"""


def write_data(folder: Path) -> Path:
    """A small canonical folder (territories, opportunities, targets) with two regions."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "territories.csv").write_text(TERRITORIES)
    stages = [("Discovery", "Pipeline", "false", "false"), ("Proposal", "Commit", "false", "false"),
              ("Closed Won", "Closed", "true", "true"), ("Closed Lost", "Omitted", "true", "false")]
    rows = ["opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won"]
    for i in range(400):
        stage, category, closed, won = stages[i % 4]
        terr = f"T{i % 4 + 1}"
        owner = {"T1": "Ann", "T2": "Cy", "T3": "Bob", "T4": "Dee"}[terr]
        rows.append(f"O{i},{owner},{terr},2026-01-{i % 28 + 1:02d},2026-03-{i % 28 + 1:02d},{stage},{category},"
                    f"{1000 + 37 * i},{closed},{won}")
    (folder / "opportunities.csv").write_text("\n".join(rows) + "\n")
    (folder / "targets.csv").write_text("period,territory,target_amount\n"
                                        + "".join(f"{PERIOD},T{i},90000\n" for i in range(1, 5)))
    return folder


def notebook(theme: int) -> nbformat.NotebookNode:
    """A fixture-like themed notebook: parameters, load, chart, table, recorded headlines."""
    params = new_code_cell('region = "district"\nperiod = "2026-Q1"\nas_of = None\ndata = "demo"')
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[
        new_markdown_cell(f"# Theme {theme} (benchmark)\n\nWhere the pipeline stands, by stage."),
        params,
        new_code_cell("import matplotlib.pyplot as plt\n\nimport quotabook as qb\nfrom quotabook.pack import record"),
        new_code_cell("from quotabook.scope import parse_scope\n\n"
                      "ds = qb.load(data, region=parse_scope(region), as_of=as_of)\nopps = ds.opportunities\n"
                      'by_stage = opps.groupby("stage", observed=True)["amount"].sum().sort_values()'),
        new_markdown_cell("## Amount by stage"),
        new_code_cell('fig, ax = plt.subplots(figsize=(7, 3))\nby_stage.plot.barh(ax=ax, color="#2b6cb0")\n'
                      'ax.set_title(f"{region}: {len(opps)} deals")\nplt.show()'),
        new_code_cell("by_stage.to_frame('amount').style.format('${:,.0f}')"),
        new_code_cell('record({"Deals": len(opps), "Amount": float(opps["amount"].sum())})'),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def load() -> float:
    """The 1-minute load average."""
    return round(os.getloadavg()[0], 2)


def timed(cmd: list[str], **kwargs) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=kwargs.pop("check", True), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   **kwargs)
    return time.perf_counter() - start


def cpu_seconds() -> float:
    """User + system CPU seconds of every finished child process so far (kernels and browsers included, once
    waited for): on a shared machine the wall time moves with the load, the CPU time much less."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def regions_of(data: str) -> list[str]:
    sys.path.insert(0, str(ROOT / "lib"))
    from quotabook.pack.plan import data_regions, resolve_data

    return ["district", *data_regions(resolve_data(data)[1])]


def baseline(nb_dir: Path, stems: list[str], regions: list[str], data: str, out: Path, period: str = PERIOD) -> float:
    """papermill CLI then nbconvert CLI, per notebook and region, one after another."""
    start = time.perf_counter()
    for region in regions:
        for stem in stems:
            executed = out / f"{stem}-{region}.ipynb"
            params = json.dumps({"region": region, "period": period, "as_of": None, "data": data})
            subprocess.run([str(BIN / "papermill"), str(nb_dir / f"{stem}.ipynb"), str(executed), "-y", params,
                            "--cwd", str(ROOT)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def pack(nb_dir: Path, pack_yaml: Path, data: str, out: Path, formats: str, workers: int | None,
         period: str = PERIOD, regions: list[str] | None = None, env: dict[str, str] | None = None) -> float:
    cmd = [str(BIN / "quotabook"), "pack", "--period", period, "--data", data, "--out", str(out), "--pack",
           str(pack_yaml), "--notebooks-dir", str(nb_dir), "--formats", formats, "--quiet"]
    if regions:
        cmd += ["--regions", ",".join(regions)]
    if workers:
        cmd += ["--workers", str(workers)]
    start = time.perf_counter()
    code = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})}).returncode
    elapsed = time.perf_counter() - start
    if code != 0:
        raise SystemExit(f"pack failed with exit {code}: {' '.join(cmd)}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", type=int, default=7, help="fixture-like notebooks (default 7, like the pack)")
    parser.add_argument("--data", help="data folder or 'demo' (default: a small generated folder, 2 regions)")
    parser.add_argument("--workers", type=int, help="pack workers (default: one per core)")
    parser.add_argument("--no-pdf", action="store_true", help="skip the html+pdf pack run")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--real", action="store_true", help="the themed notebooks on the demo district, 2026-Q3")
    parser.add_argument("--regions", help="with --real: comma-separated regions, district for the whole district")
    parser.add_argument("--ab", action="store_true", help="also time the pack without kernels started ahead")
    parser.add_argument("--compare-lib", help="also time the pack with the quotabook package under this lib folder")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="qb-bench-"))
    try:
        if args.real:
            data, period, nb_dir = "demo", "2026-Q3", ROOT / "notebooks"
            pack_yaml = ROOT / "params" / "packs" / "quarterly.yaml"
            import yaml

            stems = list(yaml.safe_load(pack_yaml.read_text(encoding="utf-8"))["notebooks"])
            regions = args.regions.split(",") if args.regions else regions_of(data)
        else:
            data, period = args.data or str(write_data(work / "data")), PERIOD
            nb_dir = work / "notebooks"
            nb_dir.mkdir()
            stems = [f"{i:02d}_theme" for i in range(args.notebooks)]
            for i, stem in enumerate(stems):
                nbformat.write(notebook(i), nb_dir / f"{stem}.ipynb")
            pack_yaml = work / "bench.yaml"
            pack_yaml.write_text("title: Benchmark pack\nnotebooks: [" + ", ".join(stems) + "]\nregions: all\n")
            regions = regions_of(data)
        runs = len(stems) * len(regions)
        print(f"{len(stems)} notebooks x {len(regions)} regions ({', '.join(regions)}) = {runs} runs; "
              f"{os.cpu_count()} cores; {platform.python_version()}", flush=True)
        # Warm the OS file cache (imports, kernel) so that neither side pays for a cold start alone.
        timed([str(BIN / "papermill"), str(nb_dir / f"{stems[0]}.ipynb"), str(work / "warm.ipynb"), "-y",
               json.dumps({"region": "district", "period": period, "as_of": None, "data": data}), "--cwd", str(ROOT)])
        results: dict = {"runs": runs, "notebooks": len(stems), "regions": len(regions), "cores": os.cpu_count(),
                         "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()}
        print(results["uptime"], flush=True)
        chosen = regions if args.real else None
        # --real: the second variant is the pack as `make pack` builds it (the pack YAML's formats: pages, one
        # PDF per scope, every table as CSV and XLSX); otherwise pages and PDFs.
        full = ("pack_full", "html,pdf,csv,xlsx", {}) if args.real else ("pack_html_pdf", "html,pdf", {})
        variants = [("pack_html", "html", {}), full]
        if args.no_pdf or not Path("/usr/bin/chromium").is_file():
            variants.pop()
        if args.ab:
            variants.append(("pack_html_cold_kernels", "html", {"QUOTABOOK_KERNELS_AHEAD": "0"}))
            variants.append(("pack_html_no_zygote", "html", {"QUOTABOOK_ZYGOTE": "0"}))
        if args.compare_lib:
            variants.append(("pack_html_other_lib", "html", {"PYTHONPATH": str(Path(args.compare_lib).resolve())}))
        for name, formats, env in variants:
            before, cpu = load(), cpu_seconds()
            results[name] = pack(nb_dir, pack_yaml, data, work / name, formats, args.workers, period, chosen, env)
            results[f"{name}_load"] = [before, load()]
            results[f"{name}_cpu"] = round(cpu_seconds() - cpu, 1)
            print(f"{name:<24} {results[name]:7.1f} s   (load {before} -> {load()}; "
                  f"CPU {results[f'{name}_cpu']:.1f} s)", flush=True)
        (work / "baseline").mkdir()
        before, cpu = load(), cpu_seconds()
        results["baseline"] = baseline(nb_dir, stems, regions, data, work / "baseline", period)
        results["baseline_load"] = [before, load()]
        results["baseline_cpu"] = round(cpu_seconds() - cpu, 1)
        print(f"{'baseline (CLIs)':<24} {results['baseline']:7.1f} s   (load {before} -> {load()}; "
              f"{results['baseline'] / runs:.1f} s per run; CPU {results['baseline_cpu']:.1f} s)")
        for name, _, _ in variants:
            results[f"ratio_{name}"] = results["baseline"] / results[name]
            results[f"cpu_ratio_{name}"] = results["baseline_cpu"] / max(results[f"{name}_cpu"], 0.1)
            print(f"ratio baseline / {name:<24} {results[f'ratio_{name}']:.1f}x wall, "
                  f"{results[f'cpu_ratio_{name}']:.1f}x CPU")
        results["uptime_end"] = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
        print(results["uptime_end"])
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
