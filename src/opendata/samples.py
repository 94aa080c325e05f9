"""Seeded generator of realistic sample deliveries, in the departments' own formats.

The figures agree with the city's press release of 30 January 2008: about 260 Wi-Fi sites with
400 access points, 19 EPNs, 40 startups of which 20 in the June 2006 cohort. The files carry the
quirks of real exports (Windows-1252 and BOM, decimal commas, Excel title rows, retyped headers,
codes stored as Excel numbers) so that the sample data exercises the readers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stdnum import luhn

from opendata.headers import normalize_label
from opendata.storage import write_file

# Approximate centre of each arrondissement (WGS 84), kept well inside the Paris box.
CENTRES = {
    1: (48.8625, 2.3364),
    2: (48.8683, 2.3428),
    3: (48.8630, 2.3600),
    4: (48.8543, 2.3576),
    5: (48.8445, 2.3497),
    6: (48.8491, 2.3327),
    7: (48.8562, 2.3122),
    8: (48.8727, 2.3125),
    9: (48.8770, 2.3375),
    10: (48.8761, 2.3607),
    11: (48.8590, 2.3800),
    12: (48.8400, 2.3880),
    13: (48.8283, 2.3623),
    14: (48.8292, 2.3265),
    15: (48.8401, 2.2930),
    16: (48.8570, 2.2760),
    17: (48.8873, 2.3067),
    18: (48.8925, 2.3484),
    19: (48.8871, 2.3848),
    20: (48.8634, 2.4010),
}
STREETS = [
    "rue de Rivoli",
    "rue Saint-Antoine",
    "boulevard Voltaire",
    "rue de la Roquette",
    "avenue de Clichy",
    "rue de Belleville",
    "rue Oberkampf",
    "rue de Vaugirard",
    "boulevard Saint-Michel",
    "rue Mouffetard",
    "avenue d'Italie",
    "rue de Tolbiac",
    "rue d'Alésia",
    "avenue du Maine",
    "rue de la Convention",
    "rue Lecourbe",
    "avenue de Versailles",
    "rue de Passy",
    "avenue de Wagram",
    "rue de Lévis",
    "rue Ordener",
    "rue Championnet",
    "avenue Jean-Jaurès",
    "rue de Crimée",
    "rue des Pyrénées",
    "avenue Gambetta",
    "rue du Faubourg-Saint-Denis",
    "rue La Fayette",
    "rue de Charenton",
    "avenue Daumesnil",
    "rue de Rennes",
    "rue du Bac",
]
PLACES = [
    (
        "Bibliothèque",
        [
            "Forney",
            "Buffon",
            "Mouffetard",
            "Václav Havel",
            "Marguerite Duras",
            "Germaine Tillion",
            "Parmentier",
            "Chaptal",
            "Goutte d'Or",
            "Crimée",
        ],
    ),
    ("Mairie du", ["arrondissement"]),
    (
        "Parc",
        [
            "des Buttes-Chaumont",
            "Montsouris",
            "de Belleville",
            "Georges-Brassens",
            "de Bercy",
            "André-Citroën",
            "Monceau",
            "de la Villette",
            "Martin-Luther-King",
        ],
    ),
    (
        "Square",
        [
            "du Temple",
            "des Batignolles",
            "Louvois",
            "Maurice-Gardette",
            "d'Anvers",
            "René-Le-Gall",
            "Saint-Lambert",
            "Sarah-Bernhardt",
        ],
    ),
    (
        "Musée",
        [
            "Carnavalet",
            "Cernuschi",
            "Cognacq-Jay",
            "de la Vie romantique",
            "Bourdelle",
            "Zadkine",
            "d'Art moderne",
            "du Petit Palais",
        ],
    ),
    ("Jardin", ["des Halles", "du Ranelagh", "Villemin", "des Plantes", "Tino-Rossi"]),
    ("Piscine", ["Pontoise", "Georges-Vallerey", "Joséphine-Baker", "Keller"]),
    (
        "Centre d'animation",
        ["Les Halles-Le Marais", "Curial", "Wangari Maathai", "Place des Fêtes"],
    ),
]
# Squares, gardens, gymnasiums and libraries are mostly named after people.
PEOPLE = [
    "Louise-Michel",
    "Jean-Moulin",
    "Georges-Brassens",
    "Colette",
    "Émile-Zola",
    "Victor-Hugo",
    "George-Sand",
    "Simone-Weil",
    "Jules-Ferry",
    "Marie-Curie",
    "Paul-Éluard",
    "Édith-Piaf",
    "Jean-Jaurès",
    "Rosa-Parks",
    "Aimé-Césaire",
    "Olympe-de-Gouges",
    "Albert-Camus",
    "Léon-Blum",
    "Pierre-Mendès-France",
    "Germaine-Tailleferre",
    "Boris-Vian",
    "Anne-Frank",
    "Nelson-Mandela",
    "Louis-Braille",
    "Camille-Claudel",
    "Charles-Péguy",
    "Henri-Matisse",
    "Max-Jacob",
    "Robert-Desnos",
    "Frida-Kahlo",
    "Françoise-Dolto",
    "Gustave-Eiffel",
    "Paul-Verlaine",
    "Arthur-Rimbaud",
    "Joséphine-Baker",
    "Sarah-Bernhardt",
    "Jacques-Prévert",
    "Marcel-Pagnol",
    "Alexandre-Dumas",
    "Honoré-de-Balzac",
    "Molière",
    "Voltaire",
]
for kind in ("Square", "Jardin", "Gymnase", "Bibliothèque", "Centre sportif"):
    PLACES.append((kind, PEOPLE))

STATES = (
    ["Opérationnel"] * 90
    + ["Fermé pour travaux"] * 4
    + ["En projet"] * 5
    + ["Fermé définitivement"]
)
SITES_LABELS = [
    "Code site",
    "Nom du site",
    "Adresse",
    "Code postal",
    "Latitude",
    "Longitude",
    "Nombre de bornes",
    "Date de mise en service",
    "État",
]
# The older DSIN export spelled some headers its own way: the reader must take them.
SITES_LABELS_OLD = [
    "Code Site",
    "Nom du site",
    "adresse",
    "Code postal ",
    "LATITUDE",
    "Longitude",
    "Nombre de bornes",
    "Date de mise en service",
    "Etat",
]

FIXED_ZIP_TIME = (2008, 1, 30, 0, 0, 0)


def _postal_code(rng: random.Random, arr: int) -> str:
    if arr == 16 and rng.random() < 0.5:
        return "75116"  # the northern half of the 16th has its own code
    return f"750{arr:02d}"


def _coords(rng: random.Random, arr: int) -> tuple[float, float]:
    lat, lon = CENTRES[arr]
    return round(lat + rng.uniform(-0.006, 0.006), 5), round(lon + rng.uniform(-0.008, 0.008), 5)


def _comma(value: float) -> str:
    return f"{value:.5f}".replace(".", ",")


def _siren(rng: random.Random, first: str | None = None) -> str:
    head = (first or str(rng.randint(3, 9))) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return head + luhn.calc_check_digit(head)


def _siret(siren: str, nic_head: str) -> str:
    head = siren + nic_head
    return head + luhn.calc_check_digit(head)


def _sites(rng: random.Random) -> list[dict[str, Any]]:
    """The 268 sites ever listed: 260 in the newest snapshot, 8 removed since the older one."""
    candidates = sorted(
        {f"{kind} {name}" for kind, names in PLACES if kind != "Mairie du" for name in names}
    )
    rng.shuffle(candidates)
    town_halls = list(range(1, 21))
    sites = []
    for number in range(1, 269):
        if town_halls and rng.random() < 0.08:
            arr = town_halls.pop(rng.randrange(len(town_halls)))
            name = f"Mairie du {arr}{'er' if arr == 1 else 'e'} arrondissement"
        else:
            arr = rng.choice(list(CENTRES))
            name = candidates.pop()
        lat, lon = _coords(rng, arr)
        state = rng.choice(STATES)
        opened = None
        if state != "En projet":
            opened = dt.date(2007, 7, 15) + dt.timedelta(days=rng.randint(-380, 170))
        sites.append(
            {
                "code": f"PW{number:04d}",
                "name": name,
                "address": f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                "postal": _postal_code(rng, arr),
                "lat": lat,
                "lon": lon,
                "aps": 1,
                "opened": opened,
                "state": state,
            }
        )
    return sites


def _spread_access_points(rng: random.Random, sites: list[dict[str, Any]], total: int) -> None:
    """Add access points one by one, busier places first, until the total is reached."""
    weights = [3 if s["name"].startswith(("Parc", "Mairie", "Bibliothèque")) else 1 for s in sites]
    for _ in range(total - len(sites)):
        rng.choices(sites, weights)[0]["aps"] += 1


def _write_csv(
    path: Path,
    header: list[str],
    rows: list[list[str]],
    encoding: str,
    delimiter: str = ";",
    line_end: str = "\r\n",
) -> Path:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow(header)
    writer.writerows(rows)
    write_file(path, buffer.getvalue().encode(encoding))
    return path


def write_wifi_sites(raw_dir: Path, rng: random.Random) -> Iterator[Path]:
    """Two DSIN snapshots: an older Windows-1252 one and the newest, UTF-8 with a BOM."""
    sites = _sites(rng)
    newest = sites[:260]
    _spread_access_points(rng, newest, 400)
    older = [dict(s) for s in sites[:250] + sites[260:]]  # 10 sites added since, 8 removed
    for site in older:
        if site["opened"] and site["opened"] > dt.date(2007, 6, 30):
            site["opened"], site["state"] = None, "En projet"

    def row(s: dict[str, Any]) -> list[str]:
        return [
            s["code"],
            s["name"],
            s["address"],
            s["postal"],
            _comma(s["lat"]),
            _comma(s["lon"]),
            str(s["aps"]),
            s["opened"].strftime("%d/%m/%Y") if s["opened"] else "",
            s["state"],
        ]

    folder = raw_dir / "wifi-sites"
    yield _write_csv(
        folder / "sites-2007-06-30.csv", SITES_LABELS_OLD, [row(s) for s in older], "cp1252"
    )
    yield _write_csv(
        folder / "sites-2008-01-15.csv", SITES_LABELS, [row(s) for s in newest], "utf-8-sig"
    )


def _normalise_zip(path: Path) -> None:
    """Rewrite an .xlsx with fixed entry times so the generator's output is byte-stable."""
    with zipfile.ZipFile(path) as src:
        entries = [(info.filename, src.read(info)) for info in src.infolist()]
    stamp = "{:04d}-{:02d}-{:02d}T{:02d}:{:02d}:{:02d}Z".format(*FIXED_ZIP_TIME).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for name, data in entries:
            if name == "docProps/core.xml":  # openpyxl stamps the save time there
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            info = zipfile.ZipInfo(name, FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, data)


