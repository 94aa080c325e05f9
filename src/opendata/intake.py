"""Take in what stewards send: validate, store safely, never lose a file, never store it twice.

A valid delivery is stored under ``raw/<source>/`` as ``<date>_<hash>_<name>`` (the delivery
date, the first 12 hex digits of the SHA-256 of its bytes, the steward's file name made safe,
and the extension of the source's format, so that the publication finds it); an invalid one
goes to ``quarantine/<source>/`` under the same kind of name, with its report in HTML and JSON
beside it. Bytes are copied untouched, written to a temporary name, flushed, then renamed: a
crash leaves the file either stored whole or not at all. Quarantine, and every file of a source
holding personal data, is readable by its owner only (0600 files in 0700 folders).

The inbox pass (:func:`process_inbox`) holds a lock on the inbox (a second pass waits, then
finds nothing left), takes a file only once it is settled (unchanged for ``settle_seconds`` and
open for writing by no process of this machine), and first *claims* it by renaming it into
``inbox/.processing/``: a file uploaded again under the same name meanwhile is a new file, left
for the next pass. A file is removed from the inbox only once stored; a file that breaks the
pass (a defect of ours) goes to quarantine with the reason, and the pass goes on. Links,
folders and special files are never followed; files at the inbox root or in a folder that is
no source are reported with the folder names that exist.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fnmatch
import hashlib
import json
import os
import re
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from opendata.contracts import registry
from opendata.contracts.registry import Source
from opendata.report.messages import message
from opendata.report.problems import Problem, Report, UnreadableFile, display_name
from opendata.report.render import as_html, as_json
from opendata.storage import Busy, file_lock, sha256_of, write_file
from opendata.validate.file import validate_file
from opendata.validate.readers import safefiles
from opendata.validate.readers.lenient import sniff_format

PARIS = ZoneInfo("Europe/Paris")
HASH_DIGITS = 12
MAX_STEM = 100  # characters of the steward's name kept (file systems allow 255 bytes)
PROCESSING = ".processing"
LOCK = ".opendata-intake.lock"
_UNSAFE = re.compile(r"[^0-9A-Za-z._-]+")
_TEMPORARY = (".tmp", ".part", ".crdownload", ".partial")


IntakeBusy = Busy  # another intake pass holds the inbox for longer than we wait


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
    several shapes gets the extension of what the file is (a GeoJSON export: ``.geojson``)."""
    is_json = sniff_format(data) == "json"
    for pattern in source.patterns():
        wanted = _pattern_extension(pattern)
        if wanted is not None and (wanted in _JSON_EXTENSIONS) == is_json:
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
    safe = _UNSAFE.sub("-", stem).strip("-.")[:MAX_STEM].strip("-.") or "delivery"
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
    """A report already made of a file (the portal's check): the SHA-256 of the bytes it
    read and the fingerprint of the contract it was made under."""

    sha256: str
    fingerprint: str
    report: Report


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

    With ``checked``, the report of these very bytes under this very contract is reused
    instead of validating again (any other bytes or contract: validated here)."""
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
    if checked and (checked.sha256, checked.fingerprint) == (sha256, source.fingerprint):
        report = Report.from_state(checked.report.to_state())  # a copy: the file name changes
    else:
        report = validate_file(path, source, raw_dir).report
    report.file = display_name(original)
    target_name = stored_name(original, delivered or today_in_paris(), sha256, source, data)
    if report.valid and not any(fnmatch.fnmatch(target_name, p) for p in source.patterns()):
        report.problems.append(
            Problem(
                "unpublishable-name",
                params={"file": report.file, "pattern": ", ".join(source.patterns())},
            )
        )
    return _store(data, sha256, report, source, raw_dir, quarantine_dir, target_name, original)


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


def inbox_lock(inbox: Path, wait_seconds: float = 300.0) -> AbstractContextManager[None]:
    """One intake pass at a time on an inbox; a second waits up to ``wait_seconds``, then
    :class:`IntakeBusy`."""
    inbox.mkdir(parents=True, exist_ok=True)
    return file_lock(inbox / LOCK, wait_seconds)


def _open_for_writing(under: Path) -> set[str]:
    """Paths below ``under`` that a process of this machine holds open for writing (a copy
    in progress, even one that pauses). Processes of other users may be invisible: the
    settle time covers them."""
    prefix = str(under.resolve()) + os.sep
    found: set[str] = set()
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for pid in proc.iterdir():
        if not pid.name.isdigit():
            continue
        try:
            fds = list((pid / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
                if not target.startswith(prefix):
                    continue
                flags = (pid / "fdinfo" / fd.name).read_text().split("flags:")[1].split()[0]
            except (OSError, IndexError):
                continue
            if int(flags, 8) & (os.O_WRONLY | os.O_RDWR):
                found.add(target)
    return found


@dataclass(frozen=True)
class Waiting:
    """A file of the inbox, with why it is not taken now (empty: take it)."""

    source: Source | None
    path: Path
    reason: str
    status: str = "take"


def inbox_files(inbox: Path, settle_seconds: float = 2.0) -> Iterator[Waiting]:
    """Every entry of the inbox, oldest first: the files to take now, and the others with the
    reason they stay (misplaced, still being written, hidden or temporary, not a file)."""
    known = registry.sources()
    if not inbox.is_dir():
        return
    writing = _open_for_writing(inbox)
    now = time.time()
    for entry in sorted(inbox.iterdir(), key=lambda p: p.name):
        if entry.name in (PROCESSING, LOCK):
            continue
        if entry.is_symlink() or not entry.is_dir():
            names = ", ".join(f"{n}/" for n in sorted(known))
            yield Waiting(
                None,
                entry,
                f"à la racine de la boîte de dépôt : placez-le dans le dossier de sa source "
                f"({names})",
                "misplaced",
            )
            continue
        source = known.get(entry.name)
        if source is None:
            close = [n for n in known if n.casefold() == entry.name.casefold()]
            hint = (
                f"le dossier s'appelle {close[0]}/"
                if close
                else "dossiers : " + ", ".join(f"{n}/" for n in sorted(known))
            )
            for path in sorted(entry.iterdir(), key=lambda p: p.name):
                yield Waiting(
                    None,
                    path,
                    f"dans {entry.name}/, qui n'est pas une source ({hint})",
                    "misplaced",
                )
            continue
        files = sorted(entry.iterdir(), key=lambda p: (_mtime(p), p.name))
        for path in files:
            if path.name.startswith((".", "~$")) or path.name.endswith(_TEMPORARY):
                yield Waiting(
                    source,
                    path,
                    "fichier caché, verrou ou temporaire : laissé tel quel",
                    "ignored",
                )
                continue
            try:
                regular = safefiles.kind_of(path) is None
            except UnreadableFile:
                continue  # gone since the listing (the steward took it back)
            if regular and (now - _mtime(path) < settle_seconds or str(path.resolve()) in writing):
                yield Waiting(
                    source, path, "en cours d'écriture : pris au prochain passage", "waiting"
                )
                continue
            yield Waiting(source, path, "")  # links and special files too: refused as such


def _mtime(path: Path) -> float:
    """Last modification time, or now for a file that vanished meanwhile."""
    try:
        return path.lstat().st_mtime
    except OSError:
        return time.time()


def _claim(path: Path, inbox: Path, source: Source) -> Path | None:
    """Move ``path`` into the inbox's processing folder (atomic; None when it vanished)."""
    folder = inbox / PROCESSING / source.name
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # File names are at most 255 bytes: room for the prefix (a long name is shortened, its
    # extension kept; the reports then show the shortened name).
    name = os.fsencode(path.name)
    if len(name) > 200:
        stem, dot, ext = name.rpartition(b".")
        keep = (b"." + ext) if dot and len(ext) < 12 else b""
        name = (stem if dot else name)[: 200 - len(keep)] + keep
    claimed = folder / f"{time.time_ns()}-{os.fsdecode(name)}"
    try:
        os.rename(path, claimed)
    except FileNotFoundError:
        return None
    return claimed


