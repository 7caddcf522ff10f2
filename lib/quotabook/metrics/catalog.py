"""The metric catalog: every metric declared once in ``catalog.yaml`` and loaded into frozen dataclasses.

One declaration per metric (dbt MetricFlow style) feeds the glossary appendix of every report, the command
line listing and the "definitions used" section of each notebook, so text and computation cannot drift:

- ``simple`` metrics are computed by a measure function registered in Python under the same name;
- ``ratio`` metrics are ``numerator / denominator``, both names of other metrics;
- ``derived`` metrics are an ``expression`` over other metric names: numbers, ``+ - * /``, parentheses and
  ``abs()``, ``min()``, ``max()``.

A ratio's ``formula`` is generated from the labels of its numerator and denominator (a derived metric's from
its expression); when written by hand it must name every metric it is computed from. Ratio and derived
metrics inherit ``source`` and ``requires`` from the metrics they reference.

Units: ``currency`` (reporting currency), ``ratio`` (a multiple, shown 3.2×), ``percent`` (a share stored
0–1, shown 22%), ``n_to_1`` (activities per one result, shown 12:1), ``days``, ``count``,
``currency_per_day``. Alert and parameter values are never written here: the catalog names keys of the
``thresholds`` in ``params/workbook.yaml`` and the values are read from the settings when needed.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from ..errors import CatalogError, CatalogIssue
from ..settings import Settings, load_settings
from .glossary import format_value, glossary_entries, glossary_markdown
from .rules import FILE, THEMES, Checker, expression_names, hint, read_entries

__all__ = ["CATALOG_FILE", "THEMES", "Alert", "Benchmark", "Catalog", "Metric", "active_catalog", "format_value",
           "label", "load_catalog", "note_shown", "use_catalog", "validate"]

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")


@dataclass(frozen=True)
class Benchmark:
    """An outside reference band for a metric, in its unit, with who said it ("CSO Insights 2024, as cited")."""

    band: tuple[float, float]
    source: str
    note: str = ""
    #: Bands that depend on the segment (SMB, Mid-Market, Enterprise), in catalog order; ``band`` is then the
    #: range they span unless the catalog gives one.
    segments: tuple[tuple[str, Benchmark], ...] = ()

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the band (ends included)."""
        return self.band[0] <= value <= self.band[1]

    def for_segment(self, segment: str) -> Benchmark | None:
        """The band of one segment (None when the catalog gives that segment none)."""
        return dict(self.segments).get(segment)

    def segment_frame(self) -> pd.DataFrame:
        """The per-segment bands as ``segment, low, high, source`` rows, in catalog order."""
        return pd.DataFrame([(s, b.band[0], b.band[1], b.source) for s, b in self.segments],
                            columns=["segment", "low", "high", "source"]).astype({"low": "float64",
                                                                                  "high": "float64"})


@dataclass(frozen=True)
class Alert:
    """When a metric should raise an alert. ``threshold`` (and ``for_weeks`` when it is text) are keys of the
    workbook thresholds; the values live only in ``params/workbook.yaml``."""

    threshold: str
    when: str  # below | above | at_or_below | at_or_above
    for_weeks: int | str | None = None
    severity: str = "warning"  # critical | warning | info: how the pack index ranks the alert

    def value(self, settings: Settings) -> float:
        """The threshold value the workbook settings give."""
        return settings.threshold(self.threshold)

    def weeks(self, settings: Settings) -> int | None:
        """Consecutive weeks the condition must hold before the alert fires (None: at once)."""
        if isinstance(self.for_weeks, str):
            return int(settings.threshold(self.for_weeks))
        return self.for_weeks

    def fires(self, value: float, settings: Settings) -> bool:
        """Whether one observed ``value`` breaks the threshold (the ``for_weeks`` run is the caller's)."""
        limit = self.value(settings)
        return {"below": value < limit, "above": value > limit, "at_or_below": value <= limit,
                "at_or_above": value >= limit}[self.when]


@dataclass(frozen=True)
class Metric:
    """One catalog entry. ``source`` and ``requires`` include what referenced metrics need; ``line`` is the
    entry's line in the catalog file."""

    name: str
    label: str
    theme: str
    type: str
    purpose: str
    formula: str
    cadence: str
    category: str
    direction: str
    unit: str
    source: tuple[str, ...] = ()
    numerator: str | None = None
    denominator: str | None = None
    expression: str | None = None
    benchmark: Benchmark | None = None
    alert: Alert | None = None
    requires: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    line: int | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        """Names of the metrics this one is computed from (empty for simple metrics)."""
        if self.type == "ratio":
            return (str(self.numerator), str(self.denominator))
        return expression_names(self.expression) if self.type == "derived" else ()


