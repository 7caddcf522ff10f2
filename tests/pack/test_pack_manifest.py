"""The manifest (inputs, hashes, statuses), resume selection, the index page and atomic writes."""

from __future__ import annotations

import os
import pickle

import pytest
from packtools import NOTEBOOKS, PACK_YAML, assert_offline, write_data

from quotabook.errors import NotebookFailure, PackError
from quotabook.pack.execute import RunOutcome
from quotabook.pack.files import atomic_write_text, remove_stale_temporaries, temporary_path
from quotabook.pack.index import format_headline, render_index
from quotabook.pack.manifest import (
    describe_inputs,
    new_manifest,
    read_manifest,
    run_entry,
    select_runs,
    write_manifest,
)
from quotabook.pack.plan import make_plan


@pytest.fixture
def data_folder(tmp_path):
    return write_data(tmp_path / "data")


@pytest.fixture
def plan(data_folder, tmp_path):
    return make_plan("2026-Q3", data=data_folder, out=tmp_path / "reports", pack=PACK_YAML, notebooks_dir=NOTEBOOKS,
                     regions=["East", "West"], formats=["html"])


def _finished(plan, failed=("west/01_broken",)):
    """A manifest as a build leaves it, with output files on disk; the runs in ``failed`` failed."""
    inputs = describe_inputs(plan)
    manifest = new_manifest(plan, inputs, workers=2, resume=False)
    for run in plan.runs:
        bad = run.key in failed
        failure = NotebookFailure(run.stem, run.region, 4, "ValueError", "no funnel data", "papermill-error-cell")
        outcome = RunOutcome(run.key, "failed" if bad else "ok", "2026-10-01T08:00:00+00:00",
                             failure=failure if bad else None, headlines={"Closed": 820000.0},
                             alerts=[{"message": f"Coverage below 3x in {run.region}", "level": "warning"}],
                             timings={"execute": 1.0, "html": 0.03},
                             outputs={"ipynb": run.ipynb.name, "html": run.html.name})
        for path in (run.ipynb, run.html):
            atomic_write_text(path, "{}")
        manifest["runs"][run.key] = run_entry(run, outcome, inputs)
    write_manifest(plan.out_dir, manifest)
    return inputs, manifest


def test_manifest_records_inputs_hashes_parameters_versions_and_statuses(plan):
    _, manifest = _finished(plan)
    back = read_manifest(plan.out_dir)
    assert back == manifest
    assert set(back["inputs"]["data_files"]) == {"territories.csv", "opportunities.csv"}
    assert len(back["inputs"]["data_sha256"]) == 64 and set(back["inputs"]["notebooks"]) == {"00_ok", "01_broken"}
    assert back["parameters"]["regions"] == ["East", "West"] and back["parameters"]["formats"] == ["html"]
    assert back["versions"]["papermill"] and back["versions"]["nbconvert"]
    assert back["summary"] == {"runs": 4, "ok": 3, "failed": 1, "reused": 0}
    entry = back["runs"]["west/01_broken"]
    assert entry["failure"]["ename"] == "ValueError" and entry["outputs"]["html"] == "west/01_broken.html"
    assert entry["parameters"] == {"region": "West", "period": "2026-Q3", "as_of": "2026-02-20",
                                   "data": plan.data}


def test_data_hash_changes_when_a_data_file_changes(plan):
    before = describe_inputs(plan)
    with open(plan.data_folder / "opportunities.csv", "a", encoding="utf-8") as fh:
        fh.write("C,Bob,T2,2026-01-10,2026-02-20,Closed Won,Closed,1,true,true\n")
    after = describe_inputs(plan)
    assert before["data_sha256"] != after["data_sha256"]
    assert before["data_files"]["territories.csv"] == after["data_files"]["territories.csv"]


def test_unreadable_or_foreign_manifest_means_start_afresh(tmp_path):
    assert read_manifest(tmp_path) is None
    (tmp_path / "manifest.json").write_text("{truncated", encoding="utf-8")
    assert read_manifest(tmp_path) is None
    (tmp_path / "manifest.json").write_text('{"schema": 99}', encoding="utf-8")
    assert read_manifest(tmp_path) is None


def test_resume_reruns_only_failed_and_missing_runs(plan):
    inputs, _ = _finished(plan)
    todo, kept, _ = select_runs(plan, read_manifest(plan.out_dir), inputs)
    assert [r.key for r in todo] == ["west/01_broken"]
    assert sorted(kept) == ["east/00_ok", "east/01_broken", "west/00_ok"]
    assert all(entry["reused"] for entry in kept.values())

    os.remove(plan.out_dir / "east" / "00_ok.html")  # an output went missing
    todo, _, _ = select_runs(plan, read_manifest(plan.out_dir), inputs)
    assert [r.key for r in todo] == ["east/00_ok", "west/01_broken"]


def test_resume_reruns_everything_when_data_notebook_or_parameters_changed(plan):
    inputs, manifest = _finished(plan, failed=())
    assert select_runs(plan, manifest, inputs)[0] == []
    assert len(select_runs(plan, manifest, {**inputs, "data_sha256": "0" * 64})[0]) == 4
    changed = {**inputs, "notebooks": {**inputs["notebooks"], "00_ok": "1" * 64}}
    assert [r.key for r in select_runs(plan, manifest, changed)[0]] == ["east/00_ok", "west/00_ok"]
    manifest["runs"]["east/01_broken"]["parameters"]["as_of"] = "2026-09-01"
    assert [r.key for r in select_runs(plan, manifest, inputs)[0]] == ["east/01_broken"]
    assert len(select_runs(plan, None, inputs)[0]) == 4


