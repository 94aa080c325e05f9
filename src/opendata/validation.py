"""Check one delivery against its source's contract: Table Schema, then the source's checks.

This module is what ``opendata validate`` runs for a steward: it must stay free of Prefect and
answer in about a second.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from opendata import registry
from opendata.checks import CHECKS, KEY_NORMALISERS, Context
from opendata.deliveries import newest_delivery
from opendata.reading import RawTable, read_delivery
from opendata.registry import Source
from opendata.report import Problem, Report, UnreadableFile, display_name
from opendata.tableschema import Column, cast_column, duplicates


@dataclass
class Validation:
    """A delivery's report, with its cells as text and as typed values (contract labels)."""

    report: Report
    text: pd.DataFrame
    values: pd.DataFrame
    rows: list[int]


def validate_file(path: Path, source: Source, raw_dir: Path | None = None) -> Validation:
    """Validate a delivery. Unreadable files give a report with ``unreadable`` set.

    Sources on the Arrow engine (large machine exports) get the report only: their cells are
    not turned into pandas frames (see :mod:`opendata.arrowvalidation`)."""
    if source.engine == "arrow":
        from opendata.arrowvalidation import validate_large

        large = validate_large(path, source, raw_dir)
        return Validation(large.report, pd.DataFrame(), pd.DataFrame(), [])
    report = Report(source=source.name, file=display_name(path.name))
    try:
        raw = read_delivery(path, source)
    except UnreadableFile as exc:
        report.unreadable = True
        report.problems.append(Problem(exc.kind, params=exc.params))
        return Validation(report, pd.DataFrame(), pd.DataFrame(), [])
    report.sheet = raw.sheet
    report.profile = raw.profile.title if raw.profile else None
    return validate_table(raw, report, raw_dir)


def validate_table(raw: RawTable, report: Report, raw_dir: Path | None) -> Validation:
    """Run every check on a table already read."""
    source = raw.source
    schema = source.schema
    missing_values = schema.get("missingValues", [""])
    rows = raw.row_numbers
    report.rows = len(rows)
    report.problems.extend(raw.problems)
    index = pd.RangeIndex(len(rows))
    text: dict[str, pd.Series] = {}
    values: dict[str, pd.Series] = {}
    for field in schema["fields"]:
        label = field["name"]
        if label not in raw.cells:
            continue
        column = Column(
            field, raw.label(label), raw.position(label), pd.Series(raw.cells[label], index, object)
        )
        result = cast_column(column, rows, missing_values)
        report.problems.extend(result.problems)
        text[label] = column.text
        values[label] = result.values
    ctx = Context(text, values, dict(raw.match.written), dict(raw.match.columns), rows, raw_dir)
    report.problems.extend(_key_problems(source, ctx))
    report.problems.extend(_foreign_key_problems(source, ctx))
    for spec in source.checks:
        found = CHECKS[spec["type"]](ctx, spec)
        if spec.get("severity") == "warning":
            found = [_as_warning(p) for p in found]
        report.problems.extend(found)
    if not rows and not report.errors:
        report.problems.append(Problem("empty-table"))
    return Validation(report, pd.DataFrame(text, index), pd.DataFrame(values, index), rows)


def _as_warning(problem: Problem) -> Problem:
    return Problem(
        problem.type, problem.row, problem.label, problem.cell, problem.params, "warning"
    )


def _key_values(source: Source, ctx: Context, label: str) -> pd.Series:
    """Values used to compare keys: canonical when the source declares the key's form
    (``keyForms``), typed otherwise."""
    form = source.key_forms.get(label)
    if form is None:
        return ctx.values[label]
    normaliser = KEY_NORMALISERS[form]
    return ctx.text[label].map(lambda v: normaliser(v) if v else None)


def _key_problems(source: Source, ctx: Context) -> list[Problem]:
    schema = source.schema
    primary = schema.get("primaryKey", [])
    primary = [primary] if isinstance(primary, str) else list(primary)
    found: list[Problem] = []
    if primary and ctx.has(*primary):
        keys = pd.DataFrame({label: _key_values(source, ctx, label) for label in primary})
        labels = [ctx.labels[label] for label in primary]
        found += duplicates(keys, ctx.rows, "primary-key", labels, ctx.positions[primary[0]])
    for field in schema["fields"]:
        label = field["name"]
        if not field.get("constraints", {}).get("unique") or primary == [label]:
            continue
        if ctx.has(label):
            keys = pd.DataFrame({label: _key_values(source, ctx, label)})
            found += duplicates(
                keys, ctx.rows, "unique-error", [ctx.labels[label]], ctx.positions[label]
            )
    return found


@lru_cache(maxsize=16)
def _referenced_keys(path: Path, source_name: str, fields: tuple[str, ...]) -> frozenset[tuple]:
    """Key values of a referenced delivery (read once per run, however many files refer to it)."""
    referenced = read_delivery(path, registry.source(source_name))
    columns = [referenced.cells.get(f, []) for f in fields]
    return frozenset(zip(*columns, strict=True))


def _foreign_key_problems(source: Source, ctx: Context) -> list[Problem]:
    """Check foreign keys against the newest delivery of the referenced source."""
    found: list[Problem] = []
    for fk in source.schema.get("foreignKeys", []):
        fields, ref = fk["fields"], fk["reference"]
        if not ctx.has(*fields):
            continue
        target = registry.source(ref["resource"])
        delivery = newest_delivery(ctx.raw_dir, target) if ctx.raw_dir else None
        if delivery is None:
            found.append(
                Problem(
                    "foreign-key-unchecked",
                    severity="warning",
                    params={
                        "reference": target.name,
                        "raw_dir": str(ctx.raw_dir.resolve()) if ctx.raw_dir else "",
                    },
                )
            )
            continue
        try:
            known = _referenced_keys(delivery.path, target.name, tuple(ref["fields"]))
        except UnreadableFile:
            found.append(
                Problem(
                    "foreign-key-unchecked",
                    severity="warning",
                    params={"reference": target.name, "raw_dir": str(delivery.path)},
                )
            )
            continue
        keys = pd.Series(list(zip(*(ctx.text[f] for f in fields), strict=True)))
        mask = keys.map(lambda k, known=known: all(k) and k not in known)
        found += ctx.problems(
            "foreign-key", fields[0], mask, reference=target.name, file=delivery.name
        )
    return found
