"""The reports folder's own front page: every pack built there, newest first.

Each period's pack stands in its own folder (``reports/2026-Q3/``) with its own index. ``write_history``
reads every ``reports/*/manifest.json`` (nothing else: no notebook is opened) and writes
``reports/index.html``: one row per pack with its period, the date its data stood at, when it was built,
a short fingerprint of its data (so two builds of one period on different data are told apart), the
whole-organisation headline figures and how many pages were built, linking each pack's own index.
``previous_pack`` finds the pack of the period before, which a pack's index links to.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import quote

from ..text import part_of, plural
from .files import atomic_write_text
from .index import format_headline
from .manifest import MANIFEST, read_manifest

__all__ = ["HISTORY", "list_packs", "previous_pack", "render_history", "write_history"]

HISTORY = "index.html"
#: Headline figures of the whole-organisation target-achievement run shown per pack (when recorded).
_HEADLINE_LIMIT = 4

_CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: #1a202c;
       max-width: 1100px; margin: 24px auto; padding: 0 16px; line-height: 1.45; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #e2e8f0; vertical-align: top; }
th { background: #f7fafc; } .meta { color: #4a5568; } .failed { color: #9b2c2c; font-weight: 600; }
code { font-size: 12px; } .wrap { overflow-x: auto; }
@media (prefers-color-scheme: dark) { body { background: #1a202c; color: #e2e8f0; } th { background: #2d3748; }
  a { color: #90cdf4; } .meta { color: #a0aec0; } }
"""


def list_packs(reports: str | Path) -> list[dict]:
    """Every pack folder under ``reports`` with a readable manifest, newest build first.

    Each item: ``folder`` (name), ``period``, ``as_of``, ``generated_at``, ``data``, ``fingerprint`` (12 hex
    characters of the data hash), ``scope`` and ``headlines`` (label → value: the whole organisation's,
    else the first region's), ``ok``/``runs``/``failed`` counts.
    """
    root = Path(reports)
    packs = []
    for manifest_file in sorted(root.glob(f"*/{MANIFEST}")):
        manifest = read_manifest(manifest_file.parent)
        if manifest is None:
            continue
        params = manifest.get("parameters", {})
        summary = manifest.get("summary", {})
        packs.append({
            "folder": manifest_file.parent.name,
            "period": str(manifest.get("period", manifest_file.parent.name)),
            "title": str(manifest.get("title", "")),
            "as_of": manifest.get("as_of") or params.get("as_of"),
            "generated_at": str(manifest.get("generated_at", "")),
            "data": str(params.get("data", "")),
            "fingerprint": str((manifest.get("inputs") or {}).get("data_sha256") or "")[:12],
            **dict(zip(("scope", "headlines"), _organisation_headlines(manifest), strict=True)),
            "runs": int(summary.get("runs", 0)), "ok": int(summary.get("ok", 0)),
            "failed": int(summary.get("failed", 0)),
        })
    return sorted(packs, key=lambda p: p["generated_at"], reverse=True)


def _organisation_headlines(manifest: dict) -> tuple[str, dict]:
    """The scope and headline figures a pack is summed up by: the whole organisation's first theme with
    figures (the first few of them), else the first region's when the pack has no whole-organisation run."""
    runs = [e for e in manifest.get("runs", {}).values() if e.get("headlines")]
    whole = [e for e in runs if e.get("slug") == "district"]
    pick = sorted(whole or runs, key=lambda e: (str(e.get("slug", "")), str(e.get("notebook", ""))))
    if not pick:
        return "", {}
    scope = "Whole organisation" if whole else str(pick[0].get("region", ""))
    return scope, dict(list(pick[0]["headlines"].items())[:_HEADLINE_LIMIT])


def _shape(label: str) -> str:
    """A period label with its digits blanked: ``2026-Q3`` and ``2025-Q4`` share a shape, ``2026`` does not."""
    return re.sub(r"\d", "9", label)


def previous_pack(reports: str | Path, period: str) -> str | None:
    """The folder name of the latest pack in ``reports`` for a period of the same kind before ``period``
    (``2026-Q2`` for ``2026-Q3``, skipping missing ones), or None."""
    shape = _shape(period)
    earlier = [p for p in list_packs(reports) if _shape(p["period"]) == shape and p["period"] < period]
    return max(earlier, key=lambda p: p["period"])["folder"] if earlier else None


def render_history(packs: list[dict]) -> str:
    """The reports front page for ``packs`` (as from :func:`list_packs`)."""
    esc = html.escape
    rows = []
    for pack in packs:
        figures = "; ".join(f"{esc(str(k))}: <b>{esc(format_headline(v))}</b>" for k, v in pack["headlines"].items())
        figures = f"{esc(pack['scope'])} · {figures}" if figures else ""
        status = part_of(pack["ok"], pack["runs"], "page") + (
            f' · <span class="failed">{pack["failed"]} failed</span>' if pack["failed"] else "")
        rows.append(f'<tr><td><a href="{esc(quote(pack["folder"]))}/index.html">{esc(pack["period"])}</a></td>'
                    f"<td>{esc(str(pack['as_of'] or '—'))}</td><td>{esc(pack['generated_at'].replace('T', ' '))}</td>"
                    f"<td><code>{esc(pack['data'])}</code> <code>{esc(pack['fingerprint'])}</code></td>"
                    f"<td>{figures or '—'}</td><td>{status}</td></tr>")
    body = ("<div class='wrap'><table><tr><th>Period</th><th>Data as of</th><th>Built</th><th>Data (fingerprint)"
            "</th><th>Headline figures</th><th>Pages</th></tr>" + "".join(rows)
            + "</table></div>") if rows else "<p class='meta'>No pack has been built here yet.</p>"
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
            'content="width=device-width, initial-scale=1"><title>Report packs</title>'
            f"<style>{_CSS}</style></head><body><h1>Report packs</h1><p class='meta'>"
            f"{plural(len(packs), 'pack')}, newest build first. Each links its own index.</p>{body}</body></html>")


def write_history(reports: str | Path) -> Path:
    """Write ``reports/index.html`` listing every pack in ``reports``; return its path."""
    root = Path(reports)
    return atomic_write_text(root / HISTORY, render_history(list_packs(root)))
