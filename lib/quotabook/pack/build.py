"""``build_pack``: the whole pipeline as one plain function (the CLI is a thin layer over it).

plan (everything checkable before a kernel starts) → execute the runs in an executor, each writing its
notebook and page (on a Dask cluster each run returns them and they are written here) → as soon as a
region's runs are all done, print its PDF in the one browser of the pack (overlapping the remaining
executions) → write ``manifest.json`` and ``index.html``. The manifest and index are rewritten when the
build starts and after every run and PDF (``state`` says whether the build completed), so a build stopped
in any way (Ctrl-C, SIGTERM, even SIGKILL) leaves a record ``resume=True`` can pick up from, and an index
that never links to pages newer than its figures. SIGTERM stops a build as Ctrl-C does; the pool's workers
die with the build; one pack folder takes one build at a time (a lock).
"""

from __future__ import annotations

import contextlib
import os
import queue
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

from ..errors import NotebookFailure, PackError
from ..headlines import PRINT_ENV
from ..metrics.glossary import merge_entries
from ..privacy import configure, mask, mask_tree
from .execute import RunOutcome, Task, execute_run
from .executors import get_executor, terminate_as_interrupt
from .files import atomic_write_text, pack_lock, remove_stale_temporaries
from .history import previous_pack, write_history
from .index import render_index
from .manifest import describe_inputs, new_manifest, read_manifest, run_entry, select_runs, versions, write_manifest
from .navigation import page_navs, scope_name
from .plan import DISTRICT, Plan, _check_period, make_plan, safe_path

__all__ = ["PackResult", "build_pack"]


@dataclass
class PackResult:
    """What a build produced. ``exit_code`` is the CLI's: 0 all ok, 1 something failed (pack written)."""

    out_dir: Path
    index: Path
    manifest: Path
    failures: list[NotebookFailure] = field(default_factory=list)
    pdf_errors: dict[str, str] = field(default_factory=dict)
    executed: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    #: With ``resume``: why each executed run could not be kept (its key → the reason, in words).
    rerun_reasons: dict[str, str] = field(default_factory=dict)
    #: With ``resume`` and no ``data``: the data of the pack resumed, read from its manifest.
    resumed_data: str | None = None
    pdfs: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    #: The period built (its label) and the one as-of date of every page (``YYYY-MM-DD``; None: none found).
    period: str = ""
    as_of: str | None = None

    @property
    def ok(self) -> bool:
        return not self.failures and not self.pdf_errors

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def raise_for_failures(self) -> None:
        """Raise :class:`PackError` listing the failed notebooks (and PDFs), if any."""
        if not self.ok:
            extra = "".join(f"; PDF for {slug}: {err}" for slug, err in self.pdf_errors.items())
            raise PackError(f"the pack in {self.out_dir} has failures{extra}", self.failures)


def _progress(total: int, enabled: bool, period: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=f"pack {period}", unit="step", file=sys.stderr, disable=not enabled,
                dynamic_ncols=True, leave=True)


def _print_region(printer, plan: Plan, name: str, slug: str, manifest: dict) -> dict:
    """Print one region's PDF: its themes in pack order without their glossaries, then one glossary of every
    metric they show, and contents with page numbers. Return its manifest entry (never raises for a print
    failure)."""
    import nbformat

    from .pdf import Section, compose_document, print_with_contents
    from .render import glossary_body, notebook_body, pdf_section

    target = plan.pdf_path(slug)
    label = scope_name(name, slug, DISTRICT)
    try:  # a region folder removed mid-build, or a print failure, fails this region's PDF; the pack goes on
        head = notebook_body(nbformat.v4.new_notebook())[0]
        sections, glossaries, shown = [], [], {}
        for run in plan.runs_for(slug):
            entry = manifest["runs"][run.key]
            if entry["status"] == "ok":  # a chart or table an earlier theme printed is printed once
                body, entries = pdf_section(nbformat.read(run.ipynb, as_version=4), shown, run.title)
                sections.append(Section(run.stem, run.title, body=body))
                glossaries.append(entries)
            else:
                failure = entry.get("failure") or {}
                sections.append(Section(run.stem, run.title,
                                        failure=mask(f"{failure.get('ename')}: {failure.get('evalue')}")))
        entries = merge_entries(glossaries)
        glossary = glossary_body(entries) if entries else None
        generated = datetime.now().strftime("%Y-%m-%d %H:%M")

        def document(pages):
            return compose_document(head=head, pack_title=plan.spec.title, region=label, period=plan.period,
                                    generated=generated, data=mask(str(plan.data)), sections=sections,
                                    glossary=glossary, pages=pages)

        printed = print_with_contents(printer, document, target, footer=f"{plan.spec.title} · {label} · {plan.period}")
    except Exception as exc:
        return {"name": name, "slug": slug, "pdf": None, "pdf_status": "failed",
                "error": f"{type(exc).__name__}: {exc}"}
    return {"name": name, "slug": slug, "pdf": target.relative_to(plan.out_dir).as_posix(), "pdf_status": "ok",
            "timings": {"pdf": printed.seconds}, "blocked_requests": printed.blocked,
            "console_errors": printed.console_errors, "error": None}


