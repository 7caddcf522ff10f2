"""Where the demo district lives, and generating it there on first use (``None`` or ``"demo"`` as a source)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .files import exclusive
from .settings import Settings

__all__ = ["DEMO", "demo_folder", "ensure_demo"]

#: The source name of the demo district.
DEMO = "demo"


def demo_folder() -> Path:
    """Where the demo district lives: ``$QUOTABOOK_DEMO_DIR``, else ``data/demo`` in the project (the
    folder holding ``params/workbook.yaml``), else ``~/.cache/quotabook/demo``."""
    if env := os.environ.get("QUOTABOOK_DEMO_DIR"):
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "params" / "workbook.yaml").is_file():
            return folder / "data" / "demo"
    return Path.home() / ".cache" / "quotabook" / "demo"


def _demo_complete(folder: Path) -> bool:
    """Every table of the demo district is in ``folder``."""
    from .demo.build import TABLE_ORDER  # deferred, as below: the generator is only needed for the demo

    return all((folder / f"{name}.parquet").is_file() for name in TABLE_ORDER)


def ensure_demo(folder: Path | None = None, settings: Settings | None = None) -> Path:
    """Generate the demo district into ``folder`` unless it is already there (deterministic, seed 7).

    Safe when several processes ask at once (parallel tests, a pack's workers): one generates under a lock
    into a staging folder while the others wait, and the files appear in ``folder`` only once all are
    written, so nobody reads half a district.
    """
    folder = Path(folder or demo_folder())
    if _demo_complete(folder):
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with exclusive(folder.parent / f".{folder.name}.lock"):
        if not _demo_complete(folder):  # nobody wrote it while this process waited for the lock
            from .demo import generate, write  # deferred: the generator loads pyarrow.parquet and more

            staging = folder.parent / f".{folder.name}.{os.getpid()}.partial"
            shutil.rmtree(staging, ignore_errors=True)
            written = write(generate(settings=settings), staging)
            folder.mkdir(exist_ok=True)
            for path in sorted(written, key=lambda p: p.name == "opportunities.parquet"):  # the key file last
                path.replace(folder / path.name)
            shutil.rmtree(staging, ignore_errors=True)
    return folder
