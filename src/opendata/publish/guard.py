"""Hold a valid but implausible snapshot until a person decides.

A snapshot source's newest delivery replaces the one before it. When it would remove more than
``OPENDATA_HOLD_REMOVED_SHARE`` of that delivery's rows (default 0.20: a truncated or test
export), change more than ``OPENDATA_HOLD_CHANGED_SHARE`` of them (default 0.50: the two
sample snapshots of 2007 and 2008 differ on 32 % of their sites), or repeats the content of an
older delivery (an old snapshot re-sent, dated by its arrival: it would roll data back), the
dataset's publication is held: nothing changes for consumers until a person approves the
delivery (``opendata approve``, or the form of the paused flow run in the Prefect UI) or
rejects it (it goes to quarantine with the reason). Decisions are files under
``decisions/<source>/<sha256>.json`` beside ``raw/``: kept, dated, and read by every later run.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata import notify, settings
from opendata.contracts import registry
from opendata.report.operations import say
from opendata.storage import sha256_of, write_file

if TYPE_CHECKING:  # the publication's frames; a check compares without pandas
    from opendata.datasets.protocol import Delivered

EXAMPLES = 5


@dataclass
class Hold:
    """Why one delivery is held, with what it would change."""

    source: str
    file: str
    sha256: str
    previous: str
    live: int
    removed: int
    changed: int
    added: int
    same_as_older: str | None = None
    removed_keys: list[str] = field(default_factory=list)
    changed_keys: list[str] = field(default_factory=list)
    note: str = ""  # the steward's word to the data team, sent with the file

    def reasons(self) -> list[str]:
        """The reasons, in French, each with its figures."""
        said = []
        if self.same_as_older:
            said.append(say("hold_older", older=self.same_as_older, previous=self.previous))
        if self.live and self.removed / self.live > settings.HOLD_REMOVED_SHARE.get():
            share = f"{self.removed / self.live:.0%}"
            said.append(say("hold_removes", count=self.removed, live=self.live,
                            previous=self.previous, share=share))  # fmt: skip
        if self.live and self.changed / self.live > settings.HOLD_CHANGED_SHARE.get():
            share = f"{self.changed / self.live:.0%}"
            said.append(say("hold_changes", count=self.changed, live=self.live,
                            previous=self.previous, share=share))  # fmt: skip
        return said

    def sentence(self) -> str:
        """One line for logs, run states and the CLI."""
        word = say("hold_word", note=self.note) if self.note else ""
        if self.note and _personal(self.source):  # free text of a personal-data steward:
            word = say("hold_word_kept")  # not in logs
        dataset = registry.source(self.source).dataset
        return say("hold_sentence", delivery=f"{self.source}/{self.file}",
                   reasons=" ; ".join(self.reasons()), word=word, dataset=dataset)  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        """Plain data (the hold file, artifacts)."""
        return {**asdict(self), "reasons": self.reasons()}


@dataclass(frozen=True)
class Table:
    """A delivery's cells as text by column ("" for an empty cell), whatever read it: the
    publication's frames or a check's Arrow columns (``opendata validate`` imports no pandas)."""

    name: str
    columns: dict[str, list[str]]

    @classmethod
    def of(cls, delivered: Delivered) -> Table:
        text = delivered.text.fillna("")
        return cls(delivered.name, {c: text[c].astype(str).tolist() for c in text.columns})


def _rows(
    table: Table, key: list[str], columns: list[str] | None = None
) -> dict[tuple[str, ...], tuple[str, ...]]:
    cells = table.columns
    if not cells or not all(k in cells for k in key) or not len(cells[key[0]]):
        return {}
    columns = list(cells) if columns is None else [c for c in columns if c in cells]
    keys = zip(*(cells[k] for k in key), strict=True)
    values = zip(*(cells[c] for c in columns), strict=True)
    return dict(zip(keys, values, strict=True))


def _key(source_name: str) -> list[str]:
    primary = registry.source(source_name).schema.get("primaryKey", [])
    return [primary] if isinstance(primary, str) else list(primary)


def check(
    source_name: str, delivered: list[Delivered], paths: dict[str, Path], decisions: Path
) -> Hold | None:
    """The hold on the newest of ``delivered`` (oldest first), or None when it may go."""
    if len(delivered) < 2:
        return None
    path = paths.get(f"{source_name}/{delivered[-1].name}")
    sha256 = sha256_of(path) if path is not None else ""
    if decision(decisions, source_name, sha256) == "approved":
        return None
    compared = compare(source_name, delivered)
    if compared is None:
        return None
    hold = compared.hold
    hold.sha256 = sha256
    hold.note = steward_note(decisions, source_name, sha256)
    return hold if hold.reasons() else None


@dataclass
class Compared:
    """The newest delivery of a snapshot source against the one before it: the figures of a
    hold, and the rows behind them (keys in file order)."""

    hold: Hold
    added: list[tuple[str, ...]]
    removed: list[tuple[str, ...]]
    changed: list[tuple[str, ...]]
    key: list[str]
    shared: list[str]


def compare(source_name: str, delivered: list[Delivered]) -> Compared | None:
    """Compare the newest of ``delivered`` (oldest first) with the one before it, as the guard
    does before a publication; None when there is nothing to compare with."""
    return compare_tables(source_name, [Table.of(d) for d in delivered])


def compare_tables(source_name: str, delivered: list[Table]) -> Compared | None:
    """:func:`compare` on tables of text (oldest first)."""
    if len(delivered) < 2:
        return None
    newest, previous = delivered[-1], delivered[-2]
    key = _key(source_name)
    # Compared on the columns both carry: a delivery in another shape (the portal's export has
    # no commissioning date, the DSIN's file has one) fills or leaves a column, it does not
    # change every row.
    shared = [c for c in newest.columns if c in previous.columns]
    new, old = _rows(newest, key, shared), _rows(previous, key, shared)
    if not old:
        return None
    removed = [k for k in old if k not in new]
    changed = [k for k in old if k in new and new[k] != old[k]]
    added = [k for k in new if k not in old]
    same_as_older = None
    if new != old:
        for earlier in reversed(delivered[:-2]):
            if _rows(earlier, key, shared) == new:
                same_as_older = earlier.name
                break
    personal = _personal(source_name)
    hold = Hold(
        source_name,
        newest.name,
        "",
        previous.name,
        len(old),
        len(removed),
        len(changed),
        len(added),
        same_as_older,
        [" ".join(k) for k in removed[:EXAMPLES]] if not personal else [],
        [" ".join(k) for k in changed[:EXAMPLES]] if not personal else [],
    )
    return Compared(hold, added, removed, changed, key, shared)


def _personal(source_name: str) -> bool:
    return registry.source(source_name).personal_data


def holds(
    inputs: dict[str, list[Delivered]], paths: dict[str, Path], decisions: Path
) -> list[Hold]:
    """Every hold on the snapshot sources of a dataset's collected inputs."""
    found = []
    for name, delivered in inputs.items():
        if registry.source(name).delivery != "snapshot":
            continue
        hold = check(name, delivered, paths, decisions)
        if hold is not None:
            found.append(hold)
    return found


