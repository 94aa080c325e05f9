"""The one engine and Frictionless agree on every departments' contract (#12).

For each source read by the lenient reader (found by the registry, no name listed here), the
cells of every example and sample delivery, and of seeded random mutations of their real rows,
go two ways: through :func:`opendata.validate.file.check_cells` (the engine, before the report
policy), and written as a CSV file (the reader's normalised text, columns in the file's order,
a short row written short) validated by ``frictionless`` with the contract's schema, in a Data
Package holding the referenced sources' keys so that foreign keys are checked too. The sorted
(row, field, error type) lists must be equal. Declared key forms (``keyForms``) are the one
input difference: Frictionless is given each key cell in its canonical form, which the engine
compares. The operator's months are compared on the raw file in
``test_engine_vs_frictionless_sessions.py``.
"""

from __future__ import annotations

import copy
import csv
import random
from pathlib import Path
from typing import Any

import pytest
from frictionless import Package

from opendata.contracts import registry
from opendata.report.problems import UnreadableFile
from opendata.validate.file import check_cells, references_of
from opendata.validate.readers.lenient import RawTable, read_delivery
from opendata.validate.rules import KEY_NORMALISERS
from tests.conftest import ROOT

RAW = ROOT / "raw"
LENIENT = sorted(name for name, s in registry.sources().items() if s.engine != "arrow")
# Cells a steward's file may hold, for every type the contracts use.
MUTATIONS = [
    "",
    "abc",
    "0",
    "-1",
    "+7",
    "12",
    "1_000",
    "1__0",
    "_1",
    "1.5",
    "1,5",
    "2,35",
    "48,86",
    "1 000",
    "1 200 000,50",
    "1e3",
    "1E+2",
    ".5",
    "5.",
    "1.2.3",
    "00012",
    "31/12/2007",
    "29/02/2008",
    "29/02/2007",
    "31/04/2008",
    "1/2/2008",
    "01/13/2008",
    "2008-01-15",
    "15/01/08",
    "2007-03",
    "03/2007",
    "2007-13",
    "EPN-07",
    "EPN-7",
    "PW0001",
    "PW0019-1",
    "2006",
    "2007",
    "2008",
    "Actif",
    "x" * 300,
    "é",
]


def _tables(name: str) -> list[RawTable]:
    source = registry.source(name)
    folder, _pins = registry.examples(name)
    files = sorted(Path(folder).iterdir()) + sorted((RAW / name).iterdir())
    tables = []
    for path in files:
        try:
            tables.append(read_delivery(path, source))
        except UnreadableFile:
            continue
    return tables


def _frictionless(tmp: Path, raw: RawTable, references: dict[str, Any]) -> list[tuple]:
    source = raw.source
    order = sorted(raw.cells, key=lambda label: raw.match.columns[label])
    schema = copy.deepcopy(source.schema)
    schema["fields"] = sorted(
        (f for f in schema["fields"] if f["name"] in raw.cells),
        key=lambda f: order.index(f["name"]),
    )
    key = schema.get("primaryKey", [])
    if not set([key] if isinstance(key, str) else key) <= set(order):
        schema.pop("primaryKey", None)
    schema["foreignKeys"] = [
        fk
        for fk in schema.get("foreignKeys", [])
        if set(fk["fields"]) <= set(order) and fk["reference"]["resource"] in references
    ]
    forms = {k: KEY_NORMALISERS[v] for k, v in source.key_forms.items()}
    with (tmp / "table.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(order)
        for i in range(len(raw.row_numbers)):
            row: list[str] = []
            for label in order:
                cell = raw.cells[label][i]
                if cell is None:
                    break  # a short row: the reader's None cells are the last ones
                if label in forms and cell:
                    cell = forms[label](cell) or cell
                row.append(cell)
            writer.writerow(row)
    resources = [{"name": source.name, "path": "table.csv", "format": "csv", "schema": schema}]
    for name, table in references.items():
        path = f"{name}.csv"
        with (tmp / path).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(table.column_names)
            writer.writerows(
                zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True)
            )
        fields = [{"name": c, "type": "string"} for c in table.column_names]
        resources.append(
            {"name": name, "path": path, "format": "csv", "schema": {"fields": fields}}
        )
    package = Package({"resources": resources}, basepath=str(tmp))
    report = package.validate(limit_errors=10**9)
    task = next(t for t in report.tasks if t.name == source.name)
    found = []
    for number, fieldname, kind in task.flatten(["rowNumber", "fieldName", "type"]):
        row = raw.row_numbers[number - 2] if number else None
        found.append((row, fieldname or None, kind))
    return sorted(found, key=_order)


