"""Duplicate keys (an exact copy keeps its first row; an id repeated with different values rejects every
copy) and the key values read, checked on 64-bit fingerprints before any string is hashed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..frames import arrow_text, text_buffers
from ..schemas import TABLES, Reason, TableSpec
from .results import _records

# Tables that other tables refer to: only their keys are needed to explain a reference to a rejected row.
_REFERENCED = frozenset(target.split(".")[0] for spec in TABLES.values() for target in spec.refs.values())


def _keys_read(keys: pd.Series) -> frozenset:
    """Every key value of a raw column (stripped text, missing values left out), each distinct value once."""
    data = arrow_text(keys)
    if data is None:
        return frozenset(keys.dropna().astype(str).str.strip())
    return frozenset(pc.unique(pc.utf8_trim_whitespace(data)).drop_null().to_pylist())

def _duplicate_keys(spec: TableSpec, data: pd.DataFrame, file: str) -> list[pd.DataFrame]:
    """Exact duplicate rows keep their first copy; ids repeated with different values are all rejected,
    because there is no telling which copy is right."""
    key = [k for k in spec.key if k in data]
    if not key:
        return []
    canonical = [c.name for c in spec.columns if c.name in data]
    if len(key) == 1 and _all_distinct(data[key[0]]):
        return []
    dup_key = data.duplicated(key, keep=False)
    if not dup_key.any():
        return []
    exact_repeat = data.duplicated(canonical, keep="first")
    conflicting_keys = data[dup_key & ~data.duplicated(canonical, keep=False)][key].drop_duplicates()
    conflict = data[key].merge(conflicting_keys.assign(_c=True), on=key, how="left")["_c"].fillna(False)
    conflict = conflict.to_numpy(dtype=bool) & dup_key.to_numpy()
    out = []
    label = ", ".join(key)
    if conflict.any():
        rows = pd.Series(data.index[conflict])
        out.append(_records(spec, file, rows, label, Reason.DUPLICATE_ID, data.loc[rows, key[0]]))
    repeat = exact_repeat.to_numpy() & ~conflict
    if repeat.any():
        rows = pd.Series(data.index[repeat])
        out.append(_records(spec, file, rows, label, Reason.DUPLICATE_ID, data.loc[rows, key[0]],
                            "an exact copy of an earlier row (the first copy is kept)"))
    return out


def _all_distinct(keys: pd.Series) -> bool:
    """True only when no two values of ``keys`` are equal (two missing values count as equal, as in
    ``duplicated``); False means "maybe not", and the caller looks at the values themselves.

    Arrow text is decided on a 64-bit fingerprint per value: no two fingerprints equal means no two values
    equal, and sorting numbers is several times cheaper than hashing millions of Arrow strings.
    """
    data = arrow_text(keys)
    if data is None:
        return bool(keys.is_unique)
    prints = _fingerprints(data)
    if prints is None:
        return False
    prints.sort()
    return not (prints[1:] == prints[:-1]).any()


_WEIGHTS = np.random.default_rng(20261123).integers(1, 2**63, size=64, dtype=np.uint64) | np.uint64(1)
_LENGTH_WEIGHT = np.uint64(0x9E3779B97F4A7C15)


def _fingerprints(data: pa.ChunkedArray) -> np.ndarray | None:
    """A 64-bit number per string, equal for equal strings (missing values all map to 0, as does "").

    The string's bytes, read as little-endian 64-bit words (zero-padded), are multiplied by random odd
    weights for their place and summed (modulo 2**64), plus a multiple of the length. A chunk whose
    strings all have one length (ids, as a rule) is done word-wise in one pass; others byte by byte.
    Strings longer than 64 bytes (not ids) give None.
    """
    out = []
    for chunk in data.chunks:
        n = len(chunk)
        if n == 0:
            continue
        offsets, values, valid = text_buffers(chunk)
        lengths = np.diff(offsets)
        start, stop = int(offsets[0]), int(offsets[-1])
        if n and (lengths.max() > len(_WEIGHTS) or lengths.min() < 0):
            return None
        raw = values[start:stop]
        width = int(lengths[0])
        if width and (lengths == width).all():
            words = -(-width // 8)
            block = np.zeros((n, words * 8), dtype=np.uint8)
            block[:, :width] = raw.reshape(n, width)
            prints = block.view("<u8") @ _WEIGHTS[:words] if words > 1 else block.view("<u8")[:, 0] * _WEIGHTS[0]
        else:
            words = (lengths + 7) // 8
            block = np.zeros(int(words.sum()) * 8, dtype=np.uint8)
            where = np.repeat(np.cumsum(words) * 8 - words * 8, lengths) + \
                np.arange(stop - start, dtype=np.int64) - np.repeat(offsets[:-1] - start, lengths)
            block[where] = raw
            word_values = block.view("<u8")
            place = np.arange(len(word_values), dtype=np.int64) - np.repeat(np.cumsum(words) - words, words)
            products = word_values * _WEIGHTS[place]
            prints = np.zeros(n, dtype=np.uint64)
            nonempty = words > 0
            if len(products):
                prints[nonempty] = np.add.reduceat(products, (np.cumsum(words) - words)[nonempty])
        prints = np.asarray(prints, dtype=np.uint64) + lengths.astype(np.uint64) * _LENGTH_WEIGHT
        if valid is not None:
            prints[~valid] = np.uint64(0)
        out.append(prints)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)
