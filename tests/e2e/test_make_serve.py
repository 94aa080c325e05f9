"""``opendata serve`` (what ``make serve`` runs) starts its own server and stops it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import RAW
from tests.e2e.prefect_stack import BIN

pytestmark = pytest.mark.e2e


def test_serve_starts_a_local_server_with_ui_and_the_deployments(tmp_path: Path) -> None:
    shutil.copytree(RAW, tmp_path / "raw")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "client-home")
    proc = subprocess.Popen(
        [str(BIN / "opendata"), "serve", "--root", str(tmp_path), "--port", str(port)],
        env=env,
        stdout=(tmp_path / "serve.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if "publish-dataset/wifi-hotspots" in (tmp_path / "serve.log").read_text():
                break
            time.sleep(1)
        else:
            raise AssertionError((tmp_path / "serve.log").read_text()[-3000:])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200 and b"<html" in page.read(2000).lower()  # the UI
        assert (tmp_path / ".prefect" / "prefect.db").exists()  # SQLite, beside the project
        assert sorted(p.name for p in (tmp_path / "inbox").iterdir()) == [
            "epn-attendance",
            "epn-places",
            "startups",
            "trainees",
            "wifi-sessions",
            "wifi-sites",
        ]
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(timeout=60)
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=3)
