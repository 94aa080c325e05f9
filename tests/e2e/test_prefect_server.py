"""Against a real ``prefect server start`` and the project's real serving entry point."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterName,
    FlowRunFilter,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows.serve import wait_until_healthy
from tests.conftest import FIXTURES, RAW

pytestmark = pytest.mark.e2e
BIN = Path(sys.executable).parent
PARIS = ZoneInfo("Europe/Paris")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """A Prefect server and ``opendata serve --no-server`` on a copy of the project folders."""

    def __init__(self, root: Path, api_url: str) -> None:
        self.root, self.api_url = root, api_url

    def call(self, coroutine_factory: Any) -> Any:
        async def run() -> Any:
            with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
                async with get_client() as client:
                    return await coroutine_factory(client)

        return asyncio.run(run())

    def deployment(self, name: str) -> Any:
        return self.call(lambda c: c.read_deployment_by_name(name))

    def runs(
        self,
        deployment: str,
        types: list[StateType] | None = None,
        between: tuple[dt.datetime, dt.datetime] | None = None,
    ) -> list[Any]:
        dep_name = deployment.split("/")[1]

        async def read(client: Any) -> Any:
            parts: dict[str, Any] = {}  # by constructor: fields set later are not sent
            if types:
                parts["state"] = FlowRunFilterState(type=FlowRunFilterStateType(any_=types))
            if between:
                parts["expected_start_time"] = FlowRunFilterExpectedStartTime(
                    after_=between[0], before_=between[1]
                )
            flt = FlowRunFilter(**parts)
            return await client.read_flow_runs(
                flow_run_filter=flt,
                deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[dep_name])),
                limit=200,
            )

        return list(self.call(read))

    def start_run(self, deployment: str, parameters: dict[str, Any] | None = None) -> Any:
        dep = self.deployment(deployment)
        return self.call(
            lambda c: c.create_flow_run_from_deployment(dep.id, parameters=parameters or {})
        )

    def wait(self, run_id: Any, timeout: float = 180) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.call(lambda c: c.read_flow_run(run_id))
            if run.state and run.state.is_final():
                return run
            time.sleep(1)
        raise TimeoutError(f"flow run {run_id} not finished in {timeout} s")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("city")
    shutil.copytree(RAW, root / "raw")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        {
            "PREFECT_HOME": str(root / ".prefect-home"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # Schedule far enough ahead to see runs on both sides of the next DST change (at
            # most about seven months away, whatever the day the suite runs).
            "PREFECT_SERVER_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME": "P220D",
            "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME": "P220D",
            "PREFECT_SERVER_SERVICES_SCHEDULER_MIN_RUNS": "220",
            "PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS": "220",
            "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "5",
            "PREFECT_LOGGING_LEVEL": "WARNING",
        }
    )
    log = (root / "server.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    serving = None
    try:
        wait_until_healthy(api_url, timeout=120)
        serve_env = {**env, "PREFECT_API_URL": api_url}
        serving = subprocess.Popen(
            [str(BIN / "opendata"), "serve", "--no-server", "--root", str(root)],
            env=serve_env,
            stdout=(root / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stack = Stack(root, api_url)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                stack.deployment("validate-upload/validate-upload")
                break
            except Exception:
                time.sleep(1)
        else:
            raise TimeoutError((root / "serve.log").read_text()[-3000:])
        yield stack
    finally:
        for proc in (serving, server):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_deployments_schedules_and_dst(stack: Stack) -> None:
    names = [
        "publish-dataset/digital-public-spaces",
        "publish-dataset/digital-training",
        "publish-dataset/startup-support",
        "publish-dataset/wifi-hotspots",
    ]
    for name in names:
        dep = stack.deployment(name)
        schedule = dep.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == ("0 6 * * *", "Europe/Paris")
        assert dep.global_concurrency_limit.limit == 1
        assert dep.concurrency_options.collision_strategy == "ENQUEUE"
    inbox = stack.deployment("process-inbox/inbox").schedules[0].schedule
    assert (inbox.cron, inbox.timezone) == ("*/10 * * * *", "Europe/Paris")
    assert stack.deployment("validate-upload/validate-upload").schedules == []

    # The server's scheduler creates the runs ahead: around the next DST change they stay at
    # 06:00 in Paris while their UTC hour moves by one.
    change = _next_dst_change(dt.datetime.now(dt.UTC).date())
    window = (
        dt.datetime.combine(change - dt.timedelta(days=4), dt.time(), dt.UTC),
        dt.datetime.combine(change + dt.timedelta(days=4), dt.time(), dt.UTC),
    )
    deadline = time.monotonic() + 90
    starts: list[dt.datetime] = []
    while time.monotonic() < deadline:
        runs = stack.runs("publish-dataset/wifi-hotspots", [StateType.SCHEDULED], window)
        starts = sorted(r.expected_start_time for r in runs)
        if len(starts) >= 8:
            break
        time.sleep(3)
    assert len(starts) == 8, (change, starts)
    assert all((s.astimezone(PARIS).hour, s.astimezone(PARIS).minute) == (6, 0) for s in starts)
    offsets = {s.astimezone(PARIS).utcoffset() for s in starts}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    for start in starts:
        expected_utc_hour = 6 - int(start.astimezone(PARIS).utcoffset().total_seconds() // 3600)
        assert start.astimezone(dt.UTC).hour == expected_utc_hour


def _next_dst_change(today: dt.date) -> dt.date:
    """The first day whose 12:00 in Paris has another UTC offset than the day before."""
    day = today + dt.timedelta(days=1)
    while True:
        noon = dt.datetime.combine(day, dt.time(12), PARIS).utcoffset()
        before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), PARIS).utcoffset()
        if noon != before:
            return day
        day += dt.timedelta(days=1)


def test_a_deployment_run_completes_and_publishes(stack: Stack) -> None:
    run = stack.wait(stack.start_run("publish-dataset/digital-public-spaces").id)
    assert run.state.type == StateType.COMPLETED, run.state.message
    package = stack.root / "published" / "digital-public-spaces" / "datapackage.json"
    assert json.loads(package.read_text())["name"] == "digital-public-spaces"


def test_inbox_file_ends_published_through_the_event_trigger(stack: Stack) -> None:
    folder = stack.root / "inbox" / "startups"
    dropped = folder / "entreprises-2008-12.xlsx"
    shutil.copy(RAW / "startups" / "startups-2008-09-30.xlsx", dropped)
    old = time.time() - 60
    os.utime(dropped, (old, old))
    before = len(stack.runs("publish-dataset/startup-support", [StateType.COMPLETED]))
    intake = stack.wait(stack.start_run("process-inbox/inbox").id)
    assert intake.state.type == StateType.COMPLETED
    assert not dropped.exists()
    stored = list((stack.root / "raw" / "startups").glob("*_entreprises-2008-12.xlsx"))
    assert len(stored) == 1
    package = stack.root / "published" / "startup-support" / "datapackage.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = stack.runs("publish-dataset/startup-support", [StateType.COMPLETED])
        if len(done) > before and package.exists():
            break
        time.sleep(2)
    else:
        raise AssertionError("the accepted delivery did not trigger a publish")
    created = json.loads(package.read_text())["created"]
    assert created == f"{stored[0].name[:10]}T00:00:00Z"  # the new delivery is the newest


def test_invalid_inbox_file_ends_in_quarantine_and_nothing_is_published(stack: Stack) -> None:
    folder = stack.root / "inbox" / "epn-attendance"
    dropped = folder / "frequentation-mars.csv"
    shutil.copy(FIXTURES / "epn-attendance" / "every-error.csv", dropped)
    old = time.time() - 60
    os.utime(dropped, (old, old))
    before = stack.runs("publish-dataset/digital-public-spaces")
    published = stack.root / "published" / "digital-public-spaces"
    snapshot = {p.name: p.read_bytes() for p in published.iterdir()} if published.exists() else {}
    intake = stack.wait(stack.start_run("process-inbox/inbox").id)
    assert intake.state.type == StateType.COMPLETED
    quarantined = list((stack.root / "quarantine" / "epn-attendance").glob("*frequentation-mars*"))
    assert sorted(p.name.split("_", 2)[2] for p in quarantined) == [
        "frequentation-mars.csv",
        "frequentation-mars.csv.report.html",
        "frequentation-mars.csv.report.json",
    ]
    assert not dropped.exists()
    time.sleep(8)  # time for a (wrong) trigger to fire
    assert len(stack.runs("publish-dataset/digital-public-spaces")) == len(before)
    after = {p.name: p.read_bytes() for p in published.iterdir()} if published.exists() else {}
    assert after == snapshot


def test_two_publishes_of_one_dataset_never_overlap(stack: Stack) -> None:
    first = stack.start_run("publish-dataset/wifi-hotspots")
    second = stack.start_run("publish-dataset/wifi-hotspots")
    runs = sorted((stack.wait(first.id), stack.wait(second.id)), key=lambda r: r.start_time)
    assert all(r.state.type == StateType.COMPLETED for r in runs)
    assert runs[0].end_time <= runs[1].start_time
