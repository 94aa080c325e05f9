"""Where deliveries live under the raw folder, and which one is newest.

A delivery's date is the first ``AAAA-MM-JJ`` (or, for monthly files, ``AAAA-MM``) in its file
name: the generator and the intake name files that way, and file times are not trusted (a copy
changes them).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from opendata.registry import Source

_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")


@dataclass(frozen=True, order=True)
class Delivery:
    """One file of a source, ordered by the date in its name, then by name."""

    date: dt.date | None
    path: Path

    @property
    def name(self) -> str:
        """File name, as a steward knows it."""
        return self.path.name


def delivery_date(name: str) -> dt.date | None:
    """The date a file name carries (the first day of the month for ``AAAA-MM``)."""
    for match in _DATE.finditer(name):
        year, month, day = match.group(1), match.group(2), match.group(3) or "01"
        try:
            return dt.date(int(year), int(month), int(day))
        except ValueError:
            continue
    return None


def list_deliveries(raw_dir: Path, source: Source) -> list[Delivery]:
    """Every delivery of ``source`` under ``raw_dir/<source>/``, oldest first."""
    folder = raw_dir / source.name
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob(source.file_pattern) if p.is_file()]
    found = [Delivery(delivery_date(p.name), p) for p in files]
    return sorted(found, key=lambda d: (d.date or dt.date.min, d.path.name))


def newest_delivery(raw_dir: Path, source: Source) -> Delivery | None:
    """The delivery that wins for a snapshot source, or None when there is none."""
    found = list_deliveries(raw_dir, source)
    return found[-1] if found else None
