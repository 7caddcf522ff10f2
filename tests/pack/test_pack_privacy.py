"""Contact details in names from the data are masked in every output of a pack (issue 15, item 8): folder
and file names, manifest, index, page titles, executed notebooks, PDF cover, contents and footer."""

from __future__ import annotations

import json
import shutil

import pytest
from packtools import CHROMIUM, NOTEBOOKS, PACK_YAML, output_texts, write_data

from quotabook.pack import build_pack

REGION = "East jane.doe@corp.com +1-555-123-4567"
SECRETS = ("jane.doe", "123-4567", "555-123")


@pytest.mark.slow
def test_a_contact_in_a_region_name_is_masked_in_every_output_names_of_files_included(tmp_path):
    pdf = CHROMIUM.is_file() and shutil.which("pdftotext") is not None
    territories = f"territory,region,district,owner,segment\nT1,{REGION},D,Ann,SMB\nT2,West,D,Bob,Enterprise\n"
    data = write_data(tmp_path / "data", territories)
    result = build_pack("2026-Q3", regions=[REGION, "West"], notebooks=["00_ok"], data=str(data),
                        formats=["html", "pdf"] if pdf else ["html"], workers=2, out=tmp_path / "reports",
                        pack=PACK_YAML, notebooks_dir=NOTEBOOKS, progress=False)
    assert result.exit_code == 0, result.failures
    names = [p.relative_to(result.out_dir).as_posix() for p in result.out_dir.rglob("*")]
    assert "east-j-corp-com-1-555-67/00_ok.html" in names, names
    texts = output_texts(result.out_dir)
    leaked = {s: [n for n, t in texts.items() if s in t] for s in SECRETS if any(s in t for t in texts.values())}
    assert not leaked and not [n for n in names if any(s in n for s in ("jane", "4567"))], leaked
    masked = "East j***@corp.com +1-555-***-**67"
    manifest = json.loads((result.out_dir / "manifest.json").read_text(encoding="utf-8"))
    assert masked in [r["name"] for r in manifest["regions"]]
    assert f"<h2 id=\"region-east-j-corp-com-1-555-67\">{masked}</h2>" in texts[str(result.out_dir / "index.html")]
    page = texts[str(result.out_dir / "east-j-corp-com-1-555-67" / "00_ok.html")]
    assert "<title>" in page and masked in page.split("<title>", 1)[1].split("</title>", 1)[0]
    if pdf:  # cover, contents and footer of the region's PDF
        text = texts[str(result.out_dir / "east-j-corp-com-1-555-67" / "2026-Q3-east-j-corp-com-1-555-67.pdf")]
        assert text.count("j***@corp.com") >= 2

    # --resume keeps the runs although the manifest holds the masked names
    again = build_pack("2026-Q3", regions=[REGION, "West"], notebooks=["00_ok"], data=str(data),
                       formats=["html", "pdf"] if pdf else ["html"], workers=2, out=tmp_path / "reports",
                       pack=PACK_YAML, notebooks_dir=NOTEBOOKS, progress=False, resume=True)
    assert again.executed == [] and len(again.reused) == 2
