"""Table Schema semantics, column at a time: cast text cells to types and check constraints.

This is the subset of the Frictionless Table Schema the contracts use (string, integer, number
with ``decimalChar``/``groupChar``/``bareNumber``, date and datetime with ``format``, boolean,
year, yearmonth; ``required``, ``unique``, ``pattern``, ``enum``, ``minimum``, ``maximum``,
``minLength``, ``maxLength``; ``primaryKey``), reported under Frictionless's error names.
It works on whole columns with pandas string operations, never row by row in Python.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from opendata.report import Problem

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# What Python's int() reads after strip(), as Frictionless does ("1_000" is 1000), in ASCII
# digits only, as the Arrow checker (Unicode digits would cast to nothing, silently).
_INTEGER = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*")
_NOT_BARE = re.compile(r"^[^-+\d.]*|[^\d.]*$")
_GROUP_SPACES = re.compile(r"[\s\u00a0\u202f\u2007]")
DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]

# A normaliser maps cells to the comparison key used for unique and primary-key checks
# (a SIREN written "443 061 841" and "443061841" is the same company).
KeyNormaliser = Callable[[pd.Series], pd.Series]


@dataclass
class Column:
    """One contract field of a delivery: its text cells and where they sit in the file."""

    field: dict[str, Any]
    label: str  # as written in the file
    position: int
    text: pd.Series  # object dtype: str, or None where the row has no such cell


@dataclass
class CastResult:
    """Typed values of a column, and the problems found while casting and checking it."""

    values: pd.Series
    missing: pd.Series  # bool: the cell is empty (a missing value)
    problems: list[Problem]


def cast_column(column: Column, rows: list[int], missing_values: list[str]) -> CastResult:
    """Cast one column to its field type and check every constraint but ``unique``."""
    field = column.field
    text = column.text.astype(object)
    absent = text.isna()
    missing = absent | text.isin(missing_values)
    present = ~missing
    ftype = field.get("type", "string")
    values, ok = _cast(ftype, field, text.where(present, None), present)
    problems: list[Problem] = []

    def report(kind: str, mask: pd.Series, **params: Any) -> None:
        for index in mask[mask].index:
            cell = text.iloc[index]
            problems.append(
                Problem(
                    kind,
                    row=rows[index],
                    label=column.label,
                    cell="" if cell is None else str(cell),
                    params={"position": column.position, "field": field, **params},
                )
            )

    constraints = field.get("constraints", {})
    if constraints.get("required"):
        report("constraint-error", missing & ~absent, constraint="required")
    report("type-error", present & ~ok)
    valid = present & ok
    checked = values.where(valid)
    for name, bound in constraints.items():
        if name in ("required", "unique"):
            continue
        bad = _violates(name, bound, checked, text, ftype) & valid
        if bad.any():
            report("constraint-error", bad, constraint=name, bound=bound)
    return CastResult(values.where(valid), missing, problems)


def _cast(
    ftype: str, field: dict[str, Any], text: pd.Series, present: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Typed values and a mask of cells that cast; absent cells count as cast."""
    strings = text.fillna("").astype(str)
    if ftype in ("string", "any"):
        return text, pd.Series(True, index=text.index)
    if ftype in ("integer", "year"):
        if field.get("bareNumber", True) is False:
            strings = strings.str.replace(_NOT_BARE, "", regex=True)
        pattern = r"\d{4}" if ftype == "year" else _INTEGER.pattern
        ok = strings.str.fullmatch(pattern) | ~present
        digits = strings.str.replace("_", "", regex=False)
        integers: pd.Series = pd.to_numeric(digits.where(ok & present), errors="coerce")
        return integers.astype("Int64"), ok
    if ftype == "number":
        group = field.get("groupChar")
        if group:
            # Spreadsheets write thousands with no-break or narrow no-break spaces as well.
            group_re = _GROUP_SPACES.pattern if group.isspace() else re.escape(group)
            strings = strings.str.replace(group_re, "", regex=True)
        decimal = field.get("decimalChar", ".")
        if decimal != ".":
            strings = strings.str.replace(decimal, ".", regex=False)
        if field.get("bareNumber", True) is False:
            strings = strings.str.replace(_NOT_BARE, "", regex=True)
        ok = strings.str.fullmatch(_NUMBER.pattern) | ~present
        numbers: pd.Series = pd.to_numeric(strings.where(ok & present), errors="coerce")
        return numbers.astype("Float64"), ok
    if ftype in ("date", "datetime"):
        fmt = field.get("format", "default")
        if fmt in ("default", "any"):
            fmt = "%Y-%m-%d" if ftype == "date" else "%Y-%m-%dT%H:%M:%S"
        parsed = pd.to_datetime(strings.where(present), format=fmt, errors="coerce")
        ok = parsed.notna() | ~present
        if ftype == "date":
            return parsed.dt.normalize(), ok
        return parsed, ok
    if ftype == "yearmonth":
        ok = strings.str.fullmatch(r"\d{4}-(?:0[1-9]|1[0-2])") | ~present
        return text.where(ok & present), ok
    if ftype == "boolean":
        true_values = field.get("trueValues", DEFAULT_TRUE)
        false_values = field.get("falseValues", DEFAULT_FALSE)
        is_true = strings.isin(true_values)
        is_false = strings.isin(false_values)
        values = pd.Series(pd.NA, index=text.index, dtype="boolean")
        values[is_true] = True
        values[is_false] = False
        return values, is_true | is_false | ~present
    raise ValueError(f"field type {ftype!r} is not supported by the contracts' checker")


