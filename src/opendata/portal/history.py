"""*Mes dépôts* as a complete history: every file an account checked, sent or withdrew, kept
after the check itself is deleted (30 days; 15 minutes for personal data).

One JSON line per event in ``portal/history/<account>.jsonl``, appended (``O_APPEND``: a line
is written whole or not at all) and never rewritten; events of one check share its id and are
folded into one entry when read. The name of a file of personal data is kept only once it is
sent (it is then in ``raw/`` anyway): a check that is not sent leaves no name behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SAFE = re.compile(r"[^A-Za-z0-9._-]")
MAX_LINE = 4096


def _path(root: Path, account: str) -> Path:
    return root / "portal" / "history" / f"{_SAFE.sub('_', account)}.jsonl"


def append(root: Path, account: str, **event: Any) -> None:
    """Add one event (``id`` and ``at`` given, or ``at`` now) to the account's history."""
    event.setdefault("at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    line = json.dumps(event, ensure_ascii=False)[:MAX_LINE].encode("utf-8") + b"\n"
    path = _path(root, account)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(handle, line)
    finally:
        os.close(handle)


@dataclass
class Entry:
    """One file's story: checked (when, verdict), then perhaps sent and withdrawn."""

    id: str
    at: str
    source: str
    name: str | None = None
    verdict: str = ""  # valid, invalid, unreadable, failed
    rows: int = 0
    errors: int = 0
    sent: dict[str, Any] = field(default_factory=dict)
    withdrawn: str | None = None


def entries(root: Path, account: str) -> list[Entry]:
    """The account's history, the newest check first."""
    path = _path(root, account)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    found: dict[str, Entry] = {}
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut by a full disk: the others still tell the story
        if not isinstance(event, dict) or "id" not in event:
            continue
        entry = found.get(event["id"])
        if event.get("kind") == "checked" or entry is None:
            entry = found.setdefault(
                event["id"], Entry(event["id"], event.get("at", ""), event.get("source", ""))
            )
        _fold(entry, event)
    return sorted(found.values(), key=lambda e: e.at, reverse=True)


def _fold(entry: Entry, event: dict[str, Any]) -> None:
    kind = event.get("kind")
    if kind == "checked":
        entry.name = event.get("name") or entry.name
        entry.verdict = event.get("verdict", "")
        entry.rows = int(event.get("rows", 0))
        entry.errors = int(event.get("errors", 0))
        entry.source = event.get("source", entry.source)
    elif kind == "sent":
        entry.name = event.get("name") or entry.name
        entry.sent = {k: event.get(k) for k in ("status", "stored", "at")}
    elif kind == "withdrawn":
        entry.withdrawn = event.get("at")


def matching(
    found: list[Entry], text: str = "", start: dt.date | None = None, end: dt.date | None = None
) -> list[Entry]:
    """The entries whose file name holds ``text`` (case and accents as written) and whose
    check falls between ``start`` and ``end`` (Paris dates, both included)."""
    from zoneinfo import ZoneInfo

    paris = ZoneInfo("Europe/Paris")
    wanted = text.casefold().strip()
    kept = []
    for entry in found:
        if wanted and wanted not in (entry.name or "").casefold():
            continue
        try:
            day = dt.datetime.fromisoformat(entry.at).astimezone(paris).date()
        except ValueError:
            continue
        if (start and day < start) or (end and day > end):
            continue
        kept.append(entry)
    return kept
