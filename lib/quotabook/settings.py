"""Workbook settings: fiscal calendar, reporting currency, stage map, thresholds and benchmark bands.

They live in ``params/workbook.yaml``. The file is found, in order, at the path given, at
``$QUOTABOOK_WORKBOOK``, at ``params/workbook.yaml`` in the current folder or any parent (so notebooks
run from ``notebooks/`` find it), and finally as the copy packaged with quotabook.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from .errors import ConfigError
from .privacy import Privacy
from .yaml_files import safe_load

__all__ = ["Settings", "Stage", "find_workbook_file", "load_settings"]

PACKAGED_WORKBOOK = Path(__file__).with_name("defaults") / "workbook.yaml"
_STAGE_KEYS = ("name", "order", "funnel_step", "probability", "is_closed", "is_won")


@dataclass(frozen=True)
class Stage:
    """One CRM stage as the stage map declares it."""

    name: str
    order: int
    funnel_step: str
    probability: float  # default win probability, 0-100
    is_closed: bool
    is_won: bool


@dataclass(frozen=True)
class Settings:
    """Validated workbook settings. ``source`` is the file they came from."""

    fiscal_start_month: int
    fiscal_year_label: str
    currency: str
    stages: tuple[Stage, ...]
    funnel_steps: tuple[str, ...]
    thresholds: dict[str, float] = field(default_factory=dict)
    benchmarks: dict[str, Any] = field(default_factory=dict)
    privacy: Privacy = field(default_factory=Privacy)
    source: str = ""

    @property
    def stage_names(self) -> list[str]:
        return [s.name for s in self.stages]

    def stage_table(self) -> pd.DataFrame:
        """The stage map as a DataFrame indexed by stage name (order, funnel_step, probability, flags): a copy of
        the one built per stage map (time travel and the forecasts ask at every date a backtest replays)."""
        return _stage_table(self.stages).copy()

    def threshold(self, key: str) -> float:
        """A threshold by name; a clear ConfigError when the workbook does not define it."""
        try:
            return self.thresholds[key]
        except KeyError:
            raise ConfigError(
                f"threshold not defined (known: {', '.join(sorted(self.thresholds))})",
                file=self.source,
                key=f"thresholds.{key}",
            ) from None

    @property
    def open_stages(self) -> list[str]:
        return [s.name for s in sorted(self.stages, key=lambda s: s.order) if not s.is_closed]


@lru_cache(maxsize=16)
def _stage_table(stages: tuple[Stage, ...]) -> pd.DataFrame:
    """:meth:`Settings.stage_table` of a stage map, built once (callers get copies: it is never handed out)."""
    return pd.DataFrame([s.__dict__ for s in stages]).set_index("name")


def find_workbook_file(path: str | os.PathLike | None = None, *, start: str | os.PathLike | None = None) -> Path:
    """Where the workbook settings are read from (see the module docstring for the search order). ``start`` is
    the folder the search starts from (default: the working directory), e.g. where a pack's kernels start."""
    if path is not None:
        return Path(path)
    if env := os.environ.get("QUOTABOOK_WORKBOOK"):
        return Path(env)
    here = Path(start if start is not None else Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "params" / "workbook.yaml"
        if candidate.is_file():
            return candidate
    return PACKAGED_WORKBOOK


def load_settings(path: str | os.PathLike | None = None) -> Settings:
    """Read and validate the workbook settings.

    Raises
    ------
    ConfigError
        The file is missing or not YAML, or a key is missing or out of range; the message names both.
    """
    file = find_workbook_file(path).resolve()
    return _load_settings_cached(str(file), file.stat().st_mtime_ns if file.exists() else 0)


@cache
def _load_settings_cached(file: str, _mtime: int) -> Settings:
    try:
        raw = safe_load(Path(file).read_text(encoding="utf-8"), file=Path(file))
    except FileNotFoundError:
        raise ConfigError("workbook settings file not found", file=file) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=file) from None
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping at the top level", file=file)
    return _parse(raw, file)


def _require(raw: dict, key: str, file: str) -> Any:
    if key not in raw:
        raise ConfigError("required key is missing", file=file, key=key)
    return raw[key]


