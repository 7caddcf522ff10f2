"""What-if sensitivity: move conversion, the realisation of Commit and Best Case, new pipeline and the quota,
and see projected attainment and the chance of reaching target per territory, region and district.

The projection starts from the current forecast call, the catalog's category forecast: Closed + Commit +
``best_case_share`` × Best Case (workbook threshold, 50%). Each open deal is taken as won or lost on its
own, Commit deals with the Commit realisation (100% today), Best Case deals with the Best Case
realisation (``best_case_share`` today); a conversion change scales both, and new pipeline converts at
the territory's historical win rate (the last four quarters) times the same change. The target moves
with the quota change. So, per territory::

    projected = Closed + p_commit × Commit + p_best × Best Case + p_new × New pipeline
    variance  = p_commit (1 − p_commit) Σ commit² + p_best (1 − p_best) Σ best² + p_new (1 − p_new) × size × New

(deal amounts squared; new pipeline counted as deals of the territory's average won size), and the chance
of reaching target is the normal approximation P(bookings ≥ target). Regions and the district add up
means and variances of their territories (deals are independent). With no adjustment the projection is the
category forecast exactly.

Everything per slider move is vectorised numpy over a precomputed :class:`WhatIfBase` (one row per
territory), so a recompute for a 1,000-territory organisation takes a few milliseconds
(benchmarks/whatif_benchmark.py). :func:`widget` is the ipywidgets front end over the same pure
:func:`project`; static packs show :func:`scenario_table` and :func:`sensitivity_grid` as charts instead.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ...dataset import Dataset
from ...fiscal import Period, PeriodState
from ...metrics import compute, compute_wide
from ...metrics import format as fmt
from ...text import currency_text, say_date
from .data import trailing_results

__all__ = ["CONTROLS", "DEFAULT_SCENARIOS", "NEW_PIPELINE_MODES", "Adjustments", "WhatIfBase", "WhatIfResult",
           "app_command", "app_instructions", "build_base", "inert_controls", "inert_note", "make_widget",
           "new_pipeline_text", "project", "rollup", "scenario_table", "sensitivity_grid", "spread_new_pipeline",
           "widget"]

Value = float | Mapping[str, float] | pd.Series


@dataclass(frozen=True)
class Adjustments:
    """What the leader moves; zero everywhere is the current forecast.

    Each field is one number for every territory, or a mapping / Series territory → number for some
    (territories not named are not adjusted).

    conversion : relative change in how likely every open deal and new pipeline converts (−0.1 = 10% less).
    commit : change in the share of Commit that closes, in points of 0-1 (−0.2: 100% → 80%).
    best_case : change in the share of Best Case that closes (+0.25: 50% → 75%).
    new_pipeline : new pipeline added to each territory (currency), converting at its historical win rate.
    quota : relative change of the target (+0.1 = a 10% higher quota).
    """

    conversion: Value = 0.0
    commit: Value = 0.0
    best_case: Value = 0.0
    new_pipeline: Value = 0.0
    quota: Value = 0.0


@dataclass(frozen=True)
class WhatIfBase:
    """Per territory, what the projection needs (numpy arrays aligned on ``territory``; amounts in the
    reporting currency): ``closed``, ``commit``, ``best_case``, ``target``, ``commit_sq`` and
    ``best_case_sq`` (Σ deal amount²), ``win_rate`` (0-1, last four quarters) and ``deal_size`` (average
    won deal), plus ``best_case_share`` (the forecast call's share of Best Case)."""

    territory: np.ndarray
    region: np.ndarray
    district: np.ndarray
    closed: np.ndarray
    commit: np.ndarray
    best_case: np.ndarray
    target: np.ndarray
    commit_sq: np.ndarray
    best_case_sq: np.ndarray
    win_rate: np.ndarray
    deal_size: np.ndarray
    best_case_share: float = 0.5
    period: str = ""
    currency: str = "USD"
    _index: dict = field(default_factory=dict, repr=False, compare=False)
    _cache: dict = field(default_factory=dict, repr=False, compare=False)  # the unadjusted moments

    _NUMBERS = ("closed", "commit", "best_case", "target", "commit_sq", "best_case_sq", "win_rate", "deal_size")

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, best_case_share: float = 0.5, period: str = "",
                   currency: str = "USD") -> WhatIfBase:
        """A base from one row per territory (columns ``territory``, ``region``, ``district`` and the
        numbers above; missing sums of squares are taken as one deal per category)."""
        f = frame.reset_index(drop=True)
        num = {c: f[c].to_numpy("float64", na_value=np.nan) if c in f else None for c in cls._NUMBERS}
        num["commit_sq"] = num["commit_sq"] if num["commit_sq"] is not None else num["commit"] ** 2
        num["best_case_sq"] = num["best_case_sq"] if num["best_case_sq"] is not None else num["best_case"] ** 2
        for c in ("win_rate", "deal_size"):
            num[c] = num[c] if num[c] is not None else np.zeros(len(f))
        labels = {c: (f[c] if c in f else pd.Series("", index=f.index)).astype(str).to_numpy() for c in
                  ("territory", "region", "district")}
        return cls(**labels, **num, best_case_share=best_case_share, period=period, currency=currency,
                   _index={t: i for i, t in enumerate(labels["territory"])})

    def frame(self) -> pd.DataFrame:
        """The base as a table, one row per territory."""
        return pd.DataFrame({"territory": self.territory, "region": self.region, "district": self.district,
                             **{c: getattr(self, c) for c in self._NUMBERS}})

    def __len__(self) -> int:
        return len(self.territory)

    def per_territory(self, value: Value, default: float = 0.0) -> np.ndarray:
        """``value`` as one number per territory: a scalar for all, or a mapping for some."""
        if isinstance(value, Mapping | pd.Series):
            items = value.items()
            unknown = [k for k, _ in items if k not in self._index]
            if unknown:
                raise ValueError(f"unknown territories in a what-if adjustment: {', '.join(map(str, unknown))}")
            out = np.full(len(self), default, dtype="float64")
            for key, v in value.items():
                out[self._index[key]] = float(v)
            return out
        return np.full(len(self), float(value), dtype="float64")


