"""Executors: where runs execute. Each yields ``(task, outcome or exception)`` as runs finish.

An executor has one method, ``run(fn, tasks)``, so other back-ends (a Dask cluster, a batch queue) can
sit beside each other and be chosen by name from :data:`EXECUTORS`:

- ``local`` — a process pool on this machine, one worker per core by default. Processes, not threads:
  each run drives its own kernel and renders its own page, and rendering is CPU-bound Python. A worker
  that dies (SIGKILL, out of memory) fails only the run it held (:class:`WorkerLost`); the rest go on.
- ``serial`` — in this process, one run after another; for debugging and for tests that patch things.
- ``dask`` — tasks on a Dask distributed cluster, or a LocalCluster it starts
  (:class:`quotabook.pack.dask_executor.DaskExecutor`; imported only when chosen).

Optional attributes a caller may look for: ``shared_filesystem`` (False: the workers may not see this
machine's disk, so runs must return their outputs; see :mod:`quotabook.pack.dask_executor`),
``describe()`` (what the manifest records about the executor) and ``close()`` (release the workers).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import multiprocessing.process
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any, Protocol, TypeVar

from ..errors import PackError
from .kernels import WORKER_NAME

__all__ = ["EXECUTORS", "Executor", "LocalPoolExecutor", "PackTerminated", "SerialExecutor", "WorkerLost",
           "get_executor", "terminate_as_interrupt"]

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    """Runs ``fn`` over ``tasks``; yields each task with its result, or the exception that escaped ``fn``."""

    def run(self, fn: Callable[[T], R], tasks: Iterable[T]) -> Iterator[tuple[T, R | BaseException]]: ...


class SerialExecutor:
    """Every task in this process, in order."""

    def __init__(self, workers: int | None = None):
        self.workers = 1

    def run(self, fn, tasks):
        for task in tasks:
            try:
                result = fn(task)
            except Exception as exc:  # reported with its task, like a worker's exception
                result = exc
            yield task, result


class WorkerLost(RuntimeError):
    """The process running a task died before returning a result (killed, out of memory, crashed)."""


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exited with code {code}"


class PackTerminated(KeyboardInterrupt):
    """The build was asked to stop by SIGTERM; handled like Ctrl-C (runs stopped, finished ones recorded)."""


@contextlib.contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """For the duration, SIGTERM of this process raises :class:`PackTerminated` (once; a second SIGTERM
    while stopping is ignored, so it cannot cut the clean-up short). SIGPIPE is ignored meanwhile (the CLI
    lets it end ``quotabook metrics | head`` quietly), so a pipe to a child that has gone, such as
    playwright's driver while a stopped build closes its browser, is an error to handle, not sudden death
    before the manifest is written. Only in the main thread, where Python runs signal handlers; elsewhere
    a no-op."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise PackTerminated

    previous = signal.signal(signal.SIGTERM, stop)
    pipe = signal.signal(signal.SIGPIPE, signal.SIG_IGN) if hasattr(signal, "SIGPIPE") else None
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if pipe is not None:
            signal.signal(signal.SIGPIPE, pipe)


#: The signals that stop a worker (Ctrl-C, the pool stopping, the parent's death).
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
#: Seconds a worker told to stop (SIGINT, SIGTERM, its parent's death) gets to stop its kernel before it
#: is ended by SIGALRM, so that no worker can outlive a dead build for long.
_STOP_GRACE = 30