def _original_name(claimed: Path) -> str:
    return claimed.name.split("-", 1)[1] if "-" in claimed.name else claimed.name


def _give_back(claimed: Path, inbox: Path, source: Source) -> None:
    """Put a claimed file back under its name (or keep it claimed for the next pass when the
    name was taken again meanwhile: a newer upload)."""
    home = inbox / source.name / _original_name(claimed)
    if not home.exists():
        os.rename(claimed, home)


def process_inbox(
    inbox: Path,
    raw_dir: Path,
    quarantine_dir: Path,
    on_accepted: Callable[[Receipt], None] | None = None,
    delivered: dt.date | None = None,
    settle_seconds: float = 2.0,
    lock_seconds: float = 300.0,
) -> list[Receipt]:
    """Submit every settled file of the inbox, then remove it from the inbox; every other
    entry gets a receipt saying why it stays."""
    receipts: list[Receipt] = []
    with inbox_lock(inbox, lock_seconds):
        drop_stale_temporaries(raw_dir, quarantine_dir)
        # Files a pass claimed and did not finish (killed): they are taken first.
        processing = inbox / PROCESSING
        leftovers = sorted(processing.glob("*/*")) if processing.is_dir() else []
        todo: list[tuple[Source, Path]] = []
        for claimed in leftovers:
            source = registry.sources().get(claimed.parent.name)
            if source is not None:
                todo.append((source, claimed))
        for waiting in inbox_files(inbox, settle_seconds):
            if waiting.status == "take" and waiting.source is not None:
                taken = _claim(waiting.path, inbox, waiting.source)
                if taken is not None:
                    todo.append((waiting.source, taken))
                continue
            receipts.append(_note(waiting))
        for source, claimed in todo:
            receipts.append(_take(source, claimed, inbox, raw_dir, quarantine_dir, delivered))
            if receipts[-1].status == "accepted" and on_accepted is not None:
                on_accepted(receipts[-1])
    return receipts


