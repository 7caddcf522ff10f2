"""Airflow DAGs that build and send quotabook packs: every quarter on day 3 (the review of the quarter just
finished) and every Monday (the quarter in progress).

Copy this file into Airflow's ``dags/`` folder and set ``QUOTABOOK_HOME`` (the project checkout with its
``.venv``), ``QUOTABOOK_DATA`` and ``QUOTABOOK_RECIPIENTS`` as Airflow Variables. The SMTP settings
(``QUOTABOOK_SMTP_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``, ``_STARTTLS``) come from the worker's
environment (or a secrets backend exported into it), never from this file. The quarter-review months are
the first month of each fiscal quarter: ``1,4,7,10`` for a fiscal year starting in January.

``data_interval_end`` is the moment the run is for (Airflow's ``ds`` is the start of the interval, a
quarter earlier for the quarterly DAG), so ``quotabook period --date … --offset -1`` names the quarter just
finished and ``--offset 0`` the quarter in progress.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.bash import BashOperator

HOME = "{{ var.value.get('QUOTABOOK_HOME', '/srv/quotabook') }}"
DATA = "{{ var.value.get('QUOTABOOK_DATA', 'data/mine') }}"
RECIPIENTS = "{{ var.value.QUOTABOOK_RECIPIENTS }}"
DAY = "{{ data_interval_end | ds }}"


def pack_command(offset: int) -> str:
    """The shell command building and sending the pack of the quarter ``offset`` from the run's day."""
    period = f'$(.venv/bin/quotabook period --date {DAY} --offset {offset})'
    return (f'cd {HOME} && .venv/bin/quotabook pack --period "{period}" --data {DATA} --quiet '
            f"--email {RECIPIENTS}")


DEFAULTS = {"owner": "revops", "retries": 1, "retry_delay": timedelta(minutes=30)}

with DAG(dag_id="quotabook_quarter_review", schedule="0 6 3 1,4,7,10 *", start_date=datetime(2026, 1, 1),
         catchup=False, default_args=DEFAULTS, tags=["quotabook"],
         doc_md="The review pack of the quarter just finished, sent on day 3 of the next."):
    BashOperator(task_id="build_and_send_review", bash_command=pack_command(-1),
                 execution_timeout=timedelta(hours=2))

with DAG(dag_id="quotabook_weekly", schedule="0 6 * * 1", start_date=datetime(2026, 1, 1), catchup=False,
         default_args=DEFAULTS, tags=["quotabook"],
         doc_md="The live pack of the quarter in progress, every Monday morning."):
    BashOperator(task_id="build_and_send_live", bash_command=pack_command(0), execution_timeout=timedelta(hours=2))
