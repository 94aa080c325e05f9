"""Validate a large machine-written delivery (``"engine": "arrow"`` in its ``source.json``).

The Table Schema layer is :mod:`opendata.fastcheck` (Frictionless's semantics, vectorised).
Around it, what a steward's report needs: headers matched as for every source (case, accents,
order), foreign keys checked against the referenced source, the source's policy for records
re-sent identically (``"repeatedRecords": "count-once"``: a warning, not an error), and a report
that lists the first :data:`REPORT_LIMIT` errors and counts the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata import fastcheck, registry
from opendata.deliveries import list_deliveries
from opendata.fastcheck import Checked, Finding
from opendata.headers import match_header
from opendata.reading import read_delivery
from opendata.registry import Source
from opendata.report import Problem, Report, UnreadableFile, display_name

REPORT_LIMIT = 1000


@dataclass
class LargeValidation:
    """A delivery's report, and (when it could be read) its checked columns."""

    report: Report
    checked: Checked | None
    positions: dict[str, int]


def reference_keys(source: Source, raw_dir: Path | None) -> tuple[dict[str, pa.Table], list[str]]:
    """Key values of each referenced source, from every delivery (``"referenceDeliveries":
    "all"``: a session keeps referring to a site removed since) or from the newest one."""
    tables: dict[str, pa.Table] = {}
    files: list[str] = []
    if raw_dir is None:
        return tables, files
    for fk in source.schema.get("foreignKeys", []):
        target = registry.source(fk["reference"]["resource"])
        deliveries = list_deliveries(raw_dir, target)
        if source.reference_deliveries != "all":
            deliveries = deliveries[-1:]
        fields = fk["reference"]["fields"]
        columns: dict[str, list[str | None]] = {f: [] for f in fields}
        for delivery in deliveries:
            try:
                raw = read_delivery(delivery.path, target)
            except UnreadableFile:
                continue
            for f in fields:
                columns[f].extend(raw.cells.get(f, []))
            files.append(delivery.name)
        if files:
            tables[target.name] = pa.table(
                {f: pa.array(v, pa.string()) for f, v in columns.items()}
            )
    return tables, files


def validate_large(
    path: Path,
    source: Source,
    raw_dir: Path | None,
    references: dict[str, pa.Table] | None = None,
) -> LargeValidation:
    """Validate one delivery of an Arrow-engine source."""
    report = Report(source=source.name, file=display_name(path.name))
    try:
        strings = fastcheck.read_strings(path, source.csv.get("delimiter", ","), source.bounds())
    except UnreadableFile as exc:
        report.unreadable = True
        report.problems.append(Problem(exc.kind, params=exc.params))
        return LargeValidation(report, None, {})
    match = match_header([c.strip() for c in strings.header], source.labels)
    for label in match.missing:
        report.problems.append(Problem("missing-label", label=label, params={"expected": label}))
    for index, label in match.extra:
        report.problems.append(
            Problem("extra-label", label=label, severity="warning", params={"position": index})
        )
    for index, label in match.duplicates:
        report.problems.append(Problem("duplicate-label", label=label, params={"position": index}))
    if references is None:
        references, _files = reference_keys(source, raw_dir)
        for fk in source.schema.get("foreignKeys", []):
            if fk["reference"]["resource"] not in references:
                report.problems.append(
                    Problem(
                        "foreign-key-unchecked",
                        severity="warning",
                        params={
                            "reference": fk["reference"]["resource"],
                            "raw_dir": str(raw_dir.resolve()) if raw_dir else "",
                        },
                    )
                )
    checked = fastcheck.validate_strings(strings, source.schema, match.columns, references)
    report.rows = strings.records
    findings = checked.findings
    if match.missing:
        _drop_absent_columns(checked, source, set(match.missing))
    if source.repeated_records == "count-once":
        _repeats_as_warnings(checked, report)
    labels = dict(match.written)
    for problem in findings.problems(labels, match.columns, REPORT_LIMIT):
        if problem.type == "foreign-key":
            problem.params.update(scope=source.reference_deliveries, file="")
        report.problems.append(problem)
    report.omitted = max(0, len(findings) - REPORT_LIMIT)
    if not strings.records and not report.errors:
        report.problems.append(Problem("empty-table"))
    return LargeValidation(report, checked, dict(match.columns))


def _drop_absent_columns(checked: Checked, source: Source, missing: set[str]) -> None:
    """A column missing from the header is one file-level error (``missing-label``), as for
    every source: not also one error per row for its empty cells, nor for a key it is part of.
    (Frictionless reports both; a steward needs the first only.)"""
    key = source.schema.get("primaryKey", [])
    key = {key} if isinstance(key, str) else set(key)
    checked.findings.items = [
        f
        for f in checked.findings.items
        if f.fieldname not in missing and not (f.type == "primary-key" and key & missing)
    ]


def _repeats_as_warnings(checked: Checked, report: Report) -> None:
    """Primary-key repeats whose whole record equals the first one become one warning: the
    operator re-sent them and they are counted once. Repeats that differ stay errors."""
    findings = checked.findings
    keep: list[Finding] = []
    for found in findings.items:
        if found.type != "primary-key" or not len(found.rows):
            keep.append(found)
            continue
        identical = _identical_repeats(checked, found)
        if identical.any():
            rows = found.rows[identical]
            report.problems.append(
                Problem(
                    "repeated-record",
                    severity="warning",
                    params={"count": len(rows), "first": int(rows.min())},
                )
            )
            checked.valid_rows[np.isin(checked.rows, rows)] = True
        differ = ~identical
        if differ.any():
            # Repeats with other values stay errors, each still naming its first row.
            cells = None if found.cells is None else found.cells.filter(pa.array(differ))
            firsts = None if found.first_rows is None else found.first_rows[differ]
            keep.append(
                Finding(
                    found.type, found.fieldname, found.rows[differ], cells, found.params, firsts
                )
            )
    findings.items = keep
    # A row is valid when no error remains on it.
    bad = [f.rows for f in keep]
    if bad:
        checked.valid_rows &= ~np.isin(checked.rows, np.concatenate(bad))


def _identical_repeats(checked: Checked, found: Finding) -> np.ndarray:
    """For each repeated row, whether its whole record equals the first row with its key."""
    rows, firsts = found.rows, found.first_rows
    if firsts is None:
        return np.zeros(len(rows), dtype=bool)
    at = np.searchsorted(checked.rows, rows)
    first_at = np.searchsorted(checked.rows, firsts)
    size = len(checked.rows)
    known = (at < size) & (first_at < size) & (firsts > 0)
    known &= checked.rows[np.minimum(at, size - 1)] == rows
    known &= checked.rows[np.minimum(first_at, size - 1)] == firsts
    same = known.copy()
    if not known.any():
        return same
    a, b = pa.array(at[known]), pa.array(first_at[known])
    equal = np.ones(int(known.sum()), dtype=bool)
    for col in checked.columns.values():
        equal &= np.asarray(
            pc.fill_null(pc.equal(col.text.take(a), col.text.take(b)), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
    same[known] = equal
    return same
