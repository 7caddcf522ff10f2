"""Plan a report pack: which notebook runs for which region, with which parameters, written where.

Planning does everything that can fail cheaply before any kernel starts: it reads the pack YAML
(``params/packs/<pack>.yaml``), checks the period (a quarter, half, fiscal year or date range) and the
as-of date, resolves the data folder and its regions, finds every notebook and checks that each accepts
the pack's parameters (``papermill.inspect_notebook``), and maps region names to safe folder names. A run
is one notebook for one region.

One date for the whole pack: without ``as_of``, planning reads the source once and takes its latest dated
event (:func:`source_as_of`), and every run receives that date, so the district and every region are
written as of the same day whatever each region's own latest event.

Output layout (all under ``out/<period>/``, never outside it)::

    <region_slug>/<stem>.ipynb       executed notebook
    <region_slug>/<stem>.html        rendered without code
    <region_slug>/<period>-<region_slug>.pdf
    index.html  manifest.json
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import ConfigError, DataValidationError, PackError, SourceError
from ..grammar import count_of, noun, verb
from ..scope import WHOLE, parse_region_list, scope_parameter
from ..yaml_files import safe_load

__all__ = [
    "DISTRICT",
    "PACK_PARAMETERS",
    "PackSpec",
    "Plan",
    "Run",
    "assign_slugs",
    "load_pack_spec",
    "make_plan",
    "project_root",
    "quarter_in_progress",
    "safe_path",
    "slugify",
    "source_as_of",
]

#: The label (and folder) of the whole-district run; notebooks receive ``region="district"`` for it, the
#: keyword of :mod:`quotabook.scope` (a region literally named so is passed as ``region:district``).
DISTRICT = WHOLE
#: Parameters every pack notebook must declare in its ``parameters`` cell.
PACK_PARAMETERS = ("region", "period", "as_of", "data")
#: Output formats a pack can write: pages (html), one PDF per region, and every table of every page as data
#: (csv: one file per table; xlsx: one workbook per region, a sheet per table; see :mod:`.tables`).
FORMATS = ("html", "pdf", "csv", "xlsx")
#: What a pack writes when neither its YAML nor the command line names formats.
DEFAULT_FORMATS = ("html", "pdf")
_STEM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


# -- names and paths ---------------------------------------------------------------------------------
def slugify(name: str, *, default: str = "region") -> str:
    """A folder name for ``name``: lower-case ASCII letters, digits and single hyphens.

    Region names come from data and may hold quotes, slashes, ``..``, accents or contact details; the slug
    can hold none of them (contacts are masked first, see :mod:`quotabook.privacy`), so it can never climb
    out of the pack folder nor print an email address. ``"Nord/Süd"`` → ``"nord-sud"``; a name with
    no usable characters becomes ``default``.
    """
    from ..privacy import mask  # a contact in a region's name must not reach a folder or file name

    ascii_name = unicodedata.normalize("NFKD", mask(str(name))).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:60].rstrip("-") or default


def assign_slugs(names: Iterable[str], reserved: Iterable[str] = (DISTRICT,)) -> dict[str, str]:
    """One distinct slug per name, stable across runs.

    Two names that slugify alike (``"East West"`` and ``"East/West"``), or a name that slugifies to a
    reserved slug (a region called "District"), get a suffix from a hash of the full name, so the
    mapping does not depend on which other regions happen to be in the data.
    """
    taken = set(reserved)
    unique = sorted(set(names))
    counts: dict[str, int] = {}
    for name in unique:
        counts[slugify(name)] = counts.get(slugify(name), 0) + 1
    slugs: dict[str, str] = {}
    for name in unique:
        slug = slugify(name)
        if counts[slug] > 1 or slug in taken:
            slug = f"{slug}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:6]}"
        slugs[name] = slug
    return slugs


def safe_path(base: Path, *parts: str) -> Path:
    """``base/part/...``, refusing any result that is not inside ``base`` (defence in depth: parts are
    slugs already)."""
    root = Path(base).resolve()
    path = root.joinpath(*parts).resolve()
    if path != root and not path.is_relative_to(root):
        raise PackError(f"refusing to write outside the pack folder {root}: {'/'.join(parts)!r}")
    return path


def project_root() -> Path:
    """The folder holding ``params/workbook.yaml`` (searched from the working directory up), else the
    working directory."""
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "params" / "workbook.yaml").is_file():
            return folder
    return here


# -- the pack YAML -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PackSpec:
    """A pack definition: its notebooks in order, its regions (as :mod:`quotabook.scope` reads them: ``("all",)``
    = every region in the data plus the district) and the output formats."""

    name: str
    file: Path
    title: str
    notebooks: tuple[str, ...]
    regions: tuple[str, ...] = ("all",)
    formats: tuple[str, ...] = DEFAULT_FORMATS


def load_pack_spec(pack: str | os.PathLike, root: Path | None = None) -> PackSpec:
    """Read ``params/packs/<pack>.yaml`` (or the YAML file ``pack`` names).

    Raises
    ------
    ConfigError
        The file is missing, not YAML, or a key is missing or of the wrong kind.
    """
    text = str(pack)
    if text.endswith((".yaml", ".yml")) or os.sep in text:
        file = Path(text)
    else:
        file = (root or project_root()) / "params" / "packs" / f"{text}.yaml"
    try:
        raw = safe_load(file.read_text(encoding="utf-8"), file=file)
    except FileNotFoundError:
        raise ConfigError(f"pack file not found (known packs live in params/packs/): {file}", file=str(file)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=str(file)) from None
    if not isinstance(raw, dict):
        raise ConfigError("expected a mapping at the top level", file=str(file))
    notebooks = raw.get("notebooks")
    if not isinstance(notebooks, list) or not notebooks or not all(isinstance(n, str) for n in notebooks):
        raise ConfigError("expected a non-empty list of notebook stems", file=str(file), key="notebooks")
    regions = raw.get("regions", "all")
    regions = (regions,) if isinstance(regions, str) else tuple(str(r) for r in regions)
    formats = tuple(raw.get("formats", DEFAULT_FORMATS))
    if bad := [f for f in formats if f not in FORMATS]:
        raise ConfigError(f"unknown {noun('format', len(bad))} {bad}; allowed: {list(FORMATS)}", file=str(file),
                          key="formats")
    return PackSpec(name=file.stem, file=file, title=str(raw.get("title", file.stem)),
                    notebooks=tuple(notebooks), regions=regions, formats=formats)


# -- the plan ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Run:
    """One notebook for one region: its input, its outputs and the parameters papermill injects."""

    stem: str
    title: str
    region: str
    slug: str
    notebook: Path
    ipynb: Path
    html: Path
    parameters: dict = field(hash=False)

    @property
    def key(self) -> str:
        """``"<region_slug>/<stem>"``: the run's id in the manifest and the index."""
        return f"{self.slug}/{self.stem}"


