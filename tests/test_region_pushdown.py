"""A region read from a folder of Parquet files reads only its rows, with the same answers as slicing the whole.

``load(folder, region=R)`` applies :meth:`quotabook.Dataset.for_region`'s rules in DuckDB while reading (as a
SQL source does): the tables, the metrics and the "leads no region holds" count must equal those of the whole
folder sliced to ``R``; the counts are of the region's rows and say so; a reject names its row in the file.
"""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import quotabook as qb
from quotabook.dataset import unassigned_lead_count
from quotabook.errors import DataQualityWarning
from test_activities import organisation, write

IDS = {"opportunities": "opportunity_id", "opportunity_history": ["opportunity_id", "changed_at"],
       "activities": "activity_id", "leads": "lead_id", "territories": "territory", "targets": "territory",
       "activity_goals": ["owner", "type"]}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    tables = organisation(11, 300)
    opps = tables["opportunities"]
    tables["opportunity_history"] = pd.DataFrame({
        "opportunity_id": opps["opportunity_id"], "changed_at": opps["created_date"], "stage": "Discovery",
        "amount": opps["amount"], "close_date": opps["close_date"], "forecast_category": "Pipeline"})
    tables["leads"] = pd.DataFrame({
        "lead_id": [f"L{i}" for i in range(8)],
        "created_date": pd.to_datetime(["2026-04-01", "2026-04-02", "2026-04-02", "2026-05-01", "2026-05-03",
                                        "2026-06-01", "2026-06-02", "2026-06-03"]),
        "owner": ["Ines", "Omar", "Pia", None, "Marketing queue", None, "Omar", "Ines"],
        "source": "Web"})
    bad = tables["opportunity_history"].astype({"amount": "object"})
    south = bad.index[opps["territory"] == "S-1"][0]
    bad.loc[south, "amount"] = "lots"
    tables["opportunity_history"] = bad.astype({"amount": "str"})
    return write(tables, tmp_path_factory.mktemp("pushdown")), int(south)


def loaded(folder, region=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        return qb.load(folder, region=region)


@pytest.mark.parametrize("region", ["North", "South"])
def test_a_region_read_in_part_equals_the_whole_folder_sliced(folder, region):
    path, _ = folder
    part = loaded(path, region)
    whole = loaded(path).for_region(region)
    for name, key in IDS.items():
        a = getattr(part, name).sort_values(key).reset_index(drop=True)
        b = getattr(whole, name).sort_values(key).reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False)
    names = ["activity_count", "dial_to_connect", "closed_amount", "lead_count", "attainment"]
    pd.testing.assert_frame_equal(qb.compute(names, part, "2026-Q2", by="territory"),
                                  qb.compute(names, whole, "2026-Q2", by="territory"))
    assert unassigned_lead_count(part.leads, "2026-01-01", "2027-01-01") == 3  # no owner (2), a queue (1)
    assert unassigned_lead_count(whole.leads, "2026-01-01", "2027-01-01") == 3
    counts = part.counts.set_index("table")
    assert counts.loc["opportunities", "read"] == len(part.opportunities)  # the region's deals, all used
    history = counts.loc["opportunity_history"]
    assert history["read"] == history["used"] + history["rejected"] == len(part.opportunity_history) + (
        region == "South")
    assert all(f"the rows of region {region}" in f for f in counts["file"])


def test_a_reject_names_its_row_in_the_file(folder):
    path, south = folder
    rejects = loaded(path, "South").rejects
    bad = rejects[rejects["table"] == "opportunity_history"]
    assert bad["row"].tolist() == [south + 1] and bad["column"].tolist() == ["amount"]
    assert loaded(path, "North").rejects.query("table == 'opportunity_history'").empty
