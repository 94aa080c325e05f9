"""The catalogue page's charts of digital-public-spaces."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opendata.datasets.charts import Chart, bar_chart


def _chart_attendance(folder: Path) -> str:
    rows = pd.read_csv(folder / "attendance-monthly.csv")
    by_month = rows.groupby("month")["visits"].sum()
    return bar_chart("Visites par mois (tous les EPN)", list(by_month.index), list(by_month))


CHARTS: list[tuple[Chart, list[str]]] = [(_chart_attendance, ["attendance-monthly"])]
