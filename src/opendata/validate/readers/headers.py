"""Match the column labels a steward typed to the labels of the source's contract.

Stewards retype headers: other letter case, missing accents, extra spaces, curly apostrophes,
another column order. Two labels match when their normal forms are equal.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@lru_cache(maxsize=8192)  # the same labels come back in every file of a source
def normalize_label(label: str) -> str:
    """Fold a column label to a comparison key: no accents, no case, one space between words.

    >>> normalize_label("  État ")
    'etat'
    >>> normalize_label("HEURES D’OUVERTURE")
    'heures d ouverture'
    """
    decomposed = unicodedata.normalize("NFKD", label)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", bare.casefold()).strip()


@dataclass(frozen=True)
class HeaderMatch:
    """How the header row of a file lines up with the contract."""

    columns: dict[str, int]  # contract label -> column index in the file
    written: dict[str, str]  # contract label -> label as written in the file
    missing: list[str]  # contract labels not found
    extra: list[tuple[int, str]]  # (column index, label) of columns the contract does not know
    duplicates: list[tuple[int, str]]  # (column index, label) of a contract column seen again
    unnamed: list[int] = field(default_factory=list)  # column indexes with an empty header cell


def match_header(header: list[str], labels: list[str]) -> HeaderMatch:
    """Line up a file's header cells with the contract's labels."""
    wanted = {normalize_label(label): label for label in labels}
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    extra: list[tuple[int, str]] = []
    duplicates: list[tuple[int, str]] = []
    unnamed: list[int] = []
    for index, cell in enumerate(header):
        key = normalize_label(cell)
        if not key:
            unnamed.append(index)
            continue
        label = wanted.get(key)
        if label is None:
            extra.append((index, cell.strip()))
        elif label in columns:
            duplicates.append((index, cell.strip()))
        else:
            columns[label] = index
            written[label] = cell.strip()
    missing = [label for label in labels if label not in columns]
    return HeaderMatch(columns, written, missing, extra, duplicates, unnamed)


def header_score(cells: list[str], labels: list[str]) -> int:
    """How many of the contract's labels a row holds: used to find the header row."""
    wanted = {normalize_label(label) for label in labels}
    return len({normalize_label(c) for c in cells} & wanted)
