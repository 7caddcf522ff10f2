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

import ast
import difflib
import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from ..errors import CatalogError, CatalogIssue
from ..schemas import TABLES
from ..settings import Settings, load_settings

__all__ = ["CATALOG_FILE", "THEMES", "Alert", "Benchmark", "Catalog", "Metric", "format_value", "load_catalog",
           "validate"]

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")
THEMES = {"target_achievement": "Target achievement", "activity_ratios": "Activity ratios", "funnel": "Funnel",
          "velocity": "Velocity", "territory_quota": "Territory quota", "forecast": "Forecast",
          "won_lost": "Won / lost"}
CADENCES = ("week", "month", "quarter", "year")  # ordered, finest first
ENUMS = {"theme": tuple(THEMES), "type": ("simple", "ratio", "derived"), "cadence": CADENCES,
         "category": ("activity", "leading", "outcome", "efficiency", "quality"),
         "direction": ("higher", "lower", "none"),
         "unit": ("currency", "ratio", "percent", "n_to_1", "days", "count", "currency_per_day")}
ALERT_WHEN = {"below": "below", "above": "above", "at_or_below": "at or below", "at_or_above": "at or above"}
REQUIRED = ("name", "label", "theme", "type", "purpose", "cadence", "category", "direction", "unit")
OPTIONAL = ("formula", "source", "numerator", "denominator", "expression", "benchmark", "alert", "requires",
            "parameters", "aliases")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$")
FUNCTIONS = ("abs", "min", "max")
_EXPR_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call, ast.Load, ast.Add,
               ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)