STALE_SECONDS = 3600


def drop_stale_temporaries(*folders: Path) -> None:
    """Temporary files of writes killed midway (``.incoming-*``), older than an hour: no live
    write takes that long, and a ``submit`` running meanwhile holds no lock to wait for."""
    now = time.time()
    for folder in folders:
        for stale in folder.glob("*/.incoming-*") if folder.is_dir() else []:
            with contextlib.suppress(OSError):
                if now - stale.lstat().st_mtime > STALE_SECONDS:
                    stale.unlink()


def _note(waiting: Waiting) -> Receipt:
    source = waiting.source.name if waiting.source else ""
    status = waiting.status
    return Receipt(
        status,
        source,
        None,
        None,
        False,
        False,
        "",
        display_name(waiting.path.name),
        waiting.reason,
    )


def _take(
    source: Source,
    claimed: Path,
    inbox: Path,
    raw_dir: Path,
    quarantine_dir: Path,
    delivered: dt.date | None,
) -> Receipt:
    original = _original_name(claimed)
    before = claimed.lstat()
    try:
        receipt, _ = submit(claimed, source, raw_dir, quarantine_dir, delivered, original)
    except OSError:
        _give_back(claimed, inbox, source)  # a full disk is not the file's fault: keep it
        raise
    except Exception as exc:  # a defect of ours: this file to quarantine, the others go on
        receipt = quarantine_broken(claimed, source, quarantine_dir, original, exc)
    after = claimed.lstat()
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        # Still being written by someone this machine cannot see: take it next time.
        _give_back(claimed, inbox, source)
        return Receipt(
            "waiting",
            source.name,
            None,
            None,
            False,
            False,
            "",
            original,
            "modifié pendant la lecture : pris au prochain passage",
        )
    if receipt.status == "refused":
        return _refuse(claimed, source, quarantine_dir, original, receipt)
    claimed.unlink()  # only now: the bytes are stored (or were already)
    return receipt


def _refuse(
    claimed: Path, source: Source, quarantine_dir: Path, original: str, receipt: Receipt
) -> Receipt:
    """A link, special file or oversized file leaves the inbox as it is (renamed, never read
    or followed) for quarantine, with the reason beside it."""
    folder = quarantine_dir / source.name
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    safe = _UNSAFE.sub("-", display_name(original))[:MAX_STEM] or "delivery"
    target = folder / f"{today_in_paris().isoformat()}_refused_{time.time_ns()}_{safe}"
    os.rename(claimed, target)
    note = {"file": display_name(original), "source": source.name, "reason": receipt.reason}
    write_file(target.with_name(target.name + ".refused.json"), json.dumps(note).encode(), True)
    return Receipt("refused", source.name, target, None, False, True, "", original, receipt.reason)


def receipts_summary(receipts: list[Receipt]) -> dict[str, int]:
    """How many files of each status (every status named, zero included)."""
    counts = dict.fromkeys(
        ("accepted", "quarantined", "duplicate", "refused", "misplaced", "waiting", "ignored"), 0
    )
    for receipt in receipts:
        counts[receipt.status] = counts.get(receipt.status, 0) + 1
    return counts


def as_record(receipt: Receipt) -> dict[str, str]:
    """A receipt as plain text fields (logs, artifacts)."""
    return {
        "statut": receipt.status,
        "source": receipt.source,
        "fichier": receipt.name,
        "rangé sous": receipt.stored.name if receipt.stored else "",
        "raison": receipt.reason,
    }
