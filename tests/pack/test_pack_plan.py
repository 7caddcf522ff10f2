"""Planning: names and paths are safe, the pack YAML and the notebooks are checked before anything runs."""

from __future__ import annotations

import pytest
from packtools import NOTEBOOKS, PACK_YAML, write_data

from quotabook.errors import ConfigError, PackError, SourceError
from quotabook.pack.plan import (
    DISTRICT,
    PACK_PARAMETERS,
    assign_slugs,
    load_pack_spec,
    make_plan,
    project_root,
    safe_path,
    slugify,
)


@pytest.fixture
def data_folder(tmp_path):
    return write_data(tmp_path / "data")


@pytest.mark.parametrize(("name", "slug"), [
    ("East", "east"),
    ("Nord/Süd", "nord-sud"),
    ("../../etc/passwd", "etc-passwd"),
    ('O\'Brien "North"', "o-brien-north"),
    ("..", "region"),
    ("", "region"),
    ("  Mid   West  ", "mid-west"),
])
def test_slugify_leaves_only_lowercase_letters_digits_and_hyphens(name, slug):
    assert slugify(name) == slug


def test_colliding_and_reserved_names_get_distinct_slugs():
    slugs = assign_slugs(["East West", "East/West", "District", "North"])
    assert len(set(slugs.values())) == 4
    assert slugs["North"] == "north"
    assert slugs["District"] != DISTRICT and slugs["District"].startswith("district-")
    assert slugs["East West"].startswith("east-west-") and slugs["East/West"].startswith("east-west-")


def test_safe_path_refuses_to_leave_the_pack_folder(tmp_path):
    assert safe_path(tmp_path, "east", "a.html") == (tmp_path / "east" / "a.html").resolve()
    with pytest.raises(PackError, match="outside the pack folder"):
        safe_path(tmp_path, "..", "escape.html")


def test_the_quarterly_pack_lists_the_themes_in_order():
    spec = load_pack_spec("quarterly", project_root())
    assert spec.notebooks == ("summary", "00_target_achievement", "01_activity_ratios", "02_funnel", "03_velocity",
                              "04_territory_quota", "05_forecast", "06_won_lost", "07_rep_scorecards")
    assert spec.regions == ("all",) and spec.formats == ("html", "pdf", "csv", "xlsx")


def _plan(data, tmp_path, **kw):
    kw.setdefault("notebooks_dir", NOTEBOOKS)
    return make_plan("2026-Q3", data=data, out=tmp_path / "reports", pack=PACK_YAML, **kw)


def test_plan_runs_every_notebook_for_the_district_and_every_region(data_folder, tmp_path):
    plan = _plan(data_folder, tmp_path)
    assert plan.regions == (("district", "district"), ("East", "east"), ("West", "west"))
    assert [r.key for r in plan.runs] == ["district/00_ok", "district/01_broken", "east/00_ok", "east/01_broken",
                                          "west/00_ok", "west/01_broken"]
    district = plan.runs[0]
    # One as-of for every run: the source's latest dated event (deal B closed on 20 Feb; deal A's expected
    # close date, 30 Mar, is a forecast and does not count), although East's own latest event is 5 Jan.
    assert district.parameters == {"region": "district", "period": "2026-Q3", "as_of": "2026-02-20",
                                   "data": str(data_folder)}
    assert {r.parameters["as_of"] for r in plan.runs} == {"2026-02-20"} and plan.as_of == "2026-02-20"
    assert set(district.parameters) == set(PACK_PARAMETERS)
    assert plan.runs[2].ipynb == (tmp_path / "reports" / "2026-Q3" / "east" / "00_ok.ipynb").resolve()
    assert plan.runs[0].title == "Target achievement (fixture)"


def test_regions_are_chosen_by_their_exact_name_or_the_keywords(data_folder, tmp_path):
    plan = _plan(data_folder, tmp_path, regions=["West", "region:East", "district"], notebooks=["00_ok"],
                 as_of="2026-09-15")
    assert [name for name, _ in plan.regions] == ["West", "East", "district"]
    assert {r.parameters["as_of"] for r in plan.runs} == {"2026-09-15"}


