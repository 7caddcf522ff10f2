"""The command line: each subcommand's output and exit code (0 ok, 1 rejected data, 2 config error)."""

from pathlib import Path

import pytest

from quotabook.cli import main
from quotabook.testing.tiny import OPPORTUNITIES, TERRITORIES, write_folder


def test_validate_clean_folder_exits_zero(tiny_folder, capsys):
    assert main(["validate", str(tiny_folder)]) == 0
    assert "no problems found" in capsys.readouterr().out


def test_validate_exits_one_and_lists_each_problem(tmp_path, capsys):
    bad = OPPORTUNITIES + "E,Ann,T1,2026-01-01,2026-03-01,Proposal,Commit,-1,false,false,\n"
    folder = write_folder(tmp_path / "f", territories=TERRITORIES, opportunities=bad)
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "opportunities             5       4         1" in out
    assert "row 5, column 'amount': negative_amount" in out


def test_pack_writes_the_overview(tiny_folder, tmp_path, capsys):
    assert main(["pack", "--period", "2026-Q1", "--data", str(tiny_folder), "--out", str(tmp_path), "--overview"]) == 0
    assert (tmp_path / "2026-Q1" / "overview.html").is_file()
    assert not (tmp_path / "2026-Q1" / "index.html").exists(), "--overview never writes (or overwrites) an index"


def test_bad_period_is_a_config_error_with_exit_two(tiny_folder, tmp_path, capsys):
    assert main(["pack", "--period", "Q3", "--data", str(tiny_folder), "--out", str(tmp_path)]) == 2
    assert "not a fiscal quarter" in capsys.readouterr().err


def test_missing_folder_is_reported_not_a_traceback(tmp_path, capsys):
    assert main(["pack", "--period", "2026-Q1", "--data", str(tmp_path / "nope")]) == 2
    assert "data folder not found" in capsys.readouterr().err


def _fake_build(calls: list, failures=()):
    from pathlib import Path

    from quotabook.pack import PackResult

    def build_pack(period, **kwargs):
        calls.append((period, kwargs))
        return PackResult(out_dir=Path("reports") / period, index=Path("reports") / period / "index.html",
                          manifest=Path("reports") / period / "manifest.json", failures=list(failures),
                          executed=["east/00_ok"])

    return build_pack


def test_pack_passes_its_options_to_build_pack(monkeypatch, capsys):
    import quotabook.pack

    calls: list = []
    monkeypatch.setattr(quotabook.pack, "build_pack", _fake_build(calls))
    argv = ["pack", "--period", "2026-Q3", "--regions", "East, West", "--notebooks", "00_a,01_b", "--data", "d",
            "--formats", "html", "--workers", "3", "--resume", "--timeout", "30", "--notebook-timeout", "900",
            "--quiet"]
    assert main(argv) == 0
    (period, kwargs), = calls
    assert period == "2026-Q3"
    assert kwargs == {"regions": ["East", "West"], "notebooks": ["00_a", "01_b"], "data": "d", "formats": ("html",),
                      "workers": 3, "resume": True, "out": "reports", "pack": "quarterly", "timeout": 30.0,
                      "progress": False, "as_of": None, "notebooks_dir": None, "notebook_timeout": 900.0}
    assert "wrote reports/2026-Q3/index.html" in capsys.readouterr().out


def test_pack_defaults_leave_regions_notebooks_and_formats_to_the_pack_file(monkeypatch):
    import quotabook.pack

    calls: list = []
    monkeypatch.setattr(quotabook.pack, "build_pack", _fake_build(calls))
    assert main(["pack", "--period", "2026-Q3"]) == 0
    kwargs = calls[0][1]
    assert kwargs["regions"] is None and kwargs["notebooks"] is None and kwargs["formats"] is None
    assert kwargs["workers"] is None and kwargs["progress"] is True and kwargs["timeout"] == 600
    assert kwargs["notebook_timeout"] is None


def test_pack_with_a_failed_notebook_exits_one_and_names_it(monkeypatch, capsys):
    import quotabook.pack
    from quotabook.errors import NotebookFailure

    failure = NotebookFailure("02_funnel", "West", 4, "ValueError", "no funnel data", "papermill-error-cell")
    monkeypatch.setattr(quotabook.pack, "build_pack", _fake_build([], [failure]))
    assert main(["pack", "--period", "2026-Q3"]) == 1
    assert "02_funnel for West failed at cell 4: ValueError: no funnel data" in capsys.readouterr().err


