"""Kernels started ahead: a pool worker's next run finds its kernel started and its imports done, each run still
has a kernel of its own, a crashed kernel costs only its run, and no spare outlives the build."""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from packtools import write_data

from quotabook import cache
from quotabook.pack import kernels, zygote
from quotabook.pack.execute import Task, execute_run
from quotabook.pack.executors import LocalPoolExecutor
from quotabook.pack.plan import make_plan

PARAMETERS = 'region = "district"\nperiod = "2026-Q3"\nas_of = None\ndata = "demo"'


def _notebook(folder: Path, stem: str, *cells: str) -> None:
    params = new_code_cell(PARAMETERS)
    params.metadata["tags"] = ["parameters"]
    nb = new_notebook(cells=[new_markdown_cell(f"# {stem}"), params, *map(new_code_cell, cells)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / f"{stem}.ipynb")


def test_the_modules_a_notebook_imports_are_read_from_its_code_cells(tmp_path):
    _notebook(tmp_path, "theme", "import pandas as pd\nfrom quotabook.themes.funnel import charts",
              "%matplotlib inline", "from . import sibling\nfrom quotabook.scope import *\nimport json, csv")
    assert kernels.notebook_modules(tmp_path / "theme.ipynb") == [
        "pandas", "quotabook.themes.funnel", "quotabook.themes.funnel.charts", "quotabook.scope", "json", "csv"]


def test_preload_imports_what_it_is_given_skips_what_fails_and_forgets_the_list(monkeypatch):
    monkeypatch.delitem(sys.modules, "quotabook.fiscal", raising=False)
    monkeypatch.setenv(kernels.PRELOAD_ENV, json.dumps(["no_such_module_anywhere", "quotabook.fiscal"]))
    kernels.preload()
    assert "quotabook.fiscal" in sys.modules
    assert kernels.PRELOAD_ENV not in os.environ


def test_only_pool_workers_keep_spares():
    assert not kernels.enabled()  # the test process: a serial build starts each kernel itself


# A probe says whether its kernel had the what-if module (which nothing else here imports) loaded before the
# notebook imported anything, and which process it is; a crash kills its own kernel.
PROBE = ("import json, os, sys\nprint(json.dumps({'warm': 'quotabook.themes.territory_quota.whatif' in sys.modules, "
         "'pid': os.getpid(), 'zygote': b'quotabook.pack.zygote' in open(f'/proc/{os.getppid()}/cmdline', 'rb').read()"
         "}))")
CRASH = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"


def _probe(run) -> dict:
    nb = nbformat.read(run.ipynb, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", ()) if o.get("name") == "stdout")
    return json.loads(text)


def _alive_with(marker: str) -> list[int]:
    """Processes whose environment holds ``marker`` (a spare inherits its run's environment)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("forked", [True, False], ids=["zygote", "popen"])
def test_a_worker_runs_each_notebook_in_its_own_kernel_started_ahead(tmp_path, monkeypatch, forked):
    monkeypatch.setenv(zygote.SWITCH, "1" if forked else "0")  # the worker inherits it
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks, "a_probe", PROBE, "import quotabook.themes.territory_quota.whatif")
    _notebook(notebooks, "b_crash", CRASH)
    _notebook(notebooks, "c_probe", PROBE)
    (tmp_path / "pack.yaml").write_text("title: Spares\nnotebooks: [a_probe, b_crash, c_probe]\nregions: all\n")
    plan = make_plan("2026-Q3", data=write_data(tmp_path / "data"), out=tmp_path / "reports",
                     pack=tmp_path / "pack.yaml", notebooks_dir=notebooks, regions=["East"], formats=["html"])
    marker = f"SPARES_TEST_{uuid.uuid4().hex}"
    env = ((marker, "1"), (cache.ENV, str(tmp_path / "cache")))  # the build's cache folder holds spares' output
    tasks = [Task(run, timeout=120, log=tmp_path / "logs" / f"{run.stem}.log", env=env) for run in plan.runs]
    tasks.append(Task(plan.runs[2], timeout=120, env=env))  # a fourth run, after the crash
    outcomes = []
    for task, outcome in LocalPoolExecutor(1).run(execute_run, tasks):
        assert not isinstance(outcome, BaseException), outcome
        outcomes.append((task.run.stem, outcome.status, _probe(task.run) if "probe" in task.run.stem else None))
        if task.run.stem == "b_crash":
            assert outcome.failure.ename == "DeadKernelError"
    first, crash, after, last = outcomes
    assert first[:2] == ("a_probe", "ok")
    assert first[2]["warm"] is forked  # no spare yet: forked from the zygote, or started cold without one
    assert crash[:2] == ("b_crash", "failed")
    assert after[:2] == ("c_probe", "ok") and after[2]["warm"]  # started during the crash, untouched by it
    assert last[:2] == ("c_probe", "ok") and last[2]["warm"]
    assert len({first[2]["pid"], after[2]["pid"], last[2]["pid"], os.getpid()}) == 4  # a kernel per run
    # every kernel was forked by the worker's zygote (quotabook.pack.zygote), or started by the worker without one
    assert [run[2]["zygote"] for run in (first, after, last)] == [forked] * 3
    assert _alive_with(marker) == []  # the last spare went with its worker
    assert list((tmp_path / "cache").glob("quotabook-kernel-*")) == []  # and its output file
    assert not (tmp_path / "logs" / "a_probe.log").exists()  # logs are kept only for failed runs
    assert (tmp_path / "logs" / "b_crash.log").is_file()


def test_a_spare_started_for_another_folder_or_environment_is_stopped_not_used(tmp_path, monkeypatch):
    class Manager:  # stands in for a kernel manager whose kernel was started elsewhere
        provisioner = None
        cleaned = False

        def cleanup_connection_file(self):
            self.cleaned = True

    output = tmp_path / "spare.log"
    output.write_bytes(b"started\n")
    manager = Manager()
    monkeypatch.setattr(kernels, "_SPARE", kernels.Spare(manager, "python3", str(tmp_path), (("A", "1"),), output))
    assert kernels.take("python3", tmp_path, (("A", "2"),)) is None
    assert manager.cleaned and not output.exists() and kernels._SPARE is None


def test_a_finished_run_s_kernel_is_asked_to_stop_and_its_exit_awaited(tmp_path):
    """``stop``: the kernel gets the shutdown request, its process is awaited (not polled) and ends on its own, and
    what it printed to its own stderr is handed back."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name="python3")
    output = tmp_path / "kernel.log"
    with open(output, "wb") as handle:
        run_sync(km.start_kernel)(cwd=str(tmp_path), stdout=handle, stderr=handle)
    kc = km.client()
    kc.start_channels()
    run_sync(kc.wait_for_ready)(timeout=60)
    run_sync(kc.execute_interactive)("import sys; print('stray', file=sys.__stderr__, flush=True)", timeout=60)
    kc.stop_channels()
    process = km.provisioner.process
    said = kernels.stop(kernels.Spare(km, "python3", str(tmp_path), (), output))
    assert process.poll() == 0  # ended on its own, not killed
    assert b"stray" in said and not output.exists()
    assert km.provisioner.process is None  # reaped and let go


def test_a_kernel_that_does_not_stop_when_asked_is_killed(monkeypatch):
    import asyncio
    import subprocess

    class Provisioner:
        def __init__(self):
            self.process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])

        async def wait(self):
            return self.process.wait()

    class Deaf:  # a kernel manager whose kernel ignores the shutdown request
        provisioner = Provisioner()
        asked = killed = False

        async def request_shutdown(self):
            self.asked = True
            await asyncio.sleep(0)

        async def shutdown_kernel(self, now=False):
            self.killed = now
            self.provisioner.process.kill()
            self.provisioner.process.wait()

    monkeypatch.setattr(kernels, "SHUTDOWN_WAIT", 0.3)
    km = Deaf()
    kernels._shut_down(km)
    assert km.asked and km.killed and km.provisioner.process.returncode == -9


