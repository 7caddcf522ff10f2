"""A pack's cache of validated region datasets: each region's slice is read and validated once per pack, not
once per notebook.

A pack runs seven notebooks per region, and each one starts by loading its region (read the files, validate
them, slice the region: seconds per notebook). When ``$QUOTABOOK_CACHE_DIR`` names a folder (the pack sets it
for its kernels), :func:`cached` keeps each loaded region there as a pickle, keyed by everything that decides
its content: the files of the source (path, size, modification time), the workbook settings, the region and
quotabook's version. Any change to one of them is a new key, so a stale slice can never be served. Only file
sources (the demo, a folder of table files) are cached; a database is read afresh, since its rows change
without a file to fingerprint. The folder is private to one pack build and removed with it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dataset import Dataset
    from .settings import Settings

__all__ = ["ENV", "cached", "exclusive", "source_key"]

#: The environment variable naming the cache folder; unset (the default) means no cache.
ENV = "QUOTABOOK_CACHE_DIR"


@contextlib.contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (POSIX ``flock``; a no-op where there is none), so that of
    several processes asking for the same thing at once, one makes it while the others wait."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(lock_path, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _source_folder(source: str | os.PathLike | None) -> Path | None:
    """The folder behind a file source, or None for anything else (databases, mapping YAMLs)."""
    from .loading import DEMO, demo_folder

    if source is None or str(source) == DEMO:
        return demo_folder()
    text = str(source)
    if "://" in text or text.startswith("env:"):
        return None
    path = Path(text).expanduser()
    return path.resolve() if path.is_dir() else None


def source_key(source: str | os.PathLike | None, region: str | None, settings: Settings) -> str | None:
    """The cache key of ``source`` sliced to ``region`` under ``settings``, or None when it is not cacheable."""
    from . import __version__

    folder = _source_folder(source)
    if folder is None or not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    digest.update(repr(settings).encode())
    digest.update(f"{folder}\0{region!r}\0{__version__}".encode())  # repr: None is not "None"
    return digest.hexdigest()[:32]


def cached(source: str | os.PathLike | None, region: str | None, settings: Settings,
           build: Callable[[], Dataset]) -> Dataset:
    """``build()``, or its result from an earlier call with the same key in this pack's cache folder.

    Without ``$QUOTABOOK_CACHE_DIR`` or for a source that cannot be fingerprinted, simply ``build()``.
    A cache file that cannot be read (damaged, or from another Python) is rebuilt, never trusted.
    """
    folder = os.environ.get(ENV, "").strip()
    key = source_key(source, region, settings) if folder else None
    if key is None:
        return build()
    cache = Path(folder)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"{key}.pickle"
    with exclusive(cache / f".{key}.lock"):
        if path.is_file():
            try:
                with open(path, "rb") as handle:
                    return pickle.load(handle)
            except Exception:  # a damaged cache file is rebuilt, whatever its fault
                path.unlink(missing_ok=True)
        ds = build()
        from .pack.files import atomic_output  # written whole or not at all, as every pack output

        with atomic_output(path) as partial, open(partial, "wb") as handle:
            pickle.dump(ds, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return ds
