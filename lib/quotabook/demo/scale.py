"""A synthetic organisation of any size, streamed to Parquet: ``write_scaled(territories, folder)``.

Why this design: the demo district (:func:`quotabook.demo.generate`) is the unit of realism — sixteen
territories whose reps, deals, stage times, slips, activities, leads, targets and goals are calibrated
on the seeds. A big organisation is built from many such districts rather than from a stretched one,
so every per-territory and per-rep rate stays exactly as realistic as the demo:

- ``territories`` (N) is split into ``ceil(N / 16)`` districts; the last one keeps only its first
  ``N mod 16`` territories (with their reps' deals, activities, leads, targets and goals).
- District ``k`` is one run of the seeded demo simulation with a seed derived from ``(seed, k)``, so a
  district's content depends only on the seed and its number (the first districts of a 100-territory
  organisation are those of a 1,000-territory one), and the same seed always gives the same files.
- Each district is relabelled so every name and key is unique in the organisation: district
  ``District 0007``, regions ``D0007 East`` ..., territories ``D0007-EAST-01`` ..., reps drawn from a
  pool of distinct first/last-name pairs, and ids prefixed with the district (``OPP-0007-000042``,
  ``ACC-0007-...``, ``ACT-0007-...``, ``LEAD-0007-...``).
- Districts are generated in worker processes (``workers``, default 2) and appended, in district
  order, to one :class:`pyarrow.parquet.ParquetWriter` per table as a row group each; at most
  ``2 * workers`` districts are in flight, so memory stays at a few districts whatever N is. The small
  tables (territories, targets, activity goals) are gathered and written at the end.

Sizes per territory follow the demo (about 190 opportunities, 1,100 history rows, 12,300 activities
and 3,400 leads over eight quarters), so 1,000 territories give about 190,000 opportunities,
1.1 million history rows and 12.3 million activities (activities, dominated by prospecting dials, are
the big table: InsightSquared's 100-350 dials per sourced opportunity). See benchmarks/README.md for the
measured time, memory and size (1,000 territories: 168 MB of Parquet, under 0.5 GB per process).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .build import TABLE_ORDER, generate
from .org import LAYOUT, RAMPING

__all__ = ["DEALS_PER_TERRITORY", "DISTRICT_SIZE", "ScaleResult", "district_tables", "territories_for_deals",
           "write_scaled"]

DISTRICT_SIZE = len(LAYOUT)  # territories per generated district
STREAMED = ("opportunities", "opportunity_history", "activities", "leads")
GATHERED = ("territories", "targets", "activity_goals")
ID_PREFIXES = {"opportunity_id": "OPP-", "account_id": "ACC-", "activity_id": "ACT-", "lead_id": "LEAD-"}
ID_COLUMNS = {"opportunities": ("opportunity_id", "account_id"), "opportunity_history": ("opportunity_id",),
              "activities": ("activity_id", "opportunity_id", "account_id"), "leads": ("lead_id", "opportunity_id")}
OWNER_COLUMNS = ("opportunities", "activities", "leads", "territories", "activity_goals")
# Every rep name in a district: the sixteen current AEs, then the former AEs of ramping seats.
DISTRICT_REPS = tuple(row[3] for row in LAYOUT) + tuple(former for former, _ in RAMPING.values())

_FIRST = (
    "Olivia", "Marcus", "Priya", "Daniel", "Hannah", "Carlos", "Emily", "Jason", "Sophie", "Tyler", "Aisha",
    "Ryan", "Grace", "Miguel", "Rachel", "Brandon", "Kevin", "Laura", "Amara", "Benjamin", "Chloe", "Diego",
    "Elena", "Farah", "Gabriel", "Hiro", "Isabel", "Jamal", "Keiko", "Liam", "Maya", "Nikhil", "Omar", "Paula",
    "Quinn", "Rosa", "Samuel", "Tara", "Umar", "Valeria", "William", "Ximena", "Yusuf", "Zoe", "Adrian",
    "Bianca", "Connor", "Dalia", "Ethan", "Fiona",
)
_LAST = (
    "Bennett", "Chen", "Raman", "Okafor", "Whitfield", "Mendoza", "Nakamura", "Park", "Laurent", "Brooks",
    "Johnson", "O'Connor", "Holloway", "Santos", "Kim", "Hayes", "Doyle", "Fischer", "Abbott", "Barrera",
    "Castillo", "Dubois", "Eriksen", "Fontaine", "Gallagher", "Hoffman", "Ibarra", "Jensen", "Kowalski",
    "Lindqvist", "Moreau", "Novak", "Oyelaran", "Petrov", "Quintero", "Rossi", "Sandoval", "Tanaka", "Usman",
    "Vasquez", "Whitaker", "Xu", "Yamamoto", "Zielinski", "Acheampong", "Bhatt", "Carvalho", "Delgado",
    "Esposito", "Friedman",
)


def rep_names(start: int, count: int) -> list[str]:
    """``count`` distinct rep names, numbered from ``start`` across the organisation.

    Names are first/last pairs (2,500 of them); beyond that a middle initial is added (A-Z), then a
    numeral, so any organisation size gets distinct names.
    """
    pairs = len(_FIRST) * len(_LAST)
    names = []
    for i in range(start, start + count):  # 18 names per district
        pair, round_ = i % pairs, i // pairs
        first, last = _FIRST[pair % len(_FIRST)], _LAST[pair // len(_FIRST)]
        middle = "" if round_ == 0 else f" {chr(64 + round_)}." if round_ <= 26 else f" {round_}"
        names.append(f"{first}{middle} {last}")
    return names


def district_seed(seed: int, k: int) -> int:
    """The simulation seed of district ``k`` (0-based) in an organisation generated with ``seed``."""
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0])


def district_tables(seed: int, k: int, keep: int = DISTRICT_SIZE, snapshot: str = "2026-11-16",
                    quarters: int = 8) -> dict[str, pa.Table]:
    """District ``k`` of the organisation, relabelled, as Arrow tables in :data:`TABLE_ORDER`.

    ``keep`` (1-16) keeps only the district's first territories in layout order, with their reps'
    deals (and the deals' history and activities), prospecting, leads, targets and goals.
    """
    tables = generate(seed=district_seed(seed, k), snapshot=snapshot, quarters=quarters)
    if keep < DISTRICT_SIZE:
        tables = _first_territories(tables, keep)
    tag = f"{k + 1:04d}"
    owners = dict(zip(DISTRICT_REPS, rep_names(k * len(DISTRICT_REPS), len(DISTRICT_REPS)), strict=True))
    terr = tables["territories"]
    territory = dict(zip(terr["territory"], f"D{tag}-" + terr["territory"], strict=True))
    out = {}
    for name in TABLE_ORDER:
        df = tables[name]
        if "territory" in df:
            df = df.assign(territory=df["territory"].map(territory).astype("str"))
        if name in OWNER_COLUMNS:
            df = df.assign(owner=df["owner"].map(owners).astype("str"))
        if name == "territories":
            df = df.assign(region=f"D{tag} " + df["region"], district=f"District {tag}")
        table = pa.Table.from_pandas(df, preserve_index=False)
        for col in ID_COLUMNS.get(name, ()):
            prefix = ID_PREFIXES[col]
            ids = pc.replace_substring(table[col], prefix, f"{prefix}{tag}-", max_replacements=1)
            table = table.set_column(table.schema.get_field_index(col), table.schema.field(col), ids)
        out[name] = table
    return out


def _first_territories(tables: dict[str, pd.DataFrame], keep: int) -> dict[str, pd.DataFrame]:
    """The tables cut down to the district's first ``keep`` territories and the reps who held them."""
    terr = tables["territories"].iloc[:keep]
    names = set(terr["territory"])
    owners = set(terr["owner"]) | {RAMPING[t][0] for t in names if t in RAMPING}
    opps = tables["opportunities"][lambda d: d["territory"].isin(names)]
    ids = set(opps["opportunity_id"])
    acts = tables["activities"]
    return {
        "opportunities": opps,
        "opportunity_history": tables["opportunity_history"][lambda d: d["opportunity_id"].isin(ids)],
        "activities": acts[acts["owner"].isin(owners) | acts["opportunity_id"].isin(ids)],
        "leads": tables["leads"][lambda d: d["owner"].isin(owners)],
        "territories": terr,
        "targets": tables["targets"][lambda d: d["territory"].isin(names)],
        "activity_goals": tables["activity_goals"][lambda d: d["owner"].isin(owners)],
    }


@dataclass
class ScaleResult:
    """What :func:`write_scaled` wrote: files, rows per table, bytes on disk and seconds taken."""

    folder: Path
    territories: int
    districts: int
    rows: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        rows = ", ".join(f"{name} {n:,}" for name, n in self.rows.items())
        size = sum(self.bytes.values()) / 1e6
        return (f"wrote {self.territories:,} territories in {self.districts:,} districts to {self.folder} "
                f"in {self.seconds:.1f}s ({size:,.1f} MB): {rows}")


#: Opportunities per territory of the scaled organisation over its eight quarters (measured: 1,003,922 deals for
#: 5,300 territories; 16-territory districts differ by a few percent around it).
DEALS_PER_TERRITORY = 1_003_922 / 5_300


def territories_for_deals(deals: int) -> int:
    """Territories of an organisation of about ``deals`` opportunities (``--deals 1000000``: 5,279)."""
    if deals < 1:
        raise ValueError(f"--deals needs at least 1 deal, got {deals}")
    return max(1, round(deals / DEALS_PER_TERRITORY))


def _plan(territories: int) -> list[tuple[int, int]]:
    """(district number, territories kept) for an organisation of ``territories`` territories."""
    full, rest = divmod(territories, DISTRICT_SIZE)
    return [(k, DISTRICT_SIZE) for k in range(full)] + ([(full, rest)] if rest else [])


def _districts(plan: list[tuple[int, int]], seed: int, snapshot: str, quarters: int,
               workers: int) -> Iterator[dict[str, pa.Table]]:
    """District tables in district order, generated ``workers`` at a time with a bounded queue."""
    if workers <= 1:
        for k, keep in plan:
            yield district_tables(seed, k, keep, snapshot, quarters)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending = []
        todo = iter(plan)
        for k, keep in todo:
            pending.append(pool.submit(district_tables, seed, k, keep, snapshot, quarters))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done = pending.pop(0).result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(district_tables, seed, nxt[0], nxt[1], snapshot, quarters))
            yield done