def _parse(raw: dict, file: str) -> Settings:
    fiscal = _require(raw, "fiscal", file)
    currency = str(_require(raw, "currency", file))
    start = fiscal.get("start_month", 1)
    if not isinstance(start, int) or not 1 <= start <= 12:
        raise ConfigError(f"must be a month number 1-12, got {start!r}", file=file, key="fiscal.start_month")
    label = fiscal.get("year_label", "end")
    if label not in ("end", "start"):
        raise ConfigError(f"must be 'end' or 'start', got {label!r}", file=file, key="fiscal.year_label")

    stages = []
    for i, entry in enumerate(_require(raw, "stages", file)):
        missing = [k for k in _STAGE_KEYS if k not in entry]
        if missing:
            raise ConfigError(f"stage is missing {', '.join(missing)}", file=file, key=f"stages[{i}]")
        prob = float(entry["probability"])
        if not 0 <= prob <= 100:
            raise ConfigError(f"probability must be 0-100, got {prob}", file=file, key=f"stages[{i}].probability")
        if entry["is_won"] and not entry["is_closed"]:
            raise ConfigError("a won stage must also be closed", file=file, key=f"stages[{i}]")
        stages.append(Stage(str(entry["name"]), int(entry["order"]), str(entry["funnel_step"]), prob,
                            bool(entry["is_closed"]), bool(entry["is_won"])))
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise ConfigError("stage names must be unique", file=file, key="stages")
    if not any(s.is_won for s in stages) or not any(s.is_closed and not s.is_won for s in stages):
        raise ConfigError("the stage map needs at least one won and one lost stage", file=file, key="stages")

    thresholds = {k: float(v) for k, v in (raw.get("thresholds") or {}).items()}
    privacy = _privacy(raw.get("privacy"), file)
    return Settings(
        fiscal_start_month=start,
        fiscal_year_label=label,
        currency=currency,
        stages=tuple(stages),
        funnel_steps=tuple(raw.get("funnel_steps") or ("Lead", "SAL", "SQL", "Opportunity", "Proposal", "Won")),
        thresholds=thresholds,
        benchmarks=_benchmarks(raw.get("benchmarks"), file),
        privacy=privacy,
        source=file,
    )


#: Workbook reference figures that are not a metric's band (every band lives in the metric catalog).
BENCHMARK_KEYS = ("rules_of_thumb_per_rep_month", "activity_ratio_reference")
#: Sections older workbooks held, now metric catalog benchmarks, and where each went.
MOVED_BENCHMARKS = {
    "funnel_conversion": "the segments of the catalog benchmarks of lead_to_sal, sal_to_sql, sql_to_opportunity, "
                         "opportunity_to_proposal and proposal_to_won",
    "time_in_stage_days": "the segments of the catalog benchmarks of lead_to_sal_days ... proposal_to_won_days",
}


def _benchmarks(raw: Any, file: str) -> dict[str, Any]:
    """The ``benchmarks`` section: reference figures only; a band section of an older workbook is an error
    that says where the band lives now (silently ignoring it would show bands the user did not set)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"expected a mapping, got {raw!r}", file=file, key="benchmarks")
    for key in raw:
        if key in MOVED_BENCHMARKS:
            raise ConfigError("benchmark bands live in the metric catalog (lib/quotabook/metrics/catalog.yaml): "
                              f"edit {MOVED_BENCHMARKS[key]} there, and remove this section", file=file,
                              key=f"benchmarks.{key}")
        if key not in BENCHMARK_KEYS:
            raise ConfigError(f"unknown benchmark section (known: {', '.join(BENCHMARK_KEYS)})", file=file,
                              key=f"benchmarks.{key}")
    return dict(raw)


def _privacy(raw: Any, file: str) -> Privacy:
    """The ``privacy`` section: which contact details reports mask (both, when the section is absent)."""
    if raw is None:
        return Privacy()
    if not isinstance(raw, dict):
        raise ConfigError(f"expected a mapping of mask_emails / mask_phones, got {raw!r}", file=file, key="privacy")
    known = set(Privacy.__dataclass_fields__)
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"unknown setting (known: {', '.join(sorted(known))})", file=file, key=f"privacy.{key}")
        if not isinstance(value, bool):
            raise ConfigError(f"must be true or false, got {value!r}", file=file, key=f"privacy.{key}")
    return Privacy(**raw)
