"""Every exception and warning quotabook raises, with messages in the user's terms.

One base class, so callers can catch ``QuotabookError``; each subclass carries what a user needs to act
(the file, row, column and reason of a bad record; the YAML key of a bad setting). Errors that hold
DataFrames pickle as plain summaries so they survive process pools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .grammar import count_of

__all__ = [
    "CatalogError",
    "ConfigError",
    "DataQualityWarning",
    "DataValidationError",
    "MetricUnavailable",
    "QuotabookError",
    "QuotabookWarning",
    "SourceError",
    "UnreadableFileError",
]


class QuotabookError(Exception):
    """Base class of every error quotabook raises on purpose."""


class ConfigError(QuotabookError):
    """Raised when a params YAML file is missing, unreadable or holds a bad value.

    The message names the file, the key and, where there is a closed set, the allowed values.
    """

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None):
        self.file = file
        self.key = key
        where = ", ".join(p for p in (file and f"file {file}", key and f"key {key!r}") if p)
        super().__init__(f"{where}: {message}" if where else message)

    def __reduce__(self):
        return (_rebuild_config_error, (self.args[0], self.file, self.key))


def _rebuild_config_error(message: str, file: str | None, key: str | None) -> ConfigError:
    err = ConfigError.__new__(ConfigError)
    Exception.__init__(err, message)
    err.file, err.key = file, key
    return err


@dataclass(frozen=True)
class CatalogIssue:
    """One problem in the metric catalog: which metric, which field, what is wrong."""

    metric: str
    field: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        at = f" (catalog line {self.line})" if self.line else ""
        return f"metric {self.metric!r}, field {self.field!r}: {self.reason}{at}"


class CatalogError(QuotabookError):
    """Raised when the metric catalog breaks a rule; ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: Sequence[CatalogIssue]):
        self.issues = list(issues)
        lines = "\n".join(f"  - {issue}" for issue in self.issues)
        super().__init__(f"the metric catalog has {count_of(len(self.issues), 'problem')}:\n{lines}")

    def __reduce__(self):
        return (CatalogError, (self.issues,))


class SourceError(QuotabookError):
    """Raised when a data source cannot be read at all: a missing folder, an unreadable file, a refused
    connection. Any credentials in a URL are stripped before they reach the message: the sources mask the
    connection strings they name, and the message is redacted once more here (``scheme://user:***@``,
    ``password=***``; see :func:`quotabook.privacy.redact_secrets`), whoever raises it."""

    def __init__(self, message: str = "", *args):
        from .privacy import redact_secrets

        super().__init__(redact_secrets(message), *args)


class UnreadableFileError(SourceError):
    """Raised by the file readers when one table file cannot be read as a table: empty, binary, in the wrong
    encoding, not Parquet. Source readers turn it into a file problem whose ``reason`` is this one's
    (``empty_file`` or ``unreadable_file``), so the message reaches the user next to the file's name."""

    def __init__(self, message: str, reason: str = "unreadable_file"):
        self.reason = reason
        super().__init__(message)

    def __reduce__(self):
        return (UnreadableFileError, (self.args[0], self.reason))


@dataclass
class ValidationSummary:
    """Counts that reconcile per table: rows read = rows used + rows rejected."""

    read: dict[str, int] = field(default_factory=dict)
    used: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)


class DataValidationError(QuotabookError):
    """Raised when input data cannot be used as it stands.

    ``problems`` holds one record per problem (file, row, column, reason, value); ``counts`` holds
    rows read / used / rejected per table. Pickles as the message and the records, not DataFrames.
    """

    def __init__(self, message: str, problems: Sequence[dict] = (), counts: dict | None = None):
        self.problems = [dict(p) for p in problems]
        self.counts = dict(counts or {})
        super().__init__(message)

    def __reduce__(self):
        return (DataValidationError, (self.args[0], self.problems, self.counts))


class MetricUnavailable(QuotabookError):
    """Raised when a metric needs optional columns or tables the dataset lacks.

    Notebooks catch it and show ``str(err)`` as a visible note ("not available: needs column X").
    """

    def __init__(self, metric: str, missing: Sequence[str]):
        self.metric = metric
        self.missing = list(missing)
        super().__init__(f"{metric} not available: needs {', '.join(self.missing)}")

    def __reduce__(self):
        return (MetricUnavailable, (self.metric, self.missing))