def _tasks(plan: Plan, runs, notebook_timeout: float | None = None) -> list[Task]:
    env = {}
    if plan.data == "demo":  # kernels must find the same demo folder that was hashed, whatever their cwd
        env["QUOTABOOK_DEMO_DIR"] = str(plan.data_folder)
    if "pdf" not in plan.formats:  # nothing prints the charts' print variants: not drawn (quotabook.charts.printed)
        env[PRINT_ENV] = "0"
    logs = safe_path(plan.out_dir, "logs")
    navs = page_navs(plan.runs, plan.period, DISTRICT)
    return [Task(run=run, timeout=plan.timeout, notebook_timeout=notebook_timeout, write_html="html" in plan.formats,
                 log=safe_path(logs, run.slug, f"{run.stem}.log"), env=tuple(env.items()), nav=navs[run.key])
            for run in runs]


def _failed_outcome(task: Task, exc: BaseException) -> RunOutcome:
    """A run whose worker died or raised outside the notebook (e.g. a broken process pool)."""
    run = task.run
    failure = NotebookFailure(run.stem, run.region, None, type(exc).__name__, str(exc) or "worker failed")
    return RunOutcome(key=run.key, status="failed", started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                      failure=failure)


def _submit(pool, tasks: list[Task]):
    """Start every run in ``pool``; iterate for ``(task, outcome | exception)``, outputs in the pack folder."""
    if getattr(pool, "shared_filesystem", True):
        return pool.run(execute_run, tasks)
    from .dask_executor import execute_detached, land_outcomes, remote_tasks

    return land_outcomes(pool.run(execute_detached, remote_tasks(tasks)))


@contextlib.contextmanager
def region_cache():
    """A private folder, for the length of the build, where the kernels keep each region's validated data
    (:mod:`quotabook.cache`): a region's seven notebooks read and validate the source once, not seven times.
    A folder the caller already set in ``$QUOTABOOK_CACHE_DIR`` is used as it is."""
    from .. import cache

    if os.environ.get(cache.ENV):
        yield
        return
    cache.remove_stale_folders()  # of a build that was killed outright
    with cache.private_folder() as folder:
        os.environ[cache.ENV] = str(folder)
        try:
            yield
        finally:
            os.environ.pop(cache.ENV, None)


def resumed_data(period: str, out: str | os.PathLike) -> str:
    """The ``data`` of the pack in ``out/<period>/``, from its manifest: what ``--resume`` without ``--data``
    builds on (never the demo by default, which would silently replace a pack built on other data).

    Raises
    ------
    PackError
        There is no readable manifest there, or it does not say which data it was built on.
    """
    folder = safe_path(Path(out), _check_period(period))
    manifest = read_manifest(folder)
    if manifest is None:
        raise PackError(f"--resume without --data: there is no pack to resume in {folder} (no readable "
                        "manifest.json); pass --data to say which data to build on (e.g. --data demo)")
    data = (manifest.get("inputs") or {}).get("data") or (manifest.get("parameters") or {}).get("data")
    if not data:
        raise PackError(f"--resume without --data: {folder / 'manifest.json'} does not say which data the pack was "
                        "built on; pass --data")
    return str(data)


