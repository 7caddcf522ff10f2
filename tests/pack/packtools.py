"""Shared helpers of the pack tests: fixture paths, a two-region data folder, the offline-page check.

(A module, not a conftest.py: the pack tests import its helpers by name.)"""

from __future__ import annotations

import re
from pathlib import Path

from quotabook.pack.render import find_network_refs

FIXTURES = Path(__file__).parent / "fixtures"
NOTEBOOKS = FIXTURES / "notebooks"
PACK_YAML = FIXTURES / "pack.yaml"
CHROMIUM = Path("/usr/bin/chromium")

TERRITORIES = """\
territory,region,district,owner,segment
T1,East,D,Ann,SMB
T2,West,D,Bob,Enterprise
"""

OPPORTUNITIES = """\
opportunity_id,owner,territory,created_date,close_date,stage,forecast_category,amount,is_closed,is_won
A,Ann,T1,2026-01-05,2026-03-30,Proposal,Commit,1200,false,false
B,Bob,T2,2026-01-10,2026-02-20,Closed Won,Closed,500,true,true
"""


def write_data(folder: Path, territories: str = TERRITORIES) -> Path:
    """A minimal data folder: territories (the regions) and opportunities."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "territories.csv").write_text(territories, encoding="utf-8")
    (folder / "opportunities.csv").write_text(OPPORTUNITIES, encoding="utf-8")
    return folder


# What a page must never contain: a script, style, image or font fetched over the network, or a CDN name.
NETWORK_LOAD = re.compile(r"""<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?//""", re.I)
CDN = re.compile(r"cdnjs|unpkg\.com|jsdelivr|require(\.min)?\.js|MathJax\.js|mermaid(\.esm)?(\.min)?\.m?js|"
                 r"html-manager|embed-amd", re.I)


def assert_offline(page: str) -> None:
    """The offline contract, checked over every produced page."""
    assert find_network_refs(page) == []
    assert not NETWORK_LOAD.search(page), NETWORK_LOAD.search(page).group(0)
    assert not CDN.search(page), CDN.search(page).group(0)


def output_texts(folder: Path) -> dict[str, str]:
    """Every file under ``folder``, as text (PDFs through pdftotext): what a leak check greps."""
    import subprocess

    texts = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        if path.suffix == ".pdf":
            texts[str(path)] = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                              check=True).stdout
        else:
            texts[str(path)] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def leaks(texts: dict[str, str], secrets) -> dict[str, list[str]]:
    """For each secret found, the outputs that hold it (empty when nothing leaked)."""
    return {s: [name for name, text in texts.items() if s in text] for s in secrets
            if any(s in text for text in texts.values())}
