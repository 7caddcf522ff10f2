"""Execute one run: papermill on one notebook for one region, then its HTML page.

:func:`execute_run` is what an executor (see :mod:`quotabook.pack.executors`) calls in a worker. It never
raises for a notebook problem: an exception in a cell, a cell running past the timeout or a dead kernel
becomes a :class:`~quotabook.errors.NotebookFailure` in the returned :class:`RunOutcome`, so one bad
notebook cannot sink the pack. Outputs are written atomically: papermill saves into a hidden temporary
next to the target, which replaces the target only once execution has finished (ok or failed).
Kernel chatter on stdout/stderr goes to a log file (also through a temporary), kept only when the run
fails. Two time limits stop a hung notebook: ``timeout`` per cell and ``notebook_timeout`` for the whole
notebook; either way the kernel is interrupted and the run is reported failed with the limit it hit.
A full disk fails the run with a message naming the file (see :class:`~quotabook.pack.files.DiskFullError`).
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from time import monotonic, perf_counter

from ..errors import NotebookFailure
from ..privacy import mask, mask_tree
from . import kernels
from .files import atomic_write_text, disk_full, is_disk_full, temporary_path
from .navigation import PageNav
from .plan import Run

__all__ = ["ERROR_ANCHOR", "RunOutcome", "Task", "execute_run"]

_INTERRUPTED = False  # set in a pool worker once Ctrl-C reached it

#: The element id of papermill's "execution stopped here" banner in a failed notebook's page.
ERROR_ANCHOR = "papermill-error-cell"


@dataclass(frozen=True)
class Task:
    """What a worker needs for one run (picklable: paths, strings and numbers only)."""

    run: Run
    timeout: float | None = 600
    notebook_timeout: float | None = None
    write_html: bool = True
    log: Path | None = None
    env: tuple[tuple[str, str], ...] = ()
    nav: PageNav | None = None  # the page's header and H1 scope (None: a page without navigation)


@dataclass
class RunOutcome:
    """What happened to one run: ``status`` is ``ok``, ``failed`` or ``interrupted`` (Ctrl-C; not recorded).
    ``timings`` are seconds (``execute``, ``html``); ``outputs`` are the files
    written by this run; ``network_refs`` lists any network resource the page would load (should be none)."""

    key: str
    status: str
    started_at: str
    failure: NotebookFailure | None = None
    headlines: dict = field(default_factory=dict)
    alerts: list = field(default_factory=list)
    figures: list = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    outputs: dict = field(default_factory=dict)
    network_refs: list = field(default_factory=list)
    log: str | None = None


@contextlib.contextmanager
def _environ(updates: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration (the kernel inherits them), then restore."""
    old = {k: os.environ.get(k) for k in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextlib.contextmanager
def _output_to(log: Path | None) -> Iterator[None]:
    """Send this process's and its kernel's stdout/stderr (file descriptors 1 and 2) to the file ``log``
    (a temporary: :func:`_execute` keeps it as the run's log only if the run fails).

    Kernels print start-up warnings and shutdown tracebacks straight to the inherited descriptors; left
    alone they would scribble over the progress bar.
    """
    if log is None:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log, "wb") as fh:
        os.dup2(fh.fileno(), 1)
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def _stopped_cell(nb) -> int | None:
    """Index of the cell that was running when execution stopped (first error output, else last started)."""
    last = None
    for index, cell in enumerate(nb.cells):
        if any(o.get("output_type") == "error" for o in cell.get("outputs", ())):
            return index
        if cell.get("metadata", {}).get("papermill", {}).get("start_time"):
            last = index
    return last


def _heading_above(nb, index: int) -> str:
    """The last Markdown heading at or above cell ``index`` ("Coverage against the bars"), or ""."""
    for cell in reversed(nb.cells[: index + 1]):
        if cell.get("cell_type") == "markdown":
            headings = [line.lstrip("#").strip() for line in str(cell.get("source", "")).splitlines()
                        if line.startswith("#")]
            if headings:
                return headings[-1]
    return ""


def _numbered(failure: NotebookFailure, nb) -> NotebookFailure:
    """``failure`` with its cell's number as the page shows it ("In [5]") and the section it sits in, so the
    index, the error message and the page name the cell the same way.

    The cell is found again in the notebook as written: papermill reports the index the cell had while it
    ran, then inserts its error banners above it (one at the top, one just before the cell), so that index
    points two cells too early in the saved notebook.
    """
    if nb is None or failure.cell_index is None:
        return failure
    index = _stopped_cell(nb)
    if index is None or not 0 <= index < len(nb.cells):
        return failure
    count = nb.cells[index].get("execution_count")
    return replace(failure, cell_index=index, execution_count=int(count) if count is not None else None,
                   section=_heading_above(nb, index))


def _failure(run: Run, exc: BaseException, nb, task: Task, over_budget: bool) -> NotebookFailure:
    return _numbered(_cause(run, exc, nb, task, over_budget), nb)


