"""A pack's cache of computed metric values: each metric of a scope, period, as-of date and grouping is
computed once per pack build and shared by the notebooks of that scope.

The seven notebooks of a region ask for many of the same catalog metrics (closed, target, coverage, win rate
… by territory and for the region), each in its own kernel. When ``$QUOTABOOK_CACHE_DIR`` names a folder (the
pack sets it for its kernels, as for the data cache of :mod:`quotabook.cache`), :func:`compute` keeps every
value it evaluates (the metrics asked for and the ones they are built from, with a ratio's numerator and
denominator) in one file per *frame key*, and a later call with the same key starts from them instead of
recomputing. The key holds everything that decides a value:

- the dataset: the source key of the data cache (the source's files by name, size and modification time, the
  workbook settings, the region, quotabook's version) plus the as-of date, registered by
  :func:`quotabook.notebook.start` for the dataset it loaded (:func:`register`);
- the period (its bounds and kind), the grouping (``by``), the metric catalog (every declaration) and
  quotabook's code (a digest of the package's files).

Only a registered dataset is cached: a dataset derived from it (``ds.as_of(day)``, a ``replace`` with other
rows) or built by hand has no key and is computed afresh, as is any dataset whose tables were swapped after
it was registered. A result a view builds from such derived datasets (the quarter trend reads eight
quarters, each on ``ds.as_of(day)``) can be kept whole with :func:`remember`, keyed by the registered
dataset it was derived from. A database source has no files to fingerprint and is never cached. The folder is private to
one build and removed with it, so no value outlives the build that computed it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import json
import os
import pickle
import warnings
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from ..dataset import Dataset
    from ..fiscal import Period
    from .catalog import Catalog

__all__ = ["FOLDER", "RESULTS", "FrameStore", "catalog_digest", "dataset_key", "register", "remember", "store_for"]

#: The sub-folder of the pack's cache folder holding the metric values.
FOLDER = "metrics"
#: The sub-folder holding whole results of views (:func:`remember`).
RESULTS = "results"

T = TypeVar("T")

#: Registered datasets: id -> (weak reference, key, identity of its tables when registered).
_REGISTRY: dict[int, tuple[weakref.ref, str, tuple]] = {}
#: Frame files already read in this process: path -> ((size, mtime), values), so a file is unpickled once
#: until another kernel adds to it.
_READ: dict[Path, tuple[tuple[int, int], dict]] = {}

Values = dict  # metric name -> (value, numerator, denominator), as ``Context.cache`` holds them


def _tables(ds: Dataset) -> tuple:
    """What tells a dataset's tables apart from others put in their place: each one's identity and size."""
    from ..dataset import TABLES

    return tuple((id(frame := getattr(ds, name)), len(frame)) for name in TABLES)


def register(ds: Dataset, source, region: str | None) -> str | None:
    """Record that ``ds`` is ``source`` sliced to ``region`` as :func:`quotabook.load` returned it, so its
    metrics can be cached; return its key, or None when nothing is cached (no cache folder, or a source that
    cannot be fingerprinted, such as a database)."""
    from ..cache import ENV, source_key

    if not os.environ.get(ENV, "").strip():
        return None
    base = source_key(source, region, ds.settings)
    if base is None:
        return None
    key = dataset_key(base, ds)
    for stale in [k for k, (ref, *_rest) in _REGISTRY.items() if ref() is None]:
        del _REGISTRY[stale]
    _REGISTRY[id(ds)] = (weakref.ref(ds), key, _tables(ds))
    return key


def dataset_key(base: str, ds: Dataset) -> str:
    """The key of a registered dataset: its source key with the as-of date it was moved to (None: as loaded)
    and the date it reports as of."""
    return hashlib.sha256(f"{base}\0{ds.as_of_date!r}\0{ds.reference_date!r}".encode()).hexdigest()[:32]


def _registered(ds: Dataset) -> str | None:
    entry = _REGISTRY.get(id(ds))
    if entry is None or entry[0]() is not ds or entry[2] != _tables(ds):
        return None
    return entry[1]


def _canonical(value) -> object:
    """JSON for the parts of a declaration JSON cannot hold: sets sorted (their order differs between
    processes), anything else as text."""
    return sorted(map(str, value)) if isinstance(value, (set, frozenset)) else str(value)


@functools.lru_cache(maxsize=8)
def catalog_digest(catalog: Catalog) -> str:
    """A digest of every declaration of ``catalog`` (the same in every process)."""
    text = json.dumps([dataclasses.asdict(m) for m in catalog], sort_keys=True, default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()


@functools.cache
def _code_digest() -> str:
    """quotabook's version and a digest of its files (measures, catalog, defaults): other code, other values."""
    from ..version import package_version, source_sha256

    return f"{package_version()}\0{source_sha256()}"