def build_pack(period: str | None = None, *, regions=None, notebooks=None, data=None, formats=("html", "pdf"),
               workers: int | None = None, resume: bool = False, out: str | os.PathLike = "reports",
               pack: str | os.PathLike = "quarterly", timeout: float | None = 600, progress: bool = True,
               as_of=None, notebooks_dir: str | os.PathLike | None = None, executor: str = "local",
               scheduler: str | None = None, notebook_timeout: float | None = None,
               data_snapshot: str | None = None) -> PackResult:
    """Build the report pack for ``period`` into ``out/<period>/``.

    Parameters
    ----------
    period : ``"2026-Q3"``, ``"2026-H2"``, ``"2026"`` / ``"FY2026"`` or ``"2026-01-01..2026-06-30"``; None: the
        quarter holding the as-of date (the quarter in progress, as far as the data goes), recorded in
        ``PackResult.period``. A finished quarter's pack is its review, with the next moves of the quarter in
        progress.
    regions : scopes as :mod:`quotabook.scope` reads them (region names exactly as in the data, ``"district"``,
        ``"all"``, ``"region:NAME"``); default: the pack YAML's.
    notebooks : notebook stems; default: the pack YAML's list, in its order.
    data : ``"demo"``, a folder of canonical tables, a mapping YAML, ``duckdb:///file.db`` or ``env:VAR``. Never a
        connection string (refused). Default: with ``resume``, the data of the pack resumed (from its manifest;
        refused when there is none), else the demo.
    formats : any of ``"html"``, ``"pdf"``; executed notebooks are always written.
    workers : processes running notebooks at once; default one per core.
    resume : keep the runs of the previous build whose inputs are unchanged (parameters, and the fingerprint of
        data, workbook, currency rates, notebook and quotabook: :mod:`.fingerprint`) and whose outputs exist;
        run the rest, each with its reason in ``PackResult.rerun_reasons`` and the manifest.
    data_snapshot : a user-declared id of the data's state (e.g. a database's replication batch): recorded in
        the fingerprint, and for a database it stands for the tables, which are then not queried.
    out : reports folder; the pack goes to ``out/<period>/``.
    pack : name of ``params/packs/<pack>.yaml``, or a path to a pack YAML.
    timeout : seconds one cell may run before its notebook is stopped and reported failed.
    notebook_timeout : seconds one whole notebook may run before it is stopped and reported failed
        (``NotebookTimeoutError``); None: no limit beyond ``timeout`` per cell.
    progress : show a progress bar on stderr.
    as_of : ISO date passed to notebooks (the data as it stood that day); None: the latest dated event of
        the whole source, found once at planning, so every page of the pack is as of the same day.
    notebooks_dir : where ``<stem>.ipynb`` files are found; default ``notebooks/`` of the project.
    executor : ``"local"`` (process pool), ``"serial"`` (this process) or ``"dask"`` (a Dask cluster).
    scheduler : Dask scheduler address (``tcp://host:8786``), scheduler JSON file, or ``"local"`` for a
        LocalCluster of ``workers`` processes; implies ``executor="dask"``. Workers need the data at the
        same path; outputs come back with each task (see :mod:`quotabook.pack.dask_executor`).

    Returns
    -------
    PackResult
        Paths, failures and timings; ``exit_code`` is 1 when any notebook or PDF failed.

    Raises
    ------
    PackError, ConfigError, SourceError
        The pack cannot be planned: missing notebooks or parameters, unknown region, bad period, missing
        data folder, PDF requested without Chromium, or an unreachable scheduler. Nothing has been executed
        then.
    """
    start = perf_counter()
    if scheduler:
        executor = "dask"
    resumed = None
    with contextlib.ExitStack() as stack:
        stack.enter_context(terminate_as_interrupt())  # SIGTERM stops the build as Ctrl-C does
        stack.callback(configure, configure(_privacy_policy()))  # what every output masks (see _save)
        if data is None:
            if resume and period is None:  # the period comes from the data, the data from the pack resumed
                raise PackError("--resume without --period needs --data: the period is the quarter the data has "
                                "reached, and which pack to resume (and so its data) depends on the period")
            resumed = resumed_data(period, out) if resume else None  # only a resume reads the old manifest
            data = resumed or "demo"
        # Set before planning, which loads the whole source once for the pack's as-of date (the district's runs
        # reuse it), and before the pool starts: workers and their kernels inherit it.
        stack.enter_context(region_cache())
        plan = make_plan(period, regions=regions, notebooks=notebooks, data=data, formats=formats, out=out,
                         pack=pack, as_of=as_of, timeout=timeout, notebooks_dir=notebooks_dir)
        if "pdf" in plan.formats:
            from .pdf import check_browser

            check_browser()
        stack.enter_context(pack_lock(plan.out_dir))  # writable, and no other build writing into it
        remove_stale_temporaries(plan.out_dir)
        inputs = describe_inputs(plan, snapshot=data_snapshot)
        previous = read_manifest(plan.out_dir) if resume else None
        todo, kept, reasons = select_runs(plan, previous, inputs) if resume else (list(plan.runs), {}, {})
        if plan.formats and executor != "dask":
            from .render import warm_up

            warm_up()  # the HTML exporter is built once here, before the pool forks, so every worker inherits it
        options = {"scheduler": scheduler or "local"} if executor == "dask" else {}
        pool = get_executor(executor, workers, **options)
        if hasattr(pool, "close"):
            stack.callback(pool.close)
        try:
            result = _execute_pack(plan, pool, executor, inputs, previous, todo, kept, resume, progress, start,
                                   notebook_timeout, reasons)
        finally:  # the reports folder's list of packs, also after an interrupted build (its manifest is written)
            with contextlib.suppress(OSError):
                write_history(plan.out_dir.parent)
    result.resumed_data = resumed
    return result


