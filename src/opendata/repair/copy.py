"""Write the corrected copy of a steward's own file: same format, sheets, order and styles (a
workbook is edited in place by openpyxl; a CSV file keeps its encoding, byte-order mark,
delimiter and line ends), with only the certain corrections applied and each listed: on a
sheet *Corrections* of a workbook, in a side file ``<name>.corrections.csv`` beside a CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata.contracts.registry import Source
from opendata.formulas import defuse
from opendata.repair.certain import WHY, Correction, corrections
from opendata.report.problems import Report, UnreadableFile, column_letters
from opendata.storage import write_file
from opendata.validate.file import Validation
from opendata.validate.readers import safefiles
from opendata.validate.readers.lenient import RawTable, read_delivery

BOM = b"\xef\xbb\xbf"

# The columns of the list of corrections (its sheet, or its CSV beside the copy).
LISTING_HEADER = {
    "fr": ("Cellule", "Colonne", "Avant", "Après", "Pourquoi"),
    "en": ("Cell", "Column", "Before", "After", "Why"),
}


class NotRepairable(Exception):
    """No corrected copy of this kind of file (``kind`` names the reason, for the message)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


REFUSALS = {
    "fr": {
        "machine-export": "pas de copie corrigée pour un export machine (journaux de connexion) : "
        "corrigez l'export à sa source",
        "profile": "pas de copie corrigée pour ce format (lu comme « {profile} ») : corrigez le "
        "fichier d'origine d'après le rapport",
        "same-file": "la copie corrigée ne remplace jamais votre fichier : donnez un autre nom "
        "de sortie",
    },
    "en": {
        "machine-export": "no corrected copy of a machine export (connection logs): correct "
        "the export at its source",
        "profile": "no corrected copy of this format (read as “{profile}”): correct the "
        "original file after the report",
        "same-file": "the corrected copy never replaces your file: give another output name",
    },
}


@dataclass
class Repaired:
    """What was corrected, where the copy and its list are."""

    corrections: list[Correction]
    output: Path | None
    listing: Path | None = None  # the side file of a CSV copy
    sheet: str | None = None
    profile: str | None = None
    notes: list[str] = field(default_factory=list)

    def reference(self, c: Correction) -> str:
        ref = f"{column_letters(c.position + 1)}{c.row}"
        return f"{self.sheet}!{ref}" if self.sheet else ref


def plan(path: Path, source: Source, report: Report) -> tuple[RawTable, list[Correction], Any]:
    """Read the file again and decide its certain corrections (no file written)."""
    if source.engine == "arrow":
        raise NotRepairable("machine-export")
    raw = read_delivery(path, source)
    if raw.profile is not None:
        raise NotRepairable("profile")
    if raw.sheet is not None:
        import openpyxl

        book = openpyxl.load_workbook(path)  # not read-only: styles, widths, comments kept
        sheet = book[raw.sheet]

        def cell(row: int, position: int) -> Any:
            return sheet.cell(row, position + 1).value

        found = corrections(
            source, report, raw.match.columns, raw.match.written, raw.row_numbers, cell
        )
        return raw, found, book
    text, encoding, bom = _decoded(path, source)
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(source)))

    def csv_cell(row: int, position: int) -> Any:
        cells = records[row - 1] if 0 < row <= len(records) else []
        return cells[position] if position < len(cells) else None

    found = corrections(
        source, report, raw.match.columns, raw.match.written, raw.row_numbers, csv_cell
    )
    return raw, found, (records, text, encoding, bom)


def count(path: Path, source: Source, validation: Validation) -> int:
    """How many cells :func:`write` would correct, from the validation just made of ``path``
    (its rows and columns: the file is not read as a delivery again) and, for a workbook,
    its cells streamed by openpyxl's read-only mode (no styles: the full load :func:`plan`
    needs to write the copy takes three times as long). The same corrections decided."""
    report = validation.report
    if source.engine == "arrow":
        raise NotRepairable("machine-export")
    if report.profile is not None:
        raise NotRepairable("profile")
    if report.sheet is None or not validation.positions:  # a CSV, or a kept validation
        return len(plan(path, source, report)[1])
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        last = max(validation.rows, default=0)
        width = max(validation.positions.values(), default=-1) + 1
        rows = list(
            book[report.sheet].iter_rows(min_row=1, max_row=last, max_col=width, values_only=True)
        )
    finally:
        book.close()

    def cell(row: int, position: int) -> Any:
        values = rows[row - 1] if 0 < row <= len(rows) else ()
        return values[position] if position < len(values) else None

    positions, written = validation.positions, validation.written
    return len(corrections(source, report, positions, written, validation.rows, cell))