def unavailable_sentence(note: str) -> str:
    """A "<name> not available: needs ..." note in the reader's words, as a sentence: the metric or view name
    as words and capitalised ("stale_deals not available: needs table opportunity_history" → "Stale deals not
    available: needs table opportunity_history"); any other text comes back capitalised."""
    name, found, need = str(note).strip().rstrip(".").partition(" not available: ")
    text = f"{name.replace('_', ' ')} not available: {need}" if found else name
    return text[:1].upper() + text[1:]


class QuotabookWarning(UserWarning):
    """Base class of quotabook's warnings."""


class DataQualityWarning(QuotabookWarning):
    """Issued when data was usable but suspicious (e.g. rows set aside as rejects)."""


@dataclass(frozen=True)
class NotebookFailure:
    """One notebook of a report pack that did not complete: which theme, which region, where and why.

    ``cell_index`` counts the cells of the executed notebook (None when the kernel never ran a cell,
    e.g. it failed to start); ``html_anchor`` is the fragment of the rendered page that shows the error
    (papermill's banner), empty when no page was rendered. ``execution_count`` is the cell's number as the
    page and Jupyter show it ("In [5]"), ``section`` the heading above the cell: messages name the cell by
    these, the way a reader finds it (the index into the cells also counts markdown and papermill's
    injected-parameters cell, so it matches nothing on the page). Plain fields, so it pickles across processes.
    ``evalue`` is redacted (:func:`quotabook.privacy.redact_secrets`): a driver's error raised in a notebook may
    quote a connection string, and failures reach the manifest, the index and the console.
    """

    theme: str
    region: str
    cell_index: int | None
    ename: str
    evalue: str
    html_anchor: str = ""
    execution_count: int | None = None
    section: str = ""

    def __post_init__(self) -> None:
        from .privacy import redact_secrets

        object.__setattr__(self, "evalue", redact_secrets(self.evalue))

    def __str__(self) -> str:
        where = failure_place(self.cell_index, self.ename, self.execution_count, self.section)
        return f"{self.theme} for {self.region} failed at {where}: {self.ename}: {self.evalue}"


#: Failures of the run itself rather than of a cell or of the kernel's start (a lost worker, a full disk,
#: the whole-notebook time limit).
RUN_FAILURES = ("WorkerLost", "DiskFullError", "NotebookTimeoutError")


def failure_place(cell_index: int | None, ename: str, execution_count: int | None = None,
                  section: str = "") -> str:
    """Where a notebook run failed, for messages, numbered as the page shows the cell: ``In [5] (section
    "Coverage")``; ``cell 7`` (the index in the notebook) only for a cell that never got a number;
    ``start-up``, or ``the run`` for failures that belong to no cell (:data:`RUN_FAILURES`)."""
    under = f' (section "{section}")' if section else ""
    if execution_count is not None:
        return f"In [{execution_count}]{under}"
    if cell_index is not None:
        return f"cell {cell_index}{under}"
    return "the run" if ename in RUN_FAILURES else "start-up"


class PackError(QuotabookError):
    """Raised when a report pack cannot be planned or built: a missing notebook or pack file, a notebook
    that does not accept the pack's parameters, an unknown region, a missing browser for PDFs.

    ``failures`` lists the notebooks that failed when raised for a finished pack
    (:meth:`quotabook.pack.PackResult.raise_for_failures`); it is empty for planning problems.
    """

    def __init__(self, message: str, failures: Sequence[NotebookFailure] = ()):
        self.failures = list(failures)
        lines = "".join(f"\n  - {failure}" for failure in self.failures)
        super().__init__(message + lines)
        self.message = message

    def __reduce__(self):
        return (PackError, (self.message, self.failures))


class DeliveryError(QuotabookError):
    """Raised when a built pack cannot be sent: no pack in the folder, or the mail server could not be
    reached, refused the login or the message. The message names the server, never a password."""


__all__ += ["DeliveryError", "NotebookFailure", "PackError"]
