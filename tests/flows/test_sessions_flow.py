"""The sessions months as Prefect tasks: one per operator file, one per month, and a refusal
that leaves the previous publication and says which cell is wrong."""

from __future__ import annotations

import asyncio
import gzip
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.publish import run_publish
from opendata.datasets.wifi_hotspots.samples import write_month

pytestmark = pytest.mark.flow


async def _task_run_names() -> list[str]:
    async with get_client() as client:
        runs = await client.read_task_runs(limit=200)
    return [r.name for r in runs]


def test_each_delivery_and_each_month_is_a_task_of_its_own(raw_copy: Path, tmp_path: Path) -> None:
    for month in ("2009-01", "2009-02"):
        write_month(raw_copy, month, rows=800, resent=0)
    out = tmp_path / "published"
    assert run_publish(["wifi-hotspots"], raw_copy, out) == {"wifi-hotspots": "published 1.0.0"}
    names = asyncio.run(_task_run_names())
    for month in ("2009-01", "2009-02"):
        assert names.count(f"process-sessions-{month}.csv.gz") == 1
        assert names.count(f"build-month-{month}") == 1
    assert (out / "wifi-hotspots" / "sessions-parquet" / "sessions-2009-02.parquet").is_file()


def test_an_invalid_month_is_refused_with_its_cell_and_nothing_changes(
    raw_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "published"
    assert run_publish(["wifi-hotspots"], raw_copy, out) == {"wifi-hotspots": "published 1.0.0"}
    before = sorted(p.name for p in (out / "wifi-hotspots").rglob("*"))
    path = write_month(raw_copy, "2009-03", rows=500, resent=0)
    text = gzip.decompress(path.read_bytes()).decode()
    lines = text.splitlines(keepends=True)
    cells = lines[3].split(",")
    cells[3] = "-12"  # duration_s on the third data row (row 4 of the file)
    lines[3] = ",".join(cells)
    path.write_bytes(gzip.compress("".join(lines).encode(), mtime=0))

    outcome = run_publish(["wifi-hotspots"], raw_copy, out)
    assert outcome["wifi-hotspots"].startswith(
        "failed: livraisons refusées : wifi-sessions/sessions-2009-03.csv.gz: "
        "ligne 4 « duration_s »"
    )
    assert sorted(p.name for p in (out / "wifi-hotspots").rglob("*")) == before

    async def table() -> list:  # type: ignore[type-arg]
        async with get_client() as client:
            return await client.read_artifacts(
                artifact_filter=ArtifactFilter(
                    key=ArtifactFilterKey(any_=["validation-wifi-sessions-errors"])
                )
            )

    artifact = asyncio.run(table())[0]
    assert '"ligne": 4' in str(artifact.data).replace("'", '"')
    assert "duration_s" in str(artifact.data) and "-12" in str(artifact.data)
