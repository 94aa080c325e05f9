"""Turn published frames into exact CSV, Parquet, Excel and GeoJSON bytes, the same every run.

CSV: UTF-8, comma, LF, minimal quoting, ISO dates, numbers with a dot, text cells that a
spreadsheet would run as formulas defused (:func:`defuse`). Parquet: one column per
field with the Arrow type of its Table Schema type. Excel (:func:`xlsx_bytes`): typed cells for
spreadsheet users. GeoJSON (:func:`geojson_bytes`): a map layer of a table of places. All are
written from the same typed frame, so they hold the same values.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import geojson
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import xlsxwriter

from opendata.formulas import defuse

ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "integer": pa.int64(),
    "year": pa.int64(),
    "number": pa.float64(),
    "boolean": pa.bool_(),
    "date": pa.date32(),
    "datetime": pa.timestamp("s", tz="UTC"),
    "yearmonth": pa.string(),
}


def conform(frame: pd.DataFrame, schema: dict[str, Any]) -> pd.DataFrame:
    """The frame with exactly the schema's fields, in order, each with its pandas dtype."""
    columns: dict[str, pd.Series] = {}
    for field in schema["fields"]:
        name, ftype = field["name"], field.get("type", "string")
        series = frame[name] if name in frame else pd.Series(None, index=frame.index)
        if ftype in ("integer", "year"):
            columns[name] = pd.to_numeric(series, errors="raise").astype("Int64")
        elif ftype == "number":
            columns[name] = pd.to_numeric(series, errors="raise").astype("Float64")
        elif ftype == "date":
            columns[name] = pd.to_datetime(series).dt.normalize().astype("datetime64[s]")
        elif ftype == "datetime":
            columns[name] = pd.to_datetime(series, utc=True).astype("datetime64[s, UTC]")
        elif ftype == "boolean":
            columns[name] = series.astype("boolean")
        else:
            columns[name] = series.astype(object).where(series.notna(), None)
    return pd.DataFrame(columns, index=frame.index).reset_index(drop=True)


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def column_text(series: pd.Series, ftype: str) -> pd.Series:
    """A typed column as the text cells written to CSV (empty string for null)."""
    missing = series.isna()
    if ftype in ("integer", "year"):
        text = series.astype("Int64").astype(str)
    elif ftype == "number":
        text = series.map(lambda v: "" if pd.isna(v) else _number_text(v))
    elif ftype == "date":
        text = series.dt.strftime("%Y-%m-%d")
    elif ftype == "datetime":
        text = series.dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    elif ftype == "boolean":
        text = series.map(lambda v: "" if pd.isna(v) else ("true" if v else "false"))
    else:
        text = series.astype(object).map(lambda v: defuse(v) if isinstance(v, str) else v)
    return text.astype(object).where(~missing, "")


def csv_bytes(frame: pd.DataFrame, schema: dict[str, Any]) -> bytes:
    """The CSV file of a conformed frame."""
    names = [f["name"] for f in schema["fields"]]
    columns = [
        pa.array(column_text(frame[f["name"]], f.get("type", "string")).tolist(), pa.string())
        for f in schema["fields"]
    ]
    buffer = io.BytesIO()
    write_csv(names, columns, buffer)
    return buffer.getvalue()


_NEEDS_QUOTES = '[",\r\n]'
_LINES = 1 << 16  # rows joined into lines at a time by write_csv


def _quoted(column: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """The cells as a CSV holds them: quoted, quotes doubled, when they hold a comma, a quote
    or a line break; as they are otherwise."""
    needs = pc.match_substring_regex(column, _NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return column
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(column, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, column)


def write_csv(
    names: list[str], columns: list[pa.Array | pa.ChunkedArray], out: Any, header: bool = True
) -> None:
    """The one CSV writer of every published file: UTF-8, comma, LF line ends, a cell quoted
    only when it must be (as Python's ``csv.QUOTE_MINIMAL``, which pandas' ``to_csv`` uses).
    ``columns`` are the cells as text, null written empty. Vectorised: a line per row built by
    Arrow kernels and written as one buffer, so a month of a million rows streams through."""
    if header:
        labels = _quoted(pa.array(names, pa.string())).to_pylist()
        out.write((",".join(labels) + "\n").encode("utf-8"))
    if not columns or len(columns[0]) == 0:
        return
    rows = len(columns[0])
    for start in range(0, rows, _LINES):  # a slice of rows at a time: bounded memory
        cells = [_quoted(pc.fill_null(c.slice(start, _LINES), "")) for c in columns]
        if len(cells) == 1:  # a row of one empty cell is written "" (else it is a blank line)
            cells = [pc.if_else(pc.equal(cells[0], ""), '""', cells[0])]
        lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cells, ","), "", "\n")
        for chunk in lines.chunks if isinstance(lines, pa.ChunkedArray) else [lines]:
            if len(chunk):
                offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
                first, last = offsets[chunk.offset], offsets[chunk.offset + len(chunk)]
                out.write(memoryview(chunk.buffers()[2])[first:last])


