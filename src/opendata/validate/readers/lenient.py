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

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from opendata.contracts.profiles import Profile, part_text
from opendata.contracts.registry import Source
from opendata.report.problems import Problem, UnreadableFile, column_letters
from opendata.validate.readers import safefiles
from opendata.validate.readers.grids import (
    as_text,
    csv_grid,
    excel_grid,
    geojson_grid,
    geojson_profile,
    gunzip,
    is_blank,
    sniff_format,
)
from opendata.validate.readers.headers import (
    HeaderMatch,
    header_score,
    match_header,
)

HEADER_SEARCH_ROWS = 15
EXCEL_EPOCH = dt.date(1899, 12, 30)
EXCEL_SERIALS = (18264, 73051)  # 1950-01-01 to 2099-12-31


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
    features: bool = False  # a GeoJSON file: each row a feature, each column a property

    def label(self, contract_label: str) -> str:
        """The column label as the steward wrote it (the contract's when the column is missing)."""
        return self.match.written.get(contract_label, contract_label)

    def position(self, contract_label: str) -> int:
        """Column index in the file, for ordering findings left to right."""
        return self.match.columns.get(contract_label, -1)

    def __len__(self) -> int:
        return len(self.row_numbers)


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
    if kind in ("xlsx", "xls") and source.accepts_workbooks:
        sheet, grid = excel_grid(data, source)
        table = _table_from_grid(grid, source)
        table.sheet = sheet
        return table
    elif expects_excel:
        raise UnreadableFile("expected-excel", found=kind)
    elif kind in ("xlsx", "xls"):
        raise UnreadableFile("expected-csv", found=kind)
    elif kind == "json":
        profile = geojson_profile(source)
        if profile is None:
            raise UnreadableFile("unexpected-json")
        table = _table_from_grid(geojson_grid(data, source), source, "geojson")
        table.features = True
        return table
    else:
        if kind == "gzip":
            data = gunzip(data, source.bounds().max_decompressed_bytes)
        grid = csv_grid(data, source)
    return _table_from_grid(grid, source)


def readings(source: Source, fmt: str) -> list[tuple[Profile | None, list[str]]]:
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
    shapes = readings(source, fmt)
    for index, (_, cells) in enumerate(grid[:HEADER_SEARCH_ROWS]):
        texts = [as_text(c) for c in cells]
        best: tuple[float, Profile | None] | None = None
        for profile, labels in shapes:
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
    return as_text(value)


_THOUSANDS_SPACES = str.maketrans({c: " " for c in "\u00a0\u202f\u2007\t"})


def _cell_text(value: Any, field: dict[str, Any]) -> str:
    if not isinstance(value, str):
        return excel_value_text(value, field)
    text = as_text(value)
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
    header = [as_text(c) for c in header_cells]
    if profile is None:
        match = match_header(header, source.labels)
    else:
        match = _profile_match(header, source, profile)
    problems = header_problems(match)
    fields = {f["name"]: f for f in source.schema["fields"]}
    width = len(header_cells)
    body = grid[header_index + 1 :]
    while body and is_blank(body[-1][1]):
        body.pop()  # trailing blank lines (Excel's formatted-but-empty rows, a final newline)
    problems += _unlabelled_columns(match, body)
    cells: dict[str, list[str | None]] = {label: [] for label in match.columns}
    splits = {
        label: found for label in match.columns if profile and (found := profile.split_of(label))
    }
    row_numbers: list[int] = []
    for number, row in body:
        if is_blank(row):
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
        problems += _ragged_cells(match, number, row, width)
    return RawTable(source, header_number, match, cells, row_numbers, problems, profile=profile)


def header_problems(match: HeaderMatch) -> list[Problem]:
    """Labels of the contract missing from the header, extra ones, repeated ones."""
    problems = [
        Problem("missing-label", label=label, params={"expected": label}) for label in match.missing
    ]
    problems += [
        Problem("extra-label", label=label, severity="warning", params={"position": index})
        for index, label in match.extra
    ]
    problems += [
        Problem("duplicate-label", label=label, params={"position": index})
        for index, label in match.duplicates
    ]
    return problems


def _unlabelled_columns(match: HeaderMatch, body: list[tuple[int, list[Any]]]) -> list[Problem]:
    """A column with values but no header: nothing of it can be published, say so."""
    problems = []
    for index in match.unnamed:
        filled = [n for n, row in body if index < len(row) and as_text(row[index])]
        if filled:
            params = {
                "position": index,
                "column": column_letters(index + 1),
                "count": len(filled),
                "first": filled[0],
            }
            problems.append(Problem("unlabelled-column", severity="warning", params=params))
    return problems


def _ragged_cells(match: HeaderMatch, number: int, row: list[Any], width: int) -> list[Problem]:
    """A row shorter than the header (a cell missing per contract column), or longer."""
    problems = []
    if len(row) < width:
        problems += [
            Problem("missing-cell", row=number, label=match.written[label], params={"position": i})
            for label, i in match.columns.items()
            if i >= len(row)
        ]
    for index in range(width, len(row)):
        if as_text(row[index]):
            params = {"position": index, "column": index + 1}
            problems.append(
                Problem("extra-cell", row=number, cell=as_text(row[index]), params=params)
            )
    return problems
