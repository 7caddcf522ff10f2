"""References between tables: a row pointing to an id its target table does not hold (or rejected) is
rejected, or kept with the reference cleared where the table allows it (an activity of a rejected deal)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..frames import is_in
from ..schemas import TABLES, Reason
from .results import DETACHED_COLUMNS, TableResult, _records

__all__ = ["validate_references"]


def validate_references(results: dict[str, TableResult]) -> None:
    """Reject rows that refer to ids absent from the table they point to (after that table's own
    validation, so a deal rejected for a bad date also takes its history rows with it: a history row is the
    deal's state, which cannot be placed without the deal).

    A reference column a table declares ``detachable`` (an activity's deal) is cleared instead when the row
    it points to was rejected: the activity is kept, unlinked, and recorded in ``TableResult.detached``.
    """
    for name, result in results.items():
        spec = TABLES[name]
        for column, target in spec.refs.items():
            t_table, t_col = target.split(".")
            if t_table not in results or column not in result.data:
                continue
            # A target table rejected whole (wrong delimiter, missing column) may lack the column entirely.
            known = results[t_table].data.get(t_col, pd.Series(dtype=object))
            values = result.data[column]
            bad = values.notna() & ~is_in(values, known)
            if bad.any() and results[t_table].outside:  # a region read in part: rows of other regions exist
                bad &= ~values.astype(str).str.strip().isin(results[t_table].outside)
            if not bad.any():
                continue
            reason = Reason.UNKNOWN_TERRITORY if t_table == "territories" else Reason.UNKNOWN_OPPORTUNITY
            noun = t_table.removesuffix("ies") + "y" if t_table.endswith("ies") else t_table.removesuffix("s")
            rejected = values[bad].astype(str).str.strip().isin(results[t_table].keys_read)
            if column in spec.detachable and rejected.any():
                _detach(result, column, rejected.index[rejected.to_numpy()])
                bad = bad & ~bad.index.isin(rejected.index[rejected.to_numpy()])
                if not bad.any():
                    continue
                rejected = rejected[~rejected]
                values = result.data[column]
            rows = pd.Series(result.data.index[bad])
            message = pd.Series(f"refers to {'an' if noun[0] in 'aeiou' else 'a'} {noun} that is not in {t_table}",
                                index=rejected.index, dtype=object)
            target = results[t_table]
            message[rejected] = (f"refers to {'an' if noun[0] in 'aeiou' else 'a'} {noun} that was rejected "
                                 f"(see that row's own problem in {Path(target.file).name})"
                                 + (": a deal's history cannot be placed without the deal"
                                    if name == "opportunity_history" else ""))
            if target.read and not target.used:
                message[:] = (f"refers to {'an' if noun[0] in 'aeiou' else 'a'} {noun}, but every row of "
                              f"{Path(target.file).name} was rejected (see its own problem)")
            recs = _records(spec, result.file, rows, column, reason, values[bad], message)
            result.rejects = pd.concat([result.rejects, recs], ignore_index=True)
            result.data = result.data[~bad]
            result.rejected_rows += int(bad.sum())


def _detach(result: TableResult, column: str, index: pd.Index) -> None:
    """Keep the rows at ``index`` of ``result`` with ``column`` cleared, recording what it held."""
    owner = result.data.loc[index, "owner"] if "owner" in result.data else pd.Series(None, index=index)
    record = pd.DataFrame({"column": column, "value": result.data.loc[index, column].astype(str).to_numpy(),
                           "owner": owner.to_numpy()}, columns=DETACHED_COLUMNS)
    result.detached = pd.concat([f for f in (result.detached, record) if len(f)], ignore_index=True)
    result.data[column] = result.data[column].mask(result.data.index.isin(index))
