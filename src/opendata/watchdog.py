"""Children die with their parent, even a parent killed with SIGKILL.

``opendata publish`` runs Prefect's embedded server as a child process; Prefect stops it at
exit, but a killed publisher exits without that, and the server lived on as an orphan holding
its port and database. :func:`reap_children_on_exit` forks a small watcher before anything else
starts. This process then marks its environment (``OPENDATA_REAP_WITH=<pid>``), which every
child inherits; when the pipe the watcher shares with this process closes (this process ended,
however), the watcher sends SIGTERM to every process bearing the mark, and to the children it
saw, then SIGKILL after a grace period. The mark finds a child started a moment before the
kill, and grandchildren, even once the kernel has given them to another parent.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from pathlib import Path

from opendata import settings

GRACE_SECONDS = 10.0
MARK = settings.REAP_WITH.name


def children_of(pid: int) -> set[int]:
    """The live children of ``pid`` (from /proc; empty where there is none)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError, ValueError):
            found |= {int(c) for c in (task / "children").read_text().split()}
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    return True


def marked(parent: int) -> set[int]:
    """Processes whose environment carries this parent's mark."""
    token = f"{MARK}={parent}".encode() + b"\0"
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if token in (entry / "environ").read_bytes() + b"\0":
                found.add(int(entry.name))
    return found


def _watch(parent: int, pipe: int) -> None:
    seen: set[int] = set()
    while True:
        seen |= children_of(parent)
        ready, _, _ = select.select([pipe], [], [], 1.0)
        if ready and not os.read(pipe, 1):
            break  # end of file: the parent is gone
    seen |= marked(parent)
    seen.discard(os.getpid())
    for child in seen:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline and any(_alive(c) for c in seen):
        time.sleep(0.2)
    for child in seen:
        if _alive(child):
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)


def reap_children_on_exit() -> None:
    """Start the watcher (Linux; call before any thread or child is started)."""
    if not Path("/proc/self/task").is_dir():
        return
    parent = os.getpid()
    read_end, write_end = os.pipe()  # not inherited by later children (close-on-exec)
    if os.fork() == 0:
        try:
            os.close(write_end)
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent
            _watch(parent, read_end)
        finally:
            os._exit(0)
    os.close(read_end)
    os.environ[MARK] = str(parent)  # inherited by every child started from now on
    # write_end stays open for this process's life; the kernel closes it however it ends.
    _keep.append(write_end)


_keep: list[int] = []
