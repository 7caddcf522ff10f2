"""The project's promises about its own shape: top-level layout, README, environment.yml ≡ pyproject, and the
layering of lib/quotabook (no import from a higher layer, no import cycle)."""

import ast
import functools
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = ["notebooks", "lib", "params", "reports", "tests", "environment.yml", "README.md"]
CONDA_TO_PYPI = {"python-duckdb": "duckdb", "playwright-python": "playwright"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def test_required_top_level_exists():
    missing = [p for p in REQUIRED if not (ROOT / p).exists()]
    assert not missing
    assert (ROOT / "lib" / "quotabook" / "__init__.py").is_file()


def test_environment_yml_lists_the_same_runtime_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pypi = {_name(r) for r in project["dependencies"]}
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = {CONDA_TO_PYPI.get(_name(d), _name(d)) for d in env["dependencies"] if isinstance(d, str)}
    conda -= {"python", "pip"}
    assert conda == pypi


def test_readme_gives_the_two_commands_and_describes_every_top_level_entry():
    readme = (ROOT / "README.md").read_text()
    assert "make pack" in readme and "make test" in readme
    for entry in REQUIRED:
        assert re.search(rf"^{re.escape(entry)}/?\s", readme, re.M), f"README layout tree misses {entry}"


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_reports_folder_is_ignored_except_its_readme():
    ignore = (ROOT / ".gitignore").read_text().splitlines()
    assert "/reports/*" in ignore and "!/reports/README.md" in ignore


def test_make_pack_builds_the_quarter_in_progress_unless_a_period_is_given():
    import shutil
    import subprocess

    import pytest

    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    def pack_command(*args: str) -> str:
        # -n prints the recipes without running them; the last is the pack's own command
        out = subprocess.run(["make", "-n", "--no-print-directory", "pack", *args], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout
        return out.strip().splitlines()[-1].strip()

    assert pack_command("PERIOD=") == ".venv/bin/quotabook pack"  # no --period: the CLI takes the data's quarter
    assert pack_command("PERIOD=2026-Q2") == ".venv/bin/quotabook pack --period 2026-Q2"


# -- layering --------------------------------------------------------------------------------------------
# quotabook's modules and packages, lowest layer first. A module may import from its own layer and the layers
# below it, never from a layer above; and no two modules (or top-level packages) may import each other,
# however indirectly. ``quotabook`` is the package itself (its ``__init__``: the public API), on top.
LAYERS: list[tuple[str, set[str]]] = [
    ("core", {"errors", "version", "yaml_files", "privacy", "settings", "fiscal", "scope", "files", "frames",
              "grammar"}),  # grammar: plurals and possessives, for data notes as for pages
    ("data", {"schemas", "validation", "kept", "rejects", "dataset", "activities", "chunked", "demo", "demo_home",
              "sources", "cache", "loading", "latest_date"}),
    ("metrics", {"metrics"}),
    ("page text", {"text", "style", "notes", "headlines"}),  # what every page shares, whatever draws it
    ("forecast", {"forecast"}),  # its trust notes speak in the pages' words (plurals)
    ("charts", {"charts"}),  # the house chart style: base and unavailable-chart building blocks
    ("findings", {"findings"}),  # the Findings a page opens with
    ("shared sections", {"trends"}),  # sections several themes show (quarter-on-quarter trends)
    ("themes", {"themes"}),  # themes/<theme>/{data,charts,text}.py; a theme never imports another
    ("pages across themes", {"rep_scorecards", "summary"}),  # pages that compose several themes
    ("report", {"report", "notebook"}),
    ("pack", {"pack"}),
    ("entry points", {"cli", "app", "testing", "__main__", "quotabook"}),
]
PACKAGE = ROOT / "lib" / "quotabook"


def _module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks (imports there are for type checkers only,
    never run); imports inside functions are included: a deferred import is still a dependency."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)


@functools.cache
def _imports(root: Path = PACKAGE) -> dict[str, list[tuple[str, int]]]:
    """``{module: [(imported quotabook module, line), ...]}`` for every module of the package at ``root``."""
    paths = {_module_name(p, root): p for p in root.rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = []
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found += [(alias.name, node.lineno) for alias in node.names if alias.name.split(".")[0] == "quotabook"]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                if base.split(".")[0] != "quotabook":
                    continue
                for alias in node.names:  # ``from . import x``: x may be a module
                    sub = f"{base}.{alias.name}"
                    found.append((sub if sub in paths else base, node.lineno))
        graph[name] = sorted(set(found), key=lambda item: (item[1], item[0]))
    return graph


def _unit(module: str) -> str:
    """The top-level module or package ``module`` belongs to (``quotabook`` for the package itself)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "quotabook"


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def _explain(component: list[str], graph, key) -> str:
    lines = [f"{src}:{line} imports {dst}" for src, targets in sorted(graph.items()) for dst, line in targets
             if key(src) in component and key(dst) in component and key(src) != key(dst)]
    return " <-> ".join(component) + "\n    " + "\n    ".join(lines)


def test_every_module_has_a_layer():
    declared = set().union(*(units for _, units in LAYERS))
    units = {_unit(m) for m in _imports()}
    assert not units - declared, f"place these in LAYERS (tests/test_layout.py): {sorted(units - declared)}"
    assert not declared - units, f"LAYERS names modules that do not exist: {sorted(declared - units)}"


def test_no_import_reaches_up_a_layer():
    rank = {unit: i for i, (_, units) in enumerate(LAYERS) for unit in units}
    upward = [f"{src}:{line} ({LAYERS[rank[_unit(src)]][0]}) imports {dst} ({LAYERS[rank[_unit(dst)]][0]})"
              for src, targets in sorted(_imports().items()) for dst, line in targets
              if rank[_unit(dst)] > rank[_unit(src)]]
    assert not upward, "imports from a higher layer:\n" + "\n".join(upward)


def test_no_two_top_level_modules_or_packages_import_each_other():
    graph = _imports()
    edges: dict[str, set[str]] = {}
    for src, targets in graph.items():
        edges.setdefault(_unit(src), set()).update(_unit(dst) for dst, _ in targets if _unit(dst) != _unit(src))
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(_explain(c, graph, _unit) for c in cycles)


def test_no_two_modules_import_each_other():
    graph = _imports()
    edges = {src: {dst for dst, _ in targets if dst != src} for src, targets in graph.items()}
    cycles = _cycles(edges)
    assert not cycles, "import cycles:\n" + "\n".join(_explain(c, graph, lambda m: m) for c in cycles)


def test_the_layering_test_sees_deferred_and_relative_imports(tmp_path):
    """The parser behind the tests above: an import inside a function counts, one under TYPE_CHECKING does not,
    and relative imports resolve to the module they name."""
    package = tmp_path / "quotabook"
    (package / "metrics").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "metrics" / "__init__.py").write_text("from . import compute\n")
    (package / "metrics" / "compute.py").write_text("from ..dataset import Dataset\n")
    (package / "dataset.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from .metrics import compute\n\n\n"
        "def later():\n    from .metrics.compute import x\n")
    graph = _imports(package)
    assert graph["quotabook.metrics"] == [("quotabook.metrics.compute", 1)]
    assert graph["quotabook.metrics.compute"] == [("quotabook.dataset", 1)]
    assert graph["quotabook.dataset"] == [("quotabook.metrics.compute", 8)]
    assert _cycles({k: {d for d, _ in v} for k, v in graph.items()}) == [["quotabook.dataset",
                                                                          "quotabook.metrics.compute"]]


# -- themes ----------------------------------------------------------------------------------------------------
THEMES_DIR = PACKAGE / "themes"


def _theme(module: str) -> str | None:
    """The report theme ``module`` belongs to (``quotabook.themes.<theme>...``), else None."""
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[1] == "themes" else None


def test_a_theme_never_imports_another_theme():
    across = [f"{src}:{line} imports {dst}" for src, targets in sorted(_imports().items()) for dst, line in targets
              if _theme(src) and _theme(dst) and _theme(src) != _theme(dst)]
    assert not across, "a theme imports another theme (share it below the themes instead):\n" + "\n".join(across)


def test_metrics_stays_horizontal():
    """The metric layer imports only what lies below it: never a theme, a chart, a page or the report."""
    rank = {unit: i for i, (_, units) in enumerate(LAYERS) for unit in units}
    up = [f"{src}:{line} imports {dst}" for src, targets in sorted(_imports().items()) if _unit(src) == "metrics"
          for dst, line in targets if rank[_unit(dst)] > rank["metrics"]]
    assert not up, "metrics imports from above it:\n" + "\n".join(up)


def test_themes_are_the_theme_packages_each_with_charts_and_text():
    """Every theme package draws (charts.py) and says (text.py); its tidy tables are in data.py, except the
    forecast's, which come from :mod:`quotabook.forecast` (the study the summary page shares)."""
    from quotabook.metrics.rules import THEMES

    packages = sorted(p.parent.name for p in THEMES_DIR.glob("*/__init__.py"))
    assert sorted(THEMES) == packages and len(packages) >= 7
    for theme in packages:
        missing = [f for f in ("charts.py", "text.py") if not (THEMES_DIR / theme / f).is_file()]
        assert not missing, f"themes/{theme}/ misses {missing}"
    assert sum((THEMES_DIR / theme / "data.py").is_file() for theme in packages) >= len(packages) - 1
    notebooks = [p.stem.split("_", 1)[1] for p in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
    assert list(THEMES) == [n for n in notebooks if n in THEMES], "THEMES follows the notebooks' numbers"


def test_the_theme_list_is_read_from_the_folder(tmp_path):
    """A package with TITLE and NUMBER is a theme, in NUMBER order; one without them is an error naming it."""
    from quotabook.metrics.rules import _theme_packages

    for name, number in (("zeta", 0), ("alpha", 1)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text(f'"""x"""\nTITLE = "{name.title()}"\nNUMBER = {number}\n')
    assert _theme_packages(tmp_path) == {"zeta": "Zeta", "alpha": "Alpha"}
    (tmp_path / "beta").mkdir()
    (tmp_path / "beta" / "__init__.py").write_text("TITLE = 'Beta'\n")
    import pytest

    with pytest.raises(ImportError, match=r"beta.*NUMBER missing"):
        _theme_packages(tmp_path)


def _top_level_functions(path: Path) -> list[str]:
    return [n.name for n in ast.parse(path.read_text(encoding="utf-8")).body if isinstance(n, ast.FunctionDef)]


def test_text_modules_hold_sentences_and_tables_modules_the_tables():
    """A page's words are in ``text.py`` (``*_text.py``), the formatted tables it shows in ``tables.py``
    (``*_tables.py``) beside them, in the same package and so the same layer: no table builder in a text module,
    and every tables module has the text module it sits beside."""
    packages = [*(p.parent for p in THEMES_DIR.glob("*/__init__.py")), PACKAGE / "trends", PACKAGE / "rep_scorecards"]
    texts = [p for package in packages for p in package.glob("*.py") if p.stem == "text" or p.stem.endswith("_text")]
    builders = [f"{p.relative_to(PACKAGE)}: {name}" for p in texts for name in _top_level_functions(p)
                if name == "table" or name.endswith("_table")]
    assert not builders, "move these table builders into the tables module beside:\n" + "\n".join(builders)
    tables = [p for package in packages for p in package.glob("*.py")
              if p.stem == "tables" or p.stem.endswith("_tables")]
    assert len(tables) >= 8
    lonely = [str(p.relative_to(PACKAGE)) for p in tables
              if not p.with_name(p.name.replace("tables", "text")).is_file()]
    assert not lonely, f"tables modules without a text module beside them: {lonely}"
    # a table may reuse its page's wording (a caption's "open on 15 Mar"); the wording never needs a table
    names = {_module_name(p, PACKAGE) for p in tables}
    upward = [f"{src}:{line} imports {dst}" for src, targets in sorted(_imports().items())
              if src.rpartition(".")[2] == "text" or src.endswith("_text") for dst, line in targets if dst in names]
    assert not upward, "a text module imports a tables module:\n" + "\n".join(upward)
