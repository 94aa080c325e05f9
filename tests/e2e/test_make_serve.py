"""``opendata serve`` (what ``make serve`` runs) starts its own server and stops it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from opendata.contracts import registry
from tests.conftest import RAW
from tests.e2e.prefect_stack import BIN
from tests.helpers import free_port

pytestmark = pytest.mark.e2e


def test_serve_starts_a_local_server_with_ui_and_the_deployments(tmp_path: Path) -> None:
    shutil.copytree(RAW, tmp_path / "raw")
    port, portal_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "client-home")
    proc = subprocess.Popen(
        [
            str(BIN / "opendata"),
            "serve",
            "--root",
            str(tmp_path),
            "--port",
            str(port),
            "--portal-port",
            str(portal_port),
            "--base-url",
            "https://donnees.example.org/inclusion",
        ],
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
        # The UI talks to this server, not to one on Prefect's default port 4200.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/ui-settings", timeout=10) as ui:
            assert json.loads(ui.read())["api_url"] == f"http://127.0.0.1:{port}/api"
        # The stewards' portal started beside it, in the same command.
        with urllib.request.urlopen(f"http://127.0.0.1:{portal_port}/connexion", timeout=30) as p:
            assert p.status == 200 and b"Connexion" in p.read()
        assert (tmp_path / ".prefect" / "prefect.db").exists()  # SQLite, beside the project
        assert sorted(p.name for p in (tmp_path / "inbox").iterdir()) == sorted(
            registry.sources()
        )  # one folder per source of the registry
        # A second one on the same project is refused, and the first one is left alone.
        second = subprocess.run(
            [str(BIN / "opendata"), "serve", "--root", str(tmp_path), "--port", str(port)],
            env={**env, "OPENDATA_BASE_URL": "https://donnees.example.org/inclusion/"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert second.returncode == 2 and "tourne déjà" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as ok:
            assert ok.status == 200
    finally:
        # What systemd or a container runtime sends: SIGTERM, to the main process only.
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    assert proc.returncode == 0
    log = (tmp_path / "serve.log").read_text()
    assert "Pausing all deployments" not in log
    with pytest.raises(OSError):  # the server it started stopped with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=3)
    with pytest.raises(OSError):  # and so did the portal
        urllib.request.urlopen(f"http://127.0.0.1:{portal_port}/sante", timeout=3)
    import sqlite3

    with sqlite3.connect(tmp_path / ".prefect" / "prefect.db") as db:
        paused = db.execute("select name, paused from deployment").fetchall()
    assert len(paused) == 6 and not any(flag for _, flag in paused), paused


def test_serve_without_the_public_address_is_refused_with_the_reason(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "OPENDATA_BASE_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "client-home")
    for extra, said in (([], "--base-url"), (["--base-url", "donnees/"], "n'est pas une adresse")):
        refused = subprocess.run(
            [str(BIN / "opendata"), "serve", "--root", str(tmp_path), "--port", "1", *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 2 and said in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr
    assert not (tmp_path / ".prefect").exists()  # nothing started