def write(path: Path, source: Source, report: Report, output: Path, lang: str = "fr") -> Repaired:
    """Write the corrected copy of ``path`` to ``output`` (never over ``path``)."""
    if output.resolve() == path.resolve():
        raise NotRepairable("same-file")
    raw, found, state = plan(path, source, report)
    repaired = Repaired(found, output, sheet=raw.sheet)
    if raw.sheet is not None:
        write_file(output, _workbook(state, raw.sheet, found, repaired, lang))
        return repaired
    records, text, encoding, bom = state
    write_file(
        output, (BOM if bom else b"") + _csv_text(records, text, found, source).encode(encoding)
    )
    repaired.listing = output.with_name(output.name + ".corrections.csv")
    write_file(repaired.listing, _listing_csv(found, repaired, lang))
    return repaired


def _csv_text(records: list[list[str]], text: str, found: list[Correction], source: Source) -> str:
    """The CSV file with its corrected records written anew and every other line as it was,
    quotes included (when each record is one line); else every record written anew."""
    ends = "\r\n" if "\r\n" in text else "\n"
    delimiter = _delimiter(source)
    for c in found:
        records[c.row - 1][c.position] = str(c.after)
    lines = text.split(ends)
    one_line_each = len(lines) in (len(records), len(records) + 1) and all(
        next(csv.reader([line], delimiter=delimiter), []) == original
        for line, original in zip(lines, _reparsed(text, delimiter), strict=False)
    )
    if not one_line_each:
        out = io.StringIO(newline="")
        csv.writer(out, delimiter=delimiter, lineterminator=ends).writerows(records)
        return out.getvalue()
    for row in sorted({c.row for c in found}):
        out = io.StringIO(newline="")
        csv.writer(out, delimiter=delimiter, lineterminator="").writerow(records[row - 1])
        lines[row - 1] = out.getvalue()
    return ends.join(lines)


def _reparsed(text: str, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _workbook(
    book: Any, sheet_name: str, found: list[Correction], repaired: Repaired, lang: str
) -> bytes:
    sheet = book[sheet_name]
    for c in found:
        cell = sheet.cell(c.row, c.position + 1)
        cell.value = c.after
        if c.why == "zero":
            cell.number_format = "@"  # text: Excel would drop the zero again
        if isinstance(c.after, str) and c.after.startswith("="):
            cell.data_type = "s"  # a value, never a formula
    title = "Corrections"
    while title in book.sheetnames:
        title += "_"
    listing = book.create_sheet(title)
    for values in _rows(found, repaired, lang):
        listing.append(values)
        for cell in listing[listing.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rows(found: list[Correction], repaired: Repaired, lang: str) -> list[list[Any]]:
    header = list(LISTING_HEADER[lang if lang in LISTING_HEADER else "fr"])
    lines: list[list[Any]] = [header]
    for c in found:
        before = "" if c.before is None else c.before
        lines.append([repaired.reference(c), c.label, before, c.after, WHY[lang][c.why]])
    return lines


def _listing_csv(found: list[Correction], repaired: Repaired, lang: str) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    for values in _rows(found, repaired, lang):
        writer.writerow([defuse(v) if isinstance(v, str) else v for v in values])
    return BOM + out.getvalue().encode("utf-8")


def _delimiter(source: Source) -> str:
    return str(source.csv.get("delimiter", ","))


def _decoded(path: Path, source: Source) -> tuple[str, str, bool]:
    data = safefiles.read_bytes(path, source.bounds().max_file_bytes)
    bom = data.startswith(BOM)
    body = data[3:] if bom else data
    for encoding in source.csv.get("encodings", ["utf-8-sig"]):
        name = "utf-8" if encoding.lower().replace("_", "-") == "utf-8-sig" else encoding
        try:
            return body.decode(name), name, bom
        except UnicodeDecodeError:
            continue
    raise UnreadableFile("encoding", encodings=", ".join(source.csv.get("encodings", [])))
