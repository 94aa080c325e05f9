"""Beyond one machine: deployments on a process work pool, run by a separately started worker."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import StateType

from tests.e2e.prefect_stack import BIN, PUBLIC_ADDRESS, running_stack, stop_group

pytestmark = pytest.mark.e2e


def test_a_process_worker_elsewhere_runs_the_deployments(tmp_path: Path) -> None:
    with running_stack(tmp_path / "city", serve=False) as stack:
        stack.call(lambda c: c.create_work_pool(WorkPoolCreate(name="city", type="process")))
        command = [str(BIN / "opendata"), "deploy", "--pool", "city", "--root", str(stack.root)]
        env = {k: v for k, v in stack.env.items() if k != "OPENDATA_BASE_URL"}
        # Without the publication's public address, the catalogue's links would be relative
        # and every harvester would refuse them: refused, saying what to give.
        refused = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert refused.returncode == 2 and "--base-url" in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
        deployed = subprocess.run(
            [*command, "--base-url", PUBLIC_ADDRESS],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert deployed.returncode == 0, deployed.stderr[-2000:]
        dep = stack.deployment("publish-dataset/startup-support")
        assert dep.work_pool_name == "city"
        assert dep.job_variables["env"]["OPENDATA_BASE_URL"] == PUBLIC_ADDRESS
        assert "heure de Paris (Europe/Paris)" in (dep.description or "")
        assert dep.entrypoint == "flows.publish.publish_dataset"  # importable on any worker
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "city"],
            env=stack.env,
            cwd="/",
            stdout=(tmp_path / "worker.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            run = stack.wait(stack.start_run("publish-dataset/startup-support").id, timeout=180)
        finally:
            stop_group(worker)
        assert run.state.type == StateType.COMPLETED, (tmp_path / "worker.log").read_text()[-3000:]
        package = stack.root / "published" / "startup-support" / "datapackage.json"
        assert json.loads(package.read_text())["name"] == "startup-support"
        # The worker's run wrote a catalogue a harvester can follow: absolute links.
        catalogue = json.loads((stack.root / "published" / "catalog.jsonld").read_text())
        [dataset] = catalogue["dcat:dataset"]
        urls = [d["dcat:downloadURL"]["@id"] for d in dataset["dcat:distribution"]]
        assert urls and all(u.startswith(PUBLIC_ADDRESS + "startup-support/") for u in urls)
        assert time.time() - package.stat().st_mtime < 300
