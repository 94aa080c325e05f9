"""Rules on one cell at a time: codes (SIREN, SIRET, arrondissement), phones, e-mail and
web addresses, opening hours, labels of the national lists. Each runs once per distinct value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from opendata.contracts.vocabulary import national_labels
from opendata.report.problems import Problem
from opendata.validate import normalize
from opendata.validate.rules.base import Check, Context, check


def _field_check(kind: str, predicate: Callable[[str], bool]) -> Check:
    def run(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
        label = spec["field"]
        if not ctx.has(label):
            return []
        return ctx.problems(kind, label, ctx.where(label, lambda v: not predicate(v)))

    return run


check("siren")(_field_check("siren-error", lambda v: normalize.siren_number(v) is not None))
check("siret")(_field_check("siret-error", lambda v: normalize.siret_number(v) is not None))
check("phone-fr")(_field_check("phone-error", lambda v: normalize.phone_e164(v) is not None))
check("arrondissement")(
    _field_check("arrondissement-error", lambda v: normalize.arrondissement(v) is not None)
)
check("email-list")(
    _field_check(
        "email-error",
        lambda v: (
            bool(normalize.split_list(v)) and all(map(normalize.is_email, normalize.split_list(v)))
        ),
    )
)
check("url-list")(
    _field_check(
        "url-error",
        lambda v: (
            bool(normalize.split_list(v)) and all(map(normalize.is_url, normalize.split_list(v)))
        ),
    )
)


@check("opening-hours")
def _opening_hours(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    import opening_hours

    label = spec["field"]
    if not ctx.has(label):
        return []
    bad = ctx.where(label, lambda v: not opening_hours.validate(v))
    return ctx.problems("opening-hours-error", label, bad)


@check("label-list")
def _label_list(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    label = spec["field"]
    if not ctx.has(label):
        return []
    allowed = national_labels(spec["vocabulary"])
    unknown: dict[str, list[str]] = {}

    def has_unknown(cell: str) -> bool:
        unknown[cell] = normalize.canonical_labels(cell, allowed)[1]
        return bool(unknown[cell])

    found: list[Problem] = []
    for problem in ctx.problems("label-error", label, ctx.where(label, has_unknown)):
        params = {
            **problem.params,
            "unknown": unknown[problem.cell or ""],
            "allowed": list(allowed),
        }
        found.append(
            Problem(
                problem.type, problem.row, problem.label, problem.cell, params, problem.severity
            )
        )
    return found
