"""Kernels forked from a pre-imported process (a *zygote*): a fresh kernel per run without paying its imports.

A pack runs every notebook in a kernel of its own, so that a crashed or hung notebook costs only its run. Starting
one costs about 1.5 s of CPU on the demo machine: Python and ipykernel start, then pandas, matplotlib and
quotabook are imported. A pool worker therefore starts one zygote (``python -m quotabook.pack.zygote``) that
imports ipykernel and every module the pack's notebooks import, once, and then only forks: each child is a new
process that sets up its own kernel (its own connection file, sockets, IPython shell and session) exactly as
``python -m ipykernel_launcher -f ...`` would, from a copy of the zygote's memory. Runs stay isolated, as with
``Popen``: each kernel is a separate process in a session of its own, killed, interrupted and waited for by its
kernel manager through :class:`ZygoteProvisioner`.

Safety rules kept here:

- The zygote never starts a kernel, an event loop, a thread or a ZMQ context itself, and refuses to fork while
  another Python thread runs; it collects its garbage and freezes it (``gc.freeze``) so that children do not copy
  pages just to scan them.
- A child resets its signal handlers, takes the environment, folder, arguments and output files the kernel
  manager asked for, reseeds NumPy's global generator (Python's ``random`` reseeds itself on fork), and names the
  zygote as its parent (``JPY_PARENT_PID``): if the zygote goes (it exits when its pool worker does, on the end of
  its command socket), the kernel's parent poller stops the kernel, as for a kernel whose manager died.
- The zygote reaps a child only when its manager asks (after the child's pidfd says it ended), so its pid cannot
  be reused while the manager may still signal it.
- Anything unexpected (a kernel spec that is not ``python -m ipykernel_launcher -f {connection_file}`` with the
  zygote's Python, a zygote that died or does not answer) falls back to an ordinary ``Popen`` start.

``QUOTABOOK_ZYGOTE=0`` turns zygotes off (each spare kernel is then started with ``Popen``, importing at start-up).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

__all__ = ["SWITCH", "Zygote", "ZygoteProcess", "enabled", "forkable", "interpreter", "provisioner"]

#: The environment variable that turns zygotes off when ``0``.
SWITCH = "QUOTABOOK_ZYGOTE"
#: How long a zygote may take to import everything before the worker gives up on it (seconds).
READY_TIMEOUT = 120.0
#: How long a fork request may take (seconds).
REPLY_TIMEOUT = 30.0
#: What the kernel command must be, after the interpreter, for a zygote to fork it.
_LAUNCHER = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]
#: What ipykernel sets when MPLBACKEND is unset (``IPKernelApp.init_gui_pylab``); matplotlib reads it on import,
#: so the zygote sets it before importing anything.
_INLINE = "module://matplotlib_inline.backend_inline"


def enabled() -> bool:
    """Whether spare kernels are forked from a zygote (unless ``$QUOTABOOK_ZYGOTE`` is ``0``)."""
    return os.environ.get(SWITCH, "1").strip() != "0" and hasattr(os, "fork") and hasattr(os, "pidfd_open")


def forkable(spec_argv: list[str]) -> bool:
    """Whether a kernel spec's command is the plain IPython kernel a zygote can fork instead of running."""
    return len(spec_argv) == 1 + len(_LAUNCHER) and list(spec_argv[1:]) == _LAUNCHER


def interpreter(argv0: str) -> str:
    """The Python a kernel spec's command runs: as jupyter_client reads it, ``python``, ``python3`` or
    ``python3.N`` of this version mean this interpreter (``KernelManager.format_kernel_cmd``)."""
    mine = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info[:2])}
    return sys.executable if argv0 in mine else argv0


# ---------------------------------------------------------------------------------------------------------------
# The worker's side.


