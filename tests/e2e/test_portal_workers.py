"""A worker process of a real ``opendata portal`` killed (as the kernel's OOM killer would):
the check in flight finishes, later checks work, the health page tells what happened."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from opendata.contracts import registry
from opendata.portal.accounts import Accounts
from opendata.watchdog import children_of
from tests.conftest import RAW
from tests.e2e.portal_process import start_portal, stop_portal

pytestmark = pytest.mark.e2e
MONTH = RAW / "wifi-sessions" / "sessions-2007-10.csv.gz"  # gzipped: always checked by a worker


def _workers(portal_pid: int) -> list[int]:
    """The portal's check workers (not multiprocessing's resource tracker)."""
    found = []
    for pid in children_of(portal_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in command:
            found.append(pid)
    return found


def _validate(url: str, token: str) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="source"\r\n\r\nwifi-sessions\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{MONTH.name}"\r\nContent-Type: application/gzip\r\n\r\n'
        ).encode()
        + MONTH.read_bytes()
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(
        f"{url}/api/v1/validate",
        data=body,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": f"multipart/form-data; boundary={boundary}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=180) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _health(url: str) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{url}/sante", timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def _wait_for_workers(pid: int, count: int) -> list[int]:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = _workers(pid)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{count} workers never started")


def test_checks_survive_a_killed_worker(tmp_path: Path) -> None:
    accounts = Accounts(tmp_path)
    known = sorted(registry.sources())
    accounts.add("marie", "motdepasse-solide", ["wifi-sessions"], False, known)
    token = accounts.new_token("marie")
    env = {**os.environ, "OPENDATA_PORTAL_WORKERS": "2", "OPENDATA_PORTAL_WAIT_SECONDS": "0"}
    process, url = start_portal(tmp_path, tmp_path / "portal.log", env)
    try:
        # 1. Idle workers killed: the health page says so once (and replaces them), then ok.
        first = _wait_for_workers(process.pid, 3)  # two for large files, one for small ones
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while any(
            Path(f"/proc/{pid}/status").exists()
            and "zombie" not in Path(f"/proc/{pid}/status").read_text()
            for pid in first
        ):
            assert time.monotonic() < deadline
            time.sleep(0.1)  # fmt: skip
        status, said = _health(url)
        assert (status, said["status"]) == (503, "workers-replaced"), said
        assert _health(url)[0] == 200
        status, report = _validate(url, token)
        assert status == 200 and report["valid"] is True, report
        # 2. A check in flight when its worker dies: frozen workers take it, then are killed.
        second = _wait_for_workers(process.pid, 3)
        for pid in second:
            os.kill(pid, signal.SIGSTOP)
        answers: list[tuple[int, dict]] = []
        sending = threading.Thread(target=lambda: answers.append(_validate(url, token)))
        sending.start()
        checks = tmp_path / "portal" / "checks"
        deadline = time.monotonic() + 60
        while not any(checks.glob("*/upload.csv.gz")):
            assert time.monotonic() < deadline, "the upload never arrived"
            time.sleep(0.1)
        time.sleep(0.5)  # handed to the frozen pool
        for pid in second:
            os.kill(pid, signal.SIGKILL)
        sending.join(timeout=180)
        assert answers, "the check in flight never answered"
        status, report = answers[0]
        assert status == 200 and report["valid"] is True, report
        # The small files' worker was killed idle too: the health page finds it (503, and
        # replaces it), then says ok.
        assert _health(url)[0] in (200, 503)
        assert _health(url)[0] == 200
        assert not set(_workers(process.pid)) & set(first + second)
    finally:
        stop_portal(process, tmp_path / "portal.log")
