"""Text a spreadsheet would run as a formula, and the same text made safe to open (CSV
injection, OWASP). No pandas here: the corrected copy's list and the portal's workbooks use it
as well as the published files (:mod:`opendata.formats`)."""

from __future__ import annotations

import re

# CSV injection (OWASP): a spreadsheet runs a cell that starts with = + - @ (or a tab or a
# carriage return before them) as a formula. Such text cells get a leading apostrophe, which
# spreadsheets show as text and hide; numbers and phone numbers ("+33 1 44 55 66 77", "-12")
# are not formulas and are left as they are. Parquet keeps the values unchanged.
FORMULA_START = r"^[=+\-@\t\r]"
NOT_A_FORMULA = r"^[+-]?[0-9][0-9 .,]*$"
_FORMULA = re.compile(FORMULA_START)
_PLAIN_NUMBER = re.compile(NOT_A_FORMULA)


def defuse(value: str) -> str:
    """``value`` safe to open in a spreadsheet (see :data:`FORMULA_START`)."""
    if _FORMULA.match(value) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value
