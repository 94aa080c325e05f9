"""Helpers every tier uses: one of each."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the server started next binds it)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def header_of(sheet: Any, label: str) -> tuple[int, dict[str, int]]:
    """The row of a worksheet's header (the first row holding ``label``) and the column
    number of each of its labels: the sample workbooks have title rows above it."""
    header = next(r for r in sheet.iter_rows() if any(c.value == label for c in r))
    return header[0].row, {str(c.value): c.column for c in header if c.value is not None}


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by its path relative to it, with its bytes: two snapshots
    are equal when nothing was added, removed or changed (a missing folder is empty)."""
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


class Inbox:
    """The messages a real SMTP server on loopback (aiosmtpd) received, parsed."""

    def __init__(self) -> None:
        import threading

        self.messages: list[Any] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes, policy

        with self.arrived:
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self.arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, subject: str, to: str, timeout: float = 30.0) -> Any:
        """The first message to ``to`` whose subject starts with ``subject`` (waits for it)."""
        import time

        deadline = time.monotonic() + timeout
        with self.arrived:
            while True:
                for message in self.messages:
                    said = str(message["Subject"]).strip()  # a long one comes folded
                    if said.startswith(subject) and to in str(message["To"]):
                        return message
                left = deadline - time.monotonic()
                if left <= 0:
                    said = [(str(m["To"]), str(m["Subject"])) for m in self.messages]
                    raise AssertionError(f"no e-mail {subject!r} to {to}; received: {said}")
                self.arrived.wait(left)


@contextmanager
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """aiosmtpd listening on 127.0.0.1: the e-mails a test reads back went through SMTP."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()