class Catalog:
    """The validated metrics, in declaration order. Iterate for metrics; ``get`` also accepts aliases."""

    def __init__(self, metrics: Iterable[Metric], source: str = ""):
        self._metrics = {m.name: m for m in metrics}
        self._aliases = {a: m.name for m in self._metrics.values() for a in m.aliases}
        self.source = source

    @classmethod
    def from_yaml(cls, text: str, settings: Settings | None = None) -> Catalog:
        """Validate catalog YAML text and build a Catalog (raises :class:`CatalogError`)."""
        return cls(_parse(text, _threshold_keys(settings)), source="<string>")

    def get(self, name: str) -> Metric:
        """The metric called ``name`` (or one of its aliases); KeyError naming close matches otherwise."""
        metric = self._metrics.get(self._aliases.get(name, name))
        if metric is None:
            raise KeyError(f"unknown metric {name!r}{hint(name, [*self._metrics, *self._aliases])}")
        return metric

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._metrics.values())

    def __len__(self) -> int:
        return len(self._metrics)

    def __contains__(self, name: object) -> bool:
        return name in self._metrics or name in self._aliases

    def __repr__(self) -> str:
        return f"Catalog({len(self)} metrics from {self.source or 'memory'})"

    @property
    def names(self) -> list[str]:
        return list(self._metrics)

    def by_theme(self, theme: str) -> list[Metric]:
        """The metrics of one theme (see ``THEMES``), in declaration order."""
        if theme not in THEMES:
            raise ValueError(f"unknown theme {theme!r}; themes: {', '.join(THEMES)}")
        return [m for m in self if m.theme == theme]

    def closure(self, names: Iterable[str]) -> list[str]:
        """``names`` plus every metric they are computed from, transitively, in catalog order."""
        seen: set[str] = set()
        todo = [self.get(n).name for n in names]
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(self._metrics[name].inputs)
        return [n for n in self._metrics if n in seen]

    def alert_value(self, metric: str | Metric, settings: Settings | None = None) -> float | None:
        """The alert threshold of ``metric`` read from the workbook settings (None when it has no alert)."""
        m = self.get(metric) if isinstance(metric, str) else metric
        return m.alert.value(settings or load_settings()) if m.alert else None

    def alerts(self, values: pd.DataFrame | pd.Series, settings: Settings | None = None, *,
               history: Sequence[pd.DataFrame] = ()) -> pd.DataFrame:
        """Every catalog alert that fires on ``values``: the one place alerts are evaluated (threshold, direction
        and ``for_weeks``), for the findings, the pack index and the next moves.

        Parameters
        ----------
        values : DataFrame
            One row per group (the index names it), one column per metric (``compute_wide``'s shape); a
            Series is one group's metrics. Metrics without an alert, or not in the catalog, are ignored;
            a missing value never fires.
        settings : Settings, optional
            Where threshold values are read; the workbook settings by default.
        history : sequence of DataFrame
            Earlier readings of the same metrics, most recent first, one per week (the reading a week
            before ``values``, two weeks before, ...). An alert with ``for_weeks`` n fires only where its
            condition also held at each of the n - 1 readings before; a reading that is missing counts as
            not holding (an alert is never raised on weeks nobody looked at).

        Returns
        -------
        DataFrame
            One row per alert fired, in catalog order then group order: ``group`` (the index label),
            ``metric``, ``label``, ``value``, ``threshold`` (the value from the settings), ``when`` (below |
            above | at_or_below | at_or_above) and ``weeks`` (the run it held for; 1 for an alert with none).
        """
        settings = settings or load_settings()
        frame = values.to_frame().T if isinstance(values, pd.Series) else values
        columns = ["group", "metric", "label", "value", "threshold", "when", "weeks"]
        found = []
        for name in frame.columns:
            if not isinstance(name, str) or name not in self or (m := self.get(name)).alert is None:
                continue
            value = pd.to_numeric(frame[name], errors="coerce")
            held = m.alert.fires(value, settings).fillna(False).astype(bool)
            weeks = m.alert.weeks(settings) or 1
            for reading in list(history)[:weeks - 1]:
                earlier = pd.to_numeric(reading[name], errors="coerce") if name in reading else pd.Series(dtype=float)
                earlier = earlier.reindex(frame.index)
                held &= m.alert.fires(earlier, settings).fillna(False).astype(bool)
            if len(history) < weeks - 1:
                held &= False
            if held.any():
                found.append(pd.DataFrame({"group": frame.index[held.to_numpy()], "metric": m.name, "label": m.label,
                                           "value": value[held].to_numpy(), "threshold": m.alert.value(settings),
                                           "when": m.alert.when, "weeks": weeks}))
        return pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=columns)

    def to_frame(self) -> pd.DataFrame:
        """One row per metric, one column per field; benchmark and alert are spread over flat columns."""
        rows = []
        for m in self:
            row = {k: v for k, v in asdict(m).items() if k not in ("benchmark", "alert")}
            row.update({k: ", ".join(row[k]) for k in ("source", "requires", "parameters", "aliases")})
            b, a = m.benchmark, m.alert
            row.update(benchmark_low=b.band[0] if b else None, benchmark_high=b.band[1] if b else None,
                       benchmark_source=b.source if b else None, benchmark_note=b.note if b else None,
                       alert_threshold=a.threshold if a else None, alert_when=a.when if a else None,
                       alert_for_weeks=a.for_weeks if a else None, alert_severity=a.severity if a else None)
            rows.append(row)
        return pd.DataFrame(rows)

    def to_markdown(self, used: list[str] | None = None, *, settings: Settings | None = None) -> str:
        """The glossary appendix: metrics grouped by theme with label, purpose, formula, source, cadence,
        direction, benchmark (with its source) and alert (with its threshold value from the settings).

        Parameters
        ----------
        used : list of str, optional
            Metric names a report shows; the glossary then holds those and everything they are computed from.
        settings : Settings, optional
            Where alert and parameter values are read; the workbook settings by default.
        """
        return glossary_markdown(glossary_entries(self, used, settings or load_settings()))


