"""A delivery's bytes as a grid of cells, whatever its format: CSV in the departments' encodings
(gzipped or not), an Excel workbook (guarded before it is opened), a GeoJSON FeatureCollection.
Every byte read is bounded (:mod:`opendata.contracts.limits`)."""

from __future__ import annotations

import csv
import io
import json
import zlib
from typing import Any

from opendata.contracts import limits
from opendata.contracts.profiles import Profile
from opendata.contracts.registry import Source
from opendata.report.problems import UnreadableFile

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
GZIP_MAGIC = b"\x1f\x8b"
_SPACES = " \t\r\n\u00a0\u202f\u2007\ufeff"


def sniff_format(data: bytes) -> str:
    """What a file really is, from its first bytes: "xlsx", "xls", "gzip", "json" (an object:
    a GeoJSON export) or "text"."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if data.startswith(GZIP_MAGIC):
        return "gzip"
    if data[:64].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"{"):
        return "json"
    return "text"


BINARY_PROBE = 4096  # bytes looked at for NUL bytes: text has none
HEADER_PROBE = 1 << 20  # a gzipped CSV's first line ends within this many bytes


def text_grid(data: bytes, source: Source) -> list[tuple[int, list[Any]]]:
    """The rows of a CSV, gzipped CSV or GeoJSON delivery as the reader sees them, numbered as
    a spreadsheet shows them (for the annotated copy of a steward's file)."""
    kind = sniff_format(data)
    if kind == "json" and geojson_profile(source):
        return [(n, [as_text(c) for c in row]) for n, row in geojson_grid(data, source)]
    if kind == "gzip":
        data = gunzip(data, source.bounds().max_decompressed_bytes)
    return csv_grid(data, source)


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzipped CSV, stopping at ``limit`` bytes of output (a gzip bomb costs no
    more); one whose first bytes are not text (NUL bytes: a gzip of zeros) or hold no line
    end (no CSV header is a mebibyte long) is refused before the rest is inflated."""
    try:
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data, HEADER_PROBE + 1)
    except zlib.error:
        raise UnreadableFile("truncated-gzip") from None
    if b"\x00" in head[:BINARY_PROBE]:
        raise UnreadableFile("binary")
    if len(head) > HEADER_PROBE and b"\n" not in head and b"\r" not in head:
        raise UnreadableFile("header-too-long", limit=limits.human_bytes(HEADER_PROBE))
    out = bytearray()
    rest = data
    try:
        while rest:  # members one after the other, as gzip.decompress does
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += inflater.decompress(rest, limit + 1 - len(out))
            if len(out) > limit:
                raise UnreadableFile(
                    "too-large", limit=limits.human_bytes(limit), what="decompressed"
                )
            if not inflater.eof:
                raise UnreadableFile("truncated-gzip")
            rest = inflater.unused_data.lstrip(b"\x00")
    except zlib.error:
        raise UnreadableFile("truncated-gzip") from None
    return bytes(out)


def _decode(data: bytes, encodings: list[str]) -> str:
    if b"\x00" in data[:BINARY_PROBE]:
        raise UnreadableFile("binary")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("encoding", encodings=", ".join(encodings))


def csv_grid(data: bytes, source: Source) -> list[tuple[int, list[Any]]]:
    text = _decode(data, source.csv.get("encodings", ["utf-8-sig"]))
    delimiter = source.csv.get("delimiter", ",")
    bounds = source.bounds()
    max_cell = bounds.max_cell_chars
    # csv's own field limit (131,072 characters, process-wide: not changed here, threads may
    # read other files) stops a 200 MB line early; shorter cells are checked per row.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    grid: list[tuple[int, list[Any]]] = []
    try:
        for number, row in enumerate(reader, start=1):
            grid.append((number, row))
            _check_size(number, row, bounds)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise UnreadableFile(
                "cell-too-long", row=len(grid) + 1, limit=limits.human(max_cell)
            ) from None
        raise UnreadableFile("malformed-csv", row=len(grid) + 1, detail=str(exc)) from None
    first = next((cells for _, cells in grid if any(c.strip() for c in cells)), [])
    if len(first) == 1 and delimiter not in first[0]:
        for other in (",", ";", "\t", "|"):
            if other != delimiter and other in first[0]:
                raise UnreadableFile("delimiter", expected=delimiter, found=other)
    return grid


def geojson_grid(data: bytes, source: Source) -> list[tuple[int, list[Any]]]:
    """A FeatureCollection as a grid: the properties' names as the header (line 1), feature
    *n* on line *n* + 1, as the annotated copy of the file shows it."""
    import geojson

    text = _decode(data, ["utf-8-sig"])
    try:
        document = geojson.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile("broken-json", line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise UnreadableFile("broken-json", detail="nesting") from None
    except (ValueError, TypeError, AttributeError) as exc:  # a GeoJSON object it refuses
        raise UnreadableFile("broken-json", detail=str(exc)[:200]) from None
    is_collection = isinstance(document, dict) and document.get("type") == "FeatureCollection"
    features = document.get("features") if is_collection else None
    if not isinstance(features, list):
        raise UnreadableFile("not-feature-collection")
    bounds = source.bounds()
    properties: list[dict[str, Any]] = [
        f["properties"] if isinstance(f, dict) and isinstance(f.get("properties"), dict) else {}
        for f in features
    ]
    names: dict[str, None] = {}
    for props in properties:
        names.update(dict.fromkeys(props))
    header = list(names)
    _check_size(1, header, bounds)
    grid: list[tuple[int, list[Any]]] = [(1, header)]
    for number, props in enumerate(properties, start=2):
        row = [props.get(name) for name in header]
        _check_size(number, row, bounds)
        grid.append((number, row))
    return grid


def _check_size(number: int, row: list[Any], bounds: limits.Bounds) -> None:
    """Refuse a row past the source's bounds (rows, columns, cell length)."""
    if number > bounds.max_rows:
        raise UnreadableFile("too-many-rows", limit=limits.human(bounds.max_rows))
    if len(row) > bounds.max_columns:
        raise UnreadableFile("too-many-columns", row=number, limit=bounds.max_columns)
    max_cell = bounds.max_cell_chars
    for cell in row:
        if isinstance(cell, str) and len(cell) > max_cell:
            raise UnreadableFile("cell-too-long", row=number, limit=limits.human(max_cell))


def excel_grid(data: bytes, source: Source) -> tuple[str, list[tuple[int, list[Any]]]]:
    from python_calamine import CalamineWorkbook

    from opendata.validate.readers import xlsxguard  # its zip reading: for a workbook only

    bounds = source.bounds()
    xlsxguard.check(data, bounds)  # before calamine sees it: bombs, huge sheets, entities
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own types for every kind of broken file
        raise UnreadableFile("broken-excel", detail=str(exc).splitlines()[0][:200]) from None
    wanted = source.excel.get("sheet")
    names = list(book.sheet_names)
    sheet_name = next((n for n in names if n.strip().casefold() == str(wanted).casefold()), None)
    if sheet_name is None and (len(names) == 1 or wanted is None):
        sheet_name = names[0]  # no sheet named by the contract: the first one (a template's)
    if sheet_name is None:
        raise UnreadableFile("missing-sheet", sheet=wanted, sheets=", ".join(names))
    try:
        sheet = book.get_sheet_by_name(sheet_name)
        values = sheet.to_python(skip_empty_area=False)
    except Exception as exc:
        raise UnreadableFile("broken-excel", detail=str(exc).splitlines()[0][:200]) from None
    grid = [(number, list(row)) for number, row in enumerate(values, start=1)]
    for number, row in grid:
        _check_size(number, row, bounds)
    return sheet_name, grid


def is_blank(cells: list[Any]) -> bool:
    return all(as_text(c) == "" for c in cells)


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip(_SPACES)
    if isinstance(value, (dict, list)):  # a GeoJSON property holding an object
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def geojson_profile(source: Source) -> Profile | None:
    return next((p for p in source.profiles if p.format == "geojson"), None)
