"""Kernels forked from a pre-imported zygote: each is a process of its own (own pid, session, folder and exact
environment), starts with the zygote's imports done, dies alone, is reported dead to its manager, and stops when
its zygote goes; any kernel command a zygote cannot fork starts as usual."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from quotabook.pack import kernels, zygote

pytestmark = pytest.mark.skipif(not zygote.enabled() or not Path("/proc").is_dir(),
                                reason="needs os.fork, pidfds and /proc")

# A module nothing in a fresh Python imports: found loaded in a forked kernel, it came from the zygote.
MARKER_MODULE = "quotabook.fiscal"


@pytest.fixture(scope="module")
def zyg():
    env = {**os.environ, "ZYGOTE_ONLY": "zygote"}
    held = zygote.Zygote(sys.executable, env, (MARKER_MODULE, "no_such_module_anywhere"), subprocess.DEVNULL)
    yield held
    held.close()


def _start(zyg, tmp_path: Path, **env: str):
    """A kernel forked by ``zyg`` in ``tmp_path`` with this process's environment plus ``env``, and its client."""
    km = AsyncKernelManager(kernel_name="python3")
    zygote.provisioner(km, zyg)
    log = open(tmp_path / f"kernel-{len(list(tmp_path.iterdir()))}.log", "wb")  # noqa: SIM115 - the kernel's copy
    with log:
        run_sync(km.start_kernel)(cwd=str(tmp_path), env={**os.environ, **env}, stdout=log, stderr=log)
    kc = km.client()
    kc.start_channels()
    run_sync(kc.wait_for_ready)(timeout=60)
    return km, kc


def _run(kc, code: str) -> str:
    out: list[str] = []
    run_sync(kc.execute_interactive)(code, timeout=60,
                                     output_hook=lambda msg: out.append(msg["content"].get("text", "")))
    return "".join(out).strip()


def _stop(km, kc) -> None:
    kc.stop_channels()
    run_sync(km.shutdown_kernel)(now=True)


PROBE = ("import os, sys, numpy\nprint(os.getpid(), os.getppid(), os.getsid(0), os.getcwd(), "
         "os.environ.get('RUN_ONLY'), os.environ.get('ZYGOTE_ONLY'), "
         f"'{MARKER_MODULE}' in sys.modules, numpy.random.randint(1 << 30))")


def test_each_forked_kernel_is_its_own_process_with_the_run_environment_and_the_zygote_imports(zyg, tmp_path):
    first, second = [_start(zyg, tmp_path, RUN_ONLY=name) for name in ("one", "two")]
    try:
        rows = [_run(kc, PROBE).split() for _km, kc in (first, second)]
        assert isinstance(first[0].provisioner.process, zygote.ZygoteProcess)  # forked, not Popen'd
        for (pid, ppid, sid, cwd, run_only, zygote_only, warm, _draw), name in zip(rows, ("one", "two"), strict=True):
            assert ppid == str(zyg.process.pid) and sid == pid  # a child of the zygote, leading its own session
            assert cwd == str(tmp_path) and run_only == name  # the folder and environment its manager gave
            assert zygote_only == "None"  # exactly that environment, not the zygote's
            assert warm == "True"  # imported once, in the zygote
        assert rows[0][0] != rows[1][0] and rows[0][0] != str(os.getpid())
        assert rows[0][-1] != rows[1][-1]  # NumPy's global generator is reseeded in each
        # state set in one kernel is not seen by the other
        _run(first[1], "shared = 42")
        assert _run(second[1], "print('shared' in dir())") == "False"
    finally:
        for km, kc in (first, second):
            _stop(km, kc)


def test_a_forked_kernel_finds_the_metric_catalog_already_parsed(zyg, tmp_path):
    km, kc = _start(zyg, tmp_path)
    try:
        got = _run(kc, "from quotabook.metrics.catalog import _load_cached, load_catalog\n"
                       "before = _load_cached.cache_info()\nload_catalog()\n"
                       "print(before.currsize, _load_cached.cache_info().misses - before.misses)")
        assert got == "1 0"  # parsed in the zygote; the kernel's own call finds it (same file, same version)
    finally:
        _stop(km, kc)


def test_a_killed_kernel_is_reported_dead_and_the_zygote_forks_the_next(zyg, tmp_path):
    km, kc = _start(zyg, tmp_path)
    process = km.provisioner.process
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(30) == -signal.SIGKILL  # reaped by the zygote, status handed back
    assert not run_sync(km.is_alive)()
    kc.stop_channels()
    run_sync(km.cleanup_resources)()
    km2, kc2 = _start(zyg, tmp_path)
    try:
        assert _run(kc2, "print(1 + 1)") == "2"
    finally:
        _stop(km2, kc2)


def test_an_interrupt_reaches_the_forked_kernel_only(zyg, tmp_path):
    km, kc = _start(zyg, tmp_path)
    try:
        msg_id = kc.execute("import time\ntry:\n    time.sleep(60)\nexcept KeyboardInterrupt:\n    print('stopped')")
        time.sleep(1.0)
        run_sync(km.interrupt_kernel)()
        reply = run_sync(kc.get_shell_msg)(timeout=30)
        assert reply["parent_header"]["msg_id"] == msg_id
        assert zyg.alive()
        assert _run(kc, "print('still here')") == "still here"
    finally:
        _stop(km, kc)


def test_kernels_stop_when_their_zygote_goes(tmp_path):
    held = zygote.Zygote(sys.executable, dict(os.environ), (), subprocess.DEVNULL)
    km, kc = _start(held, tmp_path)
    try:
        held.process.kill()
        held.process.wait(10)
        deadline = time.monotonic() + 30
        while run_sync(km.is_alive)() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not run_sync(km.is_alive)()  # its parent poller saw the zygote go
    finally:
        kc.stop_channels()
        run_sync(km.cleanup_resources)()


def test_a_kernel_the_zygote_cannot_fork_starts_as_usual(zyg, tmp_path):
    assert zygote.forkable([sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"])
    assert not zygote.forkable([sys.executable, "-m", "other_kernel", "-f", "{connection_file}"])
    km = AsyncKernelManager(kernel_name="python3")
    km.kernel_spec.argv = ["/usr/bin/env", *km.kernel_spec.argv]  # another interpreter in front: not ours to fork
    zygote.provisioner(km, zyg)
    run_sync(km.start_kernel)(cwd=str(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert isinstance(km.provisioner.process, subprocess.Popen)
    finally:
        run_sync(km.shutdown_kernel)(now=True)


def test_zygotes_can_be_turned_off(monkeypatch):
    monkeypatch.setenv(zygote.SWITCH, "0")
    assert not zygote.enabled()
    km = AsyncKernelManager(kernel_name="python3")
    assert kernels._zygote_for(km, ()) is None


def test_the_interpreter_a_kernel_spec_names_is_read_as_jupyter_client_reads_it():
    assert zygote.interpreter("python") == sys.executable  # the spec jupyter installs for python3
    assert zygote.interpreter(f"python{sys.version_info[0]}") == sys.executable
    assert zygote.interpreter("/opt/other/bin/python") == "/opt/other/bin/python"