def _order(t: tuple) -> tuple:
    return (t[0] or 0, t[1] or "", t[2])


def _engine(raw: RawTable, references: dict[str, Any]) -> list[tuple]:
    findings = check_cells(raw, references).findings
    return sorted(((r, f or None, k) for r, f, k in findings.triples()), key=_order)


def _compare(tmp: Path, raw: RawTable) -> list[tuple]:
    references, _files, _unchecked = references_of(raw.source, RAW)
    expected = _frictionless(tmp, raw, references)
    found = _engine(raw, references)
    assert found == expected
    return found


@pytest.mark.parametrize("name", LENIENT)
def test_every_example_and_sample_gives_frictionless_findings(name: str, tmp_path: Path) -> None:
    tables = _tables(name)
    assert tables, f"{name}: no readable example"
    kinds = set()
    for raw in tables:
        kinds |= {k for _, _, k in _compare(tmp_path, raw)}
    # The examples plant real errors: the comparison is not between two empty lists.
    assert kinds & {"type-error", "constraint-error", "primary-key", "unique-error"}


@pytest.mark.parametrize("name", LENIENT)
def test_random_mutations_of_real_rows_give_frictionless_findings(
    name: str, tmp_path: Path
) -> None:
    rng = random.Random(f"engine-differential-{name}")
    tables = [t for t in _tables(name) if t.row_numbers]
    kinds: set[str] = set()
    for round_ in range(30):
        base = rng.choice(tables)
        cells = {label: list(values) for label, values in base.cells.items()}
        numbers = list(base.row_numbers)
        labels = sorted(cells, key=lambda label: base.match.columns[label])
        for _ in range(rng.randint(1, 3)):  # repeat rows: keys that repeat
            i = rng.randrange(len(numbers))
            for label in labels:
                cells[label].append(cells[label][i])
            numbers.append(numbers[-1] + 1)
        for _ in range(rng.randint(3, 12)):
            i, label = rng.randrange(len(numbers)), rng.choice(labels)
            if cells[label][i] is not None:
                cells[label][i] = rng.choice(MUTATIONS)
        if round_ % 3 == 0:  # a short row: the cells after some column are absent
            i, cut = rng.randrange(len(numbers)), rng.randrange(1, len(labels))
            for label in labels[cut:]:
                cells[label][i] = None
        raw = RawTable(base.source, base.header_row, base.match, cells, numbers, [])
        kinds |= {k for _, _, k in _compare(tmp_path, raw)}
    assert {"type-error", "constraint-error"} <= kinds or {"primary-key"} <= kinds


def test_the_report_policy_keeps_one_error_per_fault() -> None:
    """:func:`engine.one_error_per_fault`, the one place a report departs from the
    engine's (Frictionless's) findings, on each of its four cases, for both readers."""
    import numpy as np
    import pyarrow as pa

    from opendata.validate import engine
    from opendata.validate.readers import arrowcsv

    schema = {
        "fields": [
            {"name": "id", "type": "string", "constraints": {"required": True, "unique": True}},
            {"name": "n", "type": "integer", "constraints": {"required": True}},
            {"name": "gone", "type": "string", "constraints": {"required": True}},
        ],
        "primaryKey": ["id"],
    }
    # Row 3 repeats row 2's id; row 4 has an empty id; row 5 lacks its "n" cell (null).
    ids = pa.array(["a", "a", "", "b"], pa.string())
    ns = pa.array(["1", "2", "3", None], pa.string())
    strings = arrowcsv.StringTable(
        ["id", "n"], [pa.chunked_array([ids]), pa.chunked_array([ns])], np.arange(2, 6), [], 4
    )
    checked = engine.validate_strings(strings, schema, {"id": 0, "n": 1})
    found = checked.findings.triples()
    assert found == [
        (2, "gone", "constraint-error"),
        (3, None, "primary-key"),
        (3, "gone", "constraint-error"),
        (3, "id", "unique-error"),
        (4, None, "primary-key"),
        (4, "gone", "constraint-error"),
        (4, "id", "constraint-error"),
        (5, "gone", "constraint-error"),
        (5, "n", "constraint-error"),
        (5, "n", "missing-cell"),
    ]
    engine.one_error_per_fault(checked.findings, schema, {"gone"})
    assert checked.findings.triples() == [
        (3, None, "primary-key"),  # the repeat, once
        (4, "id", "constraint-error"),  # the empty key, as its required error
        (5, "n", "missing-cell"),  # the absent cell, once
    ]


