"""Serving the app: Voilà in its own process group on a port chosen here, stopped with every kernel it started.

Why each piece:

- **The port is picked here** (the one asked if free, else one the system gives) and Voilà is told not to
  move (``port_retries=0``), so the address printed is the one served: left to itself Voilà silently moves
  to the next free port.
- **Its own session** (``start_new_session``): Ctrl-C in the terminal reaches ``quotabook`` only, which stops
  Voilà on purpose. On SIGINT or SIGTERM :class:`VoilaServer` sends SIGTERM to Voilà's group (Voilà then
  shuts its kernels down), waits, and kills whatever of the process tree it recorded is left: jupyter_client
  starts each kernel in a session of its own, so a signal to Voilà's group alone would not reach them.
- **Linux parent-death signal**: should ``quotabook`` itself be killed outright (SIGKILL), Voilà gets SIGTERM
  from the kernel and still shuts its kernels down.
- **Nothing is fetched from the internet**: Voilà's ``lab`` page template links Font Awesome from a CDN;
  :func:`offline_template` writes the same template without those links, which Voilà is pointed at.
- **Idle kernels are culled**: each page load starts a kernel (~280 MB); one whose tab was closed is shut
  down after :data:`CULL_AFTER` seconds idle (jupyter_server's ``MappingKernelManager.cull_idle_timeout``;
  kernels with an open tab are kept, ``cull_connected`` stays off).
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..grammar import count_of

__all__ = ["APP_NOTEBOOK", "CULL_AFTER", "DEFAULT_PORT", "HOST", "TEMPLATE", "VoilaServer", "free_port",
           "offline_template", "still_running", "voila_command"]

#: The notebook Voilà serves.
APP_NOTEBOOK = Path(__file__).with_name("whatif.ipynb")
HOST = "127.0.0.1"
DEFAULT_PORT = 8866
#: Seconds a kernel with no open page may sit idle before it is shut down.
CULL_AFTER = 300.0
#: The name of the offline page template :func:`offline_template` writes.
TEMPLATE = "quotabook"
_REMOTE_LINK = re.compile(r"^\s*<link\b[^>]*\bhref=[\"']?(https?:)?//[^>]*>\s*$", re.M)


def offline_template(root: Path) -> Path:
    """Write under ``root`` (to be put on ``JUPYTER_PATH``) a Voilà template named :data:`TEMPLATE`: Voilà's
    ``lab`` page with every ``<link>`` to another host removed (it links Font Awesome from a CDN), everything
    else inherited from ``lab``. Returns the template's folder; a ConfigError when Voilà's ``lab`` page is not
    installed."""
    from jupyter_core.paths import jupyter_path

    from ..errors import ConfigError

    found = [Path(d) / "lab" / "index.html.j2" for d in jupyter_path("voila", "templates")]
    source = next((f for f in found if f.is_file()), None)
    if source is None:
        raise ConfigError(f"Voilà's lab template is not installed (looked in {', '.join(map(str, found))})")
    folder = root / "voila" / "templates" / TEMPLATE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "conf.json").write_text('{"base_template": "lab"}\n', encoding="utf-8")
    (folder / "index.html.j2").write_text(_REMOTE_LINK.sub("", source.read_text(encoding="utf-8")), encoding="utf-8")
    return folder


def free_port(preferred: int = DEFAULT_PORT, host: str = HOST) -> int:
    """``preferred`` when nothing listens on it, else (or for 0) a free port the system picks."""
    if preferred:
        with socket.socket() as probe:
            try:
                probe.bind((host, preferred))
                return preferred
            except OSError as exc:
                if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                    raise
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def voila_command(*, port: int = DEFAULT_PORT, notebook: Path = APP_NOTEBOOK, cull_after: float = CULL_AFTER,
                  cull_interval: float | None = None, template: str | None = TEMPLATE) -> list[str]:
    """The Voilà command line serving ``notebook`` on 127.0.0.1:``port`` exactly (no moving to another port),
    light theme, no tracebacks, no browser, idle kernels culled after ``cull_after`` seconds (0: never),
    checked every ``cull_interval`` seconds (default: a tenth of ``cull_after``, 1 to 60), with the page
    ``template`` (default: :func:`offline_template`'s; None: Voilà's own)."""
    interval = cull_interval if cull_interval is not None else min(max(cull_after / 10, 1.0), 60.0)
    return [sys.executable, "-m", "voila", str(notebook), f"--port={port}", f"--Voila.ip={HOST}",
            "--Voila.port_retries=0", "--theme=light", "--show_tracebacks=False", "--no-browser",
            f"--MappingKernelManager.cull_idle_timeout={int(cull_after)}",
            f"--MappingKernelManager.cull_interval={max(int(interval), 1)}",
            *([f"--template={template}"] if template else [])]


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a function that asks for SIGTERM when the parent dies (prctl PR_SET_PDEATHSIG), to run in the
    child between fork and exec. libc is loaded here, in the parent, so the child only makes the call (no
    dynamic loading after fork, which could deadlock in a process with threads). None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None

    def ask() -> None:  # pragma: no cover - runs in the child
        prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG

    return ask


def still_running(processes: list) -> list:
    """Those of ``processes`` (psutil Process objects) still running: a zombie has ended (only its exit status
    waits to be collected) and so has a process that is gone."""
    import psutil

    def running(proc) -> bool:
        try:
            return proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    return [proc for proc in processes if running(proc)]


class VoilaServer:
    """One Voilà process and the process tree it grows (kernels), started and stopped as a whole.

    Use :meth:`start`, :meth:`wait_ready`, then :meth:`stop` (also on ``with`` exit). ``command`` is
    :func:`voila_command`'s list; ``env`` the environment it runs in; output goes to ``stdout`` / ``stderr``
    (default: inherited).
    """

    def __init__(self, command: list[str], *, port: int, env: dict[str, str] | None = None, stdout=None,
                 stderr=None):
        self.command, self.port, self.env = command, port, env
        self.stdout, self.stderr = stdout, stderr
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def start(self) -> VoilaServer:
        self.proc = subprocess.Popen(self.command, env=self.env, stdout=self.stdout, stderr=self.stderr,
                                     start_new_session=True, preexec_fn=_parent_death_signal())
        return self

    def __enter__(self) -> VoilaServer:
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_ready(self, seconds: float = 180.0) -> bool:
        """Wait until the port accepts connections (True) or Voilà exits first (False); a TimeoutError after
        ``seconds``."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            with socket.socket() as s:
                s.settimeout(1.0)
                if s.connect_ex((HOST, self.port)) == 0:
                    return True
            time.sleep(0.2)
        raise TimeoutError(f"Voilà did not listen on {self.url} within {seconds:.0f}s")

    def processes(self) -> list:
        """Voilà and every process under it now (psutil Process objects; empty once it is gone)."""
        import psutil

        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, grace: float = 15.0) -> int:
        """Stop Voilà and its kernels: SIGTERM to Voilà's process group (it shuts its kernels down), then, after
        ``grace`` seconds, SIGKILL to whatever of the tree is left. Returns how many kernels (processes under
        Voilà) there were. Safe to call twice."""
        import psutil

        if self.proc is None:
            return 0
        tree = self.processes()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while still_running(tree) and time.monotonic() < deadline:
            time.sleep(0.1)
        for proc in still_running(tree):
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(tree, timeout=5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything else left in Voilà's group
        self.proc.wait()
        return max(len(tree) - 1, 0)


class _Stop(Exception):
    """Raised in the main thread by SIGINT / SIGTERM while the app runs."""


def _raise_stop(signum, _frame) -> None:
    raise _Stop(signum)


#: Ctrl-C, ``kill``, and the terminal closing.
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def run_until_stopped(server: VoilaServer, *, on_ready: Callable[[VoilaServer], None],
                      say: Callable[[str], None]) -> int:
    """Start ``server``, call ``on_ready`` once it listens, and run until SIGINT / SIGTERM / SIGHUP (exit code 0) or
    until Voilà exits by itself (its exit code, 1 at least). Voilà and its kernels are stopped either way."""
    previous = {sig: signal.signal(sig, _raise_stop) for sig in _STOP_SIGNALS}
    try:
        server.start()
        if not server.wait_ready():
            code = server.proc.returncode
            say(f"Voilà stopped before it served {server.url} (exit code {code}); see its messages above")
            return code or 1
        on_ready(server)
        code = server.proc.wait()
        say(f"Voilà exited by itself (exit code {code})")
        return code or 1
    except _Stop as stop:
        for sig in previous:  # a second Ctrl-C while stopping changes nothing: stopping already ends in SIGKILL
            signal.signal(sig, signal.SIG_IGN)
        kernels = server.stop()
        name = signal.Signals(stop.args[0]).name
        say(f"stopped on {name}: Voilà and its {count_of(kernels, 'kernel process')} ended, port {server.port} freed")
        return 0
    finally:
        server.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
