"""Beyond one machine: deployments on a process work pool, run by a separately started worker."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from prefect.client.schemas.actions import WorkPoolCreate
from prefect.client.schemas.objects import StateType

from tests.e2e.prefect_stack import BIN, running_stack, stop_group

pytestmark = pytest.mark.e2e


def test_a_process_worker_elsewhere_runs_the_deployments(tmp_path: Path) -> None:
    with running_stack(tmp_path / "city", serve=False) as stack:
        stack.call(lambda c: c.create_work_pool(WorkPoolCreate(name="city", type="process")))
        deployed = subprocess.run(
            [str(BIN / "opendata"), "deploy", "--pool", "city", "--root", str(stack.root)],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert deployed.returncode == 0, deployed.stderr[-2000:]
        dep = stack.deployment("publish-dataset/startup-support")
        assert dep.work_pool_name == "city"
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
        assert time.time() - package.stat().st_mtime < 300