def note_held(decisions: Path, found: list[Hold], sources: list[str]) -> list[Hold]:
    """Write each hold down (``<source>/<sha256>.held.json``): the steward who sent the file
    sees on the portal that it waits for a person, and why, until it is decided. A note of
    ``sources`` that no longer holds (a newer delivery came) is removed. Returns the holds
    written for the first time (whom to tell: each run finds the same holds again)."""
    current = {(h.source, h.sha256) for h in found}
    for name in sources:
        folder = decisions / name
        for note in sorted(folder.glob("*.held.json")) if folder.is_dir() else []:
            if (name, note.name.removesuffix(".held.json")) not in current:
                note.unlink(missing_ok=True)
    first = []
    for hold in found:
        if not hold.sha256:
            continue
        target = decisions / hold.source / f"{hold.sha256}.held.json"
        if not target.exists():
            first.append(hold)
        data = {**hold.as_dict(), "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        write_file(target, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())
    return first


def state(decisions: Path, source_name: str, sha_prefix: str) -> tuple[str, list[str]] | None:
    """Where a delivery stands with the data team, from the start of its content hash (as a
    stored name carries it): ``("approved"|"rejected", [reason])`` once decided,
    ``("held", reasons)`` while it waits, None when it was never held."""
    folder = decisions / source_name
    if not sha_prefix or not folder.is_dir():
        return None
    for path in sorted(folder.glob(f"{sha_prefix}*.json")):
        if path.name.endswith((".held.json", ".note.json")):
            continue
        data = json.loads(path.read_text(encoding="utf-8"))
        reason = str(data.get("reason") or "")
        return str(data.get("decision")), [reason] if reason else []
    for path in sorted(folder.glob(f"{sha_prefix}*.held.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        return "held", [str(r) for r in data.get("reasons", [])]
    return None


NOTE_LIMIT = 2000  # characters of a steward's word to the data team


def write_note(decisions: Path, source_name: str, sha256: str, text: str, who: str) -> Path:
    """Keep the steward's word on a delivery they send knowing it will be held
    (``<source>/<sha256>.note.json``): shown with the hold to whoever decides."""
    target = decisions / source_name / f"{sha256}.note.json"
    data = {
        "note": clean_note(text),
        "by": who,
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_file(target, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())
    return target


def steward_note(decisions: Path, source_name: str, sha256: str) -> str:
    """The word the sender left with this delivery ("" when none)."""
    path = decisions / source_name / f"{sha256}.note.json"
    if not sha256 or not path.is_file():
        return ""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    return clean_note(str(data.get("note", "")))


def clean_note(text: str) -> str:
    """One line of printable text, bounded: a note reaches logs, terminals and pages."""
    words = "".join(ch if ch.isprintable() else " " for ch in text).split()
    return " ".join(words)[:NOTE_LIMIT]


def default_decisions_dir(raw_dir: Path) -> Path:
    """``decisions/`` beside ``raw/`` (``OPENDATA_DECISIONS_DIR`` to put it elsewhere)."""
    configured = settings.DECISIONS_DIR.get()
    return configured if configured is not None else raw_dir.resolve().parent / "decisions"


def decision(decisions: Path, source_name: str, sha256: str) -> str | None:
    """``approved``, ``rejected`` or None for the delivery with this content."""
    path = decisions / source_name / f"{sha256}.json"
    if not sha256 or not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return str(data.get("decision"))


def record(
    decisions: Path, hold: Hold, verdict: str, reason: str = "", who: str | None = None
) -> Path:
    """Write the decision on ``hold`` (``approved`` or ``rejected``)."""
    if verdict not in ("approved", "rejected"):
        raise ValueError(verdict)
    target = decisions / hold.source / f"{hold.sha256}.json"
    data = {
        "decision": verdict,
        "source": hold.source,
        "file": hold.file,
        "sha256": hold.sha256,
        "reason": reason,
        "by": who or getpass.getuser(),
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "hold": hold.as_dict(),
    }
    write_file(target, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode())
    return target


def reject(
    raw_dir: Path, quarantine_dir: Path, decisions: Path, hold: Hold, reason: str, who: str | None
) -> Path:
    """Record the rejection and move the delivery from ``raw/`` to quarantine, with the reason
    beside it: the next publication uses the delivery before it again."""
    record(decisions, hold, "rejected", reason, who)
    source = raw_dir / hold.source / hold.file
    folder = quarantine_dir / hold.source
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / hold.file
    os.replace(source, target)
    note = {"rejected": hold.as_dict(), "reason": reason, "by": who or getpass.getuser()}
    write_file(
        folder / f"{hold.file}.rejected.json",
        (json.dumps(note, ensure_ascii=False, indent=2) + "\n").encode(),
        private=True,
    )
    notify.rejected(raw_dir, hold.source, hold.file, reason)
    return target


def set_aside(
    raw_dir: Path, quarantine_dir: Path, source: str, name: str, reason: str, who: str | None
) -> Path:
    """Move a delivery that was never published from ``raw/`` to quarantine, with the reason
    and who decided beside it (``<file>.set-aside.json``): a refused delivery no longer blocks
    its dataset. Returns where it went; FileNotFoundError when it is not in ``raw/``."""
    origin = raw_dir / source / name
    if not origin.is_file() or origin.is_symlink():
        raise FileNotFoundError(origin)
    folder = quarantine_dir / source
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / name
    note = {"set_aside": f"{source}/{name}", "reason": reason, "by": who or getpass.getuser()}
    # The note first: a quarantined file is never without the reason it is there.
    write_file(
        folder / f"{name}.set-aside.json",
        (json.dumps(note, ensure_ascii=False, indent=2) + "\n").encode(),
        private=True,
    )
    os.replace(origin, target)
    return target
