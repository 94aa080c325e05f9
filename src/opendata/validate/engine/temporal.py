"""Dates, datetimes and year-months read as ``datetime.strptime`` and Frictionless read them,
on whole Arrow columns: the format turned into a regular expression, impossible dates refused."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.validate.engine.arrays import fixed_width_bytes, mask
from opendata.validate.engine.findings import Unsupported

DEFAULT_DATE = "%Y-%m-%d"  # Frictionless's default date format
# The regular expressions Python's strptime uses for each directive (named groups for RE2).
_DIRECTIVES = {
    "Y": r"(?P<Y>[0-9][0-9][0-9][0-9])",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "d": r"(?P<d>3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])",
    "H": r"(?P<H>2[0-3]|[0-1][0-9]|[0-9])",
    "M": r"(?P<M>[0-5][0-9]|[0-9])",
    "S": r"(?P<S>6[0-1]|[0-5][0-9]|[0-9])",
}
_DATE_PARTS = ("Y", "m", "d")
_TIME_PARTS = ("H", "M", "S")
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


def date_format(fld: dict[str, Any]) -> str:
    """A date or datetime field's strptime format ("default" dates are Frictionless's ISO
    pattern; "default" datetimes, read by dateutil's isoparse, are not supported)."""
    fmt = str(fld.get("format", "default"))
    if fld.get("type") == "date" and fmt == "default":
        return DEFAULT_DATE
    return fmt


def format_regex(fmt: str, ftype: str) -> tuple[str, list[str]]:
    parts: list[str] = []
    seen: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            if code not in _DIRECTIVES or code in seen:
                raise Unsupported(f"{ftype} format {fmt!r}: directive %{code} is not supported")
            parts.append(_DIRECTIVES[code])
            seen.append(code)
            i += 2
            continue
        parts.append(r"\s+" if ch.isspace() else re.escape(ch))
        i += 1
    needed = _DATE_PARTS if ftype == "date" else _DATE_PARTS + _TIME_PARTS
    if ftype == "date" and any(c in seen for c in _TIME_PARTS):
        raise Unsupported(f"date format {fmt!r} has time directives")
    if any(c not in seen for c in needed):
        raise Unsupported(f"{ftype} format {fmt!r} must have %{' %'.join(needed)}")
    return "^" + "".join(parts) + "$", seen


def strptime(text: pa.ChunkedArray, fmt: str, ftype: str) -> tuple[np.ndarray, np.ndarray]:
    """(values as datetime64[s], mask of cells that parse) the way ``datetime.strptime`` does.

    Zero-padded cells (what exports write) are read by position; the others go through the
    regular expressions of Python's ``strptime``, directive by directive."""
    n = len(text)
    codes = format_regex(fmt, ftype)[1]
    ok = np.zeros(n, dtype=bool)
    canonical = _canonical(fmt)
    values = np.zeros(n, dtype="datetime64[s]")
    if canonical is not None:
        fixed = _fixed_width_datetimes(text, canonical[1], fmt)
        if fixed is not None and fixed[1].all():
            return fixed
    if canonical is not None:
        regex, slots = canonical
        ok = mask(pc.match_substring_regex(text, regex))
        if ok.any():
            # Arrow's strptime reads zero-padded cells; it rolls impossible days and second 60
            # over (30 February is 2 March), so the day and second written are compared back.
            parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
            ok &= mask(pc.is_valid(parsed))
            safe = pc.if_else(pa.array(ok), text, "0" * max(a + b for a, b in slots.values()))
            stamps = pc.fill_null(parsed, pa.scalar(0, pa.timestamp("s")))
            for code, part in (("d", pc.day), ("S", pc.second)):
                if code not in slots:
                    continue
                start, width = slots[code]
                written = pc.cast(pc.utf8_slice_codeunits(safe, start, start + width), pa.int64())
                ok &= mask(pc.equal(written, part(stamps)))
            ok &= mask(pc.greater_equal(pc.year(stamps), 1))  # Python has no year 0
            values = np.array(stamps.to_numpy(), dtype="datetime64[s]")
    if canonical is not None and not (~ok).any():
        return values, ok
    rest = ~ok
    parts = {c: np.zeros(n, dtype=np.int64) for c in _DATE_PARTS + _TIME_PARTS}
    if rest.any():
        # Cells that are not zero-padded: Python's own directive rules.
        regex = format_regex(fmt, ftype)[0]
        subset = pc.filter(text, pa.array(rest))
        extracted = pc.extract_regex(subset, regex)
        matched = mask(pc.is_valid(extracted))
        index = np.nonzero(rest)[0][matched]
        extracted = pc.filter(extracted, pa.array(matched))
        for code in codes:
            digits = pc.utf8_trim_whitespace(pc.struct_field(extracted, code))
            parts[code][index] = np.array(pc.cast(digits, pa.int64()).to_numpy(), dtype=np.int64)
        year, month, day = parts["Y"], np.clip(parts["m"], 1, 12), parts["d"]
        leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
        month_days = _DAYS[month - 1] + ((month == 2) & leap)
        good = np.zeros(n, dtype=bool)
        good[index] = True
        good &= (year >= 1) & (day >= 1) & (day <= month_days) & (parts["S"] <= 59)
        months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
        days = months.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1)
        clock = parts["H"] * 3600 + parts["M"] * 60 + parts["S"]
        slow = days.astype("datetime64[s]") + clock
        values = np.where(good, slow, values)
        ok = ok | good
    return values, ok


