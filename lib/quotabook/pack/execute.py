"""Execute one run: papermill on one notebook for one region, then its HTML page.

:func:`execute_run` is what an executor (see :mod:`quotabook.pack.executors`) calls in a worker. It never
raises for a notebook problem: an exception in a cell, a cell running past the timeout or a dead kernel
becomes a :class:`~quotabook.errors.NotebookFailure` in the returned :class:`RunOutcome`, so one bad
notebook cannot sink the pack. Outputs are written atomically: papermill saves into a hidden temporary
next to the target, which replaces the target only once execution has finished (ok or failed).
Kernel chatter on stdout/stderr goes to a log file, kept only when the run fails.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter

from ..errors import NotebookFailure
from .files import atomic_write_text, temporary_path
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
    write_html: bool = True
    log: Path | None = None
    env: tuple[tuple[str, str], ...] = ()


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
    """Send this process's and its kernel's stdout/stderr (file descriptors 1 and 2) to ``log``.

    Kernels print start-up warnings and shutdown tracebacks straight to the inherited descriptors; left
    alone they would scribble over the progress bar.
    """
    if log is None:
        yield
        return
    log.parent.mkdir(parents=True, exist_ok=True)
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


def _failure(run: Run, exc: BaseException, nb, timeout: float | None) -> NotebookFailure:
    from papermill.exceptions import PapermillExecutionError

    if isinstance(exc, PapermillExecutionError):
        return NotebookFailure(run.stem, run.region, exc.cell_index, exc.ename, exc.evalue, ERROR_ANCHOR)
    cell = _stopped_cell(nb) if nb is not None else None
    if isinstance(exc, TimeoutError):
        evalue = f"a cell ran longer than the {timeout:g} s timeout and the kernel was stopped"
        return NotebookFailure(run.stem, run.region, cell, "CellTimeoutError", evalue)
    return NotebookFailure(run.stem, run.region, cell, type(exc).__name__, str(exc).strip()[:2000])


def execute_run(task: Task) -> RunOutcome:
    """Execute ``task.run`` with papermill, write its executed notebook and (optionally) its HTML page.

    The kernel starts in the notebook's folder, as in JupyterLab. ``task.timeout`` is papermill's
    ``execution_timeout``: seconds any one cell may run before the kernel is interrupted and the run
    reported as failed. Ctrl-C: see :class:`~quotabook.pack.executors.LocalPoolExecutor`.
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


def _execute(task: Task) -> RunOutcome:
    import nbformat
    import papermill

    from .render import extract_records, find_network_refs, notebook_html

    run = task.run
    outcome = RunOutcome(key=run.key, status="ok", started_at=datetime.now(UTC).isoformat(timespec="seconds"))
    run.ipynb.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(run.ipynb)
    nb = None
    start = perf_counter()
    try:
        error: BaseException | None = None
        with _environ(dict(task.env)), _output_to(task.log):
            try:
                papermill.execute_notebook(str(run.notebook), str(tmp), parameters=dict(run.parameters),
                                           execution_timeout=task.timeout, progress_bar=False, log_output=False,
                                           cwd=str(run.notebook.parent))
            except Exception as exc:  # any failure of this notebook is recorded, never raised
                error = exc
        outcome.timings["execute"] = round(perf_counter() - start, 3)
        if tmp.exists():
            nb = nbformat.read(tmp, as_version=4)
            nb.metadata.setdefault("papermill", {})["output_path"] = run.ipynb.name
            outcome.headlines, outcome.alerts = extract_records(nb)
            atomic_write_text(run.ipynb, nbformat.writes(nb))
            outcome.outputs["ipynb"] = run.ipynb.name
        if error is not None:
            outcome.status = "failed"
            outcome.failure = _failure(run, error, nb, task.timeout)
        if nb is not None and task.write_html:
            start = perf_counter()
            page = notebook_html(nb, title=f"{run.title} — {run.region} — {run.parameters['period']}")
            atomic_write_text(run.html, page)
            outcome.timings["html"] = round(perf_counter() - start, 3)
            outcome.outputs["html"] = run.html.name
            outcome.network_refs = find_network_refs(page)
    except Exception as exc:  # rendering or writing failed: still a recorded failure of this run
        outcome.status = "failed"
        outcome.failure = outcome.failure or NotebookFailure(run.stem, run.region, None, type(exc).__name__,
                                                             str(exc).strip()[:2000])
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    if task.log is not None:
        if outcome.status == "ok":
            with contextlib.suppress(FileNotFoundError):
                task.log.unlink()
        elif task.log.exists():
            outcome.log = str(task.log)
    return outcome
