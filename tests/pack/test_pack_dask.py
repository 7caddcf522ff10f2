"""Packs on a Dask cluster: the fixture pack on a LocalCluster of 2 workers, outputs returned by the tasks."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from packtools import NOTEBOOKS, PACK_YAML, assert_offline, write_data

from quotabook.cli import main
from quotabook.errors import NotebookFailure, PackError
from quotabook.pack import dask_executor
from quotabook.pack.dask_executor import DetachedOutcome, RemoteTask, execute_detached, land, redact_address
from quotabook.pack.execute import RunOutcome, Task
from quotabook.pack.plan import Run

pytestmark = pytest.mark.xdist_group("pack_dask")  # module fixtures built once, on one worker

pytest.importorskip("distributed")


def _run(folder: Path, notebook: Path = NOTEBOOKS / "01_broken.ipynb", region: str = "West") -> Run:
    slug = region.lower()
    return Run(stem=notebook.stem, title="Funnel", region=region, slug=slug, notebook=notebook,
               ipynb=folder / slug / f"{notebook.stem}.ipynb", html=folder / slug / f"{notebook.stem}.html",
               parameters={"region": region, "period": "2026-Q3", "as_of": None, "data": "demo"})


@pytest.mark.parametrize(("address", "shown"), [
    ("tcp://10.0.0.5:8786", "tcp://10.0.0.5:8786"),
    ("tls://alice:s3cret@sched.example.com:8786", "tls://sched.example.com:8786"),
    ("tcp://sched:8786?token=abc#x", "tcp://sched:8786"),
    ("bob:pw@sched:8786", "sched:8786"),
    ("local", "local"),
])
def test_scheduler_addresses_are_recorded_without_credentials(address, shown):
    assert redact_address(address) == shown


def test_landing_writes_the_returned_outputs_and_log_into_the_pack(tmp_path):
    task = Task(run=_run(tmp_path / "pack"), log=tmp_path / "pack" / "logs" / "west" / "01_broken.log")
    failure = NotebookFailure("01_broken", "West", 3, "ValueError", "no funnel data for West")
    outcome = RunOutcome(key="west/01_broken", status="failed", started_at="t", failure=failure,
                         outputs={"ipynb": "01_broken.ipynb", "html": "01_broken.html"})
    landed = land(task, DetachedOutcome(outcome, {"ipynb": b"{}", "html": b"<html>"}, log=b"kernel said"))
    assert (tmp_path / "pack" / "west" / "01_broken.ipynb").read_bytes() == b"{}"
    assert (tmp_path / "pack" / "west" / "01_broken.html").read_bytes() == b"<html>"
    assert Path(landed.log).read_bytes() == b"kernel said" and landed.failure == failure
    assert not list((tmp_path / "pack").rglob(".*"))  # no temporaries left behind


def test_an_unreachable_scheduler_is_a_pack_error_without_the_password(monkeypatch):
    monkeypatch.setattr(dask_executor, "CONNECT_TIMEOUT", 1)
    with pytest.raises(PackError) as caught:
        dask_executor.DaskExecutor(scheduler="tcp://alice:s3cret@127.0.0.1:1")
    assert "127.0.0.1:1" in str(caught.value) and "s3cret" not in str(caught.value)


def test_a_refused_scheduler_address_fails_at_once_without_making_a_client():
    start = time.perf_counter()
    with pytest.raises(PackError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:1: Connection refused"):
        dask_executor.DaskExecutor(scheduler="tcp://127.0.0.1:1")
    assert time.perf_counter() - start < 3


def test_an_address_that_never_answers_fails_within_the_timeout_and_without_a_traceback(tmp_path):
    """A listener that accepts and says nothing (a firewall, a proxy, another service): the Client's own
    clean-up used to wait twice its timeout and print ``Exception ignored in Client.__del__``."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        code = ("import gc\nfrom quotabook.errors import PackError\nfrom quotabook.pack import dask_executor\n"
                "dask_executor.PROBE_TIMEOUT = 2\ntry:\n"
                f"    dask_executor.DaskExecutor(scheduler='tcp://127.0.0.1:{port}')\n"
                "except PackError as exc:\n    print(exc)\ngc.collect()\n")
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert time.perf_counter() - start < 15
    assert f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}" in done.stdout, done.stdout + done.stderr
    assert f"tcp://127.0.0.1:{port}: no Dask scheduler answered there within 2 s" in done.stdout
    assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr, done.stderr


@pytest.mark.slow
def test_a_detached_run_returns_its_outputs_and_writes_nothing_in_the_pack(tmp_path):
    # The worker cannot see the notebook's path: it runs the shipped copy in a temporary folder.
    source = (NOTEBOOKS / "01_broken.ipynb").read_bytes()
    run = _run(tmp_path / "pack", notebook=tmp_path / "elsewhere" / "01_broken.ipynb")
    task = Task(run=run, timeout=60, log=tmp_path / "pack" / "logs" / "west" / "01_broken.log")
    detached = execute_detached(RemoteTask(task, source))
    assert not (tmp_path / "pack").exists()
    outcome = detached.outcome
    assert outcome.status == "failed" and outcome.failure.evalue == "no funnel data for West"
    assert set(detached.files) == {"ipynb", "html"} and detached.log is not None and outcome.log is None
    nb = nbformat.reads(detached.files["ipynb"].decode(), as_version=4)
    assert nb.metadata.papermill.parameters["region"] == "West"
    assert nb.metadata.papermill.output_path == "01_broken.ipynb"
    assert outcome.headlines == {} and "execute" in outcome.timings


