"""The EPN network's sample deliveries: the places workbook and the monthly attendance files."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from opendata.datasets.samples import (
    STREETS,
    comma,
    coords,
    new_siren,
    postal_code,
    siret_of,
    write_csv,
    write_xlsx,
)
from opendata.validate.readers.headers import normalize_label

EPN_NAMES = [
    "EPN Belleville",
    "EPN Goutte d'Or",
    "EPN Flandre",
    "EPN Saint-Blaise",
    "EPN Chapelle",
    "EPN Porte de Vanves",
    "EPN Didot",
    "EPN Olympiades",
    "EPN Bercy",
    "EPN Charonne",
    "EPN Fontaine-au-Roi",
    "EPN Épinettes",
    "EPN Moskowa",
    "EPN Curial",
    "EPN Amandiers",
    "EPN Château-Rouge",
    "EPN Porte de Saint-Ouen",
    "EPN Place des Fêtes",
    "Espace numérique La Poste Louvre",
]
EPN_ARRONDISSEMENTS = [20, 18, 19, 20, 18, 14, 14, 13, 12, 20, 11, 17, 18, 19, 20, 18, 17, 19, 1]
EPN_HOURS = [
    "Mo-Fr 10:00-18:00; Sa 10:00-13:00",
    "Tu-Sa 10:00-19:00",
    "Mo-Fr 09:30-12:30,14:00-18:00",
    "Mo,We,Fr 14:00-20:00; Sa 10:00-17:00",
    "Tu-Fr 13:00-19:00; Sa 10:00-18:00",
]
EPN_SERVICES = [
    "Accès internet et matériel informatique",
    "Maîtrise des outils numériques du quotidien",
    "Aide aux démarches administratives",
    "Insertion professionnelle via le numérique",
    "Loisirs et créations numériques",
    "Utilisation sécurisée du numérique",
]
EPN_PUBLICS = ["Jeunes", "Seniors", "Familles et/ou enfants", "Femmes", "Étudiants"]
EPN_LABELS = [
    "Identifiant",
    "Nom",
    "Adresse",
    "Code postal",
    "Téléphone",
    "Courriel",
    "Site web",
    "Horaires",
    "Services",
    "Publics",
    "Gestionnaire",
    "SIRET du gestionnaire",
    "Latitude",
    "Longitude",
    "Date de mise à jour",
]
CITY_SIREN = "217500016"  # Ville de Paris


def _phone(rng: random.Random) -> str:
    # Paris lines: 01 40 to 01 58.
    digits = [f"{rng.randint(40, 58)}"] + [f"{rng.randint(10, 99)}" for _ in range(3)]
    style = rng.randrange(3)
    if style == 0:
        return "01 " + " ".join(digits)
    if style == 1:
        return "01." + ".".join(digits)
    return "+33 1 " + " ".join(digits)


def _la_poste_siret(rng: random.Random) -> str:
    """A La Poste establishment: SIREN 356000000, digits summing to a multiple of 5."""
    while True:
        nic = f"{rng.randint(1, 99999):05d}"
        number = "356000000" + nic
        if sum(map(int, number)) % 5 == 0 and number != "35600000000048":
            return number


def write_epn_places(raw_dir: Path, rng: random.Random) -> Iterator[Path]:
    """The DDCT workbook: a title line, a blank line, then the header; mixed cell types."""
    rows: list[list[Any]] = []
    for index, (name, arr) in enumerate(zip(EPN_NAMES, EPN_ARRONDISSEMENTS, strict=True), 1):
        lat, lon = coords(rng, arr)
        if name.endswith("La Poste Louvre"):
            manager, siret = "La Poste", _la_poste_siret(rng)
        elif index % 3 == 0:
            manager = rng.choice(
                [
                    "Association Emmaüs Connect",
                    "Association Fontaine numérique",
                    "Centre social Espace 19",
                    "Association Cyber-Base",
                ]
            )
            siret = siret_of(new_siren(rng), f"000{rng.randint(1, 9)}")
        else:
            manager, siret = "Ville de Paris", siret_of(CITY_SIREN, f"{index:04d}")
        slug = normalize_label(name.removeprefix("EPN ")).replace(" ", "-")
        emails = f"epn.{slug}@paris.fr" + (f"; contact.{slug}@paris.fr" if index % 4 == 0 else "")
        services = "; ".join(rng.sample(EPN_SERVICES, rng.randint(1, 3)))
        publics = "; ".join(rng.sample(EPN_PUBLICS, rng.randint(0, 2)))
        checked = dt.date(2008, 1, 15) - dt.timedelta(days=rng.randint(0, 60))
        siret_cell: Any = (
            int(siret) if index % 2 else f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
        )
        lat_cell: Any = lat if index % 5 else comma(lat)
        date_cell: Any = checked if index % 4 else checked.strftime("%d/%m/%Y")
        rows.append(
            [
                f"EPN-{index:02d}",
                name,
                f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                int(postal_code(rng, arr)) if index % 6 == 0 else postal_code(rng, arr),
                _phone(rng),
                emails,
                f"https://www.paris.fr/lieux/{slug}",
                rng.choice(EPN_HOURS),
                services,
                publics,
                manager,
                siret_cell,
                lat_cell,
                lon,
                date_cell,
            ]
        )
    title = "Espaces Publics Numériques de la Ville de Paris — état au 15/01/2008"
    yield write_xlsx(raw_dir / "epn-places" / "epn-2008-01-15.xlsx", "EPN", title, EPN_LABELS, rows)


def write_epn_attendance(raw_dir: Path, rng: random.Random) -> Iterator[Path]:
    """One DDCT file a month for 2007, one row per EPN; the month written two ways."""
    header = [
        "Identifiant EPN",
        "Mois",
        "Visites",
        "Ateliers",
        "Participants aux ateliers",
        "Heures d'ouverture",
    ]
    base = {i: rng.randint(250, 900) for i in range(1, len(EPN_NAMES) + 1)}
    for month in range(1, 13):
        season = 0.55 if month == 8 else (0.85 if month == 7 else 1.0)
        rows = []
        for epn, visits in base.items():
            workshops = 0 if month == 8 and epn % 2 else rng.randint(2, 16)
            participants = sum(rng.randint(4, 12) for _ in range(workshops))
            label = f"2007-{month:02d}" if month % 2 else f"{month:02d}/2007"
            rows.append(
                [
                    f"EPN-{epn:02d}",
                    label,
                    str(int(visits * season * rng.uniform(0.85, 1.15))),
                    str(workshops),
                    str(participants),
                    str(rng.choice([96, 112, 120, 140])),
                ]
            )
        yield write_csv(
            raw_dir / "epn-attendance" / f"attendance-2007-{month:02d}.csv",
            header,
            rows,
            "utf-8",
            line_end="\n",
        )


WRITERS = (
    write_epn_places,
    write_epn_attendance,
)  # each given a generator seeded by its name
