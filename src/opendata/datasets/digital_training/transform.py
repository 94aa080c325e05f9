"""digital-training: linked tables of trainees per programme and year of entry.

One table per breakdown (sex, age band, status at entry, outcome), each complete (zeros
included) and summing to the programme-year total of ``programme-summary``: low-dimensional
tables sharing their margins, as statistical offices publish them, rather than one five-way
cross table where almost every cell is small. Only counts leave this module: no identity column
is read. The counts are exact here; the publishing step applies the disclosure control declared
in the package metadata (one suppression pattern over all the tables) before anything is written.
"""

from __future__ import annotations

import itertools

import pandas as pd

from opendata.datasets.protocol import Frames, Inputs

SEX = {"F": "F", "Femme": "F", "M": "M", "Homme": "M"}
AGE_BANDS = [("16-25", 16, 25), ("26-44", 26, 44), ("45-70", 45, 70)]
SITUATION = {
    "En emploi": "employed",
    "En formation": "further_training",
    "En recherche d'emploi": "job_seeking",
    "Sans nouvelles": "no_news",
}
OUTCOMES = ["ongoing", "pending", *SITUATION.values()]
ENTRY_STATUS = {
    "Demandeur d'emploi": "job_seeker",
    "Jeune de moins de 26 ans": "under_26",
    "Bénéficiaire du RMI": "rmi_recipient",
    "Salarié": "employee",
}
PROGRAMMES = ["Métiers de l'informatique", "Animateurs numériques"]
GROUP = ["programme", "year"]
# Each published breakdown: its resource, its dimension and every value it takes (in order).
BREAKDOWNS = {
    "by-sex": ("sex", ["F", "M"]),
    "by-age-band": ("age_band", [b[0] for b in AGE_BANDS]),
    "by-entry-status": ("entry_status", list(ENTRY_STATUS.values())),
    "by-outcome": ("outcome", OUTCOMES),
}


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
            "entry_status": text["Statut à l'entrée"].map(ENTRY_STATUS),
            "outcome": [
                _outcome(left, situation)
                for left, situation in zip(
                    values["Date de sortie"], text["Situation à 6 mois"], strict=True
                )
            ],
            "certified": text["Certification obtenue"] == "Oui",
        }
    )


def _years(rows: pd.DataFrame) -> range:
    return range(int(rows["year"].min()), int(rows["year"].max()) + 1) if len(rows) else range(0)


def breakdown(rows: pd.DataFrame, dimension: str, values: list[str]) -> pd.DataFrame:
    """Exact counts per programme, year and one dimension: every combination, zeros included."""
    key = [*GROUP, dimension]
    grid = pd.DataFrame(list(itertools.product(PROGRAMMES, _years(rows), values)), columns=key)
    counts = rows.groupby(key).size().rename("trainees").reset_index()
    table = grid.merge(counts, on=key, how="left")
    table["trainees"] = table["trainees"].fillna(0).astype(int)
    return table


def summary(rows: pd.DataFrame) -> pd.DataFrame:
    """Totals per programme and year, from the same people as the breakdowns."""
    groups = pd.DataFrame(list(itertools.product(PROGRAMMES, _years(rows))), columns=GROUP)
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
    frames = {name: breakdown(rows, *spec) for name, spec in BREAKDOWNS.items()}
    return {**frames, "programme-summary": summary(rows)}
