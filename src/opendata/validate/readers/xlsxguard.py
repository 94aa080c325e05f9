"""Look inside an xlsx before the Excel reader does, with bounded work.

calamine (the fast reader) trusts what a workbook claims: one cell at XFD1048576 in an 8 kB
file makes it allocate the whole 16,384 x 1,048,576 grid and the process aborts (a native
abort, not an exception: nothing can catch it). So every part of the zip is inflated once as a
stream, counting bytes against the decompressed bound (a zip bomb stops there), the sheets'
cell references and dimension are read as they stream past and compared with the source's row
and column bounds, and XML with a document type declaration (entities: billion laughs, external
entities) or a part whose name climbs out of the archive (zip slip) is refused.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from pathlib import PurePosixPath

from opendata.contracts.limits import Bounds, human, human_bytes
from opendata.report.problems import UnreadableFile

_ZIP_MAGIC = b"PK\x03\x04"
# A cell or row reference (<c r="AB12"…>, <row r="12"…>, <dimension ref="A1:XFD1048576"/>).
_CELL = re.compile(rb'<(?:\w+:)?c\b[^>]*?\br="([A-Z]{1,3})([0-9]{1,8})"')
_ROW = re.compile(rb'<(?:\w+:)?row\b[^>]*?\br="([0-9]{1,8})"')
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\b[^>]*?\bref="(?:[A-Z]+[0-9]+:)?([A-Z]{1,3})([0-9]{1,8})"'
)
_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
# Every row and cell element, with or without a reference: a sheet may leave out ``r=`` (the
# format allows it) and then only counting them bounds what the reader will build.
_ELEMENT = re.compile(rb"<(?:\w+:)?(row|c)(?=[\s>/])")
_CHUNK = 1 << 20
_OVERLAP = 256  # a reference cut between two chunks is read whole from the overlap


def column_number(letters: bytes) -> int:
    """``A`` → 1, ``XFD`` → 16384."""
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


_PASSED: dict[tuple[bytes, Bounds], None] = {}  # workbooks already found safe, by digest
_REMEMBERED = 32


def check(data: bytes, bounds: Bounds) -> None:
    """Raise :class:`UnreadableFile` when the workbook in ``data`` is past ``bounds`` or
    hostile; return when calamine may read it. Not a zip (an old .xls): nothing to check.

    The same bytes under the same bounds get the same verdict: a workbook already passed (the
    portal screens an upload to recognise its source, then validates it) is not inflated
    twice. Only passes are remembered, by a 128-bit BLAKE2 digest of the whole file."""
    if not data.startswith(_ZIP_MAGIC):
        return
    key = (hashlib.blake2b(data, digest_size=16).digest(), bounds)
    if key in _PASSED:
        return
    _inspect(data, bounds)
    if len(_PASSED) >= _REMEMBERED:
        _PASSED.clear()
    _PASSED[key] = None


def _inspect(data: bytes, bounds: Bounds) -> None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UnreadableFile("broken-excel", detail=str(exc)[:200]) from None
    budget = bounds.max_decompressed_bytes
    used = 0
    for info in members:
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith(("/", "\\")) or ".." in parts:
            raise UnreadableFile("broken-excel", detail=f"partie hors de l'archive : {parts[-1]}")
        is_xml = info.filename.endswith((".xml", ".rels", ".vml"))
        is_sheet = info.filename.startswith("xl/worksheets/") and is_xml
        tail = b""
        counter = _Counter(bounds)
        try:
            with archive.open(info) as member:
                while True:
                    chunk = member.read(_CHUNK)
                    if not chunk:
                        break
                    used += len(chunk)
                    if used > budget:
                        raise UnreadableFile(
                            "too-large", limit=human_bytes(budget), what="decompressed-workbook"
                        )
                    window = tail + chunk
                    if is_xml and _DOCTYPE.search(window):
                        raise UnreadableFile("xml-entities", part=info.filename)
                    if is_sheet:
                        _check_references(window, bounds)
                        counter.feed(window, len(tail))
                    tail = window[-_OVERLAP:]
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError) as exc:
            raise UnreadableFile("broken-excel", detail=str(exc)[:200]) from None
        except NotImplementedError as exc:  # a compression method zipfile lacks
            raise UnreadableFile("broken-excel", detail=str(exc)[:200]) from None


def _check_references(window: bytes, bounds: Bounds) -> None:
    rows: list[int] = []
    columns: list[int] = []
    for letters, digits in _CELL.findall(window) + _DIMENSION.findall(window):
        columns.append(column_number(letters))
        rows.append(int(digits))
    rows += [int(r) for r in _ROW.findall(window)]
    # Row 1 is the header: a delivery of max_rows records ends at row max_rows + a few title
    # lines; the bound is counted generously on sheet rows.
    if rows and max(rows) > bounds.max_rows + 20:
        raise UnreadableFile("too-many-rows", limit=human(bounds.max_rows))
    if columns and max(columns) > bounds.max_columns:
        raise UnreadableFile("too-many-columns", row=max(rows or [1]), limit=bounds.max_columns)


class _Counter:
    """Rows and cells of one sheet counted as its XML streams past, in windows that repeat
    the previous window's last bytes: an element is counted in the window where it ends."""

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds
        self.rows = 0
        self.cells = 0  # in the current row

    def feed(self, window: bytes, seen: int) -> None:
        """Count the elements of ``window`` past its first ``seen`` bytes (already read)."""
        for match in _ELEMENT.finditer(window):
            if match.end() < seen:
                continue
            if match.group(1) == b"row":
                self.rows += 1
                self.cells = 0
                if self.rows > self.bounds.max_rows + 20:
                    raise UnreadableFile("too-many-rows", limit=human(self.bounds.max_rows))
            else:
                self.cells += 1
                if self.cells > self.bounds.max_columns:
                    raise UnreadableFile(
                        "too-many-columns", row=self.rows, limit=self.bounds.max_columns
                    )
