"""Text columns cast to their Table Schema type with Frictionless's rules (what is supported,
what a cell casts to, which cells are missing)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.validate.engine.arrays import empty_cells, mask
from opendata.validate.engine.findings import Unsupported
from opendata.validate.engine.temporal import date_format, format_regex, strptime

SUPPORTED_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "yearmonth")
# Frictionless's defaults (frictionless.settings).
DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
_INTEGER = r"^[+-]?[0-9]+(?:_[0-9]+)*$"
# What ``year, month = cell.split("-")`` then ``int()`` of each reads (month checked after).
_YEARMONTH = r"^\s*\+?[0-9]+(?:_[0-9]+)*\s*-\s*\+?(?P<m>[0-9]+(?:_[0-9]+)*)\s*$"
# What Python's Decimal() reads once its underscores are dropped, in ASCII digits: a sign, an
# optional point, an exponent; not "Infinity" nor "NaN" (see the module notes).
_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"


def check_schema(schema: dict[str, Any]) -> None:
    """Raise :class:`Unsupported` when ``schema`` needs what this engine does not implement."""
    for fld in schema["fields"]:
        ftype = fld.get("type", "string")
        if ftype not in SUPPORTED_TYPES:
            raise Unsupported(f"field {fld['name']!r}: type {ftype!r} is not supported")
        fmt = date_format(fld)
        if ftype in ("date", "datetime") and fmt in ("default", "any"):
            raise Unsupported(f"field {fld['name']!r}: give {ftype} an explicit format")
        if ftype in ("date", "datetime"):
            format_regex(fmt, ftype)
        if ftype == "string" and fmt != "default":
            raise Unsupported(f"field {fld['name']!r}: string format {fmt!r} is not supported")
        if fld.get("bareNumber") is False:
            raise Unsupported(f"field {fld['name']!r}: bareNumber false is not supported")
        pattern = fld.get("constraints", {}).get("pattern")
        if pattern is not None:
            try:
                pc.match_substring_regex(pa.array([""]), f"^{pattern}$")
            except pa.ArrowInvalid as exc:
                raise Unsupported(f"field {fld['name']!r}: pattern not RE2: {exc}") from None


@dataclass
class Column:
    """One schema field's cells in a file, cast."""

    name: str
    text: pa.ChunkedArray
    absent: np.ndarray  # the record has no such cell
    missing: np.ndarray  # a missing value (absent cells included)
    ok: np.ndarray  # present and cast
    values: pa.Array  # typed; null where missing or not cast
    key: pa.Array | None = None  # the values keys compare, when a key form is declared


def cast(
    fld: dict[str, Any], text: pa.ChunkedArray, absent: np.ndarray, missing_values: Sequence[str]
) -> Column:
    """Cast one column of text cells to its Table Schema type."""
    ftype = fld.get("type", "string")
    if text.null_count:  # a lenient reader's table: null is a cell the row does not have
        absent = absent | ~mask(pc.is_valid(text))
        text = pc.fill_null(text, "")
    if list(missing_values) == [""]:
        missing = absent | empty_cells(text)
    else:
        missing = absent | mask(pc.is_in(text, pa.array(list(missing_values), pa.string())))
    present = ~missing
    if ftype == "string":
        ok = present
        values: pa.Array = (
            text  # every cell present (a machine export): no copy of the text
            if ok.all()
            else pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string()))
        )
    elif ftype == "integer":
        values, ok = _integers(text, present)
    elif ftype == "number":
        values, ok = _numbers(text, present, fld)
    elif ftype == "boolean":
        true = mask(pc.is_in(text, pa.array(fld.get("trueValues", DEFAULT_TRUE), pa.string())))
        false = pc.is_in(text, pa.array(fld.get("falseValues", DEFAULT_FALSE), pa.string()))
        ok = present & (true | mask(false))
        values = pc.if_else(pa.array(ok), pa.array(true), pa.scalar(None, pa.bool_()))
    elif ftype == "yearmonth":
        ok = present & mask(pc.match_substring_regex(text, _YEARMONTH))
        parts = pc.extract_regex(pc.if_else(pa.array(ok), text, "0-1"), _YEARMONTH)
        month = pc.struct_field(parts, "m")
        number = pc.cast(pc.replace_substring(month, "_", ""), pa.float64())
        ok &= mask(pc.and_(pc.greater_equal(number, 1), pc.less_equal(number, 12)))
        values = pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string()))
    else:
        seconds, parsed = strptime(text, date_format(fld), ftype)
        ok = present & parsed
        if ftype == "date":
            arrow = pa.array(seconds.astype("datetime64[D]"), pa.date32())
        else:
            arrow = pa.array(seconds, pa.timestamp("s"))
        values = pc.if_else(pa.array(ok), arrow, pa.scalar(None, arrow.type))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return Column(fld["name"], text, absent, missing, ok, values)


