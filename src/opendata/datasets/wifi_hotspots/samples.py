"""Seeded generator of the Wi-Fi operator's monthly connection logs, at any scale.

Sessions follow what a city Wi-Fi network sees: more on weekdays than on Sundays, a summer dip,
an afternoon peak, busier sites (more access points, parks and libraries) drawing more people,
a device mix dominated by smartphones and laptops. Local wall-clock times skip the hour that
does not exist in late March and see the repeated October hour twice as busy (it lasts two
hours). A few rows are re-sent, as the operator's exports do. Everything is drawn with NumPy
from a seed: the same seed and month give the same bytes; a 1.2-million-row month takes a few
seconds.
"""

from __future__ import annotations

import binascii
import calendar
import datetime as dt
import gzip
import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from opendata.contracts import registry
from opendata.datasets.samples import (
    CENTRES,
    STREETS,
    comma,
    coords,
    postal_code,
    write_csv,
)
from opendata.storage import write_file

HEADER = registry.source("wifi-sessions").labels  # the operator's header, from its contract
WEEKDAY = np.array([1.0, 1.03, 1.06, 1.04, 1.0, 0.82, 0.66])  # Monday first
SEASON = {7: 0.78, 8: 0.58, 12: 0.86}
HOURS = np.array(
    [
        1,
        0.6,
        0.4,
        0.3,
        0.3,
        0.5,
        1.2,
        2.5,
        4,
        5.5,
        7,
        8,
        9.5,
        9,
        8,
        8,
        8.5,
        9.5,
        9,
        7.5,
        6,
        4.5,
        3,
        1.8,
    ]
)
DEVICES = ["smartphone", "laptop", "tablet", "other"]
DEVICE_P = [0.5, 0.33, 0.1, 0.07]
OS_BY_DEVICE = {
    "smartphone": (
        ["iOS", "Android", "Symbian", "Windows Mobile", "BlackBerry"],
        [0.42, 0.3, 0.14, 0.08, 0.06],
    ),
    "laptop": (["Windows", "Mac OS X", "Linux"], [0.74, 0.2, 0.06]),
    "tablet": (["iOS", "Android"], [0.7, 0.3]),
    "other": (["", "PlayStation", "Nintendo DS", "Linux"], [0.4, 0.25, 0.25, 0.1]),
}
LANGUAGES = ["fr", "en", "es", "de", "it", "zh", "ar", "pt", "ja", "nl", ""]
LANGUAGE_P = [0.66, 0.12, 0.04, 0.03, 0.03, 0.02, 0.02, 0.02, 0.01, 0.01, 0.04]
DAILY_BASE = 20_000  # sessions a day across the network in an ordinary month
SAMPLE_MONTH = "2007-10"
SAMPLE_DAILY = 3_200  # the committed sample: the quiet end of the range, 2,000 a day at least


def _last_sunday(year: int, month: int) -> int:
    last = calendar.monthrange(year, month)[1]
    return last - (dt.date(year, month, last).weekday() + 1) % 7


def site_catalogue(seed: int = 2008) -> list[dict[str, Any]]:
    """The sites of the sample ``wifi-sites`` deliveries, with their access points."""
    rng = random.Random(f"{seed}-write_wifi_sites")
    sites = _sites(rng)
    newest = sites[:260]
    _spread_access_points(rng, newest, 400)
    return sites


def _sites_open(seed: int, first_day: dt.date) -> tuple[list[str], np.ndarray]:
    """Codes of the sites taking connections that month, and their popularity weights."""
    sites = site_catalogue(seed)
    newest_snapshot = dt.date(2008, 1, 15)
    codes, weights = [], []
    rng = np.random.default_rng(seed)
    factors = rng.lognormal(0.0, 0.5, len(sites))
    for index, site in enumerate(sites):
        opened = site["opened"]
        removed = index >= 260
        if opened is None or opened > first_day + dt.timedelta(days=27):
            continue
        if removed and first_day >= newest_snapshot:
            continue
        kind = 1.6 if site["name"].startswith(("Parc", "Bibliothèque", "Mairie")) else 1.0
        codes.append(site["code"])
        weights.append(site["aps"] * kind * factors[index])
    w = np.array(weights)
    return codes, w / w.sum()