# -- building the base from a dataset ---------------------------------------------------------------------
def _by_territory(ds: Dataset, frame: pd.DataFrame, column: str) -> np.ndarray:
    if frame.empty or column not in frame:
        return np.zeros(len(ds.territories))
    return frame[column].reindex(ds.territories["territory"]).fillna(0.0).to_numpy("float64")


def build_base(ds: Dataset, period: str | Period) -> WhatIfBase:
    """The what-if base for ``ds`` (already as of the report date and sliced to a region or not) and
    ``period``: the number stack from the metric catalog, Σ amount² of the open Commit and Best Case deals
    behind it, and each territory's win rate and average won deal over the period and the three quarters
    before it (:func:`quotabook.themes.territory_quota.data.trailing_results`)."""
    period = ds.period(period)
    names = ["closed_amount", "commit_amount", "best_case_amount", "target_amount"]
    stack = compute_wide(names, ds, period)
    deals = compute(["commit_amount", "best_case_amount"], ds, period, by=["territory", "opportunity_id"])
    squares = (deals.assign(sq=deals["value"].astype("float64") ** 2).groupby(["territory", "metric"])["sq"].sum()
               .unstack("metric") if len(deals) else pd.DataFrame())
    trailing = trailing_results(ds, period).reindex(ds.territories["territory"])
    rate = trailing["win_rate"].fillna(0.0).to_numpy("float64")
    size = trailing["deal_size"].fillna(0.0).to_numpy("float64")
    t = ds.territories
    target = (_by_territory(ds, stack, "target_amount") if "target_amount" in stack
              else np.full(len(t), np.nan))
    return WhatIfBase.from_frame(
        pd.DataFrame({"territory": t["territory"], "region": t["region"], "district": t["district"],
                      "closed": _by_territory(ds, stack, "closed_amount"),
                      "commit": _by_territory(ds, stack, "commit_amount"),
                      "best_case": _by_territory(ds, stack, "best_case_amount"), "target": target,
                      "commit_sq": _by_territory(ds, squares, "commit_amount"),
                      "best_case_sq": _by_territory(ds, squares, "best_case_amount"),
                      "win_rate": rate, "deal_size": size}),
        best_case_share=ds.settings.threshold("best_case_share"), period=period.label, currency=ds.currency)


# -- the pure projection ----------------------------------------------------------------------------------
_erfc = np.vectorize(math.erfc, otypes=[float])


