"""Helpers every tier uses: one of each."""

from __future__ import annotations

import socket
from pathlib import Path


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the server started next binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its path relative to it, with its bytes: two snapshots
    are equal when nothing was added, removed or changed (a missing folder is empty)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }
