"""The workbook guard counts rows and cells as the sheet streams past, references or not."""

from __future__ import annotations

import io
import zipfile

import pytest

from opendata.contracts.limits import Bounds
from opendata.report.problems import UnreadableFile
from opendata.validate.readers import xlsxguard

BOUNDS = Bounds(
    max_file_bytes=1 << 20,
    max_decompressed_bytes=1 << 30,
    max_rows=1000,
    max_columns=50,
    max_cell_chars=1000,
)


def _book(sheet: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def _sheet(rows: bytes) -> bytes:
    return b"<worksheet><sheetData>" + rows + b"</sheetData></worksheet>"


@pytest.mark.parametrize("prefix", [b"", b"x:"])
def test_rows_and_cells_without_references_are_counted(prefix: bytes) -> None:
    row = b"<%brow><%bc><v>1</v></%bc></%brow>" % (prefix, prefix, prefix, prefix)
    xlsxguard._PASSED.clear()
    xlsxguard.check(_book(_sheet(row * 1020)), BOUNDS)  # the bound and its 20 title lines
    with pytest.raises(UnreadableFile) as refused:
        xlsxguard.check(_book(_sheet(row * 1021)), BOUNDS)
    assert refused.value.kind == "too-many-rows"
    cells = b"<%bc><v>1</v></%bc>" % (prefix, prefix)
    wide = b"<%brow>%b</%brow>" % (prefix, cells * 51, prefix)
    with pytest.raises(UnreadableFile) as refused:
        xlsxguard.check(_book(_sheet(wide)), BOUNDS)
    assert refused.value.kind == "too-many-columns"
    xlsxguard.check(_book(_sheet(b"<row>" + cells * 50 + b"</row>" + row * 3)), BOUNDS)


def test_elements_cut_between_chunks_are_counted_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Windows overlap: an element read in two windows counts once, one cut across two counts
    once too, whatever the chunk size."""
    row = b"<row><c><v>1</v></c><cols/><col/><rowBreaks/></row>"
    for chunk in (7, 13, 64, 1000):
        monkeypatch.setattr(xlsxguard, "_CHUNK", chunk)
        xlsxguard._PASSED.clear()
        xlsxguard.check(_book(_sheet(row * 1020)), BOUNDS)
        with pytest.raises(UnreadableFile):
            xlsxguard.check(_book(_sheet(row * 1021)), BOUNDS)
