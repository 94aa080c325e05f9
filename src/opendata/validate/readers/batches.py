"""A large machine export's batches, as this process reads them: read ahead in a thread, of the
size this process checks at a time, and, in a command that checks one file and ends, begun
before the checks are imported (:func:`start`)."""

from __future__ import annotations

import threading
from pathlib import Path

from opendata.contracts.limits import Bounds
from opendata.report.problems import UnreadableFile
from opendata.validate.readers import arrowcsv, csvpieces, prefetch
from opendata.validate.readers.arrowcsv import StringTable
from opendata.validate.readers.grids import sniff_format
from opendata.validate.readers.prefetch import Reading

# Text of a file kept in memory for the rows the key check looks at again; a larger file is
# read a second time for them. A long-lived process (the portal, a publication) keeps little;
# a command that checks one file and ends keeps a month whole (see :func:`one_file_reading`).
KEEP_BYTES = 48 << 20
ONE_FILE_KEEP_BYTES = 256 << 20
ONE_FILE_BATCH_BYTES = 8 << 20  # checked at a time by a one-file command (the reader's: 4 MiB)
# How this process checks a large file (batch_bytes 0: the reader's own size).
PROCESS = {"keep_bytes": KEEP_BYTES, "batch_bytes": 0}


def one_file_reading() -> None:
    """Read large files as a process that validates one file and ends (``opendata validate``,
    through :func:`opendata.validate.onefile.set_up`): pandas never imported (pyarrow
    imports it on its first array built from Python, 0.16 s), freed memory reused, pieces of
    a gzipped file parsed two at a time, batches twice as large (half the calls, 0.07 s),
    and a file of up to :data:`ONE_FILE_KEEP_BYTES` of text kept for the key check instead
    of read twice (0.2 s of a month of 1.2 million rows, whose text is some 150 MB: less
    than ``pyarrow.csv.read_csv`` holds to read it)."""
    prefetch.pyarrow_without_pandas()
    prefetch.freed_memory_reused()
    csvpieces.parse_ahead(csvpieces.PARSERS)
    PROCESS.update(keep_bytes=ONE_FILE_KEEP_BYTES, batch_bytes=ONE_FILE_BATCH_BYTES)


def batches(path: Path, delimiter: str, bounds: Bounds) -> Reading[StringTable]:
    """The file's batches, read ahead, of the size this process checks at a time: the
    reading :func:`start` began, when it was of the same file, delimiter and bounds."""
    with _LOCK:
        started = _STARTED.pop("reading", None)
    if started is not None:
        if started[0] == (path, delimiter, bounds):
            return started[1]
        started[1].close()  # another contract's reading: its thread stops
    _refuse_a_workbook(path)
    if PROCESS["batch_bytes"]:
        read = arrowcsv.iter_strings(path, delimiter, bounds, PROCESS["batch_bytes"])
    else:  # the reader's own size (which tests make small)
        read = arrowcsv.iter_strings(path, delimiter, bounds)
    return arrowcsv.prefetched(read)


_STARTED: dict[str, tuple[tuple[Path, str, Bounds], Reading[StringTable]]] = {}
_LOCK = threading.Lock()


def start(path: Path, delimiter: str, bounds: Bounds) -> None:
    """Begin reading ``path`` now, in the reader's threads, for the :func:`batches` of the
    same file that come next: a command that checks one file starts decompressing and
    parsing it while it imports the checks (some 0.1 s on one core, the other idle). A file
    refused at once (a workbook) is not started: :func:`batches` says why."""
    try:
        reading = batches(path, delimiter, bounds)
    except UnreadableFile:
        return
    with _LOCK:
        _STARTED["reading"] = ((path, delimiter, bounds), reading)


def _refuse_a_workbook(path: Path) -> None:
    """A workbook where a machine export (CSV) is expected: said as such, not as binary."""
    if path.is_symlink() or not path.is_file():
        return  # a link, a FIFO, a folder: the reader refuses it without opening it
    try:
        with path.open("rb") as handle:
            kind = sniff_format(handle.read(8))
    except OSError:
        return  # the reader says why, with its own words
    if kind in ("xlsx", "xls"):
        raise UnreadableFile("expected-csv", found=kind)
