"""What the engine finds: errors of one type at one field (or none) on some rows, and the
one place a report departs from Frictionless's list (:func:`one_error_per_fault`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from opendata.report.problems import Problem


class Unsupported(ValueError):
    """The schema uses Table Schema features this engine does not implement."""


@dataclass
class Finding:
    """Errors of one kind in one column: the rows that have it, and their cells."""

    type: str
    fieldname: str | None  # schema field name; None for row errors, "" for an extra cell
    rows: np.ndarray  # int64 record numbers
    cells: pa.Array | None = None  # the cells as written (None: not cell errors)
    params: dict[str, Any] = field(default_factory=dict)
    first_rows: np.ndarray | None = None  # repeats: the record number of the first occurrence


@dataclass
class Findings:
    """Every error of a file, kept as columns: a million errors cost arrays, not objects."""

    items: list[Finding] = field(default_factory=list)

    def add(
        self,
        kind: str,
        name: str | None,
        rows: np.ndarray,
        cells: pa.Array | None = None,
        **params: Any,
    ) -> None:
        if len(rows):
            self.items.append(Finding(kind, name, rows, cells, params))

    def __len__(self) -> int:
        return sum(len(f.rows) for f in self.items)

    def triples(self) -> list[tuple[int, str | None, str]]:
        """Sorted (row, field, error type) of every error: what the differential tests compare."""
        out = [(int(r), f.fieldname, f.type) for f in self.items for r in f.rows.tolist()]
        return sorted(out, key=lambda t: (t[0], t[1] or "", t[2]))

    def problems(
        self, labels: dict[str, str], positions: dict[str, int], limit: int | None
    ) -> list[Problem]:
        """Report problems in file order, the first ``limit`` of them (all when None)."""
        if not self.items:
            return []
        rows = np.concatenate([f.rows for f in self.items])
        item = np.concatenate([np.full(len(f.rows), i) for i, f in enumerate(self.items)])
        offset = np.concatenate([np.arange(len(f.rows)) for f in self.items])
        # Within a row: in the order of the checks, a foreign key last (a file checked in
        # batches gets its key errors at the end, after the batches' foreign keys).
        rank = np.concatenate(
            [np.full(len(f.rows), f.type == "foreign-key", dtype=np.int8) for f in self.items]
        )
        order = np.lexsort((item, rank, rows))
        if limit is not None:
            order = order[:limit]
        out = []
        for index in order.tolist():
            found = self.items[int(item[index])]
            j = int(offset[index])
            cell = None
            if found.cells is not None:
                value = found.cells[j].as_py()
                cell = "" if value is None else str(value)
            name = found.fieldname or found.params.get("column")
            params = dict(found.params)
            if name:
                params.setdefault("position", positions.get(name, 0))
            if found.first_rows is not None and found.first_rows[j] > 0:
                params["first_row"] = int(found.first_rows[j])
            if found.type == "extra-cell":
                params["column"] = int(params.get("position", 0)) + 1  # as a spreadsheet counts
            out.append(
                Problem(
                    found.type,
                    row=int(rows[index]),
                    label=labels.get(name, name) if name else None,
                    cell=cell,
                    params=params,
                )
            )
        return out


def _kept(found: Finding, mask: np.ndarray) -> Finding:
    cells = None if found.cells is None else found.cells.filter(pa.array(mask))
    firsts = None if found.first_rows is None else found.first_rows[mask]
    return Finding(found.type, found.fieldname, found.rows[mask], cells, found.params, firsts)


def one_error_per_fault(findings: Findings, schema: dict[str, Any], absent: set[str]) -> None:
    """Turn Frictionless's findings into a steward's: one fault, one error. Frictionless
    reports some faults twice; the report keeps the error that says what to fix:

    - a column missing from the header (``absent``): its ``missing-label`` only, not also an
      error per row for its empty cells, nor a key error for a key it is part of;
    - a cell its record lacks: ``missing-cell``, not also ``required``;
    - a key whose every part is empty (a blank record included), when a key field is
      ``required``: the ``required`` errors (or ``blank-row``), not also ``primary-key``;
    - a field that is ``unique`` and alone the primary key: its repeats are ``primary-key``
      errors, not also ``unique-error``.

    The engine's findings are Frictionless's exactly (the differential suite); this is the one
    place the report departs from them, for every source."""
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else list(key)
    fields = {f["name"]: f for f in schema["fields"]}
    key_required = any(fields[k].get("constraints", {}).get("required") for k in key)
    lacking: dict[str, np.ndarray] = {}
    for found in findings.items:
        if found.type == "missing-cell" and found.fieldname:
            rows = lacking.get(found.fieldname, np.zeros(0, np.int64))
            lacking[found.fieldname] = np.concatenate([rows, found.rows])
    kept: list[Finding] = []
    for found in findings.items:
        if found.fieldname in absent or (found.type == "primary-key" and absent & set(key)):
            continue
        if found.type == "unique-error" and key == [found.fieldname]:
            continue
        mask = np.ones(len(found.rows), dtype=bool)
        if (
            found.type == "constraint-error"
            and found.params.get("constraint") == "required"
            and found.fieldname in lacking
        ):
            mask &= ~np.isin(found.rows, lacking[found.fieldname])
        if found.type == "primary-key" and key_required:
            firsts = found.first_rows
            mask &= np.zeros(len(mask), bool) if firsts is None else firsts > 0
        if mask.all():
            kept.append(found)
        elif mask.any():
            kept.append(_kept(found, mask))
    findings.items = kept
