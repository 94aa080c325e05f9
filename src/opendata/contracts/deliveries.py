"""Where deliveries live under the raw folder, and which one is newest.

A delivery's date is the day it arrived. File names are whatever the sender chose
(raw-formats.md: nothing in them can be relied on), so the date is taken, in this order, from:

1. the intake's record: the intake stores a file as ``AAAA-MM-JJ_<hash>_<name>``, the date
   being the day it was received (``dated_by == "intake"``);
2. a date the data team wrote in the name, ``AAAA-MM-JJ`` (or ``AAAA-MM`` for monthly files:
   the operator's ``sessions-AAAA-MM.csv.gz``), as the sample generator does (``"name"``);
3. otherwise the file's modification time, in Paris (``"modification-time"``): the date a file
   placed by hand was last written. A copy changes it, so the publication warns about it and
   says so in the package metadata (``x-delivery-dates``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from opendata.contracts.registry import Source

_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})(?:-(\d{2}))?(?!\d)")
_INTAKE = re.compile(r"^(\d{4}-\d{2}-\d{2})_[0-9a-f]{12}_")
PARIS = ZoneInfo("Europe/Paris")


@dataclass(frozen=True, order=True)
class Delivery:
    """One file of a source, ordered by its delivery date, then by name."""

    date: dt.date | None
    path: Path
    dated_by: str = "name"  # "intake", "name" or "modification-time"

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


def dated(path: Path) -> Delivery:
    """The delivery at ``path`` with its date and where the date comes from."""
    recorded = _INTAKE.match(path.name)
    if recorded:
        try:
            return Delivery(dt.date.fromisoformat(recorded.group(1)), path, "intake")
        except ValueError:
            pass
    named = delivery_date(path.name)
    if named is not None:
        return Delivery(named, path, "name")
    modified = dt.datetime.fromtimestamp(path.lstat().st_mtime, PARIS).date()
    return Delivery(modified, path, "modification-time")


def list_deliveries(raw_dir: Path, source: Source) -> list[Delivery]:
    """Every delivery of ``source`` under ``raw_dir/<source>/``, oldest first (links and
    special files are not deliveries: see :mod:`~opendata.validate.readers.safefiles`);
    deliveries of the same
    day in the order the intake received them."""
    folder = raw_dir / source.name
    if not folder.is_dir():
        return []
    matched = {p for pattern in source.patterns() for p in folder.glob(pattern)}
    files = [p for p in matched if p.is_file() and not p.is_symlink()]
    found = [dated(p) for p in files]
    return sorted(found, key=lambda d: (d.date or dt.date.min, _received(d), d.path.name))


def _received(delivery: Delivery) -> int:
    """For files the intake stored, the moment it wrote them: two deliveries of one day are
    in the order they came (their names carry a content hash, in no order at all)."""
    return delivery.path.stat().st_mtime_ns if delivery.dated_by == "intake" else 0


def newest_delivery(raw_dir: Path, source: Source) -> Delivery | None:
    """The delivery that wins for a snapshot source, or None when there is none."""
    found = list_deliveries(raw_dir, source)
    return found[-1] if found else None
