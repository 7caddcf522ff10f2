"""Executing runs: failures are recorded not raised, a hung notebook is stopped, executors report exceptions,
a dead worker costs only its own task."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from dataclasses import asdict

import nbformat
import pytest
from packtools import NOTEBOOKS, PACK_YAML, write_data

from quotabook.errors import PackError
from quotabook.pack.execute import Task, execute_run
from quotabook.pack.executors import LocalPoolExecutor, SerialExecutor, WorkerLost, _Worker, get_executor
from quotabook.pack.executors import _worker_loop as executors_worker_loop
from quotabook.pack.plan import make_plan


def _square(x: int) -> int:
    if x == 3:
        raise ValueError("three")
    return x * x


@pytest.mark.parametrize("executor", [SerialExecutor(), LocalPoolExecutor(2)], ids=["serial", "local"])
def test_executors_yield_every_task_with_its_result_or_exception(executor):
    results = dict(executor.run(_square, [1, 2, 3, 4]))
    assert {k: v for k, v in results.items() if k != 3} == {1: 1, 2: 4, 4: 16}
    assert isinstance(results[3], ValueError)


def _echo_or_die(x: str) -> str:
    if x.startswith("die"):
        os.kill(os.getpid(), signal.SIGKILL)
    return x


def test_a_killed_worker_fails_only_its_task_and_a_new_process_takes_the_rest():
    results = dict(LocalPoolExecutor(2).run(_echo_or_die, ["a", "die", "b", "c", "die again", "d", "e"]))
    assert {k: v for k, v in results.items() if not k.startswith("die")} == {x: x for x in "abcde"}
    for task in ("die", "die again"):
        assert isinstance(results[task], WorkerLost)
        assert "died (killed by signal SIGKILL)" in str(results[task])
    assert multiprocessing.active_children() == []


def _nap(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def test_stopping_early_interrupts_the_running_tasks_and_ends_every_worker():
    results = LocalPoolExecutor(2).run(_nap, [0, 600, 600])
    assert next(results) == (0, 0)
    results.close()  # e.g. Ctrl-C in the parent: the workers get it, the 600 s naps end now
    assert multiprocessing.active_children() == []


def _slow_to_start(*args) -> None:
    """The worker loop, reached a second late (a busy machine's fork): a stop arrives before its handlers."""
    time.sleep(1)
    executors_worker_loop(*args)


def test_a_stop_sent_while_a_worker_is_still_starting_ends_it_cleanly(monkeypatch):
    """A worker forked a moment ago has no handlers of its own yet: the stop waits for them (signals are blocked
    across the fork) and the worker ends as when idle (exit 0), never in its parent's SIGINT handler (under
    pytest-xdist that handler told the test controller its worker was interrupted, and the run stopped)."""
    import quotabook.pack.executors as executors

    monkeypatch.setattr(executors, "_worker_loop", _slow_to_start)  # the fork copies the patched module
    workers = [_Worker.start(multiprocessing.get_context("fork"), _nap) for _ in range(3)]
    for worker in workers:
        os.kill(worker.process.pid, signal.SIGINT)  # during the second before the loop starts
    for worker in workers:
        worker.process.join(30)
    assert [w.process.exitcode for w in workers] == [0, 0, 0]


def test_unknown_executor_names_the_known_ones():
    assert get_executor("local", 3).workers == 3
    with pytest.raises(PackError, match="known: local, serial, dask"):
        get_executor("slurm")


@pytest.mark.slow
def test_a_hung_notebook_is_stopped_at_the_timeout_and_reported(tmp_path):
    data = write_data(tmp_path / "data")
    plan = make_plan("2026-Q3", data=data, out=tmp_path / "reports", pack=PACK_YAML, notebooks_dir=NOTEBOOKS,
                     notebooks=["sleep"], regions=["East"], formats=["html"], timeout=2)
    run = plan.runs[0]
    start = time.perf_counter()
    outcome = execute_run(Task(run, timeout=2, log=tmp_path / "logs" / "sleep.log"))
    assert time.perf_counter() - start < 30  # the cell sleeps 120 s
    assert outcome.status == "failed"
    assert outcome.failure.ename == "CellTimeoutError" and "2 s timeout" in outcome.failure.evalue
    assert outcome.failure.cell_index is not None
    nb = nbformat.read(run.ipynb, as_version=4)  # the partial notebook is kept for diagnosis
    assert nb.cells[outcome.failure.cell_index].source.startswith("import time")
    assert run.html.is_file() and outcome.log == str(tmp_path / "logs" / "sleep.log")
    assert [p.name for p in run.ipynb.parent.iterdir() if p.name.startswith(".")] == []  # no temporaries left


@pytest.mark.slow
def test_a_failed_cell_is_named_as_the_page_names_it(tmp_path):
    # The executed notebook holds markdown, papermill's injected parameters and its two error banners before
    # the failing cell, so its index (6; papermill reports 4, its index before the banners) is not what a
    # reader sees: the page's banner says "In [4]" (its execution count), and the failure, the index and the
    # message say the same, with the section it sits in.
    from quotabook.pack.index import _failure_text

    data = write_data(tmp_path / "data")
    plan = make_plan("2026-Q3", data=data, out=tmp_path / "reports", pack=PACK_YAML, notebooks_dir=NOTEBOOKS,
                     notebooks=["01_broken"], regions=["West"], formats=["html"])
    run = plan.runs[0]
    outcome = execute_run(Task(run, timeout=60))
    failure = outcome.failure
    nb = nbformat.read(run.ipynb, as_version=4)
    count = nb.cells[failure.cell_index].execution_count
    assert failure.execution_count == count == 4 and nb.cells[failure.cell_index].source.startswith("if region")
    assert failure.section == "Funnel (fixture that fails for one region)"
    page = run.html.read_text(encoding="utf-8")
    assert "An Exception was encountered at" in page and f"In [{count}]'" in page  # papermill's banner
    where = 'In [4] (section "Funnel (fixture that fails for one region)")'
    assert f"01_broken for West failed at {where}: ValueError: no funnel data for West" == str(failure)
    assert _failure_text(asdict(failure)) == f"{where}: ValueError: no funnel data for West"
