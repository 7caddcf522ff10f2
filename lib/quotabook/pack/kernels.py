"""Kernels started ahead: each pack worker starts the kernel of its next run while the current one runs.

Every run keeps a fresh kernel of its own (a crashed or hung notebook cannot touch another), but starting one
costs seconds: the Python process and ipykernel start, then the notebook's first cell imports pandas,
matplotlib and quotabook. A pack worker therefore keeps one *spare*: when a run begins, the worker takes the
spare started during its previous run (when it was started for the same kernel, folder and environment) and
at once launches the next spare, which starts and imports the modules the pack's notebooks import (read from
their ``import`` statements) while the current notebook runs. The imports happen at kernel start-up
(ipykernel's ``exec_lines``), before any parameter arrives: nothing is bound in the notebook's namespace, no
cell is counted, and the notebook's own ``import`` lines find the modules loaded.

Only the local pool's worker processes keep spares (:func:`enabled`; ``QUOTABOOK_KERNELS_AHEAD=0`` turns them
off): they live for one build, and their spare is shut down when they exit (:func:`discard`, registered with
``multiprocessing.util.Finalize``). If the worker is killed outright, its spare notices its parent is gone and
exits (ipykernel's parent poller), as any kernel of the pack does. A spare that died while waiting is replaced
by a cold start.

Where it can, a worker does not start its kernels with ``Popen`` but forks them from its *zygote*, a process that
imported all this once (:mod:`quotabook.pack.zygote`): each kernel is still a fresh process of its own, but costs
~0.13 s of CPU instead of ~1.15 s, and the worker's first run takes one forked at once instead of starting cold.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import importlib
import json
import multiprocessing
import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

__all__ = ["PRELOAD_ENV", "SWITCH", "WORKER_NAME", "Spare", "close_zygote", "discard", "enabled", "notebook_modules",
           "preload", "prompt_client", "start_now", "start_spare", "stop", "take"]

#: The name of the local pool's worker processes (:class:`quotabook.pack.executors.LocalPoolExecutor`), the only
#: processes that keep spares.
WORKER_NAME = "quotabook-pack-worker"
#: The environment variable that turns spares off when ``0``.
SWITCH = "QUOTABOOK_KERNELS_AHEAD"
#: The environment variable handing a spare kernel the modules to import (removed once read).
PRELOAD_ENV = "QUOTABOOK_PRELOAD"
#: What ipykernel runs once started: an expression whose value (None) is not displayed and binds no name.
_EXEC_LINE = "__import__('quotabook.pack.kernels', fromlist=['preload']).preload()"
_EXEC_LINES = f"--IPKernelApp.exec_lines={json.dumps([_EXEC_LINE])}"
#: nbclient starts its kernels with an in-memory IPython history (no sqlite file shared between kernels).
_HISTORY = "--HistoryManager.hist_file=:memory:"


@dataclass
class Spare:
    """A kernel started ahead, what it was started for, and the file its stdout/stderr go to."""

    km: object  # jupyter_client AsyncKernelManager
    kernel_name: str
    cwd: str
    env: tuple[tuple[str, str], ...]
    output: Path


_SPARE: Spare | None = None


def enabled() -> bool:
    """Whether this process keeps spare kernels: a local pool worker (which lives for one build), unless
    ``$QUOTABOOK_KERNELS_AHEAD`` is ``0`` (a machine short of memory: a spare holds ~150 MB while it waits)."""
    return (multiprocessing.current_process().name == WORKER_NAME and multiprocessing.parent_process() is not None
            and os.environ.get(SWITCH, "1").strip() != "0")


def kernel_name(notebook: Path) -> str:
    """The kernel the notebook asks for (``metadata.kernelspec.name``), as papermill picks it; ``python3`` when
    it names none."""
    with open(notebook, encoding="utf-8") as handle:
        return (json.load(handle).get("metadata", {}).get("kernelspec") or {}).get("name") or "python3"


@functools.lru_cache(maxsize=8)
def _folder_modules(folder: str, _signature: tuple) -> tuple[str, ...]:
    modules: dict[str, None] = {}
    for path in sorted(Path(folder).glob("*.ipynb")):
        with contextlib.suppress(OSError, ValueError):
            modules.update(dict.fromkeys(notebook_modules(path)))
    return tuple(modules)


def notebook_modules(notebook: Path) -> list[str]:
    """The modules a notebook's code cells import (``import a.b``, ``from a import b``: ``a``, and ``a.b`` in
    case ``b`` is a module), in order. Cells that are not plain Python (magics) are skipped."""
    with open(notebook, encoding="utf-8") as handle:
        cells = json.load(handle).get("cells", [])
    found: dict[str, None] = {}
    for cell in cells:
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        try:
            tree = ast.parse("".join(source) if isinstance(source, list) else source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found.update(dict.fromkeys(alias.name for alias in node.names))
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found[node.module] = None
                found.update(dict.fromkeys(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*"))
    return list(found)


def folder_modules(folder: Path) -> tuple[str, ...]:
    """Every module the notebooks of ``folder`` import (re-read when a notebook changes)."""
    signature = tuple((p.name, p.stat().st_mtime_ns) for p in sorted(folder.glob("*.ipynb")))
    return _folder_modules(str(folder), signature)


def preload() -> None:
    """Run in a spare kernel at start-up: import the modules named in ``$QUOTABOOK_PRELOAD`` (then removed, so
    the notebook sees the environment a cold kernel would). A module that fails to import is left for the
    notebook's own ``import`` to report."""
    for name in json.loads(os.environ.pop(PRELOAD_ENV, "[]")):
        try:
            importlib.import_module(name)
        except Exception:  # the notebook's own import raises it again, in its page
            continue


