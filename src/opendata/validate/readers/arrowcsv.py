"""The machine exports' CSV read as Arrow columns of text, a batch at a time: decompressed by
ISA-L, parsed by pyarrow, the next batch read in a thread while this one is checked
(:func:`~opendata.validate.readers.prefetch.prefetched`), every byte bounded."""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from opendata.contracts.limits import Bounds, human, human_bytes
from opendata.report.problems import UnreadableFile
from opendata.validate.readers import csvpieces, safefiles
from opendata.validate.readers.grids import GZIP_MAGIC
from opendata.validate.readers.prefetch import prefetched


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
            gz = raw.read(len(GZIP_MAGIC)) == GZIP_MAGIC
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


def _bounded_header(path: Path, delimiter: str, bounds: Bounds | None) -> list[str]:
    """The header, once the file is known to be a regular file within its size bound, and
    the header within the column bound."""
    if bounds is not None:
        safefiles.check_regular(path)
        if path.stat().st_size > bounds.max_file_bytes:
            raise UnreadableFile("too-large", limit=human_bytes(bounds.max_file_bytes), what="file")
    header = read_header(path, delimiter)
    if bounds is not None and len(header) > bounds.max_columns:
        raise UnreadableFile("too-many-columns", row=1, limit=bounds.max_columns)
    return header


RAGGED_LIMIT = 100_000  # records whose cells are not the header's: past it, not an export
EMPTY_LIMIT = 100_000  # empty lines: past them, not an export (batched.BLANK_LIMIT after)


@dataclass
class _Ragged:
    """The handler of the records whose number of cells is not the header's: each kept until
    a batch takes it (``waiting``), the reading stopped past a bound (an exception raised
    there would be ignored by Arrow): more ragged records than :data:`RAGGED_LIMIT` in all
    (a wrong delimiter, lines cut short: each costs a call and its text), or, for a
    file of nothing else, more than the rows of the source."""

    max_rows: int | None
    bounded: bool
    waiting: list[tuple[int, str]] = field(default_factory=list)
    met: int = 0
    stopped: str | None = None  # "ragged" or "rows": the bound the reading stopped at

    def __call__(self, number: int, text: str) -> str:
        self.waiting.append((number, text))
        self.met += 1
        if self.bounded and self.met > RAGGED_LIMIT:
            self.stopped = "ragged"
        elif self.max_rows is not None and len(self.waiting) > self.max_rows:
            self.stopped = "rows"
        return "skip" if self.stopped is None else "error"


MAX_BATCH_ROWS = 1 << 18  # rows of a batch at most (a month's are some 50,000)


def _at_most(
    items: Iterator[pa.RecordBatch | csvpieces.Skipped],
) -> Iterator[pa.RecordBatch | csvpieces.Skipped]:
    """Arrow's batches cut to :data:`MAX_BATCH_ROWS` rows: a block of 4 MiB of empty lines
    is 4 million records, which a check would take at once (and the blank-record bound only
    after them) when a quote has handed the file to Arrow whole."""
    for item in items:
        if isinstance(item, pa.RecordBatch) and item.num_rows > MAX_BATCH_ROWS:
            for start in range(0, item.num_rows, MAX_BATCH_ROWS):
                yield item.slice(start, MAX_BATCH_ROWS)
        else:
            yield item


def _read_failure(
    exc: Exception, row: int, bounds: Bounds | None, stopped: str | None, columns: int
) -> UnreadableFile:
    """What the parser's failure at record ``row`` means for a steward."""
    if stopped == "ragged":
        return UnreadableFile("too-many-ragged", limit=human(RAGGED_LIMIT), columns=columns)
    if stopped == "rows":
        return UnreadableFile("too-many-rows", limit=human(bounds.max_rows if bounds else 0))
    if bounds is not None and "straddling object" in str(exc):
        # One record longer than a block (4 MiB): past any cell bound of a contract.
        return UnreadableFile("cell-too-long", row=row, limit=human(bounds.max_cell_chars))
    return _unreadable(exc, row)


