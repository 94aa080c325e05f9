"""``make serve`` / ``opendata serve``: a local Prefect server with its UI, and the deployments.

Starts ``prefect server start`` on 127.0.0.1 (SQLite under ``.prefect/``) unless an API URL is
given, waits until it answers, then serves every deployment of :mod:`flows.deployments` from
this process until interrupted; the server stops with it.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from opendata.report.operations import say

# Prefect's database grows with every run: the vacuum service deletes flow runs (with their
# logs and artifacts) and events older than 30 days. Override any of these in the environment.
SERVER_SETTINGS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_ENABLED": "events,flow_runs",
    "PREFECT_SERVER_SERVICES_DB_VACUUM_RETENTION_PERIOD": str(30 * 24 * 3600),
    "PREFECT_SERVER_EVENTS_RETENTION_PERIOD": "P30D",
}


def wait_until_healthy(api_url: str, timeout: float = 90.0) -> None:
    """Return once ``<api_url>/health`` answers, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{api_url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"no Prefect server answered at {api_url} within {timeout:.0f} s")


def start_server(host: str, port: int, home: Path, log: Path) -> subprocess.Popen[bytes]:
    """``prefect server start`` in the background, with the retention settings."""
    home.mkdir(parents=True, exist_ok=True)
    # The UI asks /ui-settings where the API is: without these, Prefect answers port 4200
    # whatever --port says (and the UI would show another server's runs if one listens there).
    env = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_API_HOST": host,
        "PREFECT_SERVER_API_PORT": str(port),
        "PREFECT_UI_API_URL": f"http://{host}:{port}/api",
    }
    for key, value in SERVER_SETTINGS.items():
        env.setdefault(key, value)
    prefect = Path(sys.executable).parent / "prefect"
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(prefect), "server", "start", "--host", host, "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _hold_lock(root: Path) -> int | None:
    """An exclusive lock on ``.prefect/serve.lock`` for this process's life; None when another
    ``opendata serve`` holds it (its pid is written in the file)."""
    lock = root / ".prefect" / "serve.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def start_portal(root: Path, host: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    """``opendata portal`` beside the deployments, reporting to the same Prefect API (a file
    a steward sends emits the event that triggers its publication)."""
    opendata = Path(sys.executable).parent / "opendata"
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(opendata), "portal", "--root", str(root), "--host", host, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Ask every child to stop at once, then wait for each (killed after 30 s)."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def main(root: Path, host: str, port: int, start: bool, portal_port: int = 0) -> int:
    """Run the server (if asked) and serve the deployments; 0 on a clean interrupt or a
    SIGTERM. Deployments are never paused on the way out: a restart finds the schedules as
    they were, and a second ``opendata serve`` is refused instead of attaching to the first.
    The server and the portal run in sessions of their own (a Ctrl-C reaches this process
    only), so they are stopped here however this process is interrupted, at any moment."""
    lock = _hold_lock(root)
    if lock is None:
        holder = (root / ".prefect" / "serve.lock").read_text().strip() or "?"
        said = say("serve_running", root=root.resolve(), holder=holder)
        sys.stderr.write(f"opendata: {said}\n")
        return 2

    stopping, stopped = threading.Event(), threading.Event()

    def insist() -> None:
        # An interrupt raised where Python ignores exceptions (an import lock's callback,
        # "Exception ignored in ...") would leave serve running: ask again until it stops.
        while not stopped.wait(5):
            os.kill(os.getpid(), signal.SIGINT)

    def stop(signum: int, frame: object) -> None:
        # Ctrl-C, and what systemd and container runtimes send (Prefect's own handler is only
        # installed when its runner owns the main thread, which serve() does not).
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=insist, daemon=True).start()
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    children: list[subprocess.Popen[bytes]] = []
    try:
        return _serve(root, host, port, start, portal_port, children)
    except KeyboardInterrupt:
        return 0
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the children are stopped whole
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stopped.set()
        _stop(list(reversed(children)))  # the portal and the server, together
        os.close(lock)


def _serve(
    root: Path,
    host: str,
    port: int,
    start: bool,
    portal_port: int,
    children: list[subprocess.Popen[bytes]],
) -> int:
    """Start what ``main`` asked for, each child added to ``children`` as soon as it runs."""
    if start and port_taken(host, port):
        sys.stderr.write(f"opendata: {say('serve_port_taken', host=host, port=port)}\n")
        return 2
    if start:
        api_url = f"http://{host}:{port}/api"
        home = root / ".prefect"
        children.append(start_server(host, port, home, home / "server.log"))
        try:
            wait_until_healthy(api_url)
        except TimeoutError as exc:
            sys.stderr.write(f"opendata: {exc}; see {home / 'server.log'}\n")
            return 2
        os.environ["PREFECT_API_URL"] = api_url
        sys.stdout.write(f"Prefect UI: http://{host}:{port}\n")
    elif not os.environ.get("PREFECT_API_URL"):
        sys.stderr.write("opendata: --no-server needs PREFECT_API_URL set\n")
        return 2
    if portal_port:
        if port_taken(host, portal_port):
            said = say("serve_portal_port_taken", host=host, port=portal_port)
            sys.stderr.write(f"opendata: {said}\n")
            return 2
        children.append(start_portal(root, host, portal_port, root / ".prefect" / "portal.log"))
        sys.stdout.write(f"Portail des livraisons : http://{host}:{portal_port}\n")
    from flows.deployments import Folders, serve_all

    serve_all(Folders.under(root))
    return 0
