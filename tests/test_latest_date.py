"""The latest dated event found without validating the whole source (issue 19): exactly the day
``load(source).source_date`` gives, on hand-worked folders (CSV and Parquet, the latest row rejected, the latest
event in a lead milestone, in history only, in activities only, in a large activity table kept on disk, none at
all), through the full load for a SQL source, and on random folders against the full load."""

from __future__ import annotations

import warnings

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quotabook as qb
from quotabook import latest_date
from quotabook.errors import DataValidationError
from quotabook.latest_date import latest_event_date
from quotabook.pack.plan import source_as_of
from quotabook.sources.parquet_scan import LIMIT_ENV

T = pd.Timestamp
TERRITORIES = [{"territory": "T1", "region": "North", "district": "D"},
               {"territory": "T2", "region": "South", "district": "D"}]
# One won deal closed 2024-03-01 and one open deal expected 2031-01-01 (a forecast: never "today").
OPPS = [{"opportunity_id": "O1", "owner": "Ann", "territory": "T1", "created_date": "2024-01-05",
         "close_date": "2024-03-01", "stage": "Closed Won", "amount": "100", "is_closed": "true", "is_won": "true"},
        {"opportunity_id": "O2", "owner": "Bo", "territory": "T2", "created_date": "2024-02-01",
         "close_date": "2031-01-01", "stage": "Discovery", "amount": "", "is_closed": "false", "is_won": "false"}]


