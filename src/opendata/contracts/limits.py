"""Bounds on what a delivery may hold, so that no file can exhaust the machine.

Defaults fit the real deliveries with room to spare: the departments' files are a few hundred
rows of at most 15 columns; the operator's sessions month is up to about 1.2 million rows, some
30 MB gzipped and 120 MB of CSV, so its contract (``"limits"`` in its ``source.json``) raises
the bounds it needs. A setting ``OPENDATA_<NAME>`` in capitals (``OPENDATA_MAX_ROWS=3000000``)
overrides both, for every source. Past a bound the file is refused with the bound in the
message, having read at most the bound: a gzip bomb stops after ``max_decompressed_bytes`` of
output, an xlsx whose sheet claims a cell at XFD1048576 is refused before it is opened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opendata import settings

DEFAULTS = {
    "max_file_bytes": 50 * 1024**2,  # a file as received (gzip or xlsx: compressed)
    "max_decompressed_bytes": 256 * 1024**2,  # once gunzipped, an xlsx's parts once unzipped
    "max_rows": 100_000,  # records of one delivery
    "max_columns": 200,  # cells of a row (the widest contract has 15 columns)
    "max_cell_chars": 10_000,  # characters of one cell (the longest real ones: opening hours)
}
_CAMEL = {
    "maxFileBytes": "max_file_bytes",
    "maxDecompressedBytes": "max_decompressed_bytes",
    "maxRows": "max_rows",
    "maxColumns": "max_columns",
    "maxCellChars": "max_cell_chars",
}


@dataclass(frozen=True)
class Bounds:
    """The bounds in force for one source."""

    max_file_bytes: int
    max_decompressed_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int


_SETTINGS = {
    "max_file_bytes": settings.MAX_FILE_BYTES,
    "max_decompressed_bytes": settings.MAX_DECOMPRESSED_BYTES,
    "max_rows": settings.MAX_ROWS,
    "max_columns": settings.MAX_COLUMNS,
    "max_cell_chars": settings.MAX_CELL_CHARS,
}


def bounds(declared: dict[str, Any] | None = None) -> Bounds:
    """The bounds for a source whose contract declares ``declared`` (camelCase keys)."""
    values = dict(DEFAULTS)
    for key, value in (declared or {}).items():
        if key not in _CAMEL:
            raise ValueError(f"unknown limit {key!r}; known: {', '.join(_CAMEL)}")
        values[_CAMEL[key]] = int(value)
    for name in DEFAULTS:
        setting = _SETTINGS[name].get()
        if setting is not None:
            values[name] = setting
    return Bounds(**values)


def human(n: int) -> str:
    """A count with French thousands spaces: ``2000000`` → ``2 000 000``."""
    return f"{n:,}".replace(",", "\u202f")


def human_bytes(n: int) -> str:
    """A size: ``209715200`` → ``200 Mo``, ``50000000`` → ``47,7 Mo``."""
    for unit, size in (("Go", 1024**3), ("Mo", 1024**2), ("ko", 1024)):
        if n >= size:
            value = n / size
            text = f"{value:.0f}" if value.is_integer() else f"{value:.1f}".replace(".", ",")
            return f"{text} {unit}"
    return f"{n} octets"