def _write_xlsx(
    path: Path, sheet: str, title: str | None, header: list[str], rows: list[list[Any]]
) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet
    if title:
        ws.append([title])
        ws.append([])
    ws.append(header)
    for values in rows:
        ws.append(values)
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, dt.date):
                cell.number_format = "DD/MM/YYYY"
    stamp = dt.datetime(*FIXED_ZIP_TIME)
    book.properties.created = stamp
    book.properties.modified = stamp
    book.properties.creator = "Ville de Paris"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    _normalise_zip(path)
    return path


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
        lat, lon = _coords(rng, arr)
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
            siret = _siret(_siren(rng), f"000{rng.randint(1, 9)}")
        else:
            manager, siret = "Ville de Paris", _siret(CITY_SIREN, f"{index:04d}")
        slug = normalize_label(name.removeprefix("EPN ")).replace(" ", "-")
        emails = f"epn.{slug}@paris.fr" + (f"; contact.{slug}@paris.fr" if index % 4 == 0 else "")
        services = "; ".join(rng.sample(EPN_SERVICES, rng.randint(1, 3)))
        publics = "; ".join(rng.sample(EPN_PUBLICS, rng.randint(0, 2)))
        checked = dt.date(2008, 1, 15) - dt.timedelta(days=rng.randint(0, 60))
        siret_cell: Any = (
            int(siret) if index % 2 else f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
        )
        lat_cell: Any = lat if index % 5 else _comma(lat)
        date_cell: Any = checked if index % 4 else checked.strftime("%d/%m/%Y")
        rows.append(
            [
                f"EPN-{index:02d}",
                name,
                f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                int(_postal_code(rng, arr)) if index % 6 == 0 else _postal_code(rng, arr),
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
    yield _write_xlsx(
        raw_dir / "epn-places" / "epn-2008-01-15.xlsx", "EPN", title, EPN_LABELS, rows
    )


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
        yield _write_csv(
            raw_dir / "epn-attendance" / f"attendance-2007-{month:02d}.csv",
            header,
            rows,
            "utf-8",
            line_end="\n",
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
        siren = _siren(rng, "0" if index % 9 == 0 else None)
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
    yield _write_xlsx(
        raw_dir / "startups" / "startups-2008-09-30.xlsx", "Entreprises", None, STARTUP_LABELS, rows
    )


def write_samples(raw_dir: Path, seed: int = 2008) -> list[Path]:
    """Write every sample delivery under ``raw_dir``; the same seed gives the same bytes."""
    written: list[Path] = []
    writers = (
        write_wifi_sites,
        write_epn_places,
        write_epn_attendance,
        write_startups,
        write_trainees,
    )
    for writer in writers:
        rng = random.Random(f"{seed}-{writer.__name__}")
        written.extend(writer(raw_dir, rng))
    from opendata import datasets, registry

    for dataset in sorted(registry.datasets()):  # a dataset's own generated sample, if any
        generator = datasets.module(dataset, "samples")
        if generator is not None and hasattr(generator, "write_sample"):
            written.append(generator.write_sample(raw_dir, seed))
    return written


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
    yield _write_xlsx(
        raw_dir / "trainees" / "trainees-2008-12-31.xlsx", "Stagiaires", None, TRAINEE_LABELS, rows
    )
