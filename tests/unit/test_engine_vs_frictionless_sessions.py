"""The Arrow engine and Frictionless report the same errors on the same files and schema.

Each case writes a gzipped operator file with planted errors, validates it with
``frictionless`` (the reference: a Data Package holding the file and a sites table, so that
foreign keys are checked too) and with :mod:`opendata.validate.engine`, and compares the sorted
(row, field, error type) lists. The cases cover every error the wifi-sessions contract can
raise, the structural ones (blank, short, long and multi-line records), the cells where
Python's ``int`` and ``strptime`` differ from naive parsers, and a seeded random mutation of
real sample rows.
"""

from __future__ import annotations

import copy
import dataclasses
import gzip
import io
import os
import random
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from frictionless import Package

from opendata.contracts import registry
from opendata.datasets.wifi_hotspots.samples import HEADER, month_table
from opendata.validate import engine
from opendata.validate.engine import keys as engine_keys
from opendata.validate.readers import arrowcsv

SITES = ["PW0001", "PW0002", "PW0003"]
GOOD = [
    "0123456789abcdef",
    "PW0001",
    "2007-10-12 14:03:27",
    "60",
    "100",
    "10",
    "laptop",
    "Linux",
    "fr",
]


def _row(**changes: str) -> list[str]:
    row = list(GOOD)
    for name, value in changes.items():
        row[HEADER.index(name)] = value
    return row


