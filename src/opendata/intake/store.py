"""Storing one delivery: validated (or its report reused), named by date and content hash,
written whole or not at all, never twice; an invalid one in quarantine with its report.

A valid delivery is stored under ``raw/<source>/`` as ``<date>_<hash>_<name>`` (the delivery
date, the first 12 hex digits of the SHA-256 of its bytes, the steward's file name made safe,
and the extension of the source's format, so that the publication finds it); an invalid one
goes to ``quarantine/<source>/`` under the same kind of name, with its report in HTML and JSON
beside it. Bytes are copied untouched, written to a temporary name, flushed, then renamed: a
crash leaves the file either stored whole or not at all. Quarantine, and every file of a source
holding personal data, is readable by its owner only (0600 files in 0700 folders).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import hashlib
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from opendata.contracts.registry import Source
from opendata.report.messages import message
from opendata.report.problems import Problem, Report, UnreadableFile, display_name
from opendata.report.render import as_html, as_json
from opendata.storage import sha256_of, write_file
from opendata.validate import remembered
from opendata.validate.file import Validation, validate_file
from opendata.validate.readers import safefiles
from opendata.validate.readers.lenient import sniff_format

PARIS = ZoneInfo("Europe/Paris")
HASH_DIGITS = 12
MAX_STEM = 100  # characters of the steward's name kept (file systems allow 255 bytes)
UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")


@dataclass(frozen=True)
class Receipt:
    """What happened to one file.

    ``accepted``, ``quarantined`` or ``duplicate`` once taken; in an inbox pass also
    ``misplaced`` (not in a source's folder: a person must move it), ``waiting`` (still being
    written) or ``ignored`` (a hidden, lock or temporary file, left where it is)."""

    status: str
    source: str
    stored: Path | None
    report: Path | None
    valid: bool
    unreadable: bool
    sha256: str
    name: str = ""  # the file's name as the steward gave it
    reason: str = ""  # for misplaced, waiting and ignored files: why, in French

    @property
    def exit_code(self) -> int:
        """0 accepted (or already accepted, waiting, ignored), 1 invalid or misplaced, 2
        unreadable."""
        if self.status == "misplaced":
            return 1
        if self.status in ("waiting", "ignored"):
            return 0
        if self.unreadable:
            return 2
        return 0 if self.valid else 1


_JSON_EXTENSIONS = (".geojson", ".json")


def _pattern_extension(pattern: str) -> str | None:
    star = pattern.rfind("*")
    wanted = pattern[star + 1 :] if star >= 0 else ""
    if wanted.startswith(".") and "*" not in wanted and "?" not in wanted:
        return wanted
    return None


def _extension(source: Source, original: str, data: bytes = b"") -> str:
    """The extension the publication looks for (``filePattern``): a delivery stored as
    ``.csv.exe`` or without extension would be kept and never published. A source that takes
    several shapes gets the extension of what the file is (a GeoJSON export: ``.geojson``, a
    filled Excel template of a CSV source: ``.xlsx``)."""
    kind = sniff_format(data)
    shapes = {"json": _JSON_EXTENSIONS, "xlsx": (".xlsx",), "xls": (".xlsx",)}
    for pattern in source.patterns():
        wanted = _pattern_extension(pattern)
        if wanted is None:
            continue
        if kind in shapes and wanted in shapes[kind]:
            return wanted
        if kind not in shapes and not any(wanted in exts for exts in shapes.values()):
            return wanted
    stem, dot, ext = original.rpartition(".")
    return f".{ext.lower()}" if dot and stem else ""


def stored_name(
    original: str,
    delivered: dt.date,
    sha256: str,
    source: Source | None = None,
    data: bytes = b"",
) -> str:
    """``2008-01-15_0123456789ab_sites.csv``: date, content hash, the steward's name (made
    safe for every file system, at most :data:`MAX_STEM` characters) and the extension of the
    source's format (the file's own, in lower case, without a source)."""
    original = display_name(original)
    lowered = original.lower()
    stem = original
    for ext in (".csv.gz", ".xlsx", ".xls", ".csv", ".gz", ".geojson", ".json"):
        if lowered.endswith(ext):
            stem = original[: -len(ext)]
            break
    else:
        head, dot, _ = original.rpartition(".")
        stem = head if dot and head else original
    safe = UNSAFE.sub("-", stem).strip("-.")[:MAX_STEM].strip("-.") or "delivery"
    suffix = original[len(stem) :].lower() if source is None else _extension(source, original, data)
    return f"{delivered.isoformat()}_{sha256[:HASH_DIGITS]}_{safe}{suffix}"


def _already(folder: Path, sha256: str) -> Path | None:
    """A file of this content already in ``folder`` (names carry the hash; bytes confirm)."""
    if not folder.is_dir():
        return None
    for candidate in sorted(folder.glob(f"*_{sha256[:HASH_DIGITS]}_*")):
        if (
            candidate.suffix not in (".html", ".json")
            and not candidate.is_symlink()
            and sha256_of(candidate) == sha256
        ):
            return candidate
    return None


def today_in_paris() -> dt.date:
    """The delivery date of a file received now."""
    return dt.datetime.now(PARIS).date()


@dataclass(frozen=True)
class Checked:
    """A validation already made of a file (the portal's check): its key
    (:func:`opendata.validate.remembered.key`: the bytes, the contract, the referenced
    deliveries), its report, and the folder it was kept in (None: the report only)."""

    key: str
    report: Report
    kept: Path | None = None


def submit(
    path: Path,
    source: Source,
    raw_dir: Path,
    quarantine_dir: Path,
    delivered: dt.date | None = None,
    name: str | None = None,
    checked: Checked | None = None,
) -> tuple[Receipt, Report]:
    """Validate ``path`` and store it in ``raw_dir`` or ``quarantine_dir``; the original is
    left where it is. ``name`` is the steward's file name when ``path`` is a working copy.
    A link, a folder or a special file is refused before anything is read or stored.

    With ``checked``, the validation of these very bytes under the same key is reused instead
    of validating again (other bytes, another contract, a referenced delivery replaced since:
    validated here). A stored valid file's validation is kept for the publication
    (:mod:`opendata.validate.remembered`): it is not validated again there either."""
    original = name or path.name
    try:
        data = safefiles.read_bytes(path, source.bounds().max_file_bytes)
    except UnreadableFile as exc:
        # A link, a folder, a special file or one past the size bound: nothing is read or
        # stored (never what a link points to); the refusal and its reason are the receipt.
        report = Report(source=source.name, file=display_name(original), unreadable=True)
        report.problems.append(Problem(exc.kind, params=exc.params))
        reason = message(report.problems[0], "fr")
        receipt = Receipt("refused", source.name, None, None, False, True, "", original, reason)
        return receipt, report
    sha256 = hashlib.sha256(data).hexdigest()
    key = remembered.key(sha256, source, raw_dir)
    validation: Validation | None = None
    if checked and checked.key == key:
        report = Report.from_state(checked.report.to_state())  # a copy: the file name changes
        if checked.kept is not None:
            validation = remembered.load(checked.kept, source.name, key)
    else:
        validation = validate_file(path, source, raw_dir)
        report = Report.from_state(validation.report.to_state())
    report.file = display_name(original)
    target_name = stored_name(original, delivered or today_in_paris(), sha256, source, data)
    if report.valid and not any(fnmatch.fnmatch(target_name, p) for p in source.patterns()):
        report.problems.append(
            Problem(
                "unpublishable-name",
                params={"file": report.file, "pattern": ", ".join(source.patterns())},
            )
        )
    stored = _store(data, sha256, report, source, raw_dir, quarantine_dir, target_name, original)
    if stored[1].valid and validation is not None:
        # Kept for the publication (of a month, its report: the publication reads the month
        # once more, to count its rows, but does not check it again).
        with contextlib.suppress(OSError):  # a full disk costs a validation, not the file
            remembered.save(remembered.store_of(raw_dir), source.name, key, validation)
    return stored


def _store(
    data: bytes,
    sha256: str,
    report: Report,
    source: Source,
    raw_dir: Path,
    quarantine_dir: Path,
    name: str,
    original: str,
) -> tuple[Receipt, Report]:
    valid = report.valid
    folder = (raw_dir if valid else quarantine_dir) / source.name
    existing = _already(folder, sha256)
    if existing is not None:
        report_path = existing.with_name(existing.name + ".report.html") if not valid else None
        receipt = Receipt(
            "duplicate",
            source.name,
            existing,
            report_path,
            valid,
            report.unreadable,
            sha256,
            original,
        )
        return receipt, report
    target = folder / name
    private = source.personal_data or not valid
    report_path = None
    if not valid:
        # The reports first: a quarantined file is never without the reason it is there.
        report_path = target.with_name(name + ".report.html")
        write_file(report_path, as_html(report).encode("utf-8"), private=True)
        write_file(target.with_name(name + ".report.json"), as_json(report).encode(), private=True)
    write_file(target, data, private=private)
    status = "accepted" if valid else "quarantined"
    receipt = Receipt(
        status, source.name, target, report_path, valid, report.unreadable, sha256, original
    )
    return receipt, report


def quarantine_broken(
    path: Path, source: Source, quarantine_dir: Path, original: str, error: BaseException
) -> Receipt:
    """Keep a file that broke the pass (a defect of ours) in quarantine with the reason, so
    that one file never blocks the others; the trace goes beside it, never the file's cells."""
    data = safefiles.read_bytes(path, source.bounds().max_file_bytes)
    sha256 = hashlib.sha256(data).hexdigest()
    report = Report(source=source.name, file=display_name(original), unreadable=True)
    report.problems.append(Problem("internal-error", params={"error": type(error).__name__}))
    name = stored_name(original, today_in_paris(), sha256, source, data)
    receipt, _ = _store(
        data, sha256, report, source, quarantine_dir, quarantine_dir, name, original
    )
    trace = "".join(traceback.format_exception_only(type(error), error))
    if receipt.stored is not None:
        write_file(
            receipt.stored.with_name(receipt.stored.name + ".error.txt"),
            trace.encode("utf-8", "replace"),
            private=True,
        )
    return receipt