def test_a_spare_s_client_is_ready_once_answered_and_its_first_cell_shows_only_its_own_output(tmp_path):
    """``prompt_client``: ready without waiting for IOPub to fall silent; whatever the handshake left on IOPub
    never reaches a cell's outputs (nbclient reads only the messages answering its own requests)."""
    from jupyter_client.asynchronous.client import AsyncKernelClient
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    assert issubclass(kernels.prompt_client(), AsyncKernelClient)
    km = AsyncKernelManager(kernel_name="python3", client_factory=kernels.prompt_client())
    run_sync(km.start_kernel)(cwd=str(tmp_path))
    try:
        nb = new_notebook(cells=[new_code_cell("print('first')"), new_code_cell("print('second')")])
        NotebookClient(nb, km=km, timeout=60).execute()
        assert [[o.get("text") for o in cell.outputs] for cell in nb.cells] == [["first\n"], ["second\n"]]
        kc = km.client()
        assert isinstance(kc, kernels.prompt_client())
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=60)
        said = []
        run_sync(kc.execute_interactive)("print(6 * 7)", timeout=60,
                                         output_hook=lambda msg: said.append(msg["content"].get("text", "")))
        assert "".join(said) == "42\n"
        kc.stop_channels()
    finally:
        run_sync(km.shutdown_kernel)(now=True)
