"""quotabook's version, read from the installed package's metadata (``pyproject.toml`` is its one source).

Read on first use (``quotabook.__version__``, :func:`package_version`): ``importlib.metadata`` is not needed
to import the package, and a kernel that never asks for the version does not load it.
"""

from __future__ import annotations

import functools

__all__ = ["package_version", "source_sha256"]  # and __version__, through __getattr__


@functools.cache
def package_version() -> str:
    """The version pip recorded for the ``quotabook`` distribution; ``0+unknown`` when the package is run
    from a source tree that was never installed (its version then cannot be known)."""
    from importlib.metadata import PackageNotFoundError, version  # deferred: it imports the email package

    try:
        return version("quotabook")
    except PackageNotFoundError:
        return "0+unknown"


def source_sha256() -> str:
    """A SHA-256 over the package's files (code, metric catalog, defaults), read now: code edited under the
    same version number is other code (a pack's fingerprint, the metric cache's key)."""
    import hashlib
    from pathlib import Path

    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                       and p.suffix not in (".pyc", ".pyo")):
        digest.update(f"{path.relative_to(root).as_posix()}\0".encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def __getattr__(name: str) -> str:
    """``quotabook.version.__version__``, read from the metadata on first use."""
    if name == "__version__":
        return package_version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
