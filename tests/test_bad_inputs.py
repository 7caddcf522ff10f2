"""The bad-input corpus (tests/data/bad/): every case gives a precise message, no traceback, the right exit
code, and reconciling counts, through the library, the loader and the ``quotabook validate`` command.

Each case folder overlays a valid base source (``_base/folder``, ``_base/salesforce``, ``_base/hubspot``)
with its broken files; ``case.yaml`` says what must come out (see ``tests/data/bad/make_corpus.py``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest
import yaml

from quotabook import DataQualityWarning, QuotabookError, load, validate_source
from quotabook.cli import main

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "data" / "bad"
CASES = sorted(p.name for p in BAD.iterdir() if (p / "case.yaml").is_file())
MAPPINGS = {"salesforce": ROOT / "params" / "sources" / "salesforce.yaml",
            "hubspot": ROOT / "params" / "sources" / "hubspot.yaml"}
# What the fixture HubSpot export needs on top of the shipped mapping (it is saved with semicolons).
BASE_OVERRIDES = {"hubspot": {"tables": {"opportunities": {"delimiter": ";"}}}}


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def case_meta(name: str) -> dict:
    return yaml.safe_load((BAD / name / "case.yaml").read_text(encoding="utf-8"))


def build(name: str, tmp_path: Path) -> tuple[Path, dict]:
    """Copy the case's base source into ``tmp_path``, lay the case's files over it and return the source
    to validate (the folder, or a mapping YAML extending the shipped one) with the case's expectations."""
    meta = case_meta(name)
    kind = meta["source"]
    folder = tmp_path / "data"
    shutil.copytree(BAD / "_base" / kind, folder)
    for file in meta.get("remove", []):
        (folder / file).unlink()
    for path in (BAD / name).iterdir():
        if path.name != "case.yaml":
            shutil.copyfile(path, folder / path.name)
    if kind == "folder":
        return folder, meta
    mapping = _merge({"extends": str(MAPPINGS[kind]), "folder": "."}, BASE_OVERRIDES.get(kind, {}))
    mapping = _merge(mapping, meta.get("mapping", {}))
    path = folder / "mapping.yaml"
    path.write_text(yaml.safe_dump(mapping), encoding="utf-8")
    return path, meta


def assert_reconciles(report) -> pd.DataFrame:
    counts = report.counts()
    assert (counts["read"] == counts["used"] + counts["rejected"]).all(), counts.to_string()
    return counts.set_index("table")


def matches(rec: dict, want: dict) -> bool:
    row = None if pd.isna(rec["row"]) else int(rec["row"])
    col = rec["column"] if isinstance(rec["column"], str) and rec["column"] else None
    return (str(rec["file"]).endswith(want["file"]) and row == want["row"] and col == want["column"]
            and rec["reason"] == want["reason"] and want["message"] in str(rec["message"]))


@pytest.mark.parametrize("name", CASES)
def test_validate_source_names_file_row_column_and_reason(name, tmp_path):
    source, meta = build(name, tmp_path)
    report, _ = validate_source(source)
    records = report.rejects.to_dict("records")
    for want in meta["problems"]:
        assert any(matches(rec, want) for rec in records), f"{want} not in:\n{report.rejects.to_string()}"
    assert {r["reason"] for r in records} == {w["reason"] for w in meta["problems"]}, report.rejects.to_string()
    assert all(isinstance(r["message"], str) and r["message"] for r in records)
    counts = assert_reconciles(report)
    for table, (read, used, rejected) in meta.get("counts", {}).items():
        assert counts.loc[table, ["read", "used", "rejected"]].tolist() == [read, used, rejected], counts.to_string()
    assert report.ok == (meta["exit"] == 0)


@pytest.mark.parametrize("name", CASES)
def test_validate_command_prints_each_problem_and_sets_the_exit_code(name, tmp_path, capsys):
    source, meta = build(name, tmp_path)
    code = main(["validate", "--source", str(source)])
    out, err = capsys.readouterr()
    assert code == meta["exit"], out + err
    assert "Traceback" not in out + err
    for want in meta["problems"]:
        where = f", row {want['row']}" if want["row"] is not None else ""
        where += f", column {want['column']!r}" if want["column"] else ""
        line = next((ln for ln in out.splitlines() if f"{where}: {want['reason']} — " in ln
                     and want["file"] in ln), None)
        assert line is not None, f"no line for {want} in:\n{out}"
        assert want["message"][:40] in line, line
    if meta["exit"] == 0:
        assert "no problems found" in out


