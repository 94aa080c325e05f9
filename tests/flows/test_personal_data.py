"""No value of an identity column of the trainee file in anything the flow writes."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.logging.handlers import APILogWorker
from python_calamine import CalamineWorkbook

from flows.publish import publish
from opendata.contracts import registry
from tests.conftest import FIXTURES

pytestmark = pytest.mark.flow


def _identity_values(path: Path) -> set[str]:
    """Every identity value of a trainee workbook, in the forms it could be written out."""
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Stagiaires").to_python()
    header = [str(c) for c in sheet[0]]
    found: set[str] = set()
    for values in sheet[1:]:
        cells = dict(zip(header, values, strict=True))
        for label in registry.source("trainees").identity_fields:
            value = cells[label]
            if hasattr(value, "strftime"):
                found |= {value.strftime("%d/%m/%Y"), value.strftime("%Y-%m-%d")}
            elif str(value).strip():
                found.add(str(value).strip())
    return found


def _readable(path: Path) -> bytes:
    """A file's bytes, and for the compressed formats what they hold once opened (a name in
    a zstd Parquet column or in an Excel workbook's deflated XML is not in its raw bytes)."""
    data = path.read_bytes()
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        data += table.to_pandas().to_csv().encode() + str(table.schema).encode()
    elif path.suffix == ".xlsx":
        import zipfile

        with zipfile.ZipFile(path) as book:
            data += b"".join(book.read(name) for name in book.namelist())
    return data


async def _server_text(since: dt.datetime) -> str:
    """What the server holds from ``since`` on: this test's runs, their logs and artifacts
    (the harness's server is shared by the tier: another test's artifacts quote contract
    descriptions, "75001 à 75020", which are not a trainee's)."""
    async with get_client() as client:
        artifacts = await client.read_artifacts()
        logs = await client.read_logs()
        runs = await client.read_flow_runs()
    parts = [f"{a.key} {a.description} {a.data}" for a in artifacts if a.created >= since]
    parts += [log.message for log in logs if log.timestamp >= since]
    parts += [
        f"{r.name} {r.parameters} {r.state.message if r.state else ''}"
        for r in runs
        if r.created >= since
    ]
    return "\n".join(parts)


def test_nothing_the_flow_writes_holds_identity_values(
    raw_copy: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "published"
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    first = publish(["digital-training"], str(raw_copy), str(out), return_state=True)
    assert first.is_completed()
    # Then a newer delivery with errors: its report goes to artifacts and logs.
    bad = raw_copy / "trainees" / "trainees-2009-01-31.xlsx"
    shutil.copy(FIXTURES / "trainees/every-error.xlsx", bad)
    second = publish(["digital-training"], str(raw_copy), str(out), return_state=True)
    assert second.is_failed()
    APILogWorker.drain_all(timeout=10)

    identity = _identity_values(raw_copy / "trainees" / "trainees-2008-12-31.xlsx")
    identity |= _identity_values(bad)
    assert len(identity) > 400  # 150 people plus the fixture's, several values each

    written: list[tuple[str, bytes]] = []
    for root in (out, Path(os.environ["PREFECT_HOME"])):
        written += [(str(p), _readable(p)) for p in root.rglob("*") if p.is_file()]
    scanned = {Path(name).name for name, _ in written}
    package = json.loads((out / "digital-training" / "datapackage.json").read_text())
    assert {r["path"] for r in package["resources"]} <= scanned  # every published table
    server = asyncio.run(_server_text(since))
    console = capfd.readouterr()
    assert "validation-trainees" in server  # the artifact exists, redacted
    texts = [("server", server), ("console", console.out + console.err)]
    for value in identity:
        needle = value.encode("utf-8")
        for name, data in written:
            if name.endswith((".db", ".db-wal", ".db-shm")):
                continue  # the server's database: covered by reading it through the API
            assert needle not in data, (value, name)
        for name, text in texts:
            assert value not in text, (value, name)


def test_the_raw_trainee_file_is_never_copied(raw_copy: Path, tmp_path: Path) -> None:
    source = raw_copy / "trainees" / "trainees-2008-12-31.xlsx"
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    out = tmp_path / "published"
    assert publish(["digital-training"], str(raw_copy), str(out), return_state=True).is_completed()
    for root in (out, Path(os.environ["PREFECT_HOME"])):
        for path in root.rglob("*"):
            if path.is_file():
                assert hashlib.sha256(path.read_bytes()).hexdigest() != digest, path
    assert sorted(p.name for p in (out / "digital-training").iterdir()) == [
        "CHANGELOG.md",
        "by-age-band.csv",
        "by-age-band.parquet",
        "by-age-band.xlsx",
        "by-entry-status.csv",
        "by-entry-status.parquet",
        "by-entry-status.xlsx",
        "by-outcome.csv",
        "by-outcome.parquet",
        "by-outcome.xlsx",
        "by-sex.csv",
        "by-sex.parquet",
        "by-sex.xlsx",
        "changes.json",
        "datapackage.json",
        "programme-summary.csv",
        "programme-summary.parquet",
        "programme-summary.xlsx",
        "releases",
        "releases.json",
    ]
