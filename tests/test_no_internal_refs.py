"""No internal source notes ("seed" and a note number) in code, catalog, workbook, notebooks, README or tests.

The project's background reading was filed as numbered "seeds"; neither a reader of the pack nor a maintainer has
them, so a figure cites its original source (publisher or author and year, "as cited") or nothing (issues 16 and
18). This test reads every tracked file under the checked paths and fails naming each file and line that still
names a note that way, in any case and also when a line break or an underscore splits the two words.
Random-number seeds ("the seed", ``seed=7``) are not references and pass.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHECKED = ("lib", "notebooks", "params", "benchmarks", "README.md", "tests")
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()
# "seed", "seeds", then a three-digit note number, after spaces, an underscore or a line break (with comment marks).
REFERENCE = re.compile(r"seeds?(?:[ \t_]|\\n|\r?\n[ \t#]*)+00\d", re.IGNORECASE)


def references(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each internal reference in ``text``; the line is where the reference starts."""
    lines = text.splitlines()
    found = []
    for match in REFERENCE.finditer(text):
        number = text.count("\n", 0, match.start()) + 1
        found.append((number, lines[number - 1].strip()))
    return found


def notebook_references(text: str) -> list[tuple[str, str]]:
    """(where, line) of each internal reference in a notebook's cells, each cell's source joined first, so a
    reference split over two of the JSON strings that make up one cell is found too."""
    cells = json.loads(text).get("cells", [])
    found = []
    for i, cell in enumerate(cells):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        found += [(f"cell {i} line {n}", line) for n, line in references(source)]
    return found


def tracked_files() -> list[Path]:
    """The files git tracks under :data:`CHECKED`, this test left out."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "--", *CHECKED], cwd=ROOT, capture_output=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:  # not a git checkout (e.g. an sdist)
        pytest.skip(f"git ls-files unavailable: {exc}")
    names = [n for n in out.stdout.decode("utf-8").split("\0") if n and n != THIS]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


# The examples spell the note numbers through N so that this file holds no reference itself.
N = "00"


@pytest.mark.parametrize("text, expected", [
    (f"Seed {N}1 gives 75-85% as the benchmark", [1]),
    (f"ok\nsource: \"Gartner 2023, as cited in SEED {N}1\"", [2]),
    (f"the funnel (seeds {N}1 and {N}4)", [1]),
    (f'against seed\n    {N}1\'s days', [1]),
    (f'"source": [\n    "against seed \\n", "{N}1"]', []),   # JSON split across strings is not followed
    (f'"Seed\\n{N}1 says"', [1]),                            # an escaped newline inside a JSON string is read
    (f"def test_seed_{N}4_total_row():", [1]),
    (f"# seed\n# {N}2, Scott Cowley", [1]),
    ("rng = np.random.default_rng(seed)\nthe same seed gives the same tables; seed=7", []),
    (f"CSO Insights 2024, as cited; 1,{N}5 seeds planted", []),
])
def test_references_finds_every_spelling_and_spares_random_seeds(text, expected):
    assert [n for n, _ in references(text)] == expected


def test_no_tracked_file_cites_an_internal_seed_note():
    offending = []
    for path in tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # binary (images, parquet): nothing a reader would read as a citation
            continue
        rel = path.relative_to(ROOT).as_posix()
        offending += [f"{rel}:{number}: {line[:140]}" for number, line in references(text)]
        if rel.endswith(".ipynb"):
            offending += [f"{rel} {where}: {line[:140]}" for where, line in notebook_references(text)]
    assert not offending, ("internal source notes (cite the original publisher and year, 'as cited', or "
                           "nothing):\n" + "\n".join(offending))


def test_a_reference_split_over_a_notebook_cell_s_json_strings_is_found():
    notebook = json.dumps({"cells": [{"cell_type": "markdown", "source": ["# Funnel\n", "The bands of seed\n",
                                                                          f"{N}1 per segment.\n"]}]})
    assert references(notebook) == []  # the raw JSON splits it: only the joined cell source shows it
    assert notebook_references(notebook) == [("cell 0 line 2", "The bands of seed")]


def test_the_check_covers_the_catalog_workbooks_and_notebooks():
    """The scan really reads the files that once held most references (a moved path would silently pass)."""
    checked = {p.relative_to(ROOT).as_posix() for p in tracked_files()}
    assert {"lib/quotabook/metrics/catalog.yaml", "params/workbook.yaml", "lib/quotabook/defaults/workbook.yaml",
            "README.md"} <= checked
    assert any(name.startswith("notebooks/") and name.endswith(".ipynb") for name in checked)
    assert THIS not in checked
