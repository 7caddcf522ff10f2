"""Packs on a Dask distributed cluster: each notebook run is one task; its outputs come back with its result.

:class:`DaskExecutor` connects to a scheduler (``tcp://host:8786``, ``tls://…``, a scheduler JSON file) or
starts a :class:`distributed.LocalCluster` (``"local"``) and yields ``(task, result | exception)`` as
tasks finish, like the other executors.

Workers are not assumed to share the client's disk. A run therefore goes out as a :class:`RemoteTask`
(the task plus the notebook's bytes) and executes in a private temporary folder on the worker
(:func:`execute_detached`); the executed notebook, its HTML page and, for a failed run, its log travel
back in a :class:`DetachedOutcome`, and :func:`land` writes them atomically into the pack folder on the
client, so the manifest, the index and the PDFs are built exactly as for a local pool.

What workers do need: the same ``quotabook`` (and notebook dependencies) installed, and the *data*:
notebooks receive the data folder's absolute path (or read ``demo`` from ``QUOTABOOK_DEMO_DIR``, also a
client path), so it must exist at the same path on every worker (a read-only mount or a copy), unless
the source is a database named by ``env:VAR`` with that variable set in the workers' environment.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import socket
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from ..errors import PackError
from .execute import RunOutcome, Task, execute_run
from .files import atomic_write_bytes

__all__ = ["DaskExecutor", "DetachedOutcome", "RemoteTask", "execute_detached", "land", "land_outcomes",
           "redact_address", "remote_tasks"]

#: Seconds to wait for a remote scheduler before giving up.
CONNECT_TIMEOUT = 10
#: Seconds a scheduler's address gets to accept a plain TCP connection before a Client is made for it.
PROBE_TIMEOUT = 5.0


def _client_class():
    """:class:`distributed.Client` that, when it could not connect, closes within a second when collected,
    quietly: the plain Client's ``__del__`` waits twice its connect timeout and prints a traceback
    (``Exception ignored in Client.__del__``) after the user has already been told the scheduler is
    unreachable."""
    from distributed import Client

    class QuietClient(Client):
        _failed_start = False

        def start(self, **kwargs):
            try:
                return super().start(**kwargs)
            except BaseException:
                self._failed_start = True
                raise

        def __del__(self):
            if not self._failed_start:
                super().__del__()
                return
            with contextlib.suppress(Exception):
                self.close(timeout=1)

    return QuietClient


def probe_scheduler(address: str, timeout: float | None = None) -> None:
    """Fail fast when no Dask scheduler listens at a ``tcp://`` or ``tls://`` address (for ``tcp://``, one
    that accepts the connection but never sends the handshake a Dask server sends first counts as none).

    A :class:`distributed.Client` for an unreachable address waits its whole connect timeout, and then its
    clean-up waits again (``Exception ignored in Client.__del__ … timed out after 40 s``). A bare TCP
    connection answers in ``timeout`` seconds (default :data:`PROBE_TIMEOUT`) at most, and no Client is
    made for an address that would fail.

    Raises
    ------
    PackError
        Nothing accepted the connection (refused, unknown host, no answer in time); the address is shown
        without credentials.
    """
    timeout = PROBE_TIMEOUT if timeout is None else timeout
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    if parts.scheme not in ("tcp", "tls") or not parts.hostname:
        return  # another transport (inproc, ucx): left to distributed
    try:
        port = parts.port or 8786
        with socket.create_connection((parts.hostname, port), timeout=timeout) as conn:
            # A Dask server sends its handshake as soon as it accepts (distributed.comm.core); a client
            # waits for it with no time limit, so a listener that never speaks would hang the build.
            if parts.scheme == "tcp" and not conn.recv(1):
                raise ConnectionResetError("closed the connection without a word")
    except (OSError, ValueError) as exc:
        reason = (f"no Dask scheduler answered there within {timeout:g} s" if isinstance(exc, TimeoutError)
                  else getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)
        raise PackError(f"cannot reach the Dask scheduler at {redact_address(address)}: {reason}") from None


# One run at a time per worker process: a run redirects the process's stdout/stderr to its log and sets
# environment variables for its kernel, both process-wide. Start workers with `--nthreads 1` to use every core.
_RUN_LOCK = threading.Lock()


def redact_address(address: str) -> str:
    """``address`` as safe to print and record: no user, password, query or fragment."""
    if "://" not in address:
        return address.rpartition("@")[2]
    parts = urlsplit(address)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


@dataclass(frozen=True)
class RemoteTask:
    """A :class:`~quotabook.pack.execute.Task` with its notebook's bytes, for a worker without our disk."""

    task: Task
    notebook: bytes