#: The catalog a page is using and the list its shown metrics go to (:func:`use_catalog`).
_ACTIVE: dict[str, object] = {"catalog": None, "shown": None}


def use_catalog(catalog: Catalog | None, shown: list[str] | None = None) -> None:
    """Make ``catalog`` the one :func:`label` reads (a notebook's :class:`~quotabook.notebook.Report` sets its
    own at start), and ``shown`` the list each labelled metric is added to (the page's glossary). None: back
    to the packaged catalog, nothing recorded."""
    _ACTIVE.update(catalog=catalog, shown=shown)


def active_catalog() -> Catalog:
    """The catalog set by :func:`use_catalog`, else the packaged one."""
    return _ACTIVE["catalog"] or load_catalog()  # type: ignore[return-value]


def label(metric: str) -> str:
    """The label of ``metric`` in the active catalog, for a chart axis, legend or header: a label changed in
    the catalog changes every chart. The metric is recorded as shown on the page (its glossary lists it)."""
    m = active_catalog().get(metric)
    note_shown([m.name])
    return m.label


def note_shown(names: Iterable[str]) -> None:
    """Record catalog metric names as used by the page (:func:`use_catalog`'s list; nothing when none is set):
    chart labels and every computation a page makes (:func:`quotabook.metrics.compute`), so the page's
    glossary holds the metrics its tables, charts and sentences were built from, with no list kept by hand."""
    shown = _ACTIVE["shown"]
    if isinstance(shown, list):
        shown.extend(n for n in dict.fromkeys(names) if n not in shown)


@contextlib.contextmanager
def shown_during() -> Iterator[list[str]]:
    """The metric names noted as shown (:func:`note_shown`) while the block runs, in order; they reach the
    page's list as well, when the block ends. A result kept for later (:func:`quotabook.metrics.cache.remember`)
    notes them again when it is read back, so the page's glossary is the same either way."""
    noted: list[str] = []
    outer = _ACTIVE["shown"]
    _ACTIVE["shown"] = noted
    try:
        yield noted
    finally:
        _ACTIVE["shown"] = outer
        note_shown(noted)


def load_catalog(path: str | Path | None = None, settings: Settings | None = None) -> Catalog:
    """Read and validate the metric catalog (the packaged ``catalog.yaml`` unless ``path`` is given).

    Cached per file, file version and set of workbook threshold keys, so notebooks may call it freely.

    Parameters
    ----------
    path : str or Path, optional
        A catalog YAML file; the one packaged with quotabook by default.
    settings : Settings, optional
        Workbook settings whose threshold keys alerts and parameters may name; ``load_settings()`` by default.

    Raises
    ------
    CatalogError
        The file is unreadable or breaks any rule; ``issues`` lists every problem with its line.
    """
    file = Path(path) if path is not None else CATALOG_FILE
    try:
        mtime = file.stat().st_mtime_ns
    except OSError as exc:
        raise CatalogError([CatalogIssue(FILE, "file", f"cannot read {file}: {exc.strerror}")]) from None
    return _load_cached(str(file.resolve()), mtime, _threshold_keys(settings))


