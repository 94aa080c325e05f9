"""``opendata fix``: a corrected copy of the steward's own file with only the corrections that
cannot be wrong, each listed; the copy validates with only the remaining faults, and keeps the
file's format (encoding, delimiter, line ends; sheets, order and styles of a workbook)."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path

import openpyxl
from openpyxl.styles import PatternFill

from opendata.contracts import registry
from opendata.repair.certain import _candidate
from opendata.validate.file import validate_file
from tests.conftest import OPENDATA, RAW
from tests.helpers import header_of

SITES = RAW / "wifi-sites" / "sites-2008-01-15.csv"


def fix(path: Path, source: str, output: Path) -> subprocess.CompletedProcess[str]:
    command = [OPENDATA, "fix", str(path), "--source", source, "--output", str(output)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _sites_with_faults(tmp_path: Path) -> Path:
    data = SITES.read_bytes()
    lines = data.decode("utf-8-sig").split("\r\n")
    rows = [line.split(";") for line in lines]
    header = rows[0]
    lat, lon, state = header.index("Latitude"), header.index("Longitude"), header.index("État")
    name, code = header.index("Nom du site"), header.index("Code site")
    rows[2][lat], rows[2][lon] = rows[2][lon], rows[2][lat]  # swapped
    rows[3][state] = "operationnel"  # the contract's "Opérationnel" but for case and accent
    rows[4][name] = "  " + rows[4][name] + "\u00a0"  # stray spaces
    rows[5][lat] = rows[5][lat].replace(",", ".")  # decimal point
    rows[6][code] = "XX-12"  # not certain: stays, and stays in the report
    target = tmp_path / "sites à corriger.csv"
    target.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(";".join(r) for r in rows).encode())
    return target


def test_a_csv_copy_gets_only_the_certain_corrections_and_keeps_its_format(
    tmp_path: Path,
) -> None:
    faulty = _sites_with_faults(tmp_path)
    source = registry.source("wifi-sites")
    before = validate_file(faulty, source).report
    out = tmp_path / "sites corrigés.csv"
    done = fix(faulty, "wifi-sites", out)
    assert done.returncode == 1, done.stderr  # a fault that is not certain remains
    said = done.stdout
    assert "E3 « Latitude » : 2,33832 → 48,86347 (latitude et longitude inversées)" in said
    assert "F3 « Longitude » : 48,86347 → 2,33832 (latitude et longitude inversées)" in said
    assert "I4 « État » : operationnel → Opérationnel (valeur permise" in said
    assert "B5 « Nom du site »" in said and "(espaces en trop au début ou à la fin)" in said
    assert "(point décimal, le contrat veut une virgule)" in said
    assert "reste 1 erreur(s) sur" in said
    after = validate_file(out, source).report
    assert [(p.row, p.label, p.type) for p in after.errors] == [
        (p.row, p.label, p.type) for p in before.errors if p.label == "Code site"
    ]
    # Same encoding with its byte-order mark, same delimiter, same line ends; untouched rows
    # byte for byte the same.
    original, copy = faulty.read_bytes(), out.read_bytes()
    assert copy.startswith(b"\xef\xbb\xbf") and b"\r\n" in copy
    unchanged = [i for i in range(len(original.split(b"\r\n"))) if i not in (2, 3, 4, 5)]
    assert [original.split(b"\r\n")[i] for i in unchanged] == [
        copy.split(b"\r\n")[i] for i in unchanged
    ]
    listing = list(csv.reader(io.StringIO(out.with_name(out.name + ".corrections.csv")
                                          .read_text("utf-8-sig")), delimiter=";"))  # fmt: skip
    assert listing[0] == ["Cellule", "Colonne", "Avant", "Après", "Pourquoi"]
    assert len(listing) == 1 + 5


def test_a_workbook_copy_keeps_its_sheets_and_styles_and_lists_its_corrections(
    tmp_path: Path,
) -> None:
    book = openpyxl.load_workbook(RAW / "startups" / "startups-2008-09-30.xlsx")
    sheet = book["Entreprises"]
    header = [c.value for c in sheet[1]]
    funds = header.index("Fonds levés (€)") + 1
    sheet.cell(2, funds).value = "150000.50"  # a decimal point where the contract wants a comma
    sheet.cell(1, 1).fill = PatternFill("solid", start_color="FFFF00")
    book.create_sheet("Notes")["A1"] = "=SUM(1,2)"
    faulty = tmp_path / "startups.xlsx"
    book.save(faulty)
    out = tmp_path / "startups corrigé.xlsx"
    done = fix(faulty, "startups", out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Entreprises!L2 « Fonds levés (€) » : 150000.50 → 150000,50" in done.stdout
    copy = openpyxl.load_workbook(out)
    assert copy.sheetnames == ["Entreprises", "Notes", "Corrections"]
    assert copy["Entreprises"].cell(2, funds).value == "150000,50"
    assert copy["Entreprises"]["A1"].fill.start_color.rgb.endswith("FFFF00")
    assert copy["Notes"]["A1"].value == "=SUM(1,2)"  # the steward's formula, kept
    assert [c.value for c in copy["Corrections"][2]][:4] == [
        "Entreprises!L2", "Fonds levés (€)", "150000.50", "150000,50",
    ]  # fmt: skip
    assert validate_file(out, registry.source("startups")).report.valid


def test_a_code_typed_as_a_number_gets_its_zero_back_but_not_a_short_text(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(RAW / "trainees" / "trainees-2008-12-31.xlsx")
    sheet = book.worksheets[0]
    top, columns = header_of(sheet, "Code postal")
    column, first = columns["Code postal"], top + 1
    sheet.cell(first, column).value = 7501  # Excel dropped the zero of 07501
    sheet.cell(first + 1, column).value = "7501"  # written so: may be 75001 or 75010
    faulty = tmp_path / "stagiaires.xlsx"
    book.save(faulty)
    out = tmp_path / "stagiaires corrigé.xlsx"
    done = fix(faulty, "trainees", out)
    assert f"{column_letter(column)}{first} « Code postal » : 7501 → 07501" in done.stdout
    assert f"{column_letter(column)}{first + 1} " not in done.stdout
    fixed = openpyxl.load_workbook(out).worksheets[0].cell(first, column)
    assert fixed.value == "07501" and fixed.number_format == "@"
    left = validate_file(out, registry.source("trainees")).report
    assert [(p.row, p.label) for p in left.errors] == [(first + 1, "Code postal")]
    # The portal's count (the workbook streamed, the validation's columns) says the same.
    assert _counted(faulty, "trainees") == (1, 1)


def _counted(path: Path, name: str) -> tuple[int, int]:
    """The corrections the copy makes, and those the portal's fast count announces."""
    from opendata.repair.copy import count, plan

    source = registry.source(name)
    validation = validate_file(path, source)
    return len(plan(path, source, validation.report)[1]), count(path, source, validation)


