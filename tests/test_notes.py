"""Data-quality warnings reach the reader as one short note each, shown literally."""

import warnings

import pytest

from quotabook import notes
from quotabook.errors import DataQualityWarning


def test_a_note_quotes_the_message_and_neutralises_markup():
    note = notes.data_note("2 deal(s) for <script>x</script> *Acme* | $5 [x](y)")
    assert note.startswith("> **Data note:** 2 deal\\(s\\) for &lt;script&gt;x&lt;/script&gt;")
    assert "\\*Acme\\*" in note and "\\|" in note and "\\$5" in note and "\\[x\\]\\(y\\)" in note


@pytest.fixture
def shown(monkeypatch):
    import IPython.display

    out = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: out.append(obj.data))
    monkeypatch.setattr(warnings, "showwarning", warnings.showwarning)  # restored after the test
    with warnings.catch_warnings():
        notes.show_data_notes()
        yield out


def test_each_distinct_warning_is_shown_once_whatever_its_figures(shown):
    for n, day in ((85, "30 Jun 2026"), (46, "30 Sep 2026"), (85, "2026-06-30"), (1, "1 Aug 2016")):
        warnings.warn(f"{n} deals closed after {day} have no history", DataQualityWarning, stacklevel=1)
    warnings.warn("3 problems in demo; affected rows are set aside", DataQualityWarning, stacklevel=1)
    assert shown == [notes.data_note("85 deals closed after 30 Jun 2026 have no history"),
                     notes.data_note("3 problems in demo; affected rows are set aside")]


def test_other_warnings_are_left_to_python(shown):
    with pytest.warns(UserWarning, match="a chart problem"):
        warnings.warn("a chart problem", UserWarning, stacklevel=1)
    assert shown == []
