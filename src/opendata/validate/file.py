"""Check one delivery against its source's contract: Table Schema, then the source's checks.

One engine for every source (:mod:`opendata.validate.engine`: Frictionless's semantics on Arrow
columns of text, proved against frictionless-py by the differential suite), behind two readers:

- the lenient reader (:mod:`~opendata.validate.readers.lenient`) for the departments'
  spreadsheets and CSV files.
  Its normalisations are what a contract's source accepts by being read leniently: encodings,
  title lines above the header, retyped headers (case, accents, order, delivery profiles),
  Excel values written as the contract's text (numbers, dates, serial dates), spaces (no-break
  ones included) around a cell removed, blank rows dropped with a warning;
- the operator's machine exports (``"engine": "arrow"``), read batch by batch as written
  (:mod:`opendata.validate.batched`).

Then the same report policy for both (:func:`opendata.validate.engine.one_error_per_fault`: one
fault, one error) and the source's checks beyond Table Schema (:mod:`opendata.validate.rules`).
A key
declared with a form (``keyForms``) compares its canonical form. No pandas here: the cells are
turned into frames only when a build asks for them (:attr:`Validation.values`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.contracts import registry
from opendata.contracts.deliveries import newest_delivery
from opendata.contracts.registry import Source
from opendata.report.problems import Problem, Report, UnreadableFile, display_name
from opendata.validate import engine
from opendata.validate.readers import arrowcsv
from opendata.validate.readers.lenient import RawTable, read_delivery
from opendata.validate.rules import (
    KEY_NORMALISERS,
    Context,
    refuse_unrunnable_contracts,
    run_checks,
)

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class Validation:
    """A delivery's report, with its cells as text and as typed values (contract labels)."""

    report: Report
    rows: list[int] = field(default_factory=list)
    columns: dict[str, engine.Column] = field(default_factory=dict)
    # Where each contract label is in the file and how it is written there (lenient reader).
    positions: dict[str, int] = field(default_factory=dict)
    written: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> pd.DataFrame:
        """The cells as text (None where the row has no such cell), a column per label."""
        import pandas as pd

        index = pd.RangeIndex(len(self.rows))
        return pd.DataFrame(
            {k: pd.Series(c.text.to_pylist(), index, object) for k, c in self.columns.items()},
            index,
        )

    @property
    def values(self) -> pd.DataFrame:
        """The typed values (null where empty or not cast), a column per label."""
        import pandas as pd

        index = pd.RangeIndex(len(self.rows))
        return pd.DataFrame({k: _series(c.values, index) for k, c in self.columns.items()}, index)


def _series(values: pa.Array, index: pd.RangeIndex) -> pd.Series:
    import pandas as pd

    if pa.types.is_int64(values.type):
        return pd.Series(pd.array(values.to_pylist(), "Int64"), index)
    if pa.types.is_float64(values.type):
        return pd.Series(pd.array(values.to_pylist(), "Float64"), index)
    if pa.types.is_date32(values.type) or pa.types.is_timestamp(values.type):
        stamps = pc.cast(values, pa.timestamp("ns"))
        return pd.Series(stamps.to_pandas().to_numpy(), index)
    return pd.Series(values.to_pylist(), index, object)


def validate_file(
    path: Path,
    source: Source,
    raw_dir: Path | None = None,
    version: str | None = None,
    today: dt.date | None = None,
) -> Validation:
    """Validate a delivery. Unreadable files give a report with ``unreadable`` set.

    Sources read as machine exports get the report only: their cells are checked batch by
    batch, never held whole (see :mod:`opendata.validate.batched`). A contract whose checks
    cannot run as declared raises :class:`~opendata.contracts.registry.ContractError`.

    While a contract's earlier version is still accepted (``"previous"`` in source.json, until
    its date, Paris time), a file refused by the current version but valid under the earlier
    one is accepted with a warning naming what to change; ``version`` checks it against one
    version only."""
    refuse_unrunnable_contracts()
    today = today or dt.datetime.now(ZoneInfo("Europe/Paris")).date()
    accepted = source.accepted_versions(today)
    if version is not None and version != source.version:
        chosen = next((p for p in accepted if p.version == version), None)
        if chosen is None:
            return _version_refused(path, source, version, accepted)
        return _in_transition(_validate_one(path, chosen, raw_dir), chosen, source)
    done = _validate_one(path, source, raw_dir)
    if done.report.valid or version is not None:
        return done
    for earlier in accepted:
        older = _validate_one(path, earlier, raw_dir)
        if older.report.valid:
            return _in_transition(older, earlier, source)
    return done


