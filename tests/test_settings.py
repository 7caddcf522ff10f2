from pathlib import Path

import pytest

from quotabook.errors import ConfigError
from quotabook.settings import PACKAGED_WORKBOOK, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_packaged_default_is_identical_to_params_workbook():
    assert PACKAGED_WORKBOOK.read_text() == (ROOT / "params" / "workbook.yaml").read_text()


def test_workbook_settings_load_with_stage_map_and_thresholds():
    s = load_settings(ROOT / "params" / "workbook.yaml")
    assert s.currency == "USD"
    assert s.open_stages[0] == "Qualification"
    assert s.stage_table().loc["Closed Won", "is_won"]
    assert s.threshold("coverage_alert_below") == 2.5


def test_unknown_threshold_names_the_key(tmp_path):
    s = load_settings(ROOT / "params" / "workbook.yaml")
    with pytest.raises(ConfigError, match=r"thresholds\.nope"):
        s.threshold("nope")


@pytest.mark.parametrize(("text", "match"), [
    ("fiscal: {start_month: 13}\ncurrency: USD\nstages: []\n", "fiscal.start_month"),
    ("fiscal: {start_month: 1}\nstages: []\n", "'currency'"),
    ("fiscal: {}\ncurrency: USD\nstages:\n  - {name: X}\n", "stage is missing"),
    ("[unclosed", "not valid YAML"),
])
def test_bad_workbook_settings_name_file_and_key(tmp_path, text, match):
    path = tmp_path / "workbook.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match) as err:
        load_settings(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize(("section", "metric"), [("funnel_conversion", "lead_to_sal"),
                                                 ("time_in_stage_days", "lead_to_sal_days")])
def test_a_band_section_of_an_older_workbook_says_where_bands_live_now(tmp_path, section, metric):
    path = tmp_path / "workbook.yaml"
    packaged = (Path(__file__).parents[1] / "params" / "workbook.yaml").read_text(encoding="utf-8")
    path.write_text(packaged.replace("benchmarks:\n", f"benchmarks:\n  {section}:\n    SMB: {{}}\n", 1))
    with pytest.raises(ConfigError, match=rf"benchmarks\.{section}") as err:
        load_settings(path)
    assert "metric catalog" in str(err.value) and metric in str(err.value) and str(path) in str(err.value)


def test_an_unknown_benchmark_section_is_named(tmp_path):
    path = tmp_path / "workbook.yaml"
    packaged = (Path(__file__).parents[1] / "params" / "workbook.yaml").read_text(encoding="utf-8")
    path.write_text(packaged.replace("benchmarks:\n", "benchmarks:\n  win_rates: {}\n", 1))
    with pytest.raises(ConfigError, match=r"benchmarks\.win_rates.*unknown benchmark section"):
        load_settings(path)
