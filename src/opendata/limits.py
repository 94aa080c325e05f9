"""Bounds on what a delivery may hold, so that no file can exhaust the machine.

Defaults fit the real deliveries with room to spare (raw-formats.md: a sessions month is up to
about 1.2 million rows, some 30 MB gzipped and 120 MB of CSV; the departments' files are a few
hundred rows). Each is a setting, ``OPENDATA_<NAME>`` in capitals (``OPENDATA_MAX_ROWS=3000000``).
Past a bound, the file is refused with the bound in the message, having read at most the bound:
a gzip bomb is stopped after ``max_decompressed_bytes`` of output, not after gigabytes.
"""

from __future__ import annotations

import os

DEFAULTS = {
    "max_file_bytes": 200 * 1024**2,  # a file as received (gzip or xlsx compressed)
    "max_decompressed_bytes": 1024**3,  # a CSV once gunzipped, an xlsx's XML once unzipped
    "max_rows": 2_000_000,  # records of one delivery (1.2 million in the largest month)
    "max_columns": 200,  # header cells (the widest contract has 15 columns)
    "max_cell_chars": 10_000,  # characters of one cell (the longest real one: opening hours)
}


def get(name: str) -> int:
    """The bound ``name``, from ``OPENDATA_<NAME>`` when set (a positive whole number)."""
    text = os.environ.get(f"OPENDATA_{name.upper()}")
    if text is None:
        return DEFAULTS[name]
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"OPENDATA_{name.upper()}={text!r}: give a whole number") from None
    if value <= 0:
        raise ValueError(f"OPENDATA_{name.upper()}={text!r}: give a positive number")
    return value


def human(n: int) -> str:
    """``209715200`` → ``200 Mo``; counts that are not bytes stay numbers."""
    for unit, size in (("Go", 1024**3), ("Mo", 1024**2), ("ko", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,}".replace(",", " ")
