"""The publish flows under a Prefect test server: outcomes, artifacts, isolation of failures."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

from flows.publish import publish, publish_dataset, run_publish
from opendata.contracts import registry
from tests.helpers import snapshot

pytestmark = pytest.mark.flow


async def _artifacts(key: str) -> list:  # type: ignore[type-arg]
    async with get_client() as client:
        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key]))
        )


async def _collect_states(flow_run_id: object) -> list[tuple[str, str]]:
    """(name, state type) of every collect task run under ``flow_run_id`` and its subflows."""
    async with get_client() as client:
        runs = await client.read_task_runs()
        flows = {flow_run_id}
        for run in await client.read_flow_runs():
            if run.parent_task_run_id and any(
                t.id == run.parent_task_run_id and t.flow_run_id in flows for t in runs
            ):
                flows.add(run.id)
        return [
            (t.name, t.state.type.value)
            for t in runs
            if t.flow_run_id in flows and t.name.startswith("collect-and-validate") and t.state
        ]


def test_publish_all_completes_and_writes_every_dataset(raw_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "published"
    state = publish(None, str(raw_copy), str(out), return_state=True)
    assert state.is_completed()
    assert state.result() == dict.fromkeys(sorted(registry.datasets()), "published 1.0.0")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [*registry.datasets(), "catalog.jsonld", "catalogue.js", "index.html"]
    )


def test_invalid_dataset_fails_alone_with_its_report_as_artifact(
    raw_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "published"
    assert run_publish(["wifi-hotspots"], raw_copy, out) == {"wifi-hotspots": "published 1.0.0"}
    before = snapshot(out / "wifi-hotspots")
    newest = raw_copy / "wifi-sites" / "sites-2008-01-15.csv"
    bad = newest.read_bytes().replace(b";75004;", b";75021;", 1)
    (raw_copy / "wifi-sites" / "sites-2008-03-01.csv").write_bytes(bad)

    state = publish(None, str(raw_copy), str(out), return_state=True)
    assert state.is_failed()
    outcome = state.result(raise_on_failure=False)
    assert outcome["digital-public-spaces"] == "published 1.0.0"
    assert outcome["startup-support"] == "published 1.0.0"
    assert outcome["wifi-hotspots"].startswith(
        "failed: livraisons refusées : wifi-sites/sites-2008-03-01.csv: ligne "
    )
    assert snapshot(out / "wifi-hotspots") == before  # the previous publication is untouched
    # The UI tells the truth: the task that found the refused delivery ended Failed (it
    # showed green, and the dashboard said "Task runs 100% Completed" beside failed flows).
    states = asyncio.run(_collect_states(state.state_details.flow_run_id))
    others = len(registry.datasets()) - 1
    assert sorted(t for _, t in states) == ["COMPLETED"] * others + ["FAILED"], states

    markdown = asyncio.run(_artifacts("validation-wifi-sites"))
    table = asyncio.run(_artifacts("validation-wifi-sites-errors"))
    assert markdown and "sites-2008-03-01.csv" in markdown[0].data
    rows = json.loads(table[0].data) if isinstance(table[0].data, str) else table[0].data
    assert [(r["colonne"], r["valeur"], r["type"]) for r in rows] == [
        ("Code postal", "75021", "constraint-error")
    ]


def test_dataset_flow_returns_the_folder_it_wrote(raw_copy: Path, tmp_path: Path) -> None:
    outcome = publish_dataset("startup-support", str(raw_copy), str(tmp_path))
    assert (outcome.status, outcome.version) == ("published", "1.0.0")
    assert outcome.path == tmp_path / "startup-support"
    assert (tmp_path / "startup-support" / "datapackage.json").exists()


def test_file_io_errors_are_retried_but_invalid_data_is_not(
    raw_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opendata.publish import steps

    real_write = steps.write
    calls: list[int] = []

    def flaky_write(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise OSError(5, "Input/output error (NFS hiccup)")
        return real_write(*args, **kwargs)

    monkeypatch.setattr(steps, "write", flaky_write)
    outcome = publish_dataset("startup-support", str(raw_copy), str(tmp_path))
    assert len(calls) == 2 and outcome.path.is_dir()

    collected: list[int] = []
    real_collect = steps.collect

    def counting_collect(*args, **kwargs):  # type: ignore[no-untyped-def]
        collected.append(1)
        return real_collect(*args, **kwargs)

    monkeypatch.setattr(steps, "collect", counting_collect)
    (raw_copy / "startups" / "startups-2009-01-01.xlsx").write_bytes(b"not a workbook")
    state = publish_dataset("startup-support", str(raw_copy), str(tmp_path), return_state=True)
    assert state.is_failed() and len(collected) == 1


def test_an_implausible_snapshot_is_held_with_a_preview(raw_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "published"
    assert run_publish(["wifi-hotspots"], raw_copy, out) == {"wifi-hotspots": "published 1.0.0"}
    before = snapshot(out / "wifi-hotspots")
    lines = (raw_copy / "wifi-sites" / "sites-2008-01-15.csv").read_bytes().split(b"\r\n")
    (raw_copy / "wifi-sites" / "2008-03-01_cccccccccccc_test.csv").write_bytes(
        b"\r\n".join(lines[:4]) + b"\r\n"
    )
    state = publish(["wifi-hotspots"], str(raw_copy), str(out), return_state=True)
    assert state.name == "Held"
    outcome = state.result()
    assert outcome["wifi-hotspots"].startswith("held: wifi-sites/2008-03-01_cccccccccccc_test.csv")
    assert "retire 257 des 260 lignes" in outcome["wifi-hotspots"]
    assert snapshot(out / "wifi-hotspots") == before  # nothing changes for consumers
    [artifact] = asyncio.run(_artifacts("hold-wifi-hotspots"))
    assert "Publication retenue" in artifact.data and "~257" in artifact.data


def test_the_paused_runs_form_explains_the_decision_in_french() -> None:
    """What the Prefect UI shows a person deciding on a held publication (its form is built
    from this schema)."""
    from flows.publish import HoldDecision

    schema = HoldDecision.model_json_schema()
    assert "Publication retenue" in schema["description"]
    fields = schema["properties"]
    assert (
        fields["decision"]["title"] == "Décision"
        and "quarantaine" in (fields["decision"]["description"])
    )
    assert fields["reason"]["title"] == "Raison"
