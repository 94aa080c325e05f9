"""The corrections that cannot be wrong, cell by cell, from the contract and the report.

Only these, each listed with its cell, the value before and after, and why:

- latitude and longitude swapped (the report's ``coordinates-swapped``: each value is in the
  other's range of Paris);
- stray spaces at either end of a cell (a non-breaking space included);
- a month written ``03/2008`` where the contract wants ``2008-03``;
- a code that lost its leading zero in Excel (a SIREN, SIRET or a code of fixed length: the
  zero put back, and the result passes the contract);
- a decimal point where the contract wants a decimal comma;
- the contract's spelling of an allowed value when the cell matches it but for case, accents
  and spaces (exactly one allowed value).

A correction other than the spaces is made only on a cell the report finds wrong, and only
when the corrected value passes the column's rules; everything else stays as it is, and stays
in the report.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opendata.contracts.registry import Source
from opendata.report.problems import Report
from opendata.validate import normalize

SPACES = " \t\u00a0\u202f\u2007"
_MONTH = re.compile(r"(0[1-9]|1[0-2])/([0-9]{4})")
_POINT = re.compile(r"-?[0-9]+\.[0-9]+")
WHY = {
    "fr": {
        "swapped": "latitude et longitude inversées",
        "spaces": "espaces en trop au début ou à la fin",
        "month": "mois écrit MM/AAAA, le contrat veut AAAA-MM",
        "zero": "zéro initial perdu (Excel l'enlève aux nombres)",
        "decimal": "point décimal, le contrat veut une virgule",
        "spelling": "valeur permise, écrite comme le contrat l'écrit",
    },
    "en": {
        "swapped": "latitude and longitude swapped",
        "spaces": "stray spaces at the start or end",
        "month": "month written MM/YYYY, the contract wants YYYY-MM",
        "zero": "leading zero lost (Excel drops it from numbers)",
        "decimal": "decimal point, the contract wants a comma",
        "spelling": "allowed value, spelled as the contract spells it",
    },
}


@dataclass(frozen=True)
class Correction:
    """One cell changed in the corrected copy."""

    row: int  # as a spreadsheet shows it
    position: int  # column index in the file, from 0
    label: str  # the column as written in the file
    before: Any
    after: Any  # text, or the other cell's own value when two cells are swapped
    why: str  # a key of WHY


Cells = Callable[[int, int], Any]  # (row, position) -> the cell as the file holds it


def _folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _passes(spec: dict[str, Any], value: str, checks: set[str]) -> bool:
    """Whether ``value`` passes the column's own rules (pattern, allowed values, number,
    SIREN/SIRET checks)."""
    constraints = spec.get("constraints", {})
    pattern = constraints.get("pattern")
    if pattern and not re.fullmatch(pattern, value):
        return False
    allowed = constraints.get("enum")
    if allowed is not None and value not in [str(v) for v in allowed]:
        return False
    if spec.get("type") == "number":
        decimal = spec.get("decimalChar", ".")
        try:
            float(value.replace(decimal, ".") if decimal != "." else value)
        except ValueError:
            return False
        if decimal == "," and "." in value:
            return False
    if "siren" in checks and normalize.siren_number(value) is None:
        return False
    return not ("siret" in checks and normalize.siret_number(value) is None)


def _candidate(
    spec: dict[str, Any], text: str, checks: set[str], typed: bool = False
) -> tuple[str, str] | None:
    """The one certain correction of a faulty cell's text (after its spaces), and why.
    ``typed``: the cell is a number in a workbook (Excel drops a code's leading zero then)."""
    constraints = spec.get("constraints", {})
    month = _MONTH.fullmatch(text)
    if month:
        fixed = f"{month.group(2)}-{month.group(1)}"
        if _passes(spec, fixed, checks):
            return fixed, "month"
    if text.isdigit():
        # Certain when a check digit confirms it (SIREN, SIRET), or when Excel typed the code
        # as a number; a short code written as text ("7501") may be anything.
        fixed = "0" + text
        confirmed = bool(checks & {"siren", "siret"}) or (typed and constraints.get("pattern"))
        if confirmed and _passes(spec, fixed, checks):
            return fixed, "zero"
    if spec.get("type") == "number" and spec.get("decimalChar") == "," and _POINT.fullmatch(text):
        fixed = text.replace(".", ",")
        if _passes(spec, fixed, checks):
            return fixed, "decimal"
    allowed = [str(v) for v in constraints.get("enum", [])]
    if allowed and text not in allowed:
        same = [v for v in allowed if _folded(v) == _folded(text)]
        if len(same) == 1:
            return same[0], "spelling"
    return None


def _column_checks(source: Source) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for spec in source.checks:
        if "field" in spec:
            found.setdefault(str(spec["field"]), set()).add(str(spec.get("type")))
    return found


def corrections(
    source: Source,
    report: Report,
    positions: dict[str, int],
    written: dict[str, str],
    rows: list[int],
    cells: Cells,
) -> list[Correction]:
    """Every certain correction of a delivery read with the contract's own columns
    (``positions``: contract label -> column index; ``written``: label as in the file)."""
    faulty = {(p.row, p.label) for p in report.errors if p.row is not None}
    swapped = {p.row for p in report.errors if p.type == "coordinates-swapped"}
    specs = {f["name"]: f for f in source.schema["fields"]}
    checks = _column_checks(source)
    found: list[Correction] = []
    pair = _coordinates(source)
    for row in rows:
        for label, position in sorted(positions.items(), key=lambda kv: kv[1]):
            shown = written.get(label, label)
            value = cells(row, position)
            if pair and row in swapped and label in pair:
                other = cells(row, positions[pair[label]])
                if other is not None:
                    found.append(Correction(row, position, shown, value, other, "swapped"))
                continue
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                continue  # a number, a date or empty: Excel typed it, nothing to say
            text = value if isinstance(value, str) else str(value)
            stripped = text.strip(SPACES)
            if isinstance(value, str) and stripped != text and stripped:
                found.append(Correction(row, position, shown, value, stripped, "spaces"))
            if (row, shown) not in faulty or label not in specs:
                continue
            typed = isinstance(value, int)
            fixed = _candidate(specs[label], stripped, checks.get(label, set()), typed)
            if fixed is not None:
                found = [c for c in found if (c.row, c.position) != (row, position)]
                found.append(Correction(row, position, shown, value, fixed[0], fixed[1]))
    return found


def _coordinates(source: Source) -> dict[str, str]:
    """Latitude label <-> longitude label, from the contract's ``paris-coordinates`` check."""
    for spec in source.checks:
        if spec.get("type") == "paris-coordinates":
            return {spec["latitude"]: spec["longitude"], spec["longitude"]: spec["latitude"]}
    return {}