def _strings(
    header: list[str],
    table: pa.Table,
    records: int,
    ragged: list[tuple[int, str]],
    until: int | None,
    delimiter: str,
    bounds: Bounds | None,
) -> StringTable:
    """One batch: its rows numbered after the ``records`` before it, with the ragged records
    it holds (taken out of ``ragged``): those among its rows, or before record ``until``
    (records left unparsed start there), or every one met (``until`` 0: the end); within the
    row and cell bounds."""
    numbers, mine = _number(records + 2, table.num_rows, ragged, until)
    parsed = [(number, next(csv.reader([text], delimiter=delimiter), [])) for number, text in mine]
    records += table.num_rows + len(mine)
    if bounds is not None and records > bounds.max_rows:
        raise UnreadableFile("too-many-rows", limit=human(bounds.max_rows))
    if bounds is not None:
        _check_cells(table, numbers, bounds)
    columns = [table.column(i) for i in range(table.num_columns)]
    return StringTable(header, columns, numbers, parsed, records)


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
    pieces of the file holding none of them may be left unparsed (see
    :func:`~opendata.validate.readers.csvpieces.record_batches`), so the batches hold the
    wanted records and some others.

    With ``bounds``: only a regular file, at most its file and decompressed sizes, rows,
    columns and cell length (:class:`UnreadableFile` past them, raised at the batch that
    crosses the bound). The first batch is yielded even for a file without data records."""
    header = _bounded_header(path, delimiter, bounds)
    batch_bytes = batch_bytes or BATCH_BYTES
    block_bytes = block_bytes or BLOCK_BYTES
    names = [str(i) for i in range(len(header))]
    limit = None if bounds is None else bounds.max_decompressed_bytes
    max_rows = None if bounds is None else bounds.max_rows
    on_ragged = _Ragged(max_rows, bounds is not None)
    ragged = on_ragged.waiting
    schema = pa.schema([(name, pa.string()) for name in names])
    batches = _at_most(
        csvpieces.record_batches(
            path,
            names,
            delimiter,
            block_bytes,
            on_ragged,
            wanted,
            None if bounds is None else EMPTY_LIMIT,
        )
    )
    size, records, yielded = 0, 0, False
    pending: list[pa.RecordBatch] = []
    pending_bytes = 0
    while True:
        try:
            item = next(batches, None)
        except (pa.ArrowInvalid, OSError) as exc:
            # The record that broke the reader comes after every record it gave.
            row = records + sum(b.num_rows for b in pending) + len(ragged) + 2
            raise _read_failure(exc, row, bounds, on_ragged.stopped, len(header)) from None
        # Records left unparsed by a second reading (``wanted``), or a batch.
        skipped = item if isinstance(item, csvpieces.Skipped) else None
        batch = item if isinstance(item, pa.RecordBatch) else None
        if batch is not None:
            size += batch.nbytes
            if limit is not None and size > limit:
                raise UnreadableFile("too-large", limit=human_bytes(limit), what="decompressed")
            pending.append(batch)
            pending_bytes += batch.nbytes
        waiting = records + sum(b.num_rows for b in pending) + len(ragged)
        if max_rows is not None and waiting > max_rows:  # ragged records count too
            raise UnreadableFile("too-many-rows", limit=human(max_rows))
        if batch is not None and pending_bytes < batch_bytes:
            continue
        if pending or ragged or not yielded:
            table = pa.Table.from_batches(pending, schema=schema)
            until = 0 if item is None else (skipped.first if skipped else None)
            strings = _strings(header, table, records, ragged, until, delimiter, bounds)
            records = strings.records
            yield strings
            yielded = True
            pending, pending_bytes = [], 0
        records += skipped.count if skipped else 0
        if item is None:
            return


def _number(
    first: int, count: int, ragged: list[tuple[int, str]], until: int | None = None
) -> tuple[np.ndarray, list[tuple[int, str]]]:
    """Record numbers of a batch of ``count`` rows whose first record is at least ``first``,
    and the ragged records among them (taken out of ``ragged``), or before ``until``, or all
    (``until`` 0). The reader reports ragged records as it parses, pieces ahead of the rows it
    yields: they are placed by number."""
    ragged.sort()  # every record before ``first`` was given to an earlier batch
    bad = np.array([n for n, _ in ragged], dtype=np.int64)
    span = np.arange(first, first + count + len(bad), dtype=np.int64)
    numbers = span[~np.isin(span, bad)][:count]
    last = int(numbers[-1]) if count else first - 1
    if until == 0:
        taken = len(ragged)
    else:
        taken = int(np.searchsorted(bad, last if until is None else until))
    mine = ragged[:taken]
    del ragged[:taken]
    return numbers, mine


def _unreadable(exc: Exception, row: int) -> UnreadableFile:
    """The steward's reason for a reader's failure at record ``row``."""
    text = str(exc)
    if isinstance(exc, pa.ArrowInvalid):
        # A record whose cells are not the header's and whose bytes are not UTF-8 cannot be
        # handed to the handler of such records: Arrow says so with its text decoded, each
        # bad byte a replacement character (whether that or a cell's bad byte comes first
        # depends on where a block ends: the file is not UTF-8 either way).
        ragged = text.startswith("CSV parse error:") and " columns, got " in text
        undecodable = ragged and "\ufffd" in text
        if "UTF8" in text or "utf8" in text or "UTF-8" in text or undecodable:
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
    """No cell longer than the bound (chunk by chunk: one block's lengths at a time). The
    bytes of each cell from the offsets; its characters only when its bytes pass the bound."""
    for column in table.columns:
        start = 0
        for chunk in column.chunks:
            if len(chunk) and _longest_bytes(chunk) > bounds.max_cell_chars:
                import pyarrow.compute as pc  # once a cell is that long: rare

                lengths = pc.utf8_length(chunk)
                if pc.max(lengths).as_py() > bounds.max_cell_chars:
                    at = int(pc.index(lengths, pc.max(lengths)).as_py())
                    raise UnreadableFile(
                        "cell-too-long",
                        row=int(numbers[start + at]),
                        limit=human(bounds.max_cell_chars),
                    )
            start += len(chunk)


def _longest_bytes(chunk: pa.Array) -> int:
    """The length in bytes of the longest string of ``chunk``, from its offsets."""
    offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
    return int(np.diff(offsets[chunk.offset : chunk.offset + len(chunk) + 1]).max())


def select_rows(strings: StringTable, wanted: np.ndarray) -> StringTable:
    """The records of ``strings`` numbered in ``wanted`` (sorted), ragged ones included."""
    mask = np.isin(strings.rows, wanted)
    arrow_mask = pa.array(mask)
    columns = [c.filter(arrow_mask) for c in strings.columns]
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