def _cause(run: Run, exc: BaseException, nb, task: Task, over_budget: bool) -> NotebookFailure:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return NotebookFailure(run.stem, run.region, exc.cell_index, exc.ename, exc.evalue, ERROR_ANCHOR)
    cell = _stopped_cell(nb) if nb is not None else None
    if isinstance(exc, TimeoutError) and over_budget:
        evalue = (f"the notebook ran longer than its {task.notebook_timeout:g} s time limit (whole notebook) "
                  "and the kernel was stopped")
        return NotebookFailure(run.stem, run.region, cell, "NotebookTimeoutError", evalue)
    if isinstance(exc, TimeoutError):
        evalue = f"a cell ran longer than the {task.timeout:g} s timeout and the kernel was stopped"
        return NotebookFailure(run.stem, run.region, cell, "CellTimeoutError", evalue)
    if is_disk_full(exc):  # papermill saves the notebook as it runs
        exc = disk_full(run.ipynb, exc)
    return NotebookFailure(run.stem, run.region, cell, type(exc).__name__, str(exc).strip()[:2000])


#: Seconds a kernel may take to answer after it starts. papermill's 60 s default is too short on a busy machine
#: (two pack workers, their kernels and a browser on two cores, or a CI run beside them): a kernel slow to start
#: is not a notebook that failed, and reporting it as one made a pack fail at random.
KERNEL_START_TIMEOUT = 180


def _time_limits(task: Task) -> tuple[dict, Callable[[], bool]]:
    """papermill keyword arguments enforcing both limits, and a test of whether the notebook's budget ran out.

    The whole-notebook limit is a per-cell deadline that shrinks as the notebook runs (nbclient's
    ``timeout_func``): each cell may run for the per-cell timeout or what is left of the budget, whichever
    is smaller; when it fires nbclient interrupts the kernel and raises its ``CellTimeoutError``. A cell
    started once the budget is spent is stopped at once (a ``TimeoutError`` from ``timeout_func``).
    """
    if not task.notebook_timeout:
        return {"execution_timeout": task.timeout}, lambda: False
    deadline = monotonic() + task.notebook_timeout
    budget_bound = [False]  # whether the last cell's limit was what was left of the notebook's budget

    def cell_timeout(cell) -> int:  # nbclient asks just after sending the cell to the kernel
        left = deadline - monotonic()
        budget_bound[0] = not task.timeout or left < task.timeout
        if left <= 0:  # spent (a timeout of 0 would mean none): stop here; the kernel is shut down
            raise TimeoutError("the notebook's time budget is spent")
        return math.ceil(left) if budget_bound[0] else math.ceil(task.timeout)

    return {"timeout_func": cell_timeout}, lambda: budget_bound[0]


def execute_run(task: Task) -> RunOutcome:
    """Execute ``task.run`` with papermill, write its executed notebook and (optionally) its HTML page.

    The kernel starts in the notebook's folder, as in JupyterLab. ``task.timeout``: seconds any one cell
    may run; ``task.notebook_timeout``: seconds the whole notebook may run (None: no limit). Past either
    the kernel is interrupted and the run reported as failed (``CellTimeoutError`` or
    ``NotebookTimeoutError``). Ctrl-C: see :class:`~quotabook.pack.executors.LocalPoolExecutor`.
    """
    global _INTERRUPTED
    run = task.run
    if _INTERRUPTED:
        return RunOutcome(key=run.key, status="interrupted", started_at="")
    try:
        return _execute(task)
    except KeyboardInterrupt:
        if multiprocessing.parent_process() is None:
            raise  # in the main process (serial executor) Ctrl-C simply propagates
        # A pool worker hit by Ctrl-C: papermill has stopped the kernel and no output was written, so the good
        # files of an earlier build stay in place. Decline the runs still queued for this process.
        _INTERRUPTED = True
        return RunOutcome(key=run.key, status="interrupted", started_at="")


def _mask_parameters(nb) -> None:
    """Mask contact details in the parameters papermill recorded in the executed notebook (its metadata and
    the injected cell): a region named after a person's email is data, and an executed notebook an output."""
    meta = nb.metadata.get("papermill", {})
    if isinstance(meta.get("parameters"), dict):
        meta["parameters"] = mask_tree(meta["parameters"])
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", ()):
            cell.source = mask(cell.source)


