"""The rules of the metric catalog: reading ``catalog.yaml`` with line numbers and checking every entry.

:func:`read_entries` parses the YAML (keeping a field path -> line map per entry) and :class:`Checker`
applies every rule, collecting all problems at once so an analyst editing the catalog sees each issue
with its line, not the first one only. :mod:`quotabook.metrics.catalog` turns checked entries into
``Metric`` objects.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ..errors import CatalogIssue
from ..schemas import TABLES

__all__ = ["ALERT_WHEN", "CADENCES", "ENUMS", "FILE", "SEVERITIES", "THEMES",
           "Checker", "expression_names", "hint", "read_entries"]


def _theme_packages(folder: Path) -> dict[str, str]:
    """The report themes, id -> title, ordered by ``NUMBER``: one per package under ``folder``
    (``quotabook/themes/<id>/__init__.py`` declaring ``TITLE`` and ``NUMBER``, its notebook's ``NN``). Read as
    literals, never imported: the metrics layer must not depend on the presentation layer above it."""
    found = []
    for init in sorted(folder.glob("*/__init__.py")):
        values = {node.targets[0].id: node.value for node in ast.parse(init.read_text(encoding="utf-8")).body
                  if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)}
        missing = [name for name in ("TITLE", "NUMBER") if name not in values]
        if missing:
            raise ImportError(f"{init}: a theme package declares TITLE and NUMBER; {', '.join(missing)} missing")
        found.append((ast.literal_eval(values["NUMBER"]), init.parent.name, ast.literal_eval(values["TITLE"])))
    if not found:
        raise ImportError(f"no report theme: no package under {folder}")
    return {name: title for _, name, title in sorted(found)}


#: The report themes, id -> title, in their notebooks' order: the packages under ``quotabook/themes/``, so adding a
#: theme is adding its package (with ``TITLE`` and ``NUMBER``), never editing a list here.
THEMES = _theme_packages(Path(__file__).resolve().parents[1] / "themes")

CADENCES = ("week", "month", "quarter", "year")  # ordered, finest first
ENUMS = {"theme": tuple(THEMES), "type": ("simple", "ratio", "derived"), "cadence": CADENCES,
         "category": ("activity", "leading", "outcome", "efficiency", "quality"),
         "direction": ("higher", "lower", "none"),
         "unit": ("currency", "ratio", "percent", "n_to_1", "days", "count", "currency_per_day")}
ALERT_WHEN = {"below": "below", "above": "above", "at_or_below": "at or below", "at_or_above": "at or above"}
#: How serious an alert is, most severe first: the pack index ranks alerts by it.
SEVERITIES = ("critical", "warning", "info")
REQUIRED = ("name", "label", "theme", "type", "purpose", "cadence", "category", "direction", "unit")
OPTIONAL = ("formula", "source", "numerator", "denominator", "expression", "benchmark", "alert", "requires",
            "parameters", "aliases")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*[a-z0-9]$")
FUNCTIONS = ("abs", "min", "max")
_EXPR_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Call, ast.Load, ast.Add,
               ast.Sub, ast.Mult, ast.Div, ast.USub, ast.UAdd)
FILE = "<catalog>"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_entries(raw: str | list | Mapping) -> tuple[list[Any], list[dict[str, int]], list[CatalogIssue]]:
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
            return [], [], [CatalogIssue(FILE, "yaml", reason, mark.line + 1 if mark else None)]
        finally:
            loader.dispose()
    if isinstance(raw, Mapping) and "metrics" in raw:  # also accept {metrics: [...]}
        node = next((v for k, v in node.value if k.value == "metrics"), None) if node is not None else None
        raw = raw["metrics"]
    if not isinstance(raw, list):
        return [], [], [CatalogIssue(FILE, "<top level>", "expected a list of metric entries", 1)]
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


def hint(word: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], {})


def _strs(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def expression_names(expression: str | None) -> tuple[str, ...]:
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


class Checker:
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
                self.add(i, str(key), f"unknown field{hint(str(key), REQUIRED + OPTIONAL)}")
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
                                            f"{hint(ref, known)}")
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
                                                f"{hint(key, self.thresholds)}")

    def benchmark(self, i: int, b: Any, unit: Any) -> None:
        if b is None:
            return
        if not isinstance(b, Mapping):
            self.add(i, "benchmark", "must be null or {band: [low, high], source: ..., note: ..., segments: ...}")
            return
        for key in set(b) - {"band", "source", "note", "segments"}:
            self.add(i, f"benchmark.{key}", "unknown field; allowed: band, source, note, segments")
        segments = b.get("segments")
        if segments is not None and not (isinstance(segments, Mapping) and segments):
            self.add(i, "benchmark.segments", "must map each segment to {band: [low, high], source: ...}")
            segments = None
        if "band" in b or not segments:
            self.band(i, "benchmark.band", b.get("band"), unit)
        for name, s in (segments or {}).items():
            where = f"benchmark.segments.{name}"
            if not isinstance(s, Mapping):
                self.add(i, where, "must be {band: [low, high], source: ..., note: ...}")
                continue
            for key in set(s) - {"band", "source", "note"}:
                self.add(i, f"{where}.{key}", "unknown field; allowed: band, source, note")
            self.band(i, f"{where}.band", s.get("band"), unit)
            if "source" in s and (_blank(s["source"]) or not isinstance(s["source"], str)):
                self.add(i, f"{where}.source", "a segment's source names who and year, or is left out (the "
                                               "benchmark's source then applies)")
        if _blank(b.get("source")) or not isinstance(b.get("source"), str):
            self.add(i, "benchmark.source", "a benchmark needs its source: who and year (\"Gartner 2023, as cited\")")

    def band(self, i: int, field: str, band: Any, unit: Any) -> None:
        """One ``[low, high]`` band: two numbers, low first; a percent band is a share."""
        if not (isinstance(band, list) and len(band) == 2 and all(map(_is_number, band))):
            self.add(i, field, "must be [low, high], two numbers")
        elif band[0] > band[1]:
            self.add(i, field, f"low {band[0]} is above high {band[1]}; write [low, high]")
        elif unit == "percent" and not (band[0] >= 0 and band[1] <= 2):
            # a share: 0.22 for 22%; up to 2 (200%) so accuracy bands around 100% (0.85-1.15) can be written
            self.add(i, field, "a percent band is a share (write 0.22, not 22; at most 2 for 200%)")

    def alert(self, i: int, a: Any) -> None:
        if a is None:
            return
        if not isinstance(a, Mapping):
            self.add(i, "alert", "must be null or {threshold: <workbook threshold key>, when: ..., for_weeks: ...}")
            return
        for key in set(a) - {"threshold", "when", "for_weeks", "severity"}:
            self.add(i, f"alert.{key}", "unknown field; allowed: threshold, when, for_weeks, severity")
        if a.get("severity", "warning") not in SEVERITIES:
            self.add(i, "alert.severity", f"unknown value {a.get('severity')!r}; allowed: {', '.join(SEVERITIES)}")
        key = a.get("threshold")
        if not isinstance(key, str) or key not in self.thresholds:
            self.add(i, "alert.threshold", f"{key!r} is not a workbook threshold (params/workbook.yaml)"
                                           f"{hint(str(key), self.thresholds)}")
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
                    refs += [("expression", n) for n in expression_names(expr)]
            for key, ref in refs:
                if ref in aliases:
                    self.add(i, key, f"{ref!r} is an alias; refer to the metric by its name {aliases[ref]!r}")
                elif ref not in index:
                    self.add(i, key, f"unknown metric {ref!r}{hint(ref, index)}")
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
