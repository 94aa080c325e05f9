"""The failing rows of a checked file as the steward wrote them, for the report's preview."""

from __future__ import annotations

from typing import Any

from opendata.contracts import registry
from opendata.report.problems import Report
from opendata.validate.readers.headers import normalize_label

PREVIEW_ROWS = 100  # failing rows shown in the report's preview


def _contract_label(written: str | None, labels: list[str]) -> str | None:
    if written is None:
        return None
    key = normalize_label(written)
    return next((label for label in labels if normalize_label(label) == key), None)


def failing_rows(report: Report, text: Any, rows: list[int], source_name: str) -> dict[str, Any]:
    """The failing rows of the file as the steward wrote them, with their faulty cells; the
    identity columns of a personal-data source masked except in a cell that is itself faulty."""
    source = registry.source(source_name)
    labels = source.labels
    faulty: dict[tuple[int, str], list[int]] = {}
    errors = report.errors
    for index, problem in enumerate(errors):
        label = _contract_label(problem.label, labels)
        if problem.row is not None and label is not None:
            faulty.setdefault((problem.row, label), []).append(index)
    wanted = sorted({row for row, _ in faulty} | {p.row for p in errors if p.row is not None})
    wanted = wanted[:PREVIEW_ROWS]
    position = {number: i for i, number in enumerate(rows)}
    hidden = set(source.identity_fields)
    out_rows = []
    for number in wanted:
        i = position.get(number)
        cells = []
        for label in labels:
            value = None
            if i is not None and label in text.columns:
                value = text[label].iloc[i]
            masked = label in hidden and (number, label) not in faulty
            cells.append(
                {
                    "value": None if masked or value is None else str(value),
                    "masked": masked,
                    "errors": faulty.get((number, label), []),
                }
            )
        out_rows.append({"row": number, "cells": cells})
    fields = {f["name"]: f for f in source.schema["fields"]}
    return {
        "columns": [
            {"label": label, "description": fields[label].get("description", "")}
            for label in labels
        ],
        "rows": out_rows,
        "more": max(0, len({p.row for p in errors if p.row is not None}) - len(wanted)),
    }
