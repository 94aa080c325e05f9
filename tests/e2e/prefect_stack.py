"""A real Prefect server (and the project's serving entry point) for the end-to-end tier."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
from tests.conftest import RAW, fresh_prefect_home
from tests.helpers import free_port

BIN = Path(sys.executable).parent


# Where the stacks' publications say they are served (the catalogue's absolute links).
PUBLIC_ADDRESS = "https://donnees.example.org/inclusion/"


class Stack:
    """A Prefect server and ``opendata serve --no-server`` on a copy of the project folders."""

    def __init__(self, root: Path, api_url: str, env: dict[str, str]) -> None:
        self.root, self.api_url, self.env = root, api_url, env

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


def stop_group(proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, grace: float = 30) -> bool:
    """Stop a process started in its own session, and everything it started: ``sig`` to the
    group, then SIGKILL after ``grace`` seconds. True if it stopped on ``sig``. (A Prefect
    worker sometimes stays in its SIGINT handler after the run it was given has completed:
    that is Prefect's shutdown, not what a test checks, and no process may outlive a test.)"""
    if proc.poll() is not None:
        return True
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=grace)
        return True
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        return False


@contextmanager
def running_stack(root: Path, serve: bool = True) -> Iterator[Stack]:
    """A Prefect server on a free loopback port, and (``serve``) ``opendata serve`` on it."""
    shutil.copytree(RAW, root / "raw")
    fresh_prefect_home(root / ".prefect-home")  # its database made once per session
    port = free_port()
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
            # The runner and the workers look for runs to start every second instead of
            # every 10 (the default a city's server keeps): the tests follow each run, and
            # otherwise wait up to 10 s for it to be picked up.
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
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
        stack = Stack(root, api_url, serve_env)
        if not serve:
            yield stack
            return
        serving = subprocess.Popen(
            [
                str(BIN / "opendata"),
                "serve",
                "--no-server",
                "--portal-port",
                "0",
                "--root",
                str(root),
                "--base-url",
                PUBLIC_ADDRESS,
            ],
            env=serve_env,
            stdout=(root / "serve.log").open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
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
            if proc is not None:
                stop_group(proc)
        log.close()
