"""Every error class of raw-formats.md, caught at the row and column the steward sees."""

from __future__ import annotations

import pytest

from opendata.contracts import registry
from opendata.validate.file import validate_file
from tests.conftest import FIXTURES, RAW


def flatten(path: str, source: str) -> list[tuple[int | None, str | None, str]]:
    report = validate_file(FIXTURES / path, registry.source(source), RAW).report
    return report.flatten()


def test_wifi_sites_every_error_is_pinned() -> None:
    assert flatten("wifi-sites/every-error.csv", "wifi-sites") == [
        (3, "Code site", "constraint-error"),
        (4, "Code site", "primary-key"),
        (5, "Code postal", "constraint-error"),
        (6, "Latitude", "coordinates-swapped"),
        (7, "Latitude", "coordinates-outside-paris"),
        (8, "Nom du site", "constraint-error"),
        (8, "Nombre de bornes", "constraint-error"),
        (9, "Date de mise en service", "type-error"),
        (9, "État", "constraint-error"),
        (10, "Date de mise en service", "row-constraint"),
        (11, "Longitude", "type-error"),
    ]


def test_unknown_column_is_a_warning_and_never_an_error() -> None:
    report = validate_file(FIXTURES / "wifi-sites/every-error.csv", registry.source("wifi-sites"))
    assert [(w.row, w.label, w.type) for w in report.report.warnings] == [
        (None, "Commentaire", "extra-label")
    ]


def test_missing_required_column_is_a_file_level_error() -> None:
    assert flatten("wifi-sites/missing-column.csv", "wifi-sites") == [
        (None, "Nombre de bornes", "missing-label")
    ]


def test_short_and_long_rows_and_blank_lines() -> None:
    result = validate_file(
        FIXTURES / "wifi-sites/short-and-long-rows.csv", registry.source("wifi-sites")
    )
    assert result.report.flatten() == [
        (3, "Nombre de bornes", "missing-cell"),
        (3, "Date de mise en service", "missing-cell"),
        (3, "État", "missing-cell"),
        (4, None, "extra-cell"),
    ]
    assert [(w.row, w.type) for w in result.report.warnings] == [(5, "blank-row")]
    assert result.rows == [2, 3, 4, 6]  # the blank line 5 still counts in the numbering


@pytest.mark.parametrize("name", ["semicolon-cp1252.csv", "bom-utf8-retyped-headers.csv"])
def test_real_export_variants_are_valid(name: str) -> None:
    report = validate_file(FIXTURES / "wifi-sites" / name, registry.source("wifi-sites")).report
    assert report.valid, report.flatten()
    assert report.warnings == []


def test_quoted_cell_with_separator_is_one_cell() -> None:
    result = validate_file(
        FIXTURES / "wifi-sites/bom-utf8-retyped-headers.csv", registry.source("wifi-sites")
    )
    assert result.text["Nom du site"].tolist() == ["Parc Montsouris; entrée Gazan"]


def test_header_only_file_is_invalid() -> None:
    assert flatten("wifi-sites/header-only.csv", "wifi-sites") == [(None, None, "empty-table")]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("empty.csv", "empty"),
        ("garbage.csv", "binary"),
        ("utf16.csv", "binary"),
        ("unclosed-quote.csv", "malformed-csv"),
        ("comma-separated.csv", "delimiter"),
        ("not-our-columns.csv", "no-header"),
        ("truncated.csv.gz", "truncated-gzip"),
    ],
)
def test_unreadable_files_say_why(name: str, kind: str) -> None:
    report = validate_file(FIXTURES / "wifi-sites" / name, registry.source("wifi-sites")).report
    assert report.unreadable
    assert [p.type for p in report.errors] == [kind]


def test_excel_where_csv_expected_is_unreadable() -> None:
    """A workbook for a source that takes none (the operator's CSV export) says so; for a
    CSV source that takes its Excel template, a workbook of another shape names the columns
    it should have."""
    path = FIXTURES / "epn-places/title-row-above-header.xlsx"
    report = validate_file(path, registry.source("wifi-sessions")).report
    assert [p.type for p in report.errors] == ["expected-csv"]
    report = validate_file(path, registry.source("wifi-sites")).report
    assert [p.type for p in report.errors] == ["no-header"]
    assert "Code site" in report.errors[0].params["expected"]


def test_epn_places_title_rows_and_mixed_cell_types_are_valid() -> None:
    result = validate_file(
        FIXTURES / "epn-places/title-row-above-header.xlsx", registry.source("epn-places"), RAW
    )
    assert result.report.valid, result.report.flatten()
    assert result.rows == [4, 5, 6]  # title line, blank line, header above
    # An Excel number and text with spaces are the same kind of SIRET to the checks.
    assert result.text["SIRET du gestionnaire"].tolist() == [
        "217 500 016 00019",
        "21750001600027",
        "356 000 000 00010",
    ]
    assert result.text["Date de mise à jour"].tolist() == ["15/01/2008", "14/01/2008", "15/01/2008"]


