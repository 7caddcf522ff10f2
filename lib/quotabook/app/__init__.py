"""The what-if view as a web app: Voilà serves ``whatif.ipynb`` (next to this file) on localhost.

``quotabook app`` (see :func:`serve`) starts Voilà with the region, period, data and as-of date in
environment variables (:data:`ENV`), which the kernel it launches inherits; the notebook's one cell calls
:func:`view`, which loads the data once and shows a region picker over :func:`quotabook.whatif.widget`'s
sliders. Voilà renders outputs only (no code) and runs entirely offline.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

__all__ = ["APP_NOTEBOOK", "ENV", "serve", "view", "voila_command"]

#: The notebook Voilà serves.
APP_NOTEBOOK = Path(__file__).with_name("whatif.ipynb")
#: Where :func:`serve` passes its options to the app's kernel.
ENV = {"region": "QUOTABOOK_APP_REGION", "period": "QUOTABOOK_APP_PERIOD", "data": "QUOTABOOK_APP_DATA",
       "as_of": "QUOTABOOK_APP_AS_OF"}


def _options(environ: Mapping[str, str]) -> dict:
    return {key: environ.get(var) or None for key, var in ENV.items()}


def view(region: str | None = None, period: str | None = None, data: str | None = None, as_of: str | None = None,
         *, environ: Mapping[str, str] | None = None):
    """The app: a heading, a region picker (the district or one region) and the what-if sliders.

    Arguments left None come from :data:`ENV` (set by ``quotabook app``), then from defaults: the whole
    district, the quarter holding the report date, the demo data.
    """
    import ipywidgets as w

    from ..loading import load
    from ..scope import WHOLE, parse_scope, scope_label, scope_parameter
    from ..whatif import build_base, make_widget

    given = _options(os.environ if environ is None else environ)
    data = data or given["data"] or "demo"
    full = load(data, as_of=as_of or given["as_of"])
    start = parse_scope(region or given["region"] or WHOLE, full.regions)  # the CLI's spellings: district, East
    period = full.period(period or given["period"] or full.calendar.period_of(full.reference_date).label)
    # Each choice's value is the scope as text writes it ("district", "East", "region:district"): never ambiguous.
    choices = [(scope_label(scope), scope_parameter(scope)) for scope in [None, *full.regions]]
    picker = w.Dropdown(options=choices, value=scope_parameter(start), description="Scope",
                        style={"description_width": "11em"}, layout=w.Layout(width="34em"))
    heading = w.HTML()
    holder = w.VBox()

    def show(_change=None) -> None:
        scope = parse_scope(picker.value)
        ds = full.for_region(scope)
        label = scope_label(scope)
        heading.value = (f"<h2 style='margin:0.2em 0'>What-if: {label}, {period.label}</h2>"
                         f"<p style='margin:0 0 0.6em 0;color:#444'>Data as of {full.reference_date:%b %d, %Y}. "
                         "Move a slider: projected bookings, attainment and the chance of reaching target update "
                         "at once.</p>")
        holder.children = [make_widget(build_base(ds, period), level="region" if scope is None else "territory",
                                       scope=label)]

    picker.observe(show, names="value")
    show()
    return w.VBox([heading, picker, holder])


def voila_command(*, port: int = 8866, notebook: Path = APP_NOTEBOOK, open_browser: bool = False) -> list[str]:
    """The Voilà command line that serves ``notebook`` on 127.0.0.1:``port`` (light theme, no tracebacks)."""
    command = [sys.executable, "-m", "voila", str(notebook), f"--port={port}", "--Voila.ip=127.0.0.1",
               "--theme=light", "--show_tracebacks=False"]
    return command if open_browser else [*command, "--no-browser"]


def serve(*, region: str | None = None, period: str | None = None, data: str = "demo", as_of: str | None = None,
          port: int = 8866, open_browser: bool = False) -> int:
    """Run the app until interrupted (Ctrl-C); returns Voilà's exit code."""
    from ..loading import DEMO, demo_folder
    from ..settings import find_workbook_file

    env = dict(os.environ)
    if data != DEMO:  # the kernel starts in the notebook's folder: a relative path means from here
        data = str(Path(data).resolve())
    for key, value in {"region": region, "period": period, "data": data, "as_of": as_of}.items():
        if value:
            env[ENV[key]] = str(value)
        else:
            env.pop(ENV[key], None)
    # ... and so do the workbook and the demo district: pin the ones found from here
    env.setdefault("QUOTABOOK_WORKBOOK", str(find_workbook_file().resolve()))
    env.setdefault("QUOTABOOK_DEMO_DIR", str(demo_folder().resolve()))
    print(f"quotabook app: http://127.0.0.1:{port}/ (Ctrl-C to stop)", flush=True)
    try:
        return subprocess.run(voila_command(port=port, open_browser=open_browser), env=env, check=False).returncode
    except KeyboardInterrupt:
        return 0
