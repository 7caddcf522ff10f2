"""Computing catalog metrics: one measure function per simple metric; ratios and derived metrics are
never coded by hand — they are evaluated here from their catalog declaration.

A *measure* is ``fn(ctx) -> pd.Series`` registered with :func:`measure`; it selects rows and aggregates
them with ``ctx.sum`` / ``ctx.count`` / ``ctx.agg``, which group by the level asked for (territory,
region, district, owner, or any opportunity column such as segment) and list every group, zeros
included. Because a ratio is always numerator-sum over denominator-sum at the level asked for, roll-ups
reconcile exactly: a region's attainment is its closed over its target, never an average of territories.

``compute(["attainment", "coverage"], ds, "2026-Q3", by="region")`` returns long-form rows
``[by..., metric, value, numerator, denominator]``, auditable in tables and fed straight to charts.
"""

from __future__ import annotations

import ast
import contextlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..activities import activity_columns, activity_counts
from ..dataset import Dataset, lead_owner_territory
from ..errors import ConfigError, MetricUnavailable
from ..fiscal import Period
from ..frames import is_in, map_keys
from .cache import store_for
from .catalog import Catalog, Metric, load_catalog, note_shown
from .forecasting.deals import deals_as_of

__all__ = [
    "BLANK",
    "GEO_LEVELS",
    "LEVEL_COLUMNS",
    "MEASURES",
    "QUARTER_ONLY",
    "UNASSIGNED",
    "Context",
    "compute",
    "compute_in",
    "compute_wide",
    "group_levels",
    "grouping_levels",
    "map_keys",
    "measure",
]

GEO_LEVELS = ("district", "region", "territory", "owner")
#: The group of rows no owner places in a territory (ownerless leads): listed, never dropped.
UNASSIGNED = "Unassigned"
#: The group of rows with a blank value of a grouping column that lists blanks (lead source).
BLANK = "(blank)"
#: Grouping names that are spelled differently per table: the public name and, in order, the columns it
#: reads. Leads call their source ``source`` and deals ``lead_source``; ``by="lead_source"`` groups both
#: (``by="source"``, the older spelling, still works and names its column ``source``).
LEVEL_COLUMNS = {"lead_source": ("lead_source", "source"), "source": ("source", "lead_source")}
#: Levels whose blank values form a "(blank)" group instead of being left out.
_BLANK_LISTED = frozenset(LEVEL_COLUMNS)
MEASURES: dict[str, Callable[[Context], pd.Series]] = {}
#: Metrics that only mean something for one fiscal quarter, with why (in the reader's words): for a half, a
#: year or a date range they are "not available" with this reason rather than a number that would mislead.
#: Metrics computed from them (forecast accuracy from the backtest, ...) become unavailable with them.
QUARTER_ONLY = {
    "run_rate_forecast": "it compares the same point of earlier quarters",
    "monte_carlo_p10": "it simulates one quarter's bookings",
    "monte_carlo_p50": "it simulates one quarter's bookings",
    "monte_carlo_p90": "it simulates one quarter's bookings",
    "target_probability": "it simulates one quarter's bookings",
    "backtest_forecast": "it rebuilds the forecast at a week of the quarter",
    "weak_commit_amount": "Commit calls are made for a quarter",
    "commit_call_amount": "Commit calls are made for a quarter, at a week of it",
    "promotable_best_case_amount": "Commit calls are made for a quarter",
    "pull_in_amount": "it looks at the deals dated in the next quarter",
}


def measure(name: str) -> Callable:
    """Register ``fn(ctx) -> Series`` as the one computation of the simple metric ``name``."""

    def register(fn: Callable[[Context], pd.Series]) -> Callable[[Context], pd.Series]:
        if name in MEASURES and MEASURES[name] is not fn:
            raise ValueError(f"measure {name!r} is registered twice")
        MEASURES[name] = fn
        return fn

    return register