def start_spare(name: str, cwd: Path, env: tuple[tuple[str, str], ...], modules: tuple[str, ...]) -> None:
    """Start the next run's kernel now (discarding any spare not taken): ``name`` kernel in ``cwd``, with this
    process's environment (the run's ``env`` applied by the caller), importing ``modules`` once started."""
    global _SPARE
    discard()
    _finalizer()
    _SPARE = _start(name, cwd, env, modules, forked_only=False)


def start_now(name: str, cwd: Path, env: tuple[tuple[str, str], ...], modules: tuple[str, ...]) -> Spare | None:
    """A kernel for the run about to start, forked from this worker's zygote (started now if need be: its
    imports take the place of the cold kernel's); None when there is no zygote (the run starts its own)."""
    _finalizer()
    return _start(name, cwd, env, modules, forked_only=True)


def _start(name: str, cwd: Path, env: tuple[tuple[str, str], ...], modules: tuple[str, ...], *,
           forked_only: bool) -> Spare | None:
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    from ..cache import ENV

    output = None
    try:
        km = AsyncKernelManager(kernel_name=name, client_factory=prompt_client())
        zygote = _zygote_for(km, modules)
        if zygote is not None:
            from .zygote import provisioner

            provisioner(km, zygote)
        elif forked_only:
            return None
        # Its stray output, for its run's log; in the build's cache folder, which goes with the build however it
        # ends.
        folder = os.environ.get(ENV) or None
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
        fd, path = tempfile.mkstemp(prefix="quotabook-kernel-", suffix=".log", dir=folder)
        output = Path(path)
        with os.fdopen(fd, "wb") as handle:  # the kernel holds its own copy
            run_sync(km.start_kernel)(cwd=str(cwd), env={**os.environ, PRELOAD_ENV: json.dumps(list(modules))},
                                      extra_arguments=[_HISTORY, _EXEC_LINES], stdout=handle, stderr=handle)
    except Exception:  # no kernel then: the run starts its kernel itself, as without spares
        if output is not None:
            output.unlink(missing_ok=True)
        return None
    return Spare(km, name, str(cwd), env, output)


@functools.cache
def prompt_client() -> type:
    """The client class of the spares' kernel managers (``client_factory``), built once: jupyter_client is
    imported only where kernels are started."""
    from jupyter_client.asynchronous.client import AsyncKernelClient

    class PromptClient(AsyncKernelClient):
        """The client nbclient makes for a spare kernel (``km.client()``): jupyter_client's, ready as soon as the
        kernel has answered and IOPub is seen connected.

        jupyter_client's ``wait_for_ready`` then waits until IOPub has been silent for 0.2 s, to drop the status
        messages of its handshake: a fifth of a second of an idle worker before every run's first cell. Here
        IOPub is emptied of what it holds, without waiting for more; a status message that arrives later is
        skipped by nbclient, which reads only the messages answering its own requests."""

        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
            while True:  # as jupyter_client: kernel_info until it is answered and IOPub delivers
                self.kernel_info()
                try:
                    msg = await self.shell_channel.get_msg(timeout=1)
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:
                        await self.iopub_channel.get_msg(timeout=0.2)
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
            while True:  # what IOPub holds now, read without waiting for more
                try:
                    await self.iopub_channel.get_msg(timeout=0)
                except Empty:
                    break

    return PromptClient


def take(name: str, cwd: Path, env: tuple[tuple[str, str], ...]) -> Spare | None:
    """The spare kernel, if one was started for this kernel name, folder and environment and is still alive;
    None otherwise (then the run starts its own)."""
    global _SPARE
    spare, _SPARE = _SPARE, None
    if spare is None:
        return None
    if (spare.kernel_name, spare.cwd, spare.env) != (name, str(cwd), env) or not _alive(spare):
        stop(spare, now=True)
        return None
    return spare