def arrow_table(frame: pd.DataFrame, schema: dict[str, Any]) -> pa.Table:
    """The Arrow table of a conformed frame, typed by the Table Schema.

    It goes through ``Table.from_pandas`` on purpose: the pandas metadata it stores makes
    pandas (and Frictionless, which reads Parquet through pandas) restore nullable integers as
    integers with missing values, where plain Arrow would turn them into floats with NaN.
    """
    columns: dict[str, pd.Series] = {}
    fields = []
    for field in schema["fields"]:
        name, ftype = field["name"], field.get("type", "string")
        series = frame[name]
        if ftype == "date":
            series = series.map(lambda v: None if pd.isna(v) else v.date()).astype(object)
        elif ftype in ("string", "yearmonth"):
            series = series.astype(object).where(series.notna(), None)
        columns[name] = series
        meta = {"description": field.get("description", "")}
        fields.append(pa.field(name, ARROW_TYPES[ftype], nullable=True, metadata=meta))
    prepared = pd.DataFrame(columns, index=frame.index)
    return pa.Table.from_pandas(prepared, schema=pa.schema(fields), preserve_index=False)


def parquet_bytes(frame: pd.DataFrame, schema: dict[str, Any]) -> bytes:
    """The Parquet file of a conformed frame."""
    buffer = io.BytesIO()
    pq.write_table(arrow_table(frame, schema), buffer, compression="zstd")
    return buffer.getvalue()


XLSX_MEDIATYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_MAX_ROWS = 1_048_575  # Excel's sheet, less its header row
XLSX_SHEET = "données"  # the one sheet of a published workbook
_EPOCH = dt.datetime(2000, 1, 1)  # the workbook's fixed creation date: the same bytes each run


def xlsx_bytes(frame: pd.DataFrame, schema: dict[str, Any], title: str) -> bytes:
    """The same table as an Excel workbook, typed cell by cell, for spreadsheet users.

    Codes and other text as text cells (a SIREN keeps its leading zeros, a phone number stays
    text), integers and numbers as numbers, dates as dates (Excel's short-date format, shown in
    the reader's locale), UTC date-times as date-times, booleans as booleans, nulls as empty
    cells. The header is frozen, filterable and carries each field's description as a comment.
    Text is written as text, never as a formula. Same bytes on every run.
    """
    if len(frame) > XLSX_MAX_ROWS:
        raise ValueError(f"{title}: {len(frame)} rows do not fit in an Excel sheet")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False}
    )
    book.set_properties({"title": title, "created": _EPOCH, "author": "Ville de Paris"})
    sheet = book.add_worksheet(XLSX_SHEET)
    header = book.add_format({"bold": True, "bg_color": "#DDE7F2", "border": 1})
    styles = {
        "date": book.add_format({"num_format": 14}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "integer": book.add_format({"num_format": "0"}),
        "year": book.add_format({"num_format": "0"}),
    }
    for col, field in enumerate(schema["fields"]):
        name, ftype = field["name"], field.get("type", "string")
        sheet.write_string(0, col, name, header)
        note = field.get("description", "")
        if ftype == "datetime":
            note += " (heure UTC)"
        if note:
            sheet.write_comment(0, col, note, {"x_scale": 2.5, "y_scale": 2})
        series = frame[name]
        if ftype == "datetime":
            series = series.dt.tz_convert("UTC").dt.tz_localize(None)
        width = len(name)
        style = styles.get(ftype)
        for row, value in enumerate(series.tolist(), start=1):
            if value is None or value is pd.NA or value is pd.NaT or value != value:
                continue
            if ftype in ("integer", "year", "number"):
                sheet.write_number(row, col, float(value), style)
            elif ftype in ("date", "datetime"):
                sheet.write_datetime(row, col, pd.Timestamp(value).to_pydatetime(), style)
            elif ftype == "boolean":
                sheet.write_boolean(row, col, bool(value))
            else:
                text = str(value)
                sheet.write_string(row, col, text)
                width = max(width, min(len(text), 60))
        sheet.set_column(col, col, max(width, 12 if ftype in ("date", "datetime") else 8) + 2)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), len(schema["fields"]) - 1)
    book.close()
    return buffer.getvalue()


GEOJSON_MEDIATYPE = "application/geo+json"


def _json_value(value: Any, ftype: str) -> Any:
    if value is None or value is pd.NA or value is pd.NaT or value != value:
        return None
    if ftype == "date":
        return pd.Timestamp(value).date().isoformat()
    if ftype == "datetime":
        return pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")
    if ftype in ("integer", "year"):
        return int(value)
    if ftype == "number":
        return float(value)
    if ftype == "boolean":
        return bool(value)
    return str(value)


def geojson_bytes(frame: pd.DataFrame, schema: dict[str, Any], spec: dict[str, str]) -> bytes:
    """The table as a GeoJSON FeatureCollection (RFC 7946: WGS 84 longitude, latitude), one
    Feature per row with every field as a property (a row without coordinates has a null
    geometry, so that no row is lost). ``spec`` names the latitude and longitude fields."""
    fields = [(f["name"], f.get("type", "string")) for f in schema["fields"]]
    features = []
    for row in frame.itertuples(index=False):
        values = dict(zip(frame.columns, row, strict=True))
        properties = {name: _json_value(values[name], ftype) for name, ftype in fields}
        lat, lon = properties[spec["latitude"]], properties[spec["longitude"]]
        point = geojson.Point((lon, lat)) if lat is not None and lon is not None else None
        features.append(geojson.Feature(geometry=point, properties=properties))
    collection = geojson.FeatureCollection(features)
    if not collection.is_valid:
        raise ValueError(f"GeoJSON not valid: {collection.errors()}")
    return (geojson.dumps(collection, ensure_ascii=False) + "\n").encode("utf-8")
