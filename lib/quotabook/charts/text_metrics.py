"""One cache of text sizes for every chart of a process, instead of one per renderer.

Matplotlib measures each piece of text (a tick label, a title) before it places it, and keeps what it measured
in a cache per *renderer* (``matplotlib.text._get_text_metrics_function``). A chart of the pack is laid out and
printed several times, each time with a new renderer: its layout before its titles are wrapped, the measuring
pass of the SVG print, the tight bounding box and the real draw. So every tick label of every chart was measured
from its font again each time: an eighth of what the notebooks' cells cost, in FreeType calls.

A text's size depends on nothing of the renderer but its kind and resolution: the SVG renderer measures
glyph outlines at a fixed scale, without hinting; Agg measures at its dpi with the configured hinting. So
:func:`install` gives renderers of those kinds a cache shared by every renderer of the same kind, dpi and hinting
settings, keyed as matplotlib keys its own (the text, a copy of its font properties, the figure's dpi).
Mathematical text, and renderers of any other kind, keep matplotlib's own cache per renderer. The sizes are the
ones the renderer returns: ``tests/test_charts_text_metrics.py`` prints charts with and without the shared cache and
compares the SVGs.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import matplotlib
import matplotlib.text
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG

__all__ = ["MAX_SIZES", "clear", "install", "installed"]

#: Sizes kept at most; the cache is emptied when it grows past them (a long interactive session).
MAX_SIZES = 200_000

_ORIGINAL = matplotlib.text._get_text_metrics_function
_SIZES: dict[tuple, tuple[float, float, float]] = {}


def _kind(renderer) -> Hashable | None:
    """What decides a text's size on ``renderer`` besides the text, its font and the figure's dpi; None for a
    renderer this module does not know (matplotlib's own cache serves it)."""
    inner = getattr(renderer, "_renderer", renderer)  # the SVG and PDF backends wrap theirs in a MixedModeRenderer
    if type(inner) is RendererSVG:
        return ("svg",)
    if type(inner) is RendererAgg:
        return ("agg", inner.dpi, matplotlib.rcParams["text.hinting"], matplotlib.rcParams["text.hinting_factor"])
    return None


def _shared_function(renderer) -> Callable:
    """``matplotlib.text._get_text_metrics_function``: for a known kind of renderer, a look-up in the cache
    shared by all renderers of that kind, measuring with ``renderer`` on a miss."""
    kind = _kind(renderer)
    if kind is None:
        return _ORIGINAL(renderer)
    own = None

    def metrics(text, fontprop, ismath, dpi):
        nonlocal own
        if ismath:  # mathtext sizes read more settings than the font: matplotlib's cache, per renderer
            own = own or _ORIGINAL(renderer)
            return own(text, fontprop, ismath, dpi)
        key = (kind, text, fontprop, dpi)
        size = _SIZES.get(key)
        if size is None:
            if len(_SIZES) >= MAX_SIZES:
                _SIZES.clear()
            size = _SIZES[key] = renderer.get_text_width_height_descent(text, fontprop, ismath)
        return size

    return metrics


def install() -> None:
    """Share text sizes between renderers from now on, in this process (idempotent)."""
    matplotlib.text._get_text_metrics_function = _shared_function


def installed() -> bool:
    """Whether :func:`install` is in effect."""
    return matplotlib.text._get_text_metrics_function is _shared_function


def clear() -> None:
    """Forget every size kept (after fonts were added or changed in place)."""
    _SIZES.clear()