@dataclass
class DetachedOutcome:
    """A run's :class:`~quotabook.pack.execute.RunOutcome` and the bytes of its outputs (keyed like
    ``outcome.outputs``: ``ipynb``, ``html``), plus its log when the run failed."""

    outcome: RunOutcome
    files: dict[str, bytes]
    log: bytes | None = None


def _notebook_on_worker(path: Path, source: bytes, folder: Path) -> Path:
    """The notebook as found on this worker: in place if the same file is there (so the kernel starts in
    its own folder, as locally), else the shipped copy in ``folder``."""
    with contextlib.suppress(OSError):
        if path.read_bytes() == source:
            return path
    copy = folder / "notebook" / path.name
    copy.parent.mkdir(parents=True)
    copy.write_bytes(source)
    return copy


def execute_detached(remote: RemoteTask) -> DetachedOutcome:
    """Run ``remote.task`` in a temporary folder on this machine; return the outcome with its output bytes.

    Nothing is left behind on the worker. Failures of the notebook are in the outcome, as for
    :func:`~quotabook.pack.execute.execute_run`.
    """
    task = remote.task
    run = task.run
    with _RUN_LOCK, tempfile.TemporaryDirectory(prefix="quotabook-run-") as tmp:
        folder = Path(tmp)
        out = folder / "out"
        here = dataclasses.replace(run, notebook=_notebook_on_worker(run.notebook, remote.notebook, folder),
                                   ipynb=out / run.ipynb.name, html=out / run.html.name)
        outcome = execute_run(dataclasses.replace(task, run=here, log=folder / "run.log" if task.log else None))
        files = {kind: (out / name).read_bytes() for kind, name in outcome.outputs.items()}
        log = Path(outcome.log).read_bytes() if outcome.log else None
    outcome.log = None
    return DetachedOutcome(outcome=outcome, files=files, log=log)


def land(task: Task, detached: DetachedOutcome) -> RunOutcome:
    """Write a detached run's outputs to ``task``'s paths on this machine (atomically); return its outcome."""
    run = task.run
    targets = {"ipynb": run.ipynb, "html": run.html}
    outcome = detached.outcome
    for kind, data in detached.files.items():
        atomic_write_bytes(targets[kind], data)
    if detached.log is not None and task.log is not None:
        atomic_write_bytes(task.log, detached.log)
        outcome.log = str(task.log)
    return outcome


def land_outcomes(results: Iterable[tuple[RemoteTask, DetachedOutcome | BaseException]]
                  ) -> Iterator[tuple[Task, RunOutcome | BaseException]]:
    """``(task, outcome)`` for each finished remote run, its outputs written into the pack on the way."""
    for remote, result in results:
        if isinstance(result, BaseException):
            yield remote.task, result
            continue
        try:
            outcome = land(remote.task, result)
        except OSError as exc:  # this run's outputs could not be written here: a failure of this run only
            yield remote.task, exc
        else:
            yield remote.task, outcome


def remote_tasks(tasks: Iterable[Task]) -> list[RemoteTask]:
    """Each task with its notebook's bytes (read once per notebook file)."""
    sources: dict[Path, bytes] = {}
    out = []
    for task in tasks:
        path = task.run.notebook
        if path not in sources:
            sources[path] = path.read_bytes()
        out.append(RemoteTask(task, sources[path]))
    return out