def _write(folder, tables: dict, kind: str = "csv"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        frame = pd.DataFrame(rows).astype("str") if rows else pd.DataFrame(rows)
        frame = frame.mask(frame.isin(["", "nan"]))  # an empty cell is missing in both kinds of file
        if kind == "csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


def _full(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return qb.load(folder).source_date


def _fast(folder, monkeypatch):
    """The search's answer, failing the test if it fell back to the full load."""
    def refuse(*_args):
        raise AssertionError("fell back to the full load")

    with monkeypatch.context() as patch:
        patch.setattr(latest_date, "_full_load", refuse)
        return latest_event_date(folder)


def _tables(**changes):
    return {"territories": TERRITORIES, "opportunities": OPPS, **changes}


@pytest.mark.parametrize("kind", ["csv", "parquet"])
@pytest.mark.parametrize(("changes", "expected"), [
    ({}, "2024-03-01"),  # the won deal's close; the open deal's 2031 never counts
    # history: the latest change; a change of an unknown deal (rejected) and one with a bad stage do not count
    ({"opportunity_history": [{"opportunity_id": "O2", "changed_at": "2024-05-02T10:00:00", "stage": "Discovery"},
                              {"opportunity_id": "O9", "changed_at": "2024-06-01", "stage": "Discovery"},
                              {"opportunity_id": "O2", "changed_at": "2024-05-20", "stage": "Nope"}]},
     "2024-05-02"),
    # leads: the latest event in a milestone (converted), a later lead rejected for dates out of order
    ({"leads": [{"lead_id": "L1", "created_date": "2024-01-01", "converted_date": "2024-07-07"},
                {"lead_id": "L2", "created_date": "2024-09-01", "sal_date": "2024-08-01"}]}, "2024-07-07"),
    # leads: the latest lead's id is repeated with other values: both copies rejected, the next one counts
    ({"leads": [{"lead_id": "L1", "created_date": "2024-04-04"}, {"lead_id": "L2", "created_date": "2024-08-08"},
                {"lead_id": "L2", "created_date": "2024-01-01"}]}, "2024-04-04"),
    # activities only: the latest activity, the one after it rejected for a bad type; an activity on an
    # unknown deal is rejected, on a rejected deal kept (unlinked)
    ({"activities": [{"activity_id": "A1", "owner": "Ann", "activity_date": "2024-10-10T08:00:00", "type": "email",
                      "opportunity_id": ""},
                     {"activity_id": "A2", "owner": "Ann", "activity_date": "2024-12-12", "type": "fax",
                      "opportunity_id": ""},
                     {"activity_id": "A3", "owner": "Ann", "activity_date": "2024-11-11", "type": "email",
                      "opportunity_id": "O404"}]}, "2024-10-10"),
    # the latest row rejected for a bad value in another column (a negative duration)
    ({"activities": [{"activity_id": "A1", "owner": "Ann", "activity_date": "2024-10-10", "type": "email",
                      "duration_s": "5"},
                     {"activity_id": "A2", "owner": "Ann", "activity_date": "2024-10-11", "type": "email",
                      "duration_s": "-5"}]}, "2024-10-10"),
    # an exact copy of a row keeps its first copy: it still counts
    ({"activities": [{"activity_id": "A1", "owner": "Ann", "activity_date": "2024-10-10", "type": "email"},
                     {"activity_id": "A1", "owner": "Ann", "activity_date": "2024-10-10", "type": "email"}]},
     "2024-10-10"),
])
def test_the_search_gives_the_full_loads_day(tmp_path, monkeypatch, kind, changes, expected):
    folder = _write(tmp_path / "src", _tables(**changes), kind)
    assert _full(folder) == T(expected)
    assert _fast(folder, monkeypatch) == T(expected)


def test_a_bad_date_in_the_latest_history_row_steps_back(tmp_path, monkeypatch):
    history = [{"opportunity_id": "O1", "changed_at": "2024-04-01", "stage": "Closed Won"},
               {"opportunity_id": "O1", "changed_at": "31/12/2024", "stage": "Closed Won"}]  # not ISO: rejected
    folder = _write(tmp_path / "src", _tables(opportunity_history=history))
    assert _full(folder) == _fast(folder, monkeypatch) == T("2024-04-01")


def test_no_dated_event_at_all(tmp_path, monkeypatch):
    opps = [{**OPPS[1], "created_date": ""}]  # one open deal without a created date: nothing happened yet
    folder = _write(tmp_path / "src", {"territories": TERRITORIES, "opportunities": opps})
    assert _full(folder) is None
    assert _fast(folder, monkeypatch) is None
    assert source_as_of(str(folder)) is None


def test_a_source_that_cannot_load_is_refused_as_loading_refuses_it(tmp_path):
    folder = _write(tmp_path / "src", {"territories": TERRITORIES})  # no opportunities table
    with pytest.raises(DataValidationError):
        latest_event_date(folder)
    assert source_as_of(str(folder)) is None


def test_a_large_activity_table_on_disk_is_searched_in_its_batches(tmp_path, monkeypatch):
    monkeypatch.setenv(LIMIT_ENV, "3")  # more than 3 activities: validated on disk, in batches
    activities = [{"activity_id": f"A{i}", "owner": "Ann", "activity_date": f"2024-10-{i:02d}", "type": "email"}
                  for i in range(1, 9)]
    activities[7]["type"] = "fax"  # the latest (2024-10-08) rejected
    activities.append({**activities[6], "outcome": "other"})  # A7 (2024-10-07) repeated with another value
    folder = _write(tmp_path / "src", _tables(activities=activities), "parquet")
    assert _full(folder) == _fast(folder, monkeypatch) == T("2024-10-06")


def test_ids_that_are_not_plain_ascii_on_disk_go_to_the_full_load(tmp_path, monkeypatch):
    monkeypatch.setenv(LIMIT_ENV, "1")
    activities = [{"activity_id": " A1", "owner": "Ann", "activity_date": "2024-10-01", "type": "email"},
                  {"activity_id": "A1", "owner": "Ann", "activity_date": "2024-10-02", "type": "email"}]
    folder = _write(tmp_path / "src", _tables(activities=activities), "parquet")
    assert latest_event_date(folder) == _full(folder)


def test_a_sql_source_gives_the_full_loads_day(tmp_path):
    db = tmp_path / "crm.db"
    con = duckdb.connect(str(db))
    for name, rows in _tables(leads=[{"lead_id": "L1", "created_date": "2024-06-06"}]).items():
        frame = pd.DataFrame(rows)  # noqa: F841 - read by DuckDB by name
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM frame")
    con.close()
    assert latest_event_date(f"duckdb:///{db}") == _full(f"duckdb:///{db}") == T("2024-06-06")


_day = st.dates(min_value=pd.Timestamp("2023-01-01").date(), max_value=pd.Timestamp("2023-12-31").date())
_text_day = st.one_of(_day.map(str), st.sampled_from(["", "31/12/2023", "2023-13-01"]))


@settings(max_examples=25)
@given(history=st.lists(st.tuples(st.sampled_from(["O1", "O2", "O9"]), _text_day,
                                  st.sampled_from(["Discovery", "Closed Won", "Nope"])), max_size=6),
       leads=st.lists(st.tuples(st.sampled_from(["L1", "L2", "L3"]), _text_day, _text_day), max_size=6),
       acts=st.lists(st.tuples(st.sampled_from(["A1", "A2", "A3"]), _text_day, st.sampled_from(["email", "fax"]),
                               st.sampled_from(["", "O1", "O404"])), max_size=6),
       kind=st.sampled_from(["csv", "parquet"]))
def test_random_folders_give_the_full_loads_day(tmp_path_factory, history, leads, acts, kind):
    tables = _tables(
        opportunity_history=[{"opportunity_id": o, "changed_at": d, "stage": s} for o, d, s in history],
        leads=[{"lead_id": i, "created_date": c, "sql_date": q} for i, c, q in leads],
        activities=[{"activity_id": i, "owner": "Ann", "activity_date": d, "type": t, "opportunity_id": o}
                    for i, d, t, o in acts])
    folder = _write(tmp_path_factory.mktemp("random"), {k: v for k, v in tables.items() if v}, kind)
    assert latest_event_date(folder) == _full(folder)
