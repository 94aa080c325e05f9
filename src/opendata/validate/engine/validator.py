"""Table Schema validation on Arrow columns of text: the one engine of every source.

The departments' files come from the lenient reader (:mod:`~opendata.validate.readers.lenient`)
as columns of
text, checked in one batch; the operator's logs are read here a batch at a time, decompressed
by ISA-L and parsed by pyarrow (:func:`iter_strings`, the next batch read in a thread while
this one is checked: :func:`prefetched`). Whole columns are checked with Arrow compute
kernels (:class:`Validator`; keys through 64-bit hashes, the rows whose hash another shares
read again and compared exactly), and the findings are exactly what ``frictionless validate``
reports on the same cells and schema — the same (row, field, error type) list, in one batch
or in many, proved by ``tests/unit/test_engine_vs_frictionless_sessions.py`` (the operator's files)
and ``tests/unit/test_engine_differential.py`` (every other contract). A report then departs from
those findings in one place only, :func:`one_error_per_fault`.

Frictionless semantics reproduced here (frictionless-py 5.21):
- rows are numbered as records, the header being row 1; a record whose cells are all missing
  values is one ``blank-row`` error and nothing else;
- a record with too few cells: ``missing-cell`` for each absent field, and the absent cell is a
  missing value for the constraints (so ``required`` fails as well); too many: ``extra-cell``;
- a cell equal to a missing value (``missingValues``, default ``[""]``) is null; otherwise it is
  cast (``type-error`` when it does not cast) and, only when it casts, checked against each
  constraint, one ``constraint-error`` per broken constraint;
- integers are what Python's ``int()`` reads after ``strip()``; numbers what Frictionless's
  number field reads (``groupChar`` removed; with another ``decimalChar``, a point is a type
  error; then ``Decimal()``, which drops every underscore); dates and datetimes with an
  explicit ``format`` are what ``datetime.strptime`` reads (the same digit rules, impossible
  dates such as 30 February refused); ``pattern`` is anchored as ``^pattern$``;
- ``unique``: a non-null value seen on an earlier row; ``primaryKey``: a key seen on an earlier
  row, or a key whose cells are all null (cells with a type error are null, cells breaking a
  constraint keep their value); ``foreignKeys``: a key not all null that the reference lacks.

What it does not do (it refuses such a schema with :class:`Unsupported`, never guesses):
types other than string, integer, number, boolean, year-month, date and datetime; ``format``
"any" for dates, "default" or "any" for datetimes (dateutil's parsers); string formats (email,
uri); ``bareNumber`` false. Known divergences, too rare in machine
exports and departments' files to matter: Unicode digits (Python's ``int`` reads "٣"), a
``pattern`` cell ending in a line break, integers beyond 64 bits, and the numbers "Infinity" and
"NaN" (reported as type errors here).

Options a reader sets (the contract declares them): key forms (``keyForms``, a key compared in
its canonical form: :func:`key_form`), and no blank-row check for a reader that drops blank
records itself (``blank_rows`` of :class:`Validator`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.validate.engine.arrays import mask, pool
from opendata.validate.engine.cast import Column, cast, check_schema
from opendata.validate.engine.columns import check_columns, subset
from opendata.validate.engine.findings import Findings
from opendata.validate.engine.keys import (
    _MULTIPLIER,
    _key_of,
    _mix,
    _value_hashes,
    check_foreign_keys,
    check_keys,
    key_form,
    shared,
)
from opendata.validate.readers.arrowcsv import StringTable, select_rows


@dataclass
class Checked:
    """A file checked against a schema: every error, and the typed columns by field name."""

    findings: Findings
    columns: dict[str, Column]
    rows: np.ndarray  # record number of each row of ``columns``
    valid_rows: np.ndarray  # mask over ``rows``: no error on that row


class Validator:
    """The Table Schema checks of one file, batch by batch (:func:`iter_strings`).

    Every check runs on each batch as it comes, except ``unique`` and ``primaryKey``, which
    compare a row with every earlier one. For those the validator keeps, per row seen, its
    record number and a 64-bit hash of its key (about 17 bytes a row, whatever the key); at
    :meth:`finish`, the rows whose hash another row shares (the repeats, and the rare
    collisions) are read again whole and checked exactly, as in one batch. A file read in one
    batch or in a thousand gives the same findings."""

    def __init__(
        self,
        schema: dict[str, Any],
        positions: dict[str, int],
        references: dict[str, pa.Table] | None = None,
        key_forms: dict[str, Callable[[str], str | None]] | None = None,
        blank_rows: bool = True,
    ) -> None:
        """``key_forms``: the canonical form of a key field's values (:func:`key_form`);
        ``blank_rows`` false for a reader that drops blank records itself (the lenient one):
        a record whose schema cells are all empty is then checked like any other."""
        check_schema(schema)
        self.blank_rows = blank_rows
        self.schema, self.positions, self.references = schema, positions, references
        self.key_forms = key_forms or {}
        self.findings = Findings()
        key = schema.get("primaryKey", [])
        self._key = [key] if isinstance(key, str) else list(key)
        self._unique = [
            f["name"] for f in schema["fields"] if f.get("constraints", {}).get("unique")
        ]
        self._types = {f["name"]: f.get("type", "string") for f in schema["fields"]}
        self._rows: list[np.ndarray] = []
        self._hashes: dict[str, list[np.ndarray]] = {name: [] for name in self._unique}
        self._ok: dict[str, list[np.ndarray]] = {name: [] for name in self._unique}
        self._key_hashes: list[np.ndarray] = []
        self._key_empty: list[np.ndarray] = []
        self._blank: list[np.ndarray] = []
        self.blank_count = 0  # blank records met so far
        # The records read again at :meth:`finish` (None when no row shared a key hash).
        self.gathered: StringTable | None = None

    def _cast(
        self, strings: StringTable
    ) -> tuple[dict[str, Column], dict[str, Column], np.ndarray, np.ndarray]:
        """A batch cast: every column (ragged records joined at the end), the same without the
        blank records, the record numbers of each, and the blank mask."""
        missing_values = self.schema.get("missingValues", [""])
        n = len(strings)
        extra_rows = np.array([r for r, _ in strings.ragged], dtype=np.int64)
        all_rows = np.concatenate([strings.rows, extra_rows])
        pending: list[tuple[dict[str, Any], pa.ChunkedArray, np.ndarray]] = []
        for fld in self.schema["fields"]:
            index = self.positions.get(fld["name"])
            if index is None:
                text = pa.chunked_array([pa.array([""] * (n + len(extra_rows)), pa.string())])
                absent = np.ones(len(all_rows), dtype=bool)
            else:
                ragged = [c[index] if index < len(c) else None for _, c in strings.ragged]
                absent = np.concatenate(
                    [np.zeros(n, dtype=bool), np.array([c is None for c in ragged], dtype=bool)]
                )
                chunks = list(strings.columns[index].chunks)
                if ragged:
                    chunks.append(pa.array([c if c is not None else "" for c in ragged]))
                text = pa.chunked_array(chunks, pa.string())
            pending.append((fld, text, absent))
        cast_columns = list(
            pool().map(lambda job: cast(job[0], job[1], job[2], missing_values), pending)
        )
        columns = {col.name: col for col in cast_columns}
        for name, form in self.key_forms.items():
            if name in columns:
                columns[name].key = key_form(columns[name], form)
        blank = np.full(len(all_rows), self.blank_rows, dtype=bool)
        for col in columns.values():
            blank &= col.missing
        # A blank record is one error and nothing else: take it out of every other check.
        keep = ~blank
        kept = columns if keep.all() else {k: subset(c, keep) for k, c in columns.items()}
        return columns, kept, all_rows, blank

    def check(self, strings: StringTable) -> Checked:
        """Check one batch; its findings (keys aside) and its cast columns. ``valid_rows``
        does not know yet about repeated keys (see :meth:`finish`)."""
        schema, positions, fields = self.schema, self.positions, self.schema["fields"]
        findings = Findings()
        n = len(strings)
        width = len(strings.header)
        columns, kept, all_rows, blank = self._cast(strings)
        kept_rows = all_rows[~blank]
        check_columns(schema, [kept[f["name"]] for f in fields], kept_rows, findings)
        # A short row of a lenient reader's table: the cells it lacks are null, each missing.
        main_rows = (np.arange(len(all_rows)) < n)[~blank]
        for fld in fields:
            if positions.get(fld["name"]) is not None:
                lacking = kept[fld["name"]].absent & main_rows
                if lacking.any():
                    empty = pa.array([""] * int(lacking.sum()), pa.string())
                    findings.add("missing-cell", fld["name"], kept_rows[lacking], empty)
        for (number, cells), is_blank in zip(strings.ragged, blank[n:], strict=True):
            if is_blank:
                continue
            for fld in fields:
                index = positions.get(fld["name"])
                if index is not None and index >= len(cells):
                    findings.add("missing-cell", fld["name"], np.array([number]), pa.array([""]))
            for extra in range(width, len(cells)):
                findings.add(
                    "extra-cell", "", np.array([number]), pa.array([cells[extra]]), position=extra
                )
        findings.add("blank-row", None, all_rows[blank])
        if self.references:
            check_foreign_keys(schema, kept, kept_rows, self.references, findings)
        self._remember_keys(kept, kept_rows)
        self._blank.append(all_rows[blank])
        self.blank_count += len(self._blank[-1])
        self.findings.items.extend(findings.items)
        bad_rows = np.unique(
            np.concatenate([f.rows for f in findings.items] or [np.zeros(0, np.int64)])
        )
        main = (
            columns
            if not strings.ragged
            else {k: subset(c, np.arange(len(all_rows)) < n) for k, c in columns.items()}
        )
        return Checked(findings, main, strings.rows, ~np.isin(strings.rows, bad_rows))

    def converted(self, strings: StringTable) -> Checked:
        """One batch cast, nothing checked: for a file whose report is known and valid (the
        same bytes, contract and references: :mod:`opendata.validate.remembered`), read
        again only for its values. A ragged record (never in a valid file) is checked."""
        if strings.ragged:
            return self.check(strings)
        columns, _kept, _rows, _blank = self._cast(strings)
        return Checked(Findings(), columns, strings.rows, np.ones(len(strings), dtype=bool))

    def _remember_keys(self, kept: dict[str, Column], rows: np.ndarray) -> None:
        if not (self._unique or self._key):
            return
        # Record numbers fit 32 bits (the bounds stop a file long before): 4 bytes a row.
        self._rows.append(rows.astype(np.int32))
        for name in self._unique:
            self._hashes[name].append(_value_hashes(kept[name], self._types[name]))
            self._ok[name].append(kept[name].ok)
        if self._key:
            combined = np.zeros(len(rows), dtype=np.uint64)
            empty = np.ones(len(rows), dtype=bool)
            for name in self._key:
                combined = _mix(
                    combined * _MULTIPLIER ^ _value_hashes(kept[name], self._types[name])
                )
                empty &= ~mask(pc.is_valid(_key_of(kept[name])))
            self._key_hashes.append(combined)
            self._key_empty.append(empty)

    def finish(self, gather: Callable[[np.ndarray], StringTable]) -> Findings:
        """Add the ``unique`` and ``primaryKey`` errors of every row seen; all the findings.
        ``gather(numbers)`` gives the records with those numbers (sorted) again."""
        rows = np.concatenate(self._rows) if self._rows else np.zeros(0, np.int32)
        self._rows = []
        wanted: list[np.ndarray] = []
        for name in self._unique:
            hashes, ok = np.concatenate(self._hashes.pop(name)), np.concatenate(self._ok.pop(name))
            wanted.append(rows[ok][shared(hashes[ok])])
            del hashes, ok
        if self._key:
            hashes, empty = np.concatenate(self._key_hashes), np.concatenate(self._key_empty)
            self._key_hashes, self._key_empty = [], []
            # An empty key is an error of its own (its cell is quoted): read it again too.
            if empty.any():
                wanted += [rows[~empty][shared(hashes[~empty])], rows[empty]]
            else:
                wanted.append(rows[shared(hashes)])
            del hashes, empty
        numbers = (
            np.unique(np.concatenate(wanted)).astype(np.int64) if wanted else np.zeros(0, np.int64)
        )
        if len(numbers):
            self.gathered = gather(numbers)
            _columns, kept, all_rows, blank = self._cast(self.gathered)
            check_keys(self.schema, kept, all_rows[~blank], self.findings)
        # Primary-key findings on blank rows: Frictionless reports them after the blank-row error.
        if self._key:
            blank_rows = np.concatenate(self._blank) if self._blank else np.zeros(0, np.int64)
            self.findings.add("primary-key", None, blank_rows)
        return self.findings


def validate_strings(
    strings: StringTable,
    schema: dict[str, Any],
    positions: dict[str, int],
    references: dict[str, pa.Table] | None = None,
    key_forms: dict[str, Callable[[str], str | None]] | None = None,
    blank_rows: bool = True,
) -> Checked:
    """Check text columns (``positions``: field name → column index in the file) against
    ``schema``, with Frictionless semantics: the whole file as one batch of :class:`Validator`
    (``key_forms`` and ``blank_rows`` as there)."""
    validator = Validator(schema, positions, references, key_forms, blank_rows)
    checked = validator.check(strings)
    findings = validator.finish(lambda wanted: select_rows(strings, wanted))
    bad_rows = np.unique(
        np.concatenate([f.rows for f in findings.items] or [np.zeros(0, np.int64)])
    )
    return Checked(findings, checked.columns, checked.rows, ~np.isin(checked.rows, bad_rows))
