"""The engine's masks out of Arrow arrays: booleans (null as false) and empty cells, on whole,
sliced and chunked arrays, equal to what Arrow's own conversion gives."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from opendata.validate.engine.arrays import empty_cells, mask


def test_masks_are_arrows_booleans_with_null_as_false() -> None:
    rng = random.Random(5)
    for _ in range(200):
        values = [rng.choice([True, False, None]) for _ in range(rng.randint(0, 70))]
        array = pa.array(values, pa.bool_())
        start = rng.randint(0, len(values))
        part = array.slice(start, rng.randint(0, len(values) - start))
        cut = rng.randint(0, len(part))
        chunked = pa.chunked_array([part.slice(0, cut), part.slice(cut)], pa.bool_())
        expected = [bool(v) for v in part.to_pylist()]
        assert mask(part).tolist() == expected
        assert mask(chunked).tolist() == expected
        assert mask(pa.chunked_array([part])).tolist() == expected
    assert mask(pa.chunked_array([], pa.bool_())).tolist() == []


def test_empty_cells_are_the_strings_of_no_byte() -> None:
    rng = random.Random(6)
    for _ in range(200):
        values = [rng.choice(["", "a", "é", "", "xyz"]) for _ in range(rng.randint(0, 60))]
        array = pa.array(values, pa.string())
        start = rng.randint(0, len(values))
        part = array.slice(start)
        cut = rng.randint(0, len(part))
        chunked = pa.chunked_array([part.slice(0, cut), part.slice(cut)], pa.string())
        expected = np.asarray(pc.equal(pc.binary_length(chunked), 0).to_pylist(), dtype=bool)
        assert empty_cells(chunked).tolist() == expected.tolist()
    large = pa.chunked_array([pa.array(["", "a"], pa.large_string())])
    assert empty_cells(large).tolist() == [True, False]


@pytest.mark.parametrize("repeats", [0, 3, 8, 9, 500])
def test_shared_hashes_are_those_another_position_has_too(repeats: int) -> None:
    """``keys.shared``: none, a few (compared one by one), many (a table of their low 16 bits
    first), with hashes that share low bits without being equal."""
    from collections import Counter

    from opendata.validate.engine.keys import shared

    rng = np.random.default_rng(repeats)
    hashes = rng.integers(0, 2**63, 20_000, dtype=np.int64).astype(np.uint64)
    for k in range(repeats):
        hashes[rng.integers(0, len(hashes))] = hashes[k]
    hashes[-50:] = (hashes[:50] & ~np.uint64(0xFFFF)) ^ np.uint64(1 << 40) | (
        hashes[:50] & np.uint64(0xFFFF)
    )
    counts = Counter(hashes.tolist())
    expected = [counts[h] > 1 for h in hashes.tolist()]
    found = shared(hashes)
    assert found.tolist() == expected
    assert (sum(expected) > 0) == (repeats > 0)


def test_strings_of_one_width_are_read_as_a_byte_matrix() -> None:
    """``fixed_width_bytes``: a view of the strings' bytes, a row each, only when none is null
    and all have one length in bytes; a slice reads its own strings."""
    from opendata.validate.engine.arrays import fixed_width_bytes

    array = pa.array(["zz", "ab", "cd", "éf", "xy"], pa.string())
    part = array.slice(1, 2)
    assert fixed_width_bytes(part).tolist() == [list(b"ab"), list(b"cd")]
    assert fixed_width_bytes(array) is None  # "é" is two bytes: "éf" is three
    assert fixed_width_bytes(pa.array(["ab", None], pa.string())) is None
    assert fixed_width_bytes(pa.array(["ab", "abc"], pa.string())) is None
    assert fixed_width_bytes(pa.array([], pa.string())) is None
    assert fixed_width_bytes(pa.array(["ab"], pa.large_string())) is None