@dataclass(frozen=True)
class Plan:
    """Every run of a pack, in display order (regions, then notebooks in pack order)."""

    spec: PackSpec
    period: str
    as_of: str | None
    data: str
    data_folder: Path | None  # the folder, DuckDB file or mapping YAML hashed; None for env:VAR
    out_dir: Path
    regions: tuple[tuple[str, str], ...]
    runs: tuple[Run, ...]
    formats: tuple[str, ...]
    timeout: float | None

    def runs_for(self, slug: str) -> list[Run]:
        return [r for r in self.runs if r.slug == slug]

    def pdf_path(self, slug: str) -> Path:
        return safe_path(self.out_dir, slug, f"{self.period}-{slug}.pdf")


def _check_period(period: str) -> str:
    from ..fiscal import FiscalCalendar
    from ..settings import load_settings

    return FiscalCalendar.from_settings(load_settings()).period(period).label


def quarter_in_progress(as_of: str | None) -> str:
    """The fiscal quarter holding the pack's as-of date (``YYYY-MM-DD``): the period a pack is built for when
    none is asked for, so the default pack is the quarter the data has reached, with its next moves live.

    Raises
    ------
    ConfigError
        There is no as-of date (the source could not be loaded, or holds no dated event): no quarter to
        take, so the period must be given.
    """
    from ..fiscal import FiscalCalendar
    from ..settings import load_settings

    if as_of is None:
        raise ConfigError("no period given, and the data holds no dated event (or could not be loaded) to take "
                          "the quarter in progress from: pass the period, e.g. --period 2026-Q3", key="period")
    return FiscalCalendar.from_settings(load_settings()).period_of(as_of).label


def _check_as_of(as_of) -> str | None:
    """``as_of`` as ``YYYY-MM-DD``, None when not given; anything but an ISO date is a ConfigError (never cut
    to its first ten characters: ``2026-09-15; rm -rf /`` is refused)."""
    from ..fiscal import iso_date

    if as_of is None or as_of == "":
        return None
    return iso_date(as_of).date().isoformat()


def source_as_of(data: str) -> str | None:
    """The latest dated event of the whole source ``data`` (see :meth:`quotabook.Dataset.latest_event`), as
    ``YYYY-MM-DD``: the one "today" every page of a pack is written as of. None when the source cannot be
    loaded (each notebook then reports why) or holds no dated event.

    Found by :func:`quotabook.latest_date.latest_event_date`, which validates only the rows that can decide it (a
    million-deal folder is not loaded whole for one date); what it cannot settle so is loaded whole.
    """
    from ..latest_date import latest_event_date
    from ..loading import hand_back_memory

    try:
        latest = latest_event_date(data)
    except (DataValidationError, SourceError):
        return None
    finally:
        hand_back_memory()  # before the pool forks: the tables read here would follow every worker
    return None if latest is None else latest.date().isoformat()


