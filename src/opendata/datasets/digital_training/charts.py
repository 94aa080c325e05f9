"""The catalogue page's charts of digital-training: one per breakdown, with what statistical
secrecy hides."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from opendata.datasets.charts import Chart, bar_chart

# The charts' words (French, as the catalogue page).
WORDS = {
    "masked": "Masqué (secret statistique)",
    "by_dimension": "{field} des stagiaires, tous programmes et années d'entrée : effectifs des "
    "cases publiées, et stagiaires comptés dans des cases masquées",
    "unknown_totals": " (hors {unknown} programme-année dont le total est lui-même masqué, "
    "comptés par leurs seules cases publiées)",
}


def _labels(schema: dict[str, Any], field: str) -> dict[str, str]:
    """The French label of each value of a field (its Table Schema ``categories``)."""
    spec = next(f for f in schema["fields"] if f["name"] == field)
    return {str(c["value"]): str(c["label"]) for c in spec.get("categories", [])}


def _training_chart(resource: str) -> Callable[[Path], str]:
    """One breakdown of the trainees over every programme and year, as published: the cells
    in clear, and what statistical secrecy hides (from the published totals, so nothing the
    tables do not already say)."""

    def chart(folder: Path) -> str:
        package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
        schema = next(r for r in package["resources"] if r["name"] == resource)["schema"]
        spec = package["disclosureControl"]
        field = next(f for f in schema["fields"] if f.get("categories"))
        dimension = field["name"]
        labels = _labels(schema, dimension)
        rows = pd.read_csv(folder / f"{resource}.csv", dtype={spec["count"]: "Int64"})
        totals = pd.read_csv(folder / f"{spec['totals']['resource']}.csv")
        known = totals.dropna(subset=["enrolled"])
        by = spec["groupBy"]
        inside = rows.merge(known[by], on=by)  # groups whose total is published
        clear = rows.groupby(dimension, sort=False)[spec["count"]].sum(min_count=0)
        hidden = int(known["enrolled"].sum() - inside[spec["count"]].sum())
        names = [labels.get(str(v), str(v)) for v in clear.index] + [WORDS["masked"]]
        values = [float(v) for v in clear.fillna(0)] + [float(hidden)]
        title = WORDS["by_dimension"].format(field=field["title"])
        unknown = len(totals) - len(known)
        if unknown:
            title += WORDS["unknown_totals"].format(unknown=unknown)
        return bar_chart(title, names, values, muted=frozenset({len(values) - 1}))

    return chart


CHARTS: list[tuple[Chart, list[str]]] = [
    (_training_chart(name), [name, "programme-summary"])
    for name in ("by-sex", "by-age-band", "by-entry-status", "by-outcome")
]