class Zygote:
    """A zygote process started for one interpreter and environment, and the socket to ask it for kernels."""

    def __init__(self, python: str, env: dict[str, str], modules: tuple[str, ...], output) -> None:
        """Start the zygote: ``python -m quotabook.pack.zygote`` with ``env``, importing ipykernel and ``modules``;
        its own output goes to ``output`` (a file object or None). Waits until it is ready (or raises)."""
        self.python, self.env = python, dict(env)
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        self._lock = threading.Lock()
        try:
            self.process = subprocess.Popen(
                [python, "-m", "quotabook.pack.zygote", str(theirs.fileno()), json.dumps(list(modules))],
                env=self.env, stdin=subprocess.DEVNULL, stdout=output, stderr=output, pass_fds=[theirs.fileno()],
                start_new_session=True)  # a Ctrl-C at the terminal is the build's to handle, not the zygote's
        finally:
            theirs.close()
        self._sock = ours
        self._file = ours.makefile("rb")
        try:
            ready = self._read(READY_TIMEOUT)
        except Exception:
            self.close()
            raise
        if ready.get("ready") is not True:
            self.close()
            raise RuntimeError(f"the kernel zygote did not start: {ready.get('error', ready)}")

    def alive(self) -> bool:
        return self.process.poll() is None

    def _read(self, timeout: float) -> dict:
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            raise TimeoutError(f"the kernel zygote did not answer within {timeout:.0f} s")
        line = self._file.readline()
        if not line:
            raise ConnectionError("the kernel zygote has gone")
        return json.loads(line)

    def _ask(self, request: dict, fds: list[int] = ()) -> dict:
        with self._lock:
            payload = (json.dumps(request) + "\n").encode()
            if fds:
                socket.send_fds(self._sock, [payload], list(fds))
            else:
                self._sock.sendall(payload)
            return self._read(REPLY_TIMEOUT)

    def fork(self, argv: list[str], env: dict[str, str], cwd: str | None, stdout: int, stderr: int) -> int:
        """A new kernel process running ``argv`` (the arguments after ``python -m ipykernel_launcher``) in ``cwd``
        with exactly ``env``, its stdout and stderr on the given descriptors; its pid."""
        reply = self._ask({"op": "fork", "argv": argv, "env": env, "cwd": cwd}, [stdout, stderr])
        if "pid" not in reply:
            raise RuntimeError(f"the kernel zygote could not fork: {reply.get('error', reply)}")
        return int(reply["pid"])

    def reap(self, pid: int) -> int | None:
        """The exit status of a child that ended (as ``Popen.returncode``: negative for a signal); None if the
        zygote is gone (the child was then reaped by the system)."""
        with contextlib.suppress(OSError, ValueError, TimeoutError, ConnectionError):
            return self._ask({"op": "reap", "pid": pid}).get("status")
        return None

    def close(self) -> None:
        """Stop the zygote (its running children are not touched: their managers stop them)."""
        with contextlib.suppress(OSError):
            self._sock.close()
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(10)