@dataclass
class Context:
    """What a measure needs: the dataset (already as of the report date), the period and the grouping."""

    ds: Dataset
    period: Period
    by: tuple[str, ...]
    catalog: Catalog | None = None
    cache: dict[str, pd.Series] = field(default_factory=dict)
    _memo: dict[str, object] = field(default_factory=dict, repr=False)

    def metric(self, name: str) -> pd.Series:
        """Value of any catalog metric in this same context (sharing its cache), for measures that
        build on another metric's result."""
        catalog = self.catalog or load_catalog()
        return _evaluate(catalog.get(name), self, catalog)[0]

    # -- row selections shared by many measures ------------------------------------------------------
    @property
    def opportunities(self) -> pd.DataFrame:
        return self.ds.opportunities

    def closing_in_period(self) -> pd.DataFrame:
        """Deals whose (expected or actual) close date falls in the period."""
        o = self.ds.opportunities
        return o[self.period.contains(o["close_date"])]

    @property
    def reference_date(self) -> pd.Timestamp:
        """'Today' for the report: the dataset's as-of date or its latest known date."""
        return self.ds.reference_date

    def at_period_end(self) -> Dataset:
        """The dataset as it stood on the period's last day, when the period ended before the report date;
        else the dataset itself. Point-in-time measures (aged or stale deals) describe a past quarter's
        pipeline as it was at its end, so they share a population with ``open_deal_count``."""
        last_day = pd.Timestamp(self.period.end) - pd.Timedelta(days=1)
        if last_day >= self.reference_date:
            return self.ds
        if "period_end" not in self._memo:
            self._memo["period_end"] = self.ds.as_of(last_day)
        return self._memo["period_end"]

    def deals_at_period_end(self) -> Dataset:
        """:meth:`at_period_end` for measures that read only deals and their history (aged and stale deals,
        the pipeline waterfall): the time travel leaves activities and leads out (no copy of millions of
        leads), and the dataset is kept with ``ds`` so that every level of the same period shares one."""
        last_day = pd.Timestamp(self.period.end) - pd.Timedelta(days=1)
        if last_day >= self.reference_date:
            return self.ds
        return deals_as_of(self.ds, last_day)

    def per_dataset(self, key: tuple, make: Callable[[], object]):
        """``make()`` once per dataset: a frame that does not depend on the grouping (per-deal flags, the deals
        advancing a stage in a period, the forecast's learned odds), kept with the dataset (``ds.derived``)
        so that the same metrics by territory, region and rep, and later notebook calls, share it. ``key``
        names it, with the period's dates when it depends on the period."""
        return self.ds.derive(key, make)

    def threshold(self, key: str) -> float:
        return self.ds.settings.threshold(key)

    def in_period_quarters(self, frame: pd.DataFrame, metric: str, what: str) -> pd.DataFrame:
        """Rows of a table set per fiscal quarter (``period`` column: targets, activity goals) that belong to
        the period: its own quarter, or every quarter of a half, a year or a date range of whole quarters
        (so a year's target is the sum of its quarters'). A range that cuts a quarter has no such figure.

        Raises
        ------
        MetricUnavailable
            ``metric``, for a date range that does not begin and end on fiscal quarter boundaries.
        """
        if not self.period.whole_quarters:
            raise MetricUnavailable(metric, [f"a period of whole fiscal quarters ({what} are set per quarter; "
                                             f"{self.period.label} cuts a quarter)"])
        return frame[frame["period"].isin(list(self.period.quarters))]

    # -- grouping --------------------------------------------------------------------------------
    def keys(self, frame: pd.DataFrame, unplaced: bool = False) -> list[pd.Series]:
        """The group key(s) of each row of ``frame`` for the requested level(s).

        A level found on the frame is used directly (through :data:`LEVEL_COLUMNS` for a level spelled
        differently per table); otherwise it is looked up through the territory (``territory -> region ->
        district``, ``territory -> owner``) or, for frames keyed by rep (activities, activity goals, leads),
        through the rep's territory as :func:`quotabook.dataset.lead_owner_territory` places it (the first
        territory they own by name; for a rep who owns none, a former or overlay rep, the territory of their
        latest created deal). A level on both (``segment``) takes the frame's value and falls back to the
        territory's where the frame's is blank. Blank lead sources form the group ``"(blank)"``.

        ``unplaced=True`` (leads, activities, activity goals) places every row: a row the rule cannot place
        (no owner, or a rep with neither territory nor deal) is ``"Unassigned"`` at territory, region and
        rep level, in the district when the data holds one district, and ``"(blank)"`` for a territory
        attribute such as segment. Without it such rows have no group.
        """
        terr = self._territory_table()
        out = []
        for level in self.by:
            column = next((c for c in LEVEL_COLUMNS.get(level, (level,)) if c in frame), None)
            if column is not None and (level not in terr or frame[column].notna().all()):
                value = _decoded(frame[column])
                if level in _BLANK_LISTED:
                    value = _blank_listed(value)
                elif unplaced and not pd.api.types.is_numeric_dtype(value.dtype):  # a number (a week) has no blank
                    value = value.where(value.notna(), BLANK)
                out.append(value.rename(level))
                continue
            if level not in terr and level != "territory":
                raise MetricUnavailable(f"grouping by {level}", [f"column {level} on this table"])
            territory = (_decoded(frame["territory"]) if "territory" in frame
                         else map_keys(frame["owner"], self._owner_placement()))
            value = territory if level == "territory" else map_keys(territory, terr[level])
            if column is not None:
                own = _decoded(frame[column])
                value = own.where(own.notna(), value)
            if unplaced:
                value = value.where(value.notna(), self._unplaced_label(level))
            out.append(value.rename(level))
        return out

    def _unplaced_label(self, level: str) -> str:
        """The group of a row no owner places: the district itself when the data holds one district,
        "Unassigned" at the other geographic levels, "(blank)" for territory attributes (segment)."""
        if level == "district":
            districts = self.ds.territories["district"].dropna().unique()
            if len(districts) == 1:
                return str(districts[0])
        return UNASSIGNED if level in GEO_LEVELS else BLANK

    def _owner_placement(self) -> pd.Series:
        """The territory of each rep's rows keyed by rep (:func:`quotabook.dataset.lead_owner_territory`): it
        reads the territories and deals only, so it is kept with the dataset's tables for every context."""
        if "owner_placement" not in self._memo:
            ds = self.ds
            self._memo["owner_placement"] = ds.derive(
                ("owner_placement",), lambda: lead_owner_territory(ds.territories, ds.opportunities), tables_only=True)
        return self._memo["owner_placement"]

    def _territory_table(self) -> pd.DataFrame:
        if "territories" not in self._memo:
            ds = self.ds  # the territories only: kept with them for every context (read, never changed)
            self._memo["territories"] = ds.derive(("territory_table",), lambda: ds.territories.set_index("territory"),
                                                  tables_only=True)
        return self._memo["territories"]

    def active_deals(self) -> pd.DataFrame:
        """Deals in play during the period: created before its end (or with no created date) and not closed
        before its start."""
        o = self.ds.opportunities
        active = ((o["created_date"] < self.period.end) | o["created_date"].isna()) & (
            ~o["is_closed"].fillna(False).astype(bool) | (o["close_date"] >= self.period.start))
        return o[active]

    def rep_rows(self) -> pd.DataFrame:
        """Where the reps who own no territory (a former AE, an overlay) worked in the period: one row per rep
        and territory (``owner``, ``territory``, and the deals' columns), from their deals active in it
        (:meth:`active_deals`, in the deal's territory) and their activities dated in it (where their
        activities count: :func:`quotabook.dataset.lead_owner_territory`, else the territory "Unassigned").

        What a region slice holds gives the same rows as the district's for that region (its deals, and the
        activities of the reps it counts), so these reps are listed and counted alike on both pages."""
        if "rep_rows" not in self._memo:
            owners = self.ds.territories["owner"].dropna().unique()
            deals = self.active_deals()
            deals = deals[deals["owner"].notna() & ~np.asarray(is_in(deals["owner"], owners), dtype=bool)]
            # The period's days only: the grain the activity measures read too (one query, a tenth of the rows)
            acts = self.ds.activities
            if self.ds.activity_store is None and acts.empty:  # none to count (a forecast's lean dataset)
                acted = acts["owner"].iloc[:0]  # what the counts of no activity give: no rep, the column's dtype
            else:
                acted = activity_counts(self.ds, days=(self.period.start, self.period.end))["owner"].dropna()
            acted = acted[~np.asarray(is_in(acted, owners), dtype=bool)].drop_duplicates()
            worked = pd.DataFrame({"owner": acted.to_numpy(),
                                   "territory": map_keys(acted, self._owner_placement()).to_numpy()})
            rows = pd.concat([deals, worked], ignore_index=True)
            rows["territory"] = rows["territory"].fillna(UNASSIGNED)
            self._memo["rep_rows"] = rows
        return self._memo["rep_rows"]

    def reps_without_territory(self) -> pd.Index:
        """The reps of :meth:`rep_rows`, by name. They are never dropped: owner-level results list them after
        the territory owners, and ``rep_count`` counts them where they worked."""
        return pd.Index(sorted(self.rep_rows()["owner"].unique()), name="owner", dtype="object")

    def groups(self) -> pd.Index:
        """Every group the result lists, so that a group with nothing gets a zero, not a gap: all
        territories / regions / reps of the dataset for geographic levels, and every value found on
        the opportunities for other levels (e.g. each segment; for lead source, on the leads too), so
        that a ratio's numerator and denominator always cover the same groups. Computed once per
        dataset (its tables), grouping and period.

        Grouped by rep, the territory owners come first, then (after them, by name) the reps who own no
        territory but have deals or activities in the period (:meth:`reps_without_territory`), and, at a
        level above the rep, the territories where reps own deals outside their own territories."""
        if "groups" not in self._memo:
            # They read the tables only (no setting), so every context of this grouping and period shares them,
            # as do the datasets that differ in settings only (a Commit call replayed at each call week).
            key = ("groups", tuple(self.by), self.period.start, self.period.end)
            self._memo["groups"] = self.ds.derive(key, self._all_groups, tables_only=True)
        return self._memo["groups"]

    def _all_groups(self) -> pd.Index:
        if not self.by:
            return pd.Index([])
        cols = list(self.by)
        if all(level in GEO_LEVELS for level in self.by):
            frame = self.ds.territories[cols].dropna().drop_duplicates().sort_values(cols)
            if "owner" in self.by:  # reps found in the data who own no territory: listed after the owners
                frame = pd.concat([frame, self._rep_groups(frame)], ignore_index=True)
        else:
            frame = pd.concat(self.keys(self.ds.opportunities), axis=1)
            if any(level in LEVEL_COLUMNS for level in self.by) and len(self.ds.leads):
                # A lead source no deal has is still a group of deal metrics (0 deals), and vice versa; a
                # grouping with another level leads do not have keeps the deals' groups.
                with contextlib.suppress(MetricUnavailable):
                    frame = pd.concat([frame, pd.concat(self.keys(self.ds.leads, unplaced=True), axis=1)])
            frame = frame.dropna().drop_duplicates().sort_values(cols)
        return pd.MultiIndex.from_frame(frame) if len(cols) > 1 else pd.Index(frame[cols[0]], name=cols[0])

    def _rep_groups(self, known: pd.DataFrame) -> pd.DataFrame:
        """Groups of a grouping by rep that the territories do not hold (``known``): those of the period's active
        deals and of the reps who own no territory (:meth:`rep_rows`), sorted, listed after the others."""
        cols = list(self.by)
        found = pd.concat([pd.concat(self.keys(self.active_deals()), axis=1),
                           pd.concat(self.keys(self.rep_rows(), unplaced=True), axis=1)], ignore_index=True)
        found = found.dropna().drop_duplicates()
        new = found.merge(known, on=cols, how="left", indicator=True)
        return new.loc[new["_merge"].eq("left_only"), cols].sort_values(cols)

    def _group(self, frame: pd.DataFrame, values: pd.Series, how: str | Callable, fill,
               unplaced: bool = False) -> pd.Series:
        if not self.by:
            raise ValueError("compute needs at least one grouping level")
        result = values.groupby(self.keys(frame, unplaced), observed=True, dropna=True).agg(how)
        geographic = all(level in GEO_LEVELS for level in self.by)
        per_deal = "opportunity_id" in self.by  # a per-deal listing shows the deals the measure selected
        groups = self.groups() if (fill is not None and not per_deal) or geographic else ()
        if len(groups) and geographic:  # counts and sums list every group; a mean over no rows only places
            # Rows counted outside the listed groups (the Unassigned group of leads and activities, a rep with
            # nothing else in the period) are listed after them: never dropped. An attribute of a group that
            # is not counted (a rep's tenure) is shown for the listed groups only.
            counted = unplaced or fill is not None
            result = result.reindex(groups.append(result.index.difference(groups)) if counted else groups)
        elif len(groups):  # values seen on other tables (e.g. lead cohorts) are kept too
            result = result.reindex(groups.union(result.index))
        return result.fillna(fill) if fill is not None else result

    def sum(self, frame: pd.DataFrame, column: str, *, unplaced: bool = False) -> pd.Series:
        """Sum of ``column`` per group (0 where a group has no rows); ``unplaced``: see :meth:`keys`."""
        return self._group(frame, frame[column].astype("float64"), "sum", 0.0, unplaced)

    def found_sum(self, frame: pd.DataFrame, column: str) -> pd.Series:
        """Sum of ``column`` per group found on ``frame``'s rows only, without listing the groups that have none:
        for a measure that places the sums in the groups of another context (a Commit call rebuilt on a past
        dataset, read in today's groups), where listing this context's own groups would be work thrown away."""
        if not self.by:
            raise ValueError("compute needs at least one grouping level")
        return frame[column].astype("float64").groupby(self.keys(frame), observed=True, dropna=True).agg("sum")

    def count(self, frame: pd.DataFrame, *, unplaced: bool = False) -> pd.Series:
        """Row count per group (0 where a group has no rows); ``unplaced``: see :meth:`keys`."""
        return self._group(frame, pd.Series(1.0, index=frame.index), "sum", 0.0, unplaced)

    def nunique(self, frame: pd.DataFrame, column: str, *, unplaced: bool = False) -> pd.Series:
        """Distinct values of ``column`` per group; ``unplaced``: see :meth:`keys`."""
        return self._group(frame, frame[column], "nunique", 0.0, unplaced).astype("float64")

    def agg(self, frame: pd.DataFrame, column: str, how: str | Callable, *, unplaced: bool = False) -> pd.Series:
        """Any other aggregation (mean, median, max, a quantile function) per group; NaN where empty;
        ``unplaced``: see :meth:`keys`."""
        return self._group(frame, frame[column].astype("float64"), how, None, unplaced)


