"""Multi-currency: convert deal amounts to the reporting currency with the rates table in params.

Rates live in ``params/currency_rates.yaml`` (next to ``workbook.yaml``) or in a mapping's ``currency.rates``
section: units of the ``base`` currency per one unit of each currency. One rate per currency, not per
date: reports state the reporting currency, and the rates file says which day its rates are from.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ..errors import ConfigError
from ..settings import Settings
from ..yaml_files import safe_load
from .convert import ROW

__all__ = ["AMOUNT_COLUMNS", "convert_tables", "find_rates_file", "load_rates", "rates_label"]

# Which columns hold money, per canonical table (targets and TAM are already in the reporting currency).
AMOUNT_COLUMNS = {"opportunities": ("amount",), "opportunity_history": ("amount",)}


def find_rates_file(settings: Settings) -> Path | None:
    """``currency_rates.yaml`` in the folder of the workbook settings, if there is one."""
    if settings.source:
        candidate = Path(settings.source).with_name("currency_rates.yaml")
        if candidate.is_file():
            return candidate
    return None


def rates_label(settings: Settings) -> str:
    """Where the rates of :func:`load_rates` ``(None, settings)`` came from, as an error message names it: the
    rates file beside the workbook settings actually read, or, when there is none, the file that was looked
    for (so a workbook copied without its rates file is not told about a file it never read)."""
    found = find_rates_file(settings)
    if found is not None:
        return str(found)
    if settings.source:
        wanted = Path(settings.source).with_name("currency_rates.yaml")
        return f"the rates file {wanted} (there is none, so only {settings.currency} is known)"
    return f"the rates (no rates file, so only {settings.currency} is known)"


def load_rates(spec, settings: Settings, *, file: str | None = None, key: str = "rates") -> dict[str, float]:
    """Rates as {ISO code: units of the reporting currency per unit}.

    ``spec`` is a path to a rates YAML, an inline ``{base:, rates: {...}}`` / ``{CODE: rate}`` mapping,
    or None (the params file, if any). Raises ConfigError naming the file and key on a bad entry.
    """
    if spec is None:
        path = find_rates_file(settings)
        if path is None:
            return {settings.currency: 1.0}
        spec, file = str(path), str(path)
    if isinstance(spec, str):
        path = Path(spec)
        if file and not path.is_absolute():
            path = Path(file).parent / path
        try:
            spec = safe_load(path.read_text(encoding="utf-8"), file=path)
        except FileNotFoundError:
            raise ConfigError("currency rates file not found", file=str(path), key=key) from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", file=str(path)) from None
        file, key = str(path), "rates"
        if not isinstance(spec, dict):
            raise ConfigError("expected a mapping with base and rates", file=file)
    if not isinstance(spec, dict):
        raise ConfigError("expected a mapping of currency codes to rates, or a file path", file=file, key=key)
    base = str(spec.get("base", settings.currency))
    table = spec.get("rates", {k: v for k, v in spec.items() if k not in ("base", "as_of")})
    rates: dict[str, float] = {base: 1.0}
    for code, value in (table or {}).items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ConfigError(f"rate must be a positive number, got {value!r}", file=file, key=f"{key}.{code}")
        rates[str(code).upper()] = float(value)
    if settings.currency not in rates:
        raise ConfigError(f"no rate for the reporting currency {settings.currency} (base is {base})",
                          file=file, key=key)
    report = rates[settings.currency]
    return {code: rate / report for code, rate in rates.items()}


def convert_tables(tables: dict[str, tuple[pd.DataFrame, str]], settings: Settings, rates: dict[str, float],
                   rates_label: str) -> list[dict]:
    """Convert money columns in place to the reporting currency; return row problems for unknown codes.

    A deal's history rows take the deal's currency. The original figures travel along as
    ``original_amount`` / ``original_currency``; ``currency`` becomes the reporting currency.
    """
    problems: list[dict] = []
    opps = tables.get("opportunities")
    if opps is None or "currency" not in opps[0]:
        return problems
    frame, origin = opps
    code = frame["currency"].astype("string").str.strip().str.upper()
    code = code.fillna(settings.currency).replace("", settings.currency)
    if code.eq(settings.currency).all():
        frame["currency"] = settings.currency
        return problems
    rate = code.map(rates)
    unknown = rate.isna()
    for pos in frame.index[unknown]:
        problems.append(_row_problem("opportunities", origin, pos, "currency", "unknown_currency", code[pos],
                                     f"no exchange rate for {code[pos]!r} in {rates_label} "
                                     f"(known: {', '.join(sorted(rates))})"))
    if problems and ROW not in frame:
        frame[ROW] = range(1, len(frame) + 1)
    _convert(frame, "amount", rate.fillna(1.0))
    frame["original_currency"] = code
    frame["currency"] = code.where(unknown, settings.currency)
    hist = tables.get("opportunity_history")
    if hist is not None and "opportunity_id" in hist[0] and "opportunity_id" in frame:
        by_deal = pd.Series(rate.to_numpy(), index=frame["opportunity_id"].astype("string")).groupby(level=0).first()
        hist_rate = hist[0]["opportunity_id"].astype("string").map(by_deal).fillna(1.0)
        _convert(hist[0], "amount", hist_rate)
    return problems


def _convert(frame: pd.DataFrame, column: str, rate: pd.Series) -> None:
    if column not in frame:
        return
    numeric = pd.to_numeric(frame[column], errors="coerce")
    frame[f"original_{column}"] = frame[column]
    # Cells that are not numbers stay as they are, so validation reports them with their text.
    frame[column] = frame[column].astype(object).where(numeric.isna(), (numeric * rate.to_numpy()).round(2))


def _row_problem(table: str, file: str, pos: int, column: str, reason: str, value, message: str) -> dict:
    return {"table": table, "file": file, "row": int(pos) + 1, "column": column, "reason": reason,
            "value": None if value is None else str(value), "message": message}