def test_an_unknown_region_names_the_known_ones_and_a_case_slip_says_which(data_folder, tmp_path):
    with pytest.raises(PackError, match=r"unknown region 'South'; .*'East', 'West'"):
        _plan(data_folder, tmp_path, regions=["South"])
    with pytest.raises(PackError, match=r"unknown region 'west' \(did you mean 'West'\?\)"):
        _plan(data_folder, tmp_path, regions=["west"])
    with pytest.raises(PackError, match=r"unknown region 'ALL' \(did you mean 'all' \(the keyword"):
        _plan(data_folder, tmp_path, regions=["ALL"])


def test_an_unknown_region_among_ten_thousand_lists_twenty_and_a_count(tmp_path):
    rows = "".join(f"T{i},R{i:05d},D\n" for i in range(10_000))
    data = write_data(tmp_path / "data", territories="territory,region,district\n" + rows)
    with pytest.raises(PackError) as info:
        _plan(data, tmp_path, regions=["Nope"])
    message = str(info.value)
    assert "unknown region 'Nope'; regions in the data: 'R00000', 'R00001', " in message
    assert "'R00019' and 9980 more" in message and "R00020" not in message and len(message) < 500


def test_hostile_region_names_stay_inside_the_pack_folder(tmp_path):
    nasty = "territory,region,district\nT1,../../outside,D\nT2,\"a/b\\\\c\",D\n"
    data = write_data(tmp_path / "data", territories=nasty)
    plan = _plan(data, tmp_path)
    root = (tmp_path / "reports" / "2026-Q3").resolve()
    for run in plan.runs:
        assert run.ipynb.is_relative_to(root) and run.html.is_relative_to(root)
        assert run.ipynb.parent.parent == root
    assert {r.parameters["region"] for r in plan.runs} == {"district", "../../outside", "a/b\\\\c"}


def test_missing_notebooks_are_all_listed_before_anything_runs(data_folder, tmp_path):
    with pytest.raises(PackError, match="2 notebook") as err:
        _plan(data_folder, tmp_path, notebooks=["00_ok", "07_nope", "08_nope"])
    assert "07_nope.ipynb" in str(err.value) and "08_nope.ipynb" in str(err.value)


def test_a_notebook_without_the_pack_parameters_is_refused(data_folder, tmp_path):
    with pytest.raises(PackError, match=r"no_parameters.ipynb: parameters cell lacks region, period, as_of, data"):
        _plan(data_folder, tmp_path, notebooks=["no_parameters"])


def test_notebook_names_cannot_be_paths(data_folder, tmp_path):
    with pytest.raises(PackError, match="plain file stems"):
        _plan(data_folder, tmp_path, notebooks=["../secrets"])


def test_connection_strings_are_refused_so_no_secret_reaches_a_report(tmp_path):
    with pytest.raises(PackError, match="connection strings are refused"):
        _plan("postgresql://user:hunter2@db/sales", tmp_path)


def test_bad_period_as_of_format_and_data_folder_are_config_errors(data_folder, tmp_path):
    with pytest.raises(ConfigError, match="not a fiscal quarter"):
        make_plan("Q3", data=data_folder, pack=PACK_YAML, notebooks_dir=NOTEBOOKS)
    with pytest.raises(ConfigError, match="not an ISO date"):
        _plan(data_folder, tmp_path, as_of="15/09/2026")
    with pytest.raises(ConfigError, match="unknown format"):
        _plan(data_folder, tmp_path, formats=["docx"])
    with pytest.raises(SourceError, match="data folder not found"):
        _plan(tmp_path / "nope", tmp_path)
    with pytest.raises(ConfigError, match="pack file not found"):
        make_plan("2026-Q3", data=data_folder, pack="no_such_pack", notebooks_dir=NOTEBOOKS)
