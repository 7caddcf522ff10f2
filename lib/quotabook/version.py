"""quotabook's version, read from the installed package's metadata (``pyproject.toml`` is its one source)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]


def _installed_version() -> str:
    """The version pip recorded for the ``quotabook`` distribution; ``0+unknown`` when the package is run
    from a source tree that was never installed (its version then cannot be known)."""
    try:
        return version("quotabook")
    except PackageNotFoundError:
        return "0+unknown"


__version__ = _installed_version()
