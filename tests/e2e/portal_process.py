"""``opendata portal`` in its own process, as the data team starts it, for the e2e tests."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.helpers import free_port


def start_portal(
    root: Path, log: Path, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """The portal serving ``root`` on a free port, once it answers; its output in ``log``."""
    port = free_port()
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "opendata.cli", "portal", "--root", str(root), "--port",
             str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{url}/sante", timeout=5) as answer:
                if answer.status == 200:
                    return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError("the portal did not start: " + log.read_text()[-2000:])
        time.sleep(0.3)


def stop_portal(process: subprocess.Popen[bytes], log: Path) -> None:
    """Ctrl-C to the portal (killed after 30 s), then its log must hold no traceback."""
    import signal

    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