class ZygoteProcess:
    """A forked kernel as :class:`subprocess.Popen` shows a process to jupyter_client (``pid``, ``poll``,
    ``wait``, ``send_signal``, ``terminate``, ``kill``), watched through a pidfd (it is not our child)."""

    stdin = stdout = stderr = None

    def __init__(self, zygote: Zygote, pid: int) -> None:
        self.zygote, self.pid, self.returncode = zygote, pid, None
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            status = self.zygote.reap(self.pid)
            # None: the zygote went first and the system reaped the kernel; its status is lost, say "killed"
            self.returncode = -signal.SIGKILL if status is None else status
            os.close(self._pidfd)
        return self.returncode

    def __del__(self) -> None:
        if self.returncode is None:
            with contextlib.suppress(OSError, AttributeError):
                os.close(self._pidfd)

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            self.poll()
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            signal.pidfd_send_signal(self._pidfd, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


def _provisioner_class():
    from jupyter_client.provisioning.local_provisioner import LocalProvisioner

    class ZygoteProvisioner(LocalProvisioner):
        """jupyter_client's local provisioner, but the kernel process is forked by a zygote (``zygote`` set by
        :func:`provisioner`); any other kernel command, or a zygote that fails, starts as usual."""

        zygote: Zygote | None = None

        async def launch_kernel(self, cmd: list[str], **kwargs):
            zygote = self.zygote
            if zygote is None or not zygote.alive() or not _same_python(cmd[0], zygote.python) \
                    or cmd[1:3] != _LAUNCHER[:2]:
                return await super().launch_kernel(cmd, **kwargs)
            env = dict(kwargs.get("env") or os.environ)
            out = kwargs.get("stdout")
            err = kwargs.get("stderr")
            with contextlib.ExitStack() as stack:
                null = stack.enter_context(open(os.devnull, "wb"))
                fds = [_fd(out, 1, null), _fd(err, 2, null)]
                try:
                    pid = zygote.fork(cmd[3:], env, kwargs.get("cwd"), *fds)
                except Exception:
                    return await super().launch_kernel(cmd, **kwargs)
            self.process = ZygoteProcess(zygote, pid)
            self.pid = self.pgid = pid  # the child leads a session (and process group) of its own
            self.cwd = kwargs.get("cwd") or os.getcwd()
            return self.connection_info

    return ZygoteProvisioner


def _fd(stream, default: int, null) -> int:
    """The descriptor a kernel's stdout/stderr goes to: the given file (or descriptor), this process's own
    (what ``Popen`` does for None), or /dev/null for ``subprocess.DEVNULL``."""
    if stream is None:
        return default
    if stream == subprocess.DEVNULL:
        return null.fileno()
    return stream if isinstance(stream, int) else stream.fileno()


def _same_python(a: str, b: str) -> bool:
    with contextlib.suppress(OSError):
        return os.path.realpath(a) == os.path.realpath(b) or Path(a).samefile(b)
    return False


def provisioner(km, zygote: Zygote):
    """Give the kernel manager ``km`` (before its ``start_kernel``) a provisioner that forks from ``zygote``."""
    import uuid

    km.kernel_id = km.kernel_id or str(uuid.uuid4())
    prov = _provisioner_class()(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    prov.zygote = zygote
    km.provisioner = prov
    return prov


# ---------------------------------------------------------------------------------------------------------------
# The zygote's side.


def _serve(fd: int, modules: list[str]) -> None:
    """Import, say ready, then fork kernels on request until the worker closes the socket."""
    if sys.path and sys.path[0] in ("", os.getcwd()):  # as ipykernel_launcher: the kernel adds its folder back
        del sys.path[0]
    os.environ.setdefault("MPLBACKEND", _INLINE)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the worker decides; a terminal Ctrl-C is not for us
    sock = socket.socket(fileno=fd)

    def say(message: dict) -> None:
        sock.sendall((json.dumps(message) + "\n").encode())

    try:
        import importlib

        for name in ("ipykernel.kernelapp", "ipykernel.ipkernel"):  # imported once here, for every child
            importlib.import_module(name)
        for name in [*modules, "matplotlib_inline.backend_inline"]:
            with contextlib.suppress(Exception):  # the notebook's own import reports it, in its page
                importlib.import_module(name)
        _warm()
    except Exception as exc:  # pragma: no cover - ipykernel missing: the worker starts kernels as usual
        say({"ready": False, "error": f"{type(exc).__name__}: {exc}"})
        return
    gc.collect()
    gc.freeze()
    say({"ready": True, "pid": os.getpid()})
    while True:
        line, fds = _receive_line(sock)
        if not line:
            return  # the worker has gone: so do we (our kernels' parent pollers see it and stop them)
        request = json.loads(line)
        if request.get("op") == "reap":
            say({"status": _reap(int(request["pid"]))})
        elif request.get("op") == "fork":
            if threading.active_count() != 1:
                for extra in fds:
                    os.close(extra)
                say({"error": "a thread is running in the zygote"})
                continue
            pid = os.fork()
            if pid == 0:
                _child(sock, request, fds)  # never returns
            for extra in fds:
                os.close(extra)
            say({"pid": pid})
        else:
            say({"error": f"unknown request {request.get('op')!r}"})


def _warm() -> None:
    """Parse the metric catalog once here, so every child finds it parsed (a tenth of a second a run). The parse
    is cached by the catalog file's path and version and the workbook's threshold keys
    (:func:`quotabook.metrics.catalog.load_catalog`): a child whose workbook or catalog differs parses its own,
    as it would have without the zygote. A catalog that fails to parse is left for the notebook to report."""
    with contextlib.suppress(Exception):
        from quotabook.metrics.catalog import load_catalog

        load_catalog()


def _receive_line(sock: socket.socket) -> tuple[bytes, list[int]]:
    """One request line and the descriptors sent with it (fork requests carry the child's stdout and stderr)."""
    data, fds, _flags, _addr = socket.recv_fds(sock, 1 << 20, 4)
    while data and not data.endswith(b"\n"):
        more, extra, _flags, _addr = socket.recv_fds(sock, 1 << 20, 4)
        if not more:
            break
        data, fds = data + more, fds + extra
    return data, fds


def _reap(pid: int) -> int | None:
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return os.waitstatus_to_exitcode(status)


def _child(sock: socket.socket, request: dict, fds: list[int]) -> None:
    """In the forked child: become the kernel that ``python -m ipykernel_launcher <argv>`` would start."""
    code = 1
    try:
        sock.close()
        os.setsid()
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGCHLD, signal.SIGPIPE):
            signal.signal(signum, signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        out, err = [*fds, 1, 2][:2]
        os.dup2(out, 1)
        os.dup2(err, 2)
        for extra in fds:
            if extra > 2:
                os.close(extra)
        if request.get("cwd"):
            os.chdir(request["cwd"])
        parent = str(os.getppid())
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ["JPY_PARENT_PID"] = parent
        os.environ.setdefault("MPLBACKEND", _INLINE)
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        gc.unfreeze()
        # ipykernel reads JPY_PARENT_PID when it is imported (here, in the zygote): say it again
        sys.argv = [sys.argv[0], *request["argv"], f"--IPKernelApp.parent_handle={parent}"]
        from ipykernel import kernelapp

        try:
            kernelapp.launch_new_instance()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # the child must never return into the zygote's loop
        import traceback

        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    _serve(int(sys.argv[1]), json.loads(sys.argv[2]) if len(sys.argv) > 2 else [])