def _interrupt_once(signum, frame) -> None:
    """A worker's SIGINT and SIGTERM handler: the first signal (Ctrl-C from the terminal, the parent
    stopping the pool, the parent's death) raises ``KeyboardInterrupt``; any later one is ignored, so it
    cannot cut short the kernel's clean-up, which is bounded by an alarm instead."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    signal.alarm(_STOP_GRACE)
    raise KeyboardInterrupt


_PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    """Have the kernel send this worker SIGTERM when its parent (the build) dies, even by SIGKILL.

    Linux: ``prctl(PR_SET_PDEATHSIG)``. Elsewhere a daemon thread watches the parent's pid. Either way the
    worker stops its run and kernel as for Ctrl-C (:func:`_interrupt_once`). If the parent is already gone
    by the time this runs, the worker stops at once.
    """
    armed = False
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) == 0
    if not armed:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1)
            os.kill(os.getpid(), signal.SIGTERM)

        threading.Thread(target=watch, name="quotabook-parent-watch", daemon=True).start()
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os.kill(os.getpid(), signal.SIGTERM)


def _worker_loop(conn: Connection, fn: Callable, parent: int) -> None:
    """A pool process: receive ``(task_id, task)``, send back ``(task_id, result or exception)``; stop on None."""
    signal.signal(signal.SIGINT, _interrupt_once)
    signal.signal(signal.SIGTERM, _interrupt_once)
    try:
        # blocked since the fork (see _Worker.start): a stop sent meanwhile is handled here, like one when idle
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        _die_with_parent(parent)
        while (message := conn.recv()) is not None:
            task_id, task = message
            try:
                result = fn(task)
            except Exception as exc:  # reported with its task
                result = exc
            try:
                conn.send((task_id, result))
            except Exception as exc:  # the result does not pickle: report that instead
                conn.send((task_id, RuntimeError(f"the result of the task could not be sent back: {exc}")))
    except (KeyboardInterrupt, EOFError, OSError):  # Ctrl-C while idle, or the parent went away
        return


@dataclass
class _Worker:
    """One pool process, the pipe to it, and the task it is running (None when idle)."""

    process: multiprocessing.process.BaseProcess
    conn: Connection
    task_id: int | None = None

    @classmethod
    def start(cls, context, fn: Callable) -> _Worker:
        parent, child = context.Pipe()
        process = context.Process(target=_worker_loop, args=(child, fn, os.getpid()), daemon=True,
                                  name=WORKER_NAME)
        # The new process starts with SIGINT and SIGTERM blocked (a child inherits the mask) and unblocks them
        # once its own handlers are in place: a stop that arrives while it is still starting waits for them,
        # instead of meeting the handlers it inherited (a KeyboardInterrupt in code of the parent's, such as a
        # test runner's worker loop).
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            process.start()
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        child.close()
        return cls(process, parent)

    def send(self, task_id: int, task) -> None:
        self.task_id = task_id
        self.conn.send((task_id, task))

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)


class LocalPoolExecutor:
    """A pool of ``workers`` processes (default: ``os.cpu_count()``), each running one task at a time.

    On Linux the workers are forked, so they inherit what the parent already imported (papermill,
    nbconvert and the built HTML exporter: ~1.5 s saved per worker). They are all started by
    :meth:`run`, before the caller starts any thread or browser.

    Unlike ``concurrent.futures.ProcessPoolExecutor`` (where one dead worker breaks the whole pool and
    fails every pending task), the pool knows which task each process runs: if a process dies (SIGKILL,
    out of memory) only its task is reported, as a :class:`WorkerLost`, and a new process (forked then,
    the only fork after start-up) takes the remaining tasks. The dead worker's kernel notices its parent
    is gone and exits (ipykernel's parent poller).

    Ctrl-C reaches the workers from the terminal (same process group; the kernels are in their own
    sessions); when only this process is interrupted (``kill -INT``) the pool passes it on to the busy
    workers. Each stops its kernel and drops its run (see :func:`quotabook.pack.execute.execute_run`);
    the pool waits up to :attr:`grace` seconds for that, then terminates what is left.
    """

    #: Seconds an interrupted or abandoned run gets to stop its kernel before its process is terminated.
    grace = 20.0

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)

    def run(self, fn, tasks):
        """Start the worker processes now; iterate to collect ``(task, result | exception)`` as tasks finish."""
        tasks = list(tasks)
        if not tasks:
            return iter(())
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        context = multiprocessing.get_context(method)
        workers = [_Worker.start(context, fn) for _ in range(min(self.workers, len(tasks)))]
        return self._collect(context, fn, workers, tasks)

    def _collect(self, context, fn, workers: list[_Worker], tasks: list):
        queue = deque(enumerate(tasks))

        def dispatch(index: int) -> None:
            """Give the next task to worker ``index``, first replacing it by a new process if it has died."""
            for _attempt in range(2):
                worker = workers[index]
                if not worker.process.is_alive():
                    worker.conn.close()
                    worker = workers[index] = _Worker.start(context, fn)
                try:
                    worker.send(*queue[0])
                except OSError:  # it died just now: once more with a new process
                    worker.task_id = None
                    worker.process.join(1)
                    continue
                queue.popleft()
                return
            raise WorkerLost("could not start a worker process")

        try:
            for index in range(len(workers)):
                if queue:
                    dispatch(index)
            while any(w.task_id is not None for w in workers):
                busy = [w for w in workers if w.task_id is not None]
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for index, worker in enumerate(workers):
                    if worker.task_id is None or not ready & {worker.conn, worker.process.sentinel}:
                        continue
                    task_id, result = self._receive(worker)
                    if queue:
                        dispatch(index)
                    yield tasks[task_id], result
        finally:
            self._shutdown(workers)

    @staticmethod
    def _receive(worker: _Worker) -> tuple[int, object]:
        """The busy worker's ``(task_id, result)``, or a :class:`WorkerLost` if its process died."""
        task_id, worker.task_id = worker.task_id, None
        try:
            if worker.conn.poll():
                return worker.conn.recv()
        except (EOFError, OSError):
            pass
        worker.process.join(5)
        pid, reason = worker.process.pid, _exit_reason(worker.process.exitcode)
        return task_id, WorkerLost(f"the worker process (pid {pid}) running this notebook died ({reason}); "
                                   "the other notebooks went on — run again with --resume")

    def _shutdown(self, workers: list[_Worker]) -> None:
        """Stop every worker: interrupt busy ones, give them :attr:`grace` seconds, then terminate."""
        busy = {id(w): w for w in workers if w.task_id is not None and w.process.is_alive()}
        for worker in busy.values():
            with contextlib.suppress(OSError):
                os.kill(worker.process.pid, signal.SIGINT)
        deadline = time.monotonic() + self.grace
        while busy and time.monotonic() < deadline:  # wait for their "interrupted" replies; the runs are dropped
            ready = set(wait([w.conn for w in busy.values()] + [w.process.sentinel for w in busy.values()],
                             timeout=max(0.0, deadline - time.monotonic())))
            for key, worker in list(busy.items()):
                if ready & {worker.conn, worker.process.sentinel}:
                    with contextlib.suppress(EOFError, OSError):
                        worker.conn.recv()
                    worker.task_id = None
                    del busy[key]
        for worker in workers:
            worker.stop()
        for worker in workers:
            worker.process.join(0 if id(worker) in busy else 5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join(5)
            worker.conn.close()


def _dask(workers: int | None = None, scheduler: str = "local") -> Executor:
    from .dask_executor import DaskExecutor  # distributed is imported only when a pack asks for it

    return DaskExecutor(workers, scheduler=scheduler)


EXECUTORS: dict[str, Callable[..., Executor]] = {"local": LocalPoolExecutor, "serial": SerialExecutor,
                                                 "dask": _dask}


def get_executor(name: str = "local", workers: int | None = None, **options: Any) -> Executor:
    """The executor registered as ``name``, sized for ``workers``; ``options`` go to its constructor
    (e.g. ``scheduler="tcp://host:8786"`` for ``dask``).

    Raises
    ------
    PackError
        Unknown name (the message lists the known ones), or a scheduler that cannot be reached.
    """
    try:
        factory = EXECUTORS[name]
    except KeyError:
        raise PackError(f"unknown executor {name!r}; known: {', '.join(EXECUTORS)}") from None
    return factory(workers, **options)
