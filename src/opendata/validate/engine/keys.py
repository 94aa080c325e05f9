"""Unique values, primary and foreign keys: keys compared through 64-bit hashes, the rows whose
hash another shares read again and compared exactly."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.validate.engine.arrays import fixed_width_bytes, mask
from opendata.validate.engine.cast import Column
from opendata.validate.engine.findings import Findings


def _key_of(col: Column) -> pa.Array:
    """The values a key compares: the key form when the contract declares one."""
    return col.values if col.key is None else col.key


def take(array: pa.ChunkedArray | pa.Array, mask: np.ndarray) -> pa.Array:
    taken = pc.filter(array, pa.array(mask))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _codes(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Equal values get equal integer codes (nulls one code of their own)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    fixed = _fixed_width_words(array)
    if fixed is not None:
        # Identifiers of one fixed width (hexadecimal session ids): sort a 64-bit mix of their
        # bytes, a few times faster than a hash table of a million strings. Exact: when two
        # different values share a mix, the hash table decides instead.
        mixed = np.zeros(len(fixed), dtype=np.uint64)
        for column in range(fixed.shape[1]):
            mixed = (mixed * np.uint64(0x9E3779B97F4A7C15)) ^ fixed[:, column]
        order = np.argsort(mixed)
        ordered, words = mixed[order], fixed[order]
        same_mix = ordered[1:] == ordered[:-1]
        same_value = (words[1:] == words[:-1]).all(axis=1)
        if not (same_mix & ~same_value).any():
            starts = np.ones(len(order), dtype=bool)
            starts[1:] = ~same_value
            codes = np.empty(len(order), dtype=np.int64)
            codes[order] = np.cumsum(starts) - 1
            return codes
    encoded = pc.dictionary_encode(array, null_encoding="encode")
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _fixed_width_words(array: pa.Array) -> np.ndarray | None:
    """The values as rows of 64-bit words when they are strings without nulls, all 8 to 32
    bytes of one same length multiple of 8; None otherwise."""
    matrix = fixed_width_bytes(array)
    if matrix is None or matrix.shape[1] % 8 or not 8 <= matrix.shape[1] <= 32:
        return None
    return matrix.view(">u8")


def duplicated(keys: list[pa.Array], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mask of rows whose key already appeared on an earlier row, and for each row the record
    number where its key first appeared (0 where it does not repeat). Null parts compare equal
    to null parts, as Python tuples do."""
    n = len(keys[0]) if keys else 0
    first_rows = np.zeros(n, dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=bool), first_rows
    codes = _codes(keys[0])
    for key in keys[1:]:
        more = _codes(key)
        codes = np.unique(codes * (int(more.max()) + 1) + more, return_inverse=True)[1]
    positions = np.arange(n, dtype=np.int64)
    first = np.full(int(codes.max()) + 1, n, dtype=np.int64)
    # Earliest by record number (ragged records sit at the end of the arrays): visit positions
    # in reverse record order, the last write wins.
    order = positions if bool(np.all(rows[1:] >= rows[:-1])) else np.argsort(rows, kind="stable")
    first[codes[order][::-1]] = order[::-1]
    first_index = first[codes]
    dup = first_index != positions
    first_rows[dup] = rows[first_index[dup]]
    return dup, first_rows


def check_keys(
    schema: dict[str, Any], columns: dict[str, Column], rows: np.ndarray, findings: Findings
) -> None:
    """``unique`` and ``primaryKey`` errors."""
    for fld in schema["fields"]:
        if fld.get("constraints", {}).get("unique"):
            col = columns[fld["name"]]
            repeat, first_rows = duplicated([_key_of(col)], rows)
            dup = repeat & col.ok
            findings.add("unique-error", fld["name"], rows[dup], take(col.text, dup))
            if dup.any():
                findings.items[-1].first_rows = first_rows[dup]
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else list(key)
    if key:
        values = [_key_of(columns[k]) for k in key]
        all_null = np.ones(len(rows), dtype=bool)
        complete = np.ones(len(rows), dtype=bool)
        for v in values:
            valid = mask(pc.is_valid(v))
            all_null &= ~valid
            complete &= valid
        repeat, first_rows = duplicated(values, rows)
        bad = (repeat & ~all_null) | all_null
        # Frictionless compares tuples with None parts too: a partial key repeats like any other.
        cells = take(columns[key[0]].text, bad)
        findings.add("primary-key", None, rows[bad], cells, fields=key)
        if bad.any():
            first_rows[all_null] = 0  # an empty key repeats nothing: it is empty
            findings.items[-1].first_rows = first_rows[bad]


def check_foreign_keys(
    schema: dict[str, Any],
    columns: dict[str, Column],
    rows: np.ndarray,
    references: dict[str, pa.Table],
    findings: Findings,
) -> None:
    """``foreign-key`` errors against the referenced key values given per resource name."""
    for fk in schema.get("foreignKeys", []):
        ref = fk["reference"]
        target = references.get(ref["resource"])
        if target is None:
            continue
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        values = [columns[f].values for f in fields]
        any_value = np.zeros(len(rows), dtype=bool)
        for v in values:
            any_value |= mask(pc.is_valid(v))
        if len(fields) == 1:
            known = mask(pc.is_in(values[0], target.column(ref_fields[0])))
        else:
            probe = pa.table({f"k{i}": v for i, v in enumerate(values)})
            probe = probe.append_column("__row", pa.array(np.arange(len(rows))))
            keys = target.select(ref_fields).rename_columns([f"k{i}" for i in range(len(fields))])
            keys = keys.group_by(keys.column_names).aggregate([])
            joined = probe.join(keys, [f"k{i}" for i in range(len(fields))], join_type="left semi")
            known = np.zeros(len(rows), dtype=bool)
            known[joined.column("__row").to_numpy()] = True
        bad = any_value & ~known
        # Frictionless reports a foreign key on the row (no field); the report names the column.
        findings.add(
            "foreign-key",
            None,
            rows[bad],
            take(values[0], bad),
            reference=ref["resource"],
            fields=fields,
            column=fields[0],
        )