def _decoded(values: pd.Series) -> pd.Series:
    """A dictionary-encoded (categorical) column as its plain values: group keys keep the dtype of the
    values (a result indexed by text, not by categories), and blanks can take a label no category has."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(values.cat.categories.dtype)
    return values


def _blank_listed(values: pd.Series) -> pd.Series:
    """``values`` with missing and whitespace-only entries as the group :data:`BLANK`."""
    text = values.astype("str") if not pd.api.types.is_string_dtype(values.dtype) else values
    blank = values.isna().to_numpy(dtype=bool) | text.fillna("").str.strip().eq("").to_numpy(dtype=bool)
    return text.where(~blank, BLANK)


# -- evaluation ----------------------------------------------------------------------------------------
_FUNCS = {"abs": np.abs, "min": np.minimum, "max": np.maximum}


def _evaluate(metric: Metric, ctx: Context, catalog: Catalog) -> tuple[pd.Series, pd.Series | None,
                                                                       pd.Series | None]:
    """(value, numerator, denominator) of one metric at the context's level."""
    if metric.name in ctx.cache:
        return ctx.cache[metric.name]
    if metric.name in QUARTER_ONLY and not ctx.period.is_quarter:
        raise MetricUnavailable(metric.name, [f"a fiscal quarter ({QUARTER_ONLY[metric.name]}; {ctx.period.label} "
                                              f"is a {ctx.period.noun})"])
    for need in metric.requires:
        table, _, column = need.partition(".")
        ctx.ds.require(metric.name, table, *([column] if column else []))
    if metric.type == "simple":
        if metric.name not in MEASURES:
            raise NotImplementedError(f"metric {metric.name!r} has no registered measure")
        result = (MEASURES[metric.name](ctx).astype("float64"), None, None)
    elif metric.type == "ratio":
        num = _evaluate(catalog.get(metric.numerator), ctx, catalog)[0]
        den = _evaluate(catalog.get(metric.denominator), ctx, catalog)[0]
        num, den = _defined(ctx, *num.align(den))
        result = (num / den.where(den != 0), num, den)
    else:
        names = {n: _evaluate(catalog.get(n), ctx, catalog)[0] for n in metric.inputs}
        aligned = pd.concat(names, axis=1)
        scope = {**_FUNCS, **{n: aligned[n] for n in names}}
        tree = compile(ast.parse(" ".join(str(metric.expression).split()), mode="eval"), metric.name, "eval")
        value = eval(tree, {"__builtins__": {}}, scope)  # grammar checked by the catalog validator
        result = (pd.Series(value, index=aligned.index, dtype="float64"), None, None)
    ctx.cache[metric.name] = result
    return result


