"""Table Schema validation on Arrow columns of text: the one engine of every source.

The departments' files come from the lenient reader (:mod:`opendata.reading`) as columns of
text, checked in one batch; the operator's logs are read here a batch at a time, decompressed
by ISA-L and parsed by pyarrow (:func:`iter_strings`, the next batch read in a thread while
this one is checked: :func:`prefetched`). Whole columns are checked with Arrow compute
kernels (:class:`Validator`; keys through 64-bit hashes, the rows whose hash another shares
read again and compared exactly), and the findings are exactly what ``frictionless validate``
reports on the same cells and schema — the same (row, field, error type) list, in one batch
or in many, proved by ``tests/unit/test_fastcheck_differential.py`` (the operator's files)
and ``tests/unit/test_engine_differential.py`` (every other contract). A report then departs from
those findings in one place only, :func:`one_error_per_fault`.

Frictionless semantics reproduced here (frictionless-py 5.21):
- rows are numbered as records, the header being row 1; a record whose cells are all missing
  values is one ``blank-row`` error and nothing else;
- a record with too few cells: ``missing-cell`` for each absent field, and the absent cell is a
  missing value for the constraints (so ``required`` fails as well); too many: ``extra-cell``;
- a cell equal to a missing value (``missingValues``, default ``[""]``) is null; otherwise it is
  cast (``type-error`` when it does not cast) and, only when it casts, checked against each
  constraint, one ``constraint-error`` per broken constraint;
- integers are what Python's ``int()`` reads after ``strip()``; numbers what Frictionless's
  number field reads (``groupChar`` removed; with another ``decimalChar``, a point is a type
  error; then ``Decimal()``, which drops every underscore); dates and datetimes with an
  explicit ``format`` are what ``datetime.strptime`` reads (the same digit rules, impossible
  dates such as 30 February refused); ``pattern`` is anchored as ``^pattern$``;
- ``unique``: a non-null value seen on an earlier row; ``primaryKey``: a key seen on an earlier
  row, or a key whose cells are all null (cells with a type error are null, cells breaking a
  constraint keep their value); ``foreignKeys``: a key not all null that the reference lacks.

What it does not do (it refuses such a schema with :class:`Unsupported`, never guesses):
types other than string, integer, number, boolean, year-month, date and datetime; ``format``
"any" for dates, "default" or "any" for datetimes (dateutil's parsers); string formats (email,
uri); ``bareNumber`` false. Known divergences, too rare in machine
exports and departments' files to matter: Unicode digits (Python's ``int`` reads "٣"), a
``pattern`` cell ending in a line break, integers beyond 64 bits, and the numbers "Infinity" and
"NaN" (reported as type errors here).

Options a reader sets (the contract declares them): key forms (``keyForms``, a key compared in
its canonical form: :func:`key_form`), and no blank-row check for a reader that drops blank
records itself (``blank_rows`` of :class:`Validator`).
"""

from __future__ import annotations

import bisect
import csv
import gzip
import io
import os
import re
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Full, Queue
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from isal import igzip_threaded, isal_zlib

from opendata import safefiles
from opendata.limits import Bounds, human, human_bytes
from opendata.report import Problem, UnreadableFile

# Arrow's memory for a large delivery comes from jemalloc, told to give freed pages back to the
# system at once: with the default pool (mimalloc) a month checked batch by batch kept the
# peak of every batch mapped, some 150 MiB more than it uses (unless the user chose a pool).
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except NotImplementedError:  # a pyarrow built without jemalloc: keep its default
        pass

SUPPORTED_TYPES = ("string", "integer", "number", "boolean", "date", "datetime", "yearmonth")
# Frictionless's defaults (frictionless.settings).
DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
DEFAULT_DATE = "%Y-%m-%d"
THREADS = max(2, os.cpu_count() or 2)
_INTEGER = r"^[+-]?[0-9]+(?:_[0-9]+)*$"
# What ``year, month = cell.split("-")`` then ``int()`` of each reads (month checked after).
_YEARMONTH = r"^\s*\+?[0-9]+(?:_[0-9]+)*\s*-\s*\+?(?P<m>[0-9]+(?:_[0-9]+)*)\s*$"
# What Python's Decimal() reads once its underscores are dropped, in ASCII digits: a sign, an
# optional point, an exponent; not "Infinity" nor "NaN" (see the module notes).
_NUMBER = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$"
# The regular expressions Python's _strptime uses for each directive (named groups for RE2).
_DIRECTIVES = {
    "Y": r"(?P<Y>[0-9][0-9][0-9][0-9])",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "d": r"(?P<d>3[01]|[12][0-9]|0[1-9]|[1-9]| [1-9])",
    "H": r"(?P<H>2[0-3]|[0-1][0-9]|[0-9])",
    "M": r"(?P<M>[0-5][0-9]|[0-9])",
    "S": r"(?P<S>6[0-1]|[0-5][0-9]|[0-9])",
}
_DATE_PARTS = ("Y", "m", "d")
_TIME_PARTS = ("H", "M", "S")
_DAYS = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])


