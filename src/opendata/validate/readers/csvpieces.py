"""A machine export's CSV parsed by Arrow in pieces: decompressed by ISA-L, cut after line
ends, the pieces parsed side by side and given back in order, each ragged record numbered
in the whole file; a second reading leaves the pieces without a wanted record unparsed."""

from __future__ import annotations

import bisect
import gzip
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
from isal import igzip_threaded, isal_zlib

from opendata.contracts.limits import human
from opendata.report.problems import UnreadableFile
from opendata.validate.readers.grids import GZIP_MAGIC

PIECE_BYTES = 1 << 22  # decompressed text handed to the parser at a time
# The block of Arrow reading a file itself (from its first quote, or not gzipped), where no
# empty line is counted before parsing: 4 MiB of them made one batch of 4 million records.
WHOLE_BLOCK_BYTES = 1 << 20
_ISAL_ERROR: type[BaseException] = isal_zlib.error  # type: ignore[assignment]  # stub: instance


def _parsed(
    source: Any,
    names: list[str],
    delimiter: str,
    block_bytes: int,
    skip: int,
    on_ragged: Callable[[Any], str],
    check_utf8: bool = True,
) -> Iterator[pa.RecordBatch]:
    """Arrow's streaming CSV reader on ``source``, every cell as text, ``skip`` records left
    out, each ragged record given to ``on_ragged`` (nothing for an empty source);
    ``check_utf8`` false for a source known to be ASCII (valid UTF-8 as it is)."""
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
                invalid_row_handler=on_ragged,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                check_utf8=check_utf8,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "Empty CSV file" in str(exc):
            return
        raise
    yield from stream


@dataclass
class _OnRagged:
    """What Arrow calls with each ragged record of a piece: its number in the whole file."""

    on_ragged: Callable[[int, str], str]
    offset: int

    def __call__(self, row: Any) -> str:
        return self.on_ragged(int(row.number) + self.offset, row.text)


