"""The training providers' sample workbook of trainees (invented people: personal data)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from opendata.datasets.samples import (
    write_xlsx,
)

FIRST_NAMES_F = [
    "Claire",
    "Nadia",
    "Sophie",
    "Fatou",
    "Élodie",
    "Aurélie",
    "Samira",
    "Julie",
    "Mélanie",
    "Karima",
    "Sandrine",
    "Aïcha",
    "Camille",
    "Laetitia",
    "Virginie",
]
FIRST_NAMES_M = [
    "Karim",
    "Julien",
    "Mamadou",
    "Nicolas",
    "Sébastien",
    "Mehdi",
    "Thomas",
    "Olivier",
    "Yacine",
    "Jérôme",
    "Moussa",
    "Romain",
    "Fabrice",
    "Rachid",
    "Cédric",
]
# Invented surnames: common French word-stems, never a real register.
LAST_NAMES = [
    "Morvan",
    "Lecomte",
    "Delaunay",
    "Benhamou",
    "Traoré",
    "Guérin",
    "Pasquier",
    "Ferrand",
    "Kaddour",
    "Lemaire",
    "Rouvière",
    "Diallo",
    "Chauvet",
    "Marchal",
    "Besnard",
    "Haddad",
    "Valette",
    "Coulibaly",
    "Tessier",
    "Rigaud",
    "Boucher",
    "Mansouri",
    "Perrault",
    "Aubertin",
    "Keita",
    "Lavigne",
    "Brossard",
    "Sabatier",
]
TRAINEE_LABELS = [
    "N° dossier",
    "Nom",
    "Prénom",
    "Date de naissance",
    "Sexe",
    "Code postal",
    "Programme",
    "Statut à l'entrée",
    "Date d'entrée",
    "Date de sortie",
    "Certification obtenue",
    "Situation à 6 mois",
]
TRAINEES_SNAPSHOT = dt.date(2008, 12, 31)


def _trainee(rng: random.Random, programme: str, index: int) -> list[Any]:
    female = rng.random() < (0.45 if programme.startswith("Métiers") else 0.6)
    entry_year = rng.choice([2006, 2007, 2008])
    entry = dt.date(entry_year, rng.choice([3, 9, 10]), rng.randint(1, 20))
    if programme.startswith("Métiers"):
        status = rng.choices(
            ["Jeune de moins de 26 ans", "Bénéficiaire du RMI", "Demandeur d'emploi"], [4, 3, 5]
        )[0]
        age = rng.randint(18, 25) if status.startswith("Jeune") else rng.randint(26, 55)
        weeks = rng.randint(26, 40)
    else:
        status, age, weeks = "Salarié", rng.randint(24, 58), rng.randint(8, 16)
    born = entry - dt.timedelta(days=age * 365 + rng.randint(30, 330))
    exit_date: dt.date | None = entry + dt.timedelta(weeks=weeks)
    if rng.random() < 0.1:  # dropped out
        exit_date = entry + dt.timedelta(weeks=rng.randint(3, weeks - 1))
    assert exit_date is not None
    if exit_date > TRAINEES_SNAPSHOT:
        exit_date = None
    certified = "" if exit_date is None else rng.choices(["Oui", "Non"], [7, 3])[0]
    situation = ""
    if exit_date and exit_date + dt.timedelta(days=183) <= TRAINEES_SNAPSHOT:
        weights = [5, 2, 3, 1] if certified == "Oui" else [2, 2, 4, 2]
        situation = rng.choices(
            ["En emploi", "En formation", "En recherche d'emploi", "Sans nouvelles"], weights
        )[0]
    sex = ("F" if female else "M") if rng.random() < 0.7 else ("Femme" if female else "Homme")
    first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
    arr = rng.choice([10, 11, 13, 18, 19, 20, 14, 15, 12])
    postal = f"750{arr:02d}" if rng.random() < 0.85 else rng.choice(["93100", "93200", "94200"])
    prefix = "MI" if programme.startswith("Métiers") else "AN"
    return [
        f"{prefix}-{entry_year}-{index:03d}",
        rng.choice(LAST_NAMES),
        first,
        born if index % 3 else born.strftime("%d/%m/%Y"),
        sex,
        postal,
        programme,
        status,
        entry if index % 2 else entry.strftime("%d/%m/%Y"),
        (exit_date or ""),
        certified,
        situation,
    ]


def write_trainees(raw_dir: Path, rng: random.Random) -> Iterator[Path]:
    """The training providers' workbook: 120 job seekers in IT jobs, 30 digital animators."""
    rows = [_trainee(rng, "Métiers de l'informatique", i) for i in range(1, 121)]
    rows += [_trainee(rng, "Animateurs numériques", i) for i in range(1, 31)]
    yield write_xlsx(
        raw_dir / "trainees" / "trainees-2008-12-31.xlsx", "Stagiaires", None, TRAINEE_LABELS, rows
    )


WRITERS = (write_trainees,)  # each given a generator seeded by its name
