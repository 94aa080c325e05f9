"""Checks a Table Schema cannot express, declared per source in ``source.json``.

Each check type is a function ``(context, spec) -> problems`` over whole Arrow columns (the
cells as text, and the typed values the Table Schema engine cast); a source lists the checks it
needs with the columns they apply to, so the contract stays data and only the rules are code.
A rule written for one cell (a SIREN's check digit, an opening-hours expression) runs once per
distinct value of the column, not once per row. No pandas: ``opendata validate`` stays light.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata import normalize
from opendata.report import Problem
from opendata.vocabulary import national_labels

# The bounding box of Paris intra-muros, bois de Boulogne and Vincennes included.
PARIS_LATITUDE = (48.815, 48.903)
PARIS_LONGITUDE = (2.224, 2.470)


def _bool(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)


@dataclass
class Context:
    """What a check sees of a delivery: per contract label, its cells as text (null where the
    row has no such cell) and its typed values (null where empty or not cast)."""

    text: dict[str, pa.Array]
    values: dict[str, pa.Array]
    labels: dict[str, str]  # contract label -> label as written in the file
    positions: dict[str, int]
    rows: np.ndarray  # each row's number in the file
    raw_dir: Path | None

    def has(self, *labels: str) -> bool:
        """Whether every one of these columns is in the file."""
        return all(label in self.text for label in labels)

    def problems(
        self, kind: str, label: str, mask: np.ndarray, severity: str = "error", **params: Any
    ) -> list[Problem]:
        """One problem per row where ``mask`` is true, on the cell of column ``label``."""
        where = np.flatnonzero(mask)
        cells = self.text[label].take(pa.array(where, pa.int64())).to_pylist()
        return [
            Problem(
                kind,
                row=int(self.rows[index]),
                label=self.labels[label],
                cell="" if cell is None else str(cell),
                severity=severity,
                params={"position": self.positions[label], **params},
            )
            for index, cell in zip(where.tolist(), cells, strict=True)
        ]

    def empty(self, label: str) -> np.ndarray:
        """Mask of the rows whose cell of ``label`` is empty or absent."""
        text = self.text[label]
        return ~_bool(pc.greater(pc.binary_length(text), 0))

    def where(self, label: str, predicate: Callable[[str], Any]) -> np.ndarray:
        """Mask of the non-empty cells of ``label`` for which ``predicate`` is true, the
        predicate called once per distinct cell."""
        text = self.text[label]
        distinct = pc.unique(text).drop_null().to_pylist()
        chosen = [v for v in distinct if v and predicate(v)]
        return _bool(pc.is_in(text, pa.array(chosen, pa.string())))

    def number(self, label: str) -> np.ndarray:
        """The typed values of ``label`` as floats, NaN where empty or not cast."""
        values = pc.cast(self.values[label], pa.float64())
        return np.asarray(pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False), float)

    def isin(self, label: str, values: list[str]) -> np.ndarray:
        """Mask of the rows whose cell of ``label`` is one of ``values``."""
        return _bool(pc.is_in(self.text[label], pa.array([str(v) for v in values], pa.string())))


Check = Callable[[Context, dict[str, Any]], list[Problem]]
CHECKS: dict[str, Check] = {}
# Checks that compare every row with the others: they cannot run batch by batch (a source
# read so, the operator's months, may not declare them; the registry refuses it at load).
WHOLE_FILE_CHECKS = frozenset({"same-period"})
# Forms a source may declare in "keyForms": keys are compared in their canonical form, so
# "443 061 841" and "443061841", or "03/2007" and "2007-03", are the same key.
KEY_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "siren": normalize.siren_number,
    "siret": normalize.siret_number,
    "month": normalize.month,
}


def run_checks(specs: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    """The problems of every check a source declares (``source.json``), in order; a check
    declared with ``"severity": "warning"`` gives warnings."""
    found: list[Problem] = []
    for spec in specs:
        problems = CHECKS[spec["type"]](ctx, spec)
        if spec.get("severity") == "warning":
            problems = [
                Problem(p.type, p.row, p.label, p.cell, p.params, "warning") for p in problems
            ]
        found += problems
    return found


def check(name: str) -> Callable[[Check], Check]:
    """Register a check type under the name source.json uses."""

    def register(func: Check) -> Check:
        CHECKS[name] = func
        return func

    return register


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


@check("paris-coordinates")
def _paris_coordinates(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """Coordinates inside Paris, or, with ``postalCode`` and ``near``, inside the ``near`` box
    on rows whose postal code is one of the City's sites outside Paris (see ``outside-paris``)."""
    lat_label, lon_label = spec["latitude"], spec["longitude"]
    if not ctx.has(lat_label, lon_label):
        return []
    lat, lon = ctx.number(lat_label), ctx.number(lon_label)

    def inside(values: np.ndarray, box: tuple[float, float]) -> np.ndarray:
        return (values >= box[0]) & (values <= box[1])  # NaN compares false

    swapped = inside(lat, PARIS_LONGITUDE) & inside(lon, PARIS_LATITUDE)
    near = np.zeros(len(lat), dtype=bool)
    postal, box_near = spec.get("postalCode"), spec.get("near")
    if postal and box_near and ctx.has(postal):
        near = ctx.where(postal, lambda v: _outside_paris(v, box_near["departments"]))
    near_lat = tuple(box_near["latitude"]) if box_near else PARIS_LATITUDE
    near_lon = tuple(box_near["longitude"]) if box_near else PARIS_LONGITUDE
    found = ctx.problems("coordinates-swapped", lat_label, swapped, other=ctx.labels[lon_label])
    for rows, lat_box, lon_box, area in (
        (~near, PARIS_LATITUDE, PARIS_LONGITUDE, "paris"),
        (near, near_lat, near_lon, "near"),
    ):
        lat_out = rows & ~np.isnan(lat) & ~inside(lat, lat_box) & ~swapped
        lon_out = rows & ~np.isnan(lon) & ~inside(lon, lon_box) & ~swapped
        box: dict[str, Any] = {"lat": lat_box, "lon": lon_box, "area": area}
        found += ctx.problems("coordinates-outside-paris", lat_label, lat_out, axis="lat", **box)
        found += ctx.problems("coordinates-outside-paris", lon_label, lon_out, axis="lon", **box)
    return sorted(found, key=Problem.sort_key)


def _outside_paris(code: str, departments: list[str]) -> bool:
    """A well-formed postal code of one of ``departments`` (not a Paris one)."""
    text = code.strip()
    return len(text) == 5 and text.isdigit() and text[:2] in departments


@check("outside-paris")
def _outside_paris_check(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """Postal codes of the City's sites outside Paris (``departments``): accepted, said."""
    label = spec["field"]
    if not ctx.has(label):
        return []
    mask = ctx.where(label, lambda v: _outside_paris(v, spec["departments"]))
    return ctx.problems("outside-paris", label, mask, severity=spec.get("severity", "warning"))


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


@check("not-before")
def _not_before(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """The field's date is not before ``otherField``'s."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    mask = _bool(pc.less(ctx.values[label], ctx.values[other]))
    return ctx.problems("row-constraint", label, mask, rule="not-before", other=ctx.labels[other])


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


@check("same-period")
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