def test_the_published_schemas_types_read_as_frictionless_reads_them(tmp_path: Path) -> None:
    """Booleans, year-months and default-format dates (the published tables' types, checked by
    the same engine before publication) read cell for cell as Frictionless reads them."""
    import numpy as np
    import pyarrow as pa

    from opendata.validate import engine
    from opendata.validate.readers import arrowcsv

    cells = {
        "flag": ["true", "True", "TRUE", "1", "false", "0", "yes", " true", "tRue", "2", "oui"],
        "oui": ["oui", "non", "Oui", "true", "", "o", "non ", "NON", "n", "x", "1"],
        "month": [
            "2007-03",
            "2007-3",
            "2007-13",
            "2007-00",
            " 2007 - 03 ",
            "+2007-+03",
            "2007",
            "2007-03-01",
            "20_07-0_3",
            "-2007-03",
            "03/2007",
        ],
        "day": [
            "2007-03-01",
            "2007-3-1",
            "2007-02-30",
            "2008-02-29",
            "01/03/2007",
            "2007-03-01T00",
            " 2007-03-01",
            "2007-13-01",
            "07-03-01",
            "2007-03-1",
            "20070301",
        ],
    }
    fields = [
        {"name": "flag", "type": "boolean"},
        {"name": "oui", "type": "boolean", "trueValues": ["oui"], "falseValues": ["non"]},
        {"name": "month", "type": "yearmonth"},
        {"name": "day", "type": "date"},
    ]
    schema = {"fields": fields}
    names = list(cells)
    with (tmp_path / "t.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(names)
        writer.writerows(zip(*(cells[n] for n in names), strict=True))
    report = Package(
        {"resources": [{"name": "t", "path": "t.csv", "format": "csv", "schema": schema}]},
        basepath=str(tmp_path),
    ).validate(limit_errors=10**9)
    expected = sorted(
        (tuple(t) for t in report.tasks[0].flatten(["rowNumber", "fieldName", "type"])),
        key=_order,
    )
    n = len(cells["flag"])
    strings = arrowcsv.StringTable(
        names,
        [pa.chunked_array([pa.array(cells[k], pa.string())]) for k in names],
        np.arange(2, n + 2),
        [],
        n,
    )
    found = engine.validate_strings(strings, schema, {k: i for i, k in enumerate(names)})
    assert found.findings.triples() == expected
    assert len(expected) > 10  # the cells above are not all valid


def test_a_key_form_holds_across_a_blank_record() -> None:
    """A declared key form (SIREN written with or without spaces) still compares canonical
    values in a batch that holds a blank record (taken out before the key check)."""
    import numpy as np
    import pyarrow as pa

    from opendata.validate import engine, normalize
    from opendata.validate.readers import arrowcsv

    schema = {
        "fields": [
            {"name": "SIREN", "type": "string", "constraints": {"required": True}},
            {"name": "Nom", "type": "string"},
        ],
        "primaryKey": ["SIREN"],
    }
    sirens = pa.array(["443 061 841", "", "443061841"], pa.string())
    names = pa.array(["A", "", "B"], pa.string())
    strings = arrowcsv.StringTable(
        ["SIREN", "Nom"], [pa.chunked_array([sirens]), pa.chunked_array([names])],
        np.arange(2, 5), [], 3,
    )  # fmt: skip
    forms = {"SIREN": normalize.siren_number}
    checked = engine.validate_strings(strings, schema, {"SIREN": 0, "Nom": 1}, None, forms)
    assert checked.findings.triples() == [(3, None, "blank-row"), (3, None, "primary-key"),
                                          (4, None, "primary-key")]  # fmt: skip


@pytest.mark.parametrize("repeats", [True, False])
def test_a_pattern_matched_once_per_distinct_value_finds_the_same_cells(repeats: bool) -> None:
    """A column that repeats its values is matched once per distinct value: the same cells
    match as when every cell is matched, nulls and values outside the first ones included."""
    import re

    import numpy as np
    import pyarrow as pa

    from opendata.validate.engine.patterns import SAMPLE, matching

    rng = random.Random(7)
    codes = [f"PW{n:04d}" for n in range(40)] + ["PW12", "pw0001", "PW0001 "]
    size = 6 * SAMPLE
    if repeats:
        values = [rng.choice(codes[:40]) for _ in range(size)]
        for at in rng.sample(range(SAMPLE, size), 30):  # wrong codes only past the sample
            values[at] = rng.choice([*codes[40:], None])
    else:
        draws = [f"PW{rng.randrange(10**6):06d}" for _ in range(size)]
        values = [rng.choice([draw, "PW0001", None]) for draw in draws]
    pattern = "PW[0-9]{4}"
    expected = np.array([v is None or re.fullmatch(pattern, v) is not None for v in values])
    found = matching(pa.array(values, pa.string()), pattern)
    assert (found == expected).all()
    assert not expected.all()  # some cells do not match
