"""Rules between columns of one row: a cell required unless another says why, required
once another is filled, empty unless another is, zero implying zero, allowed combinations."""

from __future__ import annotations

from typing import Any

import numpy as np

from opendata.report.problems import Problem
from opendata.validate.rules.base import Context, check


@check("required-unless")
def _required_unless(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """The field is required except when ``otherField`` holds one of ``values``."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    exempt = ctx.isin(other, spec["values"])
    mask = ctx.empty(label) & ~exempt & ~ctx.empty(other)
    return ctx.problems(
        "row-constraint",
        label,
        mask,
        rule="required-unless",
        other=ctx.labels[other],
        values=spec["values"],
        severity=spec.get("severity", "error"),
    )


@check("zero-implies-zero")
def _zero_implies_zero(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """The field is 0 whenever ``otherField`` is 0 (no workshop means no participant)."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    mask = (ctx.number(other) == 0) & (ctx.number(label) > 0)
    return ctx.problems(
        "row-constraint", label, mask, rule="zero-implies-zero", other=ctx.labels[other]
    )


@check("allowed-combinations")
def _allowed_combinations(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """``field`` takes only the values listed for the value of ``otherField``."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    allowed: dict[str, list[str]] = spec["combinations"]
    bad = np.zeros(len(ctx.rows), dtype=bool)
    filled = ~ctx.empty(label)
    for value, permitted in allowed.items():
        bad |= ctx.isin(other, [value]) & filled & ~ctx.isin(label, permitted)
    return ctx.problems(
        "row-constraint", label, bad, rule="allowed-combinations", other=ctx.labels[other]
    )


@check("required-if-filled")
def _required_if_filled(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """``field`` is required on rows where ``otherField`` is filled."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    mask = ctx.empty(label) & ~ctx.empty(other)
    return ctx.problems(
        "row-constraint", label, mask, rule="required-if-filled", other=ctx.labels[other]
    )


@check("empty-unless-filled")
def _empty_unless_filled(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """``field`` stays empty on rows where ``otherField`` is empty."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    mask = ~ctx.empty(label) & ctx.empty(other)
    return ctx.problems(
        "row-constraint", label, mask, rule="empty-unless-filled", other=ctx.labels[other]
    )


RULES = {
    "required-unless": (
        "« {field} » : obligatoire, sauf quand « {otherField} » vaut {values}",
        "“{field}”: required, unless “{otherField}” is {values}",
    ),
    "zero-implies-zero": (
        "« {field} » : 0 quand « {otherField} » vaut 0",
        "“{field}”: 0 when “{otherField}” is 0",
    ),
    "allowed-combinations": (
        "« {field} » : une valeur permise avec celle de « {otherField} »",
        "“{field}”: a value allowed with that of “{otherField}”",
    ),
    "required-if-filled": (
        "« {field} » : obligatoire quand « {otherField} » est rempli",
        "“{field}”: required when “{otherField}” is filled",
    ),
    "empty-unless-filled": (
        "« {field} » : vide tant que « {otherField} » est vide",
        "“{field}”: empty while “{otherField}” is empty",
    ),
}


_PAIR = {"field": "column", "otherField": "column"}
PARAMETERS = {
    "required-unless": {**_PAIR, "values": "list"},
    "zero-implies-zero": _PAIR,
    "allowed-combinations": {**_PAIR, "combinations": "object"},
    "required-if-filled": _PAIR,
    "empty-unless-filled": _PAIR,
}
_AB = [("A", "string"), ("B", "string")]
EXAMPLES = {
    "required-unless": (
        {"field": "A", "otherField": "B", "values": ["En projet"]}, _AB,
        [{"A": "", "B": "En projet"}, {"A": "x", "B": "Ouvert"}], [{"A": "", "B": "Ouvert"}],
    ),
    "zero-implies-zero": (
        {"field": "A", "otherField": "B"}, [("A", "integer"), ("B", "integer")],
        [{"A": "0", "B": "0"}, {"A": "5", "B": "2"}], [{"A": "5", "B": "0"}],
    ),
    "allowed-combinations": (
        {"field": "A", "otherField": "B", "combinations": {"Info": ["Jeune"]}}, _AB,
        [{"A": "Jeune", "B": "Info"}], [{"A": "Salarié", "B": "Info"}],
    ),
    "required-if-filled": (
        {"field": "A", "otherField": "B"}, _AB,
        [{"A": "Oui", "B": "01/01/2007"}, {"A": "", "B": ""}], [{"A": "", "B": "01/01/2007"}],
    ),
    "empty-unless-filled": (
        {"field": "A", "otherField": "B"}, _AB,
        [{"A": "", "B": ""}, {"A": "Oui", "B": "x"}], [{"A": "Oui", "B": ""}],
    ),
}  # fmt: skip
