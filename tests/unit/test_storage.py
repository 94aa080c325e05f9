"""The atomic folder swap: readers see the old or the new package, never a mix."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path

import pytest

from opendata import storage
from tests.conftest import ROOT


def _package(version: int) -> dict[str, bytes]:
    data = f"version {version}\n".encode() * (1000 + version)
    manifest = {"version": version, "hash": hashlib.sha256(data).hexdigest()}
    return {"data.csv": data, "datapackage.json": json.dumps(manifest).encode()}


def _read(dir_fd: int, name: str) -> bytes:
    fd = os.open(name, os.O_RDONLY, dir_fd=dir_fd)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def _consistent(folder: Path) -> int:
    """Read a package as a reader that opened the folder once: a whole, consistent version."""
    dir_fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        manifest = json.loads(_read(dir_fd, "datapackage.json"))
        data = _read(dir_fd, "data.csv")
    finally:
        os.close(dir_fd)
    assert hashlib.sha256(data).hexdigest() == manifest["hash"]
    return int(manifest["version"])


def test_creates_then_replaces_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "ds"
    storage.replace_folder(target, _package(1))
    storage.replace_folder(target, _package(2))
    assert _consistent(target) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_two_rename_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "_exchange", lambda a, b: False)
    target = tmp_path / "ds"
    storage.replace_folder(target, _package(1))
    storage.replace_folder(target, _package(2))
    assert _consistent(target) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_crash_between_the_two_renames_is_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "ds"
    storage.replace_folder(target, _package(1))
    monkeypatch.setattr(storage, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls = []

    def dying_rename(src, dst):  # type: ignore[no-untyped-def]
        calls.append(src)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed between the two renames")
        real_rename(src, dst)

    monkeypatch.setattr(storage.os, "rename", dying_rename)
    with pytest.raises(KeyboardInterrupt):
        storage.replace_folder(target, _package(2))
    monkeypatch.setattr(storage.os, "rename", real_rename)
    assert not target.exists()  # the moment a crash could leave behind
    storage.recover(target)
    assert _consistent(target) == 1
    storage.replace_folder(target, _package(3))
    assert _consistent(target) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_failed_write_keeps_the_previous_version(tmp_path: Path) -> None:
    target = tmp_path / "ds"
    storage.replace_folder(target, _package(1))
    with pytest.raises(OSError):
        storage.replace_folder(target, {"data.csv": b"x", "data.csv/oops": b"y"})
    assert _consistent(target) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ds"]


def test_concurrent_readers_never_see_a_mix(tmp_path: Path) -> None:
    target = tmp_path / "ds"
    storage.replace_folder(target, _package(0))
    seen: list[int] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        while not done.is_set():
            try:
                seen.append(_consistent(target))
            except (FileNotFoundError, NotADirectoryError):
                continue  # only possible on the two-rename fallback, never a mix
            except BaseException as exc:
                errors.append(exc)
                return

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    for version in range(1, 60):
        storage.replace_folder(target, _package(version))
    done.set()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(seen)) > 1, "the readers should have seen several versions go by"


def test_two_publishers_at_once_take_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second waits for the first, then finds its release made: nothing mixed, the
    other's staging folder never deleted from under it."""
    from opendata.contracts import registry
    from opendata.publish import steps

    raw = ROOT / "raw"
    out = tmp_path / "published"
    dataset = registry.dataset("startup-support")
    package = steps.build(dataset, steps.collect(dataset, raw))
    outcomes: list[str] = []
    entered = threading.Event()
    real = storage.replace_folder

    def slow(target: Path, files: dict[str, bytes | Path]) -> None:
        entered.set()
        time.sleep(1.0)  # the second publisher arrives meanwhile
        real(target, files)

    monkeypatch.setattr(steps, "replace_folder", slow)
    first = threading.Thread(
        target=lambda: outcomes.append(str(steps.write(dataset, package, out)))
    )
    first.start()
    entered.wait(10)
    second = str(steps.write(dataset, package, out))
    first.join()
    assert outcomes == ["published 1.0.0"] and second == "unchanged 1.0.0"
    assert not list(out.glob(".staging-*")) and not list(out.glob(".incoming-*"))


def test_stale_catalogue_and_page_are_rebuilt_on_the_next_run(tmp_path: Path) -> None:
    from opendata.publish import steps

    out = tmp_path / "published"
    steps.publish("startup-support", ROOT / "raw", out)
    good = (out / "catalog.jsonld").read_bytes(), (out / "index.html").read_bytes()
    (out / "catalog.jsonld").write_text("{}")  # a crash or a full disk before the rewrite
    (out / "index.html").unlink()
    (out / ".incoming-dead").write_bytes(b"half")  # a killed writer's temporary file
    steps.publish("startup-support", ROOT / "raw", out)  # "unchanged"
    assert ((out / "catalog.jsonld").read_bytes(), (out / "index.html").read_bytes()) == good
    assert not (out / ".incoming-dead").exists()


def test_across_file_systems_files_are_copied_and_it_is_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    month = tmp_path / "work" / "sessions-2007-10.parquet"
    month.parent.mkdir()
    month.write_bytes(b"PAR1" * 1000)

    def cross_device(*args: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr(storage.os, "link", cross_device)
    monkeypatch.setattr(storage.fcntl, "ioctl", cross_device)  # no shared blocks either
    with caplog.at_level("WARNING", logger="opendata.storage"):
        storage.replace_folder(tmp_path / "out" / "ds", {"sessions/a.parquet": month})
    assert (tmp_path / "out" / "ds" / "sessions" / "a.parquet").read_bytes() == month.read_bytes()
    said = " ".join(r.getMessage() for r in caplog.records)
    assert "sessions-2007-10.parquet copied, not linked" in said