def _defined(ctx: Context, num: pd.Series, den: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A ratio's aligned numerator and denominator without the groups placed outside the territories (the
    Unassigned leads) that one side has and the other does not: leads per rep has no rep-months for the
    Unassigned leads, so it has no row for them (lead_count by rep still lists them)."""
    if not ctx.by or not all(level in GEO_LEVELS for level in ctx.by):
        return num, den
    extra = num.index.difference(ctx.groups())
    undefined = extra[num.reindex(extra).isna().to_numpy() | den.reindex(extra).isna().to_numpy()]
    return (num.drop(undefined), den.drop(undefined)) if len(undefined) else (num, den)


def group_levels(by: str | Sequence[str] | None) -> list[str]:
    """The grouping levels ``by`` names, as a list: ``"territory"`` → ``["territory"]``, None → ``[]``."""
    return [] if by is None else [by] if isinstance(by, str) else list(by)


def grouping_levels(ds: Dataset) -> list[str]:
    """Every level ``compute`` can group by on ``ds``: the geographic levels, then the columns of the
    territories, opportunities, leads and activities (segment, type, lead_source, source ...)."""
    columns = [c for name in ("territories", "opportunities", "leads") for c in getattr(ds, name).columns]
    columns += activity_columns(ds)
    return list(dict.fromkeys([*GEO_LEVELS, *sorted(set(columns) - set(GEO_LEVELS))]))


def _check_levels(ds: Dataset, levels: tuple[str, ...]) -> None:
    """Refuse a grouping no table has (``by="rep"``), naming the valid ones: it would otherwise give an
    empty frame, every metric "not available"."""
    if not levels:
        raise ConfigError("compute needs at least one grouping level in by", key="by")
    valid = grouping_levels(ds)
    if unknown := [level for level in levels if level not in valid]:
        frames = [getattr(ds, name) for name in ("territories", "opportunities", "leads", "activities")]
        words = sorted({c for f in frames for c in f.columns if c not in GEO_LEVELS and not c.endswith(("_id", "_date"))
                        and not pd.api.types.is_numeric_dtype(f[c])})
        raise ConfigError(f"cannot group by {', '.join(map(repr, unknown))}: by is one of {', '.join(GEO_LEVELS)} "
                          f"(owner is the rep), or a column of the territories, opportunities, leads or activities "
                          f"such as {', '.join(words)}", key="by")


def compute(names: str | Iterable[str], ds: Dataset, period: str | Period, *, by: str | Sequence[str] = "territory",
            catalog: Catalog | None = None, skip_unavailable: bool = True) -> pd.DataFrame:
    """Long-form metric values: one row per group and metric, with numerator and denominator for ratios.

    Parameters
    ----------
    names : metric name(s) from the catalog (aliases accepted).
    ds : the dataset, already as of the report date and sliced to the region.
    period : ``"2026-Q3"``, ``"2026-H2"``, ``"2026"`` / ``"FY2026"`` (fiscal year) or ``"2026-01-01..2026-06-30"``;
        metrics that only mean something for a quarter (:data:`QUARTER_ONLY`) are unavailable for longer ones.
    by : level(s) to group by: ``territory``, ``region``, ``district``, ``owner`` (the rep), ``lead_source``
        (leads and deals alike, blanks as "(blank)") or a column of the territories, opportunities, leads or
        activities (:func:`grouping_levels`). Leads, activities and goals no owner places form the group
        "Unassigned" (see :meth:`Context.keys`); by rep, the reps who own no territory but worked in the period
        are listed after the territory owners (:meth:`Context.rep_rows`). Anything else is a
        :class:`ConfigError` listing the valid levels.
    skip_unavailable : metrics whose optional inputs are missing are left out and listed in
        ``result.attrs["unavailable"]`` (metric -> reason) instead of raising :class:`MetricUnavailable`.
    """
    catalog = catalog or load_catalog()
    _check_levels(ds, tuple(group_levels(by)))
    return compute_in(Context(ds, ds.period(period), tuple(group_levels(by)), catalog), names,
                      skip_unavailable=skip_unavailable)


def compute_in(ctx: Context, names: str | Iterable[str], *, skip_unavailable: bool = True) -> pd.DataFrame:
    """:func:`compute` in a context the caller holds (its catalog, else the default one), so what the measures
    selected and kept on it (``ctx._memo``) serves the caller's own measure-level reads afterwards, e.g. the
    rows behind each days-per-step median, counted by
    :func:`~quotabook.metrics.measures.funnel.step_days_counts` without selecting them again."""
    catalog = ctx.catalog or load_catalog()
    names = [names] if isinstance(names, str) else list(names)
    # In a pack, values another notebook of the scope already computed are read, not recomputed.
    store = store_for(ctx.ds, ctx.period, ctx.by, catalog)
    known = store.read() if store is not None else {}
    ctx.cache.update(known)
    frames, unavailable = [], {}
    for name in names:
        metric = catalog.get(name)
        try:
            value, num, den = _evaluate(metric, ctx, catalog)
        except MetricUnavailable as exc:
            if not skip_unavailable:
                raise
            unavailable[metric.name] = str(exc)
            continue
        frame = pd.DataFrame({"metric": metric.name, "value": value, "numerator": num, "denominator": den})
        frames.append(frame.reset_index())
    if store is not None and len(ctx.cache) > len(known):
        store.add({name: value for name, value in ctx.cache.items() if name not in known})
    cols = [*ctx.by, "metric", "value", "numerator", "denominator"]
    note_shown(catalog.get(n).name for n in names if catalog.get(n).name not in unavailable)  # the page's glossary
    out = pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)
    out.attrs["unavailable"] = unavailable
    out.attrs["period"] = ctx.period.label
    return out


def compute_wide(names: str | Iterable[str], ds: Dataset, period: str | Period, *,
                 by: str | Sequence[str] = "territory", catalog: Catalog | None = None) -> pd.DataFrame:
    """The same values as :func:`compute`, one column per metric and one row per group."""
    long = compute(names, ds, period, by=by, catalog=catalog)
    levels = group_levels(by)
    wide = long.set_index([*levels, "metric"])["value"].unstack("metric", sort=False)
    wide = wide[[m for m in dict.fromkeys(long["metric"]) if m in wide.columns]]
    wide.columns.name = None
    wide.attrs = dict(long.attrs)
    return wide