def resolve_data(data: str | os.PathLike) -> tuple[str, Path | None]:
    """The ``data`` parameter notebooks receive and the local path behind it (hashed into the manifest).

    Accepted: ``"demo"``, a folder of CSV/Parquet files, a source mapping YAML (``params/sources/*.yaml``),
    ``duckdb:///path.db`` and ``env:VAR`` (a variable holding a SQLAlchemy URL; the path is then None).
    Any other connection string is refused: it would be written into every executed notebook, so it is
    refused here rather than leaked there; put it in an environment variable and pass ``env:VAR``.
    Kernels inherit the environment, so ``env:VAR`` resolves in each notebook without the URL being a
    parameter.
    """
    from ..loading import DEMO, ensure_demo
    from ..sources.sql import duckdb_path

    text = str(data)
    if text == DEMO:
        return DEMO, ensure_demo()
    if text.startswith("env:"):
        var = text[4:]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", var):
            raise PackError(f"{text!r} is not env:VARIABLE_NAME")
        if not os.environ.get(var, "").strip():
            raise SourceError(f"environment variable {var} is not set (or empty): it should hold the database URL")
        return text, None
    if text.startswith("duckdb://"):
        path = duckdb_path(text).resolve()
        return f"duckdb:///{path}", path
    if "://" in text:
        raise PackError("connection strings are refused so that no credential is written into a report: put the "
                        "URL in an environment variable and pass env:VARNAME (packs read 'demo', a folder, a source "
                        "mapping YAML, duckdb:///path.db or env:VARNAME)")
    path = Path(text).expanduser().resolve()
    if not path.exists():
        raise SourceError(f"data folder not found: {path}")
    if path.is_file() and path.suffix.lower() in (".yaml", ".yml"):
        return str(path), path
    if not path.is_dir():
        raise SourceError(f"expected a folder of table files or a source mapping YAML, got a file: {path}")
    return str(path), path


def data_regions(folder: Path | str) -> list[str]:
    """Region names in the source's ``territories`` table (read without full validation: planning only
    needs the names). ``folder`` is a data folder, or the ``data`` string of a SQL source or mapping YAML
    (for a database, one ``SELECT DISTINCT region`` query)."""
    from ..loading import find_table_files
    from ..validation import read_table_file

    if not Path(str(folder)).is_dir():
        from ..settings import load_settings
        from ..sources import source_regions

        if not (regions := source_regions(str(folder), load_settings())):
            raise PackError(f"no regions in the territories table of {folder}: cannot list the regions of the pack")
        return regions
    files = find_table_files(folder)
    if "territories" not in files:
        raise PackError(f"no territories table in {folder}: cannot list the regions of the pack")
    territories, _malformed = read_table_file(files["territories"])
    if "region" not in territories.columns:
        raise PackError(f"{files['territories']} has no 'region' column")
    # NFC, as validation reads them: "Zürich" typed in two Unicode forms is one region
    return sorted({unicodedata.normalize("NFC", str(r).strip()) for r in territories["region"].dropna()
                   if str(r).strip()})


def _choose_regions(wanted: Sequence[str], known: list[str]) -> list[tuple[str, str]]:
    """(name, slug) of each scope ``wanted`` names, read as :func:`quotabook.scope.parse_region_list` reads them
    (``district``, ``all``, ``region:NAME``, a region name exactly as in the data); the district is
    ``(DISTRICT, DISTRICT)``: no region's slug can be ``district``."""
    slugs = assign_slugs(known)
    try:
        scopes = parse_region_list([w.strip() for w in wanted], known)
    except ConfigError as exc:
        raise PackError(str(exc)) from None
    return [(DISTRICT, DISTRICT) if scope is None else (scope, slugs[scope]) for scope in scopes]


