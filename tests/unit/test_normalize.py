"""Pure normalisers: examples from real deliveries, and properties with Hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from opendata.validate import normalize
from opendata.validate.readers.headers import match_header, normalize_label


@pytest.mark.parametrize(
    ("written", "number"),
    [
        ("11", 11),
        ("11e", 11),
        ("11ème", 11),
        ("Paris 11e", 11),
        ("75011", 11),
        ("1er", 1),
        ("75116", 16),
        ("paris 20E", 20),
        ("21e", None),
        ("0", None),
        ("onze", None),
        ("75021", None),
    ],
)
def test_arrondissement(written: str, number: int | None) -> None:
    assert normalize.arrondissement(written) == number


@pytest.mark.parametrize(
    ("written", "siren"),
    [
        ("443 061 841", "443061841"),
        ("443061841", "443061841"),
        ("443 061 842", None),
        ("12345674", "012345674"),
        ("1234567890", None),
        ("abc", None),
    ],
)
def test_siren(written: str, siren: str | None) -> None:
    assert normalize.siren_number(written) == siren


@pytest.mark.parametrize(
    ("written", "siret"),
    [
        ("217 500 016 00019", "21750001600019"),
        ("35600000000048", "35600000000048"),
        ("356 000 000 00010", "35600000000010"),
        ("356 000 000 00022", None),
        ("21750001600018", None),
    ],
)
def test_siret_with_la_poste_rule(written: str, siret: str | None) -> None:
    assert normalize.siret_number(written) == siret


@pytest.mark.parametrize(
    "written", ["01 44 55 66 77", "01.44.55.66.77", "+33 1 44 55 66 77", "0144556677"]
)
def test_french_phone_numbers(written: str) -> None:
    assert normalize.phone_e164(written) == "+33144556677"


@pytest.mark.parametrize(
    ("written", "month"), [("2007-03", "2007-03"), ("03/2007", "2007-03"), ("2007-13", None)]
)
def test_month(written: str, month: str | None) -> None:
    assert normalize.month(written) == month


def test_naf_code_forms() -> None:
    assert normalize.naf_code("6201Z") == normalize.naf_code("62.01Z") == "62.01Z"
    assert normalize.naf_code("62-01Z") is None


@given(st.integers(min_value=1, max_value=20))
def test_every_written_form_of_an_arrondissement_round_trips(number: int) -> None:
    suffix = "er" if number == 1 else "e"
    for form in (str(number), f"{number}{suffix}", f"Paris {number}{suffix}", f"750{number:02d}"):
        assert normalize.arrondissement(form) == number


@given(st.text(alphabet="0123456789", min_size=8, max_size=8))
def test_siren_spaces_do_not_matter_and_normal_form_is_fixed_point(head: str) -> None:
    siren = head + luhn.calc_check_digit(head)
    spaced = f"{siren[:3]} {siren[3:6]} {siren[6:]}"
    assert normalize.siren_number(spaced) == siren
    assert normalize.siren_number(siren) == siren


@given(st.text(max_size=30))
def test_label_normalisation_is_idempotent(label: str) -> None:
    once = normalize_label(label)
    assert normalize_label(once) == once


def test_headers_match_despite_case_accents_spaces_and_order() -> None:
    labels = ["Code site", "État", "Heures d'ouverture"]
    match = match_header(["  HEURES D’OUVERTURE", "etat", "code  SITE", "Remarque"], labels)
    assert match.columns == {"Heures d'ouverture": 0, "État": 1, "Code site": 2}
    assert match.missing == []
    assert match.extra == [(3, "Remarque")]


def test_national_labels_forgive_case_and_accents_not_words() -> None:
    labels = ("Jeunes", "Étudiants", "Seniors")
    assert normalize.canonical_labels("jeunes ; ETUDIANTS", labels) == (["Jeunes", "Étudiants"], [])
    assert normalize.canonical_labels("Jeunes; Enfants", labels) == (["Jeunes"], ["Enfants"])
