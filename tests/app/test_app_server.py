"""Serving the app without a browser: the port really served, the Voilà command (no port moving, idle kernels
culled), the kernels' environment, and stopping a process tree whose children sit in sessions of their own
(as jupyter_client starts kernels) on SIGTERM: no process and no bound port left."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from quotabook.app import APP_NOTEBOOK, ENV, VoilaServer, app_environment, free_port, voila_command
from quotabook.app.server import run_until_stopped, still_running


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_free_port_keeps_the_port_asked_unless_it_is_taken():
    port = free_port(0)  # the system's pick: free
    assert free_port(port) == port
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        other = free_port(port)
        assert other != port and not _listening(other)


def test_voila_command_serves_exactly_that_port_on_localhost_and_culls_idle_kernels():
    command = voila_command(port=9123, cull_after=300)
    assert command[1:4] == ["-m", "voila", str(APP_NOTEBOOK)]
    for flag in ("--port=9123", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--no-browser",
                 "--template=quotabook",
                 "--MappingKernelManager.cull_idle_timeout=300", "--MappingKernelManager.cull_interval=30"):
        assert flag in command
    assert "--MappingKernelManager.cull_interval=1" in voila_command(cull_after=4)
    assert "--MappingKernelManager.cull_idle_timeout=0" in voila_command(cull_after=0)


def test_the_kernels_get_the_options_and_an_absolute_data_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    env = app_environment(region="East", period="2026-Q4", data="folder", as_of=None,
                          base={ENV["as_of"]: "2020-01-01", "PATH": "/bin"})
    assert env[ENV["region"]] == "East" and env[ENV["period"]] == "2026-Q4"
    assert env[ENV["data"]] == str(tmp_path / "folder")      # the kernel starts elsewhere: relative to here
    assert ENV["as_of"] not in env and env["PATH"] == "/bin"  # a stale option of the caller is not inherited
    assert app_environment(region=None, period=None, data="env:CRM_URL", as_of=None, base={})[ENV["data"]] == \
        "env:CRM_URL"
    (tmp_path / "crm.duckdb").write_bytes(b"")
    duck = app_environment(region=None, period=None, data="duckdb:///crm.duckdb?access_mode=read_only", as_of=None,
                           base={})[ENV["data"]]
    assert duck == f"duckdb:///{tmp_path / 'crm.duckdb'}?access_mode=read_only"   # four slashes: absolute


# A stand-in for Voilà: it starts a "kernel" in a session of its own that ignores SIGTERM (what a stuck kernel
# does), then listens on the port until SIGTERM.
FAKE_VOILA = textwrap.dedent("""\
    import signal, socket, subprocess, sys, time
    kernel = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(600)"],
        start_new_session=True)
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", int(sys.argv[1])))
    server.listen()
    time.sleep(600)
""")


def _fake_server(tmp_path, port: int) -> VoilaServer:
    script = tmp_path / "fake_voila.py"
    script.write_text(FAKE_VOILA)
    return VoilaServer([sys.executable, str(script), str(port)], port=port, stdout=subprocess.DEVNULL)


def _wait_for_kernel(server: VoilaServer) -> list:
    for _ in range(100):
        tree = server.processes()
        if len(tree) == 2:
            return tree
        time.sleep(0.05)
    raise AssertionError(f"the fake Voilà started no kernel: {tree}")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_the_server_and_every_process_under_it_and_frees_the_port(tmp_path, sig):
    port = free_port(0)
    server = _fake_server(tmp_path, port)
    seen: list = []

    def ready(srv: VoilaServer) -> None:
        seen.extend(_wait_for_kernel(srv))
        assert _listening(port)
        os.kill(os.getpid(), sig)  # as `kill <quotabook app>` or Ctrl-C would

    said: list[str] = []
    previous = signal.getsignal(sig)
    assert run_until_stopped(server, on_ready=ready, say=said.append) == 0
    assert signal.getsignal(sig) is previous                       # the caller's handler is back
    assert len(seen) == 2 and still_running(seen) == []
    assert not _listening(port)
    assert said == [f"stopped on {sig.name}: Voilà and its 1 kernel process ended, port {port} freed"]


def test_a_server_that_dies_before_listening_is_reported_with_its_exit_code():
    server = VoilaServer([sys.executable, "-c", "raise SystemExit(3)"], port=free_port(0))
    said: list[str] = []
    assert run_until_stopped(server, on_ready=lambda s: pytest.fail("not ready"), say=said.append) == 3
    assert "Voilà stopped before it served" in said[0] and "exit code 3" in said[0]


def test_the_offline_template_is_voilas_lab_page_without_links_to_another_host(tmp_path):
    from quotabook.app.server import TEMPLATE, offline_template

    folder = offline_template(tmp_path)
    assert folder == tmp_path / "voila" / "templates" / TEMPLATE
    page = (folder / "index.html.j2").read_text()
    assert "cdn.jsdelivr.net" not in page and "https://" not in page.split("{%- block notebook_css")[1][:2000]
    assert "{%- block notebook_css -%}" in page and (folder / "conf.json").read_text().strip() == \
        '{"base_template": "lab"}'
    assert f"--template={TEMPLATE}" in voila_command() and "--template" not in " ".join(voila_command(template=None))


def test_the_cli_refuses_an_unknown_region_before_starting_anything(tiny_folder, capsys, monkeypatch):
    from quotabook.cli import main

    monkeypatch.setattr(VoilaServer, "start", lambda self: pytest.fail("Voilà started"))
    assert main(["app", "--data", str(tiny_folder), "--region", "North"]) == 2
    assert "North" in capsys.readouterr().err


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's prctl")
def test_voila_gets_sigterm_when_quotabook_itself_is_killed_outright():
    """SIGKILL cannot be caught, so `quotabook app` cannot stop Voilà then: the kernel sends Voilà SIGTERM (on
    which real Voilà shuts its kernels down)."""
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""\
        import sys, time
        from quotabook.app.server import VoilaServer
        server = VoilaServer([sys.executable, "-c", "import time; time.sleep(600)"], port=0).start()
        print(server.proc.pid, flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        child = psutil.Process(int(parent.stdout.readline()))
        assert child.is_running()
        parent.kill()
        parent.wait()
        child.wait(timeout=20)                    # ends by itself: psutil raises TimeoutExpired otherwise
        assert not child.is_running()
    finally:
        parent.kill()
        parent.wait()
