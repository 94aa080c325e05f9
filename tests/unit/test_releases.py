"""Releases: a new version only when something changed, the right level, history kept."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from opendata.cli import main
from opendata.publish import releases, steps
from tests.helpers import snapshot


def _publish(raw: Path, out: Path, dataset: str) -> steps.Outcome:
    ds = steps.registry.dataset(dataset)
    collected = steps.collect(ds, raw)
    assert collected.valid
    return steps.write(ds, steps.build(ds, collected), out)


def _new_sites_snapshot(raw: Path) -> None:
    lines = (raw / "wifi-sites" / "sites-2008-01-15.csv").read_bytes().split(b"\r\n")
    added = "PW0999;Square du Temple bis;64 rue de Bretagne;75003;48,86420;2,36070;1;01/03/2008;"
    kept = [*lines[:-6], added.encode() + "Opérationnel".encode(), b""]
    (raw / "wifi-sites" / "sites-2008-04-01.csv").write_bytes(b"\r\n".join(kept))


def test_first_release_then_nothing_then_minor(raw_copy: Path, tmp_path: Path) -> None:
    first = _publish(raw_copy, tmp_path, "wifi-hotspots")
    assert (first.status, first.version) == ("published", "1.0.0")
    folder = tmp_path / "wifi-hotspots"
    for name in ("datapackage.json", "sites.csv", "sites.parquet", "changes.json"):
        assert (folder / name).read_bytes() == (folder / "releases/1.0.0" / name).read_bytes()
    before = snapshot(folder)
    again = _publish(raw_copy, tmp_path, "wifi-hotspots")
    assert (again.status, again.version) == ("unchanged", "1.0.0")
    assert snapshot(folder) == before

    _new_sites_snapshot(raw_copy)
    minor = _publish(raw_copy, tmp_path, "wifi-hotspots")
    assert (minor.status, minor.version) == ("published", "1.1.0")
    changes = json.loads((folder / "changes.json").read_text())
    sites = changes["resources"]["sites"]
    assert changes["previous"] == "1.0.0" and changes["level"] == "minor"
    assert sites["rows"] == {"added": 1, "removed": 0, "modified": 5}  # closed, not gone
    assert sites["examples"]["modified"][0]["fields"] == ["removed_on"]
    assert sites["examples"]["modified"][0]["after"] == {"removed_on": "2008-04-01"}
    assert json.loads((folder / "datapackage.json").read_text())["version"] == "1.1.0"
    for name, data in before.items():  # earlier releases are never modified
        if name.startswith("releases/"):
            assert (folder / name).read_bytes() == data
    log = (folder / "CHANGELOG.md").read_text()
    assert log.index("## 1.1.0") < log.index("## 1.0.0")
    assert "5 ligne(s) modifiée(s) (removed_on)" in log
    # Every release listed for a consumer who pins one, with its date (its newest delivery).
    index = json.loads((folder / "releases.json").read_text())
    assert index["latest"] == "1.1.0"
    assert [(r["version"], r["date"]) for r in index["releases"]] == [
        ("1.0.0", "2008-01-15"),
        ("1.1.0", "2008-04-01"),
    ]
    for release in index["releases"]:
        assert (
            json.loads((folder / release["datapackage"]).read_text())["version"]
            == (release["version"])
        )
    from opendata.publish import dcat

    built = dcat.build(tmp_path, base="https://donnees.example.org/")
    [dataset] = [d for d in built["dcat:dataset"] if d["dct:identifier"] == "wifi-hotspots"]
    assert [v["@id"] for v in dataset["dct:hasVersion"]] == [
        f"https://donnees.example.org/wifi-hotspots/releases/{v}/datapackage.json"
        for v in ("1.0.0", "1.1.0")
    ]
    assert "1.0.0 (2008-01-15), 1.1.0 (2008-04-01)" in dataset["adms:versionNotes"]["@value"]
    # The dataset's dates are its releases' (their newest deliveries), never the clock.
    assert dataset["dct:issued"]["@value"] == "2008-01-15"
    assert dataset["dct:modified"]["@value"] == "2008-04-01"


def test_correction_is_a_patch_and_removed_rows_a_major(raw_copy: Path, tmp_path: Path) -> None:
    _publish(raw_copy, tmp_path, "digital-public-spaces")
    month = raw_copy / "epn-attendance" / "attendance-2007-03.csv"
    text = month.read_text(encoding="utf-8").splitlines()
    fields = text[1].split(";")
    fields[2] = str(int(fields[2]) + 1)  # one corrected figure
    month.write_text("\n".join([text[0], ";".join(fields), *text[2:]]) + "\n", encoding="utf-8")
    assert _publish(raw_copy, tmp_path, "digital-public-spaces").version == "1.0.1"
    month.write_text("\n".join([text[0], ";".join(fields), *text[3:]]) + "\n", encoding="utf-8")
    outcome = _publish(raw_copy, tmp_path, "digital-public-spaces")
    assert outcome.version == "2.0.0"
    assert outcome.changes.resources["attendance-monthly"].as_dict()["rows"]["removed"] == 1


def _descriptor(fields: list[dict[str, str]], key: list[str]) -> dict:  # type: ignore[type-arg]
    return {
        "name": "x",
        "version": "1.2.3",
        "resources": [
            {
                "name": "r",
                "path": "r.csv",
                "format": "csv",
                "hash": "h",
                "schema": {"fields": fields, "primaryKey": key},
            }
        ],
    }


@pytest.mark.parametrize(
    ("change", "level", "version"),
    [
        ("add-field", "minor", "1.3.0"),
        ("drop-field", "major", "2.0.0"),
        ("retype-field", "major", "2.0.0"),
        ("change-key", "major", "2.0.0"),
        ("describe", "patch", "1.2.4"),
    ],
)
def test_schema_changes(change: str, level: str, version: str) -> None:
    old = _descriptor([{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}], ["id"])
    new = copy.deepcopy(old)
    schema = new["resources"][0]["schema"]
    if change == "add-field":
        schema["fields"].append({"name": "m", "type": "number"})
    elif change == "drop-field":
        schema["fields"].pop()
    elif change == "retype-field":
        schema["fields"][1]["type"] = "number"
    elif change == "change-key":
        schema["primaryKey"] = ["id", "n"]
    else:
        new["description"] = "Une meilleure description."
    csv_old = b"id,n\na,1\n"
    csv_new = {"add-field": b"id,n,m\na,1,\n", "drop-field": b"id\na\n"}.get(change, csv_old)
    if change != "describe":
        new["resources"][0]["hash"] = "h2"
    changes = releases.compare(old, {"r.csv": csv_old}, new, {"r.csv": csv_new})
    assert changes.level == level
    assert releases.next_version("1.2.3", changes.level, "1.0.0") == version


@pytest.mark.parametrize(
    ("before", "after", "level", "said"),
    [
        ({"required": True}, {}, "major", "contraintes élargies : n (required)"),
        ({"minimum": 1}, {"minimum": 0}, "major", "contraintes élargies : n (minimum)"),
        ({"maximum": 20}, {"maximum": 30}, "major", "contraintes élargies : n (maximum)"),
        ({"enum": [1, 2]}, {"enum": [1, 2, 3]}, "major", "contraintes élargies : n (enum)"),
        ({"enum": [1, 2]}, {"pattern": "[0-9]"}, "major", "n (enum, pattern)"),
        ({}, {"required": True}, "minor", "contraintes resserrées : n (required)"),
        ({}, {"pattern": "[0-9]"}, "minor", "contraintes resserrées : n (pattern)"),
        ({"pattern": "[0-9]"}, {"pattern": "[0-9]+"}, "major", "élargies : n (pattern)"),
        ({"minimum": 0}, {"minimum": 1}, "minor", "contraintes resserrées : n (minimum)"),
        ({"enum": [1, 2, 3]}, {"enum": [1, 2]}, "minor", "contraintes resserrées : n (enum)"),
    ],
)
def test_constraint_changes_are_said_and_loosening_is_major(
    before: dict[str, object], after: dict[str, object], level: str, said: str
) -> None:
    """A consumer relied on the old promise (arrondissement always there, a Paris postal
    code): loosening it is an incompatible change; tightening it is not."""
    old = _descriptor([{"name": "id", "type": "string"}, {"name": "n", "type": "integer"}], ["id"])
    old["resources"][0]["schema"]["fields"][1]["constraints"] = before
    new = copy.deepcopy(old)
    new["resources"][0]["schema"]["fields"][1]["constraints"] = after
    data = {"r.csv": b"id,n\na,1\n"}
    changes = releases.compare(old, data, new, data)
    assert changes.level == level
    entry = releases.changelog_entry("x", None, changes)
    assert said in entry, entry
    assert changes.as_dict("x")["resources"]["r"]["schema"]["constraintsChanged"] == {
        "n": sorted({*before, *after})
    }


def test_diff_and_dry_run_commands(
    raw_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _publish(raw_copy, tmp_path, "wifi-hotspots")
    _new_sites_snapshot(raw_copy)
    common = ["--raw-dir", str(raw_copy), "--published-dir", str(tmp_path)]
    before = snapshot(tmp_path)
    assert main(["publish", "--dry-run", "--dataset", "wifi-hotspots", *common]) == 0
    assert capsys.readouterr().out.splitlines()[:3] == [
        "wifi-hotspots: would publish 1.1.0",
        "  niveau : minor",
        "    sites: +1 -0 ~5",
    ]
    assert snapshot(tmp_path) == before  # a dry run writes nothing
    _publish(raw_copy, tmp_path, "wifi-hotspots")
    assert main(["diff", "wifi-hotspots", "--published-dir", str(tmp_path)]) == 0
    assert "wifi-hotspots 1.0.0 → 1.1.0" in capsys.readouterr().out
    assert (
        main(
            [
                "diff",
                "wifi-hotspots",
                "--from",
                "1.1.0",
                "--to",
                "1.0.0",
                "--published-dir",
                str(tmp_path),
                "--format",
                "json",
            ]
        )
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert data["resources"]["sites"]["rows"] == {"added": 0, "removed": 1, "modified": 5}
    assert main(["diff", "wifi-hotspots", "--to", "9.9.9", "--published-dir", str(tmp_path)]) == 2


def test_the_release_store_orders_versions_as_numbers_and_prepends_the_changelog(
    tmp_path: Path,
) -> None:
    from opendata.publish import releasestore

    for version in ("1.9.0", "1.10.0", "2.0.0", "1.2.3"):
        (tmp_path / "releases" / version).mkdir(parents=True)
    (tmp_path / "releases" / "1.10.0" / "datapackage.json").write_text('{"version": "1.10.0"}')
    assert releasestore.versions(tmp_path) == ["1.2.3", "1.9.0", "1.10.0", "2.0.0"]
    assert releasestore.descriptor(tmp_path, "1.10.0") == {"version": "1.10.0"}
    assert set(releasestore.earlier_files(tmp_path)) == {"releases/1.10.0/datapackage.json"}
    first = releasestore.changelog(tmp_path, "demo", "## 1.0.0\n")
    (tmp_path / "CHANGELOG.md").write_bytes(first)
    second = releasestore.changelog(tmp_path, "demo", "## 1.1.0\n").decode()
    assert second == "# Journal des versions — demo\n\n## 1.1.0\n\n## 1.0.0\n"
    assert releasestore.versions(tmp_path / "nothing") == []


def test_a_moved_period_is_said_as_such_not_as_metadata() -> None:
    """A new month moves the end of the period covered: the changelog says the period, not
    "Métadonnées mises à jour (titres, descriptions)" (nothing of that changed)."""
    from opendata.publish import releases

    old = {
        "name": "demo",
        "title": "Démo",
        "version": "1.0.0",
        "resources": [],
        "x-temporal-coverage": {"start": "2007-10-01", "end": "2007-10-31"},
    }
    new = {**old, "x-temporal-coverage": {"start": "2007-10-01", "end": "2007-11-30"}}
    changes = releases.compare(old, {}, new, {})
    assert not changes.metadata_changed
    entry = releases.changelog_entry("1.1.0", "2007-12-01", changes)
    assert "Période couverte : du 2007-10-01 au 2007-10-31 → du 2007-10-01 au 2007-11-30" in entry
    assert "Métadonnées" not in entry
    assert changes.as_dict("1.1.0")["temporalCoverage"]["after"]["end"] == "2007-11-30"
    retitled = releases.compare(old, {}, {**new, "title": "Démo 2"}, {})
    assert retitled.metadata_changed and retitled.level == "patch"


def test_a_release_adding_a_month_is_dated_by_it_and_says_what_changed(
    raw_copy: Path, tmp_path: Path
) -> None:
    """A month of sessions newer than every snapshot: the release's date and the catalogue's
    dct:modified move to it (the newest delivery it contains), and its changelog names the
    period and the files, not 'metadata'."""
    from opendata.datasets.wifi_hotspots.samples import write_month
    from opendata.publish import dcat

    _publish(raw_copy, tmp_path, "wifi-hotspots")
    write_month(raw_copy, "2008-02", rows=2_000)
    added = _publish(raw_copy, tmp_path, "wifi-hotspots")
    assert (added.status, added.version) == ("published", "1.1.0")
    folder = tmp_path / "wifi-hotspots"
    index = json.loads((folder / "releases.json").read_text())
    assert [(r["version"], r["date"]) for r in index["releases"]][-1] == ("1.1.0", "2008-02-01")
    built = dcat.build(tmp_path, base="https://donnees.example.org/")
    [dataset] = [d for d in built["dcat:dataset"] if d["dct:identifier"] == "wifi-hotspots"]
    assert dataset["dct:modified"]["@value"] == "2008-02-01"
    newest = (folder / "CHANGELOG.md").read_text().split("## 1.0.0")[0]
    assert "titres, descriptions" not in newest
    assert "2008-02" in newest