def test_index_lists_failures_alerts_headlines_and_links(plan):
    _, manifest = _finished(plan)
    write_manifest(plan.out_dir, manifest)
    page = render_index(manifest)
    assert_offline(page)
    assert "Failures (1)" in page
    assert "cell 4: ValueError: no funnel data" in page
    assert 'href="west/01_broken.html#papermill-error-cell"' in page
    assert "Alerts fired (4)" in page and "Coverage below 3x in West" in page
    assert "820,000" in page and 'href="east/00_ok.html"' in page and 'href="east/00_ok.ipynb"' in page
    assert "3 of 4 notebooks ran, 1 failed" in page


def test_index_lists_the_runs_an_interrupted_build_never_reached(plan):
    _, manifest = _finished(plan, failed=())
    del manifest["runs"]["west/01_broken"]  # the build stopped (Ctrl-C) before this run finished
    page = render_index(manifest)
    west = page[page.index('id="region-west"'):]
    assert "01_broken" in west and "not run" in west and "run again with --resume" in west
    assert "not run" not in page[:page.index('id="region-west"')]


def test_index_escapes_names_from_the_data(plan):
    _, manifest = _finished(plan)
    manifest["runs"]["east/00_ok"]["region"] = "<script>alert(1)</script>"
    manifest["runs"]["east/00_ok"]["headlines"] = {"<b>x</b>": "<img src=x>"}
    page = render_index(manifest)
    assert "<script>alert" not in page and "<img src=x>" not in page


@pytest.mark.parametrize(("value", "shown"), [(1234567, "1,234,567"), (820000.0, "820,000"), (0.8234, "0.823"),
                                              (1234.5, "1,234.50"), ("82%", "82%"), (True, "True")])
def test_headline_values_are_formatted_for_reading(value, shown):
    assert format_headline(value) == shown


def test_atomic_write_keeps_the_old_file_when_the_write_fails(tmp_path, monkeypatch):
    target = tmp_path / "east" / "page.html"
    atomic_write_text(target, "good report")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_write_text(target, "half a rep")
    assert target.read_text() == "good report"
    assert list(target.parent.iterdir()) == [target]  # no temporary left behind


def test_stale_temporaries_of_an_interrupted_run_are_removed(tmp_path):
    stale = temporary_path(tmp_path / "east" / "00_ok.ipynb")
    stale.parent.mkdir()
    stale.write_text("partial")
    assert stale.name.startswith(".00_ok.ipynb.") and stale.suffix == ".ipynb"
    assert remove_stale_temporaries(tmp_path) == 1 and not stale.exists()


def test_failures_and_pack_errors_pickle_with_their_details():
    failure = NotebookFailure("02_funnel", "West", 4, "ValueError", "no funnel data", "papermill-error-cell")
    err = PackError("the pack has failures", [failure])
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is PackError and str(back) == str(err) and back.failures == [failure]
    assert "02_funnel for West failed at cell 4: ValueError: no funnel data" in str(err)
    assert pickle.loads(pickle.dumps(failure)) == failure


def test_resume_with_a_pdf_reruns_pages_whose_charts_have_no_print_variants(plan):
    inputs, manifest = _finished(plan, failed=())
    for key, entry in manifest["runs"].items():  # the build before printed no PDF; east/00_ok's entry is older
        entry["print_charts"] = None if key == "east/00_ok" else False
    del manifest["runs"]["east/00_ok"]["print_charts"]
    write_manifest(plan.out_dir, manifest)
    previous = read_manifest(plan.out_dir)
    assert select_runs(plan, previous, inputs)[0] == []  # HTML again: every page kept
    with_pdf = make_plan("2026-Q3", data=plan.data_folder, out=plan.out_dir.parent, pack=PACK_YAML,
                         notebooks_dir=NOTEBOOKS, regions=["East", "West"], formats=["html", "pdf"])
    todo, kept, reasons = select_runs(with_pdf, previous, inputs)
    assert list(kept) == ["east/00_ok"]  # an entry without the mark had its print variants
    assert sorted(r.key for r in todo) == ["east/01_broken", "west/00_ok", "west/01_broken"]
    assert set(reasons.values()) == {"its charts were drawn without their print variants (the previous build "
                                     "printed no PDF)"}


def test_kernels_of_a_pack_without_a_pdf_draw_no_print_variants(plan):
    from quotabook.headlines import PRINT_ENV
    from quotabook.pack.build import _tasks

    assert all(dict(task.env).get(PRINT_ENV) == "0" for task in _tasks(plan, plan.runs))
    with_pdf = make_plan("2026-Q3", data=plan.data_folder, out=plan.out_dir.parent, pack=PACK_YAML,
                         notebooks_dir=NOTEBOOKS, regions=["East", "West"], formats=["html", "pdf"])
    assert not any(PRINT_ENV in dict(task.env) for task in _tasks(with_pdf, with_pdf.runs))