def write_overview(plan: Plan) -> tuple[str | None, str | None]:
    """Write the one-page overview of the period (:func:`quotabook.report.build_overview`) as ``overview.html``
    beside the index. Returns its name relative to the pack folder, or None and why it could not be written
    (the index lists that with the failures; the themed pages are built all the same).

    The overview covers what the pack covers: the district when the pack holds it; a pack of one region without
    the district, that region (read in part, as its notebooks read it, through the build's region cache), so a
    region's pack never loads the whole source for its overview; several regions without the district, the
    district (the page says so)."""
    import warnings

    from ..loading import load
    from ..report import OVERVIEW, overview_html

    named = [name for name, slug in plan.regions if slug != DISTRICT]
    region = named[0] if len(named) == 1 and len(plan.regions) == 1 else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # rejected rows are each notebook's data note
            ds = load(plan.data, region=region, as_of=plan.as_of)
        # written as every pack file is: atomically, a full disk named, no temporary left behind
        atomic_write_text(safe_path(plan.out_dir, OVERVIEW), overview_html(ds, plan.period))
        return OVERVIEW, None
    except Exception as exc:  # an optional page never stops the pack: the index says what went wrong
        return None, mask(f"{type(exc).__name__}: {exc}")


def _privacy_policy():
    """The workbook's privacy policy (:mod:`quotabook.privacy`), applied to the names in every output of the
    pack: folder and file names, manifest, index, page titles, PDF cover and footer."""
    from ..settings import load_settings

    return load_settings().privacy


def _missing_output(entry: dict, out_dir: Path) -> str | None:
    """The first output file an ``ok`` run or region records that is not on disk (e.g. its folder was
    removed during the build), or None."""
    paths = list((entry.get("outputs") or {}).values())
    if entry.get("pdf_status") == "ok" and entry.get("pdf"):
        paths.append(entry["pdf"])
    return next((p for p in paths if not (out_dir / p).is_file()), None)


