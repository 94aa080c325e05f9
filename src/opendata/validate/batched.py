"""Validate a large machine-written delivery (``"engine": "arrow"`` in its ``source.json``),
batch by batch.

The Table Schema layer is :mod:`opendata.validate.engine` (Frictionless's semantics, vectorised).
Around it, what a steward's report needs: headers matched as for every source (case, accents,
order), foreign keys checked against the referenced source, the source's policy for records
re-sent identically (``"repeatedRecords": "count-once"``: a warning, not an error), and a report
that lists the first :data:`REPORT_LIMIT` errors and counts the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.contracts import registry
from opendata.contracts.deliveries import list_deliveries
from opendata.contracts.limits import human
from opendata.contracts.registry import Source
from opendata.report.problems import Problem, Report, UnreadableFile, display_name
from opendata.validate import engine
from opendata.validate.engine.findings import Finding, Findings
from opendata.validate.engine.validator import Checked
from opendata.validate.readers import arrowcsv
from opendata.validate.readers import batches as reading
from opendata.validate.readers.arrowcsv import StringTable
from opendata.validate.readers.headers import match_header
from opendata.validate.readers.lenient import header_problems, read_delivery
from opendata.validate.rules import Context, refuse_unrunnable_contracts, run_checks

REPORT_LIMIT = 1000
BLANK_LIMIT = 100_000  # blank records: past them, the file is not an export (refused at once)


@dataclass
class LargeValidation:
    """A delivery's report, and where each field's column is in the file."""

    report: Report
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


def _unchecked_references(
    source: Source, references: dict[str, pa.Table], raw_dir: Path | None
) -> list[Problem]:
    """A warning per foreign key whose referenced source has no delivery to check against."""
    return [
        Problem(
            "foreign-key-unchecked",
            severity="warning",
            params={
                "reference": fk["reference"]["resource"],
                "raw_dir": str(raw_dir.resolve()) if raw_dir else "",
            },
        )
        for fk in source.schema.get("foreignKeys", [])
        if fk["reference"]["resource"] not in references
    ]


def _unreadable(report: Report, exc: UnreadableFile) -> LargeValidation:
    report.unreadable = True
    report.problems = [Problem(exc.kind, params=exc.params)]
    return LargeValidation(report, {})


def validate_large(
    path: Path,
    source: Source,
    raw_dir: Path | None,
    references: dict[str, pa.Table] | None = None,
    on_rows: Callable[[Checked], None] | None = None,
) -> LargeValidation:
    """Validate one delivery of an Arrow-engine source, batch by batch (memory is that of one
    batch and of some 13 bytes a row for the key check). ``on_rows`` gets each batch's cast
    columns as they are checked: what it keeps is only good when the report is valid in the
    end."""
    refuse_unrunnable_contracts()
    report = Report(source=source.name, file=display_name(path.name), contract=source.stamp)
    delimiter = source.csv.get("delimiter", ",")
    bounds = source.bounds()

    try:
        batches = reading.batches(path, delimiter, bounds)
        first = next(batches)
    except UnreadableFile as exc:
        return _unreadable(report, exc)
    match = match_header([c.strip() for c in first.header], source.labels)
    report.problems += header_problems(match)
    if references is None:
        references, _files = reference_keys(source, raw_dir)
        report.problems += _unchecked_references(source, references, raw_dir)
    validator = engine.Validator(source.schema, match.columns, references)
    records = 0
    # A file of up to reading.PROCESS["keep_bytes"] of text is kept as read, for the rows the
    # key check reads again (engine.Validator); a larger one is read a second time, its memory
    # flat.
    kept: list[StringTable] | None = []
    kept_bytes = 0
    labels = dict(match.written)
    extra: list[Problem] = []  # the source's checks (source.json), batch by batch
    extra_count = 0
    try:
        for strings in chain([first], batches):
            checked = validator.check(strings)
            if validator.blank_count > BLANK_LIMIT:  # each kept as a finding until the end
                raise UnreadableFile("too-many-blank-rows", limit=human(BLANK_LIMIT))
            records = strings.records
            if source.checks:
                found = _source_checks(source, checked, labels, dict(match.columns), raw_dir)
                extra += found[: max(0, REPORT_LIMIT - len(extra))]
                extra_count += len(found)
            if kept is not None:
                kept_bytes += sum(c.nbytes for c in strings.columns)
                if kept_bytes <= reading.PROCESS["keep_bytes"]:
                    kept.append(strings)
                else:
                    kept = None
            if on_rows is not None:
                on_rows(checked)
    except UnreadableFile as exc:  # past a bound, or broken, after the first batch
        return _unreadable(report, exc)

    def gather(wanted: np.ndarray) -> StringTable:
        if kept is not None:
            return arrowcsv.concat_strings([arrowcsv.select_rows(b, wanted) for b in kept])
        return arrowcsv.gather_strings(path, delimiter, bounds, wanted)

    try:
        findings = validator.finish(gather)
    except UnreadableFile as exc:  # the file changed under us between the two reads
        return _unreadable(report, exc)
    report.rows = records
    engine.one_error_per_fault(findings, source.schema, set(match.missing))
    if source.repeated_records == "count-once" and validator.gathered is not None:
        _repeats_as_warnings(findings, report, validator.gathered, dict(match.columns))
    for problem in findings.problems(labels, match.columns, REPORT_LIMIT):
        if problem.type == "foreign-key":
            problem.params.update(scope=source.reference_deliveries, file="")
        report.problems.append(problem)
    report.problems += extra
    report.omitted = max(0, len(findings) - REPORT_LIMIT) + extra_count - len(extra)
    if not records and not report.errors:
        report.problems.append(Problem("empty-table"))
    return LargeValidation(report, dict(match.columns))


def convert_large(
    path: Path, source: Source, known: Report, on_rows: Callable[[Checked], None]
) -> LargeValidation:
    """The rows of a delivery whose report is ``known`` (valid, made of these very bytes
    under the same key: :mod:`opendata.validate.remembered`), cast batch by batch for
    ``on_rows`` and not checked again: a month validated by the portal's check or the intake
    is read once more by the publication, to be counted, not validated twice."""
    report = Report.from_state(known.to_state())
    report.file = display_name(path.name)
    try:
        batches = reading.batches(path, source.csv.get("delimiter", ","), source.bounds())
        first = next(batches)
        match = match_header([c.strip() for c in first.header], source.labels)
        validator = engine.Validator(source.schema, match.columns)
        for strings in chain([first], batches):
            on_rows(validator.converted(strings))
    except UnreadableFile as exc:  # the bytes were read before: a disk failing, say
        return _unreadable(report, exc)
    return LargeValidation(report, dict(match.columns))


def _source_checks(
    source: Source,
    checked: Checked,
    labels: dict[str, str],
    positions: dict[str, int],
    raw_dir: Path | None,
) -> list[Problem]:
    """The checks of ``source.json`` on one batch's cast columns (each holds row by row: the
    registry refuses the others on a source read in batches)."""
    present = [name for name in checked.columns if name in positions]
    text = {name: checked.columns[name].text.combine_chunks() for name in present}
    values = {name: checked.columns[name].values for name in present}
    ctx = Context(text, values, labels, positions, checked.rows)
    return run_checks(source.checks, ctx)


def _repeats_as_warnings(
    findings: Findings, report: Report, gathered: StringTable, positions: dict[str, int]
) -> None:
    """Primary-key repeats whose whole record equals the first one become one warning: the
    operator re-sent them and they are counted once. Repeats that differ stay errors.
    ``gathered``: the records the key check read again (every repeat and its first row)."""
    rows = gathered.rows
    texts = {name: gathered.columns[index].combine_chunks() for name, index in positions.items()}
    keep: list[Finding] = []
    for found in findings.items:
        if found.type != "primary-key" or found.first_rows is None:
            keep.append(found)
            continue
        identical = _identical_repeats(rows, texts, found)
        if identical.any():
            repeated = found.rows[identical]
            report.problems.append(
                Problem(
                    "repeated-record",
                    severity="warning",
                    params={"count": len(repeated), "first": int(repeated.min())},
                )
            )
        differ = ~identical
        if differ.any():
            # Repeats with other values stay errors, each still naming its first row.
            cells = None if found.cells is None else found.cells.filter(pa.array(differ))
            keep.append(
                Finding(
                    found.type,
                    found.fieldname,
                    found.rows[differ],
                    cells,
                    found.params,
                    found.first_rows[differ],
                )
            )
    findings.items = keep


def _identical_repeats(rows: np.ndarray, texts: dict[str, pa.Array], found: Finding) -> np.ndarray:
    """For each repeated row, whether its whole record equals the first row with its key."""
    repeated, firsts = found.rows, found.first_rows
    assert firsts is not None
    size = len(rows)
    if not size:
        return np.zeros(len(repeated), dtype=bool)
    at = np.searchsorted(rows, repeated)
    first_at = np.searchsorted(rows, firsts)
    known = (at < size) & (first_at < size) & (firsts > 0)
    known &= rows[np.minimum(at, size - 1)] == repeated
    known &= rows[np.minimum(first_at, size - 1)] == firsts
    same = known.copy()
    if not known.any():
        return same
    a, b = pa.array(at[known]), pa.array(first_at[known])
    equal = np.ones(int(known.sum()), dtype=bool)
    for text in texts.values():
        equal &= np.asarray(
            pc.fill_null(pc.equal(text.take(a), text.take(b)), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
    same[known] = equal
    return same
