"""A pack's cache of validated region datasets: each region's slice is read and validated once per pack, not
once per notebook.

A pack runs seven notebooks per region, and each one starts by loading its region (read the files, validate
them, slice the region: seconds per notebook). When ``$QUOTABOOK_CACHE_DIR`` names a folder (the pack sets it
for its kernels), :func:`cached` keeps each loaded region there as a pickle, keyed by everything that decides
its content: the files of the source (path, size, modification time), the workbook settings, the region and
quotabook's version. Any change to one of them is a new key, so a stale slice can never be served. Only file
sources (the demo, a folder of table files) are cached; a database is read afresh, since its rows change
without a file to fingerprint. The folder is private to one pack build and removed with it
(:func:`private_folder`); it names the build's process in an owner file, so a folder left by a build that was
killed outright (SIGKILL, a power cut) is removed by the next build (:func:`remove_stale_folders`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .dataset import Dataset
    from .settings import Settings

from . import version
from .demo_home import DEMO, demo_folder
from .files import atomic_output, exclusive

__all__ = ["ENV", "PREFIX", "cached", "exclusive", "private_folder", "remove_stale_folders", "source_key"]

#: The environment variable naming the cache folder; unset (the default) means no cache.
ENV = "QUOTABOOK_CACHE_DIR"
#: How a pack's cache folder in the system temporary directory is named.
PREFIX = "quotabook-cache-"
_OWNER = ".owner"


def _process_identity(pid: int) -> str | None:
    """``"<pid> <start time>"`` of a live process (the start time tells a reused pid apart), or None if
    there is no such process. Without ``/proc`` the start time is left out."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:  # no /proc here: is the pid alive at all?
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
        return str(pid)
    fields = stat.rpartition(")")[2].split()
    if fields and fields[0] in ("Z", "X"):  # exited, waiting to be reaped: not running any more
        return None
    return f"{pid} {fields[19]}" if len(fields) > 19 else str(pid)


def remove_stale_folders(root: str | os.PathLike | None = None) -> list[Path]:
    """Remove the cache folders under ``root`` (default: the system temporary directory) whose owning build
    is gone (killed before it could clean up); return them. A folder whose owner still runs, or that has no
    owner file (not made by :func:`private_folder`), is left alone."""
    removed = []
    for folder in Path(root or tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = (folder / _OWNER).read_text(encoding="utf-8").strip()
        except OSError:
            continue
        pid = owner.split()[0] if owner else ""
        if pid.isdigit() and _process_identity(int(pid)) != owner:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


@contextlib.contextmanager
def private_folder() -> Iterator[Path]:
    """A new cache folder in the system temporary directory for one build, owned by this process (see
    :func:`remove_stale_folders`) and removed when the block ends, however it ends."""
    folder = Path(tempfile.mkdtemp(prefix=PREFIX))
    try:
        (folder / _OWNER).write_text(_process_identity(os.getpid()) or str(os.getpid()), encoding="utf-8")
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _source_folder(source: str | os.PathLike | None) -> Path | None:
    """The folder behind a file source, or None for anything else (databases, mapping YAMLs)."""
    if source is None or str(source) == DEMO:
        return demo_folder()
    text = str(source)
    if "://" in text or text.startswith("env:"):
        return None
    path = Path(text).expanduser()
    return path.resolve() if path.is_dir() else None


def source_key(source: str | os.PathLike | None, region: str | None, settings: Settings) -> str | None:
    """The cache key of ``source`` sliced to ``region`` under ``settings``, or None when it is not cacheable."""
    folder = _source_folder(source)
    if folder is None or not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        stat = path.stat()
        digest.update(f"{path.name}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    digest.update(repr(settings).encode())
    digest.update(f"{folder}\0{region!r}\0{version.__version__}".encode())  # repr: None is not "None"
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
        with atomic_output(path) as partial, open(partial, "wb") as handle:
            pickle.dump(ds, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return ds
