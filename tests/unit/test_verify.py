"""Our own check of a published package reads every month of a resource published by month,
where frictionless-py reads only the first Parquet file of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from frictionless import Package

from opendata.cli import main
from opendata.contracts import registry
from opendata.datasets.wifi_hotspots.samples import write_month
from opendata.publish import steps
from opendata.publish.verify import verify


def test_every_published_package_is_whole(published_sample: Path) -> None:
    for name in registry.datasets():
        assert verify(published_sample / name) == [], name


def test_a_broken_later_month_is_found_where_frictionless_passes(
    small_raw: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(small_raw, raw)
    write_month(raw, "2007-11", rows=3000, resent=0)
    out = tmp_path / "published"
    assert steps.publish("wifi-hotspots", raw, out)
    folder = out / "wifi-hotspots"
    assert verify(folder) == []
    # November's Parquet file loses half its rows and a column (a disk fault, a bad copy):
    # the hash check is told apart from the table checks by rewriting the declared hash.
    november = folder / "sessions-parquet" / "sessions-2007-11.parquet"
    table = pq.read_table(november)
    broken = table.slice(0, table.num_rows // 2).drop_columns([table.column_names[-1]])
    pq.write_table(broken, november)
    found = verify(folder)
    assert any("sessions-2007-11.parquet: empreinte" in f for f in found), found
    assert any("sessions-2007-11.parquet: colonnes" in f for f in found), found
    assert any("lignes" in f and "sessions-2007-11.parquet" in f for f in found), found
    assert not any("sessions-2007-10" in f for f in found)
    # What frictionless-py says of the same package: it reads October only.
    report = Package(str(folder / "datapackage.json")).validate()
    parquet_tasks = [t for t in report.tasks if t.name == "sessions-parquet"]
    assert parquet_tasks and all(t.valid for t in parquet_tasks)
    assert main(["verify", "wifi-hotspots", "--published-dir", str(out)]) == 1
    said = capsys.readouterr().out
    assert "wifi-hotspots : INCOMPLET" in said and "sessions-2007-11.parquet" in said


def test_a_descriptor_cannot_send_the_check_outside_its_package(tmp_path: Path) -> None:
    import json

    (tmp_path / "secret.csv").write_text("a\n1\n")
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / "link.csv").symlink_to(tmp_path / "secret.csv")
    resources = [
        {"name": "up", "path": "../secret.csv", "format": "csv"},
        {"name": "abs", "path": str(tmp_path / "secret.csv"), "format": "csv"},
        {"name": "link", "path": "link.csv", "format": "csv"},
    ]
    (folder / "datapackage.json").write_text(json.dumps({"resources": resources}))
    assert verify(folder) == [
        "up: ../secret.csv: chemin hors du paquet",
        f"abs: {tmp_path / 'secret.csv'}: chemin hors du paquet",
        "link: link.csv: fichier absent",
    ]
