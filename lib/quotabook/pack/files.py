"""The pack folder's lock: one build writes into a folder at a time, and a folder it cannot write is refused
before anything runs. The atomic writes every pack output goes through live in :mod:`quotabook.files` (and
are re-exported here)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import PackError
from ..files import (
    DiskFullError,
    atomic_output,
    atomic_write_bytes,
    atomic_write_text,
    disk_full,
    is_disk_full,
    remove_stale_temporaries,
    temporary_path,
)

__all__ = ["LOCK", "DiskFullError", "atomic_output", "atomic_write_bytes", "atomic_write_text", "disk_full",
           "is_disk_full", "pack_lock", "remove_stale_temporaries", "temporary_path"]

#: The lock file in a pack folder, held by the build writing into it.
LOCK = ".quotabook.lock"


def _unwritable(folder: Path, exc: OSError) -> PackError:
    reason = exc.strerror or str(exc)
    return PackError(f"the pack folder {folder} is not writable ({reason}); nothing was run — choose another "
                     "--out or fix its permissions")


@contextlib.contextmanager
def pack_lock(folder: Path) -> Iterator[Path]:
    """Create the pack folder, check it is writable and hold its lock for the block (yields the folder).

    Checked before anything executes, so a read-only ``--out``, or one that is a file, is reported as
    such at once (not after every notebook ran, hidden behind a clean-up error). The lock (POSIX
    ``flock`` on :data:`LOCK`, released by the system even if the build is killed) keeps a second build
    from writing into the same folder at once: it is refused, naming the build that holds the folder.

    Raises
    ------
    PackError
        The folder cannot be created or written, or another build holds it.
    """
    folder = Path(folder)
    for parent in (folder, *folder.parents):
        if parent.exists() and not parent.is_dir():
            raise PackError(f"cannot write the pack into {folder}: {parent} is a file, not a folder")
        if parent.is_dir():
            break
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle = open(folder / LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held open for the whole block
    except OSError as exc:
        raise _unwritable(folder, exc) from None
    with handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no lock
            fcntl = None
        if fcntl is not None:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                owner = handle.read().strip() or "unknown"
                raise PackError(f"another pack build (process {owner}) is writing into {folder}; wait for it "
                                "to finish, or build into another --out") from None
        try:
            handle.seek(0)
            handle.truncate()
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            probe = temporary_path(folder / ".write-check")
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise _unwritable(folder, exc) from None
        yield folder
