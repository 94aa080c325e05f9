"""Hostile and broken deliveries, generated (never committed): megabytes of them cost seconds.

Each maker writes one file into a folder and returns its path; :data:`HOSTILE` names them with
the sources they apply to ("csv": the CSV sources, "xlsx": the workbook sources, "gz": the
operator's gzipped months). What each must give is in ``test_hostile.py``: a clear message,
exit 1 or 2, bounded time and memory, nothing stored outside quarantine, nothing published.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

from opendata.contracts import registry
from opendata.report.problems import column_letters

MB = 1024**2
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
    'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
    'worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
    'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
    'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_R_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _workbook(sheet: str) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook {_NS} {_R_NS}><sheets>'
        f'<sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )


def _xlsx(path: Path, sheet_xml: bytes | Callable[[zipfile.ZipFile], None], sheet: str) -> Path:
    """A minimal workbook around one sheet's XML (or a writer of it, for streamed parts)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _workbook(sheet))
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        if callable(sheet_xml):
            sheet_xml(archive)
        else:
            archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return path


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet(rows: str, dimension: str = "A1") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><dimension ref="{dimension}"/>'
        f"<sheetData>{rows}</sheetData></worksheet>"
    ).encode()


def _header_row(source: str) -> str:
    labels = registry.source(source).labels
    cells = "".join(_cell(f"{column_letters(i + 1)}1", label) for i, label in enumerate(labels))
    return f'<row r="1">{cells}</row>'


def _sheet_name(source: str) -> str:
    return str(registry.source(source).excel.get("sheet", "Feuil1"))


# --- Makers: (folder, source) -> path --------------------------------------------------------


def empty(folder: Path, source: str) -> Path:
    path = folder / f"empty{_suffix(source)}"
    path.write_bytes(b"")
    return path


def binary(folder: Path, source: str) -> Path:
    path = folder / f"binary{_suffix(source)}"
    path.write_bytes(bytes(range(256)) * 64)
    return path


def png_renamed(folder: Path, source: str) -> Path:
    path = folder / f"photo{_suffix(source)}"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000))
    return path


