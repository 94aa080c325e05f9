"""Checks a Table Schema cannot express, declared per source in ``source.json``.

Each check type is a function ``(context, spec) -> problems``; a source lists the checks it
needs with the columns they apply to, so the contract stays data and only the rules are code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from opendata import normalize
from opendata.report import Problem
from opendata.vocabulary import national_labels

# The bounding box of Paris intra-muros, bois de Boulogne and Vincennes included.
PARIS_LATITUDE = (48.815, 48.903)
PARIS_LONGITUDE = (2.224, 2.470)


@dataclass
class Context:
    """What a check sees of a delivery: text and typed values per contract label."""

    text: dict[str, pd.Series]
    values: dict[str, pd.Series]
    labels: dict[str, str]  # contract label -> label as written in the file
    positions: dict[str, int]
    rows: list[int]
    raw_dir: Path | None

    def has(self, *labels: str) -> bool:
        """Whether every one of these columns is in the file."""
        return all(label in self.text for label in labels)

    def problems(
        self, kind: str, label: str, mask: pd.Series, severity: str = "error", **params: Any
    ) -> list[Problem]:
        """One problem per row where ``mask`` is true, on the cell of column ``label``."""
        text = self.text[label]
        found = []
        for index in mask[mask.fillna(False).astype(bool)].index:
            cell = text.iloc[index]
            found.append(
                Problem(
                    kind,
                    row=self.rows[index],
                    label=self.labels[label],
                    cell="" if cell is None else str(cell),
                    severity=severity,
                    params={"position": self.positions[label], **params},
                )
            )
        return found


Check = Callable[[Context, dict[str, Any]], list[Problem]]
CHECKS: dict[str, Check] = {}
# Forms a source may declare in "keyForms": keys are compared in their canonical form, so
# "443 061 841" and "443061841", or "03/2007" and "2007-03", are the same key.
KEY_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "siren": normalize.siren_number,
    "siret": normalize.siret_number,
    "month": normalize.month,
}


def check(name: str) -> Callable[[Check], Check]:
    """Register a check type under the name source.json uses."""

    def register(func: Check) -> Check:
        CHECKS[name] = func
        return func

    return register


def _cellwise(ctx: Context, label: str, predicate: Callable[[str], bool]) -> pd.Series:
    """Mask of non-empty cells of ``label`` for which ``predicate`` is false."""
    text = ctx.text[label]
    present = text.notna() & (text != "")
    bad = pd.Series(False, index=text.index)
    bad[present] = ~text[present].map(predicate).astype(bool)
    return bad


def _field_check(kind: str, predicate: Callable[[str], bool]) -> Check:
    def run(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
        label = spec["field"]
        if not ctx.has(label):
            return []
        return ctx.problems(kind, label, _cellwise(ctx, label, predicate))

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
    return ctx.problems("opening-hours-error", label, _cellwise(ctx, label, opening_hours.validate))


@check("label-list")
def _label_list(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    label = spec["field"]
    if not ctx.has(label):
        return []
    allowed = national_labels(spec["vocabulary"])
    text = ctx.text[label]
    found: list[Problem] = []
    for index, cell in text.items():
        if not cell:
            continue
        _, unknown = normalize.canonical_labels(str(cell), allowed)
        if unknown:
            mask = pd.Series(text.index == index, index=text.index)
            found += ctx.problems(
                "label-error", label, mask, unknown=unknown, allowed=list(allowed)
            )
    return found


@check("paris-coordinates")
def _paris_coordinates(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """Coordinates inside Paris, or, with ``postalCode`` and ``near``, inside the ``near`` box
    on rows whose postal code is one of the City's sites outside Paris (see ``outside-paris``)."""
    lat_label, lon_label = spec["latitude"], spec["longitude"]
    if not ctx.has(lat_label, lon_label):
        return []
    lat = ctx.values[lat_label].astype("Float64")
    lon = ctx.values[lon_label].astype("Float64")

    def inside(series: pd.Series, box: tuple[float, float]) -> pd.Series:
        return ((series >= box[0]) & (series <= box[1])).fillna(False).astype(bool)

    known = lat.notna() & lon.notna()
    swapped = known & inside(lat, PARIS_LONGITUDE) & inside(lon, PARIS_LATITUDE)
    near = pd.Series(False, index=lat.index)
    postal, box_near = spec.get("postalCode"), spec.get("near")
    if postal and box_near and ctx.has(postal):
        near = ctx.text[postal].map(lambda v: _outside_paris(v, box_near["departments"]))
        near = near.astype(bool)
    near_lat = tuple(box_near["latitude"]) if box_near else PARIS_LATITUDE
    near_lon = tuple(box_near["longitude"]) if box_near else PARIS_LONGITUDE
    found = ctx.problems("coordinates-swapped", lat_label, swapped, other=ctx.labels[lon_label])
    for rows, lat_box, lon_box, area in (
        (~near, PARIS_LATITUDE, PARIS_LONGITUDE, "paris"),
        (near, near_lat, near_lon, "near"),
    ):
        lat_out = rows & lat.notna() & ~inside(lat, lat_box) & ~swapped
        lon_out = rows & lon.notna() & ~inside(lon, lon_box) & ~swapped
        box: dict[str, Any] = {"lat": lat_box, "lon": lon_box, "area": area}
        found += ctx.problems("coordinates-outside-paris", lat_label, lat_out, axis="lat", **box)
        found += ctx.problems("coordinates-outside-paris", lon_label, lon_out, axis="lon", **box)
    return sorted(found, key=Problem.sort_key)


