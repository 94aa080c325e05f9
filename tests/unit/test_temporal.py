"""Dates and datetimes read on whole columns exactly as ``datetime.strptime`` reads each cell:
the fast path of zero-padded cells (a byte matrix and a calendar of the months a batch holds)
and the regular-expression path, on cells drawn to reach every edge of the calendar."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pyarrow as pa
import pytest

from opendata.validate.engine import temporal

FORMATS = [("%Y-%m-%d %H:%M:%S", "datetime"), ("%d/%m/%Y", "date"), ("%Y-%m-%d", "date")]


def _padded(rng: random.Random, fmt: str) -> str:
    """A zero-padded cell of ``fmt``: real dates most often, and every kind of impossible one
    (day 0, 29 to 31 of short months, 29 February of years that are not leap, year 0, month
    0 or past 12, hour 24, second 60), over years 0000 to 9999."""
    year = rng.choice([0, 1, 4, 100, 1900, 2000, 2007, 2008, 2024, 2100, 2400, 9999])
    if rng.random() < 0.3:
        year = rng.randint(0, 9999)
    month = rng.choice([*range(1, 13), *range(1, 13), 0, 13, 19, 99])
    day = rng.choice([*range(1, 29), 0, 29, 30, 31, 32, 99])
    hour, minute, second = rng.choice([0, 9, 23, 24, 99]), rng.randint(0, 60), rng.randint(0, 61)
    return (
        fmt.replace("%Y", f"{year:04d}")
        .replace("%m", f"{month:02d}")
        .replace("%d", f"{day:02d}")
        .replace("%H", f"{hour:02d}")
        .replace("%M", f"{minute:02d}")
        .replace("%S", f"{second:02d}")
    )


def _python(cells: list[str], fmt: str) -> tuple[np.ndarray, list[dt.datetime | None]]:
    read: list[dt.datetime | None] = []
    for cell in cells:
        try:
            read.append(dt.datetime.strptime(cell, fmt))
        except ValueError:
            read.append(None)
    return np.array([r is not None for r in read]), read


def _same(cells: list[str], fmt: str, ftype: str, chunks: int = 1) -> None:
    size = max(1, len(cells) // chunks)
    text = pa.chunked_array(
        [pa.array(cells[i : i + size], pa.string()) for i in range(0, len(cells), size)],
        pa.string(),
    )
    values, ok = temporal.strptime(text, fmt, ftype)
    expected_ok, read = _python(cells, fmt)
    assert ok.tolist() == expected_ok.tolist(), [
        c for c, a, b in zip(cells, ok, expected_ok, strict=True) if a != b
    ][:5]
    got = values[ok].astype("datetime64[s]").astype(object).tolist()
    assert got == [r for r in read if r is not None]


@pytest.mark.parametrize(("fmt", "ftype"), FORMATS)
@pytest.mark.parametrize("seed", range(3))
def test_zero_padded_cells_read_as_strptime_reads_them(fmt: str, ftype: str, seed: int) -> None:
    """Every cell of the width of the format: the byte matrix decides, impossible cells
    included (the column then also goes through the other path, which must agree)."""
    rng = random.Random(seed)
    cells = [_padded(rng, fmt) for _ in range(5000)]
    _same(cells, fmt, ftype, chunks=rng.choice([1, 3]))
    fixed = temporal._fixed_width_datetimes(
        pa.chunked_array([pa.array(cells)]), temporal._canonical(fmt)[1], fmt
    )
    assert fixed is not None
    expected_ok, read = _python(cells, fmt)
    assert fixed[1].tolist() == expected_ok.tolist()
    assert fixed[0][fixed[1]].astype(object).tolist() == [r for r in read if r is not None]


@pytest.mark.parametrize(("fmt", "ftype"), FORMATS)
def test_a_column_of_real_dates_takes_the_fast_path_and_reads_them(fmt: str, ftype: str) -> None:
    rng = random.Random(7)
    start = dt.datetime(1, 1, 1)
    span = (dt.datetime(9999, 12, 31) - start).total_seconds()
    stamps = [start + dt.timedelta(seconds=rng.randint(0, int(span))) for _ in range(3000)]
    stamps += [dt.datetime(2008, 2, 29, 23, 59, 59), dt.datetime(2000, 2, 29), dt.datetime(1, 1, 1)]
    cells = [s.strftime(fmt) if s.year >= 1000 else _four_digit_year(s, fmt) for s in stamps]
    _same(cells, fmt, ftype)


def _four_digit_year(stamp: dt.datetime, fmt: str) -> str:
    return stamp.strftime(fmt.replace("%Y", f"{stamp.year:04d}"))


def test_cells_that_are_not_zero_padded_read_as_strptime_reads_them() -> None:
    """Cells of other widths (a day or an hour of one digit, spaces) take the other path."""
    fmt = "%Y-%m-%d %H:%M:%S"
    cells = ["2007-10-1 9:5:7", "2007-2-29 10:00:00", "2008-2-29 1:2:3", " 2007-10-01 10:00:00"]
    cells += ["2007-10-01  10:00:00", "2007-10-01 10:00", "2007-10-01 10:00:00", "2007-1-31 0:0:60"]
    _same(cells * 50, fmt, "datetime", chunks=2)
