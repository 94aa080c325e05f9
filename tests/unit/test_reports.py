"""Reports as stewards and programs read them: JSON shape, French text, English, HTML."""

from __future__ import annotations

import json

from opendata.contracts import registry
from opendata.report.render import as_dict, as_html, as_json, as_text
from opendata.validate.file import validate_file
from tests.conftest import FIXTURES, RAW


def _report(path: str, source: str):  # type: ignore[no-untyped-def]
    return validate_file(FIXTURES / path, registry.source(source), RAW).report


def test_json_report_has_the_frictionless_shape() -> None:
    data = json.loads(as_json(_report("wifi-sites/every-error.csv", "wifi-sites")))
    assert set(data) == {
        "valid",
        "source",
        "file",
        "sheet",
        "readAs",
        "stats",
        "errors",
        "warnings",
        "contract",
    }
    assert data["contract"] == {
        "source": "wifi-sites",
        "version": registry.source("wifi-sites").version,
        "fingerprint": registry.source("wifi-sites").fingerprint,
    }
    assert data["readAs"] is None  # the DSIN's own shape: no delivery profile
    assert data["valid"] is False
    assert data["source"] == "wifi-sites"
    assert data["stats"] == {"rows": 10, "errors": 11, "warnings": 1, "errorsNotListed": 0}
    first = data["errors"][0]
    assert first == {
        "type": "constraint-error",
        "rowNumber": 3,
        "fieldName": "Code site",
        "cell": "PW12",
        "cellRef": "A3",  # the CSV opened in a spreadsheet
        "message": first["message"],
    }
    assert data["sheet"] is None
    assert "PW12" in first["message"] and "PW0042" in first["message"]
    assert data["warnings"][0]["rowNumber"] is None
    assert data["warnings"][0]["fieldName"] == "Commentaire"


def test_field_name_is_the_label_as_written_in_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "retyped.csv"
    path.write_text(
        "code site;nom du site;adresse;code postal;latitude;longitude;nombre de bornes;"
        "date de mise en service;ETAT\nPW0001;X;Y;75004;48,85;2,35;0;15/07/2007;Opérationnel\n",
        encoding="utf-8",
    )
    report = validate_file(path, registry.source("wifi-sites")).report
    assert report.flatten() == [(2, "nombre de bornes", "constraint-error")]


def test_text_report_is_french_grouped_by_row_and_names_the_fix() -> None:
    text = as_text(_report("epn-places/every-error.xlsx", "epn-places"))
    assert text.startswith("epn-places : every-error.xlsx — NON VALIDE\n9 lignes, 11 erreur(s)")
    assert "\n  Ligne 10\n" in text
    assert "colonne « Code postal » : « 92100 » n'est pas une valeur permise" in text
    assert "Écrivez-le 01 44 55 66 77" in text
    assert text.index("Ligne 5") < text.index("Ligne 10") < text.index("Ligne 12")


def test_english_on_request() -> None:
    report = _report("startups/every-error.xlsx", "startups")
    text = as_text(report, "en")
    assert "INVALID" in text and "is not a valid SIREN" in text
    assert as_dict(report, "en")["errors"][0]["message"].startswith("“443 061 842” is not")


def test_html_report_escapes_cells() -> None:
    report = _report("wifi-sites/every-error.csv", "wifi-sites")
    page = as_html(report)
    assert page.startswith("<!doctype html>") and 'lang="fr"' in page
    assert "<td><code>PW12</code></td>" in page
    assert "Square d&#x27;Anvers" not in page  # only faulty cells are shown, not whole rows


def test_every_kind_of_finding_has_a_short_name_in_both_languages() -> None:
    """The titles that group findings by kind say them in words: each type a report of a
    readable file can hold has its own name (unreadable files share one)."""
    from opendata.report.catalogue import (
        KIND_TITLES,
        UNREADABLE_KINDS,
        UNREADABLE_TITLE,
        kind_title,
    )
    from opendata.report.messages import known_types

    assert not set(KIND_TITLES) & UNREADABLE_KINDS
    named = set(KIND_TITLES) | UNREADABLE_KINDS
    assert sorted(known_types() - named) == []
    assert all(fr and en and fr != en for fr, en in KIND_TITLES.values())
    assert kind_title("constraint-error") == "Valeur hors des règles de la colonne"
    assert kind_title("constraint-error", "en") == "Value outside the column's rules"
    assert kind_title("truncated-gzip") == UNREADABLE_TITLE[0]
