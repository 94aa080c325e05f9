"""Where a place is: coordinates inside Paris, a postcode outside Paris."""

from __future__ import annotations

from typing import Any

import numpy as np

from opendata.report.problems import Problem
from opendata.validate.rules.base import Context, check

# The bounding box of Paris intra-muros, bois de Boulogne and Vincennes included.
PARIS_LATITUDE = (48.815, 48.903)
PARIS_LONGITUDE = (2.224, 2.470)


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


RULES = {
    "paris-coordinates": (
        "« {latitude} » et « {longitude} » : un point dans Paris (latitude puis longitude, en "
        "degrés décimaux, non inversées)",
        "“{latitude}” and “{longitude}”: a point in Paris (latitude then longitude, decimal "
        "degrees, not swapped)",
    ),
    "outside-paris": (
        "« {field} » : un code postal hors de Paris est signalé",
        "“{field}”: a postcode outside Paris is pointed out",
    ),
}


PARAMETERS = {
    "paris-coordinates": {
        "latitude": "column", "longitude": "column", "postalCode?": "column", "near?": "object",
    },
    "outside-paris": {"field": "column", "departments": "list"},
}  # fmt: skip
_POINT = [("Lat", "number"), ("Lon", "number")]
EXAMPLES = {
    "paris-coordinates": (
        {"latitude": "Lat", "longitude": "Lon"}, _POINT,
        [{"Lat": "48.8566", "Lon": "2.3522"}],
        [{"Lat": "2.3522", "Lon": "48.8566"}, {"Lat": "45.76", "Lon": "4.83"}],
    ),
    "outside-paris": (
        {"field": "CP", "departments": ["93"]}, [("CP", "string")],
        [{"CP": "75011"}], [{"CP": "93500"}],
    ),
}  # fmt: skip
