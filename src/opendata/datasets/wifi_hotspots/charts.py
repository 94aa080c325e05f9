"""The catalogue page's charts of wifi-hotspots."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opendata.datasets.charts import Chart, bar_chart, line_chart

# The charts' words (French, as the catalogue page).
WORDS = {
    "by_district": "Bornes Wi-Fi en service par arrondissement : {points} bornes des {live} "
    "sites en service (non comptés : {pending} sites en projet ou fermés, {removed} sites "
    "retirés)",
    "outside_paris": "Hors Paris",
}


def _chart_sites(folder: Path) -> str:
    rows = pd.read_csv(folder / "sites.csv")
    listed = rows[rows["removed_on"].isna()]
    # What the title says: the access points of the sites in service. Planned sites and
    # those closed for works are still listed but offer no access: said, not counted.
    current = listed[listed["status"] == "operational"]
    by_arr = current.groupby("arrondissement")["access_points"].sum()
    labels = [f"{int(a)}e" for a in by_arr.index]
    values = [float(v) for v in by_arr]
    outside = current[current["arrondissement"].isna()]
    if len(outside):  # the City's sites outside Paris (car pounds) have no arrondissement
        labels.append(WORDS["outside_paris"])
        values.append(float(outside["access_points"].sum()))
    title = WORDS["by_district"].format(
        points=int(sum(values)),
        live=len(current),
        pending=len(listed) - len(current),
        removed=len(rows) - len(listed),
    )
    return bar_chart(title, labels, values)


def _chart_sessions(folder: Path) -> str:
    rows = pd.read_csv(folder / "usage-daily.csv", usecols=["date", "sessions"])
    by_day = rows.groupby("date")["sessions"].sum().sort_index()
    return line_chart(
        "Sessions Wi-Fi par jour (tous les sites, jour de Paris)",
        list(by_day.index),
        [float(v) for v in by_day],
    )


CHARTS: list[tuple[Chart, list[str]]] = [
    (_chart_sites, ["sites"]),
    (_chart_sessions, ["usage-daily"]),
]