@pytest.mark.parametrize("name", CASES)
def test_loader_warns_raises_or_loads_as_the_case_says(name, tmp_path):
    source, meta = build(name, tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        if meta["load"] == "raises":
            with pytest.raises(QuotabookError, match=meta.get("load_message", "")) as info:
                load(source)
            assert str(info.value)
            return
        if meta["load"] in ("notes", "warns"):
            # A case may also keep rows incomplete (a data note of its own): every warning is caught, one must match.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", DataQualityWarning)
                ds = load(source)
            said = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
            # notes: nothing rejected, but rows kept incomplete are named in a data note
            want = meta["load_message"] if meta["load"] == "notes" else r"\d+ problems? in"
            assert any(re.search(want, text) for text in said), said
            if meta["load"] == "notes":
                assert ds.rejects.empty
            else:
                assert len(ds.rejects) >= len(meta["problems"])
        else:
            ds = load(source)
            assert ds.rejects.empty
    for table, (_, used, _) in meta.get("counts", {}).items():
        assert len(getattr(ds, table)) == used


SUBPROCESS_CASES = ["csv_cut_mid_row", "utf16_csv", "sf_semicolon_delimiter", "sf_utf8_bom", "parquet_truncated"]


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_the_installed_command_exits_with_the_code_and_no_traceback(name, tmp_path):
    source, meta = build(name, tmp_path)
    done = subprocess.run([sys.executable, "-m", "quotabook", "validate", "--source", str(source)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == meta["exit"], done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert meta["problems"][0]["message"] in done.stdout if meta["problems"] else "no problems found" in done.stdout


def test_the_corpus_has_at_least_thirty_cases_and_covers_both_source_kinds():
    kinds = pd.Series([case_meta(n)["source"] for n in CASES]).value_counts()
    assert len(CASES) >= 30 and kinds["folder"] >= 30 and kinds["salesforce"] + kinds["hubspot"] >= 15


# -- a gigabyte of garbage -------------------------------------------------------------------------------
# Peak memory of the validate process itself: VmHWM of its own address space. (ru_maxrss would not do: Linux
# carries the forking parent's high-water mark across exec, so a big pytest worker would be counted.)
_PEAK = ("import re, sys\nfrom quotabook.cli import main\ncode = main(sys.argv[1:])\n"
         "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
         "print('PEAK_KB', hwm, file=sys.stderr)\nsys.exit(code)\n")


def _garbage(path: Path, text: bool, size_mb: int = 1024) -> None:
    """``size_mb`` MB of junk: printable text with commas and newlines, or raw random bytes."""
    rng = __import__("numpy").random.default_rng(9)
    if text:
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 ,;\"'\n#$%&"
        chunk = "".join(rng.choice(list(alphabet), size=1 << 20)).encode()
    else:
        chunk = rng.bytes(1 << 20)
    with path.open("wb") as fh:
        for _ in range(size_mb):
            fh.write(chunk)


@pytest.mark.slow
@pytest.mark.parametrize(("kind", "text"), [("folder", True), ("salesforce", False)])
def test_a_gigabyte_of_garbage_is_refused_with_a_message_in_bounded_memory(kind, text, tmp_path):
    name = {"folder": "utf8_bom", "salesforce": "sf_utf8_bom"}[kind]
    source, _ = build(name, tmp_path)
    target = source / "opportunities.csv" if kind == "folder" else source.parent / "Opportunity.csv"
    _garbage(target, text)
    assert target.stat().st_size == 1 << 30
    env = {**os.environ, "PYTHONPATH": str(ROOT / "lib")}
    done = subprocess.run([sys.executable, "-c", _PEAK, "validate", "--source", str(source)], capture_output=True,
                          text=True, cwd=ROOT, timeout=600, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    peak_mb = int(done.stderr.split("PEAK_KB")[1].split()[0]) / 1024
    assert peak_mb < 600, f"peak memory {peak_mb:.0f} MB for a 1 GB file"
    problem = next(ln for ln in done.stdout.splitlines() if target.name in ln and "unreadable_file" in ln)
    expected = "not a table: its first line names none of" if text else "binary data, not CSV text"
    assert expected in problem, problem


# -- YAML alias bombs (issue 15) -------------------------------------------------------------------------
def _alias_bomb(levels: int = 10, width: int = 9) -> str:
    """A few hundred bytes standing for ``width ** levels`` values (3.5 billion for 10 × 9)."""
    lines = ['a0: &a0 "boom"']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * width)}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("kind", ["mapping", "pack", "workbook"])
def test_a_yaml_alias_bomb_is_refused_at_once_naming_the_file(kind, tmp_path, capsys, monkeypatch):
    import time

    from quotabook.pack.plan import load_pack_spec
    from quotabook.settings import load_settings

    bomb = tmp_path / f"{kind}.yaml"
    bomb.write_text(_alias_bomb() + ("tables: {}\n" if kind == "mapping" else "notebooks: [00_ok]\n"),
                    encoding="utf-8")
    start = time.perf_counter()
    if kind == "mapping":
        code = main(["validate", "--source", str(bomb)])
        err = capsys.readouterr().err
        assert code == 2 and "Traceback" not in err
    else:
        with pytest.raises(QuotabookError) as info:
            if kind == "pack":
                load_pack_spec(bomb)
            else:
                load_settings(bomb)
        err = str(info.value)
    assert time.perf_counter() - start < 1.0
    assert str(bomb) in err and "aliases (*name) expand to more than 200,000 values" in err


def test_a_recursive_alias_is_refused_and_ordinary_anchors_still_load(tmp_path):
    from quotabook.errors import ConfigError
    from quotabook.yaml_files import safe_load

    with pytest.raises(ConfigError, match=r"file x\.yaml: an alias at line 1 refers to a value that contains it"):
        safe_load("a: &a [1, *a]\n", file="x.yaml")
    text = "base: &b {delimiter: ';', encoding: latin-1}\ntables:\n  deals: {<<: *b, file: d.csv}\n"
    assert safe_load(text)["tables"]["deals"] == {"delimiter": ";", "encoding": "latin-1", "file": "d.csv"}


def test_validate_prints_the_root_cause_before_the_problems_it_causes(tmp_path, capsys):
    source, _ = build("region_of_spaces", tmp_path)
    assert main(["validate", "--source", str(source), "--limit", "1"]) == 1
    out = capsys.readouterr().out
    problems = re.split(r"problems?, root causes first:\n", out, maxsplit=1)[1].splitlines()
    assert "territories.csv, row 1, column 'region': missing_value" in problems[0]
    assert problems[1].startswith("  … and ")


# -- Unicode spellings (issue 15) ----------------------------------------------------------------------------------
def test_a_name_in_two_unicode_forms_is_one_region_with_a_data_note(tmp_path, capsys):
    import unicodedata

    from quotabook.pack.plan import data_regions

    nfc, nfd = "Z\u00fcrich", "Zu\u0308rich"
    assert nfc != nfd and unicodedata.normalize("NFC", nfd) == nfc
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "territories.csv").write_text(f"territory,region,district,owner,segment\nT1,{nfc},D,Ann,SMB\n"
                                            f"T2,{nfd},D,Bo\u0308,SMB\nT3,Bern,D,Cy,SMB\n", encoding="utf-8")
    (folder / "opportunities.csv").write_text(
        "opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won\n"
        "A,Ann,T1,2026-01-05,2026-03-30,Closed Won,Closed,100,true,true\n"
        "B,Bo\u0308,T2,2026-01-05,2026-03-30,Closed Won,Closed,200,true,true\n", encoding="utf-8")
    with pytest.warns(DataQualityWarning, match=r"column 'region': 'Zürich' written in more than one Unicode form"):
        ds = load(folder)
    assert ds.regions == ["Bern", nfc] and data_regions(folder) == ["Bern", nfc]
    assert ds.for_region(nfc).opportunities["amount"].sum() == 300  # both spellings' deals, one region
    assert set(ds.territories["owner"]) == {"Ann", "B\u00f6", "Cy"}  # NFC everywhere, no merge to report there
    assert main(["validate", str(folder)]) == 0
    assert "note: " in capsys.readouterr().out


# -- a workbook copied without its rates file (issue 15) -----------------------------------------------------------
def test_a_workbook_copy_without_rates_names_the_rates_file_it_looked_for(tmp_path):
    from quotabook.settings import load_settings

    book = tmp_path / "book"
    book.mkdir()
    text = (ROOT / "params" / "workbook.yaml").read_text(encoding="utf-8")
    (book / "workbook.yaml").write_text(text.replace("currency: USD ", "currency: EUR ", 1), encoding="utf-8")
    settings = load_settings(book / "workbook.yaml")
    assert settings.currency == "EUR"
    folder = tmp_path / "data"
    shutil.copytree(BAD / "_base" / "folder", folder)
    opps = pd.read_csv(folder / "opportunities.csv", dtype=str)
    opps.assign(currency="USD").to_csv(folder / "opportunities.csv", index=False)
    report, _ = validate_source(folder, settings=settings)
    currency = report.rejects[report.rejects["column"].eq("currency")]
    expected = (f"no exchange rate for 'USD' in the rates file {book / 'currency_rates.yaml'} (there is none, "
                "so only EUR is known) (known: EUR)")
    assert len(currency) == 4 and set(currency["message"]) == {expected}
    assert not report.rejects["message"].str.contains("params/currency_rates.yaml").any()
