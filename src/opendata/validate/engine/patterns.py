"""A column of text matched against a field's ``pattern`` (anchored, ``^pattern$``): by RE2,
once per distinct value in a column that repeats them, and byte by byte for a pattern of
fixed width (identifiers, codes: ``[0-9a-f]{16}``) on cells of that width."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.validate.engine.arrays import fixed_width_bytes, mask

SAMPLE = 1024  # the first values of a column, to see whether it repeats them


def matching(values: pa.Array, pattern: str) -> np.ndarray:
    """Mask of the values matching the whole of ``pattern`` (any, for null values: they are
    not checked). A column that repeats its values (site codes, languages: a few hundred
    among 48,000 rows) is matched once per distinct value, a third of the time; a pattern
    of fixed width on cells of that width, as byte ranges (about a third of RE2's time)."""
    anchored = f"^{pattern}$"
    if (
        len(values) >= 4 * SAMPLE
        and pc.count_distinct(values.slice(0, SAMPLE)).as_py() * 4 <= SAMPLE
    ):
        distinct = pc.unique(values).drop_null()
        good = distinct.filter(pc.match_substring_regex(distinct, anchored))
        if len(good) == len(distinct):
            return np.ones(len(values), dtype=bool)
        return ~mask(pc.is_valid(values)) | mask(pc.is_in(values, value_set=good))
    fixed = _by_bytes(values, pattern)
    if fixed is not None:
        return fixed
    return ~mask(pc.is_valid(values)) | mask(pc.match_substring_regex(values, anchored))


def _by_bytes(values: pa.Array, pattern: str) -> np.ndarray | None:
    """The mask of a fixed-width pattern on a column without nulls whose every cell has its
    width, each byte compared with the ranges of its position; None otherwise (RE2 then
    decides: a cell of another width, a null, a pattern of other syntax)."""
    ranges = byte_ranges(pattern)
    matrix = None if ranges is None else fixed_width_bytes(values)
    if ranges is None or matrix is None or matrix.shape[1] != ranges[0].shape[1]:
        return None
    width, data = matrix.shape[1], matrix.reshape(-1)
    low, span = ranges
    if (low == low[:, :1]).all() and (span == span[:, :1]).all():
        low, span = low[:, 0], span[:, 0]  # the same ranges at every position: numbers
    else:
        low, span = np.tile(low, (1, len(values))), np.tile(span, (1, len(values)))
    good = (data - low[0]) <= span[0]  # a byte below its range wraps past 255
    for first, size in zip(low[1:], span[1:], strict=True):
        good |= (data - first) <= size
    if good.all():  # every byte in its range: the whole column, at once
        return np.ones(len(values), dtype=bool)
    return np.asarray(good.reshape(len(values), width).all(axis=1))


# A bracket class, or one character that stands for itself (an escaped point too).
_CLASS = re.compile(r"\[([^\]\\^]+)\]|([A-Za-z0-9_ :/-]|\\\.)")
_REPEAT = re.compile(r"\{([0-9]+)\}")


@lru_cache(maxsize=64)
def byte_ranges(pattern: str) -> tuple[np.ndarray, np.ndarray] | None:
    """For a pattern that is a sequence of ASCII characters and bracket classes (ranges and
    characters, no negation, no escape), each repeated once or ``{n}`` times: the byte ranges
    allowed at each position, as ``(low, span)`` arrays of shape (ranges, width), a
    position with fewer ranges repeating its last. None for any other pattern."""
    positions: list[list[tuple[int, int]]] = []
    at = 0
    while at < len(pattern):
        atom = _CLASS.match(pattern, at)
        if atom is None:
            return None
        one = atom.group(2)
        allowed = _ranges(atom.group(1)) if atom.group(1) else [(ord(one[-1]), ord(one[-1]))]
        if allowed is None:
            return None
        at = atom.end()
        repeat = _REPEAT.match(pattern, at)
        times = int(repeat.group(1)) if repeat else 1
        at = repeat.end() if repeat else at
        if not 0 < times <= 64 or len(positions) + times > 256:
            return None
        positions += [allowed] * times
    if not positions:
        return None
    depth = max(len(p) for p in positions)
    padded = [p + [p[-1]] * (depth - len(p)) for p in positions]
    low = np.array([[p[r][0] for p in padded] for r in range(depth)], dtype=np.uint8)
    high = np.array([[p[r][1] for p in padded] for r in range(depth)], dtype=np.uint8)
    return low, high - low


def _ranges(inside: str) -> list[tuple[int, int]] | None:
    """The byte ranges of a bracket class such as ``0-9a-f`` (ASCII letters, digits, ``_``
    and a final or first ``-``); None for anything else."""
    found: list[tuple[int, int]] = []
    at = 0
    while at < len(inside):
        first = inside[at]
        if not (first.isascii() and (first.isalnum() or first in "_-")):
            return None
        if at + 2 < len(inside) and inside[at + 1] == "-":
            last = inside[at + 2]
            if not (last.isascii() and last.isalnum()) or ord(last) < ord(first):
                return None
            found.append((ord(first), ord(last)))
            at += 3
        else:
            found.append((ord(first), ord(first)))
            at += 1
    return found
