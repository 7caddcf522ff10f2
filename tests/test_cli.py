"""The command line: each subcommand's output and exit code (0 ok, 1 rejected data, 2 config error)."""

from conftest import OPPORTUNITIES, TERRITORIES, write_folder
from quotabook.cli import main


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
    assert main(["pack", "--period", "2026-Q1", "--data", str(tiny_folder), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "2026-Q1" / "index.html").is_file()


def test_bad_period_is_a_config_error_with_exit_two(tiny_folder, tmp_path, capsys):
    assert main(["pack", "--period", "Q3", "--data", str(tiny_folder), "--out", str(tmp_path)]) == 2
    assert "not a fiscal quarter" in capsys.readouterr().err


def test_missing_folder_is_reported_not_a_traceback(tmp_path, capsys):
    assert main(["pack", "--period", "2026-Q1", "--data", str(tmp_path / "nope")]) == 2
    assert "data folder not found" in capsys.readouterr().err


def test_metrics_lists_the_catalog_and_renders_markdown(capsys):
    assert main(["metrics", "--theme", "funnel"]) == 0
    out = capsys.readouterr().out
    assert "win_rate" in out and "closed_amount" not in out
    assert main(["metrics", "--markdown"]) == 0
    assert "## Metric glossary" in capsys.readouterr().out
