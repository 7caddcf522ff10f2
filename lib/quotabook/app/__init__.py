"""The what-if view as a web app: Voilà serves ``whatif.ipynb`` (next to this file) on localhost.

``quotabook app`` (see :func:`serve`) checks the scope and period asked against the data, picks a free port,
starts Voilà with the region, period, data and as-of date in environment variables (:data:`ENV`), which the
kernels it launches inherit, prints the address it really serves and runs until Ctrl-C or SIGTERM, which stop
Voilà and every kernel it started (:mod:`quotabook.app.server`). The notebook's one cell calls :func:`view`
(:mod:`quotabook.app.view`): scope and period pickers over
:func:`quotabook.themes.territory_quota.whatif.make_widget`'s sliders. Voilà renders outputs only (no code); the page
fetches nothing from the internet (its template's CDN links are removed: :func:`quotabook.app.server.offline_template`).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..text import say_date
from ..themes.territory_quota.whatif import app_command
from .server import (
    APP_NOTEBOOK,
    CULL_AFTER,
    DEFAULT_PORT,
    VoilaServer,
    free_port,
    offline_template,
    run_until_stopped,
    voila_command,
)
from .view import ENV, period_choices, start_point, view

__all__ = ["APP_NOTEBOOK", "CULL_AFTER", "DEFAULT_PORT", "ENV", "VoilaServer", "app_command", "app_environment",
           "free_port",
           "period_choices", "serve", "start_point", "view", "voila_command"]


def app_environment(*, region: str | None, period: str | None, data: str, as_of: str | None,
                    base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment Voilà and its kernels run in: ``base`` (default: this process's) with the app's options
    (:data:`ENV`) and the workbook and demo folder found from here (the kernel starts in the notebook's folder,
    so a relative data path, or DuckDB file, is made absolute)."""
    from ..loading import DEMO, demo_folder
    from ..settings import find_workbook_file

    env = dict(os.environ if base is None else base)
    if data.startswith("duckdb://"):  # SQLAlchemy's duckdb:///relative.db: made duckdb:////absolute.db
        from ..sources.sql import duckdb_path

        query = data.partition("?")[2]
        data = f"duckdb:///{duckdb_path(data).resolve()}" + (f"?{query}" if query else "")
    elif data != DEMO and not data.startswith("env:"):
        data = str(Path(data).resolve())
    for key, value in {"region": region, "period": period, "data": data, "as_of": as_of}.items():
        if value:
            env[ENV[key]] = str(value)
        else:
            env.pop(ENV[key], None)
    env.setdefault("QUOTABOOK_WORKBOOK", str(find_workbook_file().resolve()))
    env.setdefault("QUOTABOOK_DEMO_DIR", str(demo_folder().resolve()))
    return env


def serve(*, region: str | None = None, period: str | None = None, data: str = "demo", as_of: str | None = None,
          port: int = DEFAULT_PORT, open_browser: bool = False, cull_after: float = CULL_AFTER) -> int:
    """Check the scope and period against the data, then serve the app until SIGINT / SIGTERM (0) or until
    Voilà fails (its exit code). Prints the address really served and, when stopping, what was stopped."""
    from ..loading import load
    from ..scope import scope_label, scope_parameter

    def say(text: str) -> None:
        print(f"quotabook app: {text}", flush=True)

    full = load(data, as_of=as_of)
    scope, start = start_point(full, region, period)
    chosen = free_port(port)
    if chosen != port:
        say(f"port {port} is in use; serving on port {chosen} instead")
    templates = Path(tempfile.mkdtemp(prefix="quotabook-app-"))
    offline_template(templates)
    env = app_environment(region=scope_parameter(scope), period=start.label, data=data, as_of=as_of)
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(templates), env.get("JUPYTER_PATH")]))
    server = VoilaServer(voila_command(port=chosen, cull_after=cull_after), port=chosen, env=env)
    day = full.reference_date

    def ready(server: VoilaServer) -> None:
        say(f"the what-if for {scope_label(scope)}, {start.label} (data as of {say_date(day)}) is at "
            f"{server.url} (Ctrl-C stops it)")
        if open_browser:
            import webbrowser

            webbrowser.open(server.url)

    try:
        return run_until_stopped(server, on_ready=ready, say=say)
    finally:
        shutil.rmtree(templates, ignore_errors=True)

