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