def month_table(
    month: str, seed: int = 2008, rows: int | None = None, resent: int | None = None
) -> pa.Table:
    """The sessions of one month (``AAAA-MM``) as the operator writes them, text columns."""
    year, mon = (int(p) for p in month.split("-"))
    first = dt.date(year, mon, 1)
    ndays = calendar.monthrange(year, mon)[1]
    rng = np.random.default_rng([seed, year, mon])
    weekday = np.array([WEEKDAY[(first + dt.timedelta(days=d)).weekday()] for d in range(ndays)])
    per_day = weekday * SEASON.get(mon, 1.0) * rng.normal(1.0, 0.05, ndays).clip(0.8, 1.2)
    total = rows if rows is not None else int(DAILY_BASE * per_day.sum())
    day = rng.choice(ndays, size=total, p=per_day / per_day.sum())
    day.sort()
    hour_p = np.tile(HOURS, (ndays, 1))
    spring = _last_sunday(year, 3) - 1 if mon == 3 else None
    autumn = _last_sunday(year, 10) - 1 if mon == 10 else None
    if spring is not None:
        hour_p[spring, 3] += hour_p[spring, 2]
        hour_p[spring, 2] = 0  # 02:00-02:59 does not exist that night
    if autumn is not None:
        hour_p[autumn, 2] *= 2  # 02:00-02:59 happens twice
    hour_p /= hour_p.sum(axis=1, keepdims=True)
    cumulative = hour_p.cumsum(axis=1)
    hour = (rng.random(total)[:, None] > cumulative[day]).sum(axis=1).clip(0, 23)
    seconds = hour * 3600 + rng.integers(0, 3600, total)
    order = np.lexsort((seconds, day))
    day, seconds = day[order], seconds[order]
    start = (
        np.datetime64(first, "s") + day.astype("timedelta64[D]") + seconds.astype("timedelta64[s]")
    )
    codes, weights = _sites_open(seed, first)
    site = np.array(codes)[rng.choice(len(codes), size=total, p=weights)]
    duration = np.exp(rng.normal(6.9, 1.05, total)).clip(5, 8 * 3600).astype(np.int64)
    rate = np.exp(rng.normal(9.6, 1.2, total))
    bytes_in = (duration * rate).astype(np.int64)
    bytes_out = (bytes_in * np.exp(rng.normal(-2.6, 0.6, total))).astype(np.int64)
    device_index = rng.choice(len(DEVICES), size=total, p=DEVICE_P)
    device = np.array(DEVICES)[device_index]
    os_names = np.empty(total, dtype=object)
    for index, name in enumerate(DEVICES):
        mask = device_index == index
        names, probs = OS_BY_DEVICE[name]
        os_names[mask] = np.array(names, dtype=object)[rng.choice(len(names), mask.sum(), p=probs)]
    language = np.array(LANGUAGES)[rng.choice(len(LANGUAGES), size=total, p=LANGUAGE_P)]
    ids = rng.integers(0, 2**63, total, dtype=np.int64).astype(">u8")
    hexed = binascii.hexlify(ids.tobytes())
    session_id = (
        pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), total, [None, pa.py_buffer(hexed)])
        .cast(pa.binary())
        .cast(pa.string())
    )
    start_text = pc.replace_substring(pa.array(np.datetime_as_string(start, unit="s")), "T", " ")
    table = pa.table(
        {
            "session_id": session_id,
            "site_code": pa.array(site),
            "start_time": start_text,
            "duration_s": pa.array(duration).cast(pa.string()),
            "bytes_in": pa.array(bytes_in).cast(pa.string()),
            "bytes_out": pa.array(bytes_out).cast(pa.string()),
            "device_type": pa.array(device),
            "os": pa.array(os_names, pa.string()),
            "language": pa.array(language),
        }
    )
    copies = resent if resent is not None else max(1, total // 5000)
    if copies:
        # The operator re-sends a block of rows now and then: identical copies, counted once.
        begin = int(rng.integers(0, max(1, total - copies)))
        table = pa.concat_tables([table, table.slice(begin, copies)])
    return table


def csv_gz_bytes(table: pa.Table) -> bytes:
    """The gzipped CSV of a text table, byte-stable (no file name or time in the gzip header)."""
    text = io.BytesIO()
    text.write((",".join(table.column_names) + "\n").encode())
    pcsv.write_csv(table, text, pcsv.WriteOptions(include_header=False, quoting_style="none"))
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=6) as gz:
        gz.write(text.getvalue())
    return out.getvalue()


def write_month(
    raw_dir: Path, month: str, seed: int = 2008, rows: int | None = None, resent: int | None = None
) -> Path:
    """Write ``raw_dir/wifi-sessions/sessions-<month>.csv.gz``."""
    path = raw_dir / "wifi-sessions" / f"sessions-{month}.csv.gz"
    write_file(path, csv_gz_bytes(month_table(month, seed, rows, resent)))
    return path


def write_sample(raw_dir: Path, seed: int = 2008) -> Path:
    """The committed sample month: October 2007, with the repeated hour of the 28th."""
    year, mon = (int(p) for p in SAMPLE_MONTH.split("-"))
    days = calendar.monthrange(year, mon)[1]
    return write_month(raw_dir, SAMPLE_MONTH, seed, rows=SAMPLE_DAILY * days, resent=40)


# The sites: the DSIN's sites file, in two snapshots.
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
        lat, lon = coords(rng, arr)
        state = rng.choice(STATES)
        opened = None
        if state != "En projet":
            opened = dt.date(2007, 7, 15) + dt.timedelta(days=rng.randint(-380, 170))
        sites.append(
            {
                "code": f"PW{number:04d}",
                "name": name,
                "address": f"{rng.randint(1, 180)} {rng.choice(STREETS)}",
                "postal": postal_code(rng, arr),
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
            comma(s["lat"]),
            comma(s["lon"]),
            str(s["aps"]),
            s["opened"].strftime("%d/%m/%Y") if s["opened"] else "",
            s["state"],
        ]

    folder = raw_dir / "wifi-sites"
    yield write_csv(
        folder / "sites-2007-06-30.csv", SITES_LABELS_OLD, [row(s) for s in older], "cp1252"
    )
    yield write_csv(
        folder / "sites-2008-01-15.csv", SITES_LABELS, [row(s) for s in newest], "utf-8-sig"
    )


WRITERS = (write_wifi_sites,)  # each given a generator seeded by its name
