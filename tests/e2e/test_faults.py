"""Faults of the machine: a full disk mid-swap and mid-catalogue, a read-only published folder,
two publishers at once. Nothing lost, nothing mixed, the next run clean.

The full disk is real: a small tmpfs mounted for the test (root, as in CI and the project's
machines), filled to the last byte at the chosen moment.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook

from opendata import storage
from opendata.publish import steps
from tests.conftest import OPENDATA, ROOT, publish_command
from tests.helpers import header_of

pytestmark = pytest.mark.e2e


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.fail("the fault tests mount a tmpfs: run them as root (CI and make test do)")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system of ``folder`` to the last byte."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        for size in (1 << 20, 4096, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    return filler


def _newer_startups(raw: Path) -> None:
    book = load_workbook(raw / "startups" / "startups-2008-09-30.xlsx")
    sheet = book["Entreprises"]
    top, column = header_of(sheet, "Raison sociale")
    sheet.cell(top + 1, column["Raison sociale"]).value = "Nouvelle raison sociale SAS"
    book.save(raw / "startups" / "startups-2008-10-30.xlsx")


def _consistent(folder: Path) -> dict[str, bytes]:
    descriptor = json.loads((folder / "datapackage.json").read_text())
    for resource in descriptor["resources"]:
        for part in resource.get("x-parts") or [resource]:  # a resource by month: each file
            data = (folder / part["path"]).read_bytes()
            assert part["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_full_disk_during_the_swap_and_the_catalogue(
    small_disk: Path, raw_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = small_disk / "published"
    assert steps.publish("startup-support", raw_copy, out) is not None
    before = _consistent(out / "startup-support")
    _newer_startups(raw_copy)

    filler = _fill(small_disk)  # no room for the new release's staging folder
    with pytest.raises(OSError) as full:
        steps.publish("startup-support", raw_copy, out)
    assert full.value.errno == errno.ENOSPC
    assert _consistent(out / "startup-support") == before
    assert not list(out.glob(".staging-*")) and not list(out.glob(".incoming-*"))
    filler.unlink()

    real = steps.replace_folder

    def swap_then_fill(target: Path, files: dict[str, bytes | Path]) -> None:
        real(target, files)
        _fill(small_disk)  # the disk fills between the swap and the catalogue

    monkeypatch.setattr(steps, "replace_folder", swap_then_fill)
    with pytest.raises(OSError):
        steps.publish("startup-support", raw_copy, out)
    monkeypatch.undo()
    after = _consistent(out / "startup-support")  # the new release, whole
    assert after != before and json.loads(after["datapackage.json"])["version"] == "1.0.1"
    stale = json.loads((out / "catalog.jsonld").read_text())
    assert "1.0.1" not in json.dumps(stale)  # the catalogue still names the old release
    (small_disk / "filler").unlink()
    assert steps.publish("startup-support", raw_copy, out) is not None  # "unchanged"
    fresh = json.loads((out / "catalog.jsonld").read_text())
    assert "1.0.1" in json.dumps(fresh)
    assert steps.refresh_indexes(out) == []
    assert not list(out.glob(".incoming-*")) and not list(out.glob(".staging-*"))


def test_a_read_only_published_folder_fails_cleanly(small_disk: Path, raw_copy: Path) -> None:
    out = small_disk / "published"
    steps.publish("startup-support", raw_copy, out)
    before = _consistent(out / "startup-support")
    _newer_startups(raw_copy)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = subprocess.run(
        publish_command("startup-support", raw_copy, out),
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert "écriture impossible" in result.stdout and "Read-only file system" in result.stdout
    assert _consistent(out / "startup-support") == before


def test_two_publishes_at_once_on_the_same_folders(small_raw: Path, tmp_path: Path) -> None:
    out = tmp_path / "published"
    command = [OPENDATA, "publish", "--raw-dir", str(small_raw), "--published-dir", str(out)]
    env = {**os.environ, "OPENDATA_WORK_DIR": str(tmp_path / "work")}
    runs = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env
        )
        for _ in range(2)
    ]
    results = [(p.wait(timeout=900), p.stdout.read(), p.stderr.read()) for p in runs]  # type: ignore[union-attr]
    assert [code for code, _, _ in results] == [0, 0], results
    for name in ("digital-public-spaces", "digital-training", "startup-support", "wifi-hotspots"):
        _consistent(out / name)
        assert sorted(p.name for p in (out / name / "releases").iterdir()) == ["1.0.0"], name
    assert steps.refresh_indexes(out) == []
    assert not list(out.glob(".staging-*")) and not list(out.glob(".incoming-*"))
    shutil.rmtree(tmp_path / "work")
    assert storage  # the lock is storage.folder_lock


def test_the_portal_says_a_full_disk_and_keeps_the_upload(small_disk: Path, tmp_path: Path) -> None:
    """raw/ on a full disk when a steward sends, then portal/checks/ full when another checks:
    a French reason (507), never a bare 500; the upload and its report stay, to send again."""
    import re

    from starlette.testclient import TestClient

    from opendata.contracts import registry
    from opendata.portal.accounts import Accounts
    from opendata.portal.app import Settings, create_app
    from tests.conftest import RAW

    root = tmp_path / "portal-root"
    root.mkdir()
    (root / "raw").symlink_to(small_disk)  # raw/ lives on the small disk
    known = sorted(registry.sources())
    Accounts(root).add("marie", "motdepasse-solide", ["epn-places"], False, known)
    settings = Settings.from_env(root)
    settings.workers = 1
    sample = RAW / "epn-places" / "epn-2008-01-15.xlsx"

    def csrf(page: str) -> str:
        return re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    with TestClient(create_app(settings)) as client:
        page = client.get("/connexion").text
        home = client.post(
            "/connexion",
            data={"csrf": csrf(page), "username": "marie", "password": "motdepasse-solide"},
        )
        with sample.open("rb") as handle:
            report = client.post(
                "/verifier",
                data={"csrf": csrf(home.text), "source": "epn-places"},
                files={"file": (sample.name, handle)},
            )
        assert "Votre fichier est valide" in report.text
        filler = _fill(small_disk)
        sent = client.post(report.url.path + "/envoyer", data={"csrf": csrf(report.text)})
        assert sent.status_code == 507 and "disque du serveur est plein" in sent.text
        check = report.url.path.rsplit("/", 1)[-1]
        kept = root / "portal" / "checks" / check
        assert (kept / "upload.xlsx").read_bytes() == sample.read_bytes()
        assert not list(small_disk.rglob("*.xlsx")) and not list(small_disk.rglob(".incoming-*"))
        filler.unlink()  # room again: the same button sends it
        sent = client.post(report.url.path + "/envoyer", data={"csrf": csrf(report.text)})
        assert sent.url.path == "/depots" and "accepté" in sent.text
        assert len(list((small_disk / "epn-places").glob("*.xlsx"))) == 1
        # portal/checks/ full: a new check is refused with the reason, nothing half-kept.
        shutil.rmtree(root / "portal" / "checks")
        (root / "portal" / "checks").symlink_to(small_disk)
        _fill(small_disk)
        before = set(small_disk.iterdir())
        with sample.open("rb") as handle:
            full = client.post(
                "/verifier",
                data={"csrf": csrf(client.get("/").text), "source": "epn-places"},
                files={"file": (sample.name, handle)},
            )
        assert (
            full.status_code == 507
            and "pas pu enregistrer votre fichier pour le vérifier" in full.text
        )
        assert set(small_disk.iterdir()) == before