def notebook_title(path: Path) -> str:
    """The first Markdown heading of the notebook, else its stem in words (for the PDF contents)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return re.sub(r"^\d+_", "", path.stem).replace("_", " ").capitalize()


def _notebook_problem(path: Path) -> str | None:
    """Why papermill could not run the notebook at ``path`` (not a notebook, no kernel), or None."""
    import nbformat
    from jupyter_client.kernelspec import KernelSpecManager

    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as exc:  # invalid JSON, or JSON that is not a notebook
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{path}: not a readable notebook ({reason[:200]})"
    name = (nb.metadata.get("kernelspec") or {}).get("name")
    if not name:
        return f"{path}: no kernelspec in its metadata; save it from Jupyter with a kernel (e.g. python3)"
    installed = KernelSpecManager().find_kernel_specs()
    if name not in installed:
        return f"{path}: asks for kernel {name!r}, which is not installed (installed: {', '.join(sorted(installed))})"
    return None


def check_notebooks(stems: Sequence[str], notebooks_dir: Path) -> dict[str, Path]:
    """The path of each notebook, after checking they all exist and declare every pack parameter.

    Raises
    ------
    PackError
        Listing every missing notebook, every one that is not a readable notebook or names no installed
        kernel, or every notebook whose ``parameters`` cell lacks a parameter.
    """
    import papermill

    if bad := [s for s in stems if not _STEM.match(s)]:
        raise PackError(f"notebook names must be plain file stems, got: {', '.join(map(repr, bad))}")
    paths = {s: notebooks_dir / f"{s}.ipynb" for s in stems}
    if missing := [str(p) for p in paths.values() if not p.is_file()]:
        raise PackError(f"{count_of(len(missing), 'notebook')} of the pack {verb('does', len(missing))} not "
                        "exist yet:\n"
                        + "\n".join(f"  - {m}" for m in missing))
    if unreadable := [problem for path in paths.values() if (problem := _notebook_problem(path))]:
        raise PackError(f"{count_of(len(unreadable), 'notebook')} of the pack cannot be run:\n"
                        + "\n".join(f"  - {m}" for m in unreadable))
    problems = []
    for path in paths.values():
        declared = set(papermill.inspect_notebook(str(path)))
        if lacking := [p for p in PACK_PARAMETERS if p not in declared]:
            problems.append(f"  - {path}: parameters cell lacks {', '.join(lacking)}")
    if problems:
        raise PackError("notebooks must declare the pack parameters (" + ", ".join(PACK_PARAMETERS)
                        + ") in a cell tagged 'parameters':\n" + "\n".join(problems))
    return paths


def make_plan(period: str | None, *, regions: Sequence[str] | None = None, notebooks: Sequence[str] | None = None,
              data: str | os.PathLike = "demo", formats: Sequence[str] | None = None,
              out: str | os.PathLike = "reports", pack: str | os.PathLike = "quarterly", as_of=None,
              timeout: float | None = 600, notebooks_dir: str | os.PathLike | None = None) -> Plan:
    """Check the request and list every run (see the module docstring for what is checked). ``period`` None:
    the quarter holding the as-of date (:func:`quarter_in_progress`).

    Raises
    ------
    ConfigError
        Bad period (not a quarter, half, fiscal year or ISO date range; outside the years quotabook holds),
        as_of (not an ISO date), format or pack file.
    SourceError
        The data folder does not exist.
    PackError
        A notebook is missing or lacks a pack parameter; an unknown region; a connection string as data.
    """
    label = _check_period(period) if period is not None else None  # a bad period fails before the data loads
    as_of_iso = _check_as_of(as_of)
    data_param, folder = resolve_data(data)
    root = project_root()
    spec = load_pack_spec(pack, root)
    formats = tuple(formats) if formats is not None else spec.formats
    if bad := [f for f in formats if f not in FORMATS]:
        raise ConfigError(f"unknown {noun('format', len(bad))} {bad}; allowed: {list(FORMATS)}", key="formats")
    stems = list(dict.fromkeys(notebooks or spec.notebooks))
    nb_dir = Path(notebooks_dir) if notebooks_dir is not None else root / "notebooks"
    paths = check_notebooks(stems, nb_dir)
    chosen = _choose_regions(list(regions) if regions else list(spec.regions),
                             data_regions(folder if folder is not None and folder.is_dir() else data_param))
    as_of_iso = as_of_iso or source_as_of(data_param)
    label = label or quarter_in_progress(as_of_iso)
    out_dir = safe_path(Path(out), label)
    titles = {stem: notebook_title(path) for stem, path in paths.items()}
    runs = []
    for name, slug in chosen:
        for stem in stems:
            params = {"region": scope_parameter(None if slug == DISTRICT else name), "period": label,
                      "as_of": as_of_iso, "data": data_param}
            runs.append(Run(stem=stem, title=titles[stem], region=name, slug=slug, notebook=paths[stem],
                            ipynb=safe_path(out_dir, slug, f"{stem}.ipynb"),
                            html=safe_path(out_dir, slug, f"{stem}.html"), parameters=params))
    return Plan(spec=spec, period=label, as_of=as_of_iso, data=data_param, data_folder=folder, out_dir=out_dir,
                regions=tuple(chosen), runs=tuple(runs), formats=formats, timeout=timeout)
