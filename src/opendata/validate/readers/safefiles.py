"""Open a file from outside (a steward's upload, the inbox, a path on the command line) safely.

A delivery is a regular file, read through a descriptor opened without following a symbolic
link (``O_NOFOLLOW``) and without blocking (``O_NONBLOCK``: a FIFO would wait forever for a
writer). A link, a folder, a FIFO, a socket or a device is refused with the reason, before a
byte is read: the intake must never copy ``/etc/passwd`` into quarantine because a link in the
inbox pointed there. Sizes are bounded by :mod:`opendata.contracts.limits`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from opendata.contracts import limits
from opendata.report.problems import UnreadableFile

# What a file that is not a regular one is (said in words by report/pieces.py).
_KINDS = {
    stat.S_IFDIR: "folder",
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "device",
    stat.S_IFBLK: "device",
    stat.S_IFLNK: "link",
}


def kind_of(path: Path) -> str | None:
    """None for a regular file (not a link); else what it is, in French words."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        raise UnreadableFile("not-found", path=str(path)) from None
    except OSError as exc:
        raise UnreadableFile("os-error", detail=exc.strerror or str(exc)) from None
    if stat.S_ISREG(mode):
        return None
    return _KINDS.get(stat.S_IFMT(mode), "special")


def check_regular(path: Path) -> None:
    """Raise :class:`UnreadableFile` unless ``path`` is a regular file (not a link)."""
    kind = kind_of(path)
    if kind == "folder":
        raise UnreadableFile("not-a-file", path=str(path))
    if kind is not None:
        raise UnreadableFile("special-file", path=path.name, nature=kind)


def read_bytes(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path``; :class:`UnreadableFile` for anything else
    (a link, a folder, a FIFO, a device) or past ``limit`` bytes."""
    check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:  # replaced by a link or a FIFO since lstat: the same refusal
        raise UnreadableFile("special-file", path=path.name, nature=exc.strerror or "?") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile("special-file", path=path.name, nature="special")
        if info.st_size > limit:
            raise UnreadableFile("too-large", limit=limits.human_bytes(limit), what="file")
        data = handle.read(limit + 1)
    if len(data) > limit:  # grew while read
        raise UnreadableFile("too-large", limit=limits.human_bytes(limit), what="file")
    return data
