"""A delivery is validated once: its validation is kept under what it depends on.

A validation depends on the file's bytes, on the contract (every version the file may be
accepted under on that day, the readers' settings, the size bounds, the national lists its
checks use, the code that checks) and on the deliveries its foreign keys are looked up in. The
:func:`key` says all of it in one name; the same key gives the same report, so the portal's
check, the intake and the publication keep one validation instead of making three (a referenced
delivery replaced, a contract changed, a transition ended or a new release of this package: the
key changes and the file is validated again).

What is kept (``<store>/<source>/<key>.arrow``, private: a trainee file's cells are personal
data) is the :class:`~opendata.validate.file.Validation` whole: its report, its rows, and each
column's cells as text and as typed values, in one Arrow IPC file. The store lives in the work
folder beside the raw one; :func:`prune` keeps only what the current deliveries use.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

import opendata
from opendata.contracts import registry
from opendata.contracts.deliveries import list_deliveries
from opendata.contracts.registry import Source
from opendata.report.problems import Report, display_name
from opendata.storage import default_work_dir, sha256_of, write_file
from opendata.validate import engine
from opendata.validate.file import Validation, validate_file

# An entry larger than this is not read back (validated again instead): every byte read is
# bounded, a store's file included.
MAX_ENTRY_BYTES = 1 << 30


def store_of(raw_dir: Path, work_dir: Path | None = None) -> Path:
    """The store of the deliveries under ``raw_dir``: ``validated/`` in the work folder
    (``work_dir``, or the raw folder's own)."""
    return (work_dir or default_work_dir(raw_dir)) / "validated"


def key(
    sha256: str,
    source: Source,
    raw_dir: Path | None,
    version: str | None = None,
    today: dt.date | None = None,
) -> str:
    """The name of a validation of bytes of digest ``sha256`` against ``source``, today
    (Paris date), with the foreign keys looked up under ``raw_dir``, for ``version`` (None:
    the current contract, then any earlier one still accepted)."""
    today = today or dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    depends = {
        "code": opendata.__version__,
        "contracts": [_contract(s) for s in (source, *source.accepted_versions(today))],
        "version": version,
        "references": _references(source, raw_dir),
    }
    text = json.dumps(depends, sort_keys=True, ensure_ascii=False, default=str)
    return f"{sha256[:32]}-{hashlib.sha256(text.encode()).hexdigest()[:24]}"


def _contract(source: Source) -> list[str]:
    """What a validation reads of one contract version: all of it (a frozen dataclass of
    JSON-loaded values: its repr is the same in every process), its bounds (settings may
    change them) and the national lists its checks name."""
    lists = []
    for check in source.checks:
        if "vocabulary" in check:
            from opendata.contracts.vocabulary import national_labels

            lists.append(repr(national_labels(check["vocabulary"])))
    alone = dataclasses.replace(source, previous=())  # the earlier ones: by accepted_versions
    return [source.fingerprint, repr(alone), repr(source.bounds()), *lists]


def _references(source: Source, raw_dir: Path | None) -> list[list[str]]:
    """The deliveries the file's foreign keys are looked up in, by name and content."""
    found = []
    for name in source.foreign_sources():
        target = registry.source(name)
        deliveries = list_deliveries(raw_dir, target) if raw_dir is not None else []
        if source.reference_deliveries != "all":
            deliveries = deliveries[-1:]
        found.append([name, *(f"{d.name}:{_digest(d.path)}" for d in deliveries)])
    return found


def _digest(path: Path) -> str:
    try:
        stat = path.stat()
        return _digest_of(path, stat.st_mtime_ns, stat.st_size)
    except OSError:  # gone or unreadable since it was listed: the validation says so
        return "unreadable"


@lru_cache(maxsize=64)
def _digest_of(path: Path, _mtime_ns: int, _size: int) -> str:
    return sha256_of(path)


def save(store: Path, source: str, name: str, validation: Validation) -> Path:
    """Keep ``validation`` as ``<store>/<source>/<name>.arrow`` (atomically, private)."""
    arrays: list[pa.ChunkedArray] = [pa.chunked_array([pa.array(validation.rows, pa.int64())])]
    names = ["row"]
    for label, column in validation.columns.items():
        arrays += [column.text, pa.chunked_array([column.values], column.values.type)]
        masks = (column.absent, column.missing, column.ok)
        arrays += [pa.chunked_array([pa.array(m, pa.bool_())]) for m in masks]
        names += [f"text:{label}", f"value:{label}", f"absent:{label}", f"missing:{label}"]
        names.append(f"ok:{label}")
    metadata = {
        b"report": json.dumps(validation.report.to_state(), ensure_ascii=False).encode(),
        b"labels": json.dumps(list(validation.columns), ensure_ascii=False).encode(),
    }
    table = pa.Table.from_arrays(arrays, names=names).replace_schema_metadata(metadata)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    target = store / source / f"{name}.arrow"
    # Not flushed to the disk: a power cut costs a validation (a damaged entry is dropped).
    write_file(target, sink.getvalue().to_pybytes(), private=True, durable=False)
    return target


def forget(store: Path, source: str, name: str) -> None:
    """Drop the validation kept under ``name`` (gone already: nothing to do)."""
    with contextlib.suppress(OSError):
        (store / source / f"{name}.arrow").unlink()


def load(store: Path, source: str, name: str) -> Validation | None:
    """The validation kept under ``name``, or None (never kept, or unreadable: a damaged
    entry is dropped, and the file validated again)."""
    path = store / source / f"{name}.arrow"
    try:
        if path.is_symlink() or path.stat().st_size > MAX_ENTRY_BYTES:
            return None
        with pa.memory_map(str(path)) as mapped:
            table = pa.ipc.open_file(mapped).read_all()
        metadata = table.schema.metadata or {}
        report = Report.from_state(json.loads(metadata[b"report"]))
        labels: list[str] = json.loads(metadata[b"labels"])
        rows = table.column("row").to_pylist()
        columns = {label: _column(table, label) for label in labels}
    except FileNotFoundError:
        return None
    except (OSError, KeyError, TypeError, ValueError, pa.ArrowException):
        with contextlib.suppress(OSError):  # a read-only store: validated again, every time
            path.unlink(missing_ok=True)
        return None
    return Validation(report, rows, columns)


def _column(table: pa.Table, label: str) -> engine.Column:
    """A column as it was checked: its cells, its values and its masks (absent, missing and
    cast), kept as they were: a cell with a type error is neither missing nor cast."""
    absent, missing, ok = (
        np.asarray(table.column(f"{kind}:{label}").to_numpy(), dtype=bool)
        for kind in ("absent", "missing", "ok")
    )
    values = table.column(f"value:{label}").combine_chunks()
    return engine.Column(label, table.column(f"text:{label}"), absent, missing, ok, values)


@dataclass
class Memory:
    """Validations made or reused through one store, and which entries they used (to
    :meth:`prune` the others)."""

    store: Path | None
    keep: bool = True  # False: read what is kept, write nothing (a dry run)
    used: dict[str, set[str]] = field(default_factory=dict)  # source -> entry names
    made: int = 0  # files really validated (the others were remembered)

    def validate(
        self,
        path: Path,
        source: Source,
        raw_dir: Path | None,
        version: str | None = None,
        today: dt.date | None = None,
    ) -> Validation:
        """:func:`~opendata.validate.file.validate_file`, or the validation already made of
        the same bytes under the same key."""
        if self.store is None:
            self.made += 1
            return validate_file(path, source, raw_dir, version, today)
        digest = sha256_of(path)
        name = key(digest, source, raw_dir, version, today)
        self.used.setdefault(source.name, set()).add(name)
        kept = load(self.store, source.name, name)
        if kept is not None:
            kept.report.file = display_name(path.name)  # the same bytes under another name
            return kept
        self.made += 1
        validation = validate_file(path, source, raw_dir, version, today)
        # Kept unless the file changed while it was read (a file placed by hand, rewritten).
        if self.keep and sha256_of(path) == digest:
            with contextlib.suppress(OSError):  # a full disk costs the next run a validation
                save(self.store, source.name, name, validation)
        return validation

    def prune(self, source: str) -> None:
        """Drop the entries of ``source`` no validation through this memory used: the
        deliveries they were of are gone, or were validated under another key since."""
        folder = self.store / source if self.store is not None else None
        if folder is None or not self.keep or not folder.is_dir():
            return
        keep = self.used.get(source, set())
        # Another process pruned first, or the store is read-only: it stays as it is.
        with contextlib.suppress(OSError):
            for entry in folder.iterdir():
                if entry.suffix == ".arrow" and entry.stem not in keep:
                    with contextlib.suppress(OSError):
                        entry.unlink()