def _quiet(hook: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``hook`` without the one failure it cannot do anything about: a ragged record whose
    bytes are not UTF-8, which pyarrow fails to decode before calling :class:`_OnRagged`
    (and prints, with a traceback, to the steward's terminal). The reading then fails with
    Arrow's error, which the reader tells the steward as a file not in UTF-8."""

    def quiet(unraisable: Any) -> None:
        undecodable = isinstance(unraisable.exc_value, UnicodeDecodeError)
        if not (undecodable and isinstance(unraisable.object, _OnRagged)):
            hook(unraisable)

    return quiet


sys.unraisablehook = _quiet(sys.unraisablehook)


@dataclass
class Skipped:
    """Records left unparsed by a second reading: ``count`` of them from record ``first``."""

    first: int
    count: int


def record_batches(
    path: Path,
    names: list[str],
    delimiter: str,
    block_bytes: int,
    on_ragged: Callable[[int, str], str],
    wanted: np.ndarray | None = None,
    max_empty: int | None = None,
) -> Iterator[pa.RecordBatch | Skipped]:
    """The file's data records as text batches; each ragged record goes to ``on_ragged`` with
    its record number in the file (header = 1), which answers Arrow's "skip" or "error".

    A gzipped file is decompressed by ISA-L (python-isal: twice as fast as Arrow's zlib) in
    pieces cut after a line feed, each parsed by Arrow from memory. Such a cut falls between
    two records only while no quote has been met: from the first piece holding a quote (or a
    record longer than four pieces) on, Arrow reads the file itself, the records already read
    skipped: the records are always the ones Arrow reads in one pass. Pieces may be parsed
    ahead, side by side (:data:`AHEAD`), given back in order: a piece without quotes has one
    record per line end (LF, CRLF or a lone CR, as Arrow reads them), so its ragged records
    are numbered before it is parsed. Past ``max_empty`` empty lines in such pieces (each a
    record Arrow makes of the header's width from one byte), the file is refused unparsed.

    With ``wanted`` (sorted record numbers), a part (``PART_BYTES``) of a piece holding none
    of them is not parsed, its records given as :class:`Skipped` instead."""

    def parse(source: Any, skip: int, offset: int, whole: bool, ascii: bool = False) -> Any:
        return _parsed(
            source,
            names,
            delimiter,
            min(block_bytes, WHOLE_BLOCK_BYTES) if whole else block_bytes,
            skip,
            _OnRagged(on_ragged, offset),
            check_utf8=not ascii,
        )

    if not _gzipped(path):
        yield from parse(pa.input_stream(str(path)), 1, 0, True)
        return
    records = empty = 0  # data records handed to a parser so far (ragged ones included), empty
    header_read = False
    numbers = None if wanted is None else [int(n) for n in wanted]
    carry = b""
    pieces = _InOrder()
    try:
        with igzip_threaded.open(path, "rb") as text:
            while PIECE_BYTES > 0:  # 0: Arrow reads the whole file (the tests compare both)
                piece, got = _filled(text, carry)
                if b'"' in piece or len(piece) > 4 * PIECE_BYTES:
                    break  # Arrow reads from here to the end (below)
                cut = piece.rfind(b"\n") + 1 if got else len(piece)
                carry = bytes(piece[cut:])
                del piece[cut:]  # the piece is the bytes read, not a copy of them
                if piece:
                    # Arrow numbers a piece's records from 1 (the header's piece from the header).
                    skip, offset = (0, 1 + records) if header_read else (1, 0)
                    header_read = True
                    for part in [piece] if numbers is None else _parts(piece):
                        count, blank = _line_ends(part)
                        count, empty = count - skip, empty + blank
                        if max_empty is not None and empty > max_empty:
                            raise UnreadableFile("too-many-blank-rows", limit=human(max_empty))
                        if numbers is not None and not _wanted_in(numbers, skip, offset, count):
                            pieces.skipped(Skipped(2 if skip else offset + 1, count))
                        else:
                            pieces.parse(parse, part, skip, offset)
                        records += count
                        skip, offset = 0, 1 + records
                        yield from pieces.ready(AHEAD["pieces"])
                if not got:
                    yield from pieces.ready(0)
                    return
        yield from pieces.ready(0)
    except (EOFError, _ISAL_ERROR, gzip.BadGzipFile) as exc:
        raise UnreadableFile("truncated-gzip") from exc
    finally:
        pieces.cancel()  # a reader left early: what it will not read is not parsed
    # Arrow's numbers count the rows it skips: they stay those of the whole file.
    yield from parse(pa.input_stream(str(path), compression="gzip"), 1 + records, 0, True)


def _filled(text: Any, carry: bytes) -> tuple[bytearray, int]:
    """``carry`` and up to :data:`PIECE_BYTES` more of ``text`` read after it in place (the
    piece is not copied twice, from ``carry + chunk`` then from its slice), and how many
    bytes were read (0 at the end)."""
    data = bytearray(len(carry) + PIECE_BYTES)
    data[: len(carry)] = carry
    got = 0
    with memoryview(data) as view:
        while got < PIECE_BYTES:
            read = text.readinto(view[len(carry) + got :])
            if not read:
                break
            got += read
    del data[len(carry) + got :]
    return data, got


def _gzipped(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(GZIP_MAGIC)) == GZIP_MAGIC


class _InOrder:
    """Pieces handed to the parsing threads, given back in the order they were handed over:
    a piece's batches (then its parser's failure, if it failed), or records left unparsed."""

    def __init__(self) -> None:
        self.waiting: deque[Future[tuple[list[pa.RecordBatch], Exception | None]] | Skipped]
        self.waiting = deque()

    def parse(
        self, parse: Callable[..., Iterator[pa.RecordBatch]], piece: bytes | bytearray, *at: int
    ) -> None:
        self.waiting.append(_parser().submit(_parse_all, parse, piece, *at))

    def skipped(self, records: Skipped) -> None:
        self.waiting.append(records)

    def ready(self, parsing: int) -> Iterator[pa.RecordBatch | Skipped]:
        """What was handed over, in order, until at most ``parsing`` pieces are left."""
        while len(self.waiting) > parsing:
            item = self.waiting.popleft()
            if isinstance(item, Skipped):
                yield item
                continue
            batches, failure = item.result()
            yield from batches  # the records before a failure come first, as in one pass
            if failure is not None:
                raise failure

    def cancel(self) -> None:
        for item in self.waiting:
            if not isinstance(item, Skipped):
                item.cancel()


PARSERS = 2  # pieces parsed side by side at most (Arrow's parser releases the GIL)
# Pieces parsed while the one before them is given back: none in a long-lived process (the
# portal, a publication: each piece ahead is some 10 MB more at its peak, and a publication's
# peak is bounded), more in one that checks one file and ends (:func:`parse_ahead`).
AHEAD = {"pieces": 0}


def parse_ahead(pieces: int) -> None:
    """From now on in this process, parse up to ``pieces`` pieces ahead of the one given back."""
    AHEAD["pieces"] = min(pieces, PARSERS)


_PARSER: list[ThreadPoolExecutor] = []
_PARSER_LOCK = threading.Lock()


def _parser() -> ThreadPoolExecutor:
    """The threads that parse a gzipped file's pieces, started once."""
    with _PARSER_LOCK:
        if not _PARSER:
            _PARSER.append(ThreadPoolExecutor(PARSERS, thread_name_prefix="arrowcsv-parse"))
        return _PARSER[0]


def _parse_all(
    parse: Callable[[Any, int, int, bool, bool], Iterator[pa.RecordBatch]],
    piece: bytes | bytearray,
    skip: int,
    offset: int,
) -> tuple[list[pa.RecordBatch], Exception | None]:
    """A piece's batches, and the parser's failure after them if it failed."""
    batches: list[pa.RecordBatch] = []
    try:
        # An ASCII piece (a machine export's, most often) is valid UTF-8: not checked again.
        for batch in parse(pa.BufferReader(piece), skip, offset, False, piece.isascii()):
            batches.append(batch)
    except (pa.ArrowInvalid, OSError) as exc:
        return batches, exc
    return batches, None


PART_BYTES = 1 << 16  # a second reading's unit: about 800 session records


def _parts(piece: bytes | bytearray) -> Iterator[bytes | bytearray]:
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


_FEEDS = 0x0A0A  # two line feeds read as one 16-bit number (either byte order)


def _line_ends(piece: bytes | bytearray) -> tuple[int, int]:
    """Records of a piece without quotes (its line ends, and a last line without one), and its
    empty lines after its first (a line feed after a line feed, or after a carriage return
    after one: a lone CR's empty lines are not counted)."""
    data = np.frombuffer(piece, dtype=np.uint8)
    ends = int(np.count_nonzero(data == ord("\n")))
    empty = 0
    if len(piece) >= 2:  # "\n\n" at even, then at odd offsets: two bytes read as one number
        even = np.frombuffer(piece, dtype=np.uint16, count=len(piece) // 2)
        odd = np.frombuffer(piece, dtype=np.uint16, count=(len(piece) - 1) // 2, offset=1)
        empty = int(np.count_nonzero(even == _FEEDS)) + int(np.count_nonzero(odd == _FEEDS))
    if b"\r" in piece:
        ends += piece.count(b"\r") - piece.count(b"\r\n")
        returns = np.flatnonzero(data[1:-1] == ord("\r")) + 1  # a CR with a byte either side
        between = (data[returns - 1] == ord("\n")) & (data[returns + 1] == ord("\n"))
        empty += int(np.count_nonzero(between))
    return ends + (not piece.endswith((b"\n", b"\r"))), empty
