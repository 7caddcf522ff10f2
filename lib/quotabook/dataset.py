"""The Dataset: validated canonical tables, the settings they are read with, and time travel.

``Dataset.as_of(date)`` answers "what did the pipeline look like on that date?": each deal's stage,
amount, close date, forecast category and probability are rebuilt from ``opportunity_history`` (each
history row is the deal's state from ``changed_at`` on), deals not yet created are left out, and
activities, history and lead milestones after the date are cut. Every report can therefore be run for
a past date, which is what slippage, pipeline trends and forecast backtests stand on.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa

from . import activities as activity
from .activities import ActivityStore
from .errors import DataQualityWarning, MetricUnavailable
from .fiscal import FiscalCalendar, Period, iso_date
from .frames import carried_rows, is_in, map_keys
from .grammar import count_of, possessive, pronoun, verb
from .grammar import day as say_day
from .schemas import TABLES
from .scope import ALL_REGIONS, unknown_region
from .settings import Settings
from .validation import ValidationReport

__all__ = ["ALL_REGIONS", "KEEP_LARGE_DERIVED_UP_TO", "STATE_FIELDS", "UNASSIGNED_LEADS", "Dataset", "canonical_table",
           "deal_codes", "empty_table", "filter_rows", "in_deal_order", "is_in", "lead_owner_territory",
           "unassigned_lead_count", "with_canonical_columns"]

#: History rows up to which frames that copy a dataset's deals and history (a past-dated travel, the whole
#: history's stage runs) are kept with it in ``Dataset.derived`` for later metrics (:meth:`Dataset.keeps_large`).
#: At 1,000 territories (1.1M history rows) keeping them saves the next level ~5 s of CPU; at a million deals
#: (5.8M rows) they took the full catalog by district from 7.2 to 8.7 GB and by region to 8.6 GB, past the 8 GB
#: a district of that size is meant to fit in, so there each level builds them again.
KEEP_LARGE_DERIVED_UP_TO = 2_000_000

#: How a region's activities are chosen (:meth:`Dataset.for_region`), as the glossary and data notes say it.
ACTIVITY_RULE = ("with the rep who logged them: in the region of the rep's territory (the first by name when they "
                 "own several), for a rep who owns no territory in that of their latest deal, else in the "
                 "district's Unassigned group")
# Fields of a deal that change over time and are tracked by opportunity_history.
STATE_FIELDS = ["stage", "amount", "close_date", "forecast_category", "probability"]


def empty_table(name: str) -> pd.DataFrame:
    """An empty frame with the canonical columns of ``name`` (for tables a source does not have): a copy of the
    one built per table (a forecast's time travels ask for empty activities and leads at every date)."""
    return _empty_table(name).copy()


@cache
def _empty_table(name: str) -> pd.DataFrame:
    """:func:`empty_table`, built once per table name (never handed out: callers get copies)."""
    return pd.DataFrame({c.name: pd.Series(dtype=_dtype(c.kind)) for c in TABLES[name].columns})


def with_canonical_columns(name: str, frame: pd.DataFrame | None) -> pd.DataFrame:
    """``frame`` (a validated table ``name``) with the canonical columns it lacks added empty, in place; the
    empty canonical table for None (a table the source does not have). How loading completes every table."""
    base = empty_table(name)
    if frame is None:
        return base
    for col in base.columns.difference(frame.columns):
        frame[col] = pd.Series(index=frame.index, dtype=base[col].dtype)
    return frame


def canonical_table(name: str, rows=None) -> pd.DataFrame:
    """Rows (a list of dicts or a DataFrame) as the canonical table ``name``: every declared column present,
    each with its canonical dtype. For building small datasets by hand (tests, worked examples); data
    read from files goes through :func:`quotabook.load`, which also validates it."""
    base = empty_table(name)
    if rows is None:
        return base
    df = pd.DataFrame(rows).reset_index(drop=True)
    for col in base.columns:
        df[col] = df[col].astype(base[col].dtype) if col in df else pd.Series(index=df.index, dtype=base[col].dtype)
    return df


def deal_codes(ids: pd.Series) -> pd.Series:
    """An integer code per distinct id (float, NaN for a missing id), aligned with ``ids``: a grouping
    and sorting key equivalent to the ids themselves within a table, far cheaper than Arrow strings."""
    codes = pd.factorize(ids)[0].astype("float64")
    codes[codes < 0] = np.nan
    return pd.Series(codes, index=ids.index, name=ids.name)


def filter_rows(frame: pd.DataFrame, mask) -> pd.DataFrame:
    """``frame[mask].reset_index(drop=True)``: the same rows and columns, filtered column by column.

    pandas turns a boolean mask into row positions and *takes* them from every Arrow column, which is
    several times slower than Arrow's own ``filter`` that a column's boolean indexing uses; time travel
    filters every large table (millions of activities), so this is where it spends its time. Two cases
    copy nothing of the text: a mask keeping every row (the frame's data is shared, copy-on-write), and a
    mask keeping a few long runs of rows (a table in date order cut at a date: one run per district), whose
    Arrow text columns become slices of the original buffers. A frame of fewer than :data:`_COLUMNWISE_FROM`
    rows is selected by pandas at once: there a Series built per column costs more than the take it saves (a
    backtest's time travels filter the deals and history of one region some forty times).
    """
    keep = np.asarray(mask, dtype=bool)
    if not frame.columns.is_unique:
        return frame[keep].reset_index(drop=True)
    if keep.all():  # every row kept, or none to keep (a lean dataset's empty activities and leads)
        return frame.reset_index(drop=True)
    if len(keep) < _COLUMNWISE_FROM:
        return frame[keep].reset_index(drop=True)
    starts, stops = _runs(keep)
    sliced = len(starts) <= max(1, len(keep) // _ROWS_PER_RUN)
    # Each column keeps its dtype: built from a bare object array, pandas would re-infer text as ``str``.
    out = pd.DataFrame({col: pd.Series(_slices(frame[col].array, keep, starts, stops) if sliced
                                       else frame[col].array[keep], dtype=frame[col].dtype, copy=False)
                        for col in frame.columns}, columns=frame.columns)
    out.attrs = dict(frame.attrs)
    return out


# A mask is cut into slices only when its runs are long (on average): many short slices cost more than a copy.
_ROWS_PER_RUN = 4096
# Rows from which filtering column by column pays: below, pandas' own selection is quicker (measured on the demo's
# deals, 25 columns: 1.0 against 3.6 ms at 2,000 rows, 10 against 16 ms at 50,000).
_COLUMNWISE_FROM = 50_000


def _runs(keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop positions of the runs of True in ``keep``."""
    edges = np.diff(keep.astype(np.int8), prepend=0, append=0)
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def _slices(array, keep: np.ndarray, starts: np.ndarray, stops: np.ndarray):
    """The rows kept of a column's array: for Arrow text, the runs ``[start, stop)`` as slices sharing the
    original buffers (no copy); other arrays (numbers, dates: 8 bytes a row) are filtered as usual."""
    if not isinstance(array, pd.arrays.ArrowStringArray):
        return array[keep]
    data = pa.chunked_array(array.__arrow_array__())
    chunks = [c for start, stop in zip(starts, stops, strict=True) for c in data.slice(start, stop - start).chunks]
    return type(array)(pa.chunked_array(chunks, type=data.type), dtype=array.dtype)


def _dtype(kind: str) -> str:
    return {"date": "datetime64[ns]", "datetime": "datetime64[ns]", "number": "float64",
            "bool": "boolean"}.get(kind, "str")


@dataclass
class Dataset:
    """Validated tables plus settings. ``as_of_date`` is None for the data as loaded (its own snapshot).

    Attributes are the canonical tables (see :mod:`quotabook.schemas`); ``present`` names the tables the
    source actually had, so metrics can tell "no leads table" from "no leads". ``source_date`` is the latest
    dated event of the whole source (:meth:`latest_event`), taken when the dataset is first built and kept by
    its region slices and past dates, so every region of a source shares one "today". (A database source read
    for one region only knows that region's events: a pack therefore finds the date on the whole source
    once and passes it to every run as ``as_of``.)
    """

    opportunities: pd.DataFrame
    opportunity_history: pd.DataFrame
    activities: pd.DataFrame
    leads: pd.DataFrame
    territories: pd.DataFrame
    targets: pd.DataFrame
    activity_goals: pd.DataFrame
    settings: Settings
    report: ValidationReport = field(default_factory=ValidationReport)
    present: frozenset[str] = frozenset()
    source: str = ""
    region: str | None = ALL_REGIONS
    as_of_date: pd.Timestamp | None = None
    source_date: pd.Timestamp | None = None
    #: Activities kept on disk (a Parquet file queried with DuckDB) instead of in ``activities``, for tables
    #: too large for memory; ``activities`` is then empty. Read activities through :mod:`quotabook.activities`.
    activity_store: ActivityStore | None = None
    #: Summaries computed from this dataset's tables (activity counts per owner × type × day, ...), each once.
    derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)
    #: Summaries of the tables alone, read with no setting (the groups of a grouping, where each rep's rows
    #: belong): kept apart from :attr:`derived` because the datasets that differ from this one in settings only
    #: (:meth:`with_settings`: a backtest's Commit call read at each call week) share them.
    tables_derived: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def keeps_large(self) -> bool:
        """Whether frames as large as the deals and their history are kept in :attr:`derived` (memory over CPU
        past :data:`KEEP_LARGE_DERIVED_UP_TO` history rows)."""
        return len(self.opportunity_history) <= KEEP_LARGE_DERIVED_UP_TO

    def derive(self, key, make: Callable[[], object], *, large: bool = False, tables_only: bool = False):
        """``make()`` once per dataset, kept in :attr:`derived` under ``key`` for every later reader; a ``large``
        frame (a copy of the deals and their history) only where :meth:`keeps_large`, else made per call.

        ``tables_only``: ``make`` reads the tables and nothing of the settings, so the value is kept in
        :attr:`tables_derived` and shared by every dataset :meth:`with_settings` made from this one. It is kept
        with the tables it was made from and read again only while the dataset still holds those very tables (a
        table swapped in place makes it afresh)."""
        if tables_only:
            tables = self._table_objects()
            kept = self.tables_derived.get(key)
            if kept is not None and all(a is b for a, b in zip(kept[0], tables, strict=True)):
                return kept[1]
        elif key in self.derived:
            return self.derived[key]
        value = make()
        if large and not self.keeps_large():
            return value
        if tables_only:
            self.tables_derived[key] = (tables, value)
        else:
            self.derived[key] = value
        return value

    def _table_objects(self) -> tuple:
        """The objects holding this dataset's rows (each table, and the activities kept on disk)."""
        return (*(getattr(self, name) for name in TABLES), self.activity_store)

    def with_settings(self, settings: Settings) -> Dataset:
        """The same tables read with other ``settings`` (a threshold changed): a new dataset whose
        :attr:`derived` starts empty (what it keeps may depend on settings) and which shares
        :attr:`tables_derived` with this one (the same tables give the same summaries)."""
        out = replace(self, settings=settings)
        out.tables_derived = self.tables_derived
        return out

    def __post_init__(self) -> None:
        if self.source_date is None:  # built from tables (not sliced from a dataset that knew its source)
            self.source_date = self.latest_event()

    def __repr__(self) -> str:
        """A few lines: where from, which region, as of when, and rows per table (never the tables)."""
        date = self.reference_date.date()
        how = "as given" if self.as_of_date is not None else "latest dated event"
        scope = "district" if self.region is None else f"region {self.region}"
        lines = [f"<Dataset {self.source or '(built by hand)'} · {scope} · as of {date} ({how})"]
        for name in TABLES:
            rows = activity.activity_rows(self) if name == "activities" else len(getattr(self, name))
            shown = f"{rows:>10,} rows" if name in self.present or rows else "    (absent)"
            lines.append(f"  {name:<20}{shown}")
        regions = self.regions
        names = ", ".join(regions[:8]) + (f" and {len(regions) - 8} more" if len(regions) > 8 else "")
        lines.append(f"  regions ({len(regions)}): {names or '(none)'}>")
        return "\n".join(lines)

    # -- basics ----------------------------------------------------------------------------------
    @property
    def calendar(self) -> FiscalCalendar:
        return FiscalCalendar.from_settings(self.settings)

    def period(self, label: str | Period) -> Period:
        """The fiscal period named ``label`` in this workbook's calendar: ``2026-Q3``, ``2026-H2``, ``2026`` or
        ``FY2026`` (the fiscal year), or ``2026-01-01..2026-06-30`` (see :meth:`FiscalCalendar.period`)."""
        return self.calendar.period(label)

    @property
    def currency(self) -> str:
        return self.settings.currency

    @property
    def rejects(self) -> pd.DataFrame:
        return self.report.rejects

    @property
    def counts(self) -> pd.DataFrame:
        return self.report.counts()

    @property
    def reference_date(self) -> pd.Timestamp:
        """'Today' for this data: the as-of date given, else the latest dated event of the whole source
        (:attr:`source_date`, the same for every region slice), else (no date at all) the calendar's today."""
        if self.as_of_date is not None:
            return self.as_of_date
        if self.source_date is not None:
            return self.source_date
        return pd.Timestamp.today().normalize()

    def latest_event(self) -> pd.Timestamp | None:
        """The day of the latest dated event in these tables, or None when nothing is dated.

        Events are things that happened: deals created, closed deals' actual close dates, history changes,
        activities and lead milestones (created, SAL, SQL, converted, disqualified). An open deal's close
        date is a forecast, not an event, and never counts: a pipeline dated next year does not make
        "today" next year.
        """
        o = self.opportunities
        closed = o["is_closed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        milestones = ("created_date", "sal_date", "sql_date", "converted_date", "disqualified_date")
        dates = [o["created_date"], o["close_date"][closed], self.opportunity_history["changed_at"],
                 *(self.leads[c] for c in milestones if c in self.leads)]
        latest = [pd.to_datetime(d).max() for d in dates if len(d)]
        latest.append(activity.latest_activity(self))
        latest = [d for d in latest if pd.notna(d)]
        return pd.Timestamp(max(latest)).normalize() if latest else None

    @property
    def regions(self) -> list[str]:
        return sorted(self.territories["region"].dropna().unique().tolist())

    def has(self, table: str, *columns: str) -> bool:
        """True when the source had ``table`` with at least one row and a value in every column named."""
        return table in self.present and self._rows(table) > 0 and all(self._known(table, c) for c in columns)

    def _rows(self, table: str) -> int:
        return activity.activity_rows(self) if table == "activities" else len(getattr(self, table))

    def _known(self, table: str, column: str) -> bool:
        if table == "activities":
            return activity.column_known(self, column)
        return bool(getattr(self, table)[column].notna().any())

    def require(self, metric: str, table: str, *columns: str) -> None:
        """Raise :class:`MetricUnavailable` naming what ``metric`` needs when the data lacks it."""
        if table not in self.present or self._rows(table) == 0:
            raise MetricUnavailable(metric, [f"table {table}"])
        missing = [f"column {table}.{c}" for c in columns if not self._known(table, c)]
        if missing:
            raise MetricUnavailable(metric, missing)

    # -- slicing ---------------------------------------------------------------------------------
    def for_region(self, region: str | None) -> Dataset:
        """The slice of one region; ``None`` (:data:`ALL_REGIONS`) is the whole district.

        Every string is a region name, matched exactly as the data spells it: ``"ALL"`` is a region called ALL,
        never "everything" (text interfaces spell the whole scope ``district``: :mod:`quotabook.scope`).

        Leads follow :func:`lead_owner_territory`: a region holds the leads its owners place in its
        territories. Leads no owner places (no owner, or a queue) belong to no region: they count in the
        district's "Unassigned" group, and the slice keeps their count per created day in
        ``leads.attrs[UNASSIGNED_LEADS]`` so its page can say how many there are district-wide
        (:func:`unassigned_lead_count`). Activities and activity goals, keyed by rep too, follow the same rule
        (:data:`ACTIVITY_RULE`), as ``compute`` groups them, so a region's page shows its row of the district's
        "by region" table; a data note says how many activities on the region's deals were logged by reps
        counted in another region (they count there).

        Raises
        ------
        ConfigError
            The region is not in the territories table; the message lists the regions there are and, for a
            difference of case only, says which was meant.
        """
        if region is ALL_REGIONS:
            return self
        if region not in self.regions:
            raise unknown_region(str(region), self.regions)
        terr = self.territories[self.territories["region"] == region]
        names = set(terr["territory"])
        opps = self.opportunities[is_in(self.opportunities["territory"], names)]
        ids = set(opps["opportunity_id"])
        placement = lead_owner_territory(self.territories, self.opportunities)
        placed = placement.index[np.asarray(is_in(placement, names), dtype=bool)]  # the region's reps
        _warn_owners_in_regions(self.territories)
        acts = self.activities
        store = None if self.activity_store is None else self.activity_store.for_region(placed)
        if store is None:
            mine = np.asarray(is_in(acts["owner"], placed), dtype=bool)
            elsewhere = int((~mine & np.asarray(is_in(acts["opportunity_id"], ids), dtype=bool)).sum())
            if elsewhere:
                warnings.warn(f"{count_of(elsewhere, 'activity')} on {possessive(region)} deals "
                              f"{verb('was', elsewhere)} logged "
                              f"by reps counted in another region: they count there, with their rep, not in {region}",
                              DataQualityWarning, stacklevel=2)
            acts = acts[mine]
        leads = _region_leads(self.leads, placement, names)
        return replace(
            self,
            opportunities=opps.reset_index(drop=True),
            opportunity_history=self._rows_for(self.opportunity_history, ids),
            activities=acts.reset_index(drop=True),
            activity_store=store,
            leads=leads.reset_index(drop=True),
            territories=terr.reset_index(drop=True),
            targets=self.targets[is_in(self.targets["territory"], names)].reset_index(drop=True),
            activity_goals=self.activity_goals[is_in(self.activity_goals["owner"], placed)].reset_index(drop=True),
            region=region,
        )

    @staticmethod
    def _rows_for(frame: pd.DataFrame, ids: set) -> pd.DataFrame:
        return frame[is_in(frame["opportunity_id"], ids)].reset_index(drop=True)

    # -- time travel -----------------------------------------------------------------------------
    def as_of(self, date) -> Dataset:
        """The dataset as it stood at the end of ``date`` (changes made during that day count).

        Deals created after the date are excluded. For each remaining deal, the state fields come from
        its latest history row on or before the date; fields a history row leaves empty are carried
        forward from earlier rows (except probability, which falls back to the stage map default). A
        deal whose first recorded change is after the date takes the state of that first record (the
        best-known state at creation). A deal with no history at all keeps its
        current fields, except that a deal closed after the date is shown open in the first open stage —
        a DataQualityWarning says how many deals this applied to. ``is_closed`` / ``is_won`` follow the
        stage map; ``stage_entered_at`` is when the deal entered the stage it is in at the date.

        ``date`` is a date or ISO text (``2026-09-15``; any other text is a :class:`ConfigError`).
        """
        day = iso_date(date)
        cutoff = day + pd.Timedelta(days=1)
        created = self.opportunities["created_date"]
        # An open deal kept without a created date (quotabook.kept) is in the pipeline now, since when unknown.
        opps = filter_rows(self.opportunities, (created < cutoff) | created.isna())
        hist = self.opportunity_history
        hist = filter_rows(hist, is_in(hist["opportunity_id"], opps["opportunity_id"]))
        known_hist = filter_rows(hist, hist["changed_at"] < cutoff)

        state = _state_at(hist, known_hist)
        opps = opps.set_index("opportunity_id")
        has_state = is_in(opps.index, state.index)
        for col in [*STATE_FIELDS, "stage_entered_at"]:
            if col in state:
                current = opps[col] if col in opps else pd.Series(pd.NA, index=opps.index)
                opps[col] = state[col].reindex(opps.index).where(has_state, current)
                if col in ("close_date", "stage_entered_at"):
                    opps[col] = pd.to_datetime(opps[col])
        stage_map = self.settings.stage_table()
        no_history = ~has_state
        closed_later = no_history & opps["is_closed"].astype(bool) & (opps["close_date"] >= cutoff)
        if closed_later.any():
            first_open = self.settings.open_stages[0]
            opps.loc[closed_later, "stage"] = first_open
            opps.loc[closed_later, "forecast_category"] = "Pipeline"
            n = int(closed_later.sum())
            warnings.warn(f"{count_of(n, 'deal')} closed after {say_day(day)} {verb('has', n)} no "
                          f"history; {pronoun(n)} {verb('is', n)} shown open in stage {first_open!r} as of "
                          "that date",
                          DataQualityWarning, stacklevel=2)
        if "stage_entered_at" not in opps:
            opps["stage_entered_at"] = pd.NaT
        opps["stage_entered_at"] = opps["stage_entered_at"].where(has_state, opps["created_date"])
        # map_keys, not Series.map: each stage is looked up once, not once per deal (Arrow text, many deals)
        opps["is_closed"] = map_keys(opps["stage"], stage_map["is_closed"]).fillna(opps["is_closed"]).astype(bool)
        opps["is_won"] = map_keys(opps["stage"], stage_map["is_won"]).fillna(opps["is_won"]).astype(bool)
        default_prob = map_keys(opps["stage"], stage_map["probability"]).astype("float64")
        opps["probability"] = pd.to_numeric(opps["probability"], errors="coerce").fillna(default_prob)
        if "loss_reason" in opps:
            opps["loss_reason"] = opps["loss_reason"].where(opps["is_closed"] & ~opps["is_won"])
        opps = opps.reset_index()

        acts = filter_rows(self.activities, self.activities["activity_date"] < cutoff)
        store = None if self.activity_store is None else self.activity_store.as_of(cutoff)
        if "last_activity_date" in opps:
            opps["last_activity_date"] = _last_activity(self, opps, cutoff)
        return replace(
            self,
            opportunities=opps,
            opportunity_history=known_hist.reset_index(drop=True),
            activities=acts.reset_index(drop=True),
            activity_store=store,
            leads=_leads_as_of(self.leads, cutoff, self.opportunities),
            as_of_date=day,
        )


def _state_at(hist: pd.DataFrame, known: pd.DataFrame) -> pd.DataFrame:
    """Per deal, the state at the cutoff (from ``known``, history up to it) or, for deals whose history
    starts later, their first recorded state. Indexed by opportunity_id."""
    fields = [c for c in STATE_FIELDS if c in hist]
    if hist.empty:
        return pd.DataFrame(columns=[*fields, "stage_entered_at"])
    # Deals are grouped by an integer code of their id (the same groups as the id itself, missing ids
    # left out), which sorts and groups many times faster than Arrow strings on millions of rows.
    known = known.assign(_deal=deal_codes(known["opportunity_id"]))
    if not in_deal_order(known["_deal"], known["changed_at"]):  # exported histories usually are
        known = known.sort_values(["_deal", "changed_at"], kind="stable")
    if len(known) and not (known["_deal"].isna().any() or known["changed_at"].isna().any()):
        last = _last_states_in_order(known, fields)
    else:
        last = _last_states_grouped(known, fields)
    unseen = ~np.asarray(is_in(hist["opportunity_id"], last.index), dtype=bool)
    if not unseen.any() and "stage_entered_at" in last:  # every deal has a state by the cutoff (the usual case)
        return last
    later = hist[unseen].sort_values(["opportunity_id", "changed_at"])
    first = later.groupby("opportunity_id", sort=False).head(1).set_index("opportunity_id")
    first = first[fields].assign(stage_entered_at=first["changed_at"])
    return pd.concat([last, first])


def _last_states_grouped(known: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """Each deal's state at its last row of ``known`` (history sorted by ``_deal``, then time): the fields
    carried forward from earlier rows where the last leaves them blank (not probability, which belongs to
    the stage), and ``stage_entered_at``, the first time of the final run of equal stages. Indexed by
    opportunity_id, deals in order. pandas ``groupby``: any history, missing deals or times included."""
    deal = known["_deal"]
    # Probability belongs to the stage: a blank one is not carried over from an earlier stage; the
    # stage map default fills it later.
    carried = [c for c in fields if c != "probability"]
    filled = known[carried].groupby(deal).ffill()
    if "probability" in fields:
        filled["probability"] = known["probability"]
    filled["opportunity_id"] = known["opportunity_id"].to_numpy()
    filled["changed_at"] = known["changed_at"].to_numpy()
    filled["_deal"] = deal.to_numpy()
    last = filled.groupby("_deal", sort=False).tail(1).set_index("_deal")
    if "stage" in filled:
        # Start of the current stage run: the first row of the final run of equal stages.
        new_run = filled["stage"].ne(filled.groupby("_deal")["stage"].shift())
        run_start = filled["changed_at"].where(new_run).groupby(filled["_deal"]).ffill()
        last["stage_entered_at"] = run_start.groupby(filled["_deal"]).last()
    return last.set_index("opportunity_id").drop(columns="changed_at")


def _last_states_in_order(known: pd.DataFrame, fields: list[str]) -> pd.DataFrame:
    """:func:`_last_states_grouped` for a history in deal and time order with no missing deal or time (what
    an export gives): the same frame from row positions in numpy, each column taken once at the rows it
    needs instead of forward-filled and grouped whole (a time travel's main cost on a million rows)."""
    deal = known["_deal"].to_numpy(dtype="float64")
    rows = np.arange(len(deal))
    starts = np.r_[True, deal[1:] != deal[:-1]]  # each deal's first row
    ends = np.flatnonzero(np.r_[starts[1:], True])  # each deal's last row

    def last_known(missing: np.ndarray) -> np.ndarray:
        """Per row, the latest row of its deal up to it with a value (-1: none yet)."""
        return carried_rows(missing, starts)

    def taken(column: str, at: np.ndarray) -> pd.api.extensions.ExtensionArray | np.ndarray:
        return pd.api.extensions.take(known[column].array, at, allow_fill=True)

    columns = {}
    for col in fields:
        at = ends if col == "probability" else last_known(known[col].isna().to_numpy())[ends]
        columns[col] = taken(col, at)
    index = pd.Index(taken("opportunity_id", ends), name="opportunity_id")
    last = pd.DataFrame({c: pd.Series(v, dtype=known[c].dtype, copy=False) for c, v in columns.items()})
    last.index = index
    if "stage" in fields:
        # The stage carried forward on every row, as codes (-1: none yet); a run starts where it changes
        # (a row with none yet starts its own, as pandas' ``ne`` gives for a missing value).
        codes = pd.factorize(known["stage"])[0]
        filled = last_known(codes < 0)
        stage = np.where(filled >= 0, codes[np.maximum(filled, 0)], -1)
        new_run = starts | (stage < 0) | np.r_[True, stage[1:] != stage[:-1]]
        run_start = np.maximum.accumulate(np.where(new_run, rows, 0))[ends]
        last["stage_entered_at"] = known["changed_at"].to_numpy()[run_start]
    return last


def in_deal_order(deal: pd.Series, at: pd.Series) -> bool:
    """Whether rows are already sorted by deal code, then time (what a stable sort by both would give):
    codes number deals in order of first appearance, so a history grouped by deal and dated in order
    within each deal needs no sort, which on millions of rows with text columns costs seconds. Missing
    deals or times (sorted last) take the sort."""
    codes = deal.to_numpy(dtype="float64")
    if len(codes) < 2:
        return True
    stamps = at.to_numpy(dtype="datetime64[ns]")
    if np.isnan(codes).any() or np.isnat(stamps).any():
        return False
    same = codes[1:] == codes[:-1]
    return bool((codes[1:] >= codes[:-1]).all() and (~same | (stamps[1:] >= stamps[:-1])).all())


def _last_activity(ds: Dataset, opps: pd.DataFrame, cutoff) -> pd.Series:
    """Latest activity on each deal before the cutoff; without linked activities, the stored value if it
    is not in the future of the cutoff."""
    if activity.activities_linked(ds):
        latest = activity.deal_last_activity(ds, before=cutoff).dt.normalize()
        # reindex, not map: mapping through an empty datetime Series (no activity yet) fails in pandas
        return pd.Series(latest.reindex(opps["opportunity_id"].to_numpy()).to_numpy(), index=opps.index,
                         dtype="datetime64[ns]")
    stored = pd.to_datetime(opps["last_activity_date"])
    return stored.where(stored < cutoff)


# -- leads: where each lead belongs -------------------------------------------------------------------
#: ``leads.attrs`` key of a region slice: the leads of the whole district that no owner places in a territory
#: (left out of every region slice), counted per created day as ``((day, count), ...)`` with days since
#: 1970-01-01. A tuple, not an array: pandas compares attrs with ``==`` when it concatenates frames.
UNASSIGNED_LEADS = "district_unassigned_created"


def lead_owner_territory(territories: pd.DataFrame, opportunities: pd.DataFrame) -> pd.Series:
    """The territory a lead belongs to, through its owner (index: owner, values: territory).

    An owner of a territory places their leads there (the first by name when they own several). An
    owner of no territory who owns deals (a former AE, an overlay) places them in the territory of their
    latest created deal. Leads with no owner, or with an owner of neither (a marketing queue), cannot be
    placed: they count at district level and in the "Unassigned" group, never in a region slice. The one
    rule serves region slicing and grouping by territory or region, so a region's leads are its rows of
    the district's "by region" table.
    """
    # Ties are broken by name, not by row order, so a database applies the same rule in SQL
    # (quotabook.sources.sql): the first territory by name; the latest deal, by id among deals of one day.
    own = (territories.dropna(subset=["owner", "territory"]).sort_values("territory", kind="stable")
           .drop_duplicates("owner").set_index("owner")["territory"])
    o = opportunities
    other = o["owner"].notna() & o["territory"].notna() & ~np.asarray(is_in(o["owner"], own.index), dtype=bool)
    latest = (o.loc[other, ["owner", "territory", "created_date", "opportunity_id"]]
              .sort_values(["created_date", "opportunity_id"], kind="stable", na_position="first")
              .drop_duplicates("owner", keep="last").set_index("owner")["territory"])
    return pd.concat([own, latest]).rename("territory")


def _warn_owners_in_regions(territories: pd.DataFrame) -> None:
    """Say once that a rep owning territories in several regions counts in one: their activities, goals and
    leads are not split (:data:`ACTIVITY_RULE`)."""
    pairs = territories[["owner", "region"]].dropna().drop_duplicates()
    several = pairs.groupby("owner", observed=True)["region"].nunique()
    if (several > 1).any():
        names = sorted(several.index[several > 1])
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        warnings.warn(f"{count_of(len(names), 'rep')} {verb('owns', len(names))} territories in more than one "
                      f"region ({shown}): their activities "
                      f"and leads count once, {ACTIVITY_RULE}", DataQualityWarning, stacklevel=3)


def _region_leads(leads: pd.DataFrame, owner_territory: pd.Series, names: set) -> pd.DataFrame:
    """The leads of a region slice (owners placed in one of the region's territories ``names``), with the
    created dates of the district's unplaced leads kept in ``attrs[UNASSIGNED_LEADS]`` so a region page
    can say how many leads no region holds."""
    placed = owner_territory[owner_territory.isin(names)].index
    out = filter_rows(leads, is_in(leads["owner"], placed))
    unplaced = ~np.asarray(is_in(leads["owner"], owner_territory.index), dtype=bool)
    days = leads.loc[unplaced, "created_date"].dropna().to_numpy(dtype="datetime64[D]").astype("int64")
    day, count = np.unique(days, return_counts=True)
    out.attrs = {**leads.attrs, UNASSIGNED_LEADS: tuple(zip(day.tolist(), count.tolist(), strict=True))}
    return out


def unassigned_lead_count(leads: pd.DataFrame, start, end) -> int | None:
    """Leads of the whole district created in ``[start, end)`` that no owner places, as a region slice's
    leads remember them (:data:`UNASSIGNED_LEADS`); None for a frame that does not (the district's own
    leads, or a region read from a database)."""
    kept = leads.attrs.get(UNASSIGNED_LEADS)
    if kept is None:
        return None
    pairs = np.array(kept, dtype="int64").reshape(-1, 2)
    day, count = pairs[:, 0], pairs[:, 1]
    first, stop = (pd.Timestamp(x).to_datetime64().astype("datetime64[D]").astype("int64") for x in (start, end))
    return int(count[(day >= first) & (day < stop)].sum())


def _leads_as_of(leads: pd.DataFrame, cutoff: pd.Timestamp, opportunities: pd.DataFrame) -> pd.DataFrame:
    """Leads created before the cutoff, with funnel milestones reached after it erased.

    A lead's link to its opportunity is erased when it converted after the cutoff, or (a lead with an
    opportunity_id and no converted_date, common in exports) when that opportunity was created after it.
    """
    out = filter_rows(leads, leads["created_date"] < cutoff)
    if len(out):  # nothing to erase without leads (a forecast's time travel leaves them out)
        later = out["converted_date"].notna() & (out["converted_date"] >= cutoff) if "converted_date" in out else None
        for col in ("sal_date", "sql_date", "converted_date", "disqualified_date"):
            if col in out:
                after = out[col] >= cutoff
                if after.any():  # a column with nothing to erase is shared, not copied (millions of leads)
                    out[col] = out[col].where(~after)
        if "opportunity_id" in out:
            created_later = opportunities.loc[opportunities["created_date"] >= cutoff, "opportunity_id"]
            gone = np.asarray(is_in(out["opportunity_id"], created_later), dtype=bool) & out["opportunity_id"].notna()
            if later is not None:
                gone |= later.to_numpy(dtype=bool)
            if gone.any():
                out["opportunity_id"] = out["opportunity_id"].where(~gone)
    unplaced = leads.attrs.get(UNASSIGNED_LEADS)
    out = out.reset_index(drop=True)
    out.attrs = dict(leads.attrs)
    if unplaced is not None:
        last = pd.Timestamp(cutoff).to_datetime64().astype("datetime64[D]").astype("int64")
        out.attrs[UNASSIGNED_LEADS] = tuple(pair for pair in unplaced if pair[0] < last)
    return out
