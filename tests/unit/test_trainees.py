"""The trainee file: every rule caught, and a report that shows only the faulty cell."""

from __future__ import annotations

import json

import pytest
from python_calamine import CalamineWorkbook

from opendata.contracts import registry
from opendata.report.problems import MASK, redacted
from opendata.report.render import as_html, as_json, as_text
from opendata.validate.file import validate_file
from tests.conftest import FIXTURES

PATH = FIXTURES / "trainees/every-error.xlsx"
SOURCE = registry.source("trainees")


def _identity_by_row() -> dict[int, dict[str, str]]:
    """Identity values of each spreadsheet row, as a steward's file shows them."""
    sheet = CalamineWorkbook.from_path(str(PATH)).get_sheet_by_name("Stagiaires").to_python()
    header = [str(c) for c in sheet[0]]
    rows = {}
    for number, values in enumerate(sheet[1:], start=2):
        cells = dict(zip(header, values, strict=True))
        born = cells["Date de naissance"]
        rows[number] = {
            "N° dossier": str(cells["N° dossier"]),
            "Nom": str(cells["Nom"]),
            "Prénom": str(cells["Prénom"]),
            "Date de naissance": born.strftime("%d/%m/%Y"),
            "Code postal": str(cells["Code postal"]),
        }
    return rows


def test_every_trainee_rule_is_pinned() -> None:
    assert validate_file(PATH, SOURCE).report.flatten() == [
        (3, "Date de naissance", "row-constraint"),  # 11 years old at entry
        (4, "Date de naissance", "row-constraint"),  # "young under 26" aged 26
        (5, "Date de sortie", "row-constraint"),  # exit before entry
        (6, "Statut à l'entrée", "row-constraint"),  # employee in the job seekers' programme
        (7, "Certification obtenue", "row-constraint"),  # certified while still training
        (8, "Certification obtenue", "row-constraint"),  # left without a certification answer
        (9, "N° dossier", "primary-key"),
        (9, "Sexe", "constraint-error"),
        (10, "Code postal", "constraint-error"),
    ]


@pytest.mark.parametrize("render", [as_text, as_json, as_html])
def test_each_message_shows_only_its_own_faulty_cell(render) -> None:  # type: ignore[no-untyped-def]
    report = validate_file(PATH, SOURCE).report
    identity = _identity_by_row()
    for problem in report.errors:
        single = type(report)(report.source, report.file, report.rows, [problem])
        text = render(single)
        for label, value in identity[problem.row].items():
            if label != problem.label and value != problem.cell:
                assert value not in text, (problem.row, label)
    everything = render(report)
    for row in identity.values():
        assert row["Nom"] not in everything and row["Prénom"] not in everything


def test_redacted_report_keeps_rows_and_columns_but_no_value() -> None:
    report = redacted(validate_file(PATH, SOURCE).report)
    data = json.loads(as_json(report))
    assert [(e["rowNumber"], e["fieldName"]) for e in data["errors"]][:2] == [
        (3, "Date de naissance"),
        (4, "Date de naissance"),
    ]
    text = json.dumps(data, ensure_ascii=False)
    for row in _identity_by_row().values():
        for value in row.values():
            assert value not in text
    assert all(e["cell"] == MASK for e in data["errors"])


def test_source_declares_its_identity_columns() -> None:
    assert SOURCE.personal_data
    assert SOURCE.identity_fields == (
        "N° dossier",
        "Nom",
        "Prénom",
        "Date de naissance",
        "Code postal",
    )
