"""The demo district: regions, territories, their account executives and each rep's selling habits.

The layout (names, regions, segments) is fixed so notebooks and docs can refer to it; the sizing inputs
and rep traits are drawn from the seed. Two territories changed hands in the last year: their former AE
left, the seat stayed empty for four weeks, and the new hire ramps at the 0.7 capacity factor.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..schemas import SEGMENTS

__all__ = ["Org", "build_org"]

DISTRICT = "North America"

# (territory, region, segment, account executive): 4 regions, 3-5 territories each.
LAYOUT: tuple[tuple[str, str, str, str], ...] = (
    ("EAST-01", "East", "Enterprise", "Olivia Bennett"),
    ("EAST-02", "East", "Mid-Market", "Marcus Chen"),
    ("EAST-03", "East", "Mid-Market", "Priya Raman"),
    ("EAST-04", "East", "SMB", "Daniel Okafor"),
    ("EAST-05", "East", "SMB", "Hannah Whitfield"),
    ("CENTRAL-01", "Central", "Mid-Market", "Carlos Mendoza"),
    ("CENTRAL-02", "Central", "SMB", "Emily Nakamura"),
    ("CENTRAL-03", "Central", "Enterprise", "Jason Park"),
    ("WEST-01", "West", "Enterprise", "Sophie Laurent"),
    ("WEST-02", "West", "Mid-Market", "Tyler Brooks"),
    ("WEST-03", "West", "SMB", "Aisha Johnson"),
    ("WEST-04", "West", "Mid-Market", "Ryan O'Connor"),
    ("SOUTH-01", "South", "Mid-Market", "Grace Holloway"),
    ("SOUTH-02", "South", "SMB", "Miguel Santos"),
    ("SOUTH-03", "South", "SMB", "Rachel Kim"),
    ("SOUTH-04", "South", "Enterprise", "Brandon Hayes"),
)

# Territories whose AE was hired within the last 12 months: former AE, months before the snapshot.
RAMPING: dict[str, tuple[str, int]] = {"CENTRAL-03": ("Kevin Doyle", 9), "WEST-04": ("Laura Fischer", 5)}
RAMP_CAPACITY = 0.70  # a new hire carries 70% capacity for the first 12 months
VACANCY_BD = 20  # business days a seat stays empty between the leaver and the new hire

TAM_MEDIAN = np.array([12e6, 35e6, 90e6])  # total addressable market per territory, by segment (USD)


@dataclass(frozen=True)
class Org:
    """Territories plus per-territory rep traits as arrays aligned with ``territories`` rows.

    Times (``leave_bd``, ``hire_bd``) are business-day floats on the simulation clock; a territory
    without a change of AE has ``leave_bd = hire_bd = -inf``.
    """

    territories: pd.DataFrame
    seg: np.ndarray  # segment index into SEGMENTS
    owner: np.ndarray  # current AE
    former: np.ndarray  # former AE, "" when none
    leave_bd: np.ndarray
    hire_bd: np.ndarray
    capacity: np.ndarray  # capacity factor of the current AE (0-1)
    reach: np.ndarray  # relative deal flow from market size and propensity (mean 1)
    skill: np.ndarray  # baseline win rate of the rep, 0-1
    efficiency: np.ndarray  # 0 = efficient prospector ... 1 = needs many dials per opportunity
    speed: np.ndarray  # multiplier on time in stage
    optimism: np.ndarray  # first close date as a share of the realistic cycle
    push_days: np.ndarray  # typical close-date push, calendar days

    @property
    def n(self) -> int:
        return len(self.seg)

    def active(self, terr: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Whether the territory had an AE at business-day time ``x`` (False while the seat was empty)."""
        return ~((x >= self.leave_bd[terr]) & (x < self.hire_bd[terr]))

    def owner_at(self, terr: np.ndarray, x: np.ndarray) -> np.ndarray:
        """The AE in the seat at time ``x``: the former AE before they left, else the current AE."""
        former = (x < self.leave_bd[terr]) & (self.former[terr] != "")
        return np.where(former, self.former[terr], self.owner[terr])

    def capacity_at(self, terr: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Capacity factor in the seat at time ``x``: 0 while vacant, the ramp factor after a hire."""
        ramping = self.former[terr] != ""
        cap = np.where(ramping & (x < self.leave_bd[terr]), 0.95, self.capacity[terr])
        return np.where(self.active(terr, x), cap, 0.0)


def build_org(rng: np.random.Generator, snapshot_bd: int) -> Org:
    """Draw the district's sizing inputs and rep traits.

    Win-rate skill is a permutation of a fixed 18%-38% spread (CSO Insights' 22-35% band, widened so reps
    visibly differ); prospecting efficiency leans against skill, as in InsightSquared's SDR table where the
    rep with the fewest dials sources the most deals.
    """
    n = len(LAYOUT)
    ids, regions, segments, owners = (np.array(col, dtype=object) for col in zip(*LAYOUT, strict=True))
    seg = np.array([SEGMENTS.index(s) for s in segments])
    former = np.array([RAMPING.get(t, ("", 0))[0] for t in ids], dtype=object)
    months_ago = np.array([RAMPING.get(t, ("", 0))[1] for t in ids])
    ramping = former != ""
    hire_bd = np.where(ramping, snapshot_bd - months_ago * 21.7, -np.inf)
    leave_bd = np.where(ramping, hire_bd - VACANCY_BD, -np.inf)

    tam = np.round(TAM_MEDIAN[seg] * rng.lognormal(0.0, 0.3, n), -5)
    propensity = np.round(rng.uniform(0.35, 0.80, n), 2)
    capacity = np.where(ramping, RAMP_CAPACITY, np.round(rng.uniform(0.8, 1.0, n), 2))
    reach = np.sqrt(tam / TAM_MEDIAN[seg] * propensity / 0.575)
    reach = reach / reach.mean()

    skill = rng.permutation(np.linspace(0.20, 0.38, n)) + rng.normal(0.0, 0.01, n)
    efficiency = np.clip(1.0 - (skill - 0.18) / 0.2 + rng.normal(0.0, 0.25, n), 0.0, 1.0)
    territories = pd.DataFrame(
        {
            "territory": pd.array(ids, dtype="str"),
            "region": pd.array(regions, dtype="str"),
            "district": pd.array([DISTRICT] * n, dtype="str"),
            "owner": pd.array(owners, dtype="str"),
            "segment": pd.array(segments, dtype="str"),
            "tam": tam.astype(float),
            "propensity": propensity.astype(float),
            "capacity_factor": capacity.astype(float),
        }
    )
    return Org(
        territories=territories,
        seg=seg,
        owner=owners,
        former=former,
        leave_bd=leave_bd,
        hire_bd=hire_bd,
        capacity=capacity,
        reach=reach,
        skill=skill,
        efficiency=efficiency,
        speed=rng.uniform(0.85, 1.2, n),
        optimism=rng.uniform(0.7, 1.05, n),
        push_days=rng.uniform(9.0, 30.0, n),
    )