def test_the_fast_count_finds_what_the_copy_corrects(tmp_path: Path) -> None:
    """A workbook with its header below a title and blank lines, the coordinates of some rows
    swapped, spaces around some names, a postal code typed as a number: the count the portal
    shows (streamed, read-only) is the number of corrections of the copy."""
    book = openpyxl.load_workbook(RAW / "epn-places" / "epn-2008-01-15.xlsx")
    sheet = book["EPN"]
    top, at = header_of(sheet, "Identifiant")
    first = top + 1
    for row in range(first, first + 4):
        latitude, longitude = sheet.cell(row, at["Latitude"]), sheet.cell(row, at["Longitude"])
        latitude.value, longitude.value = longitude.value, latitude.value
    sheet.cell(first + 5, at["Nom"]).value = f"  {sheet.cell(first + 5, at['Nom']).value} "
    sheet.cell(first + 6, at["Code postal"]).value = 75011  # a number, as Excel types it
    faulty = tmp_path / "epn.xlsx"
    book.save(faulty)
    copied, counted = _counted(faulty, "epn-places")
    assert copied == counted >= 9


def column_letter(number: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(number)


def test_each_certain_correction_and_what_is_left_alone() -> None:
    month = {"name": "Mois", "type": "string", "constraints": {"pattern": "[0-9]{4}-[0-9]{2}"}}
    assert _candidate(month, "03/2008", set()) == ("2008-03", "month")
    assert _candidate(month, "13/2008", set()) is None
    state = {"name": "État", "type": "string", "constraints": {"enum": ["Fermé", "Ouvert"]}}
    assert _candidate(state, "  FERME ", set()) == ("Fermé", "spelling")
    both = {"name": "X", "type": "string", "constraints": {"enum": ["Ferme", "Fermé"]}}
    assert _candidate(both, "FERME", set()) is None  # two allowed values match: not certain
    siren = {"name": "SIREN", "type": "string"}
    from opendata.validate import normalize

    valid = next(f"0{n:08d}" for n in range(10**7, 10**8) if normalize.siren_number(f"0{n:08d}"))
    assert _candidate(siren, valid[1:], {"siren"}) == (valid, "zero")
    number = {"name": "Lat", "type": "number", "decimalChar": ","}
    assert _candidate(number, "48.85", set()) == ("48,85", "decimal")
    assert _candidate(number, "48.85.1", set()) is None


def test_what_cannot_be_corrected_says_why(tmp_path: Path) -> None:
    month = sorted((RAW / "wifi-sessions").glob("*.csv.gz"))[0]
    done = fix(month, "wifi-sessions", tmp_path / "out.csv.gz")
    assert done.returncode == 2 and "pas de copie corrigée pour un export machine" in done.stderr
    same = fix(SITES, "wifi-sites", SITES)
    assert same.returncode == 2 and "ne remplace jamais votre fichier" in same.stderr
    assert "Traceback" not in done.stderr + same.stderr


def test_a_csv_copy_rewrites_only_its_corrected_lines(tmp_path: Path) -> None:
    """Every field quoted by the steward's tool: the lines without a correction keep their
    quotes byte for byte; a file whose records span lines is written whole, still valid."""
    data = SITES.read_bytes().decode("utf-8-sig").split("\r\n")
    quoted = ['"' + '";"'.join(line.split(";")) + '"' if line else line for line in data]
    header = data[0].split(";")
    cells = data[3].split(";")
    cells[header.index("État")] = "operationnel"
    quoted[3] = '"' + '";"'.join(cells) + '"'
    faulty = tmp_path / "cités.csv"
    faulty.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(quoted).encode())
    out = tmp_path / "copie.csv"
    assert fix(faulty, "wifi-sites", out).returncode == 0
    before, after = faulty.read_bytes().split(b"\r\n"), out.read_bytes().split(b"\r\n")
    assert len(before) == len(after)
    assert [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b] == [3]
    assert "Opérationnel".encode() in after[3]
    # A name written over two lines (a quoted line break): the whole file is written anew.
    cells = data[2].split(";")
    cells[header.index("Nom du site")] = '"Jardin\nVoltaire"'
    spanning = [*data[:2], ";".join(cells), *data[3:]]
    spanning[4] = spanning[4].replace("Opérationnel", "operationnel")
    path = tmp_path / "sur deux lignes.csv"
    path.write_bytes("\r\n".join(spanning).encode())
    copy = tmp_path / "copie2.csv"
    assert fix(path, "wifi-sites", copy).returncode == 0
    assert validate_file(copy, registry.source("wifi-sites")).report.valid