def _csv(rows: list[list[str] | str]) -> bytes:
    """Rows as CSV; a str is written as it is (to plant blank, short or broken records)."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for row in rows:
        if isinstance(row, str):
            out.write(row)
        else:
            writer.writerow(row)
    return gzip.compress(out.getvalue().encode("utf-8"), mtime=0)


def _ids(n: int, start: int = 0) -> list[str]:
    return [f"{start + i:016x}" for i in range(n)]


def frictionless_triples(folder: Path, schema: dict[str, Any]) -> list[tuple[Any, ...]]:
    (folder / "sites.csv").write_text("Code site\n" + "\n".join(SITES) + "\n")
    package = Package(
        {
            "resources": [
                {
                    "name": "wifi-sessions",
                    "path": "sessions.csv.gz",
                    "format": "csv",
                    "compression": "gz",
                    "dialect": {"headerRows": [1], "csv": {"delimiter": ","}},
                    "schema": schema,
                },
                {
                    "name": "wifi-sites",
                    "path": "sites.csv",
                    "format": "csv",
                    "schema": {"fields": [{"name": "Code site", "type": "string"}]},
                },
            ]
        },
        basepath=str(folder),
    )
    report = package.validate(limit_errors=10**9)
    task = next(t for t in report.tasks if t.name == "wifi-sessions")
    found = [tuple(e) for e in task.flatten(["rowNumber", "fieldName", "type"])]
    return sorted(found, key=lambda t: (t[0] or 0, t[1] or "", t[2]))


def arrow_triples(folder: Path, schema: dict[str, Any]) -> list[tuple[Any, ...]]:
    strings = arrowcsv.read_strings(folder / "sessions.csv.gz")
    positions = {f["name"]: strings.header.index(f["name"]) for f in schema["fields"]}
    references = {"wifi-sites": pa.table({"Code site": SITES})}
    checked = engine.validate_strings(strings, schema, positions, references)
    found = checked.findings.triples()
    # The same file in batches of a few rows: repeated keys span batches, same findings.
    validator = engine.Validator(schema, positions, references)
    path = folder / "sessions.csv.gz"
    for batch in arrowcsv.iter_strings(path, batch_bytes=1, block_bytes=512):
        validator.check(batch)
    gather = lambda wanted: arrowcsv.gather_strings(path, ",", None, wanted)  # noqa: E731
    assert validator.finish(gather).triples() == found
    return found


def _compare(tmp_path: Path, rows: list[list[str] | str], schema: dict[str, Any] | None = None):
    schema = schema or copy.deepcopy(registry.source("wifi-sessions").schema)
    (tmp_path / "sessions.csv.gz").write_bytes(_csv(rows))
    expected = frictionless_triples(tmp_path, schema)
    found = arrow_triples(tmp_path, schema)
    assert found == expected
    assert found, "both engines found nothing: a case with no fault proves nothing"
    return found


PLANTED: dict[str, list[dict[str, str]]] = {
    "session_id": [
        {"session_id": ""},
        {"session_id": "XYZ"},
        {"session_id": "ABCDEF0123456789"},
        {"session_id": "0123456789abcdef0"},
    ],
    "site_code": [{"site_code": ""}, {"site_code": "pw0001"}, {"site_code": "PW9999"}],
    "start_time": [
        {"start_time": ""},
        {"start_time": "2007-10-32 10:00:00"},
        {"start_time": "2007-02-29 10:00:00"},
        {"start_time": "2008-02-29 10:00:00"},
        {"start_time": "2007-04-31 10:00:00"},
        {"start_time": "2007-10-01T10:00:00"},
        {"start_time": " 2007-10-01 10:00:00"},
        {"start_time": "2007-10-01 10:00:00 "},
        {"start_time": "2007-10-1 9:5:7"},
        {"start_time": "2007-10-01  10:00:00"},
        {"start_time": "2007-10-01 23:59:60"},
        {"start_time": "2007-10-01 24:00:00"},
        {"start_time": "0000-10-01 10:00:00"},
        {"start_time": "2007/10/01 10:00:00"},
        {"start_time": "2007-10-01 10:00"},
        {"start_time": "2007-13-01 10:00:00"},
    ],
    "integers": [
        {"duration_s": "-1"},
        {"duration_s": "1.5"},
        {"duration_s": " 12 "},
        {"duration_s": "1_000"},
        {"duration_s": "+5"},
        {"duration_s": "abc"},
        {"duration_s": ""},
        {"bytes_in": "-0"},
        {"bytes_in": "1e3"},
        {"bytes_out": "007"},
        {"bytes_out": "1__0"},
    ],
    "device_type": [{"device_type": "phone"}, {"device_type": "Smartphone"}, {"device_type": ""}],
    "language": [{"language": "fra"}, {"language": "FR"}, {"language": ""}, {"os": ""}],
}


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_planted_cell_errors_match_frictionless(tmp_path: Path, kind: str) -> None:
    ids = _ids(len(PLANTED[kind]) + 1)
    rows: list[list[str] | str] = [_row(session_id=ids[0])]
    for index, change in enumerate(PLANTED[kind], start=1):
        rows.append(_row(**{"session_id": ids[index], **change}))
    found = _compare(tmp_path, rows)
    assert found, "the planted cells raise errors"


def test_duplicate_and_missing_keys_match_frictionless(tmp_path: Path) -> None:
    rows: list[list[str] | str] = [
        _row(session_id="00000000000000aa"),
        _row(session_id="00000000000000aa"),  # re-sent identically
        _row(session_id="00000000000000aa", duration_s="61"),  # same id, other values
        _row(session_id=""),
        _row(session_id=""),
        _row(session_id="zz", duration_s="x"),  # pattern error keeps the value for the key
        _row(session_id="zz"),
    ]
    found = _compare(tmp_path, rows)
    assert [t for t in found if t[2] == "primary-key"]


def test_structural_errors_match_frictionless(tmp_path: Path) -> None:
    ids = _ids(8)
    rows: list[list[str] | str] = [
        _row(session_id=ids[0]),
        "\n",  # blank line
        ",,,,,,,,\n",  # every cell empty
        ",".join(_row(session_id=ids[1])[:5]) + "\n",  # short record
        ",".join([*_row(session_id=ids[2]), "extra", ""]) + "\n",  # long record
        _row(session_id=ids[3], os="Linux\nUbuntu"),  # a quoted line break inside a cell
        ",".join(_row(session_id=ids[4], duration_s="x")[:3]) + "\n",  # short, with bad cells
        _row(session_id=ids[5]),
        "\n",  # trailing blank lines
        "\n",
    ]
    found = _compare(tmp_path, rows)
    kinds = {t[2] for t in found}
    assert {"blank-row", "missing-cell", "extra-cell"} <= kinds


def test_other_constraints_and_types_match_frictionless(tmp_path: Path) -> None:
    """Constraints the sessions contract does not use but the engine supports."""
    schema = {
        "fields": [
            {
                "name": "session_id",
                "type": "string",
                "constraints": {"unique": True, "minLength": 3, "maxLength": 16},
            },
            {"name": "site_code", "type": "string", "constraints": {"enum": SITES}},
            {
                "name": "start_time",
                "type": "date",
                "format": "%Y-%m-%d",
            },
            {
                "name": "duration_s",
                "type": "integer",
                "constraints": {"maximum": 100, "enum": [1, 60, 100]},
            },
            {"name": "bytes_in", "type": "integer"},
            {"name": "bytes_out", "type": "integer"},
            {"name": "device_type", "type": "string"},
            {"name": "os", "type": "string", "constraints": {"required": True}},
            {"name": "language", "type": "string"},
        ],
        "missingValues": ["", "NA"],
    }
    rows: list[list[str] | str] = [
        _row(session_id="ab", start_time="2007-10-12"),
        _row(session_id="ab", start_time="2007-10-12", duration_s="101"),
        _row(session_id="abcdefabcdefabcdef", start_time="2007-2-3", duration_s="7"),
        _row(session_id="abc", start_time="2007-02-30", site_code="PW9999", os="NA"),
        _row(session_id="NA", start_time="12/10/2007", duration_s="NA"),
    ]
    _compare(tmp_path, rows, schema)


NASTY = [
    "",
    " ",
    "NA",
    "-1",
    "0",
    "+0",
    "1.0",
    "1e3",
    " 7",
    "x",
    "PW0002",
    "PW12",
    "ffffffffffffffff",
    "2007-10-12 14:03:27",
    "2007-10-12 14:03",
    "2007-10-31 24:00:00",
    "laptop",
    "tablet",
    "zz",
    "en",
    "é",
    "0123456789ABCDEF",
]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_mutations_of_real_rows_match_frictionless(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    sample = month_table("2007-10", rows=400, resent=20).to_pylist()
    rows: list[list[str] | str] = []
    for record in sample:
        row = [record[h] for h in HEADER]
        for index in range(len(row)):
            if rng.random() < 0.06:
                row[index] = rng.choice(NASTY)
        if rng.random() < 0.01:
            rows.append(",".join(row[: rng.randrange(1, 9)]) + "\n")
            continue
        rows.append(row)
    schema = copy.deepcopy(registry.source("wifi-sessions").schema)
    (tmp_path / "sessions.csv.gz").write_bytes(_csv(rows))
    expected = frictionless_triples(tmp_path, schema)
    assert len(expected) > 50  # the mutation did plant errors of many kinds
    assert {t[2] for t in expected} >= {"type-error", "constraint-error", "primary-key"}
    assert arrow_triples(tmp_path, schema) == expected


def test_keys_whose_hashes_collide_are_still_compared_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key check keeps 64-bit hashes and compares the rows sharing one as text: with
    every hash equal (all rows collide), the same findings as Frictionless."""
    rng = random.Random(3)
    rows: list[list[str] | str] = []
    for record in month_table("2007-10", rows=300, resent=15).to_pylist():
        row = [record[h] for h in HEADER]
        if rng.random() < 0.05:
            row[0] = rng.choice(["", "XYZ", row[0].upper()])
        rows.append(row)
    rows.insert(40, rows[10])
    monkeypatch.setattr(engine_keys, "hash_text", lambda array: np.zeros(len(array), np.uint64))
    found = _compare(tmp_path, rows)
    assert {t[2] for t in found} >= {"primary-key", "constraint-error"}


