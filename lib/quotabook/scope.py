"""The scope of a report, one vocabulary everywhere: one region, or the whole organisation.

Region names come from the data, so no string can safely mean "everything" in Python: there the whole scope
is ``None`` (:data:`quotabook.ALL_REGIONS` is an alias of it), and every string is a region name, matched
case-sensitively as the data spells it (``Dataset.for_region("ALL")`` is the region called "ALL").

Text interfaces (the CLI's ``--regions`` and ``--region``, a pack YAML's ``regions:``, a notebook's ``region``
parameter given with ``papermill -p region …``) need a spelling for the whole scope; they all read the same:

``district``
    the whole organisation (the keyword, exactly so; the "District" of a heading is a region name).
``all``
    every region and the district (in lists of regions only: a notebook runs for one scope).
``region:NAME``
    the region called exactly NAME, whatever NAME is (``region:district``, ``region:all``, ``region:ALL``).
anything else
    a region name, exactly as in the data; a name that differs only in case gets "did you mean".

A region whose name is a keyword (in any case), or starts with ``region:``, is only reachable by its explicit
form; ``quotabook validate`` warns about such names, and a pack passes them to notebooks in that form.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence

from .errors import ConfigError, QuotabookWarning

__all__ = [
    "ALL_REGIONS",
    "EVERY",
    "PREFIX",
    "WHOLE",
    "colliding_regions",
    "collision_notes",
    "parse_region_list",
    "parse_scope",
    "scope_label",
    "scope_parameter",
    "unknown_region",
]

#: The whole organisation as a scope: ``None``, a value no region name in the data can equal (text spells it
#: :data:`WHOLE`, ``district``).
ALL_REGIONS = None
#: The keyword of the whole-organisation scope in text (the CLI, pack YAML, notebook parameters).
WHOLE = "district"
#: The keyword of "every region and the district" in a list of regions.
EVERY = "all"
#: The explicit form of a region name: ``region:NAME`` is the region called NAME, even "district".
PREFIX = "region:"
_KEYWORDS = (WHOLE, EVERY)
_SHOWN = 20  # regions listed in an error message; more are counted


def scope_parameter(region: str | None) -> str:
    """How a scope is written in text: ``"district"`` for the whole scope (``None``), a region's name as it is,
    or ``region:NAME`` when the bare name would read as a keyword (the inverse of :func:`parse_scope`)."""
    if region is None:
        return WHOLE
    return f"{PREFIX}{region}" if _needs_prefix(region) else str(region)


def scope_label(region: str | None) -> str:
    """How a report names its scope: the region's name, or "The district"."""
    return "The district" if region is None else str(region)


def parse_scope(text: str | None, regions: Sequence[str] | None = None, *, key: str = "region") -> str | None:
    """The scope ``text`` names: ``None`` for the whole organisation, else a region name.

    ``regions`` (the names in the data), when given, is checked against; without it the name is checked later,
    by :meth:`quotabook.dataset.Dataset.for_region`. ``None`` (Python's own spelling) is the whole scope.

    Raises
    ------
    ConfigError
        ``all`` (a list keyword) as one scope, an empty name, or a name not in ``regions`` (with "did you mean"
        for a difference of case only, and the keywords for a keyword mistyped).
    """
    if text is None:
        return None
    text = str(text)
    if text.startswith(PREFIX):
        name = text[len(PREFIX):]
        if not name:
            raise ConfigError(f"{text!r} names no region: write region:NAME", key=key)
        _check(name, regions, key)
        return name
    if text == WHOLE:
        if regions is not None and (clash := [r for r in regions if r == WHOLE]):
            warnings.warn(f"'{WHOLE}' means the whole district; the data also has a region named {clash[0]!r}: "
                          f"write {scope_parameter(clash[0])!r} for that region", QuotabookWarning, stacklevel=2)
        return None
    if text == EVERY:
        raise ConfigError(f"'{EVERY}' (every region and the district) is for lists of regions; one report has one "
                          f"scope: '{WHOLE}' for the whole district, or a region name", key=key)
    if not text.strip():
        raise ConfigError(f"empty region name {text!r}: write '{WHOLE}' for the whole district, or a region name",
                          key=key)
    _check(text, regions, key)
    return text


def parse_region_list(items: Iterable[str], regions: Sequence[str], *, key: str = "regions") -> list[str | None]:
    """The scopes a list of regions names, in order, without repeats: ``all`` expands to the district (``None``)
    and every region of ``regions``; each other item as :func:`parse_scope` reads it."""
    chosen: list[str | None] = []
    for item in items:
        chosen += [None, *regions] if item == EVERY else [parse_scope(item, regions, key=key)]
    return list(dict.fromkeys(chosen))


def unknown_region(name: str, regions: Sequence[str], *, key: str = "region") -> ConfigError:
    """The error for a region ``name`` the data does not have: "did you mean" for a difference of case only (or a
    keyword mistyped), then the regions there are (the first 20 and a count)."""
    hints = [repr(r) for r in regions if r.strip().lower() == name.strip().lower()]
    if name.lower() in _KEYWORDS or name.lower() == "all regions":
        keyword = EVERY if name.lower() == EVERY else WHOLE
        hints.append(f"{keyword!r} (the keyword for {'every region and ' if keyword == EVERY else ''}the whole "
                     "district; in Python region=None)")
    listed = ", ".join(map(repr, regions[:_SHOWN])) or "(none)"
    more = f" and {len(regions) - _SHOWN} more" if len(regions) > _SHOWN else ""
    hint = f" (did you mean {' or '.join(hints)}?)" if hints else ""
    return ConfigError(f"unknown region {name!r}{hint}; regions in the data: {listed}{more} (names match exactly, "
                       f"case included; '{WHOLE}' is the whole district)", key=key)


def colliding_regions(regions: Iterable[str]) -> list[str]:
    """Region names a reader could take for a keyword (``district``, ``District``, ``ALL``, ``region:x``):
    ``validate`` warns about them, and ``region:NAME`` is the spelling that can never be misread."""
    return [r for r in regions if _needs_prefix(r) or r.lower() in _KEYWORDS]


def collision_notes(regions: Iterable[str]) -> list[str]:
    """One warning per region of :func:`colliding_regions`, saying how to select it (for ``validate``)."""
    notes = []
    for name in colliding_regions(regions):
        if _needs_prefix(name):
            notes.append(f"region {name!r} is spelled like a keyword of --regions / -p region, which "
                         f"{name!r} keeps meaning: select this region as {PREFIX}{name}")
        else:
            notes.append(f"region {name!r} differs only in case from the keyword {name.lower()!r}: {name!r} "
                         f"selects the region (names match exactly), {PREFIX}{name} says so unambiguously")
    return notes


def _needs_prefix(name: str) -> bool:
    return name in _KEYWORDS or name.startswith(PREFIX)


def _check(name: str, regions: Sequence[str] | None, key: str) -> None:
    if regions is not None and name not in regions:
        raise unknown_region(name, list(regions), key=key)