_MULTIPLIER = np.uint64(0x100000001B3)
_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
_HASH_SLICE = 1 << 16


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the input moves about half the output bits."""
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_text(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each string, the same in any batch (equal strings, equal hashes; every
    null the same value). Not a proof of equality: equal hashes are compared as text after.
    Vectorised over the bytes, a slice of strings at a time (bounded memory)."""
    if isinstance(array, pa.ChunkedArray):
        parts = [hash_text(chunk) for chunk in array.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    out = np.empty(len(array), dtype=np.uint64)
    for start in range(0, len(array), _HASH_SLICE):
        part = array.slice(start, _HASH_SLICE)
        out[start : start + len(part)] = _hash_slice(part)
    return out


def _hash_slice(array: pa.Array) -> np.ndarray:
    """Σ w_j·P^(j+1) over the string's 8-byte little-endian words w_j (zero-padded), mixed
    with its length. Strings all of one width, a multiple of 8 (hexadecimal session ids),
    are read as words directly; others byte by byte, which gives the same sums."""
    n = len(array)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[array.offset : array.offset + n + 1]
    offsets = offsets.astype(np.int64)
    first = int(offsets[0])
    raw = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
    lengths = np.diff(offsets)
    sums = np.zeros(n, dtype=np.uint64)
    total = int(offsets[-1]) - first
    if raw is not None and total:
        powers = np.cumprod(np.full((int(lengths.max()) + 7) // 8, _MULTIPLIER, dtype=np.uint64))
        words = _fixed_width_words(array)
        if words is not None:
            # _fixed_width_words reads big-endian words (for sorting): the hash reads them
            # little-endian, as the byte-by-byte path below sums them.
            words = words.view("<u8")
            for j in range(words.shape[1]):
                sums += words[:, j] * powers[j]
        else:
            data = raw[first : first + total].astype(np.uint64)
            starts = offsets[:-1] - first
            position = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
            shifted = data << (np.uint64(8) * (position & 7).astype(np.uint64))
            nonempty = lengths > 0
            sums[nonempty] = np.add.reduceat(shifted * powers[position >> 3], starts[nonempty])
    hashed = _mix(sums ^ _mix(lengths.astype(np.uint64)))
    if array.null_count:
        hashed[np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = _NULL_HASH
    return hashed


def _value_hashes(col: Column, ftype: str) -> np.ndarray:
    """A hash of each cast value (null where it did not cast), the same in any batch."""
    if col.key is not None or ftype in ("string", "yearmonth"):
        return hash_text(_key_of(col))
    if ftype == "number":
        floats = pc.fill_null(col.values, 0.0).to_numpy(zero_copy_only=False) + 0.0  # -0 is 0
        hashed = _mix(np.asarray(floats, dtype=np.float64).view(np.uint64))
        hashed[~col.ok] = _NULL_HASH
        return hashed
    values = col.values
    if pa.types.is_date32(values.type):
        values = pc.cast(values, pa.int32())
    numbers = pc.cast(values, pa.int64())  # integers, days, seconds, booleans
    raw = np.asarray(pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    hashed = _mix(raw.view(np.uint64) ^ np.uint64(0x5851F42D4C957F2D))
    hashed[~col.ok] = _NULL_HASH
    return hashed


_FEW = 8  # shared hashes compared one by one with every hash; more: a hash table


def shared(hashes: np.ndarray) -> np.ndarray:
    """Mask of the positions whose hash another position has too (memory: one sorted copy).
    The few shared hashes are looked up in a hash table (NumPy's set test sorted the million
    hashes again: six times as long)."""
    ordered = np.sort(hashes)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    if not len(repeated):
        return np.zeros(len(hashes), dtype=bool)
    if len(repeated) <= _FEW:  # a few re-sent records: compared directly (a tenth of the time)
        found = hashes == repeated[0]
        for value in repeated[1:]:
            found |= hashes == value
        return found
    # More: the hashes whose low 16 bits are some repeated hash's, then those compared exactly
    # (1,200 shared among 1.2 million: 13 ms through Arrow's hash table, 5 ms so).
    low = np.zeros(1 << 16, dtype=bool)
    low[repeated.astype(np.uint16)] = True
    maybe = np.flatnonzero(low[hashes.astype(np.uint16)])
    found = np.zeros(len(hashes), dtype=bool)
    found[maybe] = np.isin(hashes[maybe], repeated)
    return found


def key_form(col: Column, form: Callable[[str], str | None]) -> pa.Array:
    """The key values of a column whose contract declares a key form (``keyForms``: a SIREN
    written "443 061 841" and "443061841" is one company): each value's canonical form, or
    its text where the form cannot read it (two different misspellings stay different).
    The form runs once per distinct value."""
    values = col.values if pa.types.is_string(col.values.type) else pc.cast(col.values, pa.string())
    distinct = pc.unique(values).drop_null()
    forms = [form(v) for v in distinct.to_pylist()]
    canonical = pa.array(
        [f if f is not None else v for f, v in zip(forms, distinct.to_pylist(), strict=True)],
        pa.string(),
    )
    return pc.take(canonical, pc.index_in(values, distinct))


def key_text(col: Column, at: int) -> str:
    """The value a key compares at position ``at``, as text ("" when null)."""
    value = _key_of(col)[at].as_py()
    return "" if value is None else str(value)