def test_hashes_of_text_are_the_same_in_any_batch() -> None:
    values = ["", "a", "ab", "ba", "\x00", "é", "0123456789abcdef", None, "a" * 300]
    whole = engine.hash_text(pa.array(values * 50_000, pa.string()))
    parts = pa.chunked_array([pa.array(values[i::3] * 3, pa.string()) for i in range(3)])
    again = engine.hash_text(parts)
    by_value = dict(zip([v for i in range(3) for v in values[i::3] * 3], again, strict=True))
    assert [by_value[v] for v in values] == whole[: len(values)].tolist()
    assert len(set(whole[: len(values)].tolist())) == len(values)  # no collision among these
    # Ids all of one width, a multiple of 8, are read as 64-bit words: the same hashes.
    fixed = engine.hash_text(pa.array(["0123456789abcdef", "fedcba9876543210"] * 2))
    assert fixed[0] == whole[values.index("0123456789abcdef")] and fixed[1] != fixed[0]


def test_a_schema_outside_the_engine_is_refused_not_guessed() -> None:
    for field in (
        {"name": "x", "type": "geopoint"},
        {"name": "x", "type": "number", "bareNumber": False},
        {"name": "x", "type": "datetime"},
        {"name": "x", "type": "string", "format": "email"},
        {"name": "x", "type": "string", "constraints": {"pattern": "(a)\\1"}},
        {"name": "x", "type": "date", "format": "%d %B %Y"},
    ):
        with pytest.raises(engine.Unsupported):
            engine.check_schema({"fields": [field]})


