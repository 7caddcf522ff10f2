"""Atomic writes and file locks: a file is replaced whole or not at all, and one process makes what several
ask for at once.

Each file is written to a hidden temporary file in the same folder (same file system, so ``os.replace``
is an atomic rename), flushed and synced, then renamed over the target. An interrupted pack therefore
leaves either the previous good file or the new one, never a truncated one; stray temporaries are
hidden dot-files that the next run removes. Every file a pack writes goes through here: executed
notebooks, HTML pages, PDFs, ``manifest.json``, ``index.html`` and kernel logs (see
:func:`atomic_output`).

A full disk (``ENOSPC``, or a quota: ``EDQUOT``) raises :class:`DiskFullError`, which names the file
that could not be written; the temporary is removed and the previous file, if any, is left as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import PackError

__all__ = ["DiskFullError", "atomic_output", "atomic_write_bytes", "atomic_write_text", "disk_full", "exclusive",
           "is_disk_full", "remove_stale_temporaries", "temporary_path"]

_TMP_TAG = ".qbtmp"
_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}


class DiskFullError(PackError, OSError):
    """A pack output could not be written because its disk (or quota) is full.

    Both a :class:`~quotabook.errors.PackError` (the CLI prints its message) and an ``OSError`` (code that
    handles I/O errors still catches it). ``path`` is the file that was being written.
    """

    def __init__(self, path: os.PathLike | str, detail: str = ""):
        self.path = Path(path)
        self.detail = detail
        message = (f"disk full: could not write {self.path} ({detail or 'no space left on device'}); "
                   "the previous version of the file, if any, is unchanged — free some space and run again "
                   "with --resume")
        PackError.__init__(self, message)
        self.errno = errno.ENOSPC
        self.filename = str(self.path)

    def __str__(self) -> str:
        return self.message

    def __reduce__(self):  # survives a process pool
        return (DiskFullError, (str(self.path), self.detail))


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (or what it was raised from) says the disk or quota is full."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, DiskFullError) or (isinstance(exc, OSError) and exc.errno in _FULL):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def disk_full(target: os.PathLike | str, exc: BaseException) -> DiskFullError:
    """The :class:`DiskFullError` for ``exc`` while writing ``target`` (``exc`` itself if it already is one)."""
    if isinstance(exc, DiskFullError):
        return exc
    return DiskFullError(target, getattr(exc, "strerror", None) or str(exc))


def temporary_path(target: Path) -> Path:
    """A hidden sibling of ``target`` unique to this process, same suffix: ``.<name>.<pid>.qbtmp<suffix>``
    (papermill warns about output names that do not end in ``.ipynb``)."""
    return target.with_name(f".{target.name}.{os.getpid()}{_TMP_TAG}{target.suffix}")


@contextlib.contextmanager
def atomic_output(target: Path, *, keep: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write ``target`` through (e.g. by a library or a child process).

    When the block ends without an exception the temporary replaces ``target`` (if ``keep``; otherwise it
    is discarded); in every case no temporary remains. A full disk while writing or renaming raises
    :class:`DiskFullError` naming ``target``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(target)
    try:
        try:
            yield tmp
            if keep:
                os.replace(tmp, target)
        except OSError as exc:
            if is_disk_full(exc):
                raise disk_full(target, exc) from exc
            raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_bytes(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (creating its folder) and return ``target``.

    Raises :class:`DiskFullError` (``target`` unchanged, no temporary left) when the disk is full.
    """
    target = Path(target)
    with atomic_output(target) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    return target


def atomic_write_text(target: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``target`` atomically."""
    return atomic_write_bytes(target, text.encode("utf-8"))


def remove_stale_temporaries(folder: Path) -> int:
    """Delete temporaries left by an interrupted earlier run under ``folder``; return how many."""
    count = 0
    for path in Path(folder).rglob(f".*{_TMP_TAG}*"):
        with contextlib.suppress(OSError):
            path.unlink()
            count += 1
    return count


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
