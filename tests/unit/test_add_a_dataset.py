"""The claims of docs/architecture.md, kept true by a test: a new source and a new dataset are
their contract files and one folder of code, and a new check kind is one module of rules and
its use in a contract; the registry, the validator, the publication and the catalogue page
find them by name, with no list to edit."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pandas as pd
import pytest

import opendata.datasets
from opendata.contracts import registry
from opendata.publish import steps
from opendata.validate.file import validate_file
from tests.conftest import ROOT

SOURCE = {
    "name": "bike-racks",
    "title": "Arceaux vélo (voirie)",
    "version": "1.0.0",
    "dataset": "bike-parking",
    "delivery": "snapshot",
    "format": "csv",
    "filePattern": "*.csv",
    "csv": {"delimiter": ";", "encodings": ["utf-8-sig"]},
    "personalData": False,
    "checks": [{"type": "arrondissement", "field": "Arrondissement"}],
}
SCHEMA = {
    "fields": [
        {
            "name": "Code",
            "type": "string",
            "description": "Identifiant de l'emplacement.",
            "example": "AR-001",
            "constraints": {"required": True, "unique": True, "pattern": "AR-[0-9]{3}"},
        },
        {
            "name": "Arrondissement",
            "type": "string",
            "description": "Arrondissement de l'emplacement.",
            "example": "11",
            "constraints": {"required": True},
        },
        {
            "name": "Places",
            "type": "integer",
            "description": "Nombre de places.",
            "example": "8",
            "constraints": {"required": True, "minimum": 1},
        },
    ],
    "primaryKey": ["Code"],
}
RACKS = {
    "fields": [
        {"name": "rack_id", "type": "string", "title": "Emplacement", "description": "Code.",
         "example": "AR-001", "constraints": {"required": True, "unique": True}},
        {"name": "arrondissement", "type": "integer", "title": "Arrondissement",
         "description": "1 à 20.", "example": "11", "constraints": {"required": True}},
        {"name": "places", "type": "integer", "title": "Places", "description": "Places.",
         "example": "8", "constraints": {"required": True, "minimum": 1}},
    ],
    "primaryKey": ["rack_id"],
}  # fmt: skip
TRANSFORM = '''
"""bike-parking: the racks, as the newest snapshot lists them."""

import pandas as pd

from opendata.validate import normalize
from opendata.datasets.protocol import Frames, Inputs


def transform(inputs: Inputs) -> Frames:
    newest = inputs["bike-racks"][-1]
    return {
        "racks": pd.DataFrame(
            {
                "rack_id": newest.text["Code"],
                "arrondissement": newest.text["Arrondissement"].map(normalize.arrondissement),
                "places": newest.values["Places"],
            }
        )
    }
'''
CHARTS = '''
"""bike-parking's chart."""

import pandas as pd

from opendata.datasets.charts import bar_chart


def _places(folder):
    rows = pd.read_csv(folder / "racks.csv")
    by = rows.groupby("arrondissement")["places"].sum()
    return bar_chart("Places de vélo par arrondissement", [f"{a}e" for a in by.index], list(by))


