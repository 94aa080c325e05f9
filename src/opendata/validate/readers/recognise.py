"""Which source a file is, from its header: what the portal proposes when a steward does not
say (the title lines and header of the file's head, compared with every contract's labels)."""

from __future__ import annotations

import csv
import io
import json
import zlib
from functools import lru_cache

from opendata.contracts.registry import Source
from opendata.validate.readers import xlsxguard
from opendata.validate.readers.grids import as_text, sniff_format
from opendata.validate.readers.headers import (
    normalize_label,
)
from opendata.validate.readers.lenient import HEADER_SEARCH_ROWS, geojson_profile, readings

_HEAD_BYTES = 256 * 1024  # enough for the title lines and the header of any delivery
_LABEL_CHARS = 120  # longer cells are data, never a column label: not folded


def _head_rows(data: bytes, source: Source, guarded: bool = False) -> list[list[str]]:
    """The first rows of a file as ``source`` would read them, cheaply: only the beginning of a
    CSV (decompressed up to a bound), the first rows of every sheet of a workbook."""
    kind = sniff_format(data)
    if kind == "json":
        return [_geojson_head(data)] if geojson_profile(source) else []
    if kind in ("xlsx", "xls"):
        from python_calamine import CalamineWorkbook

        if not source.accepts_workbooks:
            return []
        if not guarded:
            xlsxguard.check(data, source.bounds())
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows: list[list[str]] = []
        for name in book.sheet_names:
            values = book.get_sheet_by_name(name).to_python(
                skip_empty_area=False, nrows=HEADER_SEARCH_ROWS
            )
            rows += [[as_text(c) for c in row] for row in values[:HEADER_SEARCH_ROWS]]
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
    return [[as_text(c) for c in row] for row in csv.reader(lines, delimiter=delimiter)]


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
    workbook = sniff_format(data) in ("xlsx", "xls")
    for source in sources:
        if workbook and not source.accepts_workbooks:
            continue
        # Sources read the same way share one reading (a workbook is opened once).
        how = (workbook or source.format == "xlsx", source.csv.get("delimiter", ","))
        key = (
            ("xlsx", "")
            if how[0]
            else ("csv", how[1] + ("+geojson" * bool(geojson_profile(source))))
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
        for _, labels in readings(source, fmt):
            wanted = _folded(tuple(labels))
            best = max((len(row & wanted) for row in rows), default=0)
            if best >= 2:
                share = max(share, best / len(labels))
        if share:
            scored.append((source, share))
    return sorted(scored, key=lambda item: -item[1])
