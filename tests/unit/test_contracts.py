"""Sweep every contract found by the registry: schemas valid, documented, examples valid."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from frictionless import Package, Schema

from opendata.contracts import registry
from opendata.report.messages import example_cell
from opendata.validate import engine
from opendata.validate.readers import arrowcsv
from opendata.validate.rules import CHECKS
from tests.conftest import RAW, ROOT

SOURCES = sorted(registry.sources())
DATASETS = sorted(registry.datasets())
# Every published resource, the partitioned ones (the sessions, one file per month) included.
RESOURCES = [(d, r["name"]) for d in DATASETS for r in registry.dataset(d).descriptor["resources"]]


def _examples_problems(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """Each field's example, alone in a one-row file, through the Table Schema engine."""
    found = []
    for field in schema["fields"]:
        one = {"fields": [field]}
        try:
            engine.check_schema(one)
        except engine.Unsupported:  # an ISO datetime without a format: Frictionless reads it
            from frictionless import Resource

            rows = [[field["name"]], [example_cell(field)]]
            report = Resource(data=rows, schema=Schema.from_descriptor(one)).validate()
            found += [(field["name"], kind) for (kind,) in report.flatten(["type"])]
            continue
        cells = pa.chunked_array([pa.array([example_cell(field)], pa.string())])
        strings = arrowcsv.StringTable([field["name"]], [cells], np.array([2]), [], 1)
        checked = engine.validate_strings(strings, one, {field["name"]: 0})
        found += [(field["name"], kind) for _, _, kind in checked.findings.triples()]
    return found


def test_registry_finds_every_source_and_dataset() -> None:
    # Every contract folder is found, and nothing else (no list of names to keep).
    on_disk = registry.schemas_dir()
    assert sorted(p.parent.name for p in on_disk.glob("sources/*/source.json")) == SOURCES
    assert sorted(p.parent.name for p in on_disk.glob("datasets/*/datapackage.json")) == DATASETS
    assert len(SOURCES) >= 6 and len(DATASETS) >= 4
    assert registry.dataset("digital-public-spaces").sources == ("epn-attendance", "epn-places")


@pytest.mark.parametrize("source", SOURCES)
def test_source_schema_is_a_valid_table_schema(source: str) -> None:
    schema = registry.source(source).schema
    # frictionless-py 5.21 checks a field's example without its decimalChar/groupChar, so
    # "48,85661" is wrongly refused for a decimal-comma field: those notes alone are set aside
    # (our own engine checks every example with the field's full semantics below).
    localised = {f["name"] for f in schema["fields"] if "decimalChar" in f or "groupChar" in f}
    notes = [e.note for e in Schema.validate_descriptor(schema).errors]
    real = [
        n for n in notes if not any(f'for field "{name}" is not valid' in n for name in localised)
    ]
    assert real == []


@pytest.mark.parametrize("source", SOURCES)
def test_source_fields_are_documented_and_examples_pass(source: str) -> None:
    schema = registry.source(source).schema
    for field in schema["fields"]:
        assert field.get("description"), field["name"]
        assert "example" in field, field["name"]
    assert _examples_problems(schema) == []


@pytest.mark.parametrize("source", SOURCES)
def test_source_checks_are_known_and_name_real_columns(source: str) -> None:
    src = registry.source(source)
    for spec in src.checks:
        assert spec["type"] in CHECKS
        for key in ("field", "otherField", "latitude", "longitude"):
            if key in spec:
                assert spec[key] in src.labels, (spec, key)


@pytest.mark.parametrize(("dataset", "resource"), RESOURCES)
def test_published_schema_is_documented_with_keys(dataset: str, resource: str) -> None:
    schema = registry.dataset(dataset).resource_schema(resource)
    assert Schema.validate_descriptor(schema).valid
    assert schema.get("primaryKey"), "every published resource has a primary key"
    for field in schema["fields"]:
        assert field.get("description"), field["name"]
        assert "example" in field, field["name"]
        assert field["name"].isascii() and field["name"] == field["name"].lower()
    assert _examples_problems(schema) == []


@pytest.mark.parametrize("dataset", DATASETS)
def test_package_metadata_is_complete(dataset: str) -> None:
    descriptor = registry.dataset(dataset).descriptor
    for key in (
        "title",
        "description",
        "version",
        "licenses",
        "sources",
        "contributors",
        "keywords",
    ):
        assert descriptor.get(key), key
    assert descriptor["licenses"][0]["name"] == "odc-odbl"
    meta = {k: v for k, v in descriptor.items() if k != "resources"}
    assert Package.validate_descriptor(
        {**meta, "resources": [{"name": "x", "path": "x.csv"}]}
    ).valid