def _chance(mean: np.ndarray, variance: np.ndarray, target: np.ndarray) -> np.ndarray:
    """P(bookings ≥ target) for bookings ~ Normal(mean, variance); certain outcomes where variance is 0;
    NaN without a target."""
    sd = np.sqrt(np.maximum(variance, 0.0))
    gap = target - mean
    with np.errstate(invalid="ignore", divide="ignore"):
        z = gap / (sd * math.sqrt(2.0))
    exact = np.where(gap <= 1e-9 * np.maximum(np.abs(target), 1.0), 1.0, 0.0)
    p = np.where(sd > 0, 0.5 * _erfc(np.where(sd > 0, z, 0.0)), exact)
    return np.where(np.isnan(target), np.nan, np.where(target <= 0, 1.0, p))


@dataclass
class WhatIfResult:
    """The projection per territory (``territories``) with what rolls it up: ``mean`` is the projected
    bookings, ``variance`` their variance; ``base_*`` are the same without adjustment."""

    territories: pd.DataFrame

    def by(self, level: str) -> pd.DataFrame:
        """Rolled up to ``territory``, ``region`` or ``district`` (see :func:`rollup`)."""
        return rollup(self, level)


def _probabilities(base: WhatIfBase, adj: Adjustments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    conv = 1.0 + base.per_territory(adj.conversion)
    p_commit = np.clip((1.0 + base.per_territory(adj.commit)) * conv, 0.0, 1.0)
    p_best = np.clip((base.best_case_share + base.per_territory(adj.best_case)) * conv, 0.0, 1.0)
    p_new = np.clip(np.nan_to_num(base.win_rate) * conv, 0.0, 1.0)
    return p_commit, p_best, p_new


def _moments(base: WhatIfBase, adj: Adjustments) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p_commit, p_best, p_new = _probabilities(base, adj)
    new = np.maximum(base.per_territory(adj.new_pipeline), 0.0)
    mean = base.closed + p_commit * base.commit + p_best * base.best_case + p_new * new
    variance = (p_commit * (1 - p_commit) * base.commit_sq + p_best * (1 - p_best) * base.best_case_sq
                + p_new * (1 - p_new) * np.nan_to_num(base.deal_size) * new)
    target = base.target * (1.0 + base.per_territory(adj.quota))
    return mean, variance, target


def project(base: WhatIfBase, adjustments: Adjustments | None = None) -> WhatIfResult:
    """Projected bookings, attainment and chance of reaching target per territory under ``adjustments``.

    Pure: the same base and adjustments always give the same result, and nothing is read from disk.

    Returns
    -------
    WhatIfResult
        ``territories``: ``territory``, ``region``, ``district``, ``target`` (after the quota change),
        ``projected`` (currency), ``attainment`` (projected ÷ target), ``probability`` (0-1), ``change``
        (projected − the forecast without adjustment), ``base_projected``, ``base_target``,
        ``base_probability``, and ``mean`` / ``variance`` / ``base_variance`` for roll-ups.
    """
    adj = adjustments or Adjustments()
    mean, variance, target = _moments(base, adj)
    if "zero" not in base._cache:  # the forecast call itself is the same for every move
        zero = _moments(base, Adjustments())
        base._cache["zero"] = (*zero, _chance(*zero))
    base_mean, base_var, base_target, base_chance = base._cache["zero"]
    with np.errstate(invalid="ignore", divide="ignore"):
        attainment = np.where(target > 0, mean / target, np.nan)
    frame = pd.DataFrame({
        "territory": base.territory, "region": base.region, "district": base.district, "target": target,
        "projected": mean, "attainment": attainment, "probability": _chance(mean, variance, target),
        "change": mean - base_mean, "base_projected": base_mean, "base_target": base_target,
        "base_probability": base_chance, "mean": mean, "variance": variance,
        "base_variance": base_var})
    return WhatIfResult(frame)


def rollup(result: WhatIfResult, level: str = "region") -> pd.DataFrame:
    """The projection summed to ``level`` (``territory``, ``region`` or ``district``): target, projected,
    change and variances add up (deals independent), then attainment and the chance of reaching target
    are recomputed for the group. Sorted by the group name."""
    t = result.territories
    if level == "territory":
        return t.drop(columns=["region", "district"]).set_index("territory").rename_axis("territory").reset_index()
    sums = ["target", "projected", "change", "base_projected", "base_target", "mean", "variance", "base_variance"]
    codes, names = pd.factorize(t[level], sort=True)
    totals = {c: np.bincount(codes, weights=np.nan_to_num(t[c].to_numpy("float64")), minlength=len(names))
              for c in sums}
    has_target = np.bincount(codes, weights=t["target"].notna().to_numpy("float64"), minlength=len(names)) > 0
    for c in ("target", "base_target"):
        totals[c] = np.where(has_target, totals[c], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        attainment = np.where(totals["target"] > 0, totals["projected"] / totals["target"], np.nan)
    out = pd.DataFrame({level: np.asarray(names), **totals, "attainment": attainment})
    out["probability"] = _chance(totals["mean"], totals["variance"], totals["target"])
    out["base_probability"] = _chance(totals["base_projected"], totals["base_variance"], totals["base_target"])
    return out


# -- static views for packs --------------------------------------------------------------------------------
DEFAULT_SCENARIOS: dict[str, Adjustments] = {
    "Conversion −20%": Adjustments(conversion=-0.2),
    "Conversion −10%": Adjustments(conversion=-0.1),
    "As forecast": Adjustments(),
    "Conversion +10%": Adjustments(conversion=0.1),
    "Commit lands 80%": Adjustments(commit=-0.2),
    "Best Case lands 75%": Adjustments(best_case=0.25),
    "Quota −10%": Adjustments(quota=-0.1),
    "Quota +10%": Adjustments(quota=0.1),
}


def scenario_table(base: WhatIfBase, scenarios: Mapping[str, Adjustments] | None = None,
                   by: str = "territory") -> pd.DataFrame:
    """Attainment and chance of reaching target per ``by`` group under each named scenario (tidy rows
    ``by, scenario, projected, target, attainment, probability``; scenarios in the given order)."""
    scenarios = dict(DEFAULT_SCENARIOS if scenarios is None else scenarios)
    frames = [rollup(project(base, adj), by).assign(scenario=name) for name, adj in scenarios.items()]
    out = pd.concat(frames, ignore_index=True)[[by, "scenario", "projected", "target", "attainment", "probability"]]
    out["scenario"] = pd.Categorical(out["scenario"], categories=list(scenarios), ordered=True)
    return out


def sensitivity_grid(base: WhatIfBase, conversion: Sequence[float] = (-0.2, -0.1, 0.0, 0.1, 0.2),
                     quota: Sequence[float] = (-0.2, -0.1, 0.0, 0.1, 0.2)) -> pd.DataFrame:
    """The whole scope's attainment and chance of reaching target for each conversion change × quota
    change (vary the inputs by ±10-20%); tidy rows ``conversion, quota, attainment,
    probability, projected, target``."""
    rows = []
    for c in conversion:
        for q in quota:
            total = rollup(project(base, Adjustments(conversion=c, quota=q)), "district")
            whole = total[["target", "projected", "mean", "variance"]].sum()
            rows.append({"conversion": c, "quota": q, "projected": whole["projected"], "target": whole["target"],
                         "attainment": whole["projected"] / whole["target"] if whole["target"] > 0 else np.nan,
                         "probability": float(_chance(np.array([whole["mean"]]), np.array([whole["variance"]]),
                                                      np.array([whole["target"]]))[0])})
    return pd.DataFrame(rows)


# -- what still moves a period, and how new pipeline is spread ---------------------------------------------
#: The what-if's controls as readers see them, in the order the widget shows them.
CONTROLS = {"conversion": "Conversion change", "commit": "Commit realisation", "best_case": "Best Case realisation",
            "new_pipeline": "New pipeline", "quota": "Quota change"}
#: The same controls as a sentence names them ("only the quota change still moves it").
_IN_A_SENTENCE = {"conversion": "conversion change", "commit": "Commit realisation",
                  "best_case": "Best Case realisation", "new_pipeline": "new pipeline", "quota": "quota change"}
#: How the new pipeline amount is read: one total spread evenly over the territories, or that much to each.
NEW_PIPELINE_MODES = {"total": "In total", "each": "Per territory"}


def inert_controls(base: WhatIfBase, state: PeriodState | None = None) -> dict[str, str]:
    """The controls that cannot move ``base``'s projection, each with the reason in a reader's words (the
    others still move it). ``state`` says where the period stands at the report date (None: still running).

    Commit and Best Case realisation need open deals of that category dated in the period; new pipeline
    needs a period still to come or running (nothing new closes in a period that has ended) and a territory
    that has won a deal in the last four quarters (it converts at that win rate); conversion needs one of
    the three; the quota change needs a target.
    """
    period = base.period or "the period"
    why: dict[str, str] = {}
    if not np.nansum(base.commit) > 0:
        why["commit"] = f"no open Commit deal is dated in {period}"
    if not np.nansum(base.best_case) > 0:
        why["best_case"] = f"no open Best Case deal is dated in {period}"
    if state is not None and state.finished:
        why["new_pipeline"] = "new pipeline cannot close in a period that has ended"
    elif not (np.nan_to_num(base.win_rate) > 0).any():
        why["new_pipeline"] = "no deal was won in the last four quarters, so new pipeline would convert at 0%"
    if {"commit", "best_case", "new_pipeline"} <= why.keys():
        why["conversion"] = "nothing open is left to convert"
    if not (np.nan_to_num(base.target) > 0).any():
        why["quota"] = f"no target is set for {period}"
    return why


def inert_note(base: WhatIfBase, state: PeriodState | None, inert: Mapping[str, str]) -> str:
    """One paragraph (HTML) saying why the greyed-out controls do not move the projection and which still do;
    empty when every control moves it."""
    live = [_IN_A_SENTENCE[k] for k in CONTROLS if k not in inert]
    parts = []
    if state is not None and state.finished:
        end, day = state.period.last_day, state.as_of
        parts.append(f"<b>{html.escape(base.period)} ended on {say_date(end)}</b>: with the data as of "
                     f"{say_date(day)} its bookings are final.")
    if inert:
        still = ("Nothing moves it any more" if not live else
                 f"Only the {live[0]} still moves it" if len(live) == 1 else
                 f"Still moving it: {', '.join(live[:-1])} and {live[-1]}")
        greyed = "; ".join(f"{CONTROLS[k]} ({html.escape(reason)})" for k, reason in inert.items())
        parts.append(f"{still}. Greyed out: {greyed}.")
    return " ".join(parts)


def spread_new_pipeline(amount: float, count: int, mode: str) -> float:
    """The new pipeline each of ``count`` territories gets when the reader asks for ``amount`` ``mode``
    (``total``: split evenly; ``each``: that much to every territory)."""
    if mode not in NEW_PIPELINE_MODES:
        raise ValueError(f"new pipeline mode must be one of {', '.join(NEW_PIPELINE_MODES)}, got {mode!r}")
    return amount / count if mode == "total" and count else float(amount)


def new_pipeline_text(amount: float, count: int, mode: str, code: str, territory: str | None = None) -> str:
    """How a new pipeline amount lands, in words: "$400K in total, $25K to each of the 16 territories",
    "$25K to each of the 16 territories, $400K in total", or "$400K to T1"."""
    if amount <= 0:
        return "none"
    if territory is not None:
        return f"{_money(amount, code)} to {html.escape(str(territory))} only"
    each = spread_new_pipeline(amount, count, mode)
    where = f"each of the {count} territories" if count != 1 else "its one territory"
    if mode == "total":
        return f"{_money(amount, code)} in total, {_money(each, code)} to {where}"
    return f"{_money(each, code)} to {where}, {_money(each * count, code)} in total"


# -- the interactive widget --------------------------------------------------------------------------------
#: The "Apply to" choice of every territory: a value no territory name (a string) can equal.
EVERY_TERRITORY = ("every territory",)


def _money(value: float, code: str) -> str:
    """Compact money as pages write it ("$42K", "$1.2M"), with one decimal under ten thousand so small what-if
    moves still show ("$1.7K")."""
    return currency_text(value, code, decimals=1 if 1e3 <= abs(value) < 1e4 else None)


def _signed_money(value: float, code: str) -> str:
    if not np.isfinite(value) or abs(value) < 0.5:
        return "–"
    return ("+" if value > 0 else "−") + _money(abs(value), code)


def result_html(rows: pd.DataFrame, level: str, total: pd.Series | None, code: str) -> str:
    """The what-if table as plain HTML (fast to rebuild on every slider move): one row per group and a
    total row, with target, projected bookings, attainment, change and chance of reaching target."""
    head = ["", "Target", "Projected", "Attainment", "Change", "Chance of target"]
    cells = "".join(f"<th style='text-align:{'left' if i == 0 else 'right'};padding:2px 8px;"
                    f"border-bottom:1.5px solid #333'>{h}</th>" for i, h in enumerate(head))

    def line(name, r, bold=False) -> str:
        values = [html.escape(str(name)), _money(r["target"], code), _money(r["projected"], code),
                  fmt.percent(r["attainment"]), _signed_money(r["change"], code), fmt.percent(r["probability"])]
        weight = "font-weight:bold;" if bold else ""
        return "<tr>" + "".join(
            f"<td style='{weight}text-align:{'left' if i == 0 else 'right'};padding:2px 8px;"
            f"border-bottom:1px solid #ddd'>{v}</td>" for i, v in enumerate(values)) + "</tr>"

    body = "".join(line(r[level], r) for r in rows.to_dict("records"))
    if total is not None:
        body += line(total["name"], total, bold=True)
    return (f"<table class='qb-whatif' style='border-collapse:collapse;font-size:10pt'><thead><tr>{cells}</tr>"
            f"</thead><tbody>{body}</tbody></table>")


_STYLE = {"description_width": "11em"}


def _controls(base: WhatIfBase) -> dict:
    import ipywidgets as w

    layout = w.Layout(width="34em")
    # continuous_update off: one recompute (table and chart) when a slider is let go, not one per pixel dragged
    common = {"style": _STYLE, "layout": layout, "continuous_update": False}
    return {
        "conversion": w.FloatSlider(value=0.0, min=-0.3, max=0.3, step=0.05, description=CONTROLS["conversion"],
                                    readout_format="+.0%", **common),
        "commit": w.FloatSlider(value=1.0, min=0.0, max=1.0, step=0.05, description=CONTROLS["commit"],
                                readout_format=".0%", **common),
        "best_case": w.FloatSlider(value=base.best_case_share, min=0.0, max=1.0, step=0.05,
                                   description=CONTROLS["best_case"], readout_format=".0%", **common),
        "new_pipeline": w.FloatSlider(value=0.0, min=0.0, max=1.0, step=1.0,
                                      description=f"{CONTROLS['new_pipeline']} ({base.currency})",
                                      readout_format=",.0f", **common),
        "quota": w.FloatSlider(value=0.0, min=-0.3, max=0.3, step=0.05, description=CONTROLS["quota"],
                               readout_format="+.0%", **common),
    }


def _round_step(amount: float) -> float:
    """A slider step of about ``amount`` ÷ 20, rounded up to one significant figure (at least 1,000)."""
    step = max(amount / 20, 1000.0)
    magnitude = 10 ** math.floor(math.log10(step))
    return math.ceil(step / magnitude) * magnitude


def _make_widget_class():
    import ipywidgets as w

    from .whatif_chart import projection_svg

    class WhatIfWidget(w.VBox):
        """Sliders over :func:`project`: every move recomputes the one-line summary (``summary.value``), the
        chart of projected bookings against target per territory (``chart.value``, SVG) and the table
        (``table.value``, HTML). ``apply_to`` picks all territories or one; ``pipeline_mode`` says whether
        the new pipeline amount is a total spread evenly over the territories or added to each one.
        :meth:`set_scope` swaps the scope (region, period) and keeps every slider where the reader put it."""

        def __init__(self, base: WhatIfBase, *, level: str = "territory", scope: str = "Total",
                     state: PeriodState | None = None):
            self._quiet = True
            self.base = base
            self.controls = _controls(base)
            self.pipeline_mode = w.ToggleButtons(options=[(v, k) for k, v in NEW_PIPELINE_MODES.items()],
                                                 value="total", description="New pipeline is", style=_STYLE,
                                                 tooltips=["One amount for the scope, split evenly over its "
                                                           "territories", "This amount added to every territory"])
            self.apply_to = w.Dropdown(options=[("All territories", EVERY_TERRITORY)], value=EVERY_TERRITORY,
                                       description="Apply to", style=_STYLE, layout=w.Layout(width="34em"))
            self.reset = w.Button(description="Reset", tooltip="Back to the current forecast")
            self.status = w.HTML()
            self.summary = w.HTML()
            self.chart = w.HTML()
            self.table = w.HTML()
            self.note = w.HTML()
            for control in [*self.controls.values(), self.apply_to]:
                control.observe(self.update, names="value")
            self.pipeline_mode.observe(self._mode_changed, names="value")
            self.reset.on_click(self._reset)
            c = self.controls
            super().__init__([self.status, c["conversion"], c["commit"], c["best_case"], c["new_pipeline"],
                              self.pipeline_mode, c["quota"], w.HBox([self.apply_to, self.reset]), self.summary,
                              self.chart, self.table, self.note])
            self.set_scope(base, level=level, scope=scope, state=state)

        # -- scope ------------------------------------------------------------------------------------
        def set_scope(self, base: WhatIfBase, *, level: str, scope: str, state: PeriodState | None = None) -> None:
            """Show ``base`` (another region or period) with the sliders as they are: the scenario is kept. A
            territory picked under "Apply to" that is not in the new scope falls back to all territories."""
            self._quiet = True
            try:
                self.base, self.level, self.scope, self.state = base, level, scope, state
                kept = self.apply_to.value
                self.apply_to.options = [("All territories", EVERY_TERRITORY),
                                         *((t, t) for t in sorted(base.territory))]
                self.apply_to.value = kept if kept == EVERY_TERRITORY or kept in base._index else EVERY_TERRITORY
                self._fit_new_pipeline()
                self.inert = inert_controls(base, state)
                for name, control in self.controls.items():
                    control.disabled = name in self.inert
                self.pipeline_mode.disabled = "new_pipeline" in self.inert
                note = inert_note(base, state, self.inert)
                self.status.value = (f"<p class='qb-whatif-status' style='margin:0.3em 0;max-width:52em'>{note}</p>"
                                     if note else "")
            finally:
                self._quiet = False
            self.update()

        def _territories(self) -> int:
            return 1 if self.apply_to.value != EVERY_TERRITORY else max(len(self.base), 1)

        def _fit_new_pipeline(self) -> None:
            """The new pipeline slider's range: up to the scope's target in total (the largest territory's
            target per territory), never below the amount already set."""
            slider, target = self.controls["new_pipeline"], np.nan_to_num(self.base.target)
            if self.pipeline_mode.value == "total" and self.apply_to.value == EVERY_TERRITORY:
                nominal = float(target.sum())
            else:
                nominal = float(target.max(initial=0.0))
            step = _round_step(nominal)
            top = max(step * 20, math.ceil(slider.value / step) * step)
            if top >= slider.max:
                slider.max, slider.step = top, step
            else:
                slider.step, slider.max = step, top

        def _mode_changed(self, change) -> None:
            """In total ↔ per territory: the amount is converted, so the scenario (and the projection) stays."""
            count = self._territories()
            slider = self.controls["new_pipeline"]
            self._quiet = True
            try:
                value = slider.value / count if change["new"] == "each" else slider.value * count
                slider.max = max(slider.max, value)
                slider.value = value
                self._fit_new_pipeline()
            finally:
                self._quiet = False
            self.update()

        # -- the projection ---------------------------------------------------------------------------
        def adjustments(self) -> Adjustments:
            """The sliders as :class:`Adjustments` (applied to one territory or all); greyed-out controls
            count as unchanged, and new pipeline in total is split evenly over the territories."""
            c = {k: s.value for k, s in self.controls.items()}
            values = {"conversion": c["conversion"], "commit": c["commit"] - 1.0,
                      "best_case": c["best_case"] - self.base.best_case_share,
                      "new_pipeline": c["new_pipeline"], "quota": c["quota"]}
            for name in self.inert:
                values[name] = 0.0
            if self.apply_to.value != EVERY_TERRITORY:
                return Adjustments(**{k: {self.apply_to.value: v} for k, v in values.items()})
            values["new_pipeline"] = spread_new_pipeline(values["new_pipeline"], len(self.base),
                                                         self.pipeline_mode.value)
            return Adjustments(**values)

        def result(self) -> WhatIfResult:
            return project(self.base, self.adjustments())

        def update(self, _change=None) -> None:
            """Recompute and redraw (the slider callback)."""
            if self._quiet:
                return
            result = self.result()
            rows = rollup(result, self.level)
            whole = rows[["target", "projected", "change", "mean", "variance"]].sum()  # groups partition the scope
            target = whole["target"]
            prob = float(_chance(np.array([whole["mean"]]), np.array([whole["variance"]]), np.array([target]))[0])
            att = whole["projected"] / target if target > 0 else np.nan
            total = pd.Series({"name": self.scope, "target": target, "projected": whole["projected"],
                               "attainment": att, "change": whole["change"], "probability": prob})
            code = self.base.currency
            amount = 0.0 if "new_pipeline" in self.inert else self.controls["new_pipeline"].value
            one = None if self.apply_to.value == EVERY_TERRITORY else self.apply_to.value
            added = new_pipeline_text(amount, len(self.base), self.pipeline_mode.value, code, one)
            self.summary.value = (f"<b>{html.escape(self.scope)}: projected {_money(whole['projected'], code)} "
                                  f"against a target of {_money(target, code)} ({fmt.percent(att)}); chance of "
                                  f"reaching target {fmt.percent(prob)}; change vs the forecast call "
                                  f"{_signed_money(whole['change'], code)}.</b><br>"
                                  f"<span class='qb-new-pipeline'>New pipeline added: {added}.</span>")
            t = result.territories
            chart = pd.DataFrame({"territory": self.base.territory, "closed": self.base.closed,
                                  "projected": t["projected"].to_numpy(), "target": t["target"].to_numpy()})
            self.chart.value = ("<div class='qb-whatif-chart' style='max-width:100%'>"
                                + projection_svg(chart, currency=code, scope=self.scope, period=self.base.period)
                                + "</div>")
            self.table.value = result_html(rows, self.level, total, code)
            self.note.value = ("<small>Deals are won or lost independently at these rates; the chance of target is "
                               "a normal approximation. New pipeline converts at each territory's win rate of the "
                               "last four quarters; <i>In total</i> splits the amount evenly over the territories "
                               "in scope, <i>Per territory</i> adds it to each one.</small>")

        def _reset(self, _button=None) -> None:
            defaults = {"conversion": 0.0, "commit": 1.0, "best_case": self.base.best_case_share,
                        "new_pipeline": 0.0, "quota": 0.0}
            self._quiet = True
            try:
                for key, control in self.controls.items():
                    control.value = defaults[key]
                self.apply_to.value = EVERY_TERRITORY
            finally:
                self._quiet = False
            self.update()

    return WhatIfWidget


_WIDGET_CLASS = None


def make_widget(base: WhatIfBase, *, level: str = "territory", scope: str = "Total",
                state: PeriodState | None = None):
    """The what-if widget over ``base``: rows per ``level`` and a total row named ``scope``; ``state`` (where
    the period stands at the report date) greys out the sliders a finished period no longer responds to."""
    global _WIDGET_CLASS
    if _WIDGET_CLASS is None:
        _WIDGET_CLASS = _make_widget_class()
    return _WIDGET_CLASS(base, level=level, scope=scope, state=state)


def app_command(region: str, period: str, *, data: str | None = None, as_of: str | None = None) -> str:
    """The shell command that opens the what-if app on ``region`` (as the CLI spells it: ``district``,
    ``East``) and ``period``: ``quotabook app --region East --period 2026-Q4``, with ``--data`` unless it is the
    demo and ``--as-of`` when given; every value shell-quoted."""
    import shlex

    parts = ["quotabook", "app", "--region", region, "--period", period]
    if data and data != "demo":
        parts += ["--data", str(data)]
    if as_of:
        parts += ["--as-of", str(as_of)]
    return shlex.join(parts)


def app_instructions(report, *, data: str | None = "demo", as_of=None) -> str:
    """How to open the what-if app for a notebook's scope and period (Markdown for ``report.markdown``): the exact
    ``quotabook app`` command, what it prints, how to stop it; for a finished period also the command for the
    quarter in progress, where every slider still moves."""
    from ...scope import scope_parameter

    day = None if as_of is None else pd.Timestamp(as_of).date().isoformat()
    command = app_command(scope_parameter(report.region), report.period.label, data=data, as_of=day)
    text = (f"**Try the sliders in your browser.** In a terminal in the quotabook folder run `{command}`: it "
            f"opens the what-if on {report.label} for {report.period.label}, prints the address to open "
            "(http://127.0.0.1:8866/, or another port if that one is taken) and stops on Ctrl-C. In the app you "
            "can switch region and quarter without losing the scenario, and enter new pipeline in total for the "
            "scope or per territory.")
    if report.state.finished:
        ahead = app_command(scope_parameter(report.region), report.moves_period.label, data=data, as_of=day)
        text += (f" {report.period.label} has ended, so new pipeline no longer counts there (the app says which "
                 f"sliders still move it); for the quarter in progress run `{ahead}`.")
    return text


def widget(report):
    """The what-if sliders for a notebook's report (``report`` from :func:`quotabook.notebook.start`): one
    row per territory (a region) or region (the district) plus the scope's total. Widget state does not
    survive into static reports; packs show :func:`scenario_table` and :func:`sensitivity_grid` instead."""
    return make_widget(build_base(report.ds, report.period), level=report.level, scope=report.label, state=report.state)
