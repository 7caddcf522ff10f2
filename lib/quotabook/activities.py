"""Activities at the grain metrics read them: counts per owner × type × day, and each deal's latest activity.

Every activity metric (counts per type, Dial:Connect, per-rep rates, results against goals, tenure from a
rep's first activity) needs activities counted per owner, type and day, never one row per activity; the
deal-level checks (no recent activity on a Commit deal, days since a deal was last touched) need each deal's
latest activity. This module gives both, from either of two places the activities can be:

- **in pandas** (``Dataset.activities``, the usual case): summarised with a pandas ``groupby``;
- **in a Parquet file queried with DuckDB** (:class:`ActivityStore`): a source whose activity table is larger
  than :func:`in_memory_limit` rows is validated in chunks into a Parquet file of its usable rows and never
  held in pandas whole; region slices and past dates narrow the store's SQL (``WHERE``), and the same
  aggregations run as SQL ``GROUP BY``.

The two paths give the same frame (columns :data:`GRAIN` then ``rows``, ``first_at``, ``last_at``), so each
catalog measure keeps one definition over it (``tests/test_activities.py`` compares them on random data).

A period's measures ask only for the days of the period (``days``): a few years of activities make a grain of
millions of rows (10 million at a million deals, ~1 GB in pandas), of which a quarter is a tenth. What reads
every day (a rep's first activity, the latest activity) asks for :func:`activity_spans` instead: the same
counts per owner × type over all time, a row per pair.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from .sources.parquet_scan import LIMIT_ENV, in_memory_limit

if TYPE_CHECKING:
    from .dataset import Dataset

__all__ = ["GRAIN", "LIMIT_ENV", "SUMMARY", "ActivityStore", "Days", "activities_linked", "activity_columns",
           "activity_counts", "activity_rows", "activity_spans", "deal_last_activity", "in_memory_limit", "spans",
           "summarise"]

#: The grain of :func:`activity_counts`: one row per owner, activity type and day (midnight).
GRAIN = ("owner", "type", "activity_date")
#: What each grain row holds: the activities counted, the first and the last activity's timestamp.
SUMMARY = ("rows", "first_at", "last_at")
#: The days of a grain: ``(start, end)``, the grain rows whose day (midnight) is ``>= start`` and ``< end`` (as
#: :meth:`quotabook.fiscal.Period.contains` keeps them); None for every day.
Days = tuple[pd.Timestamp, pd.Timestamp] | None


def _on_days(days: pd.Series, window: Days) -> pd.Series:
    return (days >= window[0]) & (days < window[1])


def _days_sql(window: Days) -> str:
    """The SQL condition of :data:`Days` on the activities' day."""
    if window is None:
        return "TRUE"
    day = "date_trunc('day', activity_date)"
    return (f"{day} >= TIMESTAMP '{pd.Timestamp(window[0]).isoformat()}' AND "
            f"{day} < TIMESTAMP '{pd.Timestamp(window[1]).isoformat()}'")


# -- the pandas path ------------------------------------------------------------------------------------
def summarise(acts: pd.DataFrame, extra: Sequence[str] = (), days: Days = None) -> pd.DataFrame:
    """``acts`` (activity rows) counted per :data:`GRAIN` and the ``extra`` columns (blanks form their own
    group), sorted by them: ``rows`` (count), ``first_at`` and ``last_at`` (timestamps). ``days``: only the
    grain rows of those days (the same rows as the whole grain cut to them)."""
    keys = [*GRAIN, *extra]
    stamp = pd.to_datetime(acts["activity_date"])
    day = stamp.dt.normalize()
    if days is not None:
        kept = _on_days(day, days).to_numpy(dtype=bool)
        acts, stamp, day = acts[kept], stamp[kept], day[kept]
    frame = pd.DataFrame({c: acts[c] for c in keys if c != "activity_date"} | {"activity_date": day, "_at": stamp})
    return _counted(frame, keys, stamp)


def spans(acts: pd.DataFrame, extra: Sequence[str] = ()) -> pd.DataFrame:
    """``acts`` counted per owner, type and the ``extra`` columns over all their days: the columns of
    :func:`summarise`, ``activity_date`` being the first day (one row per owner and type, not per day)."""
    keys = ["owner", "type", *extra]
    stamp = pd.to_datetime(acts["activity_date"])
    out = _counted(pd.DataFrame({c: acts[c] for c in keys} | {"_at": stamp}), keys, stamp)
    out.insert(2, "activity_date", out["first_at"].dt.normalize())
    return out


