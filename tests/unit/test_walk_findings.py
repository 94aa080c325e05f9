"""What the walk found, said right: a duplicate shown as the steward wrote it, one message per
cell and rule, a GeoJSON finding named by its feature and property."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl

from opendata.contracts import registry
from opendata.report.messages import message
from opendata.report.render import as_dict, as_text
from opendata.validate.file import validate_file
from tests.conftest import FIXTURES, RAW
from tests.helpers import header_of

HEADER = "Identifiant EPN;Mois;Visites;Ateliers;Participants aux ateliers;Heures d'ouverture\n"


def test_a_repeated_month_is_shown_as_written_with_the_form_it_is_compared_in(
    tmp_path: Path,
) -> None:
    month = tmp_path / "attendance-2007-03.csv"
    month.write_text(HEADER + "EPN-01;2007-03;412;12;96;120\nEPN-01;03/2007;412;12;96;120\n")
    [found] = validate_file(month, registry.source("epn-attendance"), RAW).report.errors
    assert found.type == "primary-key" and found.cell == "EPN-01 | 03/2007"
    said = message(found, "fr")
    assert "« EPN-01 | 03/2007 » figure déjà à la ligne 2" in said
    assert "(même valeur une fois lue : « EPN-01 | 2007-03 »)" in said
    same = tmp_path / "attendance-2007-04.csv"
    same.write_text(HEADER + "EPN-01;2007-04;412;12;96;120\nEPN-01;2007-04;1;1;1;1\n")
    [plain] = validate_file(same, registry.source("epn-attendance"), RAW).report.errors
    assert "une fois lue" not in message(plain, "fr")  # written the same: nothing to add


def test_a_cell_two_declarations_of_one_rule_refuse_is_said_once(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(RAW / "trainees" / "trainees-2008-12-31.xlsx")
    sheet = book.worksheets[0]
    top, column = header_of(sheet, "Date de naissance")
    row = top + 1
    sheet.cell(row, column["Date de naissance"]).value = dt.datetime(1930, 1, 1)
    sheet.cell(row, column["Statut à l'entrée"]).value = "Jeune de moins de 26 ans"
    sheet.cell(row, column["Programme"]).value = "Métiers de l'informatique"
    path = tmp_path / "stagiaires.xlsx"
    book.save(path)
    errors = validate_file(path, registry.source("trainees")).report.errors
    on_cell = [p for p in errors if (p.row, p.label) == (row, "Date de naissance")]
    assert len(on_cell) == 1  # 76 years: outside 16-70, and past 25 for a young person
    assert "entre 16 et 70 ans" in message(on_cell[0], "fr")


def test_a_geojson_finding_names_its_feature_and_property() -> None:
    path = FIXTURES / "wifi-sites" / "portal-export.geojson"
    report = validate_file(path, registry.source("wifi-sites")).report
    assert report.features
    data = as_dict(report)
    assert data["errors"][0]["cellRef"] == "features[7].properties.idpw"
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    assert features[7]["properties"].get("idpw") in (None, "")  # the very feature it names
    text = as_text(report)
    assert "Entité 8\n    - propriété « idpw » :" in text and "Ligne 9" not in text
