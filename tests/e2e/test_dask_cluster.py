"""Beyond one machine: the sessions months on a real Dask cluster (a scheduler and two worker
processes started apart, as on other machines), reporting to a real Prefect server."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from distributed import Client
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterName
from prefect.client.schemas.objects import StateType

from opendata.datasets.wifi_hotspots.samples import write_month
from tests.e2e.prefect_stack import BIN, running_stack, stop_group
from tests.helpers import free_port

pytestmark = pytest.mark.e2e


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )


def test_months_run_on_two_dask_workers_and_report_to_the_server(tmp_path: Path) -> None:
    with running_stack(tmp_path / "city", serve=False) as stack:
        for month in ("2009-01", "2009-02"):
            write_month(stack.root / "raw", month, rows=20_000, resent=0)
        port = free_port()
        address = f"tcp://127.0.0.1:{port}"
        env = {**stack.env, "OPENDATA_WORK_DIR": str(stack.root / "work")}
        cluster = [
            _start(
                [
                    str(BIN / "dask"),
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--dashboard-address",
                    ":0",
                ],
                env,
                tmp_path / "scheduler.log",
            ),
        ]
        try:
            with Client(address, timeout=60) as client:
                for index in range(2):
                    cluster.append(
                        _start(
                            [
                                str(BIN / "dask"),
                                "worker",
                                address,
                                "--nthreads",
                                "1",
                                "--name",
                                f"machine-{index}",
                                "--dashboard-address",
                                ":0",
                            ],
                            env,
                            tmp_path / f"worker-{index}.log",
                        )
                    )
                client.wait_for_workers(2, timeout=60)
                client.get_task_stream()  # start recording which worker runs what
                started = time.time()
                run = subprocess.run(
                    [str(BIN / "opendata"), "publish", "--dataset", "wifi-hotspots"],
                    env={**env, "OPENDATA_TASK_RUNNER": "dask", "OPENDATA_DASK_ADDRESS": address},
                    cwd=stack.root,
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
                stream = client.get_task_stream(start=started)
        finally:
            for proc in reversed(cluster):
                stop_group(proc)

        ran = {}
        for entry in stream:
            key = str(entry["key"])
            ran.setdefault(key, entry["worker"])
        stage_keys = [
            k
            for k in ran
            if "process_delivery" in k
            or "build_month" in k
            or "process-delivery" in k
            or "build-month" in k
        ]
        # Two deliveries of 2009 and the committed sample: three files, then three months.
        assert len(stage_keys) == 6, sorted(ran)
        assert len({ran[k] for k in stage_keys}) == 2  # both machines took their share

        def task_runs(client):  # type: ignore[no-untyped-def]
            names = [
                "process-sessions-2009-01.csv.gz",
                "process-sessions-2009-02.csv.gz",
                "build-month-2009-01",
                "build-month-2009-02",
            ]
            return client.read_task_runs(
                task_run_filter=TaskRunFilter(name=TaskRunFilterName(any_=names))
            )

        runs = stack.call(task_runs)
        assert sorted(r.name for r in runs) == sorted(
            [
                "process-sessions-2009-01.csv.gz",
                "process-sessions-2009-02.csv.gz",
                "build-month-2009-01",
                "build-month-2009-02",
            ]
        )
        assert all(r.state.type == StateType.COMPLETED for r in runs)
        descriptor = json.loads(
            (stack.root / "published" / "wifi-hotspots" / "datapackage.json").read_text()
        )
        sessions = next(r for r in descriptor["resources"] if r["name"] == "sessions")
        assert [p["path"] for p in sessions["x-parts"]] == [
            "sessions/sessions-2007-10.csv",
            "sessions/sessions-2009-01.csv",
            "sessions/sessions-2009-02.csv",
        ]