def _counted(frame: pd.DataFrame, keys: list[str], stamp: pd.Series) -> pd.DataFrame:
    """``frame``'s ``_at`` counted per ``keys``: ``rows``, ``first_at``, ``last_at`` (typed when empty)."""
    if frame.empty:
        out = frame[keys].iloc[:0].assign(rows=pd.Series(dtype="int64"), first_at=stamp.iloc[:0],
                                          last_at=stamp.iloc[:0])
        return out.reset_index(drop=True)
    out = (frame.groupby(keys, dropna=False, observed=True, sort=True)["_at"]
           .agg(rows="size", first_at="min", last_at="max").reset_index())
    out["rows"] = out["rows"].astype("int64")
    return out


def _last_by_deal(acts: pd.DataFrame) -> pd.Series:
    linked = acts[acts["opportunity_id"].notna()]
    return linked.groupby("opportunity_id")["activity_date"].max().astype("datetime64[ns]")


# -- the DuckDB path ------------------------------------------------------------------------------------
_DIRS: list[Path] = []
_LOCK = threading.Lock()


def store_folder() -> Path:
    """A new folder for validated activity files: inside a pack's cache folder when one is set (so the
    region datasets cached there can still read it, and it goes with the build), else in the system's
    temporary folder, removed when this process exits."""
    from .cache import ENV  # the pack's cache folder, if any

    parent = os.environ.get(ENV, "").strip() or None
    if parent:
        Path(parent).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="quotabook-activities-", dir=parent))
    if parent is None:
        with _LOCK:
            if not _DIRS:
                atexit.register(lambda: [shutil.rmtree(d, ignore_errors=True) for d in _DIRS])
            _DIRS.append(folder)
    return folder