def _alive(spare: Spare) -> bool:
    from jupyter_core.utils import run_sync

    try:
        return bool(run_sync(spare.km.is_alive)())
    except Exception:
        return False


def stop(spare: Spare, now: bool = False) -> bytes:
    """Shut the spare's kernel down and return what it printed on stdout/stderr (its start-up and its run).

    ``now``: kill it at once, without running an event loop (a spare never used, or a run stopped by Ctrl-C or
    SIGTERM, where whatever nbclient left pending must not run again); otherwise ask it to stop first, as
    nbclient stops the kernels it starts.
    """
    from jupyter_core.utils import run_sync

    if now:
        _kill(spare.km)
    else:
        with contextlib.suppress(Exception):  # already gone (died, or stopped by nbclient on a signal)
            if run_sync(spare.km.is_alive)():
                _shut_down(spare.km)
        with contextlib.suppress(Exception):
            run_sync(spare.km.cleanup_resources)()
    try:
        return spare.output.read_bytes()
    except OSError:
        return b""
    finally:
        spare.output.unlink(missing_ok=True)


#: Seconds a kernel asked to stop may take before it is killed (jupyter_client's ``shutdown_wait_time``).
SHUTDOWN_WAIT = 5.0


def _shut_down(km) -> None:
    """Ask the kernel of ``km`` to stop, as nbclient does, and wait for its process to end: woken by its exit,
    where jupyter_client's ``shutdown_kernel`` first interrupts the kernel, then checks every 0.1 s whether it has
    gone (a tenth of a second of nothing per run, in every worker). A kernel still there after
    :data:`SHUTDOWN_WAIT` seconds is killed, as ``shutdown_kernel`` would kill it."""
    from jupyter_core.utils import run_sync

    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is None:  # not started by a local provisioner: jupyter_client's own way
        run_sync(km.shutdown_kernel)(now=False)
        return
    run_sync(km.request_shutdown)()
    try:
        process.wait(SHUTDOWN_WAIT)
    except subprocess.TimeoutExpired:
        run_sync(km.shutdown_kernel)(now=True)
        return
    run_sync(km.provisioner.wait)()  # the process has ended: the provisioner reaps it and lets it go


def _kill(km) -> None:
    """Kill the kernel process of ``km`` and remove its connection file."""
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if process is not None:
        with contextlib.suppress(OSError):
            process.kill()
        with contextlib.suppress(Exception):
            process.wait(10)
    with contextlib.suppress(Exception):
        km.cleanup_connection_file()


@functools.cache
def _finalizer() -> None:
    """Have this process shut its spare down, then its zygote, when it exits (multiprocessing runs these
    finalizers in a worker that returns, or stops on Ctrl-C or SIGTERM; atexit handlers do not run there)."""
    from multiprocessing.util import Finalize

    Finalize(None, discard, exitpriority=10)
    Finalize(None, close_zygote, exitpriority=5)


_ZYGOTE = None  # (key, quotabook.pack.zygote.Zygote) of this worker, or (key, None) after one failed to start


def _zygote_for(km, modules: tuple[str, ...]):
    """This worker's zygote for the kernel of ``km`` and the current environment, started on first use (and
    again when the environment, the interpreter or the modules change, or it died); None when zygotes are off,
    the kernel is not a plain IPython kernel, or the zygote cannot start (spares then start with ``Popen``)."""
    from . import zygote

    global _ZYGOTE
    if not zygote.enabled():
        return None
    try:
        argv = list(km.kernel_spec.argv)
    except Exception:  # no such kernel: papermill reports it
        return None
    if not zygote.forkable(argv):
        return None
    env = {k: v for k, v in os.environ.items() if k != PRELOAD_ENV}
    python = zygote.interpreter(argv[0])
    key = (python, tuple(sorted(env.items())), modules)
    if _ZYGOTE is not None and _ZYGOTE[0] == key and (_ZYGOTE[1] is None or _ZYGOTE[1].alive()):
        return _ZYGOTE[1]
    close_zygote()
    try:
        _ZYGOTE = (key, zygote.Zygote(python, env, modules, subprocess.DEVNULL))
    except Exception:  # e.g. the interpreter cannot import quotabook: no zygote for this worker
        _ZYGOTE = (key, None)
    return _ZYGOTE[1]


def close_zygote() -> None:
    """Stop this worker's zygote (at its end; kernels it forked are stopped by their own managers)."""
    global _ZYGOTE
    held, _ZYGOTE = _ZYGOTE, None
    if held is not None and held[1] is not None:
        held[1].close()


def discard() -> None:
    """Shut down the spare not taken (at the end of a worker, or before starting another)."""
    global _SPARE
    spare, _SPARE = _SPARE, None
    if spare is not None:
        stop(spare, now=True)
