"""An implausible snapshot is held until a person approves or rejects it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from opendata.cli import main
from opendata.contracts import registry
from opendata.publish import guard, steps
from tests.helpers import snapshot

SITES = "wifi-sites"


def _truncated(raw: Path, rows: int = 3, name: str = "2008-03-01_aaaaaaaaaaaa_export.csv") -> Path:
    newest = raw / SITES / "sites-2008-01-15.csv"
    lines = newest.read_bytes().split(b"\r\n")
    target = raw / SITES / name
    target.write_bytes(b"\r\n".join(lines[: rows + 1]) + b"\r\n")
    return target


def test_a_truncated_snapshot_is_held_and_nothing_changes(raw_copy: Path, tmp_path: Path) -> None:
    out = tmp_path / "published"
    assert steps.publish("wifi-hotspots", raw_copy, out) is not None
    before = snapshot(out)
    _truncated(raw_copy)
    collected = steps.collect(registry.dataset("wifi-hotspots"), raw_copy, tmp_path / "w")
    assert collected.valid  # valid, but implausible
    [hold] = steps.holds(collected, raw_copy)
    assert (hold.source, hold.live, hold.removed) == (SITES, 260, 257)
    assert "retire 257 des 260 lignes de sites-2008-01-15.csv (99%)" in hold.sentence()
    assert "opendata approve wifi-hotspots" in hold.sentence()
    assert steps.publish("wifi-hotspots", raw_copy, out) is None
    assert snapshot(out) == before
    preview = steps.preview(registry.dataset("wifi-hotspots"), collected, out)
    assert "sites" in preview and "~257" in preview


def test_the_sample_snapshots_are_not_held(raw_copy: Path) -> None:
    for dataset in registry.datasets().values():
        collected = steps.collect(dataset, raw_copy, large=False)
        assert steps.holds(collected, raw_copy) == []


def test_approve_publishes_with_a_changelog_note(
    raw_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "published"
    steps.publish("wifi-hotspots", raw_copy, out)
    _truncated(raw_copy)
    assert main(["approve", "wifi-hotspots", "--raw-dir", str(raw_copy)]) == 0
    said = capsys.readouterr().out
    assert "approuvée : wifi-sites/2008-03-01_aaaaaaaaaaaa_export.csv" in said
    decision = next((raw_copy.parent / "decisions" / SITES).glob("*.json"))
    assert json.loads(decision.read_text())["decision"] == "approved"
    dataset = registry.dataset("wifi-hotspots")
    collected = steps.collect(dataset, raw_copy, tmp_path / "w")
    assert steps.holds(collected, raw_copy) == []
    # Nothing held any more: said, and refused (exit 2), for approve and reject alike.
    assert main(["approve", "wifi-hotspots", "--raw-dir", str(raw_copy)]) == 2
    assert "aucune livraison retenue" in capsys.readouterr().err
    assert main(["reject", "wifi-hotspots", "--raw-dir", str(raw_copy), "--reason", "x"]) == 2
    assert "rien à refuser" in capsys.readouterr().err


def test_a_refused_delivery_in_raw_is_set_aside_not_rejected(
    raw_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid snapshot left in raw/ blocked its dataset for good, and reject quarantined
    the newest valid file instead, calling the other 'the published one'."""
    out = tmp_path / "published"
    assert steps.publish("wifi-hotspots", raw_copy, out)
    broken = raw_copy / SITES / "sites-2008-02-01.csv"
    broken.write_bytes(b"Code site;Nom\r\nPW1;x\r\n")
    newer = raw_copy / SITES / "sites-2008-03-01.csv"
    shutil.copyfile(raw_copy / SITES / "sites-2008-01-15.csv", newer)
    dataset = registry.dataset("wifi-hotspots")
    refusal = steps.collect(dataset, raw_copy, large=False).refusal()
    assert f"opendata set-aside {SITES} sites-2008-02-01.csv" in refusal  # the way out, named
    quarantine = tmp_path / "quarantine"
    reject = ["reject", "wifi-hotspots", "--raw-dir", str(raw_copy), "--reason", "x"]
    assert main([*reject, "--quarantine-dir", str(quarantine)]) == 2
    assert "refusée" in capsys.readouterr().err and newer.exists()  # nothing moved
    aside = ["set-aside", SITES, "sites-2008-02-01.csv", "--reason", "fichier de test"]
    places = ["--raw-dir", str(raw_copy), "--quarantine-dir", str(quarantine)]
    # A published delivery is history: refused. A missing one: the present ones are listed.
    published = [*aside[:2], "sites-2008-01-15.csv", *aside[3:], *places]
    assert main([*published, "--published-dir", str(out)]) == 2
    assert "a été publié" in capsys.readouterr().err
    missing = [*aside[:2], "nope.csv", *aside[3:], *places, "--published-dir", str(out)]
    assert main(missing) == 2 and "sites-2008-03-01.csv" in capsys.readouterr().err
    assert main([*aside, *places, "--published-dir", str(out)]) == 0
    assert not broken.exists() and (quarantine / SITES / "sites-2008-02-01.csv").exists()
    note = json.loads((quarantine / SITES / "sites-2008-02-01.csv.set-aside.json").read_text())
    assert note["reason"] == "fichier de test"
    assert steps.collect(dataset, raw_copy, large=False).valid  # the dataset moves on


