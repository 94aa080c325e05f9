"""The innovation department's sample workbook of the startups it supports."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from opendata.datasets.samples import (
    new_siren,
    write_xlsx,
)

STARTUP_WORDS = [
    "Quadrant",
    "Lumen",
    "Octet",
    "Nuage",
    "Pixel",
    "Vecteur",
    "Agora",
    "Sillage",
    "Boussole",
    "Canopée",
    "Faubourg",
    "Orbite",
    "Passerelle",
    "Rhizome",
    "Sémaphore",
    "Tangente",
    "Ubiq",
    "Vigie",
    "Zénith",
    "Alcôve",
]
STARTUP_KINDS = [
    ("Logiciels", "Logiciel", "62.01Z"),
    ("Conseil", "Conseil en informatique", "6202A"),
    ("Média", "Édition en ligne", "58.29C"),
    ("Data", "Traitement de données", "63.11Z"),
    ("Web", "Portails internet", "6312Z"),
    ("Studio", "Jeux vidéo", "58.21Z"),
    ("Labs", "Recherche et développement", "72.19Z"),
]
STARTUP_LABELS = [
    "Raison sociale",
    "SIREN",
    "Secteur",
    "Code NAF",
    "Date de création",
    "Promotion",
    "Date d'entrée",
    "Date de sortie",
    "Arrondissement",
    "Effectif à l'entrée",
    "Effectif à la sortie",
    "Fonds levés (€)",
]


def _arrondissement_text(rng: random.Random, arr: int) -> Any:
    style = rng.randrange(5)
    suffix = "er" if arr == 1 else "e"
    return [
        arr,
        f"{arr}{suffix}",
        f"{arr}ème" if arr > 1 else "1er",
        f"Paris {arr}{suffix}",
        f"750{arr:02d}",
    ][style]


def _funds(rng: random.Random) -> Any:
    if rng.random() < 0.3:
        return ""
    amount = rng.choice([50_000, 120_000, 250_000, 400_000, 750_000, 1_200_000, 2_500_000])
    style = rng.randrange(4)
    if style == 0:
        return amount
    separator = [" ", "\u00a0", "\u202f"][style - 1]
    return f"{amount:,}".replace(",", separator)


def write_startups(raw_dir: Path, rng: random.Random) -> Iterator[Path]:
    """The economic development workbook: 40 companies, 20 in the June 2006 cohort."""
    rows: list[list[Any]] = []
    for index in range(40):
        cohort = 2006 if index < 20 else 2007
        word = STARTUP_WORDS[index % len(STARTUP_WORDS)]
        kind, sector, naf = STARTUP_KINDS[index % len(STARTUP_KINDS)]
        siren = new_siren(rng, "0" if index % 9 == 0 else None)
        entry = dt.date(cohort, 6 if cohort == 2006 else 3, 1) + dt.timedelta(
            days=rng.randint(0, 90)
        )
        created = entry - dt.timedelta(days=rng.randint(60, 900))
        left = entry + dt.timedelta(days=730) if cohort == 2006 and index % 5 else None
        if cohort == 2006 and index % 10 == 7:
            left = entry + dt.timedelta(days=rng.randint(200, 500))  # left early
        staff_in = rng.randint(1, 6)
        staff_out = staff_in + rng.randint(-1, 12) if left else ""
        siren_cell: Any = int(siren) if index % 3 == 0 else f"{siren[:3]} {siren[3:6]} {siren[6:]}"
        rows.append(
            [
                f"{word} {kind}" + (" SAS" if index % 2 else ""),
                siren_cell,
                sector,
                naf if index % 4 else naf.replace(".", ""),
                created,
                cohort if index % 2 else str(cohort),
                entry,
                left or "",
                _arrondissement_text(rng, rng.choice([2, 3, 10, 11, 12, 13, 18, 19, 20])),
                staff_in,
                staff_out if staff_out == "" else max(staff_out, 0),
                _funds(rng),
            ]
        )
    yield write_xlsx(
        raw_dir / "startups" / "startups-2008-09-30.xlsx", "Entreprises", None, STARTUP_LABELS, rows
    )


WRITERS = (write_startups,)  # each given a generator seeded by its name
