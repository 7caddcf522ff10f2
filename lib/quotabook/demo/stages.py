"""The stage map as the demo simulation needs it: open stages in order, then the won and lost stages.

Stage-dependent behaviour (forecast category, evidence flags, where deals are lost) is declared on a
five-stage template and interpolated on each stage's relative position, so a workbook with a different
number of open stages still gets a sensible demo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["StageMap"]


@dataclass(frozen=True)
class StageMap:
    """Open stages by order, then won and lost; ``prob``, ``closed`` and ``won`` index like ``names``."""

    names: tuple[str, ...]
    prob: np.ndarray
    closed: np.ndarray
    won_flag: np.ndarray
    proposal: int  # first open stage of the Proposal funnel step (where pricing is discussed)

    @classmethod
    def from_settings(cls, settings) -> StageMap:
        ordered = sorted(settings.stages, key=lambda s: s.order)
        open_ = [s for s in ordered if not s.is_closed]
        won = next(s for s in ordered if s.is_won)
        lost = next(s for s in ordered if s.is_closed and not s.is_won)
        stages = [*open_, won, lost]
        proposals = [i for i, s in enumerate(open_) if s.funnel_step == "Proposal"]
        proposal = proposals[0] if proposals else max(len(open_) - 2, 0)
        return cls(
            names=tuple(s.name for s in stages),
            prob=np.array([s.probability for s in stages], dtype=float),
            closed=np.array([s.is_closed for s in stages]),
            won_flag=np.array([s.is_won for s in stages]),
            proposal=proposal,
        )

    @property
    def k(self) -> int:
        """Number of open stages."""
        return len(self.names) - 2

    @property
    def won(self) -> int:
        return self.k

    @property
    def lost(self) -> int:
        return self.k + 1

    def position(self) -> np.ndarray:
        """Relative position of each open stage, 0 (first) to 1 (last)."""
        return np.linspace(0.0, 1.0, self.k) if self.k > 1 else np.ones(1)

    def along(self, template: np.ndarray) -> np.ndarray:
        """Interpolate a five-stage template (last axis) onto this map's open stages."""
        grid = np.linspace(0.0, 1.0, np.shape(template)[-1])
        rows = np.atleast_2d(template)
        out = np.stack([np.interp(self.position(), grid, row) for row in rows])
        return out if np.ndim(template) > 1 else out[0]
