"""Swap a dataset folder for its new version atomically: readers see the old or the new one.

The new version is written beside the old in a staging folder, flushed, then exchanged with the
old in one ``renameat2(RENAME_EXCHANGE)`` call (Linux). Where the kernel lacks it, two renames
are used and a crash between them is repaired on the next run (the previous folder is put back).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import BinaryIO

from opendata import settings

_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
_renameat2 = getattr(_libc, "renameat2", None)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one system call; False when this system cannot."""
    if _renameat2 is None:
        return False
    result = _renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    errno = ctypes.get_errno()
    if errno in (38, 22, 95):  # ENOSYS, EINVAL, EOPNOTSUPP: fall back to two renames
        return False
    raise OSError(errno, os.strerror(errno), str(a))


def default_work_dir(raw_dir: Path) -> Path:
    """Where intermediate files live: ``$OPENDATA_WORK_DIR``, or ``.opendata-work`` beside the
    raw folder (never inside the published one, which is served as it is). On several machines
    it must be a folder they all see (see docs/operations.md)."""
    configured = settings.WORK_DIR.get()
    if configured is not None:
        return configured
    return raw_dir.resolve().parent / ".opendata-work"


def sha256_of(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Busy(Exception):
    """Another process holds the folder's lock for longer than we wait."""


@contextmanager
def file_lock(lock: Path, wait_seconds: float) -> Iterator[None]:
    """An exclusive ``flock`` on the file ``lock`` (created, never followed if a link) for
    the ``with`` block; waits up to ``wait_seconds``, then raises :class:`Busy`. The lock dies
    with its process: a killed holder never blocks the next one."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise Busy(str(lock)) from None
                time.sleep(0.2)
        yield
    finally:
        os.close(fd)


def folder_lock(folder: Path, wait_seconds: float = 1800.0) -> AbstractContextManager[None]:
    """One writer at a time in ``folder`` (a published root): :func:`file_lock` on
    ``.<folder>.lock`` beside it (not inside: the published root is served as it is). A second
    publisher waits (a publication takes seconds to minutes), then plans against what the
    first one wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    resolved = folder.resolve()
    return file_lock(resolved.with_name(f".{resolved.name}.lock"), wait_seconds)


def drop_temporaries(folder: Path) -> None:
    """Remove what killed writers left in ``folder`` (temporary names of :func:`write_file`).
    Call it holding :func:`folder_lock`: no live writer then has a temporary file there."""
    for stale in folder.glob(".incoming-*"):
        stale.unlink(missing_ok=True)


def write_if_changed(target: Path, data: bytes) -> bool:
    """Write ``target`` atomically unless it already holds ``data``; True when written."""
    try:
        if target.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_file(target, data)
    return True


def write_with(
    target: Path,
    write: Callable[[BinaryIO], object],
    private: bool = False,
    durable: bool = True,
) -> None:
    """The one atomic writer: ``write(handle)`` fills a temporary name beside ``target``, which
    is given its mode and renamed over it, so a reader sees the old file or the new one, never
    half of one. Readable by all (0644: some end up served as they are), or with ``private``
    (personal data, quarantine, a steward's upload) by the owner only: 0600 in a 0700 folder.
    ``durable``: the file and its folder are flushed to the disk before this returns (not for
    working state redone if a power cut loses it, where the steward's wait counts more)."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700 if private else 0o777)
    if private:
        os.chmod(target.parent, 0o700)
    fd, temp = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temp, 0o600 if private else 0o644)
        os.replace(temp, target)
        if durable:
            _fsync_dir(target.parent)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_file(target: Path, data: bytes, private: bool = False, durable: bool = True) -> None:
    """Write ``data`` to ``target`` atomically (see :func:`write_with`)."""
    write_with(target, lambda handle: handle.write(data), private, durable)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _previous(target: Path) -> Path:
    return target.parent / f".previous-{target.name}"


def recover(target: Path) -> None:
    """Repair what a crash may have left: put a half-swapped previous version back, drop
    staging folders of runs that died. Only under :func:`folder_lock` of the parent: then no
    live run has a staging folder there, so every one found is provably abandoned."""
    previous = _previous(target)
    if previous.exists():
        if target.exists():
            shutil.rmtree(previous)
        else:
            os.rename(previous, target)
    for stale in target.parent.glob(f".staging-{target.name}-*"):
        shutil.rmtree(stale, ignore_errors=True)


_FICLONE = 0x40049409  # Linux ioctl: share the blocks of a file (Btrfs, XFS, bcachefs)
log = logging.getLogger("opendata.storage")


def _place(source: Path, path: Path) -> str:
    """Put an existing file at ``path``: a hard link when the file system allows (a release
    that did not change a month file shares it with the previous release), else a reflink
    (shared blocks, same cost), else a copy, said in the log: across file systems (the work
    folder on another disk than ``published/``) each release then costs its full size.
    Returns how: "link", "reflink" or "copy"."""
    try:
        os.link(source, path)
        return "link"
    except OSError:
        pass
    with source.open("rb") as src, path.open("wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), _FICLONE, src.fileno())
            how = "reflink"
        except OSError:
            shutil.copyfileobj(src, dst, 1 << 20)
            how = "copy"
        dst.flush()
        os.fsync(dst.fileno())
    if how == "copy":
        log.warning(
            "%s copied, not linked, into %s (another file system): put the work folder "
            "(OPENDATA_WORK_DIR) on the file system of the published folder to share files",
            source.name,
            path.parent,
        )
    return how


def replace_folder(target: Path, files: Mapping[str, bytes | Path]) -> None:
    """Make ``target`` hold exactly ``files`` (relative path → bytes, or an existing file to
    link or copy), atomically."""
    target.parent.mkdir(parents=True, exist_ok=True)
    recover(target)
    staging = Path(tempfile.mkdtemp(prefix=f".staging-{target.name}-", dir=target.parent))
    try:
        for name, data in files.items():
            path = staging / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path):
                _place(data, path)
                continue
            with path.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(staging, 0o755)
        _fsync_dir(staging)
        if not target.exists():
            os.rename(staging, target)
        elif _exchange(staging, target):
            shutil.rmtree(staging)
        else:
            previous = _previous(target)
            os.rename(target, previous)
            os.rename(staging, target)
            shutil.rmtree(previous)
        _fsync_dir(target.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
