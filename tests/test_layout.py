"""The project's promises about its own shape: top-level layout, README, environment.yml ≡ pyproject."""

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
