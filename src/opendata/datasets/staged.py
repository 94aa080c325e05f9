"""What a large source's stages share, whatever the dataset: content digests that name the
work files (a stage whose inputs did not change is not run again), and files written
atomically while their hash is computed (a month's files never sit in memory whole)."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from opendata.storage import write_file, write_with


def digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:32]


def write_parquet(path: Path, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    write_file(path, buffer.getvalue())


class HashingSink(io.RawIOBase):
    """A writable file that hashes and counts what goes through it."""

    def __init__(self, handle: Any) -> None:
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.digest.update(view)
        self.handle.write(view)
        self.size += len(view)
        return len(view)


def write_hashed(path: Path, write: Any) -> tuple[str, int]:
    """Write a file atomically through ``write(sink)`` (:func:`opendata.storage.write_with`);
    its sha256 and size, computed as it is written."""
    sinks: list[HashingSink] = []

    def through(handle: Any) -> None:
        sinks.append(HashingSink(handle))
        write(sinks[0])

    write_with(path, through)
    return "sha256:" + sinks[0].digest.hexdigest(), sinks[0].size