def truncated_gzip(folder: Path, source: str) -> Path:
    path = folder / "sessions-2008-01.csv.gz"
    data = gzip.compress(b"session_id,site_code\n" + b"0123456789abcdef,PW0001\n" * 5000)
    path.write_bytes(data[: len(data) // 2])
    return path


def gzip_bomb(folder: Path, source: str) -> Path:
    """About 2 MB expanding to 2 GiB (gzip members of zeros, one after the other)."""
    name = "sessions-2008-02.csv.gz" if source == "wifi-sessions" else "bomb.csv.gz"
    member = gzip.compress(b"\x00" * (100 * MB), compresslevel=9, mtime=0)
    path = folder / name
    with path.open("wb") as handle:
        handle.write(gzip.compress(b",".join(h.encode() for h in _header(source)) + b"\n"))
        for _ in range(20):
            handle.write(member)
    return path


def gzip_of_zeros(folder: Path, source: str) -> Path:
    """Zeros and nothing else, not even a header: 14 MB expanding to 2 GiB (the header reader
    once read it whole as one line: 6 GB for the CLI, 4.2 GB in the portal)."""
    name = "sessions-2008-05.csv.gz" if source == "wifi-sessions" else "zeros.csv.gz"
    member = gzip.compress(b"\x00" * (100 * MB), compresslevel=1, mtime=0)
    path = folder / name
    with path.open("wb") as handle:
        for _ in range(20):
            handle.write(member)
    return path


def unclosed_quote_header(folder: Path, source: str) -> Path:
    """A quote opened in the header's first cell and never closed, then 40 MB of rows."""
    header = (_sep(source).join(_header(source)) + "\n").encode()
    rows = b"".join(b"r%07d,x\n" % i for i in range(4_000_000))
    if source == "wifi-sessions" or kind(source) == "gz":
        path = folder / "sessions-2008-06.csv.gz"
        path.write_bytes(gzip.compress(b'"' + header + rows, compresslevel=1, mtime=0))
        return path
    path = folder / "quote.csv"
    path.write_bytes(b'"' + header + rows)
    return path


def _gzip_of(folder: Path, source: str, line: bytes, members: int, member_mb: int) -> Path:
    """The header, then ``line`` again and again: ``members`` gzip members of ``member_mb``
    MiB each once decompressed (one member compressed once, written again)."""
    member = gzip.compress(line * (member_mb * MB // len(line)), compresslevel=9, mtime=0)
    path = folder / "sessions-2008-03.csv.gz"
    with path.open("wb") as handle:
        handle.write(gzip.compress((",".join(_header(source)) + "\n").encode(), mtime=0))
        for _ in range(members):
            handle.write(member)
    return path


def gzip_text_bomb(folder: Path, source: str) -> Path:
    """Valid-looking rows, 2 GiB of them once decompressed."""
    row = b"0123456789abcdef,PW0001,2007-10-12 14:03:27,60,100,10,laptop,Linux,fr\n"
    return _gzip_of(folder, source, row, 32, 64)


def gzip_of_empty_lines(folder: Path, source: str) -> Path:
    """67 million empty lines: each a record of one empty cell, 100 KB once gzipped."""
    return _gzip_of(folder, source, b"\n", 4, 16)


def gzip_of_quoted_empty_lines(folder: Path, source: str) -> Path:
    """One quoted cell (Arrow then reads the file whole), then 67 million empty lines."""
    path = _gzip_of(folder, source, b"\n", 4, 16)
    quoted = gzip.compress(b'"0123456789abcdef",PW0001,2007-10-12 14:03:27,60,100,10,a,b,fr\n')
    data = path.read_bytes()
    head = len(gzip.compress((",".join(_header(source)) + "\n").encode(), mtime=0))
    path.write_bytes(data[:head] + quoted + data[head:])
    return path


def gzip_of_short_records(folder: Path, source: str) -> Path:
    """33 million records of one cell: a wrong delimiter, or not the expected export."""
    return _gzip_of(folder, source, b"x\n", 4, 16)


def one_huge_line(folder: Path, source: str) -> Path:
    """One line of 200 MB (gzipped for the operator's months, plain for the others)."""
    if source == "wifi-sessions":
        path = folder / "sessions-2008-04.csv.gz"
        with gzip.open(path, "wb", compresslevel=1) as handle:
            handle.write((",".join(_header(source)) + "\n").encode())
            block = b"a" * MB
            for _ in range(200):
                handle.write(block)
        return path
    path = folder / "one-line.csv"
    with path.open("wb") as handle:
        handle.write((";".join(_header(source)) + "\r\n").encode())
        handle.write(b"a" * (200 * MB))
    return path


def nul_bytes(folder: Path, source: str) -> Path:
    path = folder / "nul.csv"
    path.write_bytes((";".join(_header(source)) + "\r\n").encode() + b"PW\x00\x00;x\x00\r\n" * 50)
    return path


def utf16(folder: Path, source: str) -> Path:
    path = folder / "utf16.csv"
    path.write_bytes((";".join(_header(source)) + "\r\nx;y\r\n").encode("utf-16"))
    return path


def duplicate_headers(folder: Path, source: str) -> Path:
    header = _header(source)
    path = folder / "duplicate-headers.csv"
    sep = _sep(source)
    row = sep.join("" for _ in header) + sep
    path.write_text(sep.join([*header, header[0]]) + "\r\n" + row + "\r\n", encoding="utf-8")
    return path


def wide_header(folder: Path, source: str) -> Path:
    header = [*_header(source), *(f"colonne {i}" for i in range(100_000))]
    path = folder / "wide-header.csv"
    text = _sep(source).join(header) + "\n"
    if source == "wifi-sessions":
        path = folder / "sessions-2008-05.csv.gz"
        path.write_bytes(gzip.compress(text.encode(), mtime=0))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def formulas_and_html(folder: Path, source: str) -> Path:
    """Every text cell a formula or markup: refused where types say so, escaped everywhere."""
    header = _header(source)
    values = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "<b>x</b>"]
    rows = [
        _sep(source).join(values[(i + j) % len(values)] for j in range(len(header)))
        for i in range(len(values))
    ]
    path = folder / "formulas.csv"
    path.write_text(_sep(source).join(header) + "\r\n" + "\r\n".join(rows) + "\r\n")
    return path


def dates_out_of_range(folder: Path, source: str) -> Path:
    header = _header(source)
    row = ["31/12/9999" if "ate" in h else "0001-01-01" if "ois" in h else "" for h in header]
    path = folder / "far-dates.csv"
    path.write_text(_sep(source).join(header) + "\r\n" + _sep(source).join(row) + "\r\n")
    return path


def xlsx_zip_bomb(folder: Path, source: str) -> Path:
    """A 300 MiB sheet of spaces, a few hundred kB zipped."""

    def write(archive: zipfile.ZipFile) -> None:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(_sheet(_header_row(source))[: -len("</sheetData></worksheet>")])
            block = b" " * MB
            for _ in range(300):
                part.write(block)
            part.write(b"</sheetData></worksheet>")

    return _xlsx(folder / "bomb.xlsx", write, _sheet_name(source))


def xlsx_entities(folder: Path, source: str) -> Path:
    """Billion laughs: entities that expand to gigabytes."""
    lol = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    doctype = f'<!DOCTYPE worksheet [<!ENTITY lol0 "lol">{lol}]>'
    xml = _sheet(_header_row(source) + f'<row r="2">{_cell("A2", "&lol9;")}</row>')
    xml = xml.replace(b"?><worksheet", f"?>{doctype}<worksheet".encode(), 1)
    return _xlsx(folder / "entities.xlsx", xml, _sheet_name(source))


def xlsx_external_entity(folder: Path, source: str) -> Path:
    doctype = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    xml = _sheet(_header_row(source) + f'<row r="2">{_cell("A2", "&xxe;")}</row>')
    xml = xml.replace(b"?><worksheet", f"?>{doctype}<worksheet".encode(), 1)
    return _xlsx(folder / "external-entity.xlsx", xml, _sheet_name(source))


def xlsx_million_rows(folder: Path, source: str) -> Path:
    def write(archive: zipfile.ZipFile) -> None:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(_sheet(_header_row(source))[: -len("</sheetData></worksheet>")])
            for start in range(2, 1_000_002, 10_000):
                rows = "".join(
                    f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                    for r in range(start, start + 10_000)
                )
                part.write(rows.encode())
            part.write(b"</sheetData></worksheet>")

    return _xlsx(folder / "million-rows.xlsx", write, _sheet_name(source))


def xlsx_rows_without_references(folder: Path, source: str) -> Path:
    """About 1 MB holding 240 MB of sheet XML whose rows and cells carry no ``r=`` (the
    format allows it): the reference checks saw nothing and the reader built it all."""

    def write(archive: zipfile.ZipFile) -> None:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(_sheet(_header_row(source))[: -len("</sheetData></worksheet>")])
            rows = b"<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c></row>" * 10_000
            for _ in range(400):
                part.write(rows)
            part.write(b"</sheetData></worksheet>")

    return _xlsx(folder / "rows-without-references.xlsx", write, _sheet_name(source))


def xlsx_wide_without_references(folder: Path, source: str) -> Path:
    cells = "<c><v>1</v></c>" * 20_000
    sheet = _sheet(_header_row(source) + f"<row>{cells}</row>")
    return _xlsx(folder / "wide-without-references.xlsx", sheet, _sheet_name(source))


def xlsx_wide(folder: Path, source: str) -> Path:
    cells = "".join(f'<c r="{column_letters(i)}2"><v>{i}</v></c>' for i in range(1, 16_001))
    xml = _sheet(_header_row(source) + f'<row r="2">{cells}</row>', "A1:WNV2")
    return _xlsx(folder / "wide.xlsx", xml, _sheet_name(source))


def xlsx_sparse(folder: Path, source: str) -> Path:
    """8 kB with one cell at XFD1048576: the reader would build the whole grid."""
    xml = _sheet(
        _header_row(source) + f'<row r="1048576">{_cell("XFD1048576", "x")}</row>',
        "A1:XFD1048576",
    )
    return _xlsx(folder / "sparse.xlsx", xml, _sheet_name(source))


def xlsx_zip_slip(folder: Path, source: str) -> Path:
    path = folder / "zip-slip.xlsx"
    _xlsx(path, _sheet(_header_row(source)), _sheet_name(source))
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("../../evil.txt", "x")
    return path


def xlsx_truncated(folder: Path, source: str) -> Path:
    buffer = io.BytesIO()
    path = _xlsx(folder / "whole.xlsx", _sheet(_header_row(source)), _sheet_name(source))
    buffer.write(path.read_bytes())
    path.unlink()
    cut = folder / "truncated.xlsx"
    cut.write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    return cut


def xlsx_huge_cell(folder: Path, source: str) -> Path:
    """A 1 MB file holding one cell of 100 MB of text (shared strings are not needed)."""

    def write(archive: zipfile.ZipFile) -> None:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            head = _sheet(_header_row(source))[: -len("</sheetData></worksheet>")]
            part.write(head + b'<row r="2"><c r="A2" t="inlineStr"><is><t>')
            for _ in range(100):
                part.write(b"a" * MB)
            part.write(b"</t></is></c></row></sheetData></worksheet>")

    return _xlsx(folder / "huge-cell.xlsx", write, _sheet_name(source))


def symlink(folder: Path, source: str) -> Path:
    """A link to a file outside the project (the system's user list)."""
    path = folder / f"link{_suffix(source)}"
    path.symlink_to("/etc/passwd")
    return path


def fifo(folder: Path, source: str) -> Path:
    """A named pipe: reading it would wait forever for a writer."""
    path = folder / f"pipe{_suffix(source)}"
    os.mkfifo(path)
    return path


def _header(source: str) -> list[str]:
    return registry.source(source).labels


def _sep(source: str) -> str:
    return str(registry.source(source).csv.get("delimiter", ","))


def _suffix(source: str) -> str:
    fmt = registry.source(source).format
    return {"xlsx": ".xlsx", "csv.gz": ".csv.gz"}.get(fmt, ".csv")


Maker = Callable[[Path, str], Path]
# maker -> the formats it applies to ("csv", "xlsx", "gz" for the operator's gzipped months)
HOSTILE: dict[str, tuple[Maker, tuple[str, ...]]] = {
    "empty": (empty, ("csv", "xlsx", "gz")),
    "symlink-to-etc-passwd": (symlink, ("csv", "xlsx", "gz")),
    "fifo": (fifo, ("csv", "xlsx", "gz")),
    "binary": (binary, ("csv", "xlsx", "gz")),
    "png-renamed": (png_renamed, ("csv", "xlsx")),
    "truncated-gzip": (truncated_gzip, ("gz",)),
    "gzip-bomb": (gzip_bomb, ("csv", "gz")),
    "gzip-text-bomb": (gzip_text_bomb, ("gz",)),
    "gzip-of-zeros": (gzip_of_zeros, ("csv", "gz")),
    "gzip-of-empty-lines": (gzip_of_empty_lines, ("gz",)),
    "gzip-of-short-records": (gzip_of_short_records, ("gz",)),
    "gzip-of-quoted-empty-lines": (gzip_of_quoted_empty_lines, ("gz",)),
    "unclosed-quote-in-header": (unclosed_quote_header, ("csv", "gz")),
    "one-200-mb-line": (one_huge_line, ("csv", "gz")),
    "nul-bytes": (nul_bytes, ("csv",)),
    "utf-16": (utf16, ("csv",)),
    "duplicate-headers": (duplicate_headers, ("csv",)),
    "100000-column-header": (wide_header, ("csv", "gz")),
    "formulas-and-html": (formulas_and_html, ("csv",)),
    "dates-out-of-range": (dates_out_of_range, ("csv",)),
    "xlsx-zip-bomb": (xlsx_zip_bomb, ("xlsx",)),
    "xlsx-entities": (xlsx_entities, ("xlsx",)),
    "xlsx-external-entity": (xlsx_external_entity, ("xlsx",)),
    "xlsx-million-rows": (xlsx_million_rows, ("xlsx",)),
    "xlsx-16000-columns": (xlsx_wide, ("xlsx",)),
    "xlsx-4-million-rows-without-references": (xlsx_rows_without_references, ("xlsx",)),
    "xlsx-20000-columns-without-references": (xlsx_wide_without_references, ("xlsx",)),
    "xlsx-sparse-xfd1048576": (xlsx_sparse, ("xlsx",)),
    "xlsx-zip-slip": (xlsx_zip_slip, ("xlsx",)),
    "xlsx-truncated": (xlsx_truncated, ("xlsx",)),
    "xlsx-huge-cell": (xlsx_huge_cell, ("xlsx",)),
}


def kind(source: str) -> str:
    """ "csv", "xlsx" or "gz": which hostile files apply to ``source``."""
    fmt = registry.source(source).format
    if registry.source(source).engine == "arrow":
        return "gz"
    return "xlsx" if fmt == "xlsx" else "csv"


def cases() -> list[tuple[str, str]]:
    """(hostile input, source) for every source each input applies to."""
    return [
        (name, source)
        for name, (_maker, kinds) in HOSTILE.items()
        for source in sorted(registry.sources())
        if kind(source) in kinds
    ]