def test_both_readers_and_frictionless_read_integers_alike() -> None:
    """One semantics for an integer cell whichever reader gave it (#12): what Python's
    ``int()`` reads, as Frictionless does; ``1_000`` was valid for the Arrow checker and an
    error for the pandas one, which is gone."""
    import numpy as np
    import pyarrow as pa
    from frictionless import Resource, Schema

    from opendata.validate.file import check_cells
    from opendata.validate.readers.headers import match_header
    from opendata.validate.readers.lenient import RawTable

    cells = ["12", "+5", "-0", "1_000", "1__000", "_1", "1_", "1.0", "1e3", "0x1f", "١٢"]
    field = {"name": "n", "type": "integer"}
    source = dataclasses.replace(
        registry.source("epn-attendance"), schema={"fields": [field]}, key_forms={}, checks=[]
    )
    raw = RawTable(
        source, 1, match_header(["n"], ["n"]), {"n": list(cells)}, list(range(2, 13)), []
    )
    lenient_bad = {cells[r - 2] for r, _, _ in check_cells(raw, {}).findings.triples()}
    arrow = engine.cast(field, pa.chunked_array([cells]), np.zeros(len(cells), bool), [""])
    arrow_bad = {c for c, ok in zip(cells, arrow.ok, strict=True) if not ok}
    resource = Resource(
        data=[["n"], *([c] for c in cells)], schema=Schema.from_descriptor({"fields": [field]})
    )
    report = resource.validate()
    frictionless_bad = {cells[row - 2] for row in report.flatten(["rowNumber"]) for row in row}
    assert lenient_bad == arrow_bad
    # The one divergence, documented in the engine: Unicode digits.
    assert frictionless_bad == lenient_bad - {"١٢"}
    assert "1_000" not in lenient_bad and {"1__000", "_1", "1_", "1.0"} <= lenient_bad


def test_a_large_file_read_twice_gives_the_report_of_one_kept_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the bytes kept (``KEEP_BYTES``) the rows the key check needs again are read from
    the file a second time instead of kept: same report, repeats identical and different
    alike."""
    from opendata.validate import batched

    rows: list[list[str] | str] = []
    for record in month_table("2007-10", rows=500, resent=10).to_pylist():
        rows.append([record[h] for h in HEADER])
    changed = list(rows[20])
    changed[HEADER.index("duration_s")] = "7"
    rows += [changed, ",".join(rows[30][:4]) + "\n"]  # a different repeat, a ragged record
    path = tmp_path / "sessions-2007-10.csv.gz"
    path.write_bytes(_csv(rows))
    source = registry.source("wifi-sessions")
    references = {"wifi-sites": pa.table({"Code site": SITES})}
    second_readings: list[int] = []
    gather = arrowcsv.gather_strings

    def counted(*args: Any) -> arrowcsv.StringTable:
        second_readings.append(1)
        return gather(*args)

    monkeypatch.setattr(arrowcsv, "gather_strings", counted)
    kept = batched.validate_large(path, source, None, references).report
    assert not second_readings
    from opendata.validate.readers import batches as reading

    monkeypatch.setitem(reading.PROCESS, "keep_bytes", 0)
    read_twice = batched.validate_large(path, source, None, references).report
    assert second_readings == [1]
    assert read_twice.to_state() == kept.to_state()
    assert {p.type for p in kept.problems} >= {"repeated-record", "primary-key", "missing-cell"}


def test_ragged_records_count_toward_the_row_bound_as_they_are_read(tmp_path: Path) -> None:
    """A file of nothing but short records is refused at the bound, not read to its end."""
    from opendata.contracts.limits import bounds
    from opendata.report.problems import UnreadableFile

    path = tmp_path / "short.csv"
    # Bytes that are not UTF-8 at the end: reading that far would be another refusal.
    path.write_bytes((",".join(HEADER) + "\n" + "x\n" * 50_000).encode() + b"\xff\xfe,\n")
    with pytest.raises(UnreadableFile) as refused:
        for _ in arrowcsv.iter_strings(path, bounds=bounds({"maxRows": 1000}), block_bytes=4096):
            pass
    assert refused.value.kind == "too-many-rows"


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_empty_lines_and_ragged_records_past_their_bound_refuse_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, eol: str
) -> None:
    """More empty lines than ``EMPTY_LIMIT`` (counted before a piece is parsed: each is a
    record of the header's width), more ragged records than ``RAGGED_LIMIT`` (each kept with
    its text), more blank records than ``BLANK_LIMIT`` (each a finding): the month is not an
    export and is refused at once. At the bound, it is read and reported as before."""
    from opendata.validate import batched

    monkeypatch.setattr(arrowcsv, "EMPTY_LIMIT", 5)
    monkeypatch.setattr(arrowcsv, "RAGGED_LIMIT", 5)
    monkeypatch.setattr(batched, "BLANK_LIMIT", 5)
    source = registry.source("wifi-sessions")
    references = {"wifi-sites": pa.table({"Code site": SITES})}
    good = [
        [record[h] for h in HEADER]
        for record in month_table("2007-10", rows=20, resent=0).to_pylist()
    ]

    def kind(extra: str, times: int) -> str | None:
        lines = [",".join(HEADER), *(",".join(r) for r in good[:10]), *[extra] * times]
        lines += [",".join(r) for r in good[10:]]
        path = tmp_path / "sessions-2007-10.csv.gz"
        path.write_bytes(gzip.compress((eol.join(lines) + eol).encode()))
        report = batched.validate_large(path, source, None, references).report
        assert report.rows == (0 if report.unreadable else 20 + times)
        return report.problems[0].type if report.unreadable else None

    assert kind("", 5) is None and kind("", 6) == "too-many-blank-rows"  # empty lines
    monkeypatch.setattr(batched, "BLANK_LIMIT", 10**6)
    assert kind("", 6) == "too-many-blank-rows"  # counted by the reader, before parsing
    monkeypatch.setattr(batched, "BLANK_LIMIT", 5)
    assert kind("x,y", 5) is None and kind("x,y", 6) == "too-many-ragged"
    assert kind(",,,,,,,,", 5) is None and kind(",,,,,,,,", 6) == "too-many-blank-rows"


def test_a_command_that_checks_one_file_keeps_it_instead_of_reading_it_twice(
    tmp_path: Path,
) -> None:
    """``opendata validate`` sets its process up for one file (``onefile.set_up``): a
    month is kept whole for the key check (a long-lived process reads it a second time past
    ``KEEP_BYTES``), pandas is never imported, numpy's BLAS starts no thread and the cyclic
    collector is off. In a process of its own: the set-up lasts for the process."""
    import subprocess
    import sys

    rows: list[list[str] | str] = [HEADER]
    for record in month_table("2007-10", rows=300, resent=5).to_pylist():
        rows.append([record[h] for h in HEADER])
    path = tmp_path / "sessions-2007-10.csv.gz"
    path.write_bytes(_csv(rows[1:]))
    program = f"""
