"""Contact details are masked where text reaches the reader (data governance: "masking fields like email
in dashboards"): emails as ``j***@example.com``, phone numbers as ``+1 (555) ***-**67``, in table cells and row
labels, Markdown and findings, chart labels and the pack index, unless the workbook's ``privacy`` settings turn
it off."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

from quotabook import privacy
from quotabook.charts.base import finish, new_figure
from quotabook.errors import ConfigError
from quotabook.notebook import Report
from quotabook.privacy import Privacy, mask
from quotabook.settings import PACKAGED_WORKBOOK, load_settings
from test_injection import HOSTILE, Page, squeeze, write_renamed

matplotlib.use("Agg")

PII = HOSTILE["pii"]
OFF = Privacy(mask_emails=False, mask_phones=False)


@pytest.fixture(autouse=True)
def _default_policy():
    old = privacy.configure(None)
    yield
    privacy.configure(old)


@pytest.mark.parametrize(("text", "masked"), [
    ("jane.doe@globex.com", "j***@globex.com"),
    ("Globex (contact jane.doe@globex.com)", "Globex (contact j***@globex.com)"),
    ("b.smith+crm@mail.initech.co.uk.", "b***@mail.initech.co.uk."),
    ("+1 (555) 123-4567", "+1 (555) ***-**67"),
    ("Initech +1 555 123 4567", "Initech +1 555 *** **67"),
    ("call 555-867-5309 today", "call 555-***-**09 today"),
    ("(555) 867-5309", "(555) ***-**09"),
    ("+44 20 7946 0958", "+44 20 **** **58"),
])
def test_emails_and_phone_numbers_are_masked(text, masked):
    assert mask(text) == masked


@pytest.mark.parametrize("text", ["$1,234,567", "2026-09-30", "closed 12,345 USD", "+12.5%", "OPP-2026123456",
                                  "3.0×", "2,143:1", "v1.2.3", "15.9 days", "user at example dot com"])
def test_amounts_dates_ratios_and_ids_are_not_contact_details(text):
    assert mask(text) == text


def test_masking_is_vectorised_over_series_and_index_and_keeps_other_values():
    values = pd.Series(["a jo@x.io", None, "ok", 555], dtype="object", name="who")
    assert mask(values).tolist() == ["a j***@x.io", None, "ok", 555] and mask(values).name == "who"
    assert mask(pd.Series(["jo@x.io", "b"], dtype="string")).tolist() == ["j***@x.io", "b"]
    assert mask(pd.Series(["jo@x.io", "b"], dtype="category")).cat.categories.tolist() == ["b", "j***@x.io"]
    assert mask(pd.Index(["jo@x.io"], name="n")).tolist() == ["j***@x.io"]
    numbers = pd.Series([1.5, 2.0])
    assert mask(numbers) is numbers
    assert mask("jo@x.io +1 (555) 123-4567", Privacy(mask_emails=False)) == "jo@x.io +1 (555) ***-**67"
    assert mask("jo@x.io +1 (555) 123-4567", Privacy(mask_phones=False)) == "j***@x.io +1 (555) 123-4567"


# -- settings -------------------------------------------------------------------------------------------------
def test_workbook_settings_mask_by_default_and_can_turn_it_off(tmp_path):
    assert load_settings(PACKAGED_WORKBOOK).privacy == Privacy(mask_emails=True, mask_phones=True)
    text = PACKAGED_WORKBOOK.read_text(encoding="utf-8")
    off = tmp_path / "workbook.yaml"
    off.write_text(text.replace("  mask_emails: true\n  mask_phones: true", "  mask_emails: false\n"
                                "  mask_phones: false"), encoding="utf-8")
    assert load_settings(off).privacy == OFF


@pytest.mark.parametrize(("section", "key"), [("privacy: {mask_emails: maybe}", "privacy.mask_emails"),
                                              ("privacy: {mask_faxes: true}", "privacy.mask_faxes"),
                                              ("privacy: [emails]", "privacy")])
def test_bad_privacy_settings_name_the_key(tmp_path, section, key):
    text = PACKAGED_WORKBOOK.read_text(encoding="utf-8").replace(
        "privacy:\n  mask_emails: true\n  mask_phones: true", section)
    bad = tmp_path / "workbook.yaml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(bad)


# -- where text reaches the reader ---------------------------------------------------------------------------
def _report(policy: Privacy) -> Report:
    settings = replace(load_settings(PACKAGED_WORKBOOK), privacy=policy)
    names = pd.DataFrame({"account_name": PII["account_name"], "name": PII["name"]})
    return Report(ds=SimpleNamespace(settings=settings, currency="USD", opportunities=names), period=None,
                  region="East", catalog=None)


def test_tables_and_markdown_mask_contacts_unless_turned_off():
    frame = pd.DataFrame({"Deal": PII["name"], "amount": [1.0, 2.0]}, index=pd.Index(PII["account_name"]))
    masked = _report(Privacy())
    page = Page(masked.table(frame, index=True, caption="Owner jane.doe@globex.com").to_html()).visible
    note = masked.markdown(f"Top accounts: {PII['account_name'][0]} and {PII['account_name'][1]}.").data
    for raw, shown in [("jane.doe@globex.com", "j***@globex.com"), ("+1 (555) 123-4567", "+1 (555) ***-**67"),
                       ("555-867-5309", "555-***-**09"), ("bob.smith@initech.io", "b***@initech.io")]:
        assert squeeze(raw) not in page and squeeze(shown) in page
    assert "jane.doe" not in note and r"j\*\*\*@globex\.com" in note and r"\*\*\*\-\*\*67" in note
    shown = _report(OFF)
    page = Page(shown.table(frame, index=True).to_html()).visible
    assert all(squeeze(v) in page for v in [*PII["account_name"], *PII["name"]])
    assert "jane.doe@globex.com" in shown.markdown(f"Top: {PII['account_name'][0]}").data


def test_chart_labels_and_index_records_mask_contacts_as_configured(capsys):
    from quotabook.headlines import record

    fig, ax = new_figure(2)
    ax.barh(PII["account_name"], [1, 2])
    finish(fig, ax, "Biggest: jane.doe@globex.com")
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg")
    assert "jane.doe" not in buffer.getvalue() and "123-4567" not in buffer.getvalue()
    assert "j***@globex.com" in fig._suptitle.get_text()
    record({"Top account": PII["account_name"][1]}, alerts=["Call 555-867-5309"])
    assert "123-4567" not in capsys.readouterr().out
    privacy.configure(OFF)
    assert finish(*new_figure(2), "jane.doe@globex.com")._suptitle.get_text() == "jane.doe@globex.com"


# -- end to end -------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_pack_masks_contacts_by_default_and_shows_them_when_the_workbook_says_so(tmp_path, monkeypatch):
    from quotabook.cli import main

    data = write_renamed(tmp_path / "data", PII)
    raw = ["dana.reyes@example.com", "010-2030", "jane.doe@globex.com", "123-4567", "867-5309",
           "bob.smith@initech.io"]

    def build(out: Path) -> str:
        assert main(["pack", "--period", "2026-Q3", "--data", str(data), "--out", str(out), "--regions", "East",
                     "--notebooks", "00_target_achievement", "--as-of", "2026-08-14", "--workers", "1", "--quiet",
                     "--formats", "html"]) == 0
        pack = out / "2026-Q3"
        return "".join(p.read_text(encoding="utf-8") for p in [*pack.rglob("*.html"), *pack.rglob("*.ipynb"),
                                                               pack / "manifest.json"])

    masked = build(tmp_path / "masked")
    assert not [r for r in raw if r in masked]
    assert "b***@initech.io" in masked and "555-***-**09" in masked  # the deals to move, masked
    off = tmp_path / "workbook.yaml"
    off.write_text(PACKAGED_WORKBOOK.read_text(encoding="utf-8").replace("mask_emails: true", "mask_emails: false")
                   .replace("mask_phones: true", "mask_phones: false"), encoding="utf-8")
    monkeypatch.setenv("QUOTABOOK_WORKBOOK", str(off))
    shown = build(tmp_path / "shown")
    assert "bob.smith@initech.io" in shown and "555-867-5309" in shown
    assert json.loads((tmp_path / "shown" / "2026-Q3" / "manifest.json").read_text())["runs"]


def test_a_tables_formatted_numbers_are_not_searched_and_its_text_is_masked():
    """``mask_frame(formatted=...)``: the columns quotabook wrote from numbers are kept as written (no contact
    detail can be in them, and no formatted figure looks like one), every other text column is masked."""
    from quotabook.metrics.format import format_frame
    from quotabook.privacy import mask_frame

    raw = pd.DataFrame({"owner": ["ana@acme.example", "Call 555-123-4567"], "Amount": [1_234_567.0, 9_999.0],
                        "Dials": [1_234_567, 12], "Note": ["555-123-4567", None]})
    units = {"Amount": "currency", "Dials": "count"}
    text = format_frame(raw, units, "USD")
    skipped = mask_frame(text, formatted=units)
    searched = mask_frame(text)
    assert skipped.equals(searched)  # the same table either way
    assert skipped["Amount"].tolist() == ["$1.2M", "$10K"] and skipped["Dials"].tolist() == ["1,234,567", "12"]
    assert "ana@" not in skipped["owner"].iloc[0] and "123-4567" not in skipped["owner"].iloc[1]
    assert skipped["Note"].iloc[0] == "555-***-**67" and pd.isna(skipped["Note"].iloc[1])