def _version_refused(
    path: Path, source: Source, version: str, accepted: list[Source]
) -> Validation:
    report = Report(source.name, display_name(path.name), unreadable=True, contract=source.stamp)
    known = ", ".join([source.version, *(p.version for p in accepted)])
    report.problems.append(
        Problem("contract-version", params={"version": version, "accepted": known})
    )
    return Validation(report)


def _in_transition(done: Validation, earlier: Source, current: Source) -> Validation:
    """A file checked under an earlier version: the report says which, until when, and what
    the current version asks."""
    from opendata.contracts.versions import differences

    changes = [said for _, said in differences(earlier.schema, current.schema)]
    until = dt.date.fromisoformat(earlier.accepted_until or "").strftime("%d/%m/%Y")
    done.report.contract = earlier.stamp
    done.report.problems.append(
        Problem(
            "contract-transition",
            params={
                "version": earlier.version,
                "current": current.version,
                "until": until,
                "changes": " ; ".join(changes) or "—",
            },
            severity="warning",
        )
    )
    return done


def _validate_one(path: Path, source: Source, raw_dir: Path | None) -> Validation:
    """Validate against one version of a contract."""
    if source.engine == "arrow":
        from opendata.validate.batched import validate_large

        return Validation(validate_large(path, source, raw_dir).report)
    report = Report(source=source.name, file=display_name(path.name), contract=source.stamp)
    try:
        raw = read_delivery(path, source)
    except UnreadableFile as exc:
        report.unreadable = True
        report.problems.append(Problem(exc.kind, params=exc.params))
        return Validation(report)
    report.sheet = raw.sheet
    report.profile = raw.profile.title if raw.profile else None
    report.features = raw.features
    return validate_table(raw, report, raw_dir)


@dataclass
class CheckedCells:
    """A lenient reader's table through the engine: Frictionless's findings (before the
    report policy), the cast columns, and the cells as text (null: the row has no such cell)."""

    findings: engine.Findings
    schema: dict[str, Any]  # the contract's, for the columns the file has
    columns: dict[str, engine.Column]
    cells: dict[str, pa.Array]
    rows: np.ndarray


def check_cells(raw: RawTable, references: dict[str, pa.Table]) -> CheckedCells:
    """The Table Schema engine on the cells of a table the lenient reader read."""
    source = raw.source
    schema = _schema_of_columns(source.schema, set(raw.cells))
    labels = [f["name"] for f in schema["fields"]]
    rows = np.array(raw.row_numbers, dtype=np.int64)
    cells = {label: pa.array(raw.cells[label], pa.string()) for label in labels}
    strings = arrowcsv.StringTable(
        labels, [pa.chunked_array([cells[k]]) for k in labels], rows, [], len(rows)
    )
    forms = {k: KEY_NORMALISERS[v] for k, v in source.key_forms.items() if k in cells}
    positions = {label: i for i, label in enumerate(labels)}
    # The lenient reader dropped the blank rows itself (a warning): no blank-row check here.
    checked = engine.validate_strings(
        strings, schema, positions, references, forms, blank_rows=False
    )
    return CheckedCells(checked.findings, schema, checked.columns, cells, rows)


def validate_table(raw: RawTable, report: Report, raw_dir: Path | None) -> Validation:
    """Run every check on a table already read."""
    source = raw.source
    report.rows = len(raw.row_numbers)
    # The engine reports the cells a short row lacks (null here); the reader, the file's shape.
    report.problems.extend(p for p in raw.problems if p.type != "missing-cell")
    references, files, unchecked = references_of(source, raw_dir)
    report.problems.extend(unchecked)
    checked = check_cells(raw, references)
    engine.one_error_per_fault(checked.findings, checked.schema, set())
    written, columns = dict(raw.match.written), dict(raw.match.columns)
    for problem in checked.findings.problems(written, columns, None):
        report.problems.append(
            _as_reported(problem, checked.columns, checked.rows, written, columns, files)
        )
    cells = checked.cells
    values = {k: c.values for k, c in checked.columns.items()}
    ctx = Context(cells, values, written, columns, checked.rows)
    report.problems.extend(run_checks(source.checks, ctx))
    if not len(checked.rows) and not report.errors:
        report.problems.append(Problem("empty-table"))
    kept = {
        k: engine.Column(k, pa.chunked_array([cells[k]]), c.absent, c.missing, c.ok, c.values)
        for k, c in checked.columns.items()
    }
    return Validation(report, list(raw.row_numbers), kept, columns, written)