@dataclass(frozen=True)
class ActivityStore:
    """Validated activities in a Parquet file, queried with DuckDB and never loaded whole.

    ``path`` holds only rows validation kept (rejected rows are in the dataset's report, like any other
    table's). A region slice keeps the activities of the reps it counts (``owners``: those
    :func:`quotabook.dataset.lead_owner_territory` places in its territories); ``cutoff`` keeps the activities
    before a moment (a past as-of date). ``derived`` adds columns computed from the day of each grain row (a
    view's week number).
    """

    path: Path
    columns: tuple[str, ...]
    dtypes: tuple[tuple[str, str], ...] = ()
    owners: pa.Array | None = field(default=None, repr=False)
    cutoff: pd.Timestamp | None = None
    derived: tuple[tuple[str, Callable[[pd.Series], pd.Series]], ...] = field(default=(), repr=False)
    _memo: dict = field(default_factory=dict, compare=False, repr=False)

    def __getstate__(self) -> dict:  # a pickled store (a pack's cached region) carries no query results
        state = {f: getattr(self, f) for f in self.__dataclass_fields__ if f != "_memo"}
        state["derived"] = ()  # functions of a view, not part of the data
        return state

    def __setstate__(self, state: dict) -> None:
        for key, value in state.items():
            object.__setattr__(self, key, value)
        object.__setattr__(self, "_memo", {})

    # -- narrowing ------------------------------------------------------------------------------------
    def for_region(self, owners) -> ActivityStore:
        """The activities logged by ``owners`` (the reps a region counts)."""
        return replace(self, owners=_strings(owners), _memo={})

    def as_of(self, cutoff: pd.Timestamp) -> ActivityStore:
        """The activities dated before ``cutoff``."""
        cut = pd.Timestamp(cutoff) if self.cutoff is None else min(self.cutoff, pd.Timestamp(cutoff))
        return replace(self, cutoff=cut, _memo={})

    def derive(self, name: str, fn: Callable[[pd.Series], pd.Series]) -> ActivityStore:
        """This store with a column ``name`` = ``fn(day)`` on every grain row (``day`` is ``activity_date``)."""
        return replace(self, columns=(*self.columns, name), derived=(*self.derived, (name, fn)), _memo={})

    # -- queries --------------------------------------------------------------------------------------
    def counts(self, extra: Sequence[str] = (), days: Days = None) -> pd.DataFrame:
        """Activities per :data:`GRAIN` and ``extra`` columns: ``rows``, ``first_at``, ``last_at`` (as
        :func:`summarise` gives them); ``days``: only those days (DuckDB reads only their rows)."""
        derived = dict(self.derived)
        stored = tuple(c for c in extra if c not in derived)
        key = ("counts", stored, days)
        if key not in self._memo:
            keys = [*GRAIN, *stored]
            cols = ", ".join(_quote(c) if c != "activity_date" else 'date_trunc(\'day\', "activity_date") AS '
                             '"activity_date"' for c in keys)
            order = ", ".join(f"{i} NULLS LAST" for i in range(1, len(keys) + 1))
            sql = (f"SELECT {cols}, count(*) AS rows, min(activity_date) AS first_at, max(activity_date) AS "
                   f"last_at FROM acts WHERE {self._where()} AND {_days_sql(days)} GROUP BY ALL ORDER BY {order}")
            self._memo[key] = self._typed(self._query(sql).to_pandas())
        return self._with_derived(self._memo[key], extra)

    def spans(self, extra: Sequence[str] = ()) -> pd.DataFrame:
        """Activities per owner, type and ``extra`` columns over all days (as :func:`spans` gives them)."""
        derived = dict(self.derived)
        if any(c in derived for c in extra):  # a column computed per day: from the day grain
            grain = self.counts(extra)
            keys = ["owner", "type", *extra]
            out = (grain.groupby(keys, dropna=False, observed=True, sort=True)
                   .agg(rows=("rows", "sum"), first_at=("first_at", "min"), last_at=("last_at", "max")).reset_index())
            out["rows"] = out["rows"].astype("int64")
            out.insert(2, "activity_date", out["first_at"].dt.normalize())
            return out
        key = ("spans", tuple(extra))
        if key not in self._memo:
            keys = [_quote(c) for c in ("owner", "type", *extra)]
            order = ", ".join(f"{c} NULLS LAST" for c in keys)
            sql = (f"SELECT {', '.join(keys[:2])}, date_trunc('day', min(activity_date)) AS activity_date"
                   f"{''.join(', ' + c for c in keys[2:])}, count(*) AS rows, min(activity_date) AS first_at, "
                   f"max(activity_date) AS last_at FROM acts WHERE {self._where()} GROUP BY {', '.join(keys)} "
                   f"ORDER BY {order}")
            self._memo[key] = self._typed(self._query(sql).to_pandas())
        return self._memo[key]

    def _with_derived(self, out: pd.DataFrame, extra: Sequence[str]) -> pd.DataFrame:
        for name, fn in self.derived:
            if name in extra:
                out = out.assign(**{name: fn(out["activity_date"])})
        return out

    def last_by_deal(self, before: pd.Timestamp | None = None) -> pd.Series:
        """Each deal's latest activity (timestamp), of the activities before ``before`` when given;
        indexed by opportunity_id."""
        if before is not None and self._all_before(pd.Timestamp(before)):
            before = None  # the same rows as no bound: one query serves both (12M activities read once)
        key = ("last", before)
        if key not in self._memo:
            cut = f" AND activity_date < TIMESTAMP '{pd.Timestamp(before).isoformat()}'" if before is not None else ""
            sql = (f"SELECT opportunity_id, max(activity_date) AS activity_date FROM acts WHERE {self._where()}"
                   f" AND opportunity_id IS NOT NULL{cut} GROUP BY ALL ORDER BY 1")
            frame = self._query(sql).to_pandas()
            ids = frame["opportunity_id"].astype(self._dtype("opportunity_id"))
            self._memo[key] = pd.Series(frame["activity_date"].astype("datetime64[ns]").to_numpy(),
                                        index=pd.Index(ids, name="opportunity_id"), name="activity_date")
        return self._memo[key]

    def _all_before(self, moment: pd.Timestamp) -> bool:
        """Whether every activity the store holds is dated before ``moment``, known without a query: the
        store's own cutoff, or the latest activity of the spans already counted (a dataset's date reads them)."""
        if self.cutoff is not None and moment >= self.cutoff:
            return True
        spans = self._memo.get(("spans", ()))
        return spans is not None and len(spans) > 0 and bool(spans["last_at"].max() < moment)

    def rows(self) -> int:
        """How many activities the store holds (after its region and date)."""
        if "rows" not in self._memo and ("spans", ()) in self._memo:  # counted already, per owner and type
            self._memo["rows"] = int(self._memo[("spans", ())]["rows"].sum())
        if "rows" not in self._memo:
            self._memo["rows"] = int(self._query(f"SELECT count(*) AS n FROM acts WHERE {self._where()}")
                                     .column(0)[0].as_py())
        return self._memo["rows"]

    def known(self, column: str) -> bool:
        """Whether any activity has a value in ``column``."""
        key = ("known", column)
        if key not in self._memo:
            if column in dict(self.derived) or column not in self.columns:
                self._memo[key] = column in dict(self.derived)
            else:
                sql = f"SELECT count(*) FROM acts WHERE {self._where()} AND {_quote(column)} IS NOT NULL LIMIT 1"
                self._memo[key] = bool(self._query(sql).column(0)[0].as_py())
        return self._memo[key]

    # -- plumbing -------------------------------------------------------------------------------------
    def _where(self) -> str:
        parts = ["TRUE"]
        if self.owners is not None:
            parts.append("owner IN (SELECT v FROM region_owners)")
        if self.cutoff is not None:
            parts.append(f"activity_date < TIMESTAMP '{self.cutoff.isoformat()}'")
        return " AND ".join(parts)

    def _query(self, sql: str) -> pa.Table:
        from .sources.parquet_scan import arrow_table, connect

        con = connect()
        try:
            con.execute("SET preserve_insertion_order = false")
            con.execute(f"CREATE VIEW acts AS SELECT * FROM read_parquet('{_literal(self.path)}')")
            if self.owners is not None:
                region_owners = pa.table({"v": self.owners})
                con.register("region_owners", region_owners)
            return arrow_table(con.sql(sql))
        finally:
            con.close()

    def _dtype(self, column: str):
        return dict(self.dtypes).get(column, "str")

    def _typed(self, frame: pd.DataFrame) -> pd.DataFrame:
        """DuckDB's result with the dtypes the pandas path gives (text as ``str``, times in ns)."""
        for col in frame.columns:
            if col in ("activity_date", "first_at", "last_at"):
                frame[col] = frame[col].astype("datetime64[ns]")
            elif col == "rows":
                frame[col] = frame[col].astype("int64")
            else:
                frame[col] = frame[col].astype(self._dtype(col))
        return frame


