"""One real pack, end to end: 2 regions × 2 fixture notebooks (one raises for West), HTML + PDF, then --resume."""

from __future__ import annotations

import json
import shutil
import subprocess

import nbformat
import pytest
from packtools import CHROMIUM, NOTEBOOKS, PACK_YAML, assert_offline, write_data

from quotabook.cli import main


def pdf_text(path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def pdf_pages(path) -> int:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


@pytest.mark.slow
def test_pack_end_to_end_isolates_the_failure_and_resume_reruns_only_it(tmp_path, capsys):
    has_pdf = CHROMIUM.is_file()
    data = write_data(tmp_path / "data")
    out = tmp_path / "reports"
    argv = ["pack", "--period", "2026-Q3", "--data", str(data), "--out", str(out), "--pack", str(PACK_YAML),
            "--notebooks-dir", str(NOTEBOOKS), "--regions", "East,West", "--workers", "2", "--quiet",
            "--formats", "html,pdf" if has_pdf else "html"]

    assert main(argv) == 1  # one notebook failed, the pack is still written
    assert ('01_broken for West failed at In [4] (section "Funnel (fixture that fails for one region)"): '
            "ValueError: no funnel data for West") in capsys.readouterr().err
    pack = out / "2026-Q3"
    for region in ("east", "west"):
        for stem in ("00_ok", "01_broken"):
            assert (pack / region / f"{stem}.ipynb").is_file() and (pack / region / f"{stem}.html").is_file()
    pages = [pack / "index.html", *pack.glob("*/*.html")]
    assert len(pages) == 5
    for page in pages:
        assert_offline(page.read_text(encoding="utf-8"))
    page = (pack / "west" / "00_ok.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in page and "$310,000" in page and "plt.subplots" not in page

    manifest = json.loads((pack / "manifest.json").read_text())
    statuses = {key: run["status"] for key, run in manifest["runs"].items()}
    assert statuses == {"east/00_ok": "ok", "east/01_broken": "ok", "west/00_ok": "ok", "west/01_broken": "failed"}
    assert list(manifest["runs"]["east/00_ok"]["headlines"].items()) == [("Region", "East"), ("Attainment", "82%"),
                                                                         ("Closed", 820000)]
    assert list(manifest["runs"]) == ["east/00_ok", "east/01_broken", "west/00_ok", "west/01_broken"]
    assert all(run["parameters"]["data"] == str(data) for run in manifest["runs"].values())
    executed = nbformat.read(pack / "east" / "00_ok.ipynb", as_version=4).metadata.papermill
    assert executed.parameters == {"region": "East", "period": "2026-Q3", "as_of": "2026-02-20", "data": str(data)}
    assert executed.output_path == "00_ok.ipynb"  # not the temporary it was executed into

    index = (pack / "index.html").read_text(encoding="utf-8")
    assert "Failures (1)" in index and "In [4] (section &quot;Funnel (fixture that fails for one region)&quot;): " \
        "ValueError: no funnel data for West" in index
    assert 'href="west/01_broken.html#papermill-error-cell"' in index
    assert "Coverage below 3x" in index and "820,000" in index
    assert 'id="papermill-error-cell"' in (pack / "west" / "01_broken.html").read_text(encoding="utf-8")

    if has_pdf:
        for region in manifest["regions"]:
            assert region["pdf_status"] == "ok" and region["blocked_requests"] == [] and not region["console_errors"]
        if shutil.which("pdfinfo"):  # the two short themes flow under the contents: one page is enough
            assert pdf_pages(pack / "east" / "2026-Q3-east.pdf") >= 1
            east, west = (pdf_text(pack / region / f"2026-Q3-{region}.pdf") for region in ("east", "west"))
            assert "Where the region stands" in east and "funnel for East in 2026-Q3" in east
            assert "Where the region stands" in west and "This section could not be produced" in west
        assert manifest["versions"]["chromium"]

    kept = {p: p.stat().st_mtime_ns for p in pack.glob("*/*")
            if p.is_file() and ("01_broken" not in p.name or "east" in str(p))}
    kept.pop(pack / "west" / "2026-Q3-west.pdf", None)  # West's PDF is reprinted: one of its themes re-ran

    assert main([*argv, "--resume"]) == 1  # the fixture still fails for West: re-run, reported again
    manifest = json.loads((pack / "manifest.json").read_text())
    rerun = sorted(key for key, run in manifest["runs"].items() if not run["reused"])
    assert rerun == ["west/01_broken"]
    assert manifest["summary"] == {"runs": 4, "ok": 3, "failed": 1, "reused": 3}
    assert {p: p.stat().st_mtime_ns for p in kept} == kept  # nothing that was good was rewritten
    assert "kept from the previous build" in (pack / "index.html").read_text(encoding="utf-8")

    if not has_pdf:
        pytest.skip("PDF parts skipped: /usr/bin/chromium is absent (apt-get install chromium poppler-utils)")
