"""The pack folder (issue 15): one build at a time, checked writable before anything runs, a region folder
removed mid-build fails that region only, and a stale cache of a killed build is cleaned up."""

from __future__ import annotations

import errno
import json
import os
import shutil
import subprocess
import sys
import time

import pytest
from packtools import CHROMIUM, NOTEBOOKS, PACK_YAML, write_data

from quotabook import cache
from quotabook.cli import main
from quotabook.errors import PackError
from quotabook.pack import build, build_pack, files

PERIOD = "2026-Q3"


def _argv(data, out, *extra):
    return ["pack", "--period", PERIOD, "--data", str(data), "--out", str(out), "--pack", str(PACK_YAML),
            "--notebooks-dir", str(NOTEBOOKS), "--notebooks", "00_ok", "--formats", "html", "--quiet", *extra]


def test_a_second_build_into_the_same_folder_is_refused_naming_the_first(tmp_path, capsys):
    data = write_data(tmp_path / "data")
    pack = tmp_path / "reports" / PERIOD
    with files.pack_lock(pack):  # a build holding the folder
        assert main(_argv(data, tmp_path / "reports")) == 2
    err = capsys.readouterr().err
    assert f"another pack build (process {os.getpid()}) is writing into {pack}; wait for it to finish" in err
    assert not list(pack.glob("*/*")) and not (pack / "manifest.json").exists()  # the second wrote nothing
    with files.pack_lock(pack):  # released when the first ends (or dies): the folder can be taken again
        pass


def test_the_lock_is_released_when_its_holder_is_killed(tmp_path):
    pack = tmp_path / "pack"
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from quotabook.pack.files import pack_lock\n"
                               f"with pack_lock({str(pack)!r}):\n    print('held', flush=True); time.sleep(60)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(PackError, match=f"process {holder.pid}"), files.pack_lock(pack):
            pass
    finally:
        holder.kill()
        holder.wait()
    with files.pack_lock(pack):
        pass


def test_an_out_that_is_a_file_or_read_only_is_reported_before_anything_runs(tmp_path, capsys, monkeypatch):
    data = write_data(tmp_path / "data")
    blocker = tmp_path / "reports.txt"
    blocker.write_text("not a folder", encoding="utf-8")
    assert main(_argv(data, blocker)) == 2
    err = capsys.readouterr().err
    assert f"cannot write the pack into {blocker / PERIOD}: {blocker} is a file, not a folder" in err
    assert "Traceback" not in err

    ran = []
    monkeypatch.setattr(build, "_execute_pack", lambda *a, **k: ran.append(1))
    real_open = open

    def read_only(path, *args, **kwargs):  # a read-only mount (root ignores chmod, so simulate EROFS)
        if str(path).startswith(str(tmp_path / "ro")):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(files, "open", read_only, raising=False)
    assert main(_argv(data, tmp_path / "ro")) == 2
    err = capsys.readouterr().err
    assert f"the pack folder {tmp_path / 'ro' / PERIOD} is not writable (Read-only file system); nothing was run" in err
    assert not ran


def test_a_stale_cache_folder_of_a_dead_build_is_removed_and_a_live_one_kept(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    gone, mine, foreign = tmp_path / f"{cache.PREFIX}gone", tmp_path / f"{cache.PREFIX}mine", tmp_path / "other"
    for folder in (gone, mine, foreign):
        folder.mkdir()
        (folder / "x.pickle").write_bytes(b"x" * 1000)
    (gone / ".owner").write_text(f"{dead.stdout.strip()} 1", encoding="utf-8")
    with cache.private_folder() as live:
        shutil.copy(live / ".owner", mine / ".owner")
        assert cache.remove_stale_folders(tmp_path) == [gone]
        assert live.is_dir() and mine.is_dir() and foreign.is_dir() and not gone.exists()
    assert not live.exists()  # the build's own folder goes with it


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs Chromium for the PDF stage")
def test_a_region_folder_removed_mid_build_fails_that_regions_pdf_and_runs_only(tmp_path, monkeypatch):
    data = write_data(tmp_path / "data")
    pack = tmp_path / "reports" / PERIOD
    real = build._RegionStage.print_complete_regions

    def remove_east_first(self, stack, bar):
        if "east/00_ok" in self.manifest["runs"] and (pack / "east").is_dir():
            shutil.rmtree(pack / "east")  # e.g. a user cleaning up while the pack builds
        return real(self, stack, bar)

    monkeypatch.setattr(build._RegionStage, "print_complete_regions", remove_east_first)
    start = time.perf_counter()
    result = build_pack(PERIOD, regions=["East", "West"], notebooks=["00_ok"], data=str(data), formats=["html", "pdf"],
                        executor="serial", out=tmp_path / "reports", pack=PACK_YAML, notebooks_dir=NOTEBOOKS,
                        progress=False)
    assert time.perf_counter() - start < 120
    manifest = json.loads((pack / "manifest.json").read_text(encoding="utf-8"))
    east, west = manifest["runs"]["east/00_ok"], manifest["runs"]["west/00_ok"]
    assert west["status"] == "ok" and (pack / west["outputs"]["html"]).is_file()
    assert east["status"] == "failed" and east["failure"]["ename"] == "FileNotFoundError"
    assert "east/00_ok.ipynb was written but is no longer there" in east["failure"]["evalue"]
    regions = {r["slug"]: r for r in manifest["regions"]}
    assert regions["west"]["pdf_status"] == "ok" and (pack / regions["west"]["pdf"]).is_file()
    assert regions["east"]["pdf_status"] == "failed" and "FileNotFoundError" in regions["east"]["error"]
    assert result.exit_code == 1 and set(result.pdf_errors) == {"east"}