class DaskExecutor:
    """Tasks on a Dask distributed cluster.

    Parameters
    ----------
    workers : for ``scheduler="local"``, worker processes of the LocalCluster (default: one per core, one
        thread each). Ignored for a remote cluster, which runs on the workers it has; ``self.workers`` is
        then their total threads at connection (what the manifest records).
    scheduler : ``"local"``, a scheduler address (``tcp://host:8786``, ``tls://host:8786``), or the path of
        a scheduler JSON file (``dask scheduler --scheduler-file``). TLS settings come from Dask's config.

    Raises
    ------
    PackError
        The scheduler cannot be reached (the message shows the address without any credentials).
    """

    #: Workers may not see this machine's disk: callers send :class:`RemoteTask` and :func:`land` the results.
    shared_filesystem = False

    def __init__(self, workers: int | None = None, scheduler: str = "local"):
        from distributed import LocalCluster

        Client = _client_class()

        self.scheduler = "local" if scheduler in (None, "", "local") else str(scheduler)
        self._cluster = None
        try:
            if self.scheduler == "local":
                n = max(1, workers or os.cpu_count() or 1)
                # No dashboard; the scheduler's small HTTP server on a free port, not 8787 (may be taken).
                self._cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                             dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                             silence_logs=logging.ERROR)
                self._client = Client(self._cluster, set_as_default=False)
            elif self.scheduler.endswith(".json") and Path(self.scheduler).is_file():
                self._client = Client(scheduler_file=self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
            else:
                probe_scheduler(self.scheduler)
                self._client = Client(self.scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except PackError:
            raise
        except Exception as exc:  # unreachable scheduler, bad address, workers that would not start
            self.close()
            where = ("start a LocalCluster" if self.scheduler == "local"
                     else f"reach the Dask scheduler at {redact_address(self.scheduler)}")
            hint = "" if self.scheduler == "local" else (
                f" (no Dask scheduler answered there within {CONNECT_TIMEOUT} s: is one listening at that address?)")
            raise PackError(f"cannot {where}: {type(exc).__name__}{hint}") from None
        self.workers = max(1, sum(self._client.nthreads().values()))  # worker threads: runs at once

    def describe(self) -> dict:
        """What the manifest records: executor name, scheduler (no credentials), worker threads."""
        return {"name": "dask", "scheduler": redact_address(self.scheduler), "workers": self.workers}

    def run(self, fn: Callable, tasks: Iterable) -> Iterator[tuple[object, object]]:
        """Submit every task now; iterate to collect ``(task, result | exception)`` as tasks finish."""
        tasks = list(tasks)
        if not tasks:
            return iter(())
        # pure=False: two runs are never the same computation; keys are unique per submit.
        futures = {self._client.submit(fn, task, pure=False): task for task in tasks}
        return self._collect(futures)

    def _collect(self, futures: dict) -> Iterator[tuple[object, object]]:
        from distributed import as_completed

        try:
            for future in as_completed(futures, loop=self._client.loop):
                if future.status == "finished":
                    result = future.result()
                elif future.status == "error":  # fn raised, or the task's workers kept dying (KilledWorker)
                    result = future.exception()
                else:
                    result = RuntimeError(f"the cluster reported the task as {future.status}")
                # Forget the future so the cluster can free its result (a page and a notebook) right away.
                task = futures.pop(future)
                future.release()
                yield task, result
        finally:
            self._client.cancel([f for f in futures if not f.done()])

    def close(self) -> None:
        """Disconnect; stop the LocalCluster if this executor started it."""
        for thing in (getattr(self, "_client", None), self._cluster):
            if thing is not None:
                with contextlib.suppress(Exception):
                    thing.close()
        self._client = self._cluster = None

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