def test_pack_with_missing_notebooks_is_a_usage_error_with_exit_two(tiny_folder, tmp_path, capsys):
    argv = ["pack", "--period", "2026-Q1", "--data", str(tiny_folder), "--out", str(tmp_path),
            "--notebooks", "00_target_achievement,99_missing", "--notebooks-dir", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "2 notebooks of the pack do not exist yet" in err
    assert "99_missing.ipynb" in err and "00_target_achievement.ipynb" in err


def test_metrics_lists_the_catalog_and_renders_markdown(capsys):
    assert main(["metrics", "--theme", "funnel"]) == 0
    out = capsys.readouterr().out
    assert "win_rate" in out and "closed_amount" not in out
    assert main(["metrics", "--markdown"]) == 0
    assert "## Metric glossary" in capsys.readouterr().out


def test_app_starts_voila_on_localhost_with_its_options(monkeypatch):
    import quotabook.app

    calls: list = []
    monkeypatch.setattr(quotabook.app, "serve", lambda **kwargs: calls.append(kwargs) or 0)
    assert main(["app", "--region", "West", "--period", "2026-Q4", "--port", "9001"]) == 0
    assert calls == [{"region": "West", "period": "2026-Q4", "data": "demo", "as_of": None, "port": 9001,
                      "open_browser": False, "cull_after": 300.0}]


def test_validate_source_mapping_exits_one_and_names_the_unknown_stage(tmp_path, capsys):
    (tmp_path / "territories.csv").write_text("territory,region,district\nT1,East,D\n")
    (tmp_path / "deals.csv").write_text("Id,Owner,Territory,Created,Close,Stage,Amount\n"
                                        "A,Ann,T1,2026-01-05,2026-03-30,Parked,1200\n")
    (tmp_path / "m.yaml").write_text(
        "tables:\n  territories: {file: territories.csv}\n  opportunities:\n    file: deals.csv\n"
        "    columns: {opportunity_id: Id, owner: Owner, territory: Territory, created_date: Created,"
        " close_date: Close, stage: Stage, amount: Amount}\n"
        "    derive: {is_closed: {stage_flag: is_closed}, is_won: {stage_flag: is_won}}\n")
    assert main(["validate", "--source", str(tmp_path / "m.yaml")]) == 1
    out = capsys.readouterr().out
    assert "deals.csv, row 1, column 'stage': unknown_stage" in out and "(value 'Parked')" in out


def test_validate_source_with_a_broken_mapping_is_a_config_error(tmp_path, capsys):
    (tmp_path / "m.yaml").write_text("tables: {deals: {file: a.csv}}\n")
    assert main(["validate", "--source", str(tmp_path / "m.yaml")]) == 2
    assert "key 'tables.deals': not a canonical table" in capsys.readouterr().err



@pytest.mark.parametrize(("argv", "expected"), [
    (["pack", "--period", "2026-Q3", "--workers", "0"], "argument --workers: must be above zero, got 0"),
    (["pack", "--period", "2026-Q3", "--workers", "-2"], "argument --workers: must be above zero, got -2"),
    (["pack", "--period", "2026-Q3", "--timeout", "-5"], "argument --timeout: must be above zero, got -5"),
    (["pack", "--period", "2026-Q3", "--timeout", "nan"], "argument --timeout: must be above zero, got nan"),
    (["pack", "--period", "2026-Q3", "--notebook-timeout", "0"], "argument --notebook-timeout: must be above zero"),
    (["pack", "--period", "2026-Q3", "--workers", "two"], "argument --workers: expected a number, got 'two'"),
    (["validate", "--limit", "-1"], "argument --limit: must be zero or more, got -1"),
    (["demo", "--workers", "0"], "argument --workers: must be above zero, got 0"),
])
def test_counts_and_time_limits_out_of_range_are_usage_errors(argv, expected, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert expected in capsys.readouterr().err


def test_a_notebook_that_is_not_json_or_names_no_kernel_is_a_clear_planning_error(tmp_path, capsys):
    import nbformat

    folder = tmp_path / "notebooks"
    folder.mkdir()
    (folder / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    cell = nbformat.v4.new_code_cell("region = 'ALL'", metadata={"tags": ["parameters"]})
    nb = nbformat.v4.new_notebook(cells=[cell])
    nbformat.write(nb, folder / "nokernel.ipynb")
    nb.metadata["kernelspec"] = {"name": "julia-9", "display_name": "Julia", "language": "julia"}
    nbformat.write(nb, folder / "julia.ipynb")
    data = write_folder(tmp_path / "data", territories=TERRITORIES, opportunities=OPPORTUNITIES)
    pack = Path(__file__).parent / "pack" / "fixtures" / "pack.yaml"
    code = main(["pack", "--period", "2026-Q3", "--data", str(data), "--out", str(tmp_path / "out"), "--pack",
                 str(pack), "--notebooks-dir", str(folder), "--notebooks", "broken,nokernel,julia", "--quiet",
                 "--formats", "html"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert "3 notebooks of the pack cannot be run:" in err
    assert f"{folder / 'broken.ipynb'}: not a readable notebook (" in err
    assert f"{folder / 'nokernel.ipynb'}: no kernelspec in its metadata" in err
    assert f"{folder / 'julia.ipynb'}: asks for kernel 'julia-9', which is not installed (installed: " in err
    assert not (tmp_path / "out").exists()


# -- the default period: the quarter the data has reached (issue 16) --------------------------------------------
def test_pack_without_a_period_builds_the_quarter_holding_the_datas_as_of_date(tmp_path, capsys):
    import old_crm
    from quotabook.pack import make_plan

    folder = old_crm.write(tmp_path / "crm")  # latest event 25 Feb 2015: 2015-Q1 is the quarter in progress
    fixtures = Path(__file__).parent / "pack" / "fixtures"
    plan = make_plan(None, data=str(folder), out=tmp_path / "r", regions=["East"], pack=fixtures / "pack.yaml",
                     notebooks_dir=fixtures / "notebooks")
    assert (plan.period, plan.as_of) == ("2015-Q1", "2015-02-25")
    assert plan.out_dir == tmp_path / "r" / "2015-Q1"
    assert {r.parameters["period"] for r in plan.runs} == {"2015-Q1"}
    # a date given moves the default with it: as of 31 Dec 2014 the quarter is 2014-Q4
    assert make_plan(None, data=str(folder), out=tmp_path / "r", regions=["East"], as_of="2014-12-31",
                     pack=fixtures / "pack.yaml", notebooks_dir=fixtures / "notebooks").period == "2014-Q4"
    assert main(["pack", "--data", str(folder), "--out", str(tmp_path / "o"), "--overview"]) == 0
    out = capsys.readouterr().out
    assert "period 2015-Q1: the quarter holding the data's as-of date, 25 Feb 2015" in out
    assert (tmp_path / "o" / "2015-Q1" / "overview.html").is_file()  # never the pack's index.html


def test_pack_without_a_period_passes_none_and_says_which_period_it_built(monkeypatch, capsys):
    import quotabook.pack
    from quotabook.pack import PackResult

    calls: list = []

    def build_pack(period, **kwargs):
        calls.append(period)
        return PackResult(out_dir=Path("reports/2026-Q4"), index=Path("reports/2026-Q4/index.html"),
                          manifest=Path("reports/2026-Q4/manifest.json"), period="2026-Q4", as_of="2026-11-15")

    monkeypatch.setattr(quotabook.pack, "build_pack", build_pack)
    assert main(["pack", "--quiet"]) == 0
    assert calls == [None]
    assert "period 2026-Q4: the quarter holding the data's as-of date, 15 Nov 2026" in capsys.readouterr().out
    assert main(["pack", "--period", "2026-Q3", "--quiet"]) == 0
    assert "the quarter holding" not in capsys.readouterr().out  # a period asked for is not announced


def test_resume_without_period_or_data_is_refused_with_why(tmp_path, capsys):
    assert main(["pack", "--resume", "--out", str(tmp_path), "--quiet"]) == 2
    assert "--resume without --period needs --data" in capsys.readouterr().err


def test_without_any_dated_event_the_period_must_be_given():
    from quotabook.errors import ConfigError
    from quotabook.pack.plan import quarter_in_progress

    assert quarter_in_progress("2026-11-15") == "2026-Q4" and quarter_in_progress("2026-09-30") == "2026-Q3"
    with pytest.raises(ConfigError, match=r"no period given.*pass the period"):
        quarter_in_progress(None)


def test_version_prints_the_installed_package_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"quotabook {version('quotabook')}"


@pytest.mark.parametrize("argv", [[], ["demo"], ["validate"], ["metrics"], ["pack"], ["period"], ["app"]])
def test_help_is_written_for_users(argv, capsys):
    """Every --help page says what the command does in plain text: no reST markup, no developer docstring."""
    with pytest.raises(SystemExit) as stop:
        main([*argv, "--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert "`" not in out and ":func:" not in out and ":mod:" not in out
    assert "argument parsing" not in out and "library function" not in out
    description = out.split("\n\n")[1]  # the paragraph after the usage line
    assert description[0].isupper() and description.rstrip().endswith(".")
    if not argv:
        assert "examples:" in out and "exit codes:" in out and "--version" in out