def _frame_key(dataset: str, period: Period, by: tuple[str, ...], catalog: Catalog) -> str:
    parts = [dataset, period.label, repr(period.start), repr(period.end), period.kind, json.dumps(list(by)),
             catalog_digest(catalog), _code_digest()]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


@dataclasses.dataclass(frozen=True)
class FrameStore:
    """The cached metric values of one frame key: :meth:`read` what earlier calls computed, :meth:`add`
    what this call computed."""

    path: Path

    def read(self) -> Values:
        """The values computed so far (empty when none, or when the file cannot be read: recomputed, never
        trusted)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return {}
        signature = (stat.st_size, stat.st_mtime_ns)
        seen = _READ.get(self.path)
        if seen is not None and seen[0] == signature:
            return dict(seen[1])
        try:
            with open(self.path, "rb") as handle:
                values = pickle.load(handle)
        except Exception:  # damaged or from another Python: ignored, and replaced by the next add
            return {}
        if not isinstance(values, dict):
            return {}
        _READ[self.path] = (signature, values)
        return dict(values)

    def add(self, values: Values) -> None:
        """Merge ``values`` into the file (under a lock: two kernels of a region may add at once; a value
        already there is kept), written whole or not at all."""
        from ..files import atomic_output, exclusive

        with exclusive(self.path.with_name(f".{self.path.stem}.lock")):
            stored = self.read()
            new = {name: value for name, value in values.items() if name not in stored}
            if not new:
                return
            stored.update(new)
            with atomic_output(self.path) as partial, open(partial, "wb") as handle:
                pickle.dump(stored, handle, protocol=pickle.HIGHEST_PROTOCOL)
            with contextlib.suppress(OSError):
                stat = self.path.stat()
                _READ[self.path] = ((stat.st_size, stat.st_mtime_ns), stored)


def store_for(ds: Dataset, period: Period, by: tuple[str, ...], catalog: Catalog) -> FrameStore | None:
    """The store of ``ds``'s metrics for ``period`` grouped by ``by`` under ``catalog``, or None when they are
    not cached (no cache folder, or ``ds`` not registered)."""
    from ..cache import ENV

    folder = os.environ.get(ENV, "").strip()
    dataset = _registered(ds) if folder else None
    if dataset is None:
        return None
    target = Path(folder) / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    return FrameStore(target / f"{_frame_key(dataset, period, by, catalog)}.pickle")



def remember(ds: Dataset, name: str, parts: Sequence[str], make: Callable[[], T]) -> T:
    """``make()``, computed once per pack build for ``ds`` and shared by the notebooks of its scope.

    For a view whose result is built from datasets derived from ``ds`` (``ds.as_of(day)`` for each of eight
    quarters), which the metric values cannot be keyed by, and which two notebooks of a scope both show.
    The result is kept in the build's cache folder under the key of ``ds`` (see :func:`register`), ``name``,
    ``parts`` (everything else the result depends on, as text: period, grouping, options, catalog digest)
    and quotabook's code. Notebooks asking at once wait for the first to compute it (a lock). The warnings
    ``make`` gave and the catalog metrics it noted as shown are kept with the result and given and noted
    again on every reading, so each page shows the same data notes and glossary either way. Without a
    cache folder, or for a dataset that is not registered, this is ``make()``.
    """
    from ..cache import ENV
    from ..files import atomic_output, exclusive
    from .catalog import note_shown, shown_during

    folder = os.environ.get(ENV, "").strip()
    dataset = _registered(ds) if folder else None
    if dataset is None:
        return make()
    key = hashlib.sha256("\0".join([dataset, name, *parts, _code_digest()]).encode()).hexdigest()[:32]
    target = Path(folder) / RESULTS / f"{name}-{key}.pickle"
    target.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(target.with_name(f".{target.stem}.lock")):
        kept = _read_result(target)
        if kept is None:
            with warnings.catch_warnings(record=True) as caught, shown_during() as shown:
                warnings.simplefilter("always")
                value = make()
            kept = (value, [(str(w.message), w.category, w.filename, w.lineno) for w in caught], shown)
            with atomic_output(target) as partial, open(partial, "wb") as handle:
                pickle.dump(kept, handle, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            note_shown(kept[2])  # the page's glossary lists what the result was computed from
    value, given, _shown = kept
    registry: dict = {}  # each warning once per place, as Python's default filter shows it
    for message, category, filename, lineno in given:
        warnings.warn_explicit(message, category, filename, lineno, registry=registry)
    return value


def _read_result(path: Path) -> tuple | None:
    """A kept ``(value, warnings, metrics shown)``, or None when there is none (or it cannot be read: recomputed)."""
    try:
        with open(path, "rb") as handle:
            kept = pickle.load(handle)
    except Exception:  # none yet, damaged, or from another Python: never trusted
        return None
    return kept if isinstance(kept, tuple) and len(kept) == 3 else None