def _execute(task: Task) -> RunOutcome:
    import nbformat
    import papermill

    from ..headlines import extract_figures
    from . import notebook_engine  # registers the engine: the executed notebook is written once, at its end
    from .render import extract_records, find_network_refs, notebook_html

    run = task.run
    outcome = RunOutcome(key=run.key, status="ok", started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    run.ipynb.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(run.ipynb)
    log_tmp = None
    if task.log is not None:
        task.log.parent.mkdir(parents=True, exist_ok=True)
        log_tmp = temporary_path(task.log)
    nb = None
    limits, over_budget = _time_limits(task)
    start = perf_counter()
    chatter = b""
    try:
        error: BaseException | None = None
        with _environ(dict(task.env)), _output_to(log_tmp):
            spare = _kernel_started_ahead(task)
            try:
                papermill.execute_notebook(str(run.notebook), str(tmp), parameters=dict(run.parameters),
                                           progress_bar=False, log_output=False, cwd=str(run.notebook.parent),
                                           start_timeout=KERNEL_START_TIMEOUT, engine_name=notebook_engine.NAME,
                                           **limits,
                                           **({"km": spare.km} if spare is not None else {}))
            except Exception as exc:  # any failure of this notebook is recorded, never raised
                error = exc
            except BaseException:  # Ctrl-C, SIGTERM: its kernel goes at once, as the worker stops
                if spare is not None:
                    kernels.stop(spare, now=True)
                raise
            if spare is not None:  # papermill stops only the kernels it started
                chatter = kernels.stop(spare)
        if chatter:
            _write_log(log_tmp, chatter)
        outcome.timings["execute"] = round(perf_counter() - start, 3)
        if tmp.exists():
            try:
                nb = nbformat.read(tmp, as_version=4)
            except Exception:  # cut short (e.g. by a full disk): the error that stopped papermill says why
                if error is None:
                    raise
        if nb is not None:
            nb.metadata.setdefault("papermill", {})["output_path"] = run.ipynb.name
            _mask_parameters(nb)
            outcome.headlines, outcome.alerts = extract_records(nb)
            outcome.figures = extract_figures(nb)
        if error is not None:
            outcome.status = "failed"
            outcome.failure = _failure(run, error, nb, task, over_budget())
        if nb is not None:
            atomic_write_text(run.ipynb, nbformat.writes(nb))
            outcome.outputs["ipynb"] = run.ipynb.name
        if nb is not None and task.write_html:
            start = perf_counter()
            page = notebook_html(nb, title=mask(f"{run.title} — {run.region} — {run.parameters['period']}"),
                                 nav=task.nav)
            atomic_write_text(run.html, page)
            outcome.timings["html"] = round(perf_counter() - start, 3)
            outcome.outputs["html"] = run.html.name
            outcome.network_refs = find_network_refs(page)
    except Exception as exc:  # rendering or writing failed (a full disk): still a recorded failure of this run
        outcome.status = "failed"
        outcome.failure = outcome.failure or NotebookFailure(run.stem, run.region, None, type(exc).__name__,
                                                             str(exc).strip()[:2000])
    except BaseException:  # Ctrl-C: nothing of this run is kept or removed
        outcome.status = "interrupted"
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if log_tmp is not None:
            _keep_log(outcome, log_tmp, task.log)
    return outcome


def _kernel_started_ahead(task: Task) -> kernels.Spare | None:
    """In a pool worker: the kernel started for this run during the previous one (for the first run, or when it
    was started for another kernel, folder or environment, or died: one forked now from the worker's zygote, or
    None without one), and the next run's kernel started now, importing what the notebooks import while this one
    runs (see :mod:`quotabook.pack.kernels` and :mod:`quotabook.pack.zygote`)."""
    if not kernels.enabled():
        return None
    folder = task.run.notebook.parent
    try:
        name = kernels.kernel_name(task.run.notebook)
        modules = kernels.folder_modules(folder)
    except (OSError, ValueError):  # an unreadable notebook: papermill reports it, with a kernel of its own
        return None
    spare = kernels.take(name, folder, task.env)
    if spare is None:  # the worker's first run (or its spare died): a kernel forked now, when a zygote can
        spare = kernels.start_now(name, folder, task.env, modules)
    kernels.start_spare(name, folder, task.env, modules)
    return spare


def _write_log(log_tmp: Path | None, chatter: bytes) -> None:
    """Add what a kernel started ahead printed to the run's log (or, without one, to this process's stderr,
    where a kernel started by papermill would have printed it)."""
    if log_tmp is None:
        os.write(2, chatter)
        return
    with contextlib.suppress(OSError), open(log_tmp, "ab") as handle:
        handle.write(chatter)


def _keep_log(outcome: RunOutcome, log_tmp: Path, log: Path) -> None:
    """Keep the run's log if it failed (renamed over ``log``, atomically); drop it if the run succeeded, with
    any log of an earlier failure; leave the earlier log alone if the run was interrupted. An empty log, or
    one cut short by a full disk, is not kept."""
    try:
        disk_was_full = outcome.failure is not None and outcome.failure.ename == "DiskFullError"
        if outcome.status == "failed" and not disk_was_full and log_tmp.exists() and log_tmp.stat().st_size:
            os.replace(log_tmp, log)
            outcome.log = str(log)
        elif outcome.status == "ok":
            with contextlib.suppress(FileNotFoundError):
                log.unlink()
    except OSError:  # a log that cannot be kept does not change the run's outcome
        pass
    finally:
        with contextlib.suppress(FileNotFoundError):
            log_tmp.unlink()
