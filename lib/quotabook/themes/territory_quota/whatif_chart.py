"""The what-if app's live chart: projected bookings against target per territory, as inline SVG built directly.

Every slider move redraws it, so it is drawn without matplotlib (a figure saved as SVG takes a few hundred
milliseconds; this takes about one for 30 bars, inside the what-if's 50 ms budget per move, see
``benchmarks/whatif_benchmark.py``). It keeps the house look: the category colours of :mod:`quotabook.style`
(Closed green, Target vermilion; what is still expected in Commit's blue, lighter, as it is not all Commit),
compact money from :func:`quotabook.text.currency_text`, a title that states the
finding and a subtitle saying what is plotted. Text stays text (selectable, searchable, read by screen
readers); names from the data are masked (:mod:`quotabook.privacy`) and escaped.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from ... import privacy
from ...style import PALETTE
from ...text import currency_text

__all__ = ["EXPECTED", "LIMIT", "projection_svg", "projection_title"]

#: The part of a projection still to come (open deals and new pipeline), beside Closed.
EXPECTED = "Expected from open deals and new pipeline"
#: Most territories drawn; beyond it, those furthest short of target (then furthest past it) are shown.
LIMIT = 30

_WIDTH, _LABEL, _RIGHT, _ROW, _TOP, _BOTTOM = 860, 130, 24, 22, 58, 52
_FONT = "font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif"


def _text(value) -> str:
    return html.escape(privacy.mask(str(value)))


def projection_title(table: pd.DataFrame, currency: str, scope: str, period: str) -> str:
    """The finding: how many territories are projected short of target and which by most."""
    target = table["target"].to_numpy("float64")
    gap = target - table["projected"].to_numpy("float64")
    with_target = np.nan_to_num(target) > 0
    short = with_target & (gap > 0.5)
    if not with_target.any():
        return f"{scope}: no target is set for {period}"
    if not short.any():
        return f"Every territory with a target is projected to reach it ({int(with_target.sum())})"
    worst = int(np.argmax(np.where(short, gap, -np.inf)))
    name, missing = table["territory"].to_numpy()[worst], currency_text(gap[worst], currency)
    if with_target.sum() == 1:
        return f"{name} is projected {missing} short of target"
    count = f"All {int(with_target.sum())}" if short.sum() == with_target.sum() else \
        f"{int(short.sum())} of {int(with_target.sum())}"
    return f"{count} territories are projected short of target; {name} by {missing}"


def _shown(target: np.ndarray, projected: np.ndarray, limit: int) -> np.ndarray:
    """Positions of at most ``limit`` rows, in order: all of them, or those furthest short of target."""
    if len(target) <= limit:
        return np.arange(len(target))
    gap = np.where(np.isnan(target), -np.inf, target - projected)
    return np.sort(np.argsort(-gap, kind="stable")[:limit])


def projection_svg(table: pd.DataFrame, *, currency: str, scope: str, period: str, limit: int = LIMIT) -> str:
    """Horizontal bars per territory: Closed, then what open deals and new pipeline are expected to add (the
    projection), with the target as a tick on each bar; ``<svg>`` markup.

    Parameters
    ----------
    table : one row per territory: ``territory``, ``closed``, ``projected`` and ``target`` (currency; target
        may be missing), as :func:`quotabook.themes.territory_quota.whatif.project` gives them (``closed`` from its
        base).
    scope, period : who and when, for the title.
    limit : most bars drawn (:data:`LIMIT`); the subtitle says how many of how many are shown.
    """
    title = projection_title(table, currency, scope, period)
    target, projected = table["target"].to_numpy("float64"), table["projected"].to_numpy("float64")
    rows = _shown(target, projected, limit)
    subtitle = f"{period}: projected bookings per territory under this scenario, against target"
    if len(rows) < len(table):
        subtitle += f" (the {len(rows)} of {len(table)} furthest short of target)"
    closed = np.maximum(np.nan_to_num(table["closed"].to_numpy("float64")[rows]), 0.0)
    projected = np.maximum(np.nan_to_num(projected[rows]), closed)
    target = target[rows]
    ticks = MaxNLocator(nbins=5).tick_values(0.0, max(float(np.nanmax(np.r_[projected, target, 1.0])), 1.0))
    top = float(ticks[-1])
    plot = _WIDTH - _LABEL - _RIGHT
    height = _TOP + _ROW * len(rows) + _BOTTOM

    def x(value: np.ndarray | float) -> np.ndarray:
        return _LABEL + np.asarray(value, dtype="float64") / top * plot

    parts = [f"<text x='4' y='18' font-size='15' font-weight='bold'>{_text(title)}</text>",
             f"<text x='4' y='38' font-size='12' fill='#444'>{_text(subtitle)}</text>"]
    for tick in ticks:
        px = float(x(tick))
        parts.append(f"<line x1='{px:.1f}' x2='{px:.1f}' y1='{_TOP - 4}' y2='{height - _BOTTOM + 4}' "
                     "stroke='#ddd' stroke-width='1'/>"
                     f"<text x='{px:.1f}' y='{height - _BOTTOM + 18}' font-size='11' text-anchor='middle' "
                     f"fill='#444'>{html.escape(currency_text(tick, currency))}</text>")
    green, blue, mark = PALETTE["Closed"], PALETTE["Commit"], PALETTE["Target"]
    names = [_text(n) for n in table["territory"].to_numpy()[rows]]  # masked once per name: the costly part
    x_closed, x_projected, x_target = x(closed), x(projected), x(np.nan_to_num(target))

    def money(value: float) -> str:
        return html.escape(currency_text(value, currency))

    for i, name in enumerate(names):
        y = _TOP + i * _ROW
        parts.append(f"<text x='{_LABEL - 6}' y='{y + 15}' font-size='11' text-anchor='end'>{name}</text>"
                     f"<rect x='{_LABEL}' y='{y + 4}' width='{x_closed[i] - _LABEL:.1f}' height='14' fill='{green}'>"
                     f"<title>{name}: Closed {money(closed[i])}</title></rect>"
                     f"<rect x='{x_closed[i]:.1f}' y='{y + 4}' width='{x_projected[i] - x_closed[i]:.1f}' "
                     f"height='14' fill='{blue}' fill-opacity='0.55'>"
                     f"<title>{name}: projected {money(projected[i])}</title></rect>")
        if np.isfinite(target[i]):
            parts.append(f"<line x1='{x_target[i]:.1f}' x2='{x_target[i]:.1f}' y1='{y + 1}' y2='{y + 21}' "
                         f"stroke='{mark}' stroke-width='3'><title>{name}: target {money(target[i])}</title></line>")
    legend_y = height - 14
    for j, (label, color, shape) in enumerate((("Closed", green, "rect"), (EXPECTED, blue, "rect"),
                                               ("Target", mark, "line"))):
        lx = 4 + j * 210 if j < 2 else 4 + 2 * 210 + 120
        fade = " fill-opacity='0.55'" if label == EXPECTED else ""
        sample = (f"<rect x='{lx}' y='{legend_y - 9}' width='12' height='10' fill='{color}'{fade}/>"
                  if shape == "rect"
                  else f"<line x1='{lx + 6}' x2='{lx + 6}' y1='{legend_y - 11}' y2='{legend_y + 2}' "
                       f"stroke='{color}' stroke-width='3'/>")
        parts.append(f"{sample}<text x='{lx + 17}' y='{legend_y}' font-size='11'>{_text(label)}</text>")
    return (f"<svg xmlns='http://www.w3.org/2000/svg' class='qb-projection' role='img' "
            f"aria-label='{_text(title)}' viewBox='0 0 {_WIDTH} {height}' width='100%' "
            f"style='max-width:{_WIDTH}px;{_FONT}'><title>{_text(title)}</title>{''.join(parts)}</svg>")
