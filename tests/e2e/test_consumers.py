"""Consumers as consumers are: the published root served over HTTP by a real static server."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
from frictionless import Package

from opendata.contracts import registry
from tests.conftest import SMALL_MONTH_ROWS
from tests.helpers import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def served(published_sample: Path) -> Iterator[str]:
    root = published_sample
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "http.server",
            str(port),
            "--bind",
            "127.0.0.1",
            "--directory",
            str(root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/catalog.jsonld", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=10)


def _resources(base: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    found = []
    for dataset in sorted(registry.datasets()):
        with urllib.request.urlopen(f"{base}/{dataset}/datapackage.json") as answer:
            descriptor = json.load(answer)
        found += [(dataset, r) for r in descriptor["resources"]]
    return found


def test_pandas_pyarrow_and_duckdb_read_every_resource(served: str, tmp_path: Path) -> None:
    for dataset, resource in _resources(served):
        if resource["format"] == "geojson":  # a map layer: GDAL reads it from the server
            import pyogrio

            url = f"{served}/{dataset}/{resource['path']}"
            info = pyogrio.read_info(f"/vsicurl/{url}")
            assert info["crs"] == "EPSG:4326" and info["features"] > 0
            continue
        paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
        names = [f["name"] for f in resource["schema"]["fields"]]
        for index, path in enumerate(paths):  # a resource by month: each month on its own
            url = f"{served}/{dataset}/{path}"
            if resource["format"] == "csv":
                frame = pd.read_csv(url)
            elif resource["format"] == "xlsx":  # a spreadsheet user's copy: pandas reads it
                with urllib.request.urlopen(url) as answer:
                    frame = pd.read_excel(io.BytesIO(answer.read()), engine="openpyxl")
                assert list(frame.columns) == names and len(frame) > 0
                continue  # DuckDB's Excel reader is an extension downloaded at run time
            else:
                frame = pd.read_parquet(url)
                with urllib.request.urlopen(url) as answer:
                    data = answer.read()
                table = pq.read_table(io.BytesIO(data))
                assert table.column_names == names and table.num_rows == len(frame)
            assert list(frame.columns) == names and len(frame) > 0
            if "x-parts" in resource:
                assert len(frame) == resource["x-parts"][index]["rows"]
            local = tmp_path / f"{dataset}-{path.replace('/', '-')}"
            urllib.request.urlretrieve(url, local)
            assert duckdb.sql(f"SELECT count(*) FROM '{local}'").fetchall() == [(len(frame),)]


def test_duckdb_reads_the_sessions_months_as_one_table(served: str, tmp_path: Path) -> None:
    folder = tmp_path / "sessions"
    folder.mkdir()
    for dataset, resource in _resources(served):
        if resource["name"] == "sessions-parquet":
            for path in resource["path"]:
                urllib.request.urlretrieve(f"{served}/{dataset}/{path}", folder / Path(path).name)
    rows = duckdb.sql(
        f"SELECT count(*), count(DISTINCT session_id), min(start_time) FROM '{folder}/*.parquet'"
    ).fetchall()
    assert rows[0][0] == rows[0][1] == SMALL_MONTH_ROWS
    # The first session, early on 1 October in Paris (UTC+2), is on 30 September in UTC.
    assert "2007-09-30 22:00" <= str(rows[0][2]) < "2007-10-01 00:00"


def test_duckdb_answers_a_consumer_question(served: str, tmp_path: Path) -> None:
    local = tmp_path / "sites.parquet"
    urllib.request.urlretrieve(f"{served}/wifi-hotspots/sites.parquet", local)
    total = duckdb.sql(
        f"SELECT sum(access_points) FROM '{local}' WHERE removed_on IS NULL"
    ).fetchall()
    assert total == [(400,)]


def test_frictionless_validates_the_package_by_url(served: str) -> None:
    for dataset in sorted(registry.datasets()):
        report = Package(f"{served}/{dataset}/datapackage.json").validate()
        assert report.valid, report.flatten(["resourceName", "rowNumber", "type"])[:5]


def test_a_pinned_release_is_served_too(served: str) -> None:
    url = f"{served}/wifi-hotspots/releases/1.0.0/sites.csv"
    assert len(pd.read_csv(url)) == 268
