"""startup-support: the companies the city supported, and totals per cohort."""

from __future__ import annotations

import pandas as pd

from opendata.datasets.protocol import Frames, Inputs
from opendata.validate import normalize


def startups(text: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """One row per company, codes in their canonical forms."""
    return pd.DataFrame(
        {
            "siren": text["SIREN"].map(normalize.siren_number),
            "name": text["Raison sociale"],
            "sector": text["Secteur"],
            "naf_code": text["Code NAF"].map(normalize.naf_code),
            "created_on": values["Date de création"],
            "cohort": values["Promotion"],
            "joined_on": values["Date d'entrée"],
            "left_on": values["Date de sortie"],
            "arrondissement": text["Arrondissement"].map(normalize.arrondissement),
            "staff_at_entry": values["Effectif à l'entrée"],
            "staff_at_exit": values["Effectif à la sortie"],
            "funds_raised_eur": values["Fonds levés (€)"],
        }
    )


def cohorts(companies: pd.DataFrame) -> pd.DataFrame:
    """Totals per cohort. Staff at exit sums the companies that have left (None if none has);
    undisclosed funds count as zero, as the description of the field says."""
    grouped = companies.groupby("cohort", sort=True)
    table = pd.DataFrame(
        {
            "startups": grouped.size(),
            "staff_at_entry": grouped["staff_at_entry"].sum(),
            "staff_at_exit": grouped["staff_at_exit"].sum(min_count=1),
            "funds_raised_eur": grouped["funds_raised_eur"].sum(),
        }
    )
    return table.reset_index()


def transform(inputs: Inputs) -> Frames:
    """Companies from the newest workbook, and their cohorts."""
    newest = inputs["startups"][-1]
    table = startups(newest.text, newest.values).sort_values("siren").reset_index(drop=True)
    return {"startups": table, "cohorts": cohorts(table)}