@pytest.mark.slow
def test_pack_on_a_local_cluster_isolates_the_failure_and_records_the_scheduler(tmp_path, capsys):
    data = write_data(tmp_path / "data")
    out = tmp_path / "reports"
    argv = ["pack", "--period", "2026-Q3", "--data", str(data), "--out", str(out), "--pack", str(PACK_YAML),
            "--notebooks-dir", str(NOTEBOOKS), "--regions", "East,West", "--workers", "2", "--quiet",
            "--formats", "html", "--scheduler", "local"]

    assert main(argv) == 1  # West's 01_broken failed; the rest completed and the pack is written
    assert ('01_broken for West failed at In [4] (section "Funnel (fixture that fails for one region)"): '
            "ValueError: no funnel data for West") in capsys.readouterr().err
    pack = out / "2026-Q3"
    for region in ("east", "west"):
        for stem in ("00_ok", "01_broken"):
            assert (pack / region / f"{stem}.ipynb").is_file() and (pack / region / f"{stem}.html").is_file()
    for page in [pack / "index.html", *pack.glob("*/*.html")]:
        assert_offline(page.read_text(encoding="utf-8"))
    assert "$310,000" in (pack / "west" / "00_ok.html").read_text(encoding="utf-8")

    manifest = json.loads((pack / "manifest.json").read_text())
    assert manifest["executor"] == {"name": "dask", "scheduler": "local", "workers": 2}
    statuses = {key: run["status"] for key, run in manifest["runs"].items()}
    assert statuses == {"east/00_ok": "ok", "east/01_broken": "ok", "west/00_ok": "ok", "west/01_broken": "failed"}
    assert list(manifest["runs"]["east/00_ok"]["headlines"].items()) == [("Region", "East"), ("Attainment", "82%"),
                                                                         ("Closed", 820000)]
    assert manifest["runs"]["west/01_broken"]["log"] == "logs/west/01_broken.log"
    assert (pack / "logs" / "west" / "01_broken.log").is_file()
    executed = nbformat.read(pack / "east" / "00_ok.ipynb", as_version=4).metadata.papermill
    assert executed.parameters == {"region": "East", "period": "2026-Q3", "as_of": "2026-02-20", "data": str(data)}
    assert 'href="west/01_broken.html#papermill-error-cell"' in (pack / "index.html").read_text(encoding="utf-8")
    assert not list(pack.rglob(".*qbtmp*"))


@pytest.fixture(scope="module")
def scheduler():
    """The address of a 1-worker LocalCluster started by the test, standing in for a remote cluster."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None,
                      scheduler_kwargs={"dashboard_address": ":0"}) as cluster:
        yield cluster.scheduler_address


@pytest.mark.slow
def test_the_executor_yields_each_task_with_its_result_or_exception(scheduler):
    with dask_executor.DaskExecutor(scheduler=scheduler) as executor:
        assert executor.workers == 1 and executor.describe()["scheduler"] == scheduler
        results = dict(executor.run(lambda x: 10 / x, [1, 0, 5]))
    assert results[1] == 10 and results[5] == 2 and isinstance(results[0], ZeroDivisionError)


@pytest.mark.slow
def test_pack_on_a_scheduler_address_records_it(tmp_path, scheduler):
    from quotabook.pack import build_pack

    data = write_data(tmp_path / "data")
    result = build_pack("2026-Q3", regions=["East"], notebooks=["00_ok"], data=str(data), formats=("html",),
                        out=tmp_path / "reports", pack=PACK_YAML, notebooks_dir=NOTEBOOKS, progress=False,
                        scheduler=scheduler)
    assert result.exit_code == 0 and (result.out_dir / "east" / "00_ok.html").is_file()
    manifest = json.loads(result.manifest.read_text())
    assert manifest["executor"] == {"name": "dask", "scheduler": scheduler, "workers": 1}


def test_cli_passes_the_scheduler_and_leaves_it_out_by_default(monkeypatch):
    import quotabook.pack
    from quotabook.pack import PackResult

    calls = []

    def fake_build(period, **kwargs):
        calls.append(kwargs)
        return PackResult(out_dir=Path("r"), index=Path("r/index.html"), manifest=Path("r/manifest.json"))

    monkeypatch.setattr(quotabook.pack, "build_pack", fake_build)
    assert main(["pack", "--period", "2026-Q3", "--scheduler", "tcp://h:8786", "--quiet"]) == 0
    assert main(["pack", "--period", "2026-Q3", "--quiet"]) == 0
    assert calls[0]["scheduler"] == "tcp://h:8786" and "scheduler" not in calls[1]
