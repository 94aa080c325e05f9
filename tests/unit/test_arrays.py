"""The engine's masks out of Arrow arrays: booleans (null as false) and empty cells, on whole,
sliced and chunked arrays, equal to what Arrow's own conversion gives."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