def _check_outputs(manifest: dict, out_dir: Path) -> None:
    """Record as failed every ``ok`` run or PDF whose file is gone: a manifest never lists a missing file
    as ok (a region folder deleted mid-build fails that region's runs and PDF, nothing else)."""
    for entry in manifest["runs"].values():
        missing = _missing_output(entry, out_dir) if entry["status"] == "ok" else None
        if missing:
            failure = NotebookFailure(entry["notebook"], entry["region"], None, "FileNotFoundError",
                                      f"{missing} was written but is no longer there (was its folder removed "
                                      "during the build?); run again with --resume")
            entry.update(status="failed", failure=asdict(failure), reused=False)
    for region in manifest["regions"]:
        missing = _missing_output(region, out_dir)
        if missing:
            region.update(pdf=None, pdf_status="failed",
                          error=f"FileNotFoundError: {missing} was written but is no longer there")


def _save(plan: Plan, manifest: dict, result: PackResult, state: str) -> None:
    """Write ``manifest.json`` and ``index.html`` as they stand (``state``: ``building`` while runs are still
    due, then ``complete`` or ``stopped``), so a build killed at any point leaves a record ``--resume`` can
    use and an index that links only to pages of this build or kept from the last."""
    manifest["state"] = state
    manifest["runs"] = {r.key: manifest["runs"][r.key] for r in plan.runs if r.key in manifest["runs"]}
    _check_outputs(manifest, plan.out_dir)
    written = mask_tree(manifest)  # names from the data (regions, territories) may hold contact details
    write_manifest(plan.out_dir, written)
    manifest["summary"] = written["summary"]
    atomic_write_text(result.index, render_index(written))


def _execute_pack(plan: Plan, pool, executor: str, inputs: dict, previous: dict | None, todo, kept: dict,
                  resume: bool, progress: bool, start: float, notebook_timeout: float | None = None,
                  reasons: dict[str, str] | None = None) -> PackResult:
    """Run ``todo`` in ``pool``, print the PDFs as regions complete, write the manifest and index.

    The manifest and index are rewritten first (only the kept runs), then after every run and every PDF."""
    want_pdf = "pdf" in plan.formats
    manifest = new_manifest(plan, inputs, workers=pool.workers, resume=resume)
    manifest["executor"] = pool.describe() if hasattr(pool, "describe") else {"name": executor,
                                                                               "workers": pool.workers}
    manifest["runs"] = dict(kept)
    manifest["previous_pack"] = previous_pack(plan.out_dir.parent, plan.period)
    manifest["overview"], manifest["overview_error"] = None, None  # written beside the first runs (_RegionStage)
    old_regions = {r["slug"]: r for r in (previous or {}).get("regions", [])}
    todo_slugs = {run.slug for run in todo}
    pdf_due = [(name, slug) for name, slug in plan.regions if want_pdf and (
        slug in todo_slugs or old_regions.get(slug, {}).get("pdf_status") != "ok"
        or not plan.pdf_path(slug).is_file())]
    for entry in manifest["regions"]:
        if want_pdf and (entry["name"], entry["slug"]) not in pdf_due:
            entry.update(old_regions[entry["slug"]])
    result = PackResult(out_dir=plan.out_dir, index=plan.out_dir / "index.html",
                        manifest=plan.out_dir / "manifest.json", reused=sorted(kept), period=plan.period,
                        as_of=plan.as_of)
    _save(plan, manifest, result, "building")  # before any page is replaced: no index links to newer pages
    execute_start = perf_counter()
    lock = threading.Lock()  # the manifest is updated by this thread (runs) and the region stage's (PDFs, tables)

    def saved() -> None:
        _save(plan, manifest, result, "building")

    regions = _RegionStage(plan, manifest, pdf_due, saved, lock)
    state = "stopped"
    with contextlib.ExitStack() as stack:
        outcomes = _submit(pool, _tasks(plan, todo, notebook_timeout))  # now, before any thread or browser starts
        regions.write_overview()
        bar = stack.enter_context(_progress(len(todo) + len(pdf_due), progress, plan.period))
        interrupted = False
        runs_done = None
        try:
            for task, outcome in outcomes:
                if isinstance(outcome, BaseException):
                    outcome = _failed_outcome(task, outcome)
                if outcome.status == "interrupted":  # Ctrl-C: not recorded, so --resume runs it again
                    interrupted = True
                    continue
                with lock:
                    manifest["runs"][task.run.key] = run_entry(task.run, outcome, inputs,
                                                               print_charts="pdf" in plan.formats)
                    manifest["runs"][task.run.key]["rerun_reason"] = (reasons or {}).get(task.run.key)
                    saved()
                result.executed.append(task.run.key)
                bar.update(1)
                if outcome.status != "ok":
                    bar.set_postfix_str(f"{sum(e['status'] != 'ok' for e in manifest['runs'].values())} failed")
                regions.print_complete_regions(stack, bar)
            if interrupted:
                raise KeyboardInterrupt
            runs_done = perf_counter()
            regions.print_complete_regions(stack, bar)  # regions where nothing had to run, only the PDF
            regions.finish()  # the last regions' PDFs and tables
            state = "complete"
        finally:
            close = getattr(outcomes, "close", None)
            if close is not None:  # stop the workers (interrupting their runs) before the manifest is written
                close()
            regions.stop()  # after Ctrl-C: the region in hand is finished, no other started
            remove_stale_temporaries(plan.out_dir)  # e.g. of a worker that was killed mid-write
            if regions.browser_version is not None:
                manifest["versions"] = versions(regions.browser_version)
            end = perf_counter()
            manifest["timings"] = {"execute_wall": round((runs_done or end) - execute_start, 3),
                                   "pdf": round(regions.seconds["pdf"], 3),
                                   "tables": round(regions.seconds["tables"], 3),
                                   "after_runs": round(end - runs_done, 3) if runs_done else None,
                                   "total": round(end - start, 3)}
            _save(plan, manifest, result, state)
    runs = manifest["runs"].values()
    result.rerun_reasons = {key: reasons[key] for key in result.executed if key in (reasons or {})}
    result.failures = [NotebookFailure(**r["failure"]) for r in runs if r["status"] != "ok" and r.get("failure")]
    result.pdf_errors = {r["slug"]: r["error"] for r in manifest["regions"] if r.get("pdf_status") == "failed"}
    result.pdfs = [plan.out_dir / r["pdf"] for r in manifest["regions"] if r.get("pdf_status") == "ok"]
    result.seconds = round(perf_counter() - start, 3)
    return result


