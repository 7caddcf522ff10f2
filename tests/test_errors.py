"""Every exception pickles (process pools) and prints the user-facing message."""

import pickle

import pytest

from quotabook.errors import (
    CatalogError,
    CatalogIssue,
    ConfigError,
    DataValidationError,
    MetricUnavailable,
    SourceError,
)

ERRORS = [
    ConfigError("must be 1-12", file="params/workbook.yaml", key="fiscal.start_month"),
    CatalogError([CatalogIssue("win_rate", "numerator", "unknown metric 'wins'", line=12)]),
    SourceError("data folder not found: /nope"),
    DataValidationError("cannot build a dataset", [{"file": "o.csv", "row": 3, "reason": "bad_date"}],
                        {"opportunities": {"read": 3, "used": 2, "rejected": 1}}),
    MetricUnavailable("lead_to_sal", ["table leads"]),
]


@pytest.mark.parametrize("err", ERRORS, ids=lambda e: type(e).__name__)
def test_errors_survive_a_pickle_round_trip(err):
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is type(err) and str(back) == str(err)
    assert vars(back) == vars(err)


def test_messages_are_in_the_users_terms():
    assert str(ERRORS[0]) == "file params/workbook.yaml, key 'fiscal.start_month': must be 1-12"
    assert "metric 'win_rate', field 'numerator': unknown metric 'wins' (catalog line 12)" in str(ERRORS[1])
    assert str(ERRORS[4]) == "lead_to_sal not available: needs table leads"


def test_a_failure_outside_any_cell_is_not_called_a_start_up_failure():
    from quotabook.errors import NotebookFailure

    assert "failed at cell 4: ValueError" in str(NotebookFailure("00_x", "East", 4, "ValueError", "bad"))
    # a cell that ran is named as the page numbers it, with its section
    numbered = NotebookFailure("00_x", "East", 8, "ValueError", "bad", execution_count=5, section="Coverage")
    assert 'failed at In [5] (section "Coverage"): ValueError' in str(numbered)
    assert "failed at start-up: DeadKernelError" in str(NotebookFailure("00_x", "East", None, "DeadKernelError", "x"))
    for ename in ("WorkerLost", "DiskFullError", "NotebookTimeoutError"):
        assert f"failed at the run: {ename}" in str(NotebookFailure("00_x", "East", None, ename, "x"))


def test_a_notebook_failure_never_carries_a_connection_secret():
    from quotabook.errors import NotebookFailure

    failure = NotebookFailure("05_forecast", "East", 3, "OperationalError",
                              "could not connect to postgresql://crm:S3cr3t-Pw@db:5432/crm (password=S3cr3t-Pw)")
    assert "S3cr3t-Pw" not in str(failure) and "postgresql://crm:***@db:5432/crm" in str(failure)
    assert "password=***" in failure.evalue