def test_places_schema_is_the_national_standard_unchanged() -> None:
    reference = (
        json.loads(
            (
                ROOT.parent / "shared/reference/lieux-mediation-numerique/schema-v1.0.1.json"
            ).read_text()
        )
        if (ROOT.parent / "shared").exists()
        else registry.reference_schema()
    )
    ours = registry.dataset("digital-public-spaces").resource_schema("places")
    assert ours["fields"] == reference["fields"]
    assert len(ours["fields"]) == 32


def test_required_published_fields_are_present() -> None:
    expected = {
        ("wifi-hotspots", "sites"): "site_id name address postal_code arrondissement latitude "
        "longitude access_points opened_on status removed_on",
        ("digital-public-spaces", "attendance-monthly"): "epn_id month visits workshops "
        "workshop_participants opening_hours",
        ("startup-support", "startups"): "siren name sector naf_code created_on cohort joined_on "
        "left_on arrondissement staff_at_entry staff_at_exit funds_raised_eur",
        ("startup-support", "cohorts"): "cohort startups staff_at_entry staff_at_exit "
        "funds_raised_eur",
        ("digital-training", "by-sex"): "programme year sex trainees suppressed",
        ("digital-training", "by-age-band"): "programme year age_band trainees suppressed",
        ("digital-training", "by-entry-status"): "programme year entry_status trainees suppressed",
        ("digital-training", "by-outcome"): "programme year outcome trainees suppressed",
        ("digital-training", "programme-summary"): "programme year enrolled completed certified "
        "employed_6m",
    }
    for (dataset, resource), names in expected.items():
        fields = [f["name"] for f in registry.dataset(dataset).resource_schema(resource)["fields"]]
        assert set(names.split()) <= set(fields), (dataset, resource)


def _top_level_alternation(pattern: str) -> bool:
    depth, escaped, in_class = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


def test_patterns_mean_the_same_to_frictionless() -> None:
    """Frictionless anchors a pattern as ``^{pattern}$``: a top-level ``a|b`` would then only
    anchor its ends, so our patterns group their alternatives."""
    schemas = [registry.source(s).schema for s in SOURCES]
    schemas += [registry.dataset(d).resource_schema(r) for d, r in RESOURCES]
    for schema in schemas:
        for field in schema["fields"]:
            pattern = field.get("constraints", {}).get("pattern")
            if pattern:
                assert not _top_level_alternation(pattern), (field["name"], pattern)
    assert _top_level_alternation("a|b") and not _top_level_alternation("(a|b)")


def test_a_rule_an_engine_cannot_run_is_refused_when_the_contract_is_loaded(
    tmp_path: Path,
) -> None:
    """A check declared on the operator's logs (Arrow engine), or a profile that names no
    contract field, is refused at load with the file and the reason, never skipped."""
    import shutil
    import subprocess
    import sys

    from opendata.contracts.registry import ContractError, _sources
    from opendata.validate import rules

    for change, said in (
        (
            ("wifi-sessions", "checks", [{"type": "same-period", "field": "start_time"}]),
            "checks ['same-period'] cannot run on the 'arrow' engine",
        ),
        (
            ("wifi-sites", "profiles", [{"name": "x", "title": "X", "columns": {"Nope": "n"}}]),
            "profile x: no such contract field ['Nope']",
        ),
        (
            ("wifi-sites", "engine", "arow"),  # a misspelt reader is not the default one
            "engine 'arow' is not a reader of this pipeline",
        ),
    ):
        root = tmp_path / f"schemas-{change[0]}-{change[1]}"
        shutil.copytree(ROOT / "schemas", root)
        source, key, value = change
        path = root / "sources" / source / "source.json"
        desc = json.loads(path.read_text(encoding="utf-8"))
        desc[key] = value
        path.write_text(json.dumps(desc), encoding="utf-8")
        with pytest.raises(ContractError, match=re.escape(said)):
            for loaded in _sources(root).values():  # loading, then what the rules can run
                rules.refuse_unrunnable(loaded)
        answer = subprocess.run(
            [sys.executable, "-m", "opendata.cli", "validate", str(RAW / "wifi-sites" /
             "sites-2008-01-15.csv"), "--source", "wifi-sites"],
            env={**os.environ, "OPENDATA_SCHEMAS": str(root)},
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        assert answer.returncode == 2
        assert answer.stderr.startswith("opendata: contrat refusé : ") and said in answer.stderr
        assert "Traceback" not in answer.stderr