def _violates(name: str, bound: Any, values: pd.Series, text: pd.Series, ftype: str) -> pd.Series:
    """Mask of valid cells that break constraint ``name``."""
    false = pd.Series(False, index=values.index)
    if name == "pattern":
        regex = re.compile(bound)
        matches = [bool(regex.fullmatch(str(v))) for v in text.fillna("")]
        return ~pd.Series(matches, index=text.index, dtype=bool)
    if name == "enum":
        allowed = _typed_bounds(bound, ftype)
        return ~values.isin(allowed) & values.notna()
    if name in ("minimum", "maximum"):
        limit = _typed_bounds([bound], ftype)[0]
        below = values < limit if name == "minimum" else values > limit
        return below.fillna(False).astype(bool)
    if name in ("minLength", "maxLength"):
        lengths = text.fillna("").astype(str).str.len()
        return lengths < bound if name == "minLength" else lengths > bound
    return false


def _typed_bounds(bounds: list[Any], ftype: str) -> list[Any]:
    if ftype in ("date", "datetime"):
        return [pd.Timestamp(b) for b in bounds]
    if ftype in ("integer", "year"):
        return [int(b) for b in bounds]
    if ftype == "number":
        return [float(b) for b in bounds]
    return [str(b) for b in bounds]


def duplicates(
    keys: pd.DataFrame, rows: list[int], kind: str, labels: list[str], position: int
) -> list[Problem]:
    """A problem for every row whose key already appeared above it (rows with an empty part
    of the key are left to the ``required`` check)."""
    complete = keys.notna().all(axis=1)
    subset = keys[complete]
    if subset.empty:
        return []
    tuples = list(subset.itertuples(index=False, name=None))
    series = pd.Series(tuples, index=subset.index)
    dup = series.duplicated(keep="first")
    first_row = {key: rows[idx] for idx, key in reversed(list(series.items()))}
    problems = []
    for index in dup[dup].index:
        key = series.loc[index]
        problems.append(
            Problem(
                kind,
                row=rows[index],
                label=labels[0] if len(labels) == 1 else ", ".join(labels),
                cell=" | ".join(str(k) for k in key),
                params={"position": position, "first_row": first_row[key], "fields": labels},
            )
        )
    return problems
