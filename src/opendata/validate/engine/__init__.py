"""The Table Schema engine: columns of text checked with Frictionless's semantics.

One module per concept: :mod:`.cast` (types and missing values), :mod:`.temporal` (dates and
year-months), :mod:`.columns` (constraints), :mod:`.keys` (unique, primary and foreign keys),
:mod:`.findings` (what is found, and the one place a report departs from it), and
:mod:`.validator` (a file batch by batch). The text comes from a reader
(:mod:`opendata.validate.readers`). What the rest of the package uses is named here.
"""

from opendata.validate.engine.cast import Column, cast, check_schema
from opendata.validate.engine.columns import check_typed
from opendata.validate.engine.findings import Finding, Findings, Unsupported, one_error_per_fault
from opendata.validate.engine.keys import duplicated, hash_text, key_text, shared
from opendata.validate.engine.validator import Checked, Validator, validate_strings

__all__ = [
    "Checked",
    "Column",
    "Finding",
    "Findings",
    "Unsupported",
    "Validator",
    "cast",
    "check_schema",
    "check_typed",
    "duplicated",
    "hash_text",
    "key_text",
    "one_error_per_fault",
    "shared",
    "validate_strings",
]
