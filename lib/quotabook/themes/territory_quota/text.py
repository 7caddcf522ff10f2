"""What the territory quota notebook (04) says first: is the target split the way the opportunity is, are
territories fair by the ±10% rule, who is ramping, and how sensitive attainment is.

Every number comes from :func:`quotabook.themes.territory_quota.data.calibration` (catalog TACoS, propensity,
capacity and target; four-quarter win rate as expected conversion) and from
:mod:`quotabook.themes.territory_quota.whatif` (projections from the forecast call). Thresholds (fairness tolerance,
ramp factor, best case share) come from the workbook. Data without TACoS or propensity gives a sentence saying so, not
an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...findings import Findings
from ...metrics.quota import fairness_outliers
from ...text import every, extremes, mid, names, noun, part_of, possessive, pronoun, upper_first, verb
from . import whatif
from .data import calibration

__all__ = ["calibration_sentence", "fairness_sentence", "ramp_sentence", "territory_quota_findings", "whatif_sentences"]


#: What the calibrated quota is, in a DSM's words: a yearly figure, compared with a period's target only by share.
_CALIBRATED = ("each territory's yearly calibrated quota (its addressable market, TACoS, × propensity × win rate × "
               "capacity)")


def calibration_sentence(report, cal: pd.DataFrame) -> str:
    """Which territory carries the most target beyond what its calibrated quota supports, and which the least."""
    if cal.empty:
        needs = dict.fromkeys(str(n).split("not available: ", 1)[-1] for n in cal.attrs.get("unavailable", {}).values())
        return f"Quota calibration is not available for this data ({'; '.join(needs) or 'no TACoS or propensity'})."
    if cal["target_amount"].fillna(0).sum() <= 0:
        return f"No target is set for {report.period.label}, so the calibrated quota has nothing to compare with."
    ranked = cal.sort_values("target_gap", ascending=False, kind="stable")
    over, under = ranked.iloc[0], ranked.iloc[-1]
    if report.money(over["target_gap"]) == report.money(0.0) == report.money(under["target_gap"]):
        return (f"Split in proportion to {_CALIBRATED}, every territory's {report.period.label} target matches "
                "what its opportunity supports.")
    text = (f"Split in proportion to {_CALIBRATED}, "
            f"{possessive(over['territory'])} {report.period.label} target of {report.money(over['target_amount'])} "
            "would be "
            f"{report.money(over['calibrated_target'])}: it carries {report.money(over['target_gap'])} more than its "
            "opportunity supports")
    if under["target_gap"] < 0:
        text += f", while {under['territory']} carries {report.money(-under['target_gap'])} less"
    return text + "."


def fairness_sentence(report, cal: pd.DataFrame) -> tuple[str, list]:
    """How many territories sit outside the fairness band (weighted opportunity within ±10% of the
    mean), the two furthest named, and the alert it fires."""
    if len(cal) < 2:  # one territory is always "the mean": there is nothing to be fair against
        return "", []
    tolerance = report.settings.threshold("fairness_tolerance")
    table = cal.assign(_opportunity=cal["tam_amount"] * cal["propensity"])
    outliers = fairness_outliers(table, value="_opportunity", name="territory", tolerance=tolerance)
    if outliers.empty:
        return (f"{every(len(cal), 'territory')} hold weighted opportunity within ±{tolerance:.0%} of the mean: "
                "the territory design passes the fairness check."), []
    named = "; ".join(outliers.head(2).tolist())
    count = (f"{every(len(cal), 'territory')} sit" if len(outliers) == len(cal)
             else f"{part_of(len(outliers), len(cal), 'territory')} {verb('sits', len(outliers))}")
    text = (f"{count} outside the ±{tolerance:.0%} fairness band of "
            f"weighted opportunity (TACoS × propensity) — {named}: review the account split before the next "
            "planning cycle.")
    alert = {"message": f"Fairness: {part_of(len(outliers), len(cal), 'territory')} outside ±{tolerance:.0%} of the "
                        f"mean weighted opportunity ({outliers.iloc[0]})", "level": "warning"}
    return text, [alert]


def ramp_sentence(report, cal: pd.DataFrame) -> str:
    """Who runs below full capacity, the ramp of new hires (70% in the first 12 months) first."""
    if cal.empty or cal["capacity_factor"].isna().all():
        return ""
    ramp = report.settings.threshold("ramp_capacity_factor")
    ramping = cal[cal["capacity_factor"] <= ramp + 1e-9]
    if len(ramping):
        who = names(ramping["territory"].astype(str).tolist(), limit=len(ramping))
        return (f"{who} {verb('runs', len(ramping))} at {ramp:.0%} capacity, the ramp level for new "
                f"hires, so {pronoun(len(ramping), case='possessive')} calibrated quota is {1 - ramp:.0%} below a "
                "fully ramped seller's.")
    low = cal.loc[cal["capacity_factor"].idxmin()]
    if low["capacity_factor"] >= 1:  # "lowest at 100%, which scales its quota down" scaled nothing
        return "No territory is on a new-hire ramp: every one sells at full capacity."
    return (f"No territory is on a new-hire ramp; the lowest capacity is {low['territory']} at "
            f"{low['capacity_factor']:.0%}, which scales its calibrated quota down by the same share.")


def _scope_name(report) -> str:
    """The scope inside a sentence: "West", or "the district"."""
    return "the district" if report.is_district else report.label


def _scope_row(base: whatif.WhatIfBase, adj: whatif.Adjustments | None = None) -> pd.Series:
    whole = whatif.rollup(whatif.project(base, adj), "district")
    row = whole[["target", "projected", "mean", "variance"]].sum()
    row["attainment"] = row["projected"] / row["target"] if row["target"] > 0 else np.nan
    row["probability"] = whatif.sensitivity_grid(base, (0.0 if adj is None else float(adj.conversion),),
                                                 (0.0 if adj is None else float(adj.quota),))["probability"].iloc[0]
    return row


def whatif_sentences(report, base: whatif.WhatIfBase) -> tuple[list[str], dict]:
    """The forecast call's projection and chance of target, its sensitivity to conversion (or, once the
    period is over with nothing open, to the quota only) and the most exposed territory or region."""
    now = _scope_row(base)
    if not np.isfinite(now["attainment"]):
        return [f"No target is set for {report.period.label}: the what-if has nothing to measure against."], {}
    headlines = {
        "Projected attainment": report.pct(now["attainment"]),
        "Chance of target": report.pct(now["probability"]),
    }
    open_amount = float(base.commit.sum() + base.best_case.sum())
    if open_amount <= 0:
        lower = _scope_row(base, whatif.Adjustments(quota=-0.1))
        if report.state.finished:
            final = {"Attainment (final)": report.pct(now["attainment"])}
            return [f"{report.period.label} is over for {_scope_name(report)}: bookings are final at "
                    f"{report.pct(now['attainment'])} of target, so only the quota moves the what-if (a 10% lower "
                    "quota "
                    f"would have meant {report.pct(lower['attainment'])})."], final
        # still running: nothing open is dated in it, but a deal can still be created and won before it ends
        return [f"No open Commit or Best Case is dated in {report.period.label} for {_scope_name(report)}: bookings "
                "stand "
                f"at {report.pct(now['attainment'])} of target unless new deals close before it ends, so only the "
                "quota "
                f"moves the what-if (a 10% lower quota would mean {report.pct(lower['attainment'])})."], headlines
    share = report.settings.threshold("best_case_share")
    worse = _scope_row(base, whatif.Adjustments(conversion=-0.2))
    sentences = [f"At the forecast call (Closed + Commit + {share:.0%} of Best Case) {mid(report.label)} projects "
                 f"{report.money(now['projected'])} against {report.money(now['target'])} "
                 f"({report.pct(now['attainment'])}), "
                 f"a {report.pct(now['probability'])} chance of reaching target; if every open deal converts 20% "
                 f"less often it projects {report.pct(worse['attainment'])} ({report.pct(worse['probability'])} "
                 "chance)."]
    grid = whatif.scenario_table(base, by=report.level)
    forecast = grid[grid["scenario"] == "As forecast"].dropna(subset=["attainment"])
    furthest = extremes(forecast.set_index(report.level)["attainment"], report.pct) if len(forecast) > 1 else None
    if furthest is not None and furthest.tied:
        sentences.append(f"{upper_first(noun(report.level))} stand level on the forecast call: "
                         f"{'both' if furthest.count == 2 else 'all'} at {furthest.low_text} of target.")
    elif furthest is not None and len(furthest.low) > 1:
        sentences.append(f"Furthest from target on the forecast call: {names(furthest.low)}, each at "
                         f"{furthest.low_text}.")
    elif furthest is not None:
        name = furthest.low[0]
        rows = grid[grid[report.level].astype(str) == name]
        now_row = forecast.set_index(forecast[report.level].astype(str)).loc[name]
        worst = rows.loc[rows["attainment"].idxmin()]
        text = (f"The {report.level} furthest from target is {name}, at {report.pct(now_row['attainment'])} on the "
                f"forecast call ({report.pct(now_row['probability'])} chance)")
        if worst["attainment"] < now_row["attainment"] - 0.005:
            text += f"; '{worst['scenario']}' takes it to {report.pct(worst['attainment'])}"
        sentences.append(text + ".")
    return sentences, headlines


def territory_quota_findings(report) -> Findings:
    """Three to five sentences, the headline figures and the fairness alert for the territory quota notebook."""
    cal = calibration(report.ds, report.period)
    sentences = [calibration_sentence(report, cal)]
    fair, alerts = fairness_sentence(report, cal)
    sentences += [fair, ramp_sentence(report, cal)]
    headlines = {}
    if not cal.empty:
        outside = int((~cal["fair"].astype(bool)).sum())
        # a yearly figure, set beside the period's target it is split against, so neither is read as the other
        target = cal["target_amount"].fillna(0).sum()
        beside = f", beside a {report.money(target)} {report.period.label} target" if target > 0 else ""
        headlines = {"Calibrated quota (yearly)": f"{report.money(cal['quota'].sum())} a year{beside}",
                     "Outside fairness band": f"{outside} of {len(cal)}"}
    if not cal.empty and cal["target_amount"].fillna(0).sum() <= 0:
        # without a target the calibration and the what-if both lack their yardstick: said once, not twice in a row
        sentences[0] = (f"No target is set for {report.period.label}, so neither the calibrated quota nor the what-if "
                        "has a target to measure against.")
        whatif_headlines = {}
    else:
        more, whatif_headlines = whatif_sentences(report, whatif.build_base(report.ds, report.period))
        sentences += more
    headlines.update(whatif_headlines)
    return Findings([s for s in sentences if s][:5], headlines=headlines, alerts=alerts)