def _fixed_width_datetimes(
    text: pa.ChunkedArray, slots: dict[str, tuple[int, int]], fmt: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """When every cell has the zero-padded width (what machine exports write), read the cells
    as a byte matrix: digits and separators checked, numbers computed, all with NumPy."""
    array = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    width = max(start + size for start, size in slots.values())
    matrix = fixed_width_bytes(array)
    if matrix is None or matrix.shape[1] != width:
        return None
    digits = matrix - np.uint8(48)  # a byte that is not a digit wraps to more than 9
    digit_columns = [p for start, size in slots.values() for p in range(start, start + size)]
    ok = (digits[:, digit_columns] <= 9).all(axis=1)
    literal = _literal_bytes(fmt)
    for position, byte in literal.items():
        ok &= matrix[:, position] == byte
    parts: dict[str, np.ndarray] = {}
    for code, (start, size) in slots.items():
        value = digits[:, start].astype(np.int32)
        for position in range(start + 1, start + size):
            value = value * 10 + digits[:, position]
        parts[code] = value
    zero = np.zeros(len(array), dtype=np.int32)
    year, month, day = parts["Y"], parts["m"], parts["d"]
    hour, minute, second = parts.get("H", zero), parts.get("M", zero), parts.get("S", zero)
    first, length, at = _months(year, month)
    ok &= (day >= 1) & (day <= length[at]) & (hour <= 23) & (minute <= 59) & (second <= 59)
    seconds = (first[at] + (day - 1)) * 86400 + (hour * 3600 + minute * 60 + second)
    return seconds.astype("datetime64[s]"), ok


def _months(year: np.ndarray, month: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The calendar of the months a column holds (a batch of an export: one or two): for
    each slot, its first day (days since 1970-01-01) and its length (0 for a month that does
    not exist: month 0 or past 12, year 0), and the slot of each cell. Years of four digits:
    at most 160,000 slots."""
    slot = year * 16 + np.minimum(month, 13)  # every month past 12 in one slot
    low = int(slot.min()) if len(slot) else 0
    every = np.arange(low, (int(slot.max()) if len(slot) else low) + 1)
    years, months = every // 16, every % 16
    real = (years >= 1) & (months >= 1) & (months <= 12)
    safe_year, safe_month = np.maximum(years, 1), np.clip(months, 1, 12)
    leap = ((safe_year % 4 == 0) & (safe_year % 100 != 0)) | (safe_year % 400 == 0)
    length = np.where(real, _DAYS[safe_month - 1] + ((safe_month == 2) & leap), 0)
    first = _days_from_civil(safe_year, safe_month, np.ones_like(safe_month)).astype(np.int64)
    return first, length, slot - low


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates of years 1 to 9999 (H. Hinnant's
    algorithm) in 32-bit integer arithmetic: faster than NumPy's calendar conversion."""
    early = month <= 2
    year = year - early  # years from 0 on: floor division is truncation
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 + 12 * early) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _literal_bytes(fmt: str) -> dict[int, int]:
    """Position → byte of the literal characters of a fixed-width format."""
    widths = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
    found, pos, i = {}, 0, 0
    while i < len(fmt):
        if fmt[i] == "%":
            pos += widths[fmt[i + 1]]
            i += 2
        else:
            found[pos] = ord(fmt[i])
            pos += 1
            i += 1
    return found


def _canonical(fmt: str) -> tuple[str, dict[str, tuple[int, int]]] | None:
    """For a format of fixed-width directives, the regex of its zero-padded form (a space of the
    format standing for one space) and where each directive sits; None otherwise."""
    widths = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
    regex, slots, pos, i = [], {}, 0, 0
    while i < len(fmt):
        if fmt[i] == "%":
            code = fmt[i + 1]
            if code not in widths:
                return None
            slots[code] = (pos, widths[code])
            regex.append(f"[0-9]{{{widths[code]}}}")
            pos += widths[code]
            i += 2
        else:
            regex.append(" " if fmt[i] == " " else re.escape(fmt[i]))
            pos += 1
            i += 1
    return "^" + "".join(regex) + "$", slots
