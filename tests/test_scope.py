"""One vocabulary for a report's scope (issue 15, item 1): the whole organisation is a sentinel in Python (``None``,
``ALL_REGIONS``) and the keyword ``district`` in text, and regions named ``ALL``, ``District``, ``district`` and
``East`` are each reachable, identically, from ``Dataset.for_region``, the pack plan, the CLI and papermill.

The data: four territories, one per region, each with one won deal of a distinct amount, so a report of the wrong
scope shows the wrong total (ALL 100, District 200, district 400, East 800; the whole organisation 1,500)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import nbformat
import pytest

import quotabook
from quotabook.cli import main
from quotabook.errors import ConfigError, PackError, QuotabookWarning
from quotabook.loading import load
from quotabook.pack.plan import DISTRICT, make_plan
from quotabook.scope import colliding_regions, parse_region_list, parse_scope, scope_parameter

REGIONS = ["ALL", "District", "East", "district"]  # sorted as Dataset.regions sorts
WON = {"ALL": 100, "District": 200, "district": 400, "East": 800}
NOTEBOOKS = Path(__file__).parent / "pack" / "fixtures" / "notebooks"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("keyword_regions")
    terr = ["territory,region,district,owner"] + [f"T{i},{r},Org,Rep{i}" for i, r in enumerate(WON)]
    opps = ["opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won"]
    opps += [f"O{i},Rep{i},T{i},2026-01-05,2026-02-10,Closed Won,Closed,{amount},true,true"
             for i, amount in enumerate(WON.values())]
    (folder / "territories.csv").write_text("\n".join(terr) + "\n", encoding="utf-8")
    (folder / "opportunities.csv").write_text("\n".join(opps) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def ds(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load(folder)


def won(dataset) -> int:
    return int(dataset.opportunities["amount"].sum())


def test_for_region_reads_every_string_as_a_region_name(ds):
    assert quotabook.ALL_REGIONS is None and ds.region is None and ds.regions == REGIONS
    assert won(ds.for_region(None)) == won(ds.for_region(quotabook.ALL_REGIONS)) == 1500
    assert {name: won(ds.for_region(name)) for name in REGIONS} == WON
    assert ds.for_region("ALL").region == "ALL"
    with pytest.raises(ConfigError, match=r"unknown region 'east' \(did you mean 'East'\?\)"):
        ds.for_region("east")
    with pytest.raises(ConfigError, match=r"unknown region ' East' \(did you mean 'East'\?\)"):
        ds.for_region(" East")
    with pytest.raises(ConfigError, match=r"unknown region 'DISTRICT' \(did you mean .*'district' \(the keyword"):
        ds.for_region("DISTRICT")


def test_text_spellings_round_trip_through_the_parser(ds):
    for name in REGIONS:
        assert parse_scope(scope_parameter(name), ds.regions) == name
    assert [scope_parameter(r) for r in REGIONS] == ["ALL", "District", "East", "region:district"]
    assert scope_parameter(None) == "district"
    assert parse_scope("region:ALL", ds.regions) == parse_scope("ALL", ds.regions) == "ALL"
    with pytest.warns(QuotabookWarning, match="write 'region:district' for that region"):
        assert parse_scope("district", ds.regions) is None  # the keyword wins, and says there is a clash
    with pytest.raises(ConfigError, match="for lists of regions"):
        parse_scope("all", ds.regions)
    with pytest.raises(ConfigError, match="unknown region 'Nope'"):
        parse_scope("region:Nope", ds.regions)
    assert parse_region_list(["East", "all"], ["East", "West"]) == ["East", None, "West"]
    assert colliding_regions(ds.regions) == ["ALL", "District", "district"]


def test_the_pack_plan_picks_the_region_named_like_a_keyword_and_tells_notebooks_unambiguously(folder, tmp_path):
    def plan(regions):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", QuotabookWarning)
            return make_plan("2026-Q1", regions=regions, data=folder, notebooks=["00_ok"], notebooks_dir=NOTEBOOKS,
                             out=tmp_path, pack=NOTEBOOKS.parent / "pack.yaml")

    every = plan(["all"])
    assert [name for name, _ in every.regions] == [DISTRICT, *REGIONS]
    slugs = [slug for _, slug in every.regions]
    assert len(set(slugs)) == 5 and slugs.count("district") == 1  # only the whole district's folder is "district"
    params = {run.slug: run.parameters["region"] for run in every.runs}
    assert params["district"] == "district" and sorted(params.values()) == sorted(
        ["district", "ALL", "District", "East", "region:district"])
    assert [n for n, _ in plan(["District"]).regions] == ["District"]   # the region, not the district
    assert [n for n, _ in plan(["ALL"]).regions] == ["ALL"]
    assert plan(["district"]).regions == ((DISTRICT, DISTRICT),)
    assert [n for n, _ in plan(["region:district"]).regions] == ["district"]
    with pytest.raises(PackError, match=r"did you mean 'East'"):
        plan(["east"])


def test_the_cli_agrees_and_validate_warns_about_keyword_names(folder, tmp_path, capsys):
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "warning: region 'district' is spelled like a keyword" in out and "region:district" in out
    assert "warning: region 'ALL' differs only in case" in out and "warning: region 'District'" in out
    assert "region 'East'" not in out
    args = ["pack", "--period", "2026-Q1", "--data", str(folder), "--out", str(tmp_path), "--notebooks", "00_ok",
            "--notebooks-dir", str(NOTEBOOKS), "--pack", str(NOTEBOOKS.parent / "pack.yaml"), "--formats", "html",
            "--quiet", "--regions"]
    assert main([*args, "east"]) == 2
    assert "did you mean 'East'" in capsys.readouterr().err


@pytest.mark.slow
def test_papermill_runs_with_the_cli_spellings(folder, tmp_path):
    """``papermill -p region …`` with the CLI's spellings: each run reports the scope the CLI would build."""
    import papermill

    nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                           "language": "python"}})
    nb.cells = [nbformat.v4.new_code_cell('region = "district"\nperiod = "2026-Q1"\nas_of = None\ndata = "demo"',
                                          metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell("import json, warnings\nfrom quotabook.notebook import start\n"
                                          "warnings.simplefilter('ignore')\nrep = start(region, period, as_of, data)\n"
                                          "print(json.dumps({'label': rep.label, 'district': rep.is_district, "
                                          "'won': int(rep.ds.opportunities['amount'].sum())}))")]
    source = tmp_path / "scope.ipynb"
    nbformat.write(nb, source)
    seen = {}
    for spelling in ["district", "region:district", "ALL", "East"]:
        out = tmp_path / f"out-{len(seen)}.ipynb"
        papermill.execute_notebook(str(source), str(out), parameters={"region": spelling, "data": str(folder)},
                                   progress_bar=False, kernel_name="python3")
        outputs = nbformat.read(out, as_version=4).cells[-1].outputs
        seen[spelling] = json.loads(next(o["text"] for o in outputs if o.get("name") == "stdout"))
    assert seen == {"district": {"label": "The district", "district": True, "won": 1500},
                    "region:district": {"label": "district", "district": False, "won": 400},
                    "ALL": {"label": "ALL", "district": False, "won": 100},
                    "East": {"label": "East", "district": False, "won": 800}}
    bad = tmp_path / "bad.ipynb"
    with pytest.raises(papermill.PapermillExecutionError, match="did you mean 'East'"):
        papermill.execute_notebook(str(source), str(bad), parameters={"region": "east", "data": str(folder)},
                                   progress_bar=False, kernel_name="python3")