CHARTS = [(_places, ["racks"])]
'''


@pytest.fixture
def new_dataset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of ``schemas/`` with the new contracts, and the dataset's folder of code."""
    schemas = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", schemas)
    source = schemas / "sources" / "bike-racks"
    source.mkdir()
    (source / "source.json").write_text(json.dumps(SOURCE), encoding="utf-8")
    (source / "schema.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    dataset = schemas / "datasets" / "bike-parking"
    dataset.mkdir()
    package = json.loads(
        (ROOT / "schemas" / "datasets" / "startup-support" / "datapackage.json").read_text()
    )
    package.update(
        name="bike-parking",
        title="Stationnement vélo",
        description="Les arceaux vélo de la voirie parisienne.",
        resources=[
            {"name": "racks", "title": "Arceaux", "description": "Un emplacement par ligne.",
             "schema": "racks.schema.json"}
        ],
    )  # fmt: skip
    package.pop("x-temporal", None)
    (dataset / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    (dataset / "racks.schema.json").write_text(json.dumps(RACKS), encoding="utf-8")
    code = tmp_path / "code" / "bike_parking"
    code.mkdir(parents=True)
    (code / "__init__.py").write_text("")
    (code / "transform.py").write_text(textwrap.dedent(TRANSFORM))
    (code / "charts.py").write_text(textwrap.dedent(CHARTS))
    monkeypatch.setenv("OPENDATA_SCHEMAS", str(schemas))
    # The folder of code sits beside the others, as src/opendata/datasets/bike_parking/ would.
    monkeypatch.setattr(
        opendata.datasets, "__path__", [*opendata.datasets.__path__, str(code.parent)]
    )
    return tmp_path


def test_a_new_source_and_dataset_are_found_validated_and_published(new_dataset: Path) -> None:
    assert registry.dataset("bike-parking").sources == ("bike-racks",)
    raw = new_dataset / "raw" / "bike-racks"
    raw.mkdir(parents=True)
    bad = raw.parent.parent / "bad.csv"
    bad.write_text("Code;Arrondissement;Places\nAR-001;11e;8\nAR-1;21;0\n", encoding="utf-8")
    report = validate_file(bad, registry.source("bike-racks")).report
    assert report.flatten() == [
        (3, "Code", "constraint-error"),
        (3, "Arrondissement", "arrondissement-error"),
        (3, "Places", "constraint-error"),
    ]
    good = raw / "racks-2008-01-15.csv"
    good.write_text("Code;Arrondissement;Places\nAR-001;11e;8\nAR-002;Paris 4e;12\n", "utf-8")
    assert validate_file(good, registry.source("bike-racks")).report.valid
    out = new_dataset / "published"
    assert steps.publish("bike-parking", raw.parent, out) == out / "bike-parking"
    racks = pd.read_csv(out / "bike-parking" / "racks.csv")
    assert racks.to_dict("list") == {
        "rack_id": ["AR-001", "AR-002"],
        "arrondissement": [11, 4],
        "places": [8, 12],
    }
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Stationnement vélo" in page and "Places de vélo par arrondissement" in page
    assert (out / "bike-parking" / "CHANGELOG.md").exists()


PARITY = """
from opendata.validate.rules.base import check

# Its words, beside it: problem type -> (French, English) message, and the kind's short name.
WORDS = {
    "odd-number": (
        "{cell} est impair : le contrat attend un nombre pair.",
        "{cell} is odd: the contract expects an even number.",
    )
}
TITLES = {"odd-number": ("Nombre impair", "Odd number")}
# What it takes in source.json, what it asks in words (the contract page), its test values.
PARAMETERS = {"even-number": {"field": "column"}}
RULES = {"even-number": ("« {field} » : un nombre pair", "“{field}”: an even number")}
EXAMPLES = {"even-number": ({"field": "A"}, [("A", "string")], [{"A": "4"}], [{"A": "3"}])}


@check("even-number")
def _even(ctx, spec):
    label = spec["field"]
    if not ctx.has(label):
        return []
    odd = ctx.where(label, lambda v: v.strip().isdigit() and int(v) % 2 == 1)
    return ctx.problems("odd-number", label, odd)
"""


def test_a_new_check_kind_is_one_module_and_its_use_in_a_contract(new_dataset: Path) -> None:
    """A family of rules dropped beside the others (here a folder added to the package's path,
    as src/opendata/validate/rules/parity.py would be) and its use in a contract: found by
    name, run, and its words said; no list edited."""
    import sys

    from opendata.report.catalogue import CATALOGUE, KIND_TITLES, kind_title
    from opendata.report.messages import message
    from opendata.validate import rules

    family = new_dataset / "rules"
    family.mkdir()
    (family / "parity.py").write_text(PARITY, encoding="utf-8")
    contract = new_dataset / "schemas" / "sources" / "bike-racks" / "source.json"
    declared = json.loads(contract.read_text(encoding="utf-8"))
    declared["checks"].append({"type": "even-number", "field": "Places"})
    contract.write_text(json.dumps(declared), encoding="utf-8")
    saved_path = list(rules.__path__)
    try:
        rules.__path__.append(str(family))
        rules.load_families()
        delivery = new_dataset / "racks.csv"
        delivery.write_text("Code;Arrondissement;Places\nAR-001;11;8\nAR-002;4;3\n", "utf-8")
        report = validate_file(delivery, registry.source("bike-racks")).report
        assert report.flatten() == [(3, "Places", "odd-number")]
        said = message(report.errors[0], "fr")
        assert said == "« 3 » est impair : le contrat attend un nombre pair.", said
        assert kind_title("odd-number") == "Nombre impair"
        assert rules.describe({"type": "even-number", "field": "Places"}) == (
            "« Places » : un nombre pair"
        )
        assert rules.EXAMPLES["even-number"][3] == [{"A": "3"}]  # run by test_rule_examples
    finally:
        rules.__path__[:] = saved_path
        rules.CHECKS.pop("even-number", None)
        CATALOGUE.pop("odd-number", None)
        KIND_TITLES.pop("odd-number", None)
        for table in (rules.PARAMETERS, rules.RULE_WORDS, rules.EXAMPLES):
            table.pop("even-number", None)
        sys.modules.pop("opendata.validate.rules.parity", None)


# Every module but the datasets' own folders (and the generated samples' writers, which
# write each source's committed example: see datasets/samples.py).
GENERIC = [
    path
    for path in sorted([*(ROOT / "src/opendata").rglob("*.py"), *(ROOT / "flows").glob("*.py")])
    if not (path.parent.parent.name == "datasets" and path.parent.name != "datasets")
]


def test_the_generic_modules_name_no_source_and_no_dataset() -> None:
    """Every module outside the datasets' own folders (publishing, the catalogue page, the
    command line, the portal, the flows...) asks the registry and ``opendata.datasets``: no id
    of a source or a dataset in their code (comments, docstrings and the ``e.g.`` of a help
    text aside)."""
    import io
    import re
    import tokenize

    ids = set(registry.sources()) | set(registry.datasets())
    ids |= {opendata.datasets.package_name(name) for name in ids}
    pattern = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(ids))) + r")(?![\w-])")
    found = []
    for path in GENERIC:
        for token in tokenize.generate_tokens(io.StringIO(path.read_text()).readline):
            if token.type == tokenize.COMMENT or "e.g." in token.string:
                continue
            if token.type == tokenize.STRING and token.string.startswith('"""'):
                continue  # a docstring's example
            if token.type in (tokenize.NAME, tokenize.STRING) and pattern.search(token.string):
                found.append(f"{path.relative_to(ROOT)}:{token.start[0]}: {token.string[:60]}")
    assert found == []
