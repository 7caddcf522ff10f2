"""Atomic writes: a report is replaced whole or not at all.

Each file is written to a hidden temporary file in the same folder (same file system, so ``os.replace``
is an atomic rename), flushed and synced, then renamed over the target. An interrupted pack therefore
leaves either the previous good file or the new one, never a truncated one; stray temporaries are
hidden dot-files that the next run removes.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text", "remove_stale_temporaries", "temporary_path"]

_TMP_TAG = ".qbtmp"


def temporary_path(target: Path) -> Path:
    """A hidden sibling of ``target`` unique to this process, same suffix: ``.<name>.<pid>.qbtmp<suffix>``
    (papermill warns about output names that do not end in ``.ipynb``)."""
    return target.with_name(f".{target.name}.{os.getpid()}{_TMP_TAG}{target.suffix}")


def atomic_write_bytes(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (creating its folder) and return ``target``."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(target)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
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