#: The overview's job in :class:`_RegionStage`'s queue (a region's job is its slug).
_OVERVIEW = "\0overview"


def _region_tables(plan: Plan, manifest: dict, slug: str) -> dict:
    """Every table of the region's pages as data (``--formats csv`` / ``xlsx``, :mod:`.tables`): its CSV files
    and workbook, for the region's manifest entry under ``tables`` (never raises: a write failure costs the
    exports of this region, never the pack)."""
    from .tables import write_region_tables

    runs = [(r.stem, r.ipynb) for r in plan.runs_for(slug) if manifest["runs"].get(r.key, {}).get("status") == "ok"]
    workbook = safe_path(plan.out_dir, slug, f"{plan.period}-{slug}-tables.xlsx") if "xlsx" in plan.formats else None
    try:
        return write_region_tables(runs, plan.out_dir / slug, workbook, csv="csv" in plan.formats)
    except Exception as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}


class _RegionStage:
    """The pack's work outside the notebooks: first the one-page overview (:func:`write_overview`), then for
    each region once all of its runs are done, its PDF (when due), printed in the one browser of the pack,
    launched on first use, and its table exports (with ``csv`` / ``xlsx``).

    The work runs in one thread beside the loop that collects the runs, one job after another, so the pool's
    workers start their first notebooks while the overview is written (they used to wait for it), and are
    handed their next notebook as soon as they finish one, not after a region's PDF and workbook are written
    (a worker used to sit idle for them); the last region's are the only ones the build waits for. Every
    change to the manifest, here and in the collecting loop, holds ``lock``.
    """

    def __init__(self, plan: Plan, manifest: dict, due: list[tuple[str, str]], saved: Callable[[], None],
                 lock: threading.Lock):
        self.plan, self.manifest, self.saved, self.lock = plan, manifest, saved, lock
        self.due = {slug for _name, slug in due}
        self.tables = bool({"csv", "xlsx"} & set(plan.formats))
        self.submitted: set[str] = set()
        self.printed: set[str] = set()
        self.seconds = {"pdf": 0.0, "tables": 0.0}
        self.browser_version: str | None = None
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._done = threading.Event()
        self._error: BaseException | None = None

    def write_overview(self) -> None:
        """Have the stage's thread write the overview page first (call once the pool's workers are started)."""
        self._submit(None, _OVERVIEW, None)

    def print_complete_regions(self, stack: contextlib.ExitStack, bar) -> None:
        """Hand every region whose runs are all recorded, and that has a PDF or tables to write, to the stage's
        thread (started on first use)."""
        for name, slug in self.plan.regions:
            if slug in self.submitted or not (slug in self.due or self.tables):
                continue
            if not all(r.key in self.manifest["runs"] for r in self.plan.runs_for(slug)):
                continue
            self.submitted.add(slug)
            self._submit(name, slug, bar)

    def _submit(self, name: str | None, slug: str, bar) -> None:
        if self._thread is None:
            self._done.clear()
            self._thread = threading.Thread(target=self._work, name="quotabook-pack-regions", daemon=True)
            self._thread.start()
        self._queue.put((name, slug, bar))

    def finish(self) -> None:
        """Wait until every region handed over is done; raise what stopped the stage, if anything did."""
        self._end()
        if self._error is not None:
            raise self._error

    def stop(self) -> None:
        """Start no other region (the one in hand is finished) and wait for the browser to close."""
        self._stopping.set()
        self._end()

    def _end(self) -> None:
        """Wait for the thread's end: its last job done and the browser closed.

        Waits on an event the thread sets last, not on ``Thread.join``: CPython 3.11's join, interrupted by a
        signal handler's exception (Ctrl-C, or SIGTERM's :class:`PackTerminated` while :meth:`finish` waits),
        marks a thread that is still running as stopped, so the ``join`` of :meth:`stop` then returned at once
        and the build ended with the thread still closing Chromium through playwright: the interpreter's
        shutdown under it crashed the build (exit -11 instead of 143). An interrupted ``Event.wait`` leaves
        nothing behind, and :meth:`stop` waits again.
        """
        if self._thread is not None:
            self._queue.put(None)
            self._done.wait()
            self._thread.join()  # returns at once: the thread has nothing left to do
            self._thread = None

    def _work(self) -> None:
        from .pdf import PdfPrinter

        printer = None
        ended = False  # the queue's end (None) was taken
        try:
            with contextlib.ExitStack() as browser:
                while not ended:
                    item = self._queue.get()
                    if ended := item is None:
                        continue
                    if self._stopping.is_set():
                        continue
                    name, slug, bar = item
                    if slug == _OVERVIEW:
                        overview, error = write_overview(self.plan)
                        with self.lock:
                            self.manifest.update(overview=overview, overview_error=error)
                            self.saved()
                        continue
                    if slug in self.due:
                        if printer is None:
                            printer = browser.enter_context(PdfPrinter())
                            self.browser_version = printer.version
                        self._print(printer, name, slug, bar)
                    if self.tables:
                        self._write_tables(slug)
        except BaseException as exc:  # e.g. Chromium that cannot start: raised again in the build's thread
            self._error = exc
            while not ended and self._queue.get() is not None:  # take the queue's end, then finish() and stop() end
                pass
        finally:
            self._done.set()

    def _print(self, printer, name: str, slug: str, bar) -> None:
        start = perf_counter()
        with self.lock:
            runs = {r.key: dict(self.manifest["runs"][r.key]) for r in self.plan.runs_for(slug)}
        update = _print_region(printer, self.plan, name, slug, {"runs": runs})
        with self.lock:
            next(r for r in self.manifest["regions"] if r["slug"] == slug).update(update)
            self.printed.add(slug)
            self.seconds["pdf"] += perf_counter() - start
            self.saved()
        bar.update(1)

    def _write_tables(self, slug: str) -> None:
        start = perf_counter()
        with self.lock:
            runs = {"runs": {r.key: dict(self.manifest["runs"][r.key]) for r in self.plan.runs_for(slug)}}
        tables = _region_tables(self.plan, runs, slug)
        with self.lock:
            next(r for r in self.manifest["regions"] if r["slug"] == slug)["tables"] = tables
            self.seconds["tables"] += perf_counter() - start
            self.saved()
