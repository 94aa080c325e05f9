"""Contracts with versions: each source's contract says its semantic version, its changelog
beside it tells every version with the fingerprint of its rules (a rule changed without a new
entry fails here), and the weight of a change is what a steward's file feels of it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from opendata.contracts import registry, versions
from opendata.contracts.registry import ContractError

SOURCES = sorted(registry.sources())


@pytest.mark.parametrize("name", SOURCES)
def test_every_contract_has_a_version_and_a_changelog_that_matches_its_rules(name: str) -> None:
    source = registry.source(name)
    entries = versions.changelog(source.changelog)
    assert entries, f"{source.changelog} is missing"
    newest = entries[0]
    assert newest.version == source.version
    assert newest.fingerprint == source.fingerprint, (
        f"the rules of {name} changed since its version {source.version}: add a version to "
        f'{source.changelog} (Empreinte : {source.fingerprint}) and raise "version"'
    )
    assert newest.date and newest.lines
    ordered = [versions.parse(e.version) for e in entries]
    assert ordered == sorted(ordered, reverse=True) and len(set(ordered)) == len(ordered)


def test_a_changed_rule_no_longer_matches_the_changelog(tmp_path: Path) -> None:
    """The check above fails when a contract is edited without a new version (not vacuous)."""
    import shutil

    schemas = tmp_path / "schemas"
    shutil.copytree(registry.schemas_dir(), schemas)
    path = schemas / "sources" / "epn-places" / "schema.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    schema["fields"][0]["description"] = "Autre description"
    path.write_text(json.dumps(schema), encoding="utf-8")
    edited = registry._sources(schemas)["epn-places"]
    assert edited.version == registry.source("epn-places").version
    assert versions.changelog(edited.changelog)[0].fingerprint != edited.fingerprint


def _schema(*fields: dict[str, Any], key: str = "Code") -> dict[str, Any]:
    return {"fields": list(fields), "primaryKey": [key]}


CODE = {"name": "Code", "type": "string", "constraints": {"required": True}}
KIND = {"name": "Type", "type": "string", "constraints": {"enum": ["EPN", "Bibliothèque"]}}


@pytest.mark.parametrize(
    ("new", "expected", "said"),
    [
        (
            _schema(
                CODE, KIND, {"name": "Tél", "type": "string", "constraints": {"required": True}}
            ),
            "major",
            "nouvelle colonne obligatoire « Tél » à ajouter",
        ),
        (
            _schema(CODE, KIND, {"name": "Tél", "type": "string"}),
            "minor",
            "nouvelle colonne facultative « Tél »",
        ),
        (
            _schema(CODE, {**KIND, "constraints": {"enum": ["EPN", "Bibliothèque", "Tiers-lieu"]}}),
            "minor",
            "« Type » : valeur(s) permise(s) ajoutée(s) « Tiers-lieu »",
        ),
        (
            _schema(CODE, {**KIND, "constraints": {"enum": ["EPN"]}}),
            "major",
            "« Type » : valeur(s) retirée(s) « Bibliothèque », à remplacer",
        ),
        (
            _schema(CODE, {**KIND, "description": "Le type du lieu"}),
            "patch",
            "« Type » : titre ou description modifiés",
        ),
        (_schema(CODE), "major", "colonne « Type » retirée du contrat : supprimez-la"),
        (
            _schema(CODE, {**KIND, "type": "integer"}),
            "major",
            "« Type » : type string devenu integer",
        ),
        (_schema(CODE, KIND), "patch", None),
    ],
)
def test_the_weight_of_a_change(new: dict[str, Any], expected: str, said: str | None) -> None:
    old = _schema(CODE, KIND)
    assert versions.weight(old, new) == expected
    sentences = [s for _, s in versions.differences(old, new)]
    assert (said in sentences) if said else sentences == []


def test_a_version_moves_enough_for_its_change() -> None:
    assert versions.enough("1.2.3", "2.0.0", "major")
    assert not versions.enough("1.2.3", "1.3.0", "major")
    assert versions.enough("1.2.3", "1.3.0", "minor") and versions.enough("1.2.3", "2.0.0", "minor")
    assert versions.enough("1.2.3", "1.2.4", "patch") and not versions.enough(
        "1.2.3", "1.2.3", "patch"
    )
    assert versions.moved("1.2.3", "1.2.0") is None


def test_a_contract_without_a_semantic_version_is_refused(tmp_path: Path) -> None:
    import shutil

    schemas = tmp_path / "schemas"
    shutil.copytree(registry.schemas_dir(), schemas)
    contract = schemas / "sources" / "epn-places" / "source.json"
    declared = json.loads(contract.read_text(encoding="utf-8"))
    declared["version"] = "v2"
    contract.write_text(json.dumps(declared), encoding="utf-8")
    with pytest.raises(ContractError, match="semantic version"):
        registry._sources(schemas)


def test_every_rule_of_every_contract_is_said_in_words() -> None:
    """The contract's page says each rule in French and English, never by its code."""
    from opendata.validate.rules import CHECKS, RULE_WORDS, describe

    assert set(CHECKS) <= set(RULE_WORDS)
    for source in registry.sources().values():
        for spec in source.checks:
            for lang in ("fr", "en"):
                said = describe(spec, lang)
                assert said != spec["type"] and "{" not in said, (source.name, spec)


