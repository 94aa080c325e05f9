"""Each kind of rule carries its own test values (``EXAMPLES`` beside it in its family): a
file of the values it must accept passes, each row it must refuse is flagged, through the
real engine (``validate_file`` on a CSV file). And a contract whose check is written wrong (a
parameter missing, misspelt, of the wrong kind, or a column the contract does not have) is
refused when it is loaded, naming what is wrong: a rule that cannot run is never skipped."""

from __future__ import annotations

import csv
import dataclasses
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from opendata.contracts import registry
from opendata.contracts.registry import ContractError
from opendata.validate.file import validate_file
from opendata.validate.rules import CHECKS, EXAMPLES, PARAMETERS, refuse_unrunnable

KINDS = sorted(CHECKS)


def test_every_kind_declares_its_parameters_and_test_values() -> None:
    assert set(KINDS) <= set(PARAMETERS)
    assert set(KINDS) <= set(EXAMPLES)


def _source(spec: dict[str, Any], columns: list[tuple[str, str]]) -> registry.Source:
    base = registry.source("wifi-sites")
    fields = [{"name": name, "type": kind} for name, kind in columns]
    return dataclasses.replace(
        base,
        name="example",
        schema={"fields": fields},
        checks=[spec],
        csv={"delimiter": ";", "encodings": ["utf-8"]},
        profiles=(),
        key_forms={},
        limits={},
        previous=(),
    )


def _file(folder: Path, columns: list[tuple[str, str]], rows: list[dict[str, str]]) -> Path:
    path = folder / "example.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter=";")
        writer.writerow([name for name, _ in columns])
        writer.writerows([[row.get(name, "") for name, _ in columns] for row in rows])
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_each_rule_accepts_and_refuses_its_own_examples(kind: str, tmp_path: Path) -> None:
    partial, columns, accepted, refused = EXAMPLES[kind]
    spec = {"type": kind, **partial}
    source = _source(spec, columns)
    refuse_unrunnable(source)  # the examples' own contract is well written
    flagged = lambda report: {  # noqa: E731
        p.row for p in report.problems if p.row is not None and p.type != "blank-row"
    }
    good = validate_file(_file(tmp_path, columns, accepted), source).report
    assert good.errors == [] and flagged(good) == set(), [p.type for p in good.problems]
    bad = validate_file(_file(tmp_path, columns, refused), source).report
    if kind == "same-period":  # the month of most rows is the file's: the other one is flagged
        assert flagged(bad) == {4}
    else:
        assert flagged(bad) == set(range(2, 2 + len(refused))), [
            (p.row, p.type) for p in bad.problems
        ]


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda c: c.pop("longitude"), "parameter 'longitude' is missing"),
        (lambda c: c.update(longitude="Longitud"), "longitude='Longitud' is not a column"),
        (lambda c: c.update(lattitude="Latitude"), "parameter 'lattitude' is not one of"),
        (lambda c: c.update(severity="grave"), "severity='grave' is not a severity"),
    ],
)
def test_a_check_written_wrong_refuses_the_contract(change: Any, said: str, tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    shutil.copytree(registry.schemas_dir(), schemas)
    path = schemas / "sources" / "epn-places" / "source.json"
    declared = json.loads(path.read_text(encoding="utf-8"))
    coordinates = next(c for c in declared["checks"] if c["type"] == "paris-coordinates")
    change(coordinates)
    path.write_text(json.dumps(declared, ensure_ascii=False), encoding="utf-8")
    source = registry._sources(schemas)["epn-places"]
    with pytest.raises(ContractError, match="check 'paris-coordinates'") as refused:
        refuse_unrunnable(source)
    assert said in str(refused.value)