def test_reject_sends_the_delivery_to_quarantine_with_its_reason(
    raw_copy: Path, tmp_path: Path
) -> None:
    held = _truncated(raw_copy)
    quarantine = tmp_path / "quarantine"
    code = main(
        [
            "reject",
            "wifi-hotspots",
            "--raw-dir",
            str(raw_copy),
            "--quarantine-dir",
            str(quarantine),
            "--reason",
            "export de test",
        ]
    )
    assert code == 0 and not held.exists()
    assert (quarantine / SITES / held.name).exists()
    note = json.loads((quarantine / SITES / f"{held.name}.rejected.json").read_text())
    assert note["reason"] == "export de test" and note["rejected"]["removed"] == 257
    collected = steps.collect(registry.dataset("wifi-hotspots"), raw_copy, tmp_path / "w")
    assert steps.holds(collected, raw_copy) == []  # back to the previous delivery
    with pytest.raises(SystemExit) as refused:  # a rejection says why
        main(["reject", "wifi-hotspots", "--raw-dir", str(raw_copy)])
    assert refused.value.code == 2


def test_an_old_snapshot_sent_again_says_it_is_older(raw_copy: Path, tmp_path: Path) -> None:
    old = raw_copy / SITES / "sites-2007-06-30.csv"
    shutil.copy(old, raw_copy / SITES / "2008-12-01_bbbbbbbbbbbb_sites-juin.csv")
    collected = steps.collect(registry.dataset("wifi-hotspots"), raw_copy, tmp_path / "w")
    [hold] = steps.holds(collected, raw_copy)
    assert hold.same_as_older == "sites-2007-06-30.csv"
    assert "plus ancienne que celle publiée (sites-2008-01-15.csv)" in hold.sentence()
    out = tmp_path / "published"
    guard.record(guard.default_decisions_dir(raw_copy), hold, "approved", "voulu", "test")
    dataset = registry.dataset("wifi-hotspots")
    package = steps.build(dataset, collected)
    outcome = steps.write(dataset, package, out, steps.approval_notes([hold]))
    changelog = (outcome.path / "CHANGELOG.md").read_text()
    assert "publiée après validation manuelle" in changelog
    assert "plus ancienne que celle publiée" in changelog


def test_shares_are_settings(raw_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _truncated(raw_copy, rows=230)  # 30 of 260 removed: 12 %
    collected = steps.collect(registry.dataset("wifi-hotspots"), raw_copy, large=False)
    assert steps.holds(collected, raw_copy) == []
    monkeypatch.setenv("OPENDATA_HOLD_REMOVED_SHARE", "0.1")
    assert [h.removed for h in steps.holds(collected, raw_copy)] == [30]
    monkeypatch.setenv("OPENDATA_HOLD_REMOVED_SHARE", "20")
    with pytest.raises(ValueError, match="between 0 and 1"):
        steps.holds(collected, raw_copy)


def test_a_dry_run_says_the_publication_would_be_held(
    raw_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _truncated(raw_copy)
    args = ["publish", "--dry-run", "--dataset", "wifi-hotspots", "--raw-dir", str(raw_copy)]
    assert main([*args, "--published-dir", str(tmp_path / "out")]) == 1
    out = capsys.readouterr().out
    assert "wifi-hotspots: would be held: wifi-sites/2008-03-01_aaaaaaaaaaaa_export.csv" in out
    assert "once approved, would publish 1.0.0" in out


def test_whoever_decides_reads_the_stewards_word(
    raw_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from opendata.storage import sha256_of

    steps.publish("wifi-hotspots", raw_copy, tmp_path / "published")
    held = _truncated(raw_copy)
    decisions = guard.default_decisions_dir(raw_copy)
    guard.write_note(decisions, SITES, sha256_of(held), "Export partiel, voulu", "marie")
    [hold] = steps.holds(steps.collect(registry.dataset("wifi-hotspots"), raw_copy), raw_copy)
    assert "Mot de l'expéditeur : « Export partiel, voulu »" in hold.sentence()
    assert main(["reject", "wifi-hotspots", "--raw-dir", str(raw_copy), "--reason", "non"]) == 0
    said = capsys.readouterr().out
    assert f"{SITES}/{held.name} — mot de l'expéditeur : « Export partiel, voulu »" in said