def _strings(values) -> pa.Array:
    array = pa.array(pd.Series(list(values) if not isinstance(values, pd.Series | pd.Index) else values,
                               dtype="object").dropna().astype(str).unique(), type=pa.string())
    return array


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return str(path).replace("'", "''")


# -- one reading of activities, whichever path ------------------------------------------------------------
def activity_counts(ds: Dataset, extra: Sequence[str] = (), days: Days = None) -> pd.DataFrame:
    """The dataset's activities per owner × type × day (and ``extra`` activity columns): ``rows``,
    ``first_at``, ``last_at``; ``days``: only the grain rows of those days (:data:`Days`; a period's measures
    need no other). From the store when the activities stay on disk, else from pandas."""
    extra = tuple(dict.fromkeys(c for c in extra if c not in GRAIN))
    days = None if days is None else (pd.Timestamp(days[0]), pd.Timestamp(days[1]))
    if ds.activity_store is not None:
        return ds.activity_store.counts(extra, days)
    return ds.derive(("activity_counts", extra, days), lambda: summarise(ds.activities, extra, days))


def activity_spans(ds: Dataset, extra: Sequence[str] = ()) -> pd.DataFrame:
    """The dataset's activities per owner × type (and ``extra`` activity columns) over all days: the columns
    of :func:`activity_counts`, ``activity_date`` being the first day. What reads each rep's first activity or
    the latest activity reads this (a row per owner and type) rather than the day grain."""
    extra = tuple(dict.fromkeys(c for c in extra if c not in GRAIN))
    if ds.activity_store is not None:
        return ds.activity_store.spans(extra)
    return ds.derive(("activity_spans", extra), lambda: spans(ds.activities, extra))


def deal_last_activity(ds: Dataset, before: pd.Timestamp | None = None) -> pd.Series:
    """Each deal's latest activity (timestamp, not normalised), indexed by opportunity_id; only activities
    before ``before`` when given."""
    if ds.activity_store is not None:
        return ds.activity_store.last_by_deal(before)

    def make() -> pd.Series:
        a = ds.activities[["opportunity_id", "activity_date"]]
        return _last_by_deal(a if before is None else a[a["activity_date"] < before])

    return ds.derive(("deal_last_activity", before), make)


def activities_linked(ds: Dataset) -> bool:
    """Whether any activity is on a deal."""
    if ds.activity_store is not None:
        return ds.activity_store.known("opportunity_id")
    return bool(ds.activities["opportunity_id"].notna().any())


def activity_rows(ds: Dataset) -> int:
    """How many activities the dataset holds."""
    return ds.activity_store.rows() if ds.activity_store is not None else len(ds.activities)


def activity_columns(ds: Dataset) -> list[str]:
    """The columns of the activity table (those a metric can group by)."""
    if ds.activity_store is not None:
        return list(ds.activity_store.columns)
    return list(ds.activities.columns)


def column_known(ds: Dataset, column: str) -> bool:
    """Whether any activity has a value in ``column``."""
    if ds.activity_store is not None:
        return ds.activity_store.known(column)
    return column in ds.activities and bool(ds.activities[column].notna().any())


def first_activity(counts: pd.DataFrame) -> pd.DataFrame:
    """``owner`` and ``activity_date`` (each grain row's first activity): what reads "when did this rep
    start logging activities" needs, from :func:`activity_spans` (or :func:`activity_counts`)."""
    return pd.DataFrame({"owner": counts["owner"], "activity_date": counts["first_at"]})


def latest_activity(ds: Dataset) -> pd.Timestamp | None:
    """The latest activity's timestamp, or None without activities."""
    if ds.activity_store is not None:
        counts = activity_spans(ds)
        last = counts["last_at"].max() if len(counts) else pd.NaT
    else:
        dates = ds.activities["activity_date"]
        last = pd.to_datetime(dates).max() if len(dates) else pd.NaT
    return None if pd.isna(last) else pd.Timestamp(last)

