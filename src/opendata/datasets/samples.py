"""What every dataset's sample writer uses: places in Paris, codes, and files written the way
the departments' systems write them (CSV in their encodings, workbooks whose zip entries carry
a fixed date so that the same seed gives the same bytes).

The figures of the committed samples agree with the city's press release of 30 January 2008:
about 260 Wi-Fi sites with 400 access points, 19 EPNs, 40 startups of which 20 in the June 2006
cohort. The files carry the quirks of real exports (Windows-1252 and BOM, decimal commas, Excel
title rows, retyped headers, codes stored as Excel numbers) so that the sample data exercises
the readers. Each dataset's writers are in ``datasets/<dataset>/samples.py`` (``WRITERS``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import re
import zipfile
from pathlib import Path
from typing import Any

from stdnum import luhn

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

FIXED_ZIP_TIME = (2008, 1, 30, 0, 0, 0)


def postal_code(rng: random.Random, arr: int) -> str:
    if arr == 16 and rng.random() < 0.5:
        return "75116"  # the northern half of the 16th has its own code
    return f"750{arr:02d}"


def coords(rng: random.Random, arr: int) -> tuple[float, float]:
    lat, lon = CENTRES[arr]
    return round(lat + rng.uniform(-0.006, 0.006), 5), round(lon + rng.uniform(-0.008, 0.008), 5)


def comma(value: float) -> str:
    return f"{value:.5f}".replace(".", ",")


def new_siren(rng: random.Random, first: str | None = None) -> str:
    head = (first or str(rng.randint(3, 9))) + "".join(str(rng.randint(0, 9)) for _ in range(7))
    return head + luhn.calc_check_digit(head)


def siret_of(siren: str, nic_head: str) -> str:
    head = siren + nic_head
    return head + luhn.calc_check_digit(head)


def write_csv(
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


def normalise_zip(path: Path) -> None:
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


def write_xlsx(
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
    normalise_zip(path)
    return path