_FILE = "<catalog>"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Benchmark:
    """An outside reference band for a metric, in the metric's unit, with who said it (as a seed cites it)."""

    band: tuple[float, float]
    source: str
    note: str = ""

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies within the band (ends included)."""
        return self.band[0] <= value <= self.band[1]


@dataclass(frozen=True)
class Alert:
    """When a metric should raise an alert. ``threshold`` (and ``for_weeks`` when it is text) are keys of the
    workbook thresholds; the values live only in ``params/workbook.yaml``."""

    threshold: str
    when: str  # below | above | at_or_below | at_or_above
    for_weeks: int | str | None = None

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
        return _expression_names(self.expression) if self.type == "derived" else ()


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
            raise KeyError(f"unknown metric {name!r}{_hint(name, [*self._metrics, *self._aliases])}")
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
                       alert_for_weeks=a.for_weeks if a else None)
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
        settings = settings or load_settings()
        keep = set(self.closure(used)) if used is not None else set(self._metrics)
        out = ["## Metric glossary", "",
               "Definitions of the metrics in this report. Alert thresholds and parameters are read from "
               "the workbook settings (params/workbook.yaml)."]
        for theme, title in THEMES.items():
            metrics = [m for m in self.by_theme(theme) if m.name in keep]
            if metrics:
                out += ["", f"### {title}"]
                out += [line for m in metrics for line in _glossary_entry(m, settings)]
        return "\n".join(out) + "\n"


def format_value(value: float, unit: str, currency: str = "") -> str:
    """A number as the glossary shows it in ``unit`` (percent 0–1 → "22%", ratio → "3×", n_to_1 → "12:1")."""
    if unit == "percent":
        return f"{value * 100:.4g}%"
    if unit in ("currency", "currency_per_day"):
        text = f"{value:,.0f} {currency}".strip()
        return text + " per day" if unit == "currency_per_day" else text
    suffix = {"ratio": "×", "n_to_1": ":1", "days": " days"}.get(unit, "")
    return f"{value:g}{suffix}"


def _glossary_entry(m: Metric, settings: Settings) -> list[str]:
    def fmt(v: float) -> str:
        return format_value(v, m.unit, settings.currency)

    direction = {"higher": "higher is better", "lower": "lower is better",
                 "none": "neither higher nor lower is better"}[m.direction]
    lines = ["", f"**{m.label}** (`{m.name}`): {m.purpose.strip()}", "",
             f"- Formula: {m.formula.strip()}", f"- Source: {', '.join(m.source) or 'computed'}",
             f"- Cadence: {m.cadence}; direction: {direction}; unit: {m.unit}; category: {m.category}"]
    if m.requires:
        lines.append(f"- Needs optional data: {', '.join(m.requires)}")
    if m.parameters:
        values = ", ".join(f"`{k}` = {settings.threshold(k):g}" for k in m.parameters)
        lines.append(f"- Parameters: {values}")
    if b := m.benchmark:
        low, high = fmt(b.band[0]), fmt(b.band[1])
        unit_text = re.search(r"(%|×|:1| days)$", high)
        if unit_text and low.endswith(unit_text[0]):  # "90–120 days", not "90 days–120 days"
            low = low.removesuffix(unit_text[0])
        band = high if b.band[0] == b.band[1] else f"up to {high}" if b.band[0] == 0 else f"{low}–{high}"
        lines.append(f"- Benchmark: {band}{f' ({b.note})' if b.note else ''}; source: {b.source}")
    if a := m.alert:
        weeks = a.weeks(settings)
        run = f" for {weeks} consecutive weeks" if weeks else ""
        lines.append(f"- Alert: when {ALERT_WHEN[a.when]} {fmt(a.value(settings))}{run} "
                     f"(threshold `{a.threshold}`)")
    return lines


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
        raise CatalogError([CatalogIssue(_FILE, "file", f"cannot read {file}: {exc.strerror}")]) from None
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
    entries, lines, issues = _read(raw)
    if not issues:
        issues = _Checker(entries, lines, thresholds).run()
    if issues:
        raise CatalogError(sorted(issues, key=lambda i: i.line or 0))
    return _build(entries, lines) if build else []


def _read(raw: str | list | Mapping) -> tuple[list[Any], list[dict[str, int]], list[CatalogIssue]]:
    """Entries, a map field path → line for each entry, and problems that stop reading altogether."""
    node = None
    if isinstance(raw, str):
        loader = _Loader(raw)
        try:
            node = loader.get_single_node()
            raw = loader.construct_document(node) if node is not None else None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            reason = f"not valid YAML: {getattr(exc, 'problem', None) or exc}"
            return [], [], [CatalogIssue(_FILE, "yaml", reason, mark.line + 1 if mark else None)]
        finally:
            loader.dispose()
    if isinstance(raw, Mapping) and "metrics" in raw:  # also accept {metrics: [...]}
        node = next((v for k, v in node.value if k.value == "metrics"), None) if node is not None else None
        raw = raw["metrics"]
    if not isinstance(raw, list):
        return [], [], [CatalogIssue(_FILE, "<top level>", "expected a list of metric entries", 1)]
    if isinstance(node, yaml.SequenceNode):
        return raw, [_line_map(n) for n in node.value], []
    return raw, [{} for _ in raw], []


def _line_map(node: yaml.Node, path: str = "", out: dict[str, int] | None = None) -> dict[str, int]:
    """Field path ("alert.threshold", "source[2]") → 1-based line; repeated keys land under "!dup:<path>"."""
    out = {} if out is None else out
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            sub = f"{path}.{key.value}" if path else str(key.value)
            if sub in out:
                out[f"!dup:{sub}"] = key.start_mark.line + 1
            out[sub] = key.start_mark.line + 1
            _line_map(value, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, f"{path}[{i}]", out)
    return out


def _line_of(lines: dict[str, int], path: str) -> int | None:
    while path not in lines and path:
        path = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", path) if re.search(r"[.\[]", path) else ""
    return lines.get(path)


def _hint(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _expression_names(expression: str | None) -> tuple[str, ...]:
    tree = ast.parse(" ".join(str(expression).split()), mode="eval")
    calls = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    names = sorted((n.lineno, n.col_offset, n.id) for n in ast.walk(tree)
                   if isinstance(n, ast.Name) and id(n) not in calls)  # ast.walk is breadth-first
    return tuple(dict.fromkeys(name for *_, name in names))


def _expression_problem(expression: str) -> str | None:
    """Why ``expression`` is outside the grammar (names, numbers, + - * /, parentheses, abs/min/max)."""
    try:
        tree = ast.parse(" ".join(expression.split()), mode="eval")
    except SyntaxError as exc:
        return f"not a valid expression ({exc.msg})"
    for n in ast.walk(tree):
        if not isinstance(n, _EXPR_NODES):
            return f"{type(n).__name__} is not allowed; use metric names, numbers, + - * / and abs/min/max"
        if isinstance(n, ast.Constant) and (isinstance(n.value, bool) or not isinstance(n.value, int | float)):
            return f"constant {n.value!r} is not a number"
        if isinstance(n, ast.Call) and (not isinstance(n.func, ast.Name) or n.func.id not in FUNCTIONS
                                        or n.keywords):
            return f"only {', '.join(FUNCTIONS)} may be called"
    return None


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


class _Checker:
    """Runs every rule over the raw entries and collects issues; never stops at the first."""

    def __init__(self, entries: list[Any], lines: list[dict[str, int]], thresholds: Collection[str]):
        self.entries, self.lines, self.thresholds = entries, lines, thresholds
        self.issues: list[CatalogIssue] = []
        self.names = [e.get("name") if isinstance(e, Mapping) and isinstance(e.get("name"), str)
                      else f"<entry {i + 1}>" for i, e in enumerate(entries)]

    def add(self, i: int, path: str, reason: str) -> None:
        self.issues.append(CatalogIssue(self.names[i], path, reason, _line_of(self.lines[i], path)))

    def run(self) -> list[CatalogIssue]:
        for i, entry in enumerate(self.entries):
            if isinstance(entry, Mapping):
                self.entry(i, entry)
            else:
                self.add(i, "<entry>", "expected a mapping of fields")
        self.unique_names()
        graph = self.references()
        self.cycles(graph)
        return self.issues

    def entry(self, i: int, e: Mapping) -> None:
        for key in e:
            if key not in REQUIRED + OPTIONAL:
                self.add(i, str(key), f"unknown field{_hint(str(key), REQUIRED + OPTIONAL)}")
        for path, line in self.lines[i].items():
            if path.startswith("!dup:"):
                self.issues.append(CatalogIssue(self.names[i], path[5:], "field given twice", line))
        for key in REQUIRED:
            if _blank(e.get(key)):
                self.add(i, key, "required field is missing")
        for key in ("name", "label", "purpose", "formula", "expression", "numerator", "denominator"):
            if e.get(key) is not None and not isinstance(e.get(key), str):
                self.add(i, key, "must be text")
        for key, allowed in ENUMS.items():
            if not _blank(e.get(key)) and e.get(key) not in allowed:
                self.add(i, key, f"unknown value {e.get(key)!r}; allowed: {', '.join(allowed)}")
        for path, name in [("name", e.get("name")), *((f"aliases[{j}]", a) for j, a in
                                                      enumerate(self.listed(i, e, "aliases")))]:
            if isinstance(name, str) and (not NAME_RE.match(name) or "__" in name):
                self.add(i, path, f"bad name {name!r}: use lower case letters, digits and single underscores, "
                                  "starting with a letter and not ending with an underscore")
        kind = e.get("type")
        refs = {k: e.get(k) for k in ("numerator", "denominator", "expression") if not _blank(e.get(k))}
        if kind == "ratio":
            for key in ("numerator", "denominator"):
                if key not in refs:
                    self.add(i, key, "a ratio metric needs a numerator and a denominator (names of metrics)")
        elif kind == "derived" and "expression" not in refs:
            self.add(i, "expression", "a derived metric needs an expression over other metric names")
        elif kind == "simple":
            for key in ("formula", "source"):
                if _blank(e.get(key)):
                    self.add(i, key, "required for a simple metric (there is nothing to generate it from)")
        allowed = {"simple": (), "ratio": ("numerator", "denominator"), "derived": ("expression",)}.get(kind)
        for key in refs:
            if allowed is not None and key not in allowed:
                self.add(i, key, f"not allowed for a {kind} metric")
        self.columns(i, e)
        self.benchmark(i, e.get("benchmark"), e.get("unit"))
        self.alert(i, e.get("alert"))

    def listed(self, i: int, e: Mapping, key: str) -> list:
        value = e.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.add(i, key, "must be a list of text items")
            return []
        return value

    def columns(self, i: int, e: Mapping) -> None:
        for j, ref in enumerate(self.listed(i, e, "source")):
            table, _, column = ref.partition(".")
            if table not in TABLES or column not in {c.name for c in TABLES[table].columns}:
                known = [f"{t}.{c.name}" for t, spec in TABLES.items() for c in spec.columns]
                self.add(i, f"source[{j}]", f"{ref!r} is not a column of the canonical schema (table.column)"
                                            f"{_hint(ref, known)}")
        for j, ref in enumerate(self.listed(i, e, "requires")):
            table, _, column = ref.partition(".")
            spec = TABLES.get(table)
            if spec is None or (column and column not in {c.name for c in spec.columns}):
                self.add(i, f"requires[{j}]", f"{ref!r} is not a table or table.column of the canonical schema")
            elif spec.required_table and (not column or spec.column(column).required):
                self.add(i, f"requires[{j}]", f"{ref!r} is always present; list only optional tables/columns")
        for j, key in enumerate(self.listed(i, e, "parameters")):
            if key not in self.thresholds:
                self.add(i, f"parameters[{j}]", f"{key!r} is not a workbook threshold (params/workbook.yaml)"
                                                f"{_hint(key, self.thresholds)}")

    def benchmark(self, i: int, b: Any, unit: Any) -> None:
        if b is None:
            return
        if not isinstance(b, Mapping):
            self.add(i, "benchmark", "must be null or {band: [low, high], source: ..., note: ...}")
            return
        for key in set(b) - {"band", "source", "note"}:
            self.add(i, f"benchmark.{key}", "unknown field; allowed: band, source, note")
        band = b.get("band")
        if not (isinstance(band, list) and len(band) == 2 and all(map(_is_number, band))):
            self.add(i, "benchmark.band", "must be [low, high], two numbers")
        elif band[0] > band[1]:
            self.add(i, "benchmark.band", f"low {band[0]} is above high {band[1]}; write [low, high]")
        elif unit == "percent" and not (band[0] >= 0 and band[1] <= 1):
            self.add(i, "benchmark.band", "a percent band is a share 0-1 (write 0.22, not 22)")
        if _blank(b.get("source")) or not isinstance(b.get("source"), str):
            self.add(i, "benchmark.source", "a benchmark needs its source: who and year, as a seed cites it")

    def alert(self, i: int, a: Any) -> None:
        if a is None:
            return
        if not isinstance(a, Mapping):
            self.add(i, "alert", "must be null or {threshold: <workbook threshold key>, when: ..., for_weeks: ...}")
            return
        for key in set(a) - {"threshold", "when", "for_weeks"}:
            self.add(i, f"alert.{key}", "unknown field; allowed: threshold, when, for_weeks")
        key = a.get("threshold")
        if not isinstance(key, str) or key not in self.thresholds:
            self.add(i, "alert.threshold", f"{key!r} is not a workbook threshold (params/workbook.yaml)"
                                           f"{_hint(str(key), self.thresholds)}")
        if a.get("when") not in ALERT_WHEN:
            self.add(i, "alert.when", f"unknown value {a.get('when')!r}; allowed: {', '.join(ALERT_WHEN)}")
        weeks = a.get("for_weeks")
        if not (weeks is None or (_is_number(weeks) and int(weeks) == weeks and weeks > 0)
                or (isinstance(weeks, str) and weeks in self.thresholds)):
            self.add(i, "alert.for_weeks", "must be a positive whole number or a workbook threshold key")

    def unique_names(self) -> None:
        first: dict[str, int] = {}
        for i, e in enumerate(self.entries):
            if not isinstance(e, Mapping):
                continue
            names = [("name", e.get("name")), *((f"aliases[{j}]", a) for j, a in enumerate(_strs(e.get("aliases"))))]
            for path, name in names:
                if not isinstance(name, str):
                    continue
                if name in first:
                    seen = _line_of(self.lines[first[name]], "")
                    self.add(i, path, f"duplicate name {name!r}; already used by entry {self.names[first[name]]!r}"
                                      + (f" at line {seen}" if seen else ""))
                else:
                    first[name] = i

    def references(self) -> dict[str, list[tuple[str, str]]]:
        """Check every reference; return name → [(field, referenced name)] for known references."""
        index = {n: i for i, n in reversed(list(enumerate(self.names)))}
        aliases = {a: self.names[i] for i, e in enumerate(self.entries) if isinstance(e, Mapping)
                   for a in _strs(e.get("aliases"))}
        graph: dict[str, list[tuple[str, str]]] = {}
        for i, e in enumerate(self.entries):
            if not isinstance(e, Mapping) or e.get("type") not in ("ratio", "derived"):
                continue
            refs = [(k, e[k]) for k in ("numerator", "denominator") if isinstance(e.get(k), str)]
            expr = e.get("expression")
            if isinstance(expr, str) and e.get("type") == "derived":
                if problem := _expression_problem(expr):
                    self.add(i, "expression", problem)
                else:
                    refs += [("expression", n) for n in _expression_names(expr)]
            for key, ref in refs:
                if ref in aliases:
                    self.add(i, key, f"{ref!r} is an alias; refer to the metric by its name {aliases[ref]!r}")
                elif ref not in index:
                    self.add(i, key, f"unknown metric {ref!r}{_hint(ref, index)}")
                else:
                    graph.setdefault(self.names[i], []).append((key, ref))
            self.formula(i, e, [r for _, r in refs if r in index], index)
        return graph

    def formula(self, i: int, e: Mapping, refs: list[str], index: dict[str, int]) -> None:
        text = e.get("formula")
        if not isinstance(text, str) or _blank(text):
            return
        for ref in dict.fromkeys(refs):
            label = self.entries[index[ref]].get("label")
            if ref.casefold() not in text.casefold() and not (
                    isinstance(label, str) and label.casefold() in text.casefold()):
                self.add(i, "formula", f"does not mention {ref!r} (label {label!r}), which the metric is computed "
                                       "from; name it, or drop the formula to have it generated")

    def cycles(self, graph: dict[str, list[tuple[str, str]]]) -> None:
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        path: list[str] = []
        found: set[frozenset[str]] = set()

        def visit(name: str) -> None:
            state[name] = 1
            path.append(name)
            for _, ref in graph.get(name, []):
                if state.get(ref) == 1:
                    loop = path[path.index(ref):]
                    if frozenset(loop) not in found:
                        found.add(frozenset(loop))
                        start = min(loop, key=self.names.index)
                        loop = loop[loop.index(start):] + loop[:loop.index(start)]
                        nxt = loop[1] if len(loop) > 1 else loop[0]
                        key = next(k for k, r in graph[start] if r == nxt)
                        self.add(self.names.index(start), key,
                                 f"reference cycle: {' → '.join([*loop, start])}")
                elif ref not in state:
                    visit(ref)
            path.pop()
            state[name] = 2

        for name in graph:
            if name not in state:
                visit(name)


def _build(entries: list[Mapping], lines: list[dict[str, int]]) -> list[Metric]:
    """Turn validated entries into Metrics, generating formulas and inheriting source / requires."""
    by_name = {e["name"]: e for e in entries}
    labels = {e["name"]: e["label"] for e in entries}
    inherited: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}

    def refs(e: Mapping) -> tuple[str, ...]:
        if e["type"] == "ratio":
            return (e["numerator"], e["denominator"])
        return _expression_names(e["expression"]) if e["type"] == "derived" else ()

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
            benchmark=Benchmark((float(b["band"][0]), float(b["band"][1])), b["source"], b.get("note") or "")
            if b else None,
            alert=Alert(a["threshold"], a["when"], a.get("for_weeks")) if a else None,
            requires=resolve(e["name"])[1], parameters=tuple(e.get("parameters") or ()),
            aliases=tuple(e.get("aliases") or ()), line=where.get("")))
    return metrics