def _schema_of_columns(schema: dict[str, Any], present: set[str]) -> dict[str, Any]:
    """The schema of the columns a file has (a missing column is one ``missing-label`` error,
    said by the reader): its fields, and the keys whose every field is there."""
    out = {**schema, "fields": [f for f in schema["fields"] if f["name"] in present]}
    key = schema.get("primaryKey", [])
    key = [key] if isinstance(key, str) else list(key)
    if not set(key) <= present:
        out.pop("primaryKey", None)
    out["foreignKeys"] = [
        fk for fk in schema.get("foreignKeys", []) if set(fk["fields"]) <= present
    ]
    return out


def _as_reported(
    problem: Problem,
    columns: dict[str, engine.Column],
    rows: np.ndarray,
    written: dict[str, str],
    positions: dict[str, int],
    files: dict[str, str],
) -> Problem:
    """A key error as a steward reads it: every column of the key and the key's value; a
    foreign key with the delivery it was looked up in."""
    if problem.type == "foreign-key":
        reference = problem.params["reference"]
        found = {"position": problem.params["position"], "reference": reference}
        return Problem(
            problem.type,
            problem.row,
            problem.label,
            problem.cell,
            {**found, "file": files[reference]},
        )
    if problem.type not in ("primary-key", "unique-error"):
        return problem
    fields = problem.params.get("fields") or [
        next(k for k, v in written.items() if v == problem.label)
    ]
    at = int(np.searchsorted(rows, int(problem.row or 0)))  # rows ascend, as in the file
    params: dict[str, Any] = {"position": positions.get(fields[0], 0)}
    if "first_row" in problem.params:
        params["first_row"] = problem.params["first_row"]
    params["fields"] = [written.get(f, f) for f in fields]
    # The cells as the steward wrote them; the form they are compared in when it differs
    # ("03/2008" and "2008-03" are one month).
    as_written = " | ".join(_text_at(columns[f], at) for f in fields)
    compared = " | ".join(engine.key_text(columns[f], at) for f in fields)
    if compared != as_written:
        params["compared"] = compared
    return Problem(
        problem.type,
        problem.row,
        ", ".join(written.get(f, f) for f in fields),
        as_written,
        params,
    )


def _text_at(column: engine.Column, at: int) -> str:
    value = column.text[at].as_py() if at < len(column.text) else None
    return "" if value is None else str(value)


def _referenced_keys(path: Path, source_name: str, fields: tuple[str, ...]) -> pa.Table:
    """Key values of a referenced delivery, read once however many files refer to it, and
    again when the file changes (a portal worker lives longer than one delivery)."""
    try:
        stat = path.stat()
    except OSError:
        raise UnreadableFile("not-found", path=str(path)) from None
    return _keys_of(path, stat.st_mtime_ns, stat.st_size, source_name, fields)


@lru_cache(maxsize=16)
def _keys_of(
    path: Path, _mtime_ns: int, _size: int, source_name: str, fields: tuple[str, ...]
) -> pa.Table:
    referenced = read_delivery(path, registry.source(source_name))
    return pa.table({f: pa.array(referenced.cells.get(f, []), pa.string()) for f in fields})


def references_of(
    source: Source, raw_dir: Path | None
) -> tuple[dict[str, pa.Table], dict[str, str], list[Problem]]:
    """The key values of each source this one refers to, from its newest delivery, and that
    delivery's name; a warning for each that cannot be checked."""
    tables: dict[str, pa.Table] = {}
    files: dict[str, str] = {}
    unchecked: list[Problem] = []
    for fk in source.schema.get("foreignKeys", []):
        ref = fk["reference"]
        target = registry.source(ref["resource"])
        delivery = newest_delivery(raw_dir, target) if raw_dir else None
        try:
            if delivery is None:
                raise UnreadableFile("absent")
            tables[target.name] = _referenced_keys(delivery.path, target.name, tuple(ref["fields"]))
            files[target.name] = delivery.name
        except UnreadableFile:
            where = str(delivery.path) if delivery else str(raw_dir.resolve()) if raw_dir else ""
            unchecked.append(
                Problem(
                    "foreign-key-unchecked",
                    severity="warning",
                    params={"reference": target.name, "raw_dir": where},
                )
            )
    return tables, files, unchecked
