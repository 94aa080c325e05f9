"""The inbox pass (:func:`process_inbox`): every file waiting in ``inbox/<source>/`` taken in.

It holds a lock on the inbox (a second pass waits, then finds nothing left), takes a file only
once it is settled (unchanged for ``settle_seconds`` and open for writing by no process of this
machine), and first *claims* it by renaming it into ``inbox/.processing/``: a file uploaded
again under the same name meanwhile is a new file, left for the next pass. A file is removed
from the inbox only once stored; a file that breaks the pass (a defect of ours) goes to
quarantine with the reason, and the pass goes on. Links, folders and special files are never
followed; files at the inbox root or in a folder that is no source are reported with the
folder names that exist.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

from opendata.contracts import registry
from opendata.contracts.registry import Source
from opendata.intake.store import (
    MAX_STEM,
    UNSAFE,
    Receipt,
    quarantine_broken,
    submit,
    today_in_paris,
)
from opendata.report.operations import say
from opendata.report.problems import UnreadableFile, display_name
from opendata.storage import Busy, file_lock, write_file
from opendata.validate.readers import safefiles

PROCESSING = ".processing"
LOCK = ".opendata-intake.lock"
_TEMPORARY = (".tmp", ".part", ".crdownload", ".partial")


IntakeBusy = Busy  # another intake pass holds the inbox for longer than we wait


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
                say("inbox_root", names=names),
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
                    say("inbox_hidden"),
                    "ignored",
                )
                continue
            try:
                regular = safefiles.kind_of(path) is None
            except UnreadableFile:
                continue  # gone since the listing (the steward took it back)
            if regular and (now - _mtime(path) < settle_seconds or str(path.resolve()) in writing):
                yield Waiting(source, path, say("inbox_writing"), "waiting")
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
            say("inbox_changed"),
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
    safe = UNSAFE.sub("-", display_name(original))[:MAX_STEM] or "delivery"
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
        say("record_stored"): receipt.stored.name if receipt.stored else "",
        "raison": receipt.reason,
    }