def test_epn_places_every_error_is_pinned() -> None:
    assert flatten("epn-places/every-error.xlsx", "epn-places") == [
        (5, "SIRET du gestionnaire", "siret-error"),
        (6, "Téléphone", "phone-error"),
        (7, "Horaires", "opening-hours-error"),
        (8, "Services", "label-error"),
        (9, "Courriel", "email-error"),
        (10, "Code postal", "constraint-error"),
        (10, "Longitude", "coordinates-outside-paris"),
        (11, "Identifiant", "primary-key"),
        (11, "Date de mise à jour", "type-error"),
        (12, "Identifiant", "constraint-error"),
        (12, "SIRET du gestionnaire", "siret-error"),
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [("sheets-without-epn.xlsx", "missing-sheet"), ("truncated.xlsx", "broken-excel")],
)
def test_unreadable_workbooks(name: str, kind: str) -> None:
    report = validate_file(FIXTURES / "epn-places" / name, registry.source("epn-places")).report
    assert [p.type for p in report.errors] == [kind]


def test_epn_attendance_every_error_is_pinned() -> None:
    assert flatten("epn-attendance/every-error.csv", "epn-attendance") == [
        (3, "Identifiant EPN", "foreign-key"),
        (4, "Participants aux ateliers", "row-constraint"),
        (5, "Mois", "constraint-error"),
        (6, "Visites", "constraint-error"),
        (7, "Identifiant EPN, Mois", "primary-key"),
        (8, "Visites", "type-error"),
        (9, "Identifiant EPN, Mois", "primary-key"),  # 2007-03 and 03/2007 are one month
    ]


def test_foreign_keys_without_the_referenced_delivery_are_a_warning(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = validate_file(
        FIXTURES / "epn-attendance/every-error.csv", registry.source("epn-attendance"), tmp_path
    )
    assert "foreign-key" not in [p.type for p in result.report.errors]
    assert [w.type for w in result.report.warnings] == ["foreign-key-unchecked"]


def test_startups_every_error_is_pinned() -> None:
    assert flatten("startups/every-error.xlsx", "startups") == [
        (4, "SIREN", "siren-error"),
        (5, "Code NAF", "constraint-error"),
        (5, "Arrondissement", "arrondissement-error"),
        (6, "Date d'entrée", "row-constraint"),
        (7, "Promotion", "constraint-error"),
        (7, "Date de sortie", "row-constraint"),
        (8, "SIREN", "primary-key"),
        (8, "Effectif à l'entrée", "type-error"),
        (8, "Fonds levés (€)", "type-error"),
    ]


def test_excel_date_serial_without_date_format_is_read_as_a_date() -> None:
    result = validate_file(FIXTURES / "startups/every-error.xlsx", registry.source("startups"))
    row9 = result.rows.index(9)
    assert result.text["Date de création"].iloc[row9] == "12/09/2005"
    assert not [p for p in result.report.problems if p.row == 9]


def test_siren_stored_as_excel_number_and_funds_with_narrow_spaces_are_accepted() -> None:
    result = validate_file(FIXTURES / "startups/every-error.xlsx", registry.source("startups"))
    row3 = result.rows.index(3)
    assert result.text["SIREN"].iloc[row3] == "12345674"  # Excel dropped the leading zero
    assert result.values["Fonds levés (€)"].iloc[row3] == 250000
    assert not [p for p in result.report.problems if p.row == 3]


@pytest.mark.parametrize("source", sorted(registry.sources()))
def test_every_committed_sample_delivery_is_valid(source: str) -> None:
    from opendata.contracts.deliveries import list_deliveries

    deliveries = list_deliveries(RAW, registry.source(source))
    assert deliveries, f"no sample delivery for {source}"
    for delivery in deliveries:
        report = validate_file(delivery.path, registry.source(source), RAW).report
        assert report.valid, (delivery.name, report.flatten()[:5])
        # The operator's sample re-sends a block of rows on purpose: counted once, with a warning.
        expected = {"wifi-sessions": {"repeated-record"}}.get(source, set())
        assert {w.type for w in report.warnings} == expected, (delivery.name, report.warnings[:3])


def test_a_referenced_delivery_replaced_in_place_is_read_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The referenced keys are cached per file version, not per path: a long-lived process
    (a portal worker) sees a places workbook re-sent under the same name."""
    import shutil

    import openpyxl

    raw = tmp_path / "raw"
    shutil.copytree(RAW / "epn-places", raw / "epn-places")
    attendance = registry.source("epn-attendance")
    path = FIXTURES / "epn-attendance/every-error.csv"
    before = validate_file(path, attendance, raw).report.flatten()
    assert (3, "Identifiant EPN", "foreign-key") in before
    places = raw / "epn-places" / "epn-2008-01-15.xlsx"
    book = openpyxl.load_workbook(places)
    sheet = book.worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if c.value == "Identifiant"]
    column = cells[0].column
    sheet.cell(row=cells[0].row + 1, column=column, value="EPN-99")  # now a known place
    book.save(places)
    after = validate_file(path, attendance, raw).report.flatten()
    assert (3, "Identifiant EPN", "foreign-key") not in after
