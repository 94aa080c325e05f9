"""Take in what stewards send: validate, store safely, never lose a file, never store it twice.

A valid delivery is stored under ``raw/<source>/`` as ``<date>_<hash>_<name>`` (the delivery
date, the first 12 hex digits of the SHA-256 of its bytes, and the steward's file name); an
invalid one goes to ``quarantine/<source>/`` under the same kind of name, with its report in
HTML and JSON beside it. Bytes are copied untouched, written to a temporary name, flushed,
then renamed: a crash leaves the file either stored whole or not at all. A file dropped in the
inbox is removed only once it is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from opendata import registry
from opendata.registry import Source
from opendata.render import as_html, as_json
from opendata.report import Report
from opendata.storage import sha256_of, write_file
from opendata.validation import validate_file

PARIS = ZoneInfo("Europe/Paris")
HASH_DIGITS = 12
_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


@dataclass(frozen=True)
class Receipt:
    """What happened to one file: ``accepted``, ``quarantined`` or ``duplicate``."""

    status: str
    source: str
    stored: Path | None
    report: Path | None
    valid: bool
    unreadable: bool
    sha256: str

    @property
    def exit_code(self) -> int:
        """0 accepted (or already accepted), 1 invalid, 2 unreadable."""
        if self.unreadable:
            return 2
        return 0 if self.valid else 1


def stored_name(original: str, delivered: dt.date, sha256: str) -> str:
    """``2008-01-15_0123456789ab_sites.csv``: date, content hash, the steward's name (made
    safe for every file system; the extension in lower case)."""
    stem, dot, ext = original.rpartition(".")
    if not dot:
        stem, ext = original, ""
    safe = _UNSAFE.sub("-", stem).strip("-") or "delivery"
    suffix = f".{ext.lower()}" if ext else ""
    if suffix == ".gz" and stem.lower().endswith(".csv"):
        safe, suffix = _UNSAFE.sub("-", stem[:-4]).strip("-") or "delivery", ".csv.gz"
    return f"{delivered.isoformat()}_{sha256[:HASH_DIGITS]}_{safe}{suffix}"


def _already(folder: Path, sha256: str) -> Path | None:
    """A file of this content already in ``folder`` (names carry the hash; bytes confirm)."""
    if not folder.is_dir():
        return None
    for candidate in sorted(folder.glob(f"*_{sha256[:HASH_DIGITS]}_*")):
        if candidate.suffix not in (".html", ".json") and sha256_of(candidate) == sha256:
            return candidate
    return None


def today_in_paris() -> dt.date:
    """The delivery date of a file received now."""
    return dt.datetime.now(PARIS).date()


def submit(
    path: Path,
    source: Source,
    raw_dir: Path,
    quarantine_dir: Path,
    delivered: dt.date | None = None,
) -> tuple[Receipt, Report]:
    """Validate ``path`` and store it in ``raw_dir`` or ``quarantine_dir``; the original is
    left where it is."""
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    report = validate_file(path, source, raw_dir).report
    valid = report.valid
    folder = (raw_dir if valid else quarantine_dir) / source.name
    existing = _already(folder, sha256)
    if existing is not None:
        report_path = existing.with_name(existing.name + ".report.html") if not valid else None
        receipt = Receipt(
            "duplicate", source.name, existing, report_path, valid, report.unreadable, sha256
        )
        return receipt, report
    name = stored_name(path.name, delivered or today_in_paris(), sha256)
    target = folder / name
    report_path = None
    if not valid:
        # The reports first: a quarantined file is never without the reason it is there.
        report_path = target.with_name(name + ".report.html")
        write_file(report_path, as_html(report).encode("utf-8"))
        write_file(target.with_name(name + ".report.json"), as_json(report).encode())
    write_file(target, data)
    status = "accepted" if valid else "quarantined"
    return Receipt(
        status, source.name, target, report_path, valid, report.unreadable, sha256
    ), report


def inbox_files(inbox: Path, settle_seconds: float = 2.0) -> Iterator[tuple[Source, Path]]:
    """Files waiting in ``inbox/<source>/``, oldest first; files still being written (changed
    in the last ``settle_seconds``), hidden and temporary files are left for the next pass."""
    now = time.time()
    for name, source in sorted(registry.sources().items()):
        folder = inbox / name
        if not folder.is_dir():
            continue
        files = [
            p
            for p in folder.iterdir()
            if p.is_file()
            and not p.name.startswith((".", "~$"))
            and not p.name.endswith((".tmp", ".part"))
        ]
        for path in sorted(files, key=lambda p: (p.stat().st_mtime, p.name)):
            if now - path.stat().st_mtime >= settle_seconds:
                yield source, path


def process_inbox(
    inbox: Path,
    raw_dir: Path,
    quarantine_dir: Path,
    on_accepted: Callable[[Receipt], None] | None = None,
    delivered: dt.date | None = None,
    settle_seconds: float = 2.0,
) -> list[Receipt]:
    """Submit every settled file of the inbox, then remove it from the inbox."""
    receipts = []
    for source, path in inbox_files(inbox, settle_seconds):
        receipt, _ = submit(path, source, raw_dir, quarantine_dir, delivered)
        path.unlink()  # only now: the bytes are stored (or were already)
        receipts.append(receipt)
        if receipt.status == "accepted" and on_accepted is not None:
            on_accepted(receipt)
    return receipts
