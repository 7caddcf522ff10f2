"""Executors: where runs execute. Each yields ``(task, outcome or exception)`` as runs finish.

An executor has one method, ``run(fn, tasks)``, so other back-ends (a Dask cluster, a batch queue) can
sit beside each other and be chosen by name from :data:`EXECUTORS`:

- ``local`` — a process pool on this machine, one worker per core by default. Processes, not threads:
  each run drives its own kernel and renders its own page, and rendering is CPU-bound Python.
- ``serial`` — in this process, one run after another; for debugging and for tests that patch things.
- ``dask`` — tasks on a Dask distributed cluster, or a LocalCluster it starts
  (:class:`quotabook.pack.dask_executor.DaskExecutor`; imported only when chosen).

Optional attributes a caller may look for: ``shared_filesystem`` (False: the workers may not see this
machine's disk, so runs must return their outputs; see :mod:`quotabook.pack.dask_executor`),
``describe()`` (what the manifest records about the executor) and ``close()`` (release the workers).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, Protocol, TypeVar

from ..errors import PackError

__all__ = ["EXECUTORS", "Executor", "LocalPoolExecutor", "SerialExecutor", "get_executor"]

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


class LocalPoolExecutor:
    """A pool of ``workers`` processes (default: ``os.cpu_count()``).

    On Linux the workers are forked, so they inherit what the parent already imported (papermill,
    nbconvert and the built HTML exporter: ~1.5 s saved per worker). All tasks are submitted up front,
    before the caller starts any thread or browser, so no fork happens after that. If the caller stops
    early (Ctrl-C, an error) pending runs are cancelled. Ctrl-C also reaches the workers (same process
    group; the kernels are in their own sessions): each stops its kernel, drops its run and declines the
    runs it is still handed (see :func:`quotabook.pack.execute.execute_run`).
    """

    def __init__(self, workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)

    def run(self, fn, tasks):
        """Submit every task now (so all forking is over when this returns); iterate to collect results."""
        tasks = list(tasks)
        if not tasks:
            return iter(())
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(tasks)),
                                   mp_context=multiprocessing.get_context(method))
        futures: dict[Future, object] = {pool.submit(fn, task): task for task in tasks}
        return self._collect(pool, futures)

    @staticmethod
    def _collect(pool: ProcessPoolExecutor, futures: dict[Future, object]):
        try:
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    exc = future.exception()
                    yield futures[future], (exc if exc is not None else future.result())
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


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
