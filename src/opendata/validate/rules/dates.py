"""Rules between dates: one not before another, one period per file, an age within bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.report.problems import Problem
from opendata.validate import normalize
from opendata.validate.engine.arrays import mask
from opendata.validate.rules.base import Context, check


@check("not-before")
def _not_before(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """The field's date is not before ``otherField``'s."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    before = mask(pc.less(ctx.values[label], ctx.values[other]))
    return ctx.problems("row-constraint", label, before, rule="not-before", other=ctx.labels[other])


@check("same-period", whole_file=True)
def _same_period(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """A monthly delivery covers one month: rows of another month are flagged (the month of
    most rows is the delivery's; on a tie, the one met first)."""
    label = spec["field"]
    if not ctx.has(label):
        return []
    text = ctx.text[label]
    distinct = pc.unique(text).drop_null().to_pylist()
    month_of = {v: normalize.month(v) for v in distinct if v}
    months = [month_of.get(v) if v else None for v in text.to_pylist()]
    counts: dict[str, int] = {}
    for value in months:
        if value is not None:
            counts[value] = counts.get(value, 0) + 1
    if len(counts) < 2:
        return []
    main = max(counts, key=lambda m: counts[m])  # the first of the most frequent
    mask = np.array([m is not None and m != main for m in months], dtype=bool)
    return ctx.problems(
        "several-periods", label, mask, severity=spec.get("severity", "error"), main=main
    )


@check("age-between")
def _age_between(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """Age in whole years on ``atField``'s date, from the birth date in ``field``, within
    bounds; optionally only for rows where ``when.field`` holds one of ``when.values``."""
    label, at = spec["field"], spec["atField"]
    if not ctx.has(label, at):
        return []
    born, on = ctx.values[label], ctx.values[at]

    def part(kernel: Callable[[pa.Array], pa.Array], dates: pa.Array) -> np.ndarray:
        numbers = pc.cast(kernel(dates), pa.float64())
        return np.asarray(pc.fill_null(numbers, np.nan).to_numpy(zero_copy_only=False), float)

    born_month, on_month = part(pc.month, born), part(pc.month, on)
    before_birthday = (on_month < born_month) | (
        (on_month == born_month) & (part(pc.day, on) < part(pc.day, born))
    )
    age = part(pc.year, on) - part(pc.year, born) - before_birthday
    bad = np.zeros(len(age), dtype=bool)
    if "minimum" in spec:
        bad |= age < spec["minimum"]
    if "maximum" in spec:
        bad |= age > spec["maximum"]
    when = spec.get("when")
    if when:
        if not ctx.has(when["field"]):
            return []
        bad &= ctx.isin(when["field"], when["values"])
    params: dict[str, Any] = {k: spec.get(k) for k in ("minimum", "maximum")}
    condition: dict[str, Any] = (
        {"condition": ctx.labels[when["field"]], "values": when["values"]} if when else {}
    )
    return ctx.problems(
        "row-constraint",
        label,
        bad,
        rule="age-between",
        other=ctx.labels[at],
        **params,
        **condition,
    )


RULES = {
    "not-before": (
        "« {field} » : pas avant « {otherField} »",
        "“{field}”: not before “{otherField}”",
    ),
    "same-period": (
        "« {field} » : le même mois sur toutes les lignes du fichier",
        "“{field}”: the same month on every row of the file",
    ),
    "age-between": (
        "« {field} » : un âge plausible à la date de « {atField} »",
        "“{field}”: a plausible age on the date of “{atField}”",
    ),
}


PARAMETERS = {
    "not-before": {"field": "column", "otherField": "column"},
    "same-period": {"field": "column"},
    "age-between": {
        "field": "column", "atField": "column", "minimum?": "number", "maximum?": "number",
        "when?": "when",
    },
}  # fmt: skip
_DATES = [("Début", "date"), ("Fin", "date")]
EXAMPLES = {
    "not-before": (
        {"field": "Fin", "otherField": "Début"}, _DATES,
        [{"Début": "2007-01-01", "Fin": "2007-01-02"}],
        [{"Début": "2007-01-02", "Fin": "2007-01-01"}],
    ),
    "same-period": (
        {"field": "Mois"}, [("Mois", "string")],
        [{"Mois": "2007-03"}, {"Mois": "03/2007"}],
        [{"Mois": "2007-03"}, {"Mois": "2007-03"}, {"Mois": "2007-04"}],
    ),
    "age-between": (
        {"field": "Né", "atField": "Entré", "minimum": 16, "maximum": 70},
        [("Né", "date"), ("Entré", "date")],
        [{"Né": "1980-05-17", "Entré": "2007-01-01"}],
        [{"Né": "2000-01-01", "Entré": "2007-01-01"}],
    ),
}  # fmt: skip