def write_scaled(territories: int, folder: str | os.PathLike, *, seed: int = 7, snapshot: str = "2026-11-16",
                 quarters: int = 8, workers: int | None = None) -> ScaleResult:
    """Generate an organisation of ``territories`` territories and stream it to ``<folder>/<table>.parquet``.

    Each table is written through one ParquetWriter, one row group per district (zstd), to a temporary
    name renamed when complete, so a reader never sees half a file. Deterministic for ``seed`` whatever
    ``workers`` is (default: 2, or 1 on a one-core machine).

    Raises
    ------
    ValueError
        ``territories`` is less than 1.
    """
    if territories < 1:
        raise ValueError(f"--scale needs at least 1 territory, got {territories}")
    workers = workers or min(2, os.cpu_count() or 1)
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    plan = _plan(territories)
    tmp = {name: out / f".{name}.parquet.tmp" for name in TABLE_ORDER}
    writers: dict[str, pq.ParquetWriter] = {}
    schemas: dict[str, pa.Schema] = {}
    small: dict[str, list[pa.Table]] = {name: [] for name in GATHERED}
    result = ScaleResult(out, territories, len(plan), rows=dict.fromkeys(TABLE_ORDER, 0))
    try:
        for tables in _districts(plan, seed, snapshot, quarters, workers):
            for name, table in tables.items():
                schema = schemas.setdefault(name, table.schema)
                table = table.cast(schema)
                result.rows[name] += table.num_rows
                if name in GATHERED:
                    small[name].append(table)
                    continue
                if name not in writers:
                    writers[name] = pq.ParquetWriter(tmp[name], schema, compression="zstd")
                writers[name].write_table(table)
        for name in GATHERED:
            table = pa.concat_tables(small.pop(name))
            if name != "territories":  # period-major, like the demo's targets and goals
                keys = ["period", "territory"] if name == "targets" else ["period", "owner", "type"]
                table = table.sort_by([(k, "ascending") for k in keys])
            pq.write_table(table, tmp[name], compression="zstd")
    finally:
        for writer in writers.values():
            writer.close()
    for name in TABLE_ORDER:
        path = out / f"{name}.parquet"
        tmp[name].replace(path)
        result.bytes[name] = path.stat().st_size
    result.seconds = time.perf_counter() - start
    return result
