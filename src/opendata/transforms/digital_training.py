"""digital-training: counts of trainees by programme, year, sex, age band and outcome.

Only counts leave this module: no identity column is read. The counts are exact here; the
publishing step applies the disclosure control declared in the package metadata before anything
is written.
"""

from __future__ import annotations

import itertools

import pandas as pd

from opendata.transforms import Frames, Inputs

SEX = {"F": "F", "Femme": "F", "M": "M", "Homme": "M"}
AGE_BANDS = [("16-25", 16, 25), ("26-44", 26, 44), ("45-70", 45, 70)]
SITUATION = {
    "En emploi": "employed",
    "En formation": "further_training",
    "En recherche d'emploi": "job_seeking",
    "Sans nouvelles": "no_news",
}
OUTCOMES = ["ongoing", "pending", *SITUATION.values()]
PROGRAMMES = ["Métiers de l'informatique", "Animateurs numériques"]
KEY = ["programme", "year", "sex", "age_band", "outcome"]


def _age_at(born: pd.Series, on: pd.Series) -> pd.Series:
    before_birthday = (on.dt.month < born.dt.month) | (
        (on.dt.month == born.dt.month) & (on.dt.day < born.dt.day)
    )
    return on.dt.year - born.dt.year - before_birthday.astype(int)


def _band(age: int) -> str:
    for name, low, high in AGE_BANDS:
        if low <= age <= high:
            return name
    raise ValueError("age outside the validated 16-70 range")


def _outcome(left: object, situation: object) -> str:
    if pd.isna(left):  # type: ignore[call-overload]
        return "ongoing"
    return SITUATION.get(str(situation), "pending") if isinstance(situation, str) else "pending"


def people(text: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """One row per trainee with only the published dimensions (no identity)."""
    age = _age_at(values["Date de naissance"], values["Date d'entrée"])
    return pd.DataFrame(
        {
            "programme": text["Programme"],
            "year": values["Date d'entrée"].dt.year,
            "sex": text["Sexe"].map(SEX),
            "age_band": age.map(_band),
            "outcome": [
                _outcome(left, situation)
                for left, situation in zip(
                    values["Date de sortie"], text["Situation à 6 mois"], strict=True
                )
            ],
            "certified": text["Certification obtenue"] == "Oui",
        }
    )


def outcomes(rows: pd.DataFrame) -> pd.DataFrame:
    """The complete cross table (every combination, zeros included) of exact counts."""
    years = range(int(rows["year"].min()), int(rows["year"].max()) + 1) if len(rows) else []
    grid = pd.DataFrame(
        list(itertools.product(PROGRAMMES, years, ["F", "M"], [b[0] for b in AGE_BANDS], OUTCOMES)),
        columns=KEY,
    )
    counts = rows.groupby(KEY).size().rename("trainees").reset_index()
    table = grid.merge(counts, on=KEY, how="left")
    table["trainees"] = table["trainees"].fillna(0).astype(int)
    return table


def summary(rows: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """Totals per programme and year, from the same people as the cross table."""
    groups = cells[["programme", "year"]].drop_duplicates().reset_index(drop=True)
    grouped = rows.groupby(["programme", "year"])
    table = groups.merge(
        pd.DataFrame(
            {
                "enrolled": grouped.size(),
                "completed": grouped["outcome"].agg(lambda s: int((s != "ongoing").sum())),
                "certified": grouped["certified"].sum(),
                "employed_6m": grouped["outcome"].agg(lambda s: int((s == "employed").sum())),
            }
        ).reset_index(),
        on=["programme", "year"],
        how="left",
    )
    counts = ["enrolled", "completed", "certified", "employed_6m"]
    table[counts] = table[counts].fillna(0).astype(int)
    return table


def transform(inputs: Inputs) -> Frames:
    """Exact counts; disclosure control is applied by the caller from the package rule."""
    newest = inputs["trainees"][-1]
    rows = people(newest.text, newest.values)
    cells = outcomes(rows)
    return {"outcomes": cells, "programme-summary": summary(rows, cells)}