class _NoPandas:
    """An import finder that says pandas is not installed."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not used by this command", name=name)


def pyarrow_without_pandas() -> None:
    """For a process that never uses pandas (``opendata validate`` of a large source): the
    first time pyarrow turns a Python or NumPy value into an array it imports pandas, only to
    ask whether the value is a pandas object (0.16 s of a steward's 0.9 s). From this call on,
    pandas cannot be imported in this process; nothing if it already is."""
    import sys

    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())


T = TypeVar("T")
_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    """The threads that check columns side by side (Arrow kernels release the GIL), started
    once: a file is checked in many batches."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="fastcheck"))
        return _POOL[0]


def prefetched(batches: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``batches`` read ahead in a thread, ``depth`` at most waiting: the next batch is
    decompressed and parsed while this one is checked. An error of the reader is raised
    here, at the batch where it happened."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        queue.put(("batch", batch), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put(("error", exc))

    reader = threading.Thread(target=read, name="fastcheck-reader", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while reader.is_alive():  # let a reader blocked on a full queue see the stop
            try:
                queue.get_nowait()
            except Empty:
                reader.join(0.05)


class Unsupported(ValueError):
    """The schema uses Table Schema features this engine does not implement."""


@dataclass
class Finding:
    """Errors of one kind in one column: the rows that have it, and their cells."""

    type: str
    fieldname: str | None  # schema field name; None for row errors, "" for an extra cell
    rows: np.ndarray  # int64 record numbers
    cells: pa.Array | None = None  # the cells as written (None: not cell errors)
    params: dict[str, Any] = field(default_factory=dict)
    first_rows: np.ndarray | None = None  # repeats: the record number of the first occurrence


@dataclass
class Findings:
    """Every error of a file, kept as columns: a million errors cost arrays, not objects."""

    items: list[Finding] = field(default_factory=list)

    def add(
        self,
        kind: str,
        name: str | None,
        rows: np.ndarray,
        cells: pa.Array | None = None,
        **params: Any,
    ) -> None:
        if len(rows):
            self.items.append(Finding(kind, name, rows, cells, params))

    def __len__(self) -> int:
        return sum(len(f.rows) for f in self.items)

    def triples(self) -> list[tuple[int, str | None, str]]:
        """Sorted (row, field, error type) of every error: what the differential tests compare."""
        out = [(int(r), f.fieldname, f.type) for f in self.items for r in f.rows.tolist()]
        return sorted(out, key=lambda t: (t[0], t[1] or "", t[2]))

    def problems(
        self, labels: dict[str, str], positions: dict[str, int], limit: int | None
    ) -> list[Problem]:
        """Report problems in file order, the first ``limit`` of them (all when None)."""
        if not self.items:
            return []
        rows = np.concatenate([f.rows for f in self.items])
        item = np.concatenate([np.full(len(f.rows), i) for i, f in enumerate(self.items)])
        offset = np.concatenate([np.arange(len(f.rows)) for f in self.items])
        # Within a row: in the order of the checks, a foreign key last (a file checked in
        # batches gets its key errors at the end, after the batches' foreign keys).
        rank = np.concatenate(
            [np.full(len(f.rows), f.type == "foreign-key", dtype=np.int8) for f in self.items]
        )
        order = np.lexsort((item, rank, rows))
        if limit is not None:
            order = order[:limit]
        out = []
        for index in order.tolist():
            found = self.items[int(item[index])]
            j = int(offset[index])
            cell = None
            if found.cells is not None:
                value = found.cells[j].as_py()
                cell = "" if value is None else str(value)
            name = found.fieldname or found.params.get("column")
            params = dict(found.params)
            if name:
                params.setdefault("position", positions.get(name, 0))
            if found.first_rows is not None and found.first_rows[j] > 0:
                params["first_row"] = int(found.first_rows[j])
            if found.type == "extra-cell":
                params["column"] = int(params.get("position", 0)) + 1  # as a spreadsheet counts
            out.append(
                Problem(
                    found.type,
                    row=int(rows[index]),
                    label=labels.get(name, name) if name else None,
                    cell=cell,
                    params=params,
                )
            )
        return out


def _kept(found: Finding, mask: np.ndarray) -> Finding:
    cells = None if found.cells is None else found.cells.filter(pa.array(mask))
    firsts = None if found.first_rows is None else found.first_rows[mask]
    return Finding(found.type, found.fieldname, found.rows[mask], cells, found.params, firsts)


def one_error_per_fault(findings: Findings, schema: dict[str, Any], absent: set[str]) -> None:
    """Turn Frictionless's findings into a steward's: one fault, one error. Frictionless
    reports some faults twice; the report keeps the error that says what to fix:

    - a column missing from the header (``absent``): its ``missing-label`` only, not also an
      error per row for its empty cells, nor a key error for a key it is part of;
    - a cell its record lacks: ``missing-cell``, not also ``required``;
    - a key whose every part is empty (a blank record included), when a key field is
      ``required``: the ``required`` errors (or ``blank-row``), not also ``primary-key``;
    - a field that is ``unique`` and alone the primary key: its repeats are ``primary-key``
      errors, not also ``unique-error``.

    The engine's findings are Frictionless's exactly (the differential suite); this is the one
    place the report departs from them, for every source."""
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else list(key)
    fields = {f["name"]: f for f in schema["fields"]}
    key_required = any(fields[k].get("constraints", {}).get("required") for k in key)
    lacking: dict[str, np.ndarray] = {}
    for found in findings.items:
        if found.type == "missing-cell" and found.fieldname:
            rows = lacking.get(found.fieldname, np.zeros(0, np.int64))
            lacking[found.fieldname] = np.concatenate([rows, found.rows])
    kept: list[Finding] = []
    for found in findings.items:
        if found.fieldname in absent or (found.type == "primary-key" and absent & set(key)):
            continue
        if found.type == "unique-error" and key == [found.fieldname]:
            continue
        mask = np.ones(len(found.rows), dtype=bool)
        if (
            found.type == "constraint-error"
            and found.params.get("constraint") == "required"
            and found.fieldname in lacking
        ):
            mask &= ~np.isin(found.rows, lacking[found.fieldname])
        if found.type == "primary-key" and key_required:
            firsts = found.first_rows
            mask &= np.zeros(len(mask), bool) if firsts is None else firsts > 0
        if mask.all():
            kept.append(found)
        elif mask.any():
            kept.append(_kept(found, mask))
    findings.items = kept


@dataclass
class StringTable:
    """A CSV read as text: one string column per header cell, with each row's record number."""

    header: list[str]
    columns: list[pa.ChunkedArray]
    rows: np.ndarray  # record number of each row (header = 1)
    ragged: list[tuple[int, list[str]]]  # records with another number of cells than the header
    records: int  # data records in the file, ragged ones included

    def __len__(self) -> int:
        return len(self.rows)


HEADER_CHARS = 1 << 20  # the most text read to find the header record: no header comes near


def read_header(path: Path, delimiter: str) -> list[str]:
    """The first record of a (possibly gzipped) UTF-8 CSV, read from at most
    :data:`HEADER_CHARS` bytes: a file without a record end there (a gzip of zeros, one
    unclosed quote) is refused without being decompressed further. Bytes that are not UTF-8
    after the header are left to the reader of the rows (they are found at their row)."""
    try:
        with path.open("rb") as raw:
            gz = raw.read(2) == b"\x1f\x8b"
        opener: Any = gzip.open if gz else open
        with opener(path, "rb") as handle:
            head = handle.read(HEADER_CHARS + 1)
    except FileNotFoundError:
        raise UnreadableFile("not-found", path=str(path)) from None
    except (OSError, EOFError, zlib.error) as exc:  # the archive broken within the first MiB
        if gz or isinstance(exc, EOFError):
            raise UnreadableFile("truncated-gzip") from None
        raise UnreadableFile("os-error", detail=str(exc)) from None
    cut, undecodable = len(head) > HEADER_CHARS, False
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # read the header from the bytes before the bad one
        # (a character cut by the end of what was read is not a bad byte)
        undecodable = exc.start < len(head) - 4 or not cut
        text, cut = head[: exc.start].decode("utf-8-sig"), True
    first_end = text.find("\n")
    if "\x00" in text[: first_end if first_end >= 0 else len(text)]:
        raise UnreadableFile("binary")  # a gzip of zeros, UTF-16, a binary file
    stream = io.StringIO(text, newline="")
    try:
        line = next(csv.reader(stream, delimiter=delimiter), None)
    except csv.Error as exc:  # a quoted cell past csv's field limit
        raise UnreadableFile("malformed-csv", row=1, detail=str(exc)) from None
    if cut and stream.tell() >= len(text):  # the first record never ended in what was read
        if undecodable:
            raise UnreadableFile("encoding", encodings="utf-8")
        raise UnreadableFile("header-too-long", limit=human_bytes(HEADER_CHARS))
    if not line:
        raise UnreadableFile("empty")
    return line


BLOCK_BYTES = 1 << 22  # what the CSV parser reads at a time (4 MiB, as fast as larger blocks)
BATCH_BYTES = 1 << 22  # text checked at a time: about 48,000 session rows


def iter_strings(
    path: Path,
    delimiter: str = ",",
    bounds: Bounds | None = None,
    batch_bytes: int | None = None,
    block_bytes: int | None = None,
    wanted: np.ndarray | None = None,
) -> Iterator[StringTable]:
    """Read a (possibly gzipped) UTF-8 CSV as text columns, every cell kept as written, in
    batches of about ``batch_bytes`` of text, rows numbered as records of the whole file
    (header = 1). Memory is that of one batch, whatever the file's size.

    With ``wanted`` (sorted record numbers, for a second reading of a file already checked):
    pieces of the file holding none of them may be left unparsed (see :func:`_record_batches`),
    so the batches hold the wanted records and some others.

    With ``bounds``: only a regular file, at most its file and decompressed sizes, rows,
    columns and cell length (:class:`UnreadableFile` past them, raised at the batch that
    crosses the bound). The first batch is yielded even for a file without data records."""
    if bounds is not None:
        safefiles.check_regular(path)
        size = path.stat().st_size
        if size > bounds.max_file_bytes:
            raise UnreadableFile(
                "too-large", limit=human_bytes(bounds.max_file_bytes), what="le fichier"
            )
    header = read_header(path, delimiter)
    if bounds is not None and len(header) > bounds.max_columns:
        raise UnreadableFile("too-many-columns", row=1, limit=bounds.max_columns)
    batch_bytes = batch_bytes or BATCH_BYTES
    block_bytes = block_bytes or BLOCK_BYTES
    names = [str(i) for i in range(len(header))]
    ragged: list[tuple[int, str]] = []

    past_bound: list[bool] = []

    def on_ragged(number: int, text: str) -> str:
        ragged.append((number, text))
        if max_rows is not None and len(ragged) > max_rows:  # a file of short records only:
            past_bound.append(True)  # the reader stops here (an exception would be ignored)
            return "error"
        return "skip"

    limit = None if bounds is None else bounds.max_decompressed_bytes
    max_rows = None if bounds is None else bounds.max_rows
    schema = pa.schema([(name, pa.string()) for name in names])
    batches = _record_batches(path, names, delimiter, block_bytes, on_ragged, wanted)
    size, records, yielded = 0, 0, False
    pending: list[pa.RecordBatch] = []
    pending_bytes = 0
    while True:
        try:
            item = next(batches, None)
        except (pa.ArrowInvalid, OSError) as exc:
            if past_bound:
                raise UnreadableFile("too-many-rows", limit=human(max_rows or 0)) from None
            # The record that broke the reader comes after every record it gave.
            row = records + sum(b.num_rows for b in pending) + len(ragged) + 2
            if bounds is not None and "straddling object" in str(exc):
                # One record longer than a block (4 MiB): past any cell bound of a contract.
                raise UnreadableFile(
                    "cell-too-long", row=row, limit=human(bounds.max_cell_chars)
                ) from None
            raise _unreadable(exc, row) from None
        skipped = item if isinstance(item, int) else 0  # records left unparsed (``wanted``)
        batch = None if isinstance(item, int) else item
        if batch is not None:
            size += batch.nbytes
            if limit is not None and size > limit:
                raise UnreadableFile(
                    "too-large", limit=human_bytes(limit), what="le fichier décompressé"
                )
            pending.append(batch)
            pending_bytes += batch.nbytes
        waiting = records + sum(b.num_rows for b in pending) + len(ragged)
        if max_rows is not None and waiting > max_rows:  # ragged records count too
            raise UnreadableFile("too-many-rows", limit=human(max_rows))
        if batch is not None and pending_bytes < batch_bytes:
            continue
        if pending or ragged or not yielded:
            table = pa.Table.from_batches(pending, schema=schema)
            # Before records left unparsed, or at the end, every ragged record met is this
            # batch's.
            numbers, mine = _number(records + 2, table.num_rows, ragged, final=batch is None)
            parsed = [
                (number, next(csv.reader([text], delimiter=delimiter), [])) for number, text in mine
            ]
            records += table.num_rows + len(mine)
            if max_rows is not None and records > max_rows:
                raise UnreadableFile("too-many-rows", limit=human(max_rows))
            if bounds is not None:
                _check_cells(table, numbers, bounds)
            columns = [table.column(i) for i in range(len(names))]
            yield StringTable(header, columns, numbers, parsed, records)
            yielded = True
            pending, pending_bytes = [], 0
        records += skipped
        if item is None:
            return


PIECE_BYTES = 1 << 22  # decompressed text handed to the parser at a time
_ISAL_ERROR: type[BaseException] = isal_zlib.error  # type: ignore[assignment]  # stub: instance


def _record_batches(
    path: Path,
    names: list[str],
    delimiter: str,
    block_bytes: int,
    on_ragged: Callable[[int, str], str],
    wanted: np.ndarray | None = None,
) -> Iterator[pa.RecordBatch | int]:
    """The file's data records as text batches; each ragged record goes to ``on_ragged`` with
    its record number in the file (header = 1), which answers Arrow's "skip" or "error".

    A gzipped file is decompressed by ISA-L (python-isal: twice as fast as the zlib in Arrow,
    which set the pace of a whole month's check) in pieces cut after a line feed, each parsed
    by Arrow from memory. Such a cut falls between two records only while no quote has been
    met: from the first piece holding a quote (or a record longer than four pieces) to the end,
    Arrow reads the file itself, the records already read skipped, so the records are always
    the ones Arrow reads in one pass. A file of nothing but its header has no batch.

    With ``wanted`` (sorted record numbers): a piece holding none of them is not parsed, its
    number of records given instead (a piece without quotes has one record per line end: a
    line feed, a carriage return and line feed, or a carriage return alone, as Arrow reads
    them); a piece is looked at in parts of ``PART_BYTES``. A second reading of a month for a
    few hundred repeated keys is then mostly the decompression."""
    ragged = [0]  # ragged records met so far

    def parse(source: Any, skip: int, offset: int) -> Iterator[pa.RecordBatch]:
        def numbered(row: Any) -> str:
            ragged[0] += 1
            return on_ragged(int(row.number) + offset, row.text)

        # One thread: the single-threaded parser numbers ragged records as it meets them.
        try:
            stream = pcsv.open_csv(
                source,
                read_options=pcsv.ReadOptions(
                    use_threads=False, column_names=names, skip_rows=skip, block_size=block_bytes
                ),
                parse_options=pcsv.ParseOptions(
                    delimiter=delimiter,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=numbered,
                ),
                convert_options=pcsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as exc:
            if "Empty CSV file" in str(exc):
                return
            raise
        yield from stream

    with path.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    if not gzipped:
        yield from parse(pa.input_stream(str(path)), 1, 0)
        return
    records = 0  # data records parsed so far, ragged ones included
    header_read = False
    numbers = None if wanted is None else [int(n) for n in wanted]
    carry = b""
    try:
        with igzip_threaded.open(path, "rb") as text:
            while PIECE_BYTES > 0:  # 0: Arrow reads the whole file (the tests compare both)
                chunk = text.read(PIECE_BYTES)
                data = carry + chunk if carry else chunk
                if b'"' in data or len(data) > 4 * PIECE_BYTES:
                    break  # Arrow reads from here to the end (below)
                cut = data.rfind(b"\n") + 1 if chunk else len(data)
                piece, carry = data[:cut], data[cut:]
                if piece:
                    # Arrow numbers a piece's records from 1 (the header's piece from the header).
                    skip, offset = (0, 1 + records) if header_read else (1, 0)
                    header_read = True
                    for part in [piece] if numbers is None else _parts(piece):
                        count = 0 if numbers is None else _line_ends(part) - skip
                        if numbers is not None and not _wanted_in(numbers, skip, offset, count):
                            records += count
                            yield count
                        else:
                            before = ragged[0]
                            for batch in parse(pa.BufferReader(part), skip, offset):
                                records += batch.num_rows
                                yield batch
                            records += ragged[0] - before
                        skip, offset = 0, 1 + records
                if not chunk:
                    return
    except (EOFError, _ISAL_ERROR, gzip.BadGzipFile) as exc:
        raise UnreadableFile("truncated-gzip") from exc
    # Arrow's numbers count the rows it skips: they stay those of the whole file.
    yield from parse(pa.input_stream(str(path), compression="gzip"), 1 + records, 0)


PART_BYTES = 1 << 16  # a second reading's unit: about 800 session records


def _parts(piece: bytes) -> Iterator[bytes]:
    """A piece without quotes cut after line feeds into parts of about ``PART_BYTES``."""
    start = 0
    while start < len(piece):
        end = piece.find(b"\n", start + PART_BYTES) + 1 or len(piece)
        yield piece[start:end]
        start = end


def _wanted_in(wanted: list[int], skip: int, offset: int, count: int) -> bool:
    """Whether a part of ``count`` records holds one of the ``wanted`` record numbers."""
    first = 2 if skip else offset + 1  # its first record's number
    at = bisect.bisect_left(wanted, first)
    return at < len(wanted) and wanted[at] < first + count


def _line_ends(piece: bytes) -> int:
    """Records of a piece without quotes: its line ends, and a last line without one."""
    ends = piece.count(b"\n")
    if b"\r" in piece:
        ends += piece.count(b"\r") - piece.count(b"\r\n")
    return ends + (not piece.endswith((b"\n", b"\r")))


def _number(
    first: int, count: int, ragged: list[tuple[int, str]], final: bool
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Record numbers of a batch of ``count`` rows whose first record is at least ``first``,
    and the ragged records among them (taken out of ``ragged``). The reader reports ragged
    records as it parses, a block ahead of the rows it yields: they are placed by number."""
    ragged.sort()  # every record before ``first`` was given to an earlier batch
    bad = np.array([n for n, _ in ragged], dtype=np.int64)
    span = np.arange(first, first + count + len(bad), dtype=np.int64)
    numbers = span[~np.isin(span, bad)][:count]
    last = int(numbers[-1]) if count else first - 1
    taken = len(ragged) if final else int(np.searchsorted(bad, last))
    mine = ragged[:taken]
    del ragged[:taken]
    return numbers, mine


def _unreadable(exc: Exception, row: int) -> UnreadableFile:
    """The steward's reason for a reader's failure at record ``row``."""
    text = str(exc)
    if isinstance(exc, pa.ArrowInvalid):
        if "UTF8" in text or "utf8" in text or "UTF-8" in text:
            return UnreadableFile("encoding", encodings="utf-8")
        if "gzip" in text.lower() or "compress" in text.lower():
            return UnreadableFile("truncated-gzip")
        return UnreadableFile("malformed-csv", row=row, detail=text.splitlines()[0])
    lower = text.lower()
    broken = "gzip" in lower or "compress" in lower or "truncated" in lower
    return UnreadableFile("truncated-gzip" if broken else "os-error", detail=text)


def read_strings(path: Path, delimiter: str = ",", bounds: Bounds | None = None) -> StringTable:
    """The whole file as one :class:`StringTable` (see :func:`iter_strings`)."""
    return concat_strings(list(iter_strings(path, delimiter, bounds)))


def _check_cells(table: pa.Table, numbers: np.ndarray, bounds: Bounds) -> None:
    """No cell longer than the bound (chunk by chunk: one block's lengths at a time)."""
    for column in table.columns:
        start = 0
        for chunk in column.chunks:
            longest = pc.max(pc.binary_length(chunk)).as_py() if len(chunk) else 0
            if longest and longest > bounds.max_cell_chars:
                lengths = pc.utf8_length(chunk)
                if pc.max(lengths).as_py() > bounds.max_cell_chars:
                    at = int(pc.index(lengths, pc.max(lengths)).as_py())
                    raise UnreadableFile(
                        "cell-too-long",
                        row=int(numbers[start + at]),
                        limit=human(bounds.max_cell_chars),
                    )
            start += len(chunk)


def check_schema(schema: dict[str, Any]) -> None:
    """Raise :class:`Unsupported` when ``schema`` needs what this engine does not implement."""
    for fld in schema["fields"]:
        ftype = fld.get("type", "string")
        if ftype not in SUPPORTED_TYPES:
            raise Unsupported(f"field {fld['name']!r}: type {ftype!r} is not supported")
        fmt = _date_format(fld)
        if ftype in ("date", "datetime") and fmt in ("default", "any"):
            raise Unsupported(f"field {fld['name']!r}: give {ftype} an explicit format")
        if ftype in ("date", "datetime"):
            _format_regex(fmt, ftype)
        if ftype == "string" and fmt != "default":
            raise Unsupported(f"field {fld['name']!r}: string format {fmt!r} is not supported")
        if fld.get("bareNumber") is False:
            raise Unsupported(f"field {fld['name']!r}: bareNumber false is not supported")
        pattern = fld.get("constraints", {}).get("pattern")
        if pattern is not None:
            try:
                pc.match_substring_regex(pa.array([""]), f"^{pattern}$")
            except pa.ArrowInvalid as exc:
                raise Unsupported(f"field {fld['name']!r}: pattern not RE2: {exc}") from None


def _date_format(fld: dict[str, Any]) -> str:
    """A date or datetime field's strptime format ("default" dates are Frictionless's ISO
    pattern; "default" datetimes, read by dateutil's isoparse, are not supported)."""
    fmt = str(fld.get("format", "default"))
    if fld.get("type") == "date" and fmt == "default":
        return DEFAULT_DATE
    return fmt


def _format_regex(fmt: str, ftype: str) -> tuple[str, list[str]]:
    parts: list[str] = []
    seen: list[str] = []
    i = 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%" and i + 1 < len(fmt):
            code = fmt[i + 1]
            if code not in _DIRECTIVES or code in seen:
                raise Unsupported(f"{ftype} format {fmt!r}: directive %{code} is not supported")
            parts.append(_DIRECTIVES[code])
            seen.append(code)
            i += 2
            continue
        parts.append(r"\s+" if ch.isspace() else re.escape(ch))
        i += 1
    needed = _DATE_PARTS if ftype == "date" else _DATE_PARTS + _TIME_PARTS
    if ftype == "date" and any(c in seen for c in _TIME_PARTS):
        raise Unsupported(f"date format {fmt!r} has time directives")
    if any(c not in seen for c in needed):
        raise Unsupported(f"{ftype} format {fmt!r} must have %{' %'.join(needed)}")
    return "^" + "".join(parts) + "$", seen


def _strptime(text: pa.ChunkedArray, fmt: str, ftype: str) -> tuple[np.ndarray, np.ndarray]:
    """(values as datetime64[s], mask of cells that parse) the way ``datetime.strptime`` does.

    Zero-padded cells (what exports write) are read by position; the others go through the
    regular expressions of Python's ``_strptime``, directive by directive."""
    n = len(text)
    codes = _format_regex(fmt, ftype)[1]
    ok = np.zeros(n, dtype=bool)
    canonical = _canonical(fmt)
    values = np.zeros(n, dtype="datetime64[s]")
    if canonical is not None:
        fixed = _fixed_width_datetimes(text, canonical[1], fmt)
        if fixed is not None and fixed[1].all():
            return fixed
    if canonical is not None:
        regex, slots = canonical
        ok = _bool(pc.match_substring_regex(text, regex))
        if ok.any():
            # Arrow's strptime reads zero-padded cells; it rolls impossible days and second 60
            # over (30 February is 2 March), so the day and second written are compared back.
            parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
            ok &= _bool(pc.is_valid(parsed))
            safe = pc.if_else(pa.array(ok), text, "0" * max(a + b for a, b in slots.values()))
            stamps = pc.fill_null(parsed, pa.scalar(0, pa.timestamp("s")))
            for code, part in (("d", pc.day), ("S", pc.second)):
                if code not in slots:
                    continue
                start, width = slots[code]
                written = pc.cast(pc.utf8_slice_codeunits(safe, start, start + width), pa.int64())
                ok &= _bool(pc.equal(written, part(stamps)))
            ok &= _bool(pc.greater_equal(pc.year(stamps), 1))  # Python has no year 0
            values = np.array(stamps.to_numpy(), dtype="datetime64[s]")
    if canonical is not None and not (~ok).any():
        return values, ok
    rest = ~ok
    parts = {c: np.zeros(n, dtype=np.int64) for c in _DATE_PARTS + _TIME_PARTS}
    if rest.any():
        # Cells that are not zero-padded: Python's own directive rules.
        regex = _format_regex(fmt, ftype)[0]
        subset = pc.filter(text, pa.array(rest))
        extracted = pc.extract_regex(subset, regex)
        matched = _bool(pc.is_valid(extracted))
        index = np.nonzero(rest)[0][matched]
        extracted = pc.filter(extracted, pa.array(matched))
        for code in codes:
            digits = pc.utf8_trim_whitespace(pc.struct_field(extracted, code))
            parts[code][index] = np.array(pc.cast(digits, pa.int64()).to_numpy(), dtype=np.int64)
        year, month, day = parts["Y"], np.clip(parts["m"], 1, 12), parts["d"]
        leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
        month_days = _DAYS[month - 1] + ((month == 2) & leap)
        good = np.zeros(n, dtype=bool)
        good[index] = True
        good &= (year >= 1) & (day >= 1) & (day <= month_days) & (parts["S"] <= 59)
        months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
        days = months.astype("datetime64[D]") + (np.clip(day, 1, 31) - 1)
        clock = parts["H"] * 3600 + parts["M"] * 60 + parts["S"]
        slow = days.astype("datetime64[s]") + clock
        values = np.where(good, slow, values)
        ok = ok | good
    return values, ok


def _fixed_width_datetimes(
    text: pa.ChunkedArray, slots: dict[str, tuple[int, int]], fmt: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """When every cell has the zero-padded width (what machine exports write), read the cells
    as a byte matrix: digits and separators checked, numbers computed, all with NumPy."""
    array = text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    width = max(start + size for start, size in slots.values())
    if array.null_count or len(array) == 0:
        return None
    lengths = pc.min_max(pc.binary_length(array))
    if lengths["min"].as_py() != width or lengths["max"].as_py() != width:
        return None
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[
        array.offset : array.offset + len(array) + 1
    ]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    matrix = data.reshape(len(array), width)
    digits = matrix - np.uint8(48)  # a byte that is not a digit wraps to more than 9
    digit_columns = [p for start, size in slots.values() for p in range(start, start + size)]
    ok = (digits[:, digit_columns] <= 9).all(axis=1)
    literal = _literal_bytes(fmt)
    for position, byte in literal.items():
        ok &= matrix[:, position] == byte
    parts: dict[str, np.ndarray] = {}
    for code, (start, size) in slots.items():
        value = digits[:, start].astype(np.int32)
        for position in range(start + 1, start + size):
            value = value * 10 + digits[:, position]
        parts[code] = value
    zero = np.zeros(len(array), dtype=np.int32)
    year, month, day = parts["Y"], parts["m"], parts["d"]
    hour, minute, second = parts.get("H", zero), parts.get("M", zero), parts.get("S", zero)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    safe_month = np.clip(month, 1, 12)
    month_days = _DAYS[safe_month - 1] + ((safe_month == 2) & leap)
    ok &= (year >= 1) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59)
    days = _days_from_civil(year, safe_month, np.clip(day, 1, 31))
    seconds = days.astype(np.int64) * 86400 + (hour * 3600 + minute * 60 + second)
    return seconds.astype("datetime64[s]"), ok


def _days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of proleptic Gregorian dates of years 1 to 9999 (H. Hinnant's
    algorithm) in 32-bit integer arithmetic: faster than NumPy's calendar conversion."""
    early = month <= 2
    year = year - early  # years from 0 on: floor division is truncation
    era = year // 400
    yoe = year - era * 400
    doy = (153 * (month - 3 + 12 * early) + 2) // 5 + day - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _literal_bytes(fmt: str) -> dict[int, int]:
    """Position → byte of the literal characters of a fixed-width format."""
    widths = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
    found, pos, i = {}, 0, 0
    while i < len(fmt):
        if fmt[i] == "%":
            pos += widths[fmt[i + 1]]
            i += 2
        else:
            found[pos] = ord(fmt[i])
            pos += 1
            i += 1
    return found


def _canonical(fmt: str) -> tuple[str, dict[str, tuple[int, int]]] | None:
    """For a format of fixed-width directives, the regex of its zero-padded form (a space of the
    format standing for one space) and where each directive sits; None otherwise."""
    widths = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
    regex, slots, pos, i = [], {}, 0, 0
    while i < len(fmt):
        if fmt[i] == "%":
            code = fmt[i + 1]
            if code not in widths:
                return None
            slots[code] = (pos, widths[code])
            regex.append(f"[0-9]{{{widths[code]}}}")
            pos += widths[code]
            i += 2
        else:
            regex.append(" " if fmt[i] == " " else re.escape(fmt[i]))
            pos += 1
            i += 1
    return "^" + "".join(regex) + "$", slots


@dataclass
class Column:
    """One schema field's cells in a file, cast."""

    name: str
    text: pa.ChunkedArray
    absent: np.ndarray  # the record has no such cell
    missing: np.ndarray  # a missing value (absent cells included)
    ok: np.ndarray  # present and cast
    values: pa.Array  # typed; null where missing or not cast
    key: pa.Array | None = None  # the values keys compare, when a key form is declared


def _bool(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


def cast(
    fld: dict[str, Any], text: pa.ChunkedArray, absent: np.ndarray, missing_values: Sequence[str]
) -> Column:
    """Cast one column of text cells to its Table Schema type."""
    ftype = fld.get("type", "string")
    if text.null_count:  # a lenient reader's table: null is a cell the row does not have
        absent = absent | ~_bool(pc.is_valid(text))
        text = pc.fill_null(text, "")
    if list(missing_values) == [""]:
        missing = absent | _bool(pc.equal(pc.binary_length(text), 0))
    else:
        missing = absent | _bool(pc.is_in(text, pa.array(list(missing_values), pa.string())))
    present = ~missing
    if ftype == "string":
        ok = present
        values: pa.Array = (
            text  # every cell present (a machine export): no copy of the text
            if ok.all()
            else pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string()))
        )
    elif ftype == "integer":
        values, ok = _integers(text, present)
    elif ftype == "number":
        values, ok = _numbers(text, present, fld)
    elif ftype == "boolean":
        true = _bool(pc.is_in(text, pa.array(fld.get("trueValues", DEFAULT_TRUE), pa.string())))
        false = pc.is_in(text, pa.array(fld.get("falseValues", DEFAULT_FALSE), pa.string()))
        ok = present & (true | _bool(false))
        values = pc.if_else(pa.array(ok), pa.array(true), pa.scalar(None, pa.bool_()))
    elif ftype == "yearmonth":
        ok = present & _bool(pc.match_substring_regex(text, _YEARMONTH))
        parts = pc.extract_regex(pc.if_else(pa.array(ok), text, "0-1"), _YEARMONTH)
        month = pc.struct_field(parts, "m")
        number = pc.cast(pc.replace_substring(month, "_", ""), pa.float64())
        ok &= _bool(pc.and_(pc.greater_equal(number, 1), pc.less_equal(number, 12)))
        values = pc.if_else(pa.array(ok), text, pa.scalar(None, pa.string()))
    else:
        seconds, parsed = _strptime(text, _date_format(fld), ftype)
        ok = present & parsed
        if ftype == "date":
            arrow = pa.array(seconds.astype("datetime64[D]"), pa.date32())
        else:
            arrow = pa.array(seconds, pa.timestamp("s"))
        values = pc.if_else(pa.array(ok), arrow, pa.scalar(None, arrow.type))
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    return Column(fld["name"], text, absent, missing, ok, values)


def _integers(text: pa.ChunkedArray, present: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """Integer values and the cells that cast, as Python's ``int(cell.strip())`` would."""
    mask = pa.array(present)
    try:
        # Fast path: Arrow's parser accepts a subset of what int() accepts (sign and digits).
        if present.all():
            return pc.cast(text, pa.int64()), present
        numbers = pc.cast(pc.if_else(mask, text, "0"), pa.int64())
        return pc.if_else(mask, numbers, pa.scalar(None, pa.int64())), present
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    stripped = pc.utf8_trim_whitespace(text)
    ok = present & _bool(pc.match_substring_regex(stripped, _INTEGER))
    digits = pc.replace_substring_regex(pc.replace_substring(stripped, "_", ""), r"^\+", "")
    long = _bool(pc.greater(pc.utf8_length(pc.replace_substring_regex(digits, "^[+-]?0*", "")), 18))
    ok &= ~long  # beyond 64 bits: a type error here, see the module notes
    numbers = pc.cast(pc.if_else(pa.array(ok), digits, "0"), pa.int64())
    return pc.if_else(pa.array(ok), numbers, pa.scalar(None, pa.int64())), ok


def _numbers(
    text: pa.ChunkedArray, present: np.ndarray, fld: dict[str, Any]
) -> tuple[pa.Array, np.ndarray]:
    """Numbers and the cells that cast, as Frictionless's number field reads them: the cell
    stripped, ``groupChar`` removed, a point refused when ``decimalChar`` is another
    character, ``decimalChar`` made a point, then what ``Decimal()`` reads (it drops every
    underscore). Values are 64-bit floats."""
    text = pc.utf8_trim_whitespace(text)
    ok = present.copy()
    if fld.get("groupChar"):
        text = pc.replace_substring(text, fld["groupChar"], "")
    decimal = fld.get("decimalChar", ".")
    if decimal != ".":
        ok &= ~_bool(pc.match_substring(text, "."))
        text = pc.replace_substring(text, decimal, ".")
    text = pc.utf8_trim_whitespace(pc.replace_substring(text, "_", ""))
    ok &= _bool(pc.match_substring_regex(text, _NUMBER))
    numbers = pc.cast(pc.if_else(pa.array(ok), text, "0"), pa.float64())
    return pc.if_else(pa.array(ok), numbers, pa.scalar(None, pa.float64())), ok


def _typed(bound: Any, ftype: str) -> pa.Scalar:
    if ftype == "integer":
        return pa.scalar(int(bound), pa.int64())
    if ftype == "number":
        return pa.scalar(float(bound), pa.float64())
    if ftype == "date":
        import datetime as dt

        return pa.scalar(dt.date.fromisoformat(str(bound)), pa.date32())
    if ftype == "datetime":
        import datetime as dt

        return pa.scalar(dt.datetime.fromisoformat(str(bound)), pa.timestamp("s"))
    return pa.scalar(str(bound), pa.string())


def check_columns(
    schema: dict[str, Any], columns: list[Column], rows: np.ndarray, findings: Findings
) -> None:
    """Type and constraint errors of each column (``unique`` and keys aside), columns in
    parallel (Arrow kernels release the GIL)."""
    pairs = list(zip(schema["fields"], columns, strict=True))
    for found in _pool().map(lambda pair: _check_column(pair[0], pair[1], rows), pairs):
        findings.items.extend(found.items)


def _check_column(fld: dict[str, Any], col: Column, rows: np.ndarray) -> Findings:
    """Type errors, then the constraints of the cells that cast (as Frictionless: a cell with a
    type error is not checked further; one error per broken constraint)."""
    findings = Findings()
    ftype = fld.get("type", "string")
    name = fld["name"]
    wrong = ~col.missing & ~col.ok
    if wrong.any():
        findings.add("type-error", name, rows[wrong], _take(col.text, wrong), field=fld)
    for constraint, bound in fld.get("constraints", {}).items():
        if constraint == "required":
            if bound:
                bad = col.missing
            else:
                continue
        elif constraint == "unique":
            continue
        elif constraint == "pattern" and ftype == "string":
            bad = col.ok & ~_bool(pc.match_substring_regex(col.values, f"^{bound}$"))
        elif constraint == "enum":
            allowed = pa.array([_typed(b, ftype).as_py() for b in bound], col.values.type)
            bad = col.ok & ~_bool(pc.is_in(col.values, allowed))
        elif constraint in ("minimum", "maximum") and ftype != "string":
            op = pc.less if constraint == "minimum" else pc.greater
            bad = col.ok & _bool(op(col.values, _typed(bound, ftype)))
        elif constraint in ("minLength", "maxLength") and ftype == "string":
            op = pc.less if constraint == "minLength" else pc.greater
            bad = col.ok & _bool(op(pc.utf8_length(col.values), bound))
        else:
            raise Unsupported(f"field {name!r}: constraint {constraint!r} on {ftype}")
        if bad.any():
            findings.add(
                "constraint-error",
                name,
                rows[bad],
                _take(col.text, bad),
                constraint=constraint,
                bound=bound,
                field=fld,
            )
    return findings


def _key_of(col: Column) -> pa.Array:
    """The values a key compares: the key form when the contract declares one."""
    return col.values if col.key is None else col.key


def _take(array: pa.ChunkedArray | pa.Array, mask: np.ndarray) -> pa.Array:
    taken = pc.filter(array, pa.array(mask))
    return taken.combine_chunks() if isinstance(taken, pa.ChunkedArray) else taken


def _codes(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Equal values get equal integer codes (nulls one code of their own)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    fixed = _fixed_width_words(array)
    if fixed is not None:
        # Identifiers of one fixed width (hexadecimal session ids): sort a 64-bit mix of their
        # bytes, a few times faster than a hash table of a million strings. Exact: when two
        # different values share a mix, the hash table decides instead.
        mixed = np.zeros(len(fixed), dtype=np.uint64)
        for column in range(fixed.shape[1]):
            mixed = (mixed * np.uint64(0x9E3779B97F4A7C15)) ^ fixed[:, column]
        order = np.argsort(mixed)
        ordered, words = mixed[order], fixed[order]
        same_mix = ordered[1:] == ordered[:-1]
        same_value = (words[1:] == words[:-1]).all(axis=1)
        if not (same_mix & ~same_value).any():
            starts = np.ones(len(order), dtype=bool)
            starts[1:] = ~same_value
            codes = np.empty(len(order), dtype=np.int64)
            codes[order] = np.cumsum(starts) - 1
            return codes
    encoded = pc.dictionary_encode(array, null_encoding="encode")
    return np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)


def _fixed_width_words(array: pa.Array) -> np.ndarray | None:
    """The values as rows of 64-bit words when they are strings without nulls, all 8 to 32
    bytes of one same length multiple of 8; None otherwise."""
    if not pa.types.is_string(array.type) or array.null_count or len(array) == 0:
        return None
    lengths = pc.min_max(pc.binary_length(array))
    width = lengths["min"].as_py()
    if width != lengths["max"].as_py() or width % 8 or not 8 <= width <= 32:
        return None
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[
        array.offset : array.offset + len(array) + 1
    ]
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.view(">u8").reshape(len(array), width // 8)


def duplicated(keys: list[pa.Array], rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mask of rows whose key already appeared on an earlier row, and for each row the record
    number where its key first appeared (0 where it does not repeat). Null parts compare equal
    to null parts, as Python tuples do."""
    n = len(keys[0]) if keys else 0
    first_rows = np.zeros(n, dtype=np.int64)
    if n == 0:
        return np.zeros(0, dtype=bool), first_rows
    codes = _codes(keys[0])
    for key in keys[1:]:
        more = _codes(key)
        codes = np.unique(codes * (int(more.max()) + 1) + more, return_inverse=True)[1]
    positions = np.arange(n, dtype=np.int64)
    first = np.full(int(codes.max()) + 1, n, dtype=np.int64)
    # Earliest by record number (ragged records sit at the end of the arrays): visit positions
    # in reverse record order, the last write wins.
    order = positions if bool(np.all(rows[1:] >= rows[:-1])) else np.argsort(rows, kind="stable")
    first[codes[order][::-1]] = order[::-1]
    first_index = first[codes]
    dup = first_index != positions
    first_rows[dup] = rows[first_index[dup]]
    return dup, first_rows


def check_keys(
    schema: dict[str, Any], columns: dict[str, Column], rows: np.ndarray, findings: Findings
) -> None:
    """``unique`` and ``primaryKey`` errors."""
    for fld in schema["fields"]:
        if fld.get("constraints", {}).get("unique"):
            col = columns[fld["name"]]
            repeat, first_rows = duplicated([_key_of(col)], rows)
            dup = repeat & col.ok
            findings.add("unique-error", fld["name"], rows[dup], _take(col.text, dup))
            if dup.any():
                findings.items[-1].first_rows = first_rows[dup]
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else list(key)
    if key:
        values = [_key_of(columns[k]) for k in key]
        all_null = np.ones(len(rows), dtype=bool)
        complete = np.ones(len(rows), dtype=bool)
        for v in values:
            valid = _bool(pc.is_valid(v))
            all_null &= ~valid
            complete &= valid
        repeat, first_rows = duplicated(values, rows)
        bad = (repeat & ~all_null) | all_null
        # Frictionless compares tuples with None parts too: a partial key repeats like any other.
        cells = _take(columns[key[0]].text, bad)
        findings.add("primary-key", None, rows[bad], cells, fields=key)
        if bad.any():
            first_rows[all_null] = 0  # an empty key repeats nothing: it is empty
            findings.items[-1].first_rows = first_rows[bad]


def check_foreign_keys(
    schema: dict[str, Any],
    columns: dict[str, Column],
    rows: np.ndarray,
    references: dict[str, pa.Table],
    findings: Findings,
) -> None:
    """``foreign-key`` errors against the referenced key values given per resource name."""
    for fk in schema.get("foreignKeys", []):
        ref = fk["reference"]
        target = references.get(ref["resource"])
        if target is None:
            continue
        fields = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
        ref_fields = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
        values = [columns[f].values for f in fields]
        any_value = np.zeros(len(rows), dtype=bool)
        for v in values:
            any_value |= _bool(pc.is_valid(v))
        if len(fields) == 1:
            known = _bool(pc.is_in(values[0], target.column(ref_fields[0])))
        else:
            probe = pa.table({f"k{i}": v for i, v in enumerate(values)})
            probe = probe.append_column("__row", pa.array(np.arange(len(rows))))
            keys = target.select(ref_fields).rename_columns([f"k{i}" for i in range(len(fields))])
            keys = keys.group_by(keys.column_names).aggregate([])
            joined = probe.join(keys, [f"k{i}" for i in range(len(fields))], join_type="left semi")
            known = np.zeros(len(rows), dtype=bool)
            known[joined.column("__row").to_numpy()] = True
        bad = any_value & ~known
        # Frictionless reports a foreign key on the row (no field); the report names the column.
        findings.add(
            "foreign-key",
            None,
            rows[bad],
            _take(values[0], bad),
            reference=ref["resource"],
            fields=fields,
            column=fields[0],
        )


@dataclass
class Checked:
    """A file checked against a schema: every error, and the typed columns by field name."""

    findings: Findings
    columns: dict[str, Column]
    rows: np.ndarray  # record number of each row of ``columns``
    valid_rows: np.ndarray  # mask over ``rows``: no error on that row


_MULTIPLIER = np.uint64(0x100000001B3)
_NULL_HASH = np.uint64(0x9E3779B97F4A7C15)
_HASH_SLICE = 1 << 16


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every bit of the input moves about half the output bits."""
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def hash_text(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each string, the same in any batch (equal strings, equal hashes; every
    null the same value). Not a proof of equality: equal hashes are compared as text after.
    Vectorised over the bytes, a slice of strings at a time (bounded memory)."""
    if isinstance(array, pa.ChunkedArray):
        parts = [hash_text(chunk) for chunk in array.chunks]
        return np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    out = np.empty(len(array), dtype=np.uint64)
    for start in range(0, len(array), _HASH_SLICE):
        part = array.slice(start, _HASH_SLICE)
        out[start : start + len(part)] = _hash_slice(part)
    return out


def _hash_slice(array: pa.Array) -> np.ndarray:
    """Σ w_j·P^(j+1) over the string's 8-byte little-endian words w_j (zero-padded), mixed
    with its length. Strings all of one width, a multiple of 8 (hexadecimal session ids),
    are read as words directly; others byte by byte, which gives the same sums."""
    n = len(array)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int32)[array.offset : array.offset + n + 1]
    offsets = offsets.astype(np.int64)
    first = int(offsets[0])
    raw = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else None
    lengths = np.diff(offsets)
    sums = np.zeros(n, dtype=np.uint64)
    total = int(offsets[-1]) - first
    if raw is not None and total:
        powers = np.cumprod(np.full((int(lengths.max()) + 7) // 8, _MULTIPLIER, dtype=np.uint64))
        words = _fixed_width_words(array)
        if words is not None:
            # _fixed_width_words reads big-endian words (for sorting): the hash reads them
            # little-endian, as the byte-by-byte path below sums them.
            words = words.view("<u8")
            for j in range(words.shape[1]):
                sums += words[:, j] * powers[j]
        else:
            data = raw[first : first + total].astype(np.uint64)
            starts = offsets[:-1] - first
            position = np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)
            shifted = data << (np.uint64(8) * (position & 7).astype(np.uint64))
            nonempty = lengths > 0
            sums[nonempty] = np.add.reduceat(shifted * powers[position >> 3], starts[nonempty])
    hashed = _mix(sums ^ _mix(lengths.astype(np.uint64)))
    if array.null_count:
        hashed[np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = _NULL_HASH
    return hashed


def _value_hashes(col: Column, ftype: str) -> np.ndarray:
    """A hash of each cast value (null where it did not cast), the same in any batch."""
    if col.key is not None or ftype in ("string", "yearmonth"):
        return hash_text(_key_of(col))
    if ftype == "number":
        floats = pc.fill_null(col.values, 0.0).to_numpy(zero_copy_only=False) + 0.0  # -0 is 0
        hashed = _mix(np.asarray(floats, dtype=np.float64).view(np.uint64))
        hashed[~col.ok] = _NULL_HASH
        return hashed
    values = col.values
    if pa.types.is_date32(values.type):
        values = pc.cast(values, pa.int32())
    numbers = pc.cast(values, pa.int64())  # integers, days, seconds, booleans
    raw = np.asarray(pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False), dtype=np.int64)
    hashed = _mix(raw.view(np.uint64) ^ np.uint64(0x5851F42D4C957F2D))
    hashed[~col.ok] = _NULL_HASH
    return hashed


def shared(hashes: np.ndarray) -> np.ndarray:
    """Mask of the positions whose hash another position has too (memory: one sorted copy)."""
    ordered = np.sort(hashes)
    repeated = np.unique(ordered[1:][ordered[1:] == ordered[:-1]])
    del ordered
    if not len(repeated):
        return np.zeros(len(hashes), dtype=bool)
    return np.isin(hashes, repeated)


def select_rows(strings: StringTable, wanted: np.ndarray) -> StringTable:
    """The records of ``strings`` numbered in ``wanted`` (sorted), ragged ones included."""
    mask = np.isin(strings.rows, wanted)
    arrow_mask = pa.array(mask)
    columns = [pc.filter(c, arrow_mask) for c in strings.columns]
    chosen = set(wanted.tolist()) if strings.ragged else set()
    ragged = [r for r in strings.ragged if r[0] in chosen]
    return StringTable(strings.header, columns, strings.rows[mask], ragged, strings.records)


def concat_strings(parts: list[StringTable]) -> StringTable:
    """Batches of one file as one :class:`StringTable`."""
    return StringTable(
        parts[0].header,
        [
            pa.chunked_array([c for p in parts for c in p.columns[i].chunks], pa.string())
            for i in range(len(parts[0].header))
        ],
        np.concatenate([p.rows for p in parts]),
        [r for p in parts for r in p.ragged],
        parts[-1].records,
    )


def gather_strings(
    path: Path, delimiter: str, bounds: Bounds | None, wanted: np.ndarray
) -> StringTable:
    """The records numbered in ``wanted`` (sorted), read again from the file batch by batch:
    memory is that of those records, not of the file."""
    batches = prefetched(iter_strings(path, delimiter, bounds, wanted=wanted))
    return concat_strings([select_rows(batch, wanted) for batch in batches])


class Validator:
    """The Table Schema checks of one file, batch by batch (:func:`iter_strings`).

    Every check runs on each batch as it comes, except ``unique`` and ``primaryKey``, which
    compare a row with every earlier one. For those the validator keeps, per row seen, its
    record number and a 64-bit hash of its key (about 17 bytes a row, whatever the key); at
    :meth:`finish`, the rows whose hash another row shares (the repeats, and the rare
    collisions) are read again whole and checked exactly, as in one batch. A file read in one
    batch or in a thousand gives the same findings."""

    def __init__(
        self,
        schema: dict[str, Any],
        positions: dict[str, int],
        references: dict[str, pa.Table] | None = None,
        key_forms: dict[str, Callable[[str], str | None]] | None = None,
        blank_rows: bool = True,
    ) -> None:
        """``key_forms``: the canonical form of a key field's values (:func:`key_form`);
        ``blank_rows`` false for a reader that drops blank records itself (the lenient one):
        a record whose schema cells are all empty is then checked like any other."""
        check_schema(schema)
        self.blank_rows = blank_rows
        self.schema, self.positions, self.references = schema, positions, references
        self.key_forms = key_forms or {}
        self.findings = Findings()
        key = schema.get("primaryKey", [])
        self._key = [key] if isinstance(key, str) else list(key)
        self._unique = [
            f["name"] for f in schema["fields"] if f.get("constraints", {}).get("unique")
        ]
        self._types = {f["name"]: f.get("type", "string") for f in schema["fields"]}
        self._rows: list[np.ndarray] = []
        self._hashes: dict[str, list[np.ndarray]] = {name: [] for name in self._unique}
        self._ok: dict[str, list[np.ndarray]] = {name: [] for name in self._unique}
        self._key_hashes: list[np.ndarray] = []
        self._key_empty: list[np.ndarray] = []
        self._blank: list[np.ndarray] = []
        # The records read again at :meth:`finish` (None when no row shared a key hash).
        self.gathered: StringTable | None = None

    def _cast(
        self, strings: StringTable
    ) -> tuple[dict[str, Column], dict[str, Column], np.ndarray, np.ndarray]:
        """A batch cast: every column (ragged records joined at the end), the same without the
        blank records, the record numbers of each, and the blank mask."""
        missing_values = self.schema.get("missingValues", [""])
        n = len(strings)
        extra_rows = np.array([r for r, _ in strings.ragged], dtype=np.int64)
        all_rows = np.concatenate([strings.rows, extra_rows])
        pending: list[tuple[dict[str, Any], pa.ChunkedArray, np.ndarray]] = []
        for fld in self.schema["fields"]:
            index = self.positions.get(fld["name"])
            if index is None:
                text = pa.chunked_array([pa.array([""] * (n + len(extra_rows)), pa.string())])
                absent = np.ones(len(all_rows), dtype=bool)
            else:
                ragged = [c[index] if index < len(c) else None for _, c in strings.ragged]
                absent = np.concatenate(
                    [np.zeros(n, dtype=bool), np.array([c is None for c in ragged], dtype=bool)]
                )
                chunks = list(strings.columns[index].chunks)
                if ragged:
                    chunks.append(pa.array([c if c is not None else "" for c in ragged]))
                text = pa.chunked_array(chunks, pa.string())
            pending.append((fld, text, absent))
        cast_columns = list(
            _pool().map(lambda job: cast(job[0], job[1], job[2], missing_values), pending)
        )
        columns = {col.name: col for col in cast_columns}
        for name, form in self.key_forms.items():
            if name in columns:
                columns[name].key = key_form(columns[name], form)
        blank = np.full(len(all_rows), self.blank_rows, dtype=bool)
        for col in columns.values():
            blank &= col.missing
        # A blank record is one error and nothing else: take it out of every other check.
        keep = ~blank
        kept = columns if keep.all() else {k: _subset(c, keep) for k, c in columns.items()}
        return columns, kept, all_rows, blank

    def check(self, strings: StringTable) -> Checked:
        """Check one batch; its findings (keys aside) and its cast columns. ``valid_rows``
        does not know yet about repeated keys (see :meth:`finish`)."""
        schema, positions, fields = self.schema, self.positions, self.schema["fields"]
        findings = Findings()
        n = len(strings)
        width = len(strings.header)
        columns, kept, all_rows, blank = self._cast(strings)
        kept_rows = all_rows[~blank]
        check_columns(schema, [kept[f["name"]] for f in fields], kept_rows, findings)
        # A short row of a lenient reader's table: the cells it lacks are null, each missing.
        main_rows = (np.arange(len(all_rows)) < n)[~blank]
        for fld in fields:
            if positions.get(fld["name"]) is not None:
                lacking = kept[fld["name"]].absent & main_rows
                if lacking.any():
                    empty = pa.array([""] * int(lacking.sum()), pa.string())
                    findings.add("missing-cell", fld["name"], kept_rows[lacking], empty)
        for (number, cells), is_blank in zip(strings.ragged, blank[n:], strict=True):
            if is_blank:
                continue
            for fld in fields:
                index = positions.get(fld["name"])
                if index is not None and index >= len(cells):
                    findings.add("missing-cell", fld["name"], np.array([number]), pa.array([""]))
            for extra in range(width, len(cells)):
                findings.add(
                    "extra-cell", "", np.array([number]), pa.array([cells[extra]]), position=extra
                )
        findings.add("blank-row", None, all_rows[blank])
        if self.references:
            check_foreign_keys(schema, kept, kept_rows, self.references, findings)
        self._remember_keys(kept, kept_rows)
        self._blank.append(all_rows[blank])
        self.findings.items.extend(findings.items)
        bad_rows = np.unique(
            np.concatenate([f.rows for f in findings.items] or [np.zeros(0, np.int64)])
        )
        main = (
            columns
            if not strings.ragged
            else {k: _subset(c, np.arange(len(all_rows)) < n) for k, c in columns.items()}
        )
        return Checked(findings, main, strings.rows, ~np.isin(strings.rows, bad_rows))

    def _remember_keys(self, kept: dict[str, Column], rows: np.ndarray) -> None:
        if not (self._unique or self._key):
            return
        # Record numbers fit 32 bits (the bounds stop a file long before): 4 bytes a row.
        self._rows.append(rows.astype(np.int32))
        for name in self._unique:
            self._hashes[name].append(_value_hashes(kept[name], self._types[name]))
            self._ok[name].append(kept[name].ok)
        if self._key:
            combined = np.zeros(len(rows), dtype=np.uint64)
            empty = np.ones(len(rows), dtype=bool)
            for name in self._key:
                combined = _mix(
                    combined * _MULTIPLIER ^ _value_hashes(kept[name], self._types[name])
                )
                empty &= ~_bool(pc.is_valid(_key_of(kept[name])))
            self._key_hashes.append(combined)
            self._key_empty.append(empty)

    def finish(self, gather: Callable[[np.ndarray], StringTable]) -> Findings:
        """Add the ``unique`` and ``primaryKey`` errors of every row seen; all the findings.
        ``gather(numbers)`` gives the records with those numbers (sorted) again."""
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, np.int32)
        self._rows = []
        wanted: list[np.ndarray] = []
        for name in self._unique:
            hashes, ok = np.concatenate(self._hashes.pop(name)), np.concatenate(self._ok.pop(name))
            wanted.append(rows[ok][shared(hashes[ok])])
            del hashes, ok
        if self._key:
            hashes, empty = np.concatenate(self._key_hashes), np.concatenate(self._key_empty)
            self._key_hashes, self._key_empty = [], []
            # An empty key is an error of its own (its cell is quoted): read it again too.
            if empty.any():
                wanted += [rows[~empty][shared(hashes[~empty])], rows[empty]]
            else:
                wanted.append(rows[shared(hashes)])
            del hashes, empty
        numbers = (
            np.unique(np.concatenate(wanted)).astype(np.int64) if wanted else np.zeros(0, np.int64)
        )
        if len(numbers):
            self.gathered = gather(numbers)
            _columns, kept, all_rows, blank = self._cast(self.gathered)
            check_keys(self.schema, kept, all_rows[~blank], self.findings)
        # Primary-key findings on blank rows: Frictionless reports them after the blank-row error.
        if self._key:
            blank_rows = np.concatenate(self._blank) if self._blank else np.zeros(0, np.int64)
            self.findings.add("primary-key", None, blank_rows)
        return self.findings


def key_form(col: Column, form: Callable[[str], str | None]) -> pa.Array:
    """The key values of a column whose contract declares a key form (``keyForms``: a SIREN
    written "443 061 841" and "443061841" is one company): each value's canonical form, or
    its text where the form cannot read it (two different misspellings stay different).
    The form runs once per distinct value."""
    values = col.values if pa.types.is_string(col.values.type) else pc.cast(col.values, pa.string())
    distinct = pc.unique(values).drop_null()
    forms = [form(v) for v in distinct.to_pylist()]
    canonical = pa.array(
        [f if f is not None else v for f, v in zip(forms, distinct.to_pylist(), strict=True)],
        pa.string(),
    )
    return pc.take(canonical, pc.index_in(values, distinct))


def key_text(col: Column, at: int) -> str:
    """The value a key compares at position ``at``, as text ("" when null)."""
    value = _key_of(col)[at].as_py()
    return "" if value is None else str(value)


def validate_strings(
    strings: StringTable,
    schema: dict[str, Any],
    positions: dict[str, int],
    references: dict[str, pa.Table] | None = None,
    key_forms: dict[str, Callable[[str], str | None]] | None = None,
    blank_rows: bool = True,
) -> Checked:
    """Check text columns (``positions``: field name → column index in the file) against
    ``schema``, with Frictionless semantics: the whole file as one batch of :class:`Validator`
    (``key_forms`` and ``blank_rows`` as there)."""
    validator = Validator(schema, positions, references, key_forms, blank_rows)
    checked = validator.check(strings)
    findings = validator.finish(lambda wanted: select_rows(strings, wanted))
    bad_rows = np.unique(
        np.concatenate([f.rows for f in findings.items] or [np.zeros(0, np.int64)])
    )
    return Checked(findings, checked.columns, checked.rows, ~np.isin(checked.rows, bad_rows))


def _subset(col: Column, mask: np.ndarray) -> Column:
    arrow_mask = pa.array(mask)
    text = pc.filter(col.text, arrow_mask)
    return Column(
        col.name,
        text if isinstance(text, pa.ChunkedArray) else pa.chunked_array([text]),
        col.absent[mask],
        col.missing[mask],
        col.ok[mask],
        pc.filter(col.values, arrow_mask),
        None if col.key is None else pc.filter(col.key, arrow_mask),
    )


def check_typed(table: pa.Table, schema: dict[str, Any]) -> Findings:
    """Constraint and key errors of a typed table (a build's output), rows numbered as in its
    CSV (header = 1). Types are the builder's business; constraints are checked here."""
    findings = Findings()
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    columns: dict[str, Column] = {}
    for fld in schema["fields"]:
        values = table.column(fld["name"]).combine_chunks()
        missing = ~_bool(pc.is_valid(values))
        text = pc.cast(values, pa.string()) if not pa.types.is_string(values.type) else values
        columns[fld["name"]] = Column(
            fld["name"],
            pa.chunked_array([text]),
            np.zeros(len(rows), bool),
            missing,
            ~missing,
            values,
        )
    check_columns(schema, [columns[f["name"]] for f in schema["fields"]], rows, findings)
    check_keys(schema, columns, rows, findings)
    return findings
