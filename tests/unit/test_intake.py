"""The intake: nothing a steward sends is lost, stored twice or stored half-written."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import time
from pathlib import Path

import pytest

from opendata import intake, registry, storage
from opendata.cli import main
from tests.conftest import FIXTURES

DAY = dt.date(2008, 2, 1)


def _inbox(tmp_path: Path, source: str, fixture: str, name: str | None = None) -> Path:
    folder = tmp_path / "inbox" / source
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / (name or Path(fixture).name)
    shutil.copy(FIXTURES / fixture, target)
    old = time.time() - 60
    os.utime(target, (old, old))  # settled
    return target


def test_valid_file_is_stored_with_date_and_hash_bytes_untouched(
    tmp_path: Path, raw_copy: Path
) -> None:
    path = FIXTURES / "wifi-sites/semicolon-cp1252.csv"
    receipt, _ = intake.submit(path, registry.source("wifi-sites"), raw_copy, tmp_path / "q", DAY)
    assert receipt.status == "accepted" and receipt.exit_code == 0
    assert receipt.stored == raw_copy / "wifi-sites" / (
        f"2008-02-01_{receipt.sha256[:12]}_semicolon-cp1252.csv"
    )
    assert receipt.stored.read_bytes() == path.read_bytes()
    assert not (tmp_path / "q").exists()


def test_same_bytes_twice_are_stored_once(tmp_path: Path, raw_copy: Path) -> None:
    path = FIXTURES / "wifi-sites/semicolon-cp1252.csv"
    source = registry.source("wifi-sites")
    first, _ = intake.submit(path, source, raw_copy, tmp_path / "q", DAY)
    again, _ = intake.submit(path, source, raw_copy, tmp_path / "q", dt.date(2008, 3, 1))
    assert again.status == "duplicate" and again.stored == first.stored
    assert len(list((raw_copy / "wifi-sites").glob("2008-*_*"))) == 1


def test_invalid_file_goes_to_quarantine_with_both_reports(tmp_path: Path, raw_copy: Path) -> None:
    receipt, _ = intake.submit(
        FIXTURES / "wifi-sites/every-error.csv",
        registry.source("wifi-sites"),
        raw_copy,
        tmp_path / "q",
        DAY,
    )
    assert receipt.status == "quarantined" and receipt.exit_code == 1
    assert receipt.stored is not None and receipt.stored.parent == tmp_path / "q" / "wifi-sites"
    report = json.loads(receipt.stored.with_name(receipt.stored.name + ".report.json").read_text())
    assert report["stats"]["errors"] == 11
    assert receipt.report is not None and "NON VALIDE" in receipt.report.read_text()
    assert not list((raw_copy / "wifi-sites").glob("2008-02-01_*"))


def test_inbox_file_is_removed_only_once_stored(
    tmp_path: Path, raw_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dropped = _inbox(tmp_path, "wifi-sites", "wifi-sites/semicolon-cp1252.csv")

    def disk_full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", disk_full)  # the atomic write of the intake
    with pytest.raises(OSError):
        intake.process_inbox(tmp_path / "inbox", raw_copy, tmp_path / "q", delivered=DAY)
    assert dropped.exists()  # not lost
    assert not [p for p in (raw_copy / "wifi-sites").iterdir() if p.name.startswith((".", "2008"))]
    monkeypatch.undo()
    accepted: list[intake.Receipt] = []
    receipts = intake.process_inbox(
        tmp_path / "inbox", raw_copy, tmp_path / "q", accepted.append, delivered=DAY
    )
    assert [r.status for r in receipts] == ["accepted"] and accepted == receipts
    assert not dropped.exists()


def test_files_still_being_written_wait_for_the_next_pass(tmp_path: Path, raw_copy: Path) -> None:
    fresh = _inbox(tmp_path, "startups", "startups/every-error.xlsx")
    os.utime(fresh, None)  # just written
    (fresh.parent / "~$lock.xlsx").write_bytes(b"excel lock file")
    assert intake.process_inbox(tmp_path / "inbox", raw_copy, tmp_path / "q") == []
    assert fresh.exists()


def test_stored_names_are_safe_and_keep_the_extension() -> None:
    name = intake.stored_name("Export DSIN (final) é.CSV", DAY, "ab" * 32)
    assert name == "2008-02-01_abababababab_Export-DSIN-final.csv"
    assert intake.stored_name("sessions-2008-01.csv.gz", DAY, "0" * 64).endswith(
        "_sessions-2008-01.csv.gz"
    )


def test_submit_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = [
        "--raw-dir",
        str(tmp_path / "raw"),
        "--quarantine-dir",
        str(tmp_path / "q"),
        "--delivered-on",
        "2008-02-01",
    ]
    ok = main(
        [
            "submit",
            str(FIXTURES / "wifi-sites/semicolon-cp1252.csv"),
            "--source",
            "wifi-sites",
            *args,
        ]
    )
    bad = main(
        ["submit", str(FIXTURES / "wifi-sites/every-error.csv"), "--source", "wifi-sites", *args]
    )
    garbage = main(
        ["submit", str(FIXTURES / "wifi-sites/garbage.csv"), "--source", "wifi-sites", *args]
    )
    out = capsys.readouterr().out
    assert (ok, bad, garbage) == (0, 1, 2)
    assert "accepté" in out and "rapport" in out and ".report.html" in out