def _in_transition(tmp_path: Path, until: str) -> Path:
    """A copy of the contracts where startups is at 2.0.0 (a new required column), its 1.0.0
    kept under versions/1.0.0/ and accepted until ``until``."""
    import shutil

    schemas = tmp_path / "schemas"
    shutil.copytree(registry.schemas_dir(), schemas)
    folder = schemas / "sources" / "startups"
    (folder / "versions" / "1.0.0").mkdir(parents=True)
    for name in ("source.json", "schema.json"):
        shutil.copy(folder / name, folder / "versions" / "1.0.0" / name)
    schema = json.loads((folder / "schema.json").read_text(encoding="utf-8"))
    schema["fields"].append({"name": "Incubateur", "type": "string",
                             "description": "Le lieu d'accueil.",
                             "constraints": {"required": True}})  # fmt: skip
    (folder / "schema.json").write_text(json.dumps(schema, ensure_ascii=False), "utf-8")
    declared = json.loads((folder / "source.json").read_text(encoding="utf-8"))
    declared["version"] = "2.0.0"
    declared["previous"] = [{"version": "1.0.0", "acceptedUntil": until}]
    (folder / "source.json").write_text(json.dumps(declared, ensure_ascii=False), "utf-8")
    return schemas


def test_an_earlier_version_stays_accepted_until_its_date_with_what_to_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt
    import subprocess

    from opendata.publish import steps
    from opendata.report.messages import message
    from opendata.validate.file import validate_file
    from tests.conftest import OPENDATA, RAW

    monkeypatch.setenv("OPENDATA_SCHEMAS", str(_in_transition(tmp_path, "2099-06-30")))
    source = registry.source("startups")
    assert source.version == "2.0.0" and [p.version for p in source.previous] == ["1.0.0"]
    delivery = RAW / "startups" / "startups-2008-09-30.xlsx"  # written for 1.0.0
    report = validate_file(delivery, source, RAW).report
    assert report.valid and report.contract is not None
    assert report.contract["version"] == "1.0.0"
    [warning] = [p for p in report.warnings if p.type == "contract-transition"]
    said = message(warning, "fr")
    assert "version 1.0.0 du contrat, acceptée jusqu'au 30/06/2099 seulement" in said
    assert (
        "La version 2.0.0 demande : nouvelle colonne obligatoire « Incubateur » à ajouter" in said
    )
    # Against the current version only, or after the date: refused, with the missing column.
    only = validate_file(delivery, source, RAW, version="2.0.0").report
    assert not only.valid and ("missing-label" in {p.type for p in only.errors})
    late = validate_file(delivery, source, RAW, today=dt.date(2099, 7, 1)).report
    assert not late.valid and late.contract == source.stamp
    unknown = validate_file(delivery, source, RAW, version="0.1.0").report
    assert unknown.unreadable and "versions acceptées : 2.0.0, 1.0.0" in message(
        unknown.errors[0], "fr"
    )
    # The publication accepts what the check accepted (the transform reads both shapes).
    raw = tmp_path / "raw"
    (raw / "startups").mkdir(parents=True)
    (raw / "startups" / delivery.name).write_bytes(delivery.read_bytes())
    assert steps.publish("startup-support", raw, tmp_path / "published") is not None
    # The command line says the same, and checks against either version.
    command = [OPENDATA, "validate", str(delivery), "--source", "startups", "--raw-dir", str(raw)]
    env_done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert env_done.returncode == 0 and "Contrat startups version 1.0.0" in env_done.stdout
    strict = subprocess.run([*command, "--contract-version", "2.0.0"], capture_output=True,
                            text=True, timeout=120, check=False)  # fmt: skip
    assert strict.returncode == 1 and "Incubateur" in strict.stdout


def test_a_previous_version_without_its_files_or_date_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    schemas = _in_transition(tmp_path, "pas une date")
    with pytest.raises(ContractError, match="is not a date"):
        registry._sources(schemas)
    shutil.rmtree(schemas / "sources" / "startups" / "versions")
    with pytest.raises(ContractError, match="needs its contract under"):
        registry._sources(schemas)