@cache
def _load_cached(file: str, _mtime: int, thresholds: frozenset[str]) -> Catalog:
    return Catalog(_parse(Path(file).read_text(encoding="utf-8"), thresholds), source=file)


def validate(raw: str | list | Mapping, settings: Settings | None = None) -> None:
    """Run every catalog rule on YAML text (issues carry line numbers) or on already-parsed entries.

    Rules: required fields present; names match ``^[a-z][a-z0-9_]*[a-z0-9]$`` without "__" and are unique
    (aliases included); enum fields hold known values; a ratio has numerator and denominator, a derived
    metric an expression, a simple metric a formula and a source; references name existing metrics and
    form no cycle; a hand-written formula names every metric it is computed from; ``source`` and
    ``requires`` name canonical columns (``lib/quotabook/schemas.py``); alert and parameter keys exist in
    the workbook thresholds; benchmark bands are ``[low, high]`` with a source.

    Raises
    ------
    CatalogError
        One error listing every issue (metric, field, reason, line).
    """
    _parse(raw, _threshold_keys(settings), build=False)


def _threshold_keys(settings: Settings | None) -> frozenset[str]:
    return frozenset((settings or load_settings()).thresholds)


def _parse(raw: str | list | Mapping, thresholds: Collection[str], build: bool = True) -> list[Metric]:
    entries, lines, issues = read_entries(raw)
    if not issues:
        issues = Checker(entries, lines, thresholds).run()
    if issues:
        raise CatalogError(sorted(issues, key=lambda i: i.line or 0))
    return _build(entries, lines) if build else []


def _build(entries: list[Mapping], lines: list[dict[str, int]]) -> list[Metric]:
    """Turn validated entries into Metrics, generating formulas and inheriting source / requires."""
    by_name = {e["name"]: e for e in entries}
    labels = {e["name"]: e["label"] for e in entries}
    inherited: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def refs(e: Mapping) -> tuple[str, ...]:
        if e["type"] == "ratio":
            return (e["numerator"], e["denominator"])
        return expression_names(e["expression"]) if e["type"] == "derived" else ()

    def resolve(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if name not in inherited:
            e = by_name[name]
            source, requires = list(e.get("source") or []), list(e.get("requires") or [])
            for ref in refs(e):
                source += resolve(ref)[0]
                requires += resolve(ref)[1]
            inherited[name] = (tuple(dict.fromkeys(source)), tuple(dict.fromkeys(requires)))
        return inherited[name]

    def formula(e: Mapping) -> str:
        if e.get("formula"):
            return e["formula"]
        if e["type"] == "ratio":
            return f"{labels[e['numerator']]} / {labels[e['denominator']]}"
        text = re.sub(r"[A-Za-z_][A-Za-z0-9_]*", lambda m: labels.get(m[0], m[0]), " ".join(e["expression"].split()))
        return text.replace("*", "×").replace(" - ", " − ")

    metrics = []
    for e, where in zip(entries, lines, strict=True):
        b, a = e.get("benchmark"), e.get("alert")
        metrics.append(Metric(
            name=e["name"], label=e["label"], theme=e["theme"], type=e["type"], purpose=e["purpose"].strip(),
            formula=formula(e).strip(), cadence=e["cadence"], category=e["category"], direction=e["direction"],
            unit=e["unit"], source=resolve(e["name"])[0], numerator=e.get("numerator"),
            denominator=e.get("denominator"),
            expression=" ".join(e["expression"].split()) if e.get("expression") else None,
            benchmark=_benchmark(b) if b else None,
            alert=Alert(a["threshold"], a["when"], a.get("for_weeks"), a.get("severity", "warning")) if a else None,
            requires=resolve(e["name"])[1], parameters=tuple(e.get("parameters") or ()),
            aliases=tuple(e.get("aliases") or ()), line=where.get("")))
    return metrics


def _benchmark(b: Mapping) -> Benchmark:
    """A validated benchmark entry as a :class:`Benchmark`; a segment's band takes the entry's source unless
    it names its own, and without an overall ``band`` the band is the range the segments span."""
    segments = tuple((str(name), Benchmark((float(s["band"][0]), float(s["band"][1])), s.get("source") or b["source"],
                                           s.get("note") or ""))
                     for name, s in (b.get("segments") or {}).items())
    band = b.get("band") or [min(s.band[0] for _, s in segments), max(s.band[1] for _, s in segments)]
    return Benchmark((float(band[0]), float(band[1])), b["source"], b.get("note") or "", segments)