import gc, os, sys
if sys.argv[1] == "one-file":  # as the command does, before numpy is imported
    from opendata.validate import onefile

    onefile.set_up()
import pyarrow as pa
from opendata.contracts import registry
from opendata.validate import batched
from opendata.validate.readers import arrowcsv
from opendata.validate.readers import batches as reading

if sys.argv[1] == "long-lived":
    reading.PROCESS["keep_bytes"] = 0  # as if past what a long-lived process keeps
readings = []
gather = arrowcsv.gather_strings
arrowcsv.gather_strings = lambda *args: readings.append(1) or gather(*args)
references = {{"wifi-sites": pa.table({{"Code site": {SITES!r}}})}}
report = batched.validate_large(
    __import__("pathlib").Path({str(path)!r}), registry.source("wifi-sessions"), None, references
).report
import hashlib, json
state = hashlib.sha256(json.dumps(report.to_state(), sort_keys=True).encode()).hexdigest()
from opendata.validate.readers import csvpieces
setup = csvpieces.AHEAD["pieces"], reading.PROCESS["batch_bytes"]
blas = os.environ.get("OPENBLAS_NUM_THREADS", "-")
print(len(readings), "pandas" in sys.modules, state, len(report.problems), *setup)
print(gc.isenabled(), blas)
"""
    answers = {}
    for mode in ("long-lived", "one-file"):
        environment = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
        done = subprocess.run(
            [sys.executable, "-c", program, mode],
            capture_output=True,
            text=True,
            timeout=120,
            env=environment,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        answers[mode] = done.stdout.split()
    assert answers["long-lived"][0] == "1" and answers["one-file"][:2] == ["0", "False"]
    assert answers["one-file"][2:4] == answers["long-lived"][2:4]  # the same report
    # One piece at a time, the reader's batches, the collector on, BLAS as the user set it.
    assert answers["long-lived"][4:] == ["0", "0", "True", "-"]
    assert int(answers["one-file"][4]) > 0 and int(answers["one-file"][5]) > 0
    assert answers["one-file"][6:] == ["False", "1"]
    assert int(answers["one-file"][3]) > 0  # repeats found in the kept rows
