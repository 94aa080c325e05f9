"""Which deliveries each release was built from: ``publications/<dataset>.json`` beside
``published/`` (``OPENDATA_PUBLICATIONS_DIR`` elsewhere), ``{"source/file": first version}``.
Not published itself: it is how a steward learns that their file is online."""

from __future__ import annotations

import json
from pathlib import Path

from opendata import settings
from opendata.storage import write_file

__all__ = ["ledger_dir", "published_in", "record_inputs", "versions"]


def ledger_dir(published_dir: Path) -> Path:
    """``publications/`` beside ``published/`` (``OPENDATA_PUBLICATIONS_DIR`` elsewhere): which
    deliveries each release was built from. Not published: it is how the portal tells a
    steward that their file is online."""
    configured = settings.PUBLICATIONS_DIR.get()
    if configured is not None:
        return configured
    return published_dir.resolve().parent / "publications"


def record_inputs(published_dir: Path, dataset: str, version: str, inputs: list[str]) -> list[str]:
    """Note that ``version`` of ``dataset`` holds the deliveries ``inputs`` ("source/file");
    the names published for the first time."""
    path = ledger_dir(published_dir) / f"{dataset}.json"
    ledger = versions(published_dir, dataset)
    new = [name for name in inputs if name not in ledger]
    for name in new:
        ledger[name] = version
    if new:
        write_file(path, json.dumps(ledger, indent=1, sort_keys=True).encode("utf-8"))
    return new


def versions(published_dir: Path, dataset: str) -> dict[str, str]:
    """Every delivery ("source/file") of ``dataset`` published so far -> its first version."""
    try:
        text = (ledger_dir(published_dir) / f"{dataset}.json").read_text("utf-8")
        ledger = json.loads(text)
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return {str(k): str(v) for k, v in ledger.items() if v} if isinstance(ledger, dict) else {}


def published_in(published_dir: Path, dataset: str, delivery: str) -> str | None:
    """The first version of ``dataset`` built with ``delivery`` ("source/file"), if any."""
    return versions(published_dir, dataset).get(delivery)
