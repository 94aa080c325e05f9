"""A field's ``pattern`` matched on whole columns as Python's ``re.fullmatch`` matches each
cell (Frictionless's reading): by RE2, once per distinct value, or byte by byte for a
pattern of fixed width."""

from __future__ import annotations

import random
import re

import numpy as np
import pyarrow as pa
import pytest

from opendata.validate.engine import patterns

ATOMS = ["[0-9]", "[a-f]", "[0-9a-f]", "[A-Z]", "[a-z-]", "[_x0-2]", "P", "W", "-", ":", "\\."]


def _pattern(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(1, 4)):
        atom = rng.choice(ATOMS)
        parts.append(atom + (f"{{{rng.randint(1, 5)}}}" if rng.random() < 0.5 else ""))
    return "".join(parts)


def _cell(rng: random.Random, pattern: str, width: int) -> str:
    """Most often a cell of the pattern's width, matching or one character off; sometimes
    another width, a character that is not ASCII, a line break at the end."""
    alphabet = "0123456789abcdefxyzABCPW-_:.é\n"
    draw = rng.random()
    if draw < 0.1:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, width + 2)))
    ranges = patterns.byte_ranges(pattern)
    assert ranges is not None
    low, span = ranges
    cell = []
    for position in range(width):  # a byte of one of the position's ranges
        depth = rng.randrange(len(low))
        first = int(low[depth][position])
        cell.append(chr(first + rng.randint(0, int(span[depth][position]))))
    if draw < 0.5:
        cell[rng.randrange(width)] = rng.choice(alphabet.replace("é", "").replace("\n", ""))
    elif draw < 0.52:
        cell[-1] = rng.choice(["é", "\n"])
    return "".join(cell)


@pytest.mark.parametrize("seed", range(6))
def test_fixed_width_patterns_match_as_python_matches(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        pattern = _pattern(rng)
        ranges = patterns.byte_ranges(pattern)
        assert ranges is not None, pattern
        width = ranges[0].shape[1]
        values: list[str | None] = [_cell(rng, pattern, width) for _ in range(300)]
        same_width = [v if v is not None and len(v.encode()) == width else "0" * width
                      for v in values]  # fmt: skip
        nulls = [v if rng.random() < 0.9 else None for v in values]
        for cells in (values, same_width, nulls):
            expected = [v is None or re.fullmatch(pattern, v) is not None for v in cells]
            found = patterns.matching(pa.array(cells, pa.string()), pattern)
            assert found.tolist() == expected, pattern
        # Cells all of the width and no null: matched byte by byte, not by RE2.
        fast = patterns._by_bytes(pa.array(same_width, pa.string()), pattern)
        assert fast is not None and fast.tolist() == [
            re.fullmatch(pattern, v) is not None for v in same_width
        ]


def test_patterns_of_other_syntax_are_left_to_re2() -> None:
    for pattern in ["a.b", "[^a]{2}", "PW[0-9]{4}(-[0-9]{1,2})?", "[0-9]+", "a|b", "[0-9]{1,2}",
                    "\\d{4}", "[é]", "a{0}", ""]:  # fmt: skip
        assert patterns.byte_ranges(pattern) is None, pattern
    low, span = patterns.byte_ranges("[0-9a-f]{16}") or (np.zeros(0), np.zeros(0))
    assert low.tolist() == [[48] * 16, [97] * 16] and span.tolist() == [[9] * 16, [5] * 16]


def test_a_slice_of_a_column_is_matched_at_its_own_cells() -> None:
    """A column cut from a larger one (an offset into its buffers) reads its own bytes."""
    column = pa.array(["zzzz", "ab12", "cd3x", "ef45", "zzzz"], pa.string()).slice(1, 3)
    assert patterns.matching(column, "[a-f]{2}[0-9]{2}").tolist() == [True, False, True]
    assert patterns._by_bytes(column, "[a-f]{2}[0-9]{2}") is not None
