"""Check a published package file by file, every part of every resource.

frictionless-py validates a resource published in several files (the sessions, one file per
month) by reading only the first Parquet file: a broken later month passes. This reads every
file the descriptor lists: its SHA-256 and size, and for a table its columns (the schema's
fields, in order) and its rows (the count ``x-parts`` declares, where it does).
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path
from typing import Any

from opendata.report.operations import say


def _digest(path: Path) -> tuple[str, int]:
    sha, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
            size += len(chunk)
    return "sha256:" + sha.hexdigest(), size


def _table(path: Path, fmt: str) -> tuple[list[str], int]:
    """The column names and row count of a CSV or Parquet file (Parquet: from its footer)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        return list(meta.schema.to_arrow_schema().names), meta.num_rows
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        return header, sum(1 for _ in reader)


def verify(folder: Path) -> list[str]:
    """Every disagreement between ``folder/datapackage.json`` and the files it lists (empty:
    the package is whole)."""
    descriptor: dict[str, Any] = json.loads((folder / "datapackage.json").read_text("utf-8"))
    found: list[str] = []
    for resource in descriptor["resources"]:
        parts = resource.get("x-parts") or [resource]
        fields = [f["name"] for f in resource.get("schema", {}).get("fields", [])]
        for part in parts:
            where = f"{resource['name']}: {part['path']}"
            relative = Path(part["path"])
            if relative.is_absolute() or ".." in relative.parts:  # never outside the package
                found.append(f"{where}: chemin hors du paquet")
                continue
            path = folder / relative
            if not path.is_file() or path.is_symlink():
                found.append(say("verify_missing", where=where))
                continue
            digest, size = _digest(path)
            if part.get("hash") and part["hash"] != digest:
                found.append(say("verify_hash", where=where))
            declared = part.get("bytes", part.get("x-bytes"))
            if declared is not None and declared != size:
                found.append(say("verify_bytes", where=where, size=size, declared=declared))
            if resource.get("format") not in ("csv", "parquet") or not fields:
                continue
            try:
                columns, rows = _table(path, resource["format"])
            except Exception as exc:  # an unreadable file is the finding
                found.append(say("verify_unreadable", where=where, error=type(exc).__name__))
                continue
            if columns != fields:
                found.append(say("verify_columns", where=where, columns=columns, fields=fields))
            if "rows" in part and part["rows"] != rows:
                found.append(say("verify_rows", where=where, rows=rows, declared=part["rows"]))
    return found