def _integers(text: pa.ChunkedArray, present: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Integer values and the cells that cast, as Python's ``int(cell.strip())`` would."""
    kept = pa.array(present)
    try:
        # Fast path: Arrow's parser accepts a subset of what int() accepts (sign and digits).
        if present.all():
            return pc.cast(text, pa.int64()), present
        numbers = pc.cast(pc.if_else(kept, text, "0"), pa.int64())
        return pc.if_else(kept, numbers, pa.scalar(None, pa.int64())), present
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    stripped = pc.utf8_trim_whitespace(text)
    ok = present & mask(pc.match_substring_regex(stripped, _INTEGER))
    digits = pc.replace_substring_regex(pc.replace_substring(stripped, "_", ""), r"^\+", "")
    long = mask(pc.greater(pc.utf8_length(pc.replace_substring_regex(digits, "^[+-]?0*", "")), 18))
    ok &= ~long  # beyond 64 bits: a type error here, see the module notes
    numbers = pc.cast(pc.if_else(pa.array(ok), digits, "0"), pa.int64())
    return pc.if_else(pa.array(ok), numbers, pa.scalar(None, pa.int64())), ok


def _numbers(
    text: pa.ChunkedArray, present: np.ndarray, fld: dict[str, Any]
) -> tuple[pa.Array, np.ndarray]:
    """Numbers and the cells that cast, as Frictionless's number field reads them: the cell
    stripped, ``groupChar`` removed, a point refused when ``decimalChar`` is another
    character, ``decimalChar`` made a point, then what ``Decimal()`` reads (it drops every
    underscore). Values are 64-bit floats."""
    text = pc.utf8_trim_whitespace(text)
    ok = present.copy()
    if fld.get("groupChar"):
        text = pc.replace_substring(text, fld["groupChar"], "")
    decimal = fld.get("decimalChar", ".")
    if decimal != ".":
        ok &= ~mask(pc.match_substring(text, "."))
        text = pc.replace_substring(text, decimal, ".")
    text = pc.utf8_trim_whitespace(pc.replace_substring(text, "_", ""))
    ok &= mask(pc.match_substring_regex(text, _NUMBER))
    numbers = pc.cast(pc.if_else(pa.array(ok), text, "0"), pa.float64())
    return pc.if_else(pa.array(ok), numbers, pa.scalar(None, pa.float64())), ok


def typed_bound(bound: Any, ftype: str) -> pa.Scalar:
    if ftype == "integer":
        return pa.scalar(int(bound), pa.int64())
    if ftype == "number":
        return pa.scalar(float(bound), pa.float64())
    if ftype == "date":
        import datetime as dt

        return pa.scalar(dt.date.fromisoformat(str(bound)), pa.date32())
    if ftype == "datetime":
        import datetime as dt

        return pa.scalar(dt.datetime.fromisoformat(str(bound)), pa.timestamp("s"))
    return pa.scalar(str(bound), pa.string())
