"""Read one raw delivery (CSV, gzipped CSV or Excel) into text cells keyed by contract label.

Readers accept what departments really send (see raw-formats.md): byte-order marks,
Windows-1252, CRLF, title lines above the header, retyped headers, Excel numbers and dates
where the contract expects text, and the other shapes a source's contract declares as delivery
profiles (another system's labels, two fields in one cell, a GeoJSON FeatureCollection: see
:mod:`opendata.contracts.profiles`). Every cell comes out as text, the way the contract writes it,
so that one Table Schema check serves every format. A file that cannot be read at all raises
:class:`~opendata.report.problems.UnreadableFile` with what to do about it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from opendata.contracts import limits
from opendata.contracts.profiles import Profile, part_text
from opendata.contracts.registry import Source
from opendata.report.problems import Problem, UnreadableFile, column_letters
from opendata.validate.readers import safefiles, xlsxguard
from opendata.validate.readers.headers import (
    HeaderMatch,
    header_score,
    match_header,
    normalize_label,
)

HEADER_SEARCH_ROWS = 15
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIALS = (18264, 73051)  # 1950-01-01 to 2099-12-31
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_GZIP_MAGIC = b"\x1f\x8b"
_SPACES = " \t\r\n\u00a0\u202f\u2007\ufeff"


@dataclass
class RawTable:
    """The cells of one delivery, as text, with the row numbers a spreadsheet shows."""

    source: Source
    header_row: int
    match: HeaderMatch
    cells: dict[str, list[str | None]]  # contract label -> cells (None: the row has no such cell)
    row_numbers: list[int]
    problems: list[Problem]
    sheet: str | None = None  # the workbook's sheet the rows come from (None for CSV)
    profile: Profile | None = None  # the delivery profile the file was read with, if any

    def label(self, contract_label: str) -> str:
        """The column label as the steward wrote it (the contract's when the column is missing)."""
        return self.match.written.get(contract_label, contract_label)

    def position(self, contract_label: str) -> int:
        """Column index in the file, for ordering findings left to right."""
        return self.match.columns.get(contract_label, -1)

    def __len__(self) -> int:
        return len(self.row_numbers)


def sniff_format(data: bytes) -> str:
    """What a file really is, from its first bytes: "xlsx", "xls", "gzip", "json" (an object:
    a GeoJSON export) or "text"."""
    if data.startswith(_ZIP_MAGIC):
        return "xlsx"
    if data.startswith(_OLE_MAGIC):
        return "xls"
    if data.startswith(_GZIP_MAGIC):
        return "gzip"
    if data[:64].removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n").startswith(b"{"):
        return "json"
    return "text"


def _geojson_profile(source: Source) -> Profile | None:
    return next((p for p in source.profiles if p.format == "geojson"), None)


def read_delivery(path: Path, source: Source) -> RawTable:
    """Read a delivery of ``source``; raise UnreadableFile when it is not one at all."""
    try:
        data = safefiles.read_bytes(path, source.bounds().max_file_bytes)
    except OSError as exc:
        raise UnreadableFile("os-error", detail=exc.strerror or str(exc)) from None
    if not data.strip():
        raise UnreadableFile("empty")
    kind = sniff_format(data)
    expects_excel = source.format == "xlsx"
    if expects_excel and kind in ("xlsx", "xls"):
        sheet, grid = _excel_grid(data, source)
        table = _table_from_grid(grid, source)
        table.sheet = sheet
        return table
    elif expects_excel:
        raise UnreadableFile("expected-excel", found=kind)
    elif kind in ("xlsx", "xls"):
        raise UnreadableFile("expected-csv", found=kind)
    elif kind == "json":
        profile = _geojson_profile(source)
        if profile is None:
            raise UnreadableFile("unexpected-json")
        return _table_from_grid(_geojson_grid(data, source), source, "geojson")
    else:
        if kind == "gzip":
            data = _gunzip(data, source.bounds().max_decompressed_bytes)
        grid = _csv_grid(data, source)
    return _table_from_grid(grid, source)


def text_grid(data: bytes, source: Source) -> list[tuple[int, list[Any]]]:
    """The rows of a CSV, gzipped CSV or GeoJSON delivery as the reader sees them, numbered as
    a spreadsheet shows them (for the annotated copy of a steward's file)."""
    kind = sniff_format(data)
    if kind == "json" and _geojson_profile(source):
        return [(n, [_text(c) for c in row]) for n, row in _geojson_grid(data, source)]
    if kind == "gzip":
        data = _gunzip(data, source.bounds().max_decompressed_bytes)
    return _csv_grid(data, source)


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress, stopping at ``limit`` bytes of output (a gzip bomb costs no more)."""
    out = bytearray()
    rest = data
    try:
        while rest:  # members one after the other, as gzip.decompress does
            inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
            out += inflater.decompress(rest, limit + 1 - len(out))
            if len(out) > limit:
                raise UnreadableFile(
                    "too-large", limit=limits.human_bytes(limit), what="le fichier décompressé"
                )
            if not inflater.eof:
                raise UnreadableFile("truncated-gzip")
            rest = inflater.unused_data.lstrip(b"\x00")
    except zlib.error:
        raise UnreadableFile("truncated-gzip") from None
    return bytes(out)


def _decode(data: bytes, encodings: list[str]) -> str:
    if b"\x00" in data[:4096]:
        raise UnreadableFile("binary")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("encoding", encodings=", ".join(encodings))


def _csv_grid(data: bytes, source: Source) -> list[tuple[int, list[Any]]]:
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


def _geojson_grid(data: bytes, source: Source) -> list[tuple[int, list[Any]]]:
    """A FeatureCollection as a grid: the properties' names as the header (line 1), feature
    *n* on line *n* + 1, as the annotated copy of the file shows it."""
    import geojson

    text = _decode(data, ["utf-8-sig"])
    try:
        document = geojson.loads(text)
    except json.JSONDecodeError as exc:
        raise UnreadableFile(
            "broken-json", detail=f"ligne {exc.lineno}, caractère {exc.colno}"
        ) from None
    except RecursionError:
        raise UnreadableFile("broken-json", detail="imbrication trop profonde") from None
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


def _excel_grid(data: bytes, source: Source) -> tuple[str, list[tuple[int, list[Any]]]]:
    from python_calamine import CalamineWorkbook

    bounds = source.bounds()
    xlsxguard.check(data, bounds)  # before calamine sees it: bombs, huge sheets, entities
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises its own types for every kind of broken file
        raise UnreadableFile("broken-excel", detail=str(exc).splitlines()[0][:200]) from None
    wanted = source.excel.get("sheet")
    names = list(book.sheet_names)
    sheet_name = next((n for n in names if n.strip().casefold() == str(wanted).casefold()), None)
    if sheet_name is None and len(names) == 1:
        sheet_name = names[0]
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


def _is_blank(cells: list[Any]) -> bool:
    return all(_text(c) == "" for c in cells)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip(_SPACES)
    if isinstance(value, (dict, list)):  # a GeoJSON property holding an object
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _readings(source: Source, fmt: str) -> list[tuple[Profile | None, list[str]]]:
    """The shapes a file of this format may have, with the labels each expects: the
    contract's own first (it wins a tie), then its delivery profiles."""
    found: list[tuple[Profile | None, list[str]]] = []
    if fmt != "geojson":
        found.append((None, source.labels))
    found += [(p, p.expected(source.labels)) for p in source.profiles if p.format == fmt]
    return found


def _find_header(
    grid: list[tuple[int, list[Any]]], source: Source, fmt: str = "csv"
) -> tuple[int, Profile | None]:
    """Index in ``grid`` of the header row, the first row naming enough of the labels of one
    of the file's possible shapes, and the profile of the shape it matches best."""
    readings = _readings(source, fmt)
    for index, (_, cells) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        texts = [_text(c) for c in cells]
        best: tuple[float, Profile | None] | None = None
        for profile, labels in readings:
            score = header_score(texts, labels)
            need = min(max(2, (len(labels) + 1) // 2), len(labels))
            if score >= need and (best is None or score / len(labels) > best[0]):
                best = (score / len(labels), profile)
        if best is not None:
            return index, best[1]
    raise UnreadableFile("no-header", expected=" ; ".join(source.labels))


def _profile_match(header: list[str], source: Source, profile: Profile) -> HeaderMatch:
    """The header of an export in ``profile``'s shape, lined up with the contract: each
    contract field at the column that holds it (a split column for each of its parts)."""
    expected = profile.expected(source.labels)
    found = match_header(header, expected + [c for c in profile.ignore if c not in expected])
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    for label in source.labels:
        file_label = profile.file_label(label)
        split = profile.split_of(label)
        if split is not None:
            file_label = split[0].column
        if file_label is None or file_label not in found.columns:
            continue
        columns[label] = found.columns[file_label]
        as_written = found.written[file_label]
        written[label] = f"{as_written} ({label})" if split is not None else as_written
    missing = [label for label in expected if label not in found.columns]
    return HeaderMatch(columns, written, missing, found.extra, found.duplicates, found.unnamed)


def excel_value_text(value: Any, field: dict[str, Any]) -> str:
    """Write an Excel-native value (number, date) the way the contract expects it as text.

    Departments' workbooks hold numbers, dates and SIRET codes either as Excel values or as
    text: rendering the former in the contract's textual form lets one check serve both.
    """
    ftype = field.get("type", "string")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        value = value.date()
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        fmt = field.get("format", "default")
        if ftype == "date" and fmt not in ("default", "any"):
            return value.strftime(fmt)
        return value.isoformat()
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if (
        ftype == "date"
        and isinstance(value, (int, float))
        and EXCEL_SERIALS[0] <= value <= EXCEL_SERIALS[1]
    ):
        # A date cell whose format was lost reads as its serial number (days since 1899-12-30).
        value = EXCEL_EPOCH + dt.timedelta(days=int(value))
        fmt = field.get("format", "default")
        return value.strftime(fmt) if fmt not in ("default", "any") else value.isoformat()
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        text = repr(value)
        return text.replace(".", field.get("decimalChar", ".")) if ftype == "number" else text
    return _text(value)


_THOUSANDS_SPACES = str.maketrans({c: " " for c in "\u00a0\u202f\u2007\t"})


def _cell_text(value: Any, field: dict[str, Any]) -> str:
    if not isinstance(value, str):
        return excel_value_text(value, field)
    text = _text(value)
    if field.get("type") == "number" and str(field.get("groupChar", "")).isspace():
        # A space as the thousands separator stands for every space spreadsheets write
        # there (no-break, narrow no-break, figure): one space before the engine reads it.
        text = text.translate(_THOUSANDS_SPACES).replace(" ", field["groupChar"])
    return text


def _table_from_grid(
    grid: list[tuple[int, list[Any]]], source: Source, fmt: str = "csv"
) -> RawTable:
    header_index, profile = _find_header(grid, source, fmt)
    header_number, header_cells = grid[header_index]
    header = [_text(c) for c in header_cells]
    if profile is None:
        match = match_header(header, source.labels)
    else:
        match = _profile_match(header, source, profile)
    problems: list[Problem] = []
    for label in match.missing:
        problems.append(Problem("missing-label", label=label, params={"expected": label}))
    for index, label in match.extra:
        problems.append(
            Problem("extra-label", label=label, severity="warning", params={"position": index})
        )
    for index, label in match.duplicates:
        problems.append(Problem("duplicate-label", label=label, params={"position": index}))

    fields = {f["name"]: f for f in source.schema["fields"]}
    width = len(header_cells)
    body = grid[header_index + 1 :]
    while body and _is_blank(body[-1][1]):
        body.pop()  # trailing blank lines (Excel's formatted-but-empty rows, a final newline)
    for index in match.unnamed:
        # A column with values but no header: nothing of it can be published, say so.
        filled = [n for n, row in body if index < len(row) and _text(row[index])]
        if filled:
            problems.append(
                Problem(
                    "unlabelled-column",
                    severity="warning",
                    params={
                        "position": index,
                        "column": column_letters(index + 1),
                        "count": len(filled),
                        "first": filled[0],
                    },
                )
            )
    cells: dict[str, list[str | None]] = {label: [] for label in match.columns}
    splits = {
        label: found for label in match.columns if profile and (found := profile.split_of(label))
    }
    row_numbers: list[int] = []
    for number, row in body:
        if _is_blank(row):
            problems.append(Problem("blank-row", row=number, severity="warning"))
            continue
        row_numbers.append(number)
        for label, index in match.columns.items():
            if index >= len(row):
                cells[label].append(None)
                continue
            value = row[index]
            if label in splits:
                split, part = splits[label]
                value = part_text(split.parts(value)[part], split, fields[label])
            cells[label].append(_cell_text(value, fields[label]))
        if len(row) < width:
            for label, index in match.columns.items():
                if index >= len(row):
                    problems.append(
                        Problem(
                            "missing-cell",
                            row=number,
                            label=match.written[label],
                            params={"position": index},
                        )
                    )
        for index in range(width, len(row)):
            if _text(row[index]):
                problems.append(
                    Problem(
                        "extra-cell",
                        row=number,
                        cell=_text(row[index]),
                        params={"position": index, "column": index + 1},
                    )
                )
    return RawTable(source, header_number, match, cells, row_numbers, problems, profile=profile)


_HEAD_BYTES = 256 * 1024  # enough for the title lines and the header of any delivery
_LABEL_CHARS = 120  # longer cells are data, never a column label: not folded


def _head_rows(data: bytes, source: Source, guarded: bool = False) -> list[list[str]]:
    """The first rows of a file as ``source`` would read them, cheaply: only the beginning of a
    CSV (decompressed up to a bound), the first rows of every sheet of a workbook."""
    kind = sniff_format(data)
    if kind == "json":
        return [_geojson_head(data)] if _geojson_profile(source) else []
    if kind in ("xlsx", "xls"):
        from python_calamine import CalamineWorkbook

        if source.format != "xlsx":
            return []
        if not guarded:
            xlsxguard.check(data, source.bounds())
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows: list[list[str]] = []
        for name in book.sheet_names:
            values = book.get_sheet_by_name(name).to_python(
                skip_empty_area=False, nrows=HEADER_SEARCH_ROWS
            )
            rows += [[_text(c) for c in row] for row in values[:HEADER_SEARCH_ROWS]]
        return rows
    if source.format == "xlsx":
        return []
    head = data[:_HEAD_BYTES]
    if kind == "gzip":
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[:_HEAD_BYTES], _HEAD_BYTES)
    text = head.decode("utf-8-sig", "replace")
    if "\ufffd" in text:
        text = head.decode("cp1252", "replace")
    lines = text.splitlines()[:HEADER_SEARCH_ROWS]
    delimiter = source.csv.get("delimiter", ",")
    return [[_text(c) for c in row] for row in csv.reader(lines, delimiter=delimiter)]


def _geojson_head(data: bytes) -> list[str]:
    """The property names of the first feature of a GeoJSON export, from its beginning."""
    text = data[:_HEAD_BYTES].decode("utf-8-sig", "replace")
    start = text.find('"properties"')
    if start < 0:
        return []
    start = text.find("{", start)
    try:
        properties, _ = json.JSONDecoder().raw_decode(text, start)
    except (ValueError, RecursionError):
        return []
    return [str(key) for key in properties] if isinstance(properties, dict) else []


@lru_cache(maxsize=64)
def _folded(labels: tuple[str, ...]) -> frozenset[str]:
    return frozenset(map(normalize_label, labels))


def propose_sources(
    data: bytes, sources: list[Source], guarded: bool = False
) -> list[tuple[Source, float]]:
    """The sources whose contract the file's header matches, best first, with the share of
    the contract's labels found, or of one of its delivery profiles' (tolerant as the
    validator is: case, accents, order).
    ``guarded``: a workbook already passed :func:`opendata.validate.readers.xlsxguard.check`."""
    scored: list[tuple[Source, float]] = []
    seen: dict[tuple[str, str], list[set[str]] | None] = {}
    fmt = "geojson" if sniff_format(data[:64]) == "json" else "csv"
    for source in sources:
        # Sources read the same way share one reading (a workbook is opened once).
        how = (source.format == "xlsx", source.csv.get("delimiter", ","))
        key = (
            ("xlsx", "")
            if how[0]
            else ("csv", how[1] + ("+geojson" * bool(_geojson_profile(source))))
        )
        if key not in seen:
            try:  # each row's cells folded once, compared with every contract
                seen[key] = [
                    {normalize_label(c) for c in row if len(c) <= _LABEL_CHARS}
                    for row in _head_rows(data, source, guarded)
                ]
            except Exception:  # a file this source cannot read at all: not a candidate
                seen[key] = None
        rows = seen[key]
        if rows is None:
            continue
        share = 0.0
        for _, labels in _readings(source, fmt):
            wanted = _folded(tuple(labels))
            best = max((len(row & wanted) for row in rows), default=0)
            if best >= 2:
                share = max(share, best / len(labels))
        if share:
            scored.append((source, share))
    return sorted(scored, key=lambda item: -item[1])
