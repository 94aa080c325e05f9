"""The checks of one column at a time: types and constraints, on whole typed columns."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.validate.engine.arrays import mask, pool
from opendata.validate.engine.cast import Column, typed_bound
from opendata.validate.engine.findings import Findings, Unsupported
from opendata.validate.engine.keys import check_keys, take
from opendata.validate.engine.patterns import matching


def check_columns(
    schema: dict[str, Any], columns: list[Column], rows: np.ndarray, findings: Findings
) -> None:
    """Type and constraint errors of each column (``unique`` and keys aside), columns in
    parallel (Arrow kernels release the GIL)."""
    pairs = list(zip(schema["fields"], columns, strict=True))
    for found in pool().map(lambda pair: _check_column(pair[0], pair[1], rows), pairs):
        findings.items.extend(found.items)


def _check_column(fld: dict[str, Any], col: Column, rows: np.ndarray) -> Findings:
    """Type errors, then the constraints of the cells that cast (as Frictionless: a cell with a
    type error is not checked further; one error per broken constraint)."""
    findings = Findings()
    ftype = fld.get("type", "string")
    name = fld["name"]
    wrong = ~col.missing & ~col.ok
    if wrong.any():
        findings.add("type-error", name, rows[wrong], take(col.text, wrong), field=fld)
    for constraint, bound in fld.get("constraints", {}).items():
        if constraint == "required":
            if bound:
                bad = col.missing
            else:
                continue
        elif constraint == "unique":
            continue
        elif constraint == "pattern" and ftype == "string":
            bad = col.ok & ~matching(col.values, bound)
        elif constraint == "enum":
            allowed = pa.array([typed_bound(b, ftype).as_py() for b in bound], col.values.type)
            bad = col.ok & ~mask(pc.is_in(col.values, allowed))
        elif constraint in ("minimum", "maximum") and ftype != "string":
            op = pc.less if constraint == "minimum" else pc.greater
            bad = col.ok & mask(op(col.values, typed_bound(bound, ftype)))
        elif constraint in ("minLength", "maxLength") and ftype == "string":
            op = pc.less if constraint == "minLength" else pc.greater
            bad = col.ok & mask(op(pc.utf8_length(col.values), bound))
        else:
            raise Unsupported(f"field {name!r}: constraint {constraint!r} on {ftype}")
        if bad.any():
            findings.add(
                "constraint-error",
                name,
                rows[bad],
                take(col.text, bad),
                constraint=constraint,
                bound=bound,
                field=fld,
            )
    return findings


def subset(col: Column, mask: np.ndarray) -> Column:
    arrow_mask = pa.array(mask)
    text = pc.filter(col.text, arrow_mask)
    return Column(
        col.name,
        text if isinstance(text, pa.ChunkedArray) else pa.chunked_array([text]),
        col.absent[mask],
        col.missing[mask],
        col.ok[mask],
        pc.filter(col.values, arrow_mask),
        None if col.key is None else pc.filter(col.key, arrow_mask),
    )


def check_typed(table: pa.Table, schema: dict[str, Any]) -> Findings:
    """Constraint and key errors of a typed table (a build's output), rows numbered as in its
    CSV (header = 1). Types are the builder's business; constraints are checked here."""
    findings = Findings()
    rows = np.arange(2, table.num_rows + 2, dtype=np.int64)
    columns: dict[str, Column] = {}
    for fld in schema["fields"]:
        values = table.column(fld["name"]).combine_chunks()
        missing = ~mask(pc.is_valid(values))
        text = pc.cast(values, pa.string()) if not pa.types.is_string(values.type) else values
        columns[fld["name"]] = Column(
            fld["name"],
            pa.chunked_array([text]),
            np.zeros(len(rows), bool),
            missing,
            ~missing,
            values,
        )
    check_columns(schema, [columns[f["name"]] for f in schema["fields"]], rows, findings)
    check_keys(schema, columns, rows, findings)
    return findings
