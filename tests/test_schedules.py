"""The shipped schedules (a crontab and an Airflow DAG file) run commands quotabook accepts, on the days the
README promises: every quarter on day 3 (the quarter just finished) and every Monday (the quarter in progress).

Airflow is not a dependency: without it the DAG file runs against a stand-in ``airflow`` package that records
each DAG and task, and the task's templated command is rendered with sample values and parsed by the CLI."""

from __future__ import annotations

import re
import shlex
import sys
import types
from pathlib import Path
from typing import ClassVar

import pytest

from quotabook.cli import build_parser, main

SCHEDULES = Path(__file__).resolve().parents[1] / "params" / "schedules"
QUARTER_REVIEW = "0 6 3 1,4,7,10 *"
WEEKLY = "0 6 * * 1"


def _pack_arguments(command: str, period: str) -> list[str]:
    """The ``quotabook pack`` arguments in a shell command, with its ``$(quotabook period …)`` substituted."""
    periods = re.findall(r"\$\((\S*quotabook period[^)]*)\)", command)
    assert periods, command
    for inner in periods:
        args = shlex.split(inner)[1:]
        assert build_parser().parse_args(args).command == "period"
        command = command.replace(f"$({inner})", period)
    pack = command[command.index("quotabook pack"):]
    return shlex.split(pack)[1:]


def test_period_prints_the_quarter_of_a_day_and_its_neighbours(capsys):
    assert main(["period", "--date", "2026-04-03", "--offset", "-1"]) == 0
    assert main(["period", "--date", "2026-04-03"]) == 0
    assert capsys.readouterr().out.split() == ["2026-Q1", "2026-Q2"]
    assert main(["period", "--date", "04/03/2026"]) == 2


def test_the_crontab_runs_valid_pack_commands_on_the_promised_days():
    lines = [line for line in (SCHEDULES / "crontab").read_text().splitlines() if line and not line.startswith("#")]
    schedules = {" ".join(line.split()[:5]): " ".join(line.split()[5:]) for line in lines}
    assert set(schedules) == {QUARTER_REVIEW, WEEKLY}
    for command in schedules.values():
        args = build_parser().parse_args(_pack_arguments(command, "2026-Q3"))
        assert (args.command, args.period, args.data) == ("pack", "2026-Q3", "data/mine")
        assert args.email and "PASSWORD" not in command
    assert "--offset -1" in schedules[QUARTER_REVIEW] and "--offset" not in schedules[WEEKLY]


class _Recorder:
    dags: ClassVar[list[dict]] = []

    class DAG:
        def __init__(self, dag_id, schedule, **kwargs):
            self.info = {"dag_id": dag_id, "schedule": schedule, "tasks": [], **kwargs}
            _Recorder.dags.append(self.info)

        def __enter__(self):
            _Recorder.current = self.info
            return self

        def __exit__(self, *exc):
            _Recorder.current = None

    class BashOperator:
        def __init__(self, task_id, bash_command, **kwargs):
            _Recorder.current["tasks"].append({"task_id": task_id, "bash_command": bash_command})


@pytest.fixture
def airflow_dags(monkeypatch):
    """The DAGs the file defines: with Airflow's own DagBag when installed, else through the stand-in."""
    try:
        from airflow.models import DagBag
    except ImportError:
        airflow = types.ModuleType("airflow")
        airflow.DAG = _Recorder.DAG
        operators = types.ModuleType("airflow.operators")
        bash = types.ModuleType("airflow.operators.bash")
        bash.BashOperator = _Recorder.BashOperator
        stand_ins = {"airflow": airflow, "airflow.operators": operators, "airflow.operators.bash": bash}
        for name, module in stand_ins.items():
            monkeypatch.setitem(sys.modules, name, module)
        _Recorder.dags = []
        source = (SCHEDULES / "quotabook_dag.py").read_text()
        exec(compile(source, str(SCHEDULES / "quotabook_dag.py"), "exec"), {"__name__": "quotabook_dag"})
        return {d["dag_id"]: d for d in _Recorder.dags}
    bag = DagBag(str(SCHEDULES), include_examples=False)
    assert not bag.import_errors
    return {dag_id: {"schedule": str(dag.schedule_interval), "catchup": dag.catchup,
                     "tasks": [{"task_id": t.task_id, "bash_command": t.bash_command} for t in dag.tasks]}
            for dag_id, dag in bag.dags.items()}


def test_the_airflow_dags_build_and_send_the_review_and_the_live_pack(airflow_dags):
    assert {k: v["schedule"] for k, v in airflow_dags.items()} == {"quotabook_quarter_review": QUARTER_REVIEW,
                                                                    "quotabook_weekly": WEEKLY}
    samples = {"var.value.get('QUOTABOOK_HOME', '/srv/quotabook')": "/srv/quotabook",
               "var.value.get('QUOTABOOK_DATA', 'data/mine')": "data/mine",
               "var.value.QUOTABOOK_RECIPIENTS": "dsm@example.com", "data_interval_end | ds": "2026-10-03"}
    for dag_id, offset in (("quotabook_quarter_review", "-1"), ("quotabook_weekly", "0")):
        dag = airflow_dags[dag_id]
        assert dag["catchup"] is False
        [task] = dag["tasks"]
        command = re.sub(r"\{\{ (.+?) \}\}", lambda m: samples[m.group(1)], task["bash_command"])
        assert f"period --date 2026-10-03 --offset {offset})" in command
        args = build_parser().parse_args(_pack_arguments(command, "2026-Q3"))
        assert (args.period, args.data, args.email) == ("2026-Q3", "data/mine", "dsm@example.com")
