"""Faults mid-pack (issue 9): a killed worker or kernel, Ctrl-C, a hung notebook, a full disk.

Each promise is proved end to end on the fixture notebooks. The ``gate`` fixture notebook lets a test stop a
pack at a known point instead of guessing at timings: with ``QUOTABOOK_TEST_GATE=<folder>`` in the pack's
environment it writes ``<region>.started`` (its kernel's process id) and waits for a ``release`` file.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import pickle
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from packtools import CHROMIUM, NOTEBOOKS, PACK_YAML, TERRITORIES, write_data

from quotabook import files  # where atomic writes live (quotabook.pack.files re-exports them)
from quotabook.cli import main
from quotabook.pack import build_pack, make_plan
from quotabook.pack.execute import Task, execute_run
from quotabook.pack.files import DiskFullError, atomic_write_bytes, atomic_write_text

PERIOD = "2026-Q3"
THREE_REGIONS = TERRITORIES + "T3,North,D,Cy,SMB\n"


# -- helpers -------------------------------------------------------------------------------------------
def _argv(data: Path, out: Path, *extra: str) -> list[str]:
    return ["pack", "--period", PERIOD, "--data", str(data), "--out", str(out), "--pack", str(PACK_YAML),
            "--notebooks-dir", str(NOTEBOOKS), "--notebooks", "00_ok,gate", "--regions", "East,North,West",
            "--workers", "2", "--formats", "html", "--quiet", *extra]


def _start(argv: list[str], gate: Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``python -m quotabook <argv>`` in its own session (so a signal reaches only the process meant)."""
    env = {**os.environ, "QUOTABOOK_TEST_GATE": str(gate), **(env or {})}
    return subprocess.Popen([sys.executable, "-m", "quotabook", *argv], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


def _stop_group(proc: subprocess.Popen) -> None:
    """Clean-up after a failed assertion: nothing this test started may outlive it."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(30)


def _gated(gate: Path, proc: subprocess.Popen, count: int = 2) -> dict[str, int]:
    """Wait until ``count`` gated runs are waiting; return ``{region: kernel pid}``."""
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        pids = {p.stem: p.read_text().strip() for p in gate.glob("*.started")}
        if sum(pid.isdigit() for pid in pids.values()) >= count:  # (a file may be seen before its pid is in it)
            return {region: int(pid) for region, pid in pids.items() if pid.isdigit()}
        if proc.poll() is not None:
            pytest.fail(f"the pack ended before reaching the gate: {proc.communicate()[1]}")
        time.sleep(0.1)
    pytest.fail("no gated run started within 3 minutes")


def _parent_pid(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


def _worker_of(kernel: int) -> int:
    """The pool worker running a kernel: its parent, or its zygote's parent (quotabook.pack.zygote)."""
    parent = _parent_pid(kernel)
    if b"quotabook.pack.zygote" in Path(f"/proc/{parent}/cmdline").read_bytes():
        return _parent_pid(parent)
    return parent


def _gone(pid: int, within: float = 30) -> bool:
    """Whether process ``pid`` has exited (or is a zombie waiting to be reaped) within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.2)
    return False


def _reports(pack: Path) -> dict[str, bytes]:
    """Every report file of the pack (executed notebooks and pages, not temporaries), by relative path."""
    return {p.relative_to(pack).as_posix(): p.read_bytes() for p in sorted(pack.glob("*/*"))
            if p.suffix in (".ipynb", ".html") and not p.name.startswith(".")}


def _manifest(pack: Path) -> dict:
    return json.loads((pack / "manifest.json").read_text(encoding="utf-8"))


def _temporaries(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if ".qbtmp" in p.name]


# -- SIGKILL of a worker and of a kernel ---------------------------------------------------------------
@pytest.mark.slow
def test_a_killed_worker_or_kernel_fails_only_its_run_and_resume_completes_the_pack(tmp_path):
    data = write_data(tmp_path / "data", THREE_REGIONS)
    out, gate = tmp_path / "reports", tmp_path / "gate"
    pack = out / PERIOD
    gate.mkdir()
    argv = _argv(data, out)
    assert main(argv) == 0  # a good pack to begin with
    good = _reports(pack)
    assert len(good) == 12

    proc = _start(argv, gate, tmp_path)  # the same pack again, stopped at the gate
    try:
        waiting = _gated(gate, proc)
        (worker_region, kernel_pid), (kernel_region, other_kernel) = sorted(waiting.items())
        worker_pid = _worker_of(kernel_pid)
        os.kill(worker_pid, signal.SIGKILL)  # the process running one notebook
        os.kill(other_kernel, signal.SIGKILL)  # the kernel of another
        (gate / "release").touch()
        _, err = proc.communicate(timeout=300)  # no hang
    finally:
        _stop_group(proc)
    assert proc.returncode == 1, err
    killed, dead_kernel = f"{worker_region.lower()}/gate", f"{kernel_region.lower()}/gate"
    assert (f"gate for {worker_region} failed at the run: WorkerLost: the worker process (pid {worker_pid}) "
            "running this notebook died (killed by signal SIGKILL)") in err
    assert f"gate for {kernel_region} failed" in err and "DeadKernelError" in err

    manifest = _manifest(pack)
    statuses = {key: run["status"] for key, run in manifest["runs"].items()}
    assert statuses == {key: "failed" if key in (killed, dead_kernel) else "ok" for key in statuses}
    assert len(statuses) == 6  # the others were not lost: the third region ran after the kill
    index = (pack / "index.html").read_text(encoding="utf-8")
    assert "Failures (2)" in index and "WorkerLost" in index and "DeadKernelError" in index
    after = _reports(pack)
    for name in (f"{killed}.ipynb", f"{killed}.html"):  # the killed run's previous reports, byte for byte
        assert after[name] == good[name]
    for key in statuses:  # every report in place is whole: a notebook that parses, a complete page
        nbformat.reads(after[f"{key}.ipynb"].decode(), as_version=4)
        assert after[f"{key}.html"].rstrip().endswith(b"</html>")
    assert _temporaries(pack) == []
    assert _gone(kernel_pid), "the killed worker's kernel outlived it"

    assert main([*argv, "--resume"]) == 0
    manifest = _manifest(pack)
    assert sorted(k for k, r in manifest["runs"].items() if not r["reused"]) == sorted([killed, dead_kernel])
    assert manifest["summary"] == {"runs": 6, "ok": 6, "failed": 0, "reused": 4}
    resumed = _reports(pack)
    assert {k: v for k, v in resumed.items() if not k.startswith((killed, dead_kernel))} == {
        k: v for k, v in after.items() if not k.startswith((killed, dead_kernel))}  # kept, not rewritten
    index = (pack / "index.html").read_text(encoding="utf-8")
    assert "Failures" not in index and "6 of 6 notebooks ran" in index
    assert all(f'href="{key}.html"' in index for key in statuses)


# -- SIGINT of the CLI ---------------------------------------------------------------------------------
@pytest.mark.slow
def test_ctrl_c_keeps_finished_reports_writes_the_manifest_and_resume_runs_only_the_rest(tmp_path):
    data = write_data(tmp_path / "data", THREE_REGIONS)
    out, gate = tmp_path / "reports", tmp_path / "gate"
    pack = out / PERIOD
    gate.mkdir()
    argv = _argv(data, out)
    proc = _start(argv, gate, tmp_path)
    try:
        kernels = _gated(gate, proc)
        finished = _reports(pack)  # what completed before the interrupt (both gated runs are still running)
        os.kill(proc.pid, signal.SIGINT)  # only the CLI process, as `kill -INT`; it must stop its workers
        _, err = proc.communicate(timeout=120)
    finally:
        _stop_group(proc)
    assert proc.returncode == 130, err
    assert "interrupted; finished notebooks are kept, run again with --resume" in err

    done = sorted({name.rsplit(".", 1)[0] for name in finished})
    assert len(done) == 2 and not any(key.endswith("/gate") for key in done)
    manifest = _manifest(pack)
    assert sorted(manifest["runs"]) == done and all(r["status"] == "ok" for r in manifest["runs"].values())
    assert (pack / "index.html").is_file()
    assert _reports(pack) == finished  # intact, and nothing of the interrupted runs was written
    assert _temporaries(pack) == []
    assert all(_gone(pid) for pid in kernels.values()), "a kernel outlived the interrupted pack"

    assert main([*argv, "--resume"]) == 0
    manifest = _manifest(pack)
    assert sorted(k for k, r in manifest["runs"].items() if r["reused"]) == done
    assert manifest["summary"] == {"runs": 6, "ok": 6, "failed": 0, "reused": 2}
    resumed = _reports(pack)
    assert {k: resumed[k] for k in finished} == finished and len(resumed) == 12


# -- a hung notebook -----------------------------------------------------------------------------------
@pytest.mark.slow
def test_hung_notebooks_are_stopped_by_the_cell_and_notebook_time_limits_and_reported(tmp_path):
    data = write_data(tmp_path / "data")
    result = build_pack(PERIOD, regions=["East"], notebooks=["gate", "sleep", "slow_cells"], data=str(data),
                        formats=["html"], workers=2, out=tmp_path / "reports", pack=PACK_YAML, timeout=5,
                        notebook_timeout=20, progress=False, notebooks_dir=NOTEBOOKS)
    assert result.exit_code == 1
    runs = _manifest(result.out_dir)["runs"]
    assert runs["east/gate"]["status"] == "ok"  # the others complete (no gate is set: it runs straight through)
    sleep, slow = runs["east/sleep"], runs["east/slow_cells"]
    assert sleep["status"] == slow["status"] == "failed"
    assert sleep["failure"]["ename"] == "CellTimeoutError"  # time.sleep(120) in one cell
    assert "a cell ran longer than the 5 s timeout" in sleep["failure"]["evalue"]
    assert slow["failure"]["ename"] == "NotebookTimeoutError"  # forty 1 s cells, each within the cell timeout
    assert "the notebook ran longer than its 20 s time limit (whole notebook)" in slow["failure"]["evalue"]
    executed = nbformat.read(result.out_dir / "east" / "slow_cells.ipynb", as_version=4)
    ran = [c for c in executed.cells if c.cell_type == "code" and c.get("execution_count")]
    assert 2 < len(ran) < 40  # stopped part-way, kept for diagnosis
    index = result.index.read_text(encoding="utf-8")
    assert "Failures (2)" in index
    assert "CellTimeoutError: a cell ran longer than the 5 s timeout" in index
    assert "NotebookTimeoutError: the notebook ran longer than its 20 s time limit" in index


# -- a full disk ---------------------------------------------------------------------------------------
def test_a_full_disk_while_writing_keeps_the_previous_file_and_says_which(tmp_path, monkeypatch):
    target = atomic_write_text(tmp_path / "east" / "00_ok.html", "<html>good</html>")

    class FillsUp(io.FileIO):  # half the bytes reach the disk, then it is full
        def write(self, data):
            super().write(bytes(data)[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files, "open", lambda path, mode: FillsUp(path, mode.replace("b", "")), raising=False)
    with pytest.raises(DiskFullError) as caught:
        atomic_write_text(target, "<html>" + "new " * 10_000 + "</html>")
    assert target.read_text() == "<html>good</html>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["00_ok.html"]  # no partial temporary left
    message = str(caught.value)
    assert message.startswith(f"disk full: could not write {target}") and "previous version" in message
    assert isinstance(caught.value, OSError) and caught.value.errno == errno.ENOSPC
    assert str(pickle.loads(pickle.dumps(caught.value))) == message  # as it comes back from a worker


@pytest.fixture
def tiny_disk(tmp_path):
    """An 8 MiB tmpfs (needs root and mount(8)); skipped where mounting is not permitted."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(disk: Path) -> Path:
    """Fill ``disk`` to the last byte with one file; return it."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    fh.write(b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    return filler


def _free(disk: Path) -> int:
    stat = os.statvfs(disk)
    return stat.f_bavail * stat.f_frsize


def test_a_really_full_disk_keeps_the_previous_file(tiny_disk):
    target = atomic_write_bytes(tiny_disk / "manifest.json", b'{"good": true}')
    _fill(tiny_disk)
    free = _free(tiny_disk)
    with pytest.raises(DiskFullError, match=f"disk full: could not write {tiny_disk / 'manifest.json'}"):
        atomic_write_bytes(target, b"x" * 100_000)
    assert target.read_bytes() == b'{"good": true}'
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler", "manifest.json"]
    assert _free(tiny_disk) == free  # the partial temporary's space was given back


@pytest.mark.slow
def test_a_pack_on_a_full_disk_leaves_every_previous_file_whole_and_names_the_file(tiny_disk, tmp_path, capsys):
    data = write_data(tmp_path / "data")
    out = tiny_disk / "reports"
    pack = out / PERIOD
    argv = ["pack", "--period", PERIOD, "--data", str(data), "--out", str(out), "--pack", str(PACK_YAML),
            "--notebooks-dir", str(NOTEBOOKS), "--notebooks", "00_ok", "--regions", "East,West", "--workers", "2",
            "--formats", "html", "--quiet"]
    assert main(argv) == 0
    before = {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()}
    assert {"manifest.json", "index.html", "east/00_ok.ipynb", "west/00_ok.html"} <= {p.as_posix() for p in before}
    capsys.readouterr()

    filler = _fill(tiny_disk)
    assert main(argv) == 2  # every write fails: the runs' notebooks, then the manifest
    err = capsys.readouterr().err
    assert f"quotabook: disk full: could not write {pack / 'manifest.json'}" in err
    assert {p.relative_to(pack): p.read_bytes() for p in pack.rglob("*") if p.is_file()} == before
    assert _temporaries(tiny_disk) == []

    plan = make_plan(PERIOD, data=data, out=out, pack=PACK_YAML, notebooks_dir=NOTEBOOKS, notebooks=["00_ok"],
                     regions=["East"], formats=["html"])
    outcome = execute_run(Task(plan.runs[0], timeout=60, log=pack / "logs" / "east" / "00_ok.log"))
    assert outcome.status == "failed" and outcome.failure.ename == "DiskFullError"
    assert outcome.failure.evalue.startswith(f"disk full: could not write {pack / 'east' / '00_ok.ipynb'}")
    assert (pack / "east" / "00_ok.ipynb").read_bytes() == before[Path("east/00_ok.ipynb")]
    assert _temporaries(tiny_disk) == []

    filler.unlink()  # space again: the pack is still complete, nothing needs to run
    assert main([*argv, "--resume"]) == 0
    assert _manifest(pack)["summary"] == {"runs": 2, "ok": 2, "failed": 0, "reused": 2}


# -- SIGTERM and SIGKILL of the build itself (issue 15) -------------------------------------------------
def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (workers, kernels, playwright's driver, Chromium), from ``/proc``."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            child = int(stat.parent.name)
            children.setdefault(_parent_pid(child), []).append(child)
        except (OSError, ValueError):
            continue
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            found.add(child)
            todo.append(child)
    return found


def _browser_started(proc: subprocess.Popen) -> set[int]:
    """Wait until the build has Chromium running (printing a PDF); return the build's process tree then."""
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        tree = _descendants(proc.pid)
        for pid in tree:
            with contextlib.suppress(OSError):
                if b"chromium" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return tree
        if proc.poll() is not None:
            pytest.fail(f"the pack ended before printing a PDF: {proc.communicate()[1]}")
        time.sleep(0.02)
    pytest.fail("no PDF was printed within 4 minutes")


def _stop_build(proc: subprocess.Popen, sig: signal.Signals, tree: set[int]) -> str:
    """Send ``sig`` to the build's main process only; return its stderr once it has ended."""
    os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=120)
    expected = 143 if sig == signal.SIGTERM else -signal.SIGKILL
    assert proc.returncode == expected, err
    if sig == signal.SIGTERM:  # stopped as Ctrl-C stops it: a message, no traceback
        assert "terminated; finished notebooks are kept, run again with --resume" in err and "Traceback" not in err
    alive = [pid for pid in tree if not _gone(pid, within=40)]
    assert not alive, f"processes of the stopped build still alive: {alive}"
    return err


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Chromium for the PDF stage")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_terminated_or_killed_build_leaves_no_process_no_cache_and_a_resumable_record(tmp_path, sig):
    # The build's temporary directory, where its cache folder goes and the test can see it (short: Chromium's
    # socket path in it must stay under 108 bytes).
    temp = Path(tempfile.mkdtemp(prefix="qb-"))
    try:
        _terminate_and_kill(tmp_path, temp, sig)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _terminate_and_kill(tmp_path: Path, temp: Path, sig: signal.Signals) -> None:
    data = write_data(tmp_path / "data", THREE_REGIONS)
    out, gate = tmp_path / "reports", tmp_path / "gate"
    pack = out / PERIOD
    gate.mkdir()
    argv = [*_argv(data, out)[:-3], "--formats", "html,pdf", "--quiet"]
    env = {"TMPDIR": str(temp)}

    def caches() -> list[str]:
        return [p.name for p in temp.glob("quotabook-cache-*")]

    # 1. mid-execution: two runs finished, two kernels waiting at the gate
    proc = _start(argv, gate, tmp_path, env)
    try:
        _gated(gate, proc)
        tree = _descendants(proc.pid)
        assert len(tree) >= 4  # two workers and their kernels
        _stop_build(proc, sig, tree)
    finally:
        _stop_group(proc)
    if sig == signal.SIGTERM:
        assert caches() == []
    manifest = _manifest(pack)  # written as each run finished, so even SIGKILL leaves it
    first = sorted(k for k, r in manifest["runs"].items() if r["status"] == "ok")
    assert len(first) == 2 and not any(k.endswith("/gate") for k in first), manifest["runs"]
    assert manifest["state"] == ("stopped" if sig == signal.SIGTERM else "building")
    assert "This pack is incomplete" in (pack / "index.html").read_text(encoding="utf-8")

    # 2. mid-PDF: the resumed build has Chromium printing a region
    (gate / "release").touch()
    proc = _start([*argv, "--resume"], gate, tmp_path, env)
    try:
        tree = _browser_started(proc)
        _stop_build(proc, sig, tree)
    finally:
        _stop_group(proc)
    manifest = _manifest(pack)
    second = sorted(k for k, r in manifest["runs"].items() if r["status"] == "ok")
    assert set(first) < set(second), "the runs finished before the first stop were lost"
    assert _temporaries(pack) == [] or sig == signal.SIGKILL  # SIGKILL leaves temporaries to the next build

    # 3. the next build removes what a killed build left, and keeps every run that had finished
    proc = _start([*argv, "--resume"], gate, tmp_path, env)
    try:
        _, err = proc.communicate(timeout=300)
    finally:
        _stop_group(proc)
    assert proc.returncode == 0, err
    manifest = _manifest(pack)
    assert sorted(k for k, r in manifest["runs"].items() if r["reused"]) == second
    assert manifest["summary"] == {"runs": 6, "ok": 6, "failed": 0, "reused": len(second)}
    assert manifest["state"] == "complete" and len(list(pack.glob("*/*.pdf"))) == 3
    assert "This pack is incomplete" not in (pack / "index.html").read_text(encoding="utf-8")
    assert caches() == [] and _temporaries(pack) == []
