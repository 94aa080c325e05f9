"""The label lists of the national "Lieux de médiation numérique" standard, read from its schema.

The standard encodes each list as a regular expression ``(?:(?:^|\\|)(A|B|C))+$``; the labels are
taken from there rather than copied, so a new version of the standard brings its own lists.
"""

from __future__ import annotations

import re
from functools import cache

from opendata.contracts.registry import reference_schema

_LIST_PATTERN = re.compile(r"^\(\?:\(\?:\^\|\\\|\)\((?P<body>.*)\)\)\+\$$")


@cache
def national_labels(field_name: str) -> tuple[str, ...]:
    """The allowed labels of one field of the national standard, in the standard's order."""
    for field in reference_schema()["fields"]:
        if field["name"] == field_name:
            pattern = field.get("constraints", {}).get("pattern", "")
            match = _LIST_PATTERN.match(pattern)
            if not match:
                raise ValueError(f"{field_name} has no list of labels in the national schema")
            items = re.split(r"(?<!\\)\|", match["body"])
            return tuple(re.sub(r"\\(.)", r"\1", item) for item in items)
    raise KeyError(f"the national schema has no field {field_name!r}")
