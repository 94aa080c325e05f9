"""The catalogue page's charts of startup-support."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from opendata.datasets.charts import Chart, bar_chart


def _chart_startups(folder: Path) -> str:
    rows = pd.read_csv(folder / "cohorts.csv")
    return bar_chart(
        "Entreprises par promotion", [str(c) for c in rows["cohort"]], list(rows["startups"])
    )


CHARTS: list[tuple[Chart, list[str]]] = [(_chart_startups, ["cohorts"])]
