"""Spreadsheets for stewards: the errors as CSV, an annotated copy of their own file, and an
Excel template generated from each contract (openpyxl writes them)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.hyperlink import Hyperlink

from opendata.contracts.registry import Source
from opendata.formulas import defuse
from opendata.portal.words import WORDS
from opendata.portal.words_fr import FR
from opendata.report.messages import example_cell, message
from opendata.report.problems import Report, cell_reference, where_in_file
from opendata.validate.readers import grids, xlsxguard

FAULT = PatternFill("solid", fgColor="FFC7CE")  # Excel's own "bad" fill
HEADER = Font(bold=True)
ERRORS_SHEET = FR["book_errors_sheet"]


def errors_csv(report: Report, lang: str = "fr") -> bytes:
    """One line per error (and warning) with its cell reference, for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    t = WORDS[lang if lang in WORDS else "fr"]
    writer.writerow(t["book_csv_columns"].split("|"))
    for problem in report.errors + report.warnings:
        writer.writerow(
            [
                defuse(value)
                for value in (
                    t["book_error"] if problem.severity == "error" else t["book_warning"],
                    where_in_file(problem, report, lang) or t["book_file"],
                    "" if problem.row is None else str(problem.row),
                    problem.label or "",
                    problem.type,
                    problem.cell or "",
                    message(problem, lang),
                )
            ]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: Excel reads UTF-8 then


def _copy_of_csv(path: Path, source: Source) -> Workbook:
    grid = grids.text_grid(path.read_bytes(), source)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = source.name[:31]
    for _, row in grid:
        sheet.append([defuse(c) if isinstance(c, str) else c for c in row])
    return book


def annotated_copy(path: Path, source: Source, report: Report) -> bytes:
    """The steward's file as .xlsx: every faulty cell filled and carrying a comment with the
    message, and a first sheet listing the errors with a link to each cell."""
    if source.format == "xlsx":
        data = path.read_bytes()
        xlsxguard.check(data, source.bounds())
        book = load_workbook(io.BytesIO(data))
        sheet = book[report.sheet] if report.sheet in book.sheetnames else book.worksheets[0]
    else:
        book = _copy_of_csv(path, source)
        sheet = book.worksheets[0]
    name = sheet.title
    notes: dict[str, list[str]] = {}
    listing = book.create_sheet(ERRORS_SHEET, 0)
    listing.append(FR["book_errors_columns"].split("|"))
    for cell in listing[1]:
        cell.font = HEADER
    for problem in report.errors:
        ref = cell_reference(problem)
        text = message(problem, "fr")
        # The column as the steward wrote it: a header "=Code site" stays text, not a formula.
        listing.append([None, problem.row, defuse(problem.label or ""), defuse(text)])
        link = listing.cell(row=listing.max_row, column=1)
        if ref is not None and not ref.isdigit():
            notes.setdefault(ref, []).append(text)
            link.value = cell_reference(problem, name)
            link.hyperlink = Hyperlink(ref=link.coordinate, location=link.value)
            link.style = "Hyperlink"
        else:
            link.value = FR["book_file"] if ref is None else FR["book_row"].format(row=ref)
    for ref, texts in notes.items():
        cell = sheet[ref]
        cell.fill = FAULT
        cell.comment = Comment("\n".join(texts), "opendata", width=320, height=120)
    for column, width in (("A", 16), ("B", 8), ("C", 28), ("D", 100)):
        listing.column_dimensions[column].width = width
    listing.freeze_panes = "A2"
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


_NUMBER_FORMATS = {"integer": "0", "year": "0", "number": "0.########"}


def _date_format(field: dict[str, Any]) -> str:
    fmt = field.get("format", "default")
    if fmt in ("default", "any"):
        fmt = "%Y-%m-%d"
    for code, word in (("%d", "dd"), ("%m", "mm"), ("%Y", "yyyy"), ("%H", "hh"), ("%M", "mm")):
        fmt = fmt.replace(code, word)
    return fmt


def template(source: Source) -> bytes:
    """An empty workbook to fill for ``source``: the header in the department's labels,
    drop-down lists for allowed values, input help from each description, number and date
    formats, and a notice sheet. For a CSV source, the notice says how to save it as CSV."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = str(source.excel.get("sheet") or FR["book_data_sheet"])[:31]
    lists = book.create_sheet(FR["book_lists_sheet"])
    for index, field in enumerate(source.schema["fields"], start=1):
        _template_column(sheet, lists, index, field)
    sheet.freeze_panes = "A2"
    lists.sheet_state = "hidden"
    _notice(book.create_sheet(FR["book_notice_sheet"]), source, sheet.title)
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _template_column(sheet: Any, lists: Any, index: int, field: dict[str, Any]) -> None:
    """One column of the template: its header, its list or help, its number format."""
    letter = get_column_letter(index)
    head = sheet.cell(row=1, column=index, value=field["name"])
    head.font = HEADER
    sheet.column_dimensions[letter].width = max(14, min(40, len(field["name"]) + 4))
    constraints = field.get("constraints", {})
    enum = constraints.get("enum")
    ftype = field.get("type", "string")
    if enum:
        for row, value in enumerate(enum, start=1):
            lists.cell(row=row, column=index, value=str(value))
        rule = DataValidation(
            type="list",
            formula1=f"{quote_sheetname(FR['book_lists_sheet'])}!${letter}$1:${letter}${len(enum)}",
            allow_blank=not constraints.get("required"),
        )
        rule.error = FR["book_pick"]
        rule.errorTitle = FR["book_unexpected"]
        rule.showErrorMessage = True
    else:
        rule = DataValidation(type="custom", formula1="TRUE", allow_blank=True)
    rule.prompt = (field.get("description") or field["name"])[:250]
    rule.promptTitle = field["name"][:32]
    rule.showInputMessage = True
    rule.add(f"{letter}2:{letter}2000")
    sheet.add_data_validation(rule)
    if ftype in ("date", "datetime"):
        number_format = _date_format(field)
    elif ftype in _NUMBER_FORMATS:
        number_format = _NUMBER_FORMATS[ftype]
    else:
        number_format = "@"  # text: codes such as 75011 or a SIRET keep their zeros
    for row in range(2, 2001):
        sheet.cell(row=row, column=index).number_format = number_format


def _notice(notice: Any, source: Source, sheet_title: str) -> None:
    """The notice sheet: what to fill, how to save a CSV, and every column described."""
    notice.append([FR["book_title"].format(title=source.title)])
    notice["A1"].font = Font(bold=True, size=14)
    notice.append([FR["book_fill"].format(sheet=sheet_title)])
    if source.format != "xlsx":
        delimiter = source.csv.get("delimiter", ",")
        said = FR["book_semicolon"] if delimiter == ";" else delimiter
        notice.append([FR["book_save_csv"].format(delimiter=said)])
    notice.append([FR["book_check_first"]])
    notice.append([])
    notice.append(FR["book_notice_columns"].split("|"))
    for cell in notice[notice.max_row]:
        cell.font = HEADER
    for field in source.schema["fields"]:
        constraints = field.get("constraints", {})
        enum = constraints.get("enum") or []
        notice.append(
            [
                field["name"],
                FR["book_yes"] if constraints.get("required") else FR["book_no"],
                message_type(field),
                field.get("description", ""),
                example_cell(field),
                ", ".join(str(v) for v in enum[:50]),
            ]
        )
    for column, width in (("A", 28), ("B", 12), ("C", 30), ("D", 70), ("E", 24), ("F", 40)):
        notice.column_dimensions[column].width = width


def message_type(field: dict[str, Any]) -> str:
    from opendata.report.messages import expected

    return expected({k: v for k, v in field.items() if k != "example"}, "fr")


def template_sources(sources: dict[str, Source]) -> list[Source]:
    """Sources a person fills in (machine exports, on the Arrow engine, get no template)."""
    return [s for s in sources.values() if s.engine != "arrow"]