def _outside_paris(code: Any, departments: list[str]) -> bool:
    """A well-formed postal code of one of ``departments`` (not a Paris one)."""
    text = "" if code is None else str(code).strip()
    return len(text) == 5 and text.isdigit() and text[:2] in departments


@check("outside-paris")
def _outside_paris_check(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """Postal codes of the City's sites outside Paris (``departments``): accepted, said."""
    label = spec["field"]
    if not ctx.has(label):
        return []
    mask = ctx.text[label].map(lambda v: _outside_paris(v, spec["departments"])).astype(bool)
    return ctx.problems("outside-paris", label, mask, severity=spec.get("severity", "warning"))


def _empty(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(object) == "")


@check("required-unless")
def _required_unless(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """The field is required except when ``otherField`` holds one of ``values``."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    exempt = ctx.text[other].isin(spec["values"])
    mask = _empty(ctx.text[label]) & ~exempt & ~_empty(ctx.text[other])
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
    mask = (ctx.values[label] < ctx.values[other]).fillna(False).astype(bool)
    return ctx.problems("row-constraint", label, mask, rule="not-before", other=ctx.labels[other])


@check("zero-implies-zero")
def _zero_implies_zero(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """The field is 0 whenever ``otherField`` is 0 (no workshop means no participant)."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    mask = ((ctx.values[other] == 0) & (ctx.values[label] > 0)).fillna(False).astype(bool)
    return ctx.problems(
        "row-constraint", label, mask, rule="zero-implies-zero", other=ctx.labels[other]
    )


@check("same-period")
def _same_period(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """A monthly delivery covers one month: rows of another month are flagged."""
    label = spec["field"]
    if not ctx.has(label):
        return []
    months = ctx.text[label].map(lambda v: normalize.month(v) if v else None)
    counts = months.value_counts()
    if len(counts) < 2:
        return []
    main = counts.index[0]
    mask = months.notna() & (months != main)
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
    before_birthday = (on.dt.month < born.dt.month) | (
        (on.dt.month == born.dt.month) & (on.dt.day < born.dt.day)
    )
    age = on.dt.year - born.dt.year - before_birthday.astype("Int64")
    bad = pd.Series(False, index=age.index)
    if "minimum" in spec:
        bad |= (age < spec["minimum"]).fillna(False).astype(bool)
    if "maximum" in spec:
        bad |= (age > spec["maximum"]).fillna(False).astype(bool)
    when = spec.get("when")
    if when:
        if not ctx.has(when["field"]):
            return []
        bad &= ctx.text[when["field"]].isin(when["values"])
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
    pairs = zip(ctx.text[other], ctx.text[label], strict=True)
    bad = pd.Series(
        [bool(o in allowed and v and v not in allowed[o]) for o, v in pairs],
        index=ctx.text[label].index,
    )
    return ctx.problems(
        "row-constraint", label, bad, rule="allowed-combinations", other=ctx.labels[other]
    )


@check("required-if-filled")
def _required_if_filled(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """``field`` is required on rows where ``otherField`` is filled."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    mask = _empty(ctx.text[label]) & ~_empty(ctx.text[other])
    return ctx.problems(
        "row-constraint", label, mask, rule="required-if-filled", other=ctx.labels[other]
    )


@check("empty-unless-filled")
def _empty_unless_filled(ctx: Context, spec: dict[str, Any]) -> list[Problem]:
    """``field`` stays empty on rows where ``otherField`` is empty."""
    label, other = spec["field"], spec["otherField"]
    if not ctx.has(label, other):
        return []
    mask = ~_empty(ctx.text[label]) & _empty(ctx.text[other])
    return ctx.problems(
        "row-constraint", label, mask, rule="empty-unless-filled", other=ctx.labels[other]
    )
