"""The Wi-Fi sites as the City's open-data portal exports them (CSV "with labels" and GeoJSON):
read through the delivery profiles of the wifi-sites contract, checked by the same engine, and
published as the same rows as the DSIN's own file."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow.parquet as pq
import pytest

from opendata import formats, intake
from opendata.contracts import deliveries, registry
from opendata.contracts.profiles import ProfileError, parse
from opendata.datasets.protocol import Delivered, transform_for
from opendata.publish import packages, steps
from opendata.report.problems import cell_reference
from opendata.report.render import as_dict, as_text
from opendata.validate.file import validate_file
from opendata.validate.readers import recognise
from tests.conftest import FIXTURES, RAW
from tests.fixtures.build import PORTAL_HEADER, portal_exports, pounds_geojson

SITES = registry.source("wifi-sites")
LABELS = FIXTURES / "wifi-sites" / "portal-export-labels.csv"
GEOJSON = FIXTURES / "wifi-sites" / "portal-export.geojson"
OLDER = RAW / "wifi-sites" / "sites-2007-06-30.csv"
NEWER = RAW / "wifi-sites" / "sites-2008-01-15.csv"


def _dsin_rows(path: Path) -> list[dict[str, str]]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:  # the older DSIN exports are Windows-1252
        text = data.decode("cp1252")
    return list(csv.DictReader(text.splitlines(), delimiter=";"))


def _write_exports(folder: Path, rows: list[dict[str, str]], stem: str) -> tuple[Path, Path]:
    labelled, collection = portal_exports(rows)
    csv_path, geojson_path = folder / f"{stem}.csv", folder / f"{stem}.geojson"
    csv_path.write_bytes(labelled.encode("utf-8"))
    geojson_path.write_bytes(collection.encode("utf-8"))
    return csv_path, geojson_path


def _delivered(path: Path, day: dt.date) -> Delivered:
    result = validate_file(path, SITES)
    assert result.report.valid, result.report.flatten()
    return Delivered(path.name, day, result.text, result.values)


def _sites(*deliveries: Delivered) -> pd.DataFrame:
    frames = transform_for("wifi-hotspots")({"wifi-sites": list(deliveries)})
    return frames["sites"]


@pytest.mark.parametrize(
    ("path", "code", "postal", "profile"),
    [
        (LABELS, "Code Site", "Code postal", "portail-csv-libelles"),
        (GEOJSON, "idpw", "cp", "portail-geojson"),
    ],
)
def test_real_exports_are_read_with_their_profile(
    path: Path, code: str, postal: str, profile: str
) -> None:
    result = validate_file(path, SITES)
    report = result.report
    # The one row without its code is the only error, once, at its row: not a missing column.
    assert report.flatten() == [(9, code, "constraint-error")]
    assert report.errors[0].params["constraint"] == "required"
    # Car pounds outside Paris: accepted with a warning each.
    assert [(w.row, w.label, w.type, w.cell) for w in report.warnings] == [
        (6, postal, "outside-paris", "93500"),
        (7, postal, "outside-paris", "94380"),
        (8, postal, "outside-paris", "92110"),
    ]
    read_as = next(p for p in SITES.profiles if p.name == profile).title
    assert report.profile == read_as
    assert as_dict(report)["readAs"] == read_as
    assert f"Lu comme : {read_as}" in as_text(report)
    # Suffixed codes, the portal's states, the point split into the contract's two fields.
    assert result.text["Code site"].tolist()[:3] == ["PW0019", "PW0019-1", "PW0122-5"]
    assert result.text["État"].tolist()[2:4] == ["En déploiement", "En étude"]
    assert result.values["Latitude"].tolist()[0] == pytest.approx(48.8536)
    assert result.values["Longitude"].tolist()[0] == pytest.approx(2.3588)
    assert "Date de mise en service" not in result.text  # absent: no rule asks for it


@pytest.mark.parametrize("shape", ["csv", "geojson"])
def test_point_faults_keep_their_meaning_through_the_split(tmp_path: Path, shape: str) -> None:
    rows = _dsin_rows(NEWER)[:3]
    rows[1]["Latitude"], rows[1]["Longitude"] = "2,35", "48,85"  # swapped
    rows[2]["Longitude"], rows[2]["Code postal"] = "2,90", "94380"  # past the neighbours too
    csv_path, geojson_path = _write_exports(tmp_path, rows, "faults")
    report = validate_file(csv_path if shape == "csv" else geojson_path, SITES).report
    assert report.flatten() == [
        (3, "geo_point_2d (Latitude)", "coordinates-swapped"),
        (4, "geo_point_2d (Longitude)", "coordinates-outside-paris"),
    ]
    near = report.errors[1]
    assert near.params["area"] == "near" and "départements voisins" in as_text(report)
    # The cell reference is the export's own cell holding the point (H in the CSV, G in the
    # GeoJSON's grid, where the properties come in the export's order).
    column = "H" if shape == "csv" else "G"
    assert [cell_reference(p) for p in report.errors] == [f"{column}3", f"{column}4"]


def test_the_same_sites_in_any_shape_publish_the_same_rows(tmp_path: Path) -> None:
    newer = _dsin_rows(NEWER)
    csv_path, geojson_path = _write_exports(tmp_path, newer, "sites-2008-01-15")
    before = _delivered(OLDER, dt.date(2007, 6, 30))
    day = dt.date(2008, 1, 15)
    dsin = _sites(before, _delivered(NEWER, day))
    for path in (csv_path, geojson_path):
        export = _sites(before, _delivered(path, day))
        assert export.columns.tolist() == dsin.columns.tolist()
        # Every field the export carries is the same; the commissioning date, which it does
        # not carry, is the one of the last delivery that had it.
        pd.testing.assert_frame_equal(
            export.drop(columns="opened_on"), dsin.drop(columns="opened_on")
        )
        # The date is the last one delivered: the older DSIN file's, where it had one (dates
        # do not change, so the DSIN's newer file agrees), empty where it had none (sites
        # planned then, or new since: the export cannot say when they opened).
        older = _sites(before).set_index("site_id")["opened_on"]
        carried = export["site_id"].map(older)
        pd.testing.assert_series_equal(export["opened_on"], carried, check_names=False)
        dated = carried.notna()
        assert dated.sum() > 150 and (~dated).sum() > 20  # both cases are really there
        pd.testing.assert_series_equal(export["opened_on"][dated], dsin["opened_on"][dated])
    # A data team that moves from the DSIN's file to the portal's export loses nothing.
    later = dt.date(2008, 2, 1)
    for path in (csv_path, geojson_path):
        moved = _sites(before, _delivered(NEWER, day), _delivered(path, later))
        pd.testing.assert_frame_equal(moved, dsin)


@pytest.mark.parametrize("shape", ["dsin", "portail-csv-libelles", "portail-geojson"])
@pytest.mark.parametrize("place", ["alone", "first", "last"])
def test_every_shape_publishes_alone_first_or_last(tmp_path: Path, shape: str, place: str) -> None:
    """The whole publication (not only the transform) with each shape as the only delivery
    of the sites, as the first before a DSIN file, and as the last after one. The portal's
    export alone once crashed publication (no commissioning date anywhere)."""
    newer = _dsin_rows(NEWER)
    csv_path, geojson_path = _write_exports(tmp_path, newer, "export")
    path = {"dsin": NEWER, "portail-csv-libelles": csv_path, "portail-geojson": geojson_path}[shape]
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    sites = raw / "wifi-sites"
    shutil.rmtree(sites)
    sites.mkdir()
    # The sample month's sessions name sites of the older snapshot only: the sites alone.
    shutil.rmtree(raw / "wifi-sessions")
    (raw / "wifi-sessions").mkdir()
    suffix = "".join(path.suffixes)
    if place == "alone":
        shutil.copyfile(path, sites / f"sites-2008-01-15{suffix}")
    elif place == "first":
        shutil.copyfile(path, sites / f"sites-2007-06-30{suffix}")
        shutil.copyfile(NEWER, sites / "sites-2008-01-15.csv")
    else:
        shutil.copyfile(OLDER, sites / "sites-2007-06-30.csv")
        shutil.copyfile(path, sites / f"sites-2008-01-15{suffix}")
    out = tmp_path / "published"
    assert steps.publish("wifi-hotspots", raw, out) == out / "wifi-hotspots"
    table = pq.read_table(out / "wifi-hotspots" / "sites.parquet").to_pandas()
    listed = {r["Code site"] for r in newer}
    older = set(_delivered(OLDER, dt.date(2007, 6, 30)).text["Code site"])
    removed = older - listed if place == "last" else set()
    assert sorted(table["site_id"]) == sorted(listed | removed)  # removed ones kept, dated
    assert set(table.loc[table["removed_on"].notna(), "site_id"]) == removed
    opened = table["opened_on"].notna().sum()
    if shape != "dsin" and place == "alone":
        assert opened == 0  # the export has no commissioning date: empty, never invented
    else:
        assert opened > 150


def test_published_rows_of_the_real_cases_pass_the_published_schema(tmp_path: Path) -> None:
    sites = _sites(
        _delivered(NEWER, dt.date(2008, 1, 15)),
        _delivered(_without_codeless_row(GEOJSON, tmp_path), dt.date(2008, 2, 1)),
    )
    by_id = sites.set_index("site_id")
    assert by_id.loc["PW0019-1", "name"] == "Bibliothèque Forney (cour)"
    assert by_id.loc["PW0122-5", "status"] == "planned"
    assert by_id.loc["PW0200", "status"] == "planned"
    pound = by_id.loc["PW0301"]
    assert pound["postal_code"] == "93500" and pd.isna(pound["arrondissement"])
    full = registry.dataset("wifi-hotspots")
    only_sites = [r for r in full.descriptor["resources"] if r["name"] == "sites"]
    dataset = dataclasses.replace(full, descriptor={**full.descriptor, "resources": only_sites})
    conformed = packages.conform_all(dataset, {"sites": sites})
    assert packages.check_output(dataset, conformed) == []
    # In every published format the pound keeps its postal code, with an empty arrondissement.
    schema = dataset.resource_schema("sites")
    frame = conformed["sites"]
    rows = list(csv.DictReader(io.StringIO(formats.csv_bytes(frame, schema).decode("utf-8"))))
    pound_row = next(r for r in rows if r["site_id"] == "PW0301")
    assert (pound_row["postal_code"], pound_row["arrondissement"]) == ("93500", "")
    table = pq.read_table(io.BytesIO(formats.parquet_bytes(frame, schema))).to_pandas()
    assert pd.isna(table.set_index("site_id").loc["PW0301", "arrondissement"])
    collection = json.loads(
        formats.geojson_bytes(frame, schema, {"latitude": "latitude", "longitude": "longitude"})
    )
    feature = next(f for f in collection["features"] if f["properties"]["site_id"] == "PW0301")
    assert feature["properties"]["arrondissement"] is None
    assert feature["geometry"]["coordinates"] == [2.4087, 48.8987]
    sheet = openpyxl.load_workbook(io.BytesIO(formats.xlsx_bytes(frame, schema, "sites"))).active
    header = [c.value for c in sheet[1]]
    pound_cells = next(r for r in sheet.iter_rows(values_only=True) if r[0] == "PW0301")
    assert pound_cells[header.index("arrondissement")] is None
    assert pound_cells[header.index("postal_code")] == "93500"


def _without_codeless_row(path: Path, folder: Path) -> Path:
    collection = json.loads(path.read_text(encoding="utf-8"))
    collection["features"] = [f for f in collection["features"] if f["properties"]["idpw"]]
    out = folder / "export.geojson"
    out.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return out


def test_twenty_three_identical_faults_read_as_one_group(tmp_path: Path) -> None:
    geojson_path = tmp_path / "pounds.geojson"
    geojson_path.write_text(pounds_geojson(), encoding="utf-8")
    report = validate_file(geojson_path, SITES).report
    assert report.valid and len(report.warnings) == 23
    text = as_text(report)
    assert "23 cellules de la colonne « cp », même problème (lignes 2, 3, 4," in text
    assert text.count("hors de Paris : le site est accepté") == 1  # one example, not a wall
    assert len(as_dict(report)["warnings"]) == 23  # the JSON keeps every finding


def test_exports_propose_wifi_sites_and_unknown_shapes_say_why(tmp_path: Path) -> None:
    every = list(registry.sources().values())
    for path in (LABELS, GEOJSON):
        best = recognise.propose_sources(path.read_bytes(), every)[0]
        assert best == (SITES, 1.0)
    cases = {
        "truncated.geojson": "broken-json",
        "one-feature.geojson": "not-feature-collection",
    }
    for name, kind in cases.items():
        report = validate_file(FIXTURES / "wifi-sites" / name, SITES).report
        assert report.unreadable and [p.type for p in report.errors] == [kind]
    json_for_csv = validate_file(
        FIXTURES / "epn-attendance" / "as-json.csv", registry.source("epn-attendance")
    )
    assert [p.type for p in json_for_csv.report.errors] == ["unexpected-json"]


def test_a_geojson_export_is_stored_as_geojson_and_published(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    export = _without_codeless_row(GEOJSON, tmp_path)
    receipt, report = intake.submit(
        export, SITES, raw, tmp_path / "quarantine", dt.date(2008, 2, 1), name="export.json"
    )
    assert report.valid and receipt.stored is not None
    assert receipt.stored.parent == raw / "wifi-sites"
    assert receipt.stored.name.endswith("_export.geojson")  # what the publication looks for
    found = deliveries.list_deliveries(raw, SITES)
    assert found[-1].path == receipt.stored and found[-1].date == dt.date(2008, 2, 1)
    collected = steps.collect(registry.dataset("wifi-hotspots"), raw, large=False)
    assert collected.valid
    assert [r.file for r in collected.reports if r.source == "wifi-sites"][
        -1
    ] == receipt.stored.name
    sites = transform_for("wifi-hotspots")(collected.inputs)["sites"].set_index("site_id")
    assert sites.loc["PW0302", "postal_code"] == "94380"
    assert sites.loc["PW0001", "removed_on"] == pd.Timestamp("2008-02-01")  # not in the export
    # A CSV export sent under a .txt name is stored as .csv.
    name = intake.stored_name("export.txt", dt.date(2008, 2, 1), "0" * 64, SITES, b"Nom;")
    assert name.endswith("_export.csv")


def test_a_profile_that_does_not_fit_its_contract_is_refused_at_load() -> None:
    schema = SITES.schema
    good = {"name": "p", "title": "P", "columns": {"Code site": "id"}}
    assert parse([good], schema)[0].columns == {"Code site": "id"}
    for bad in (
        {**good, "columns": {"Code du site": "id"}},  # no such contract field
        {**good, "format": "xml"},
        {**good, "absent": ["Code site"]},  # a required field cannot be absent
        {**good, "split": {"p": {"into": ["Latitude", "Longitude"]}}},  # neither cut nor keys
        {**good, "split": {"p": {"into": ["Latitude", "Longitude"], "keys": ["lat"]}}},
    ):
        with pytest.raises(ProfileError):
            parse([bad], schema)


def test_the_contract_without_profiles_does_not_read_the_exports() -> None:
    """What the profiles do: without them, the exports are refused."""
    bare = dataclasses.replace(SITES, profiles=())
    assert validate_file(GEOJSON, bare).report.errors[0].type == "unexpected-json"
    labelled = validate_file(LABELS, bare).report
    assert {p.label for p in labelled.errors if p.type == "missing-label"} == {
        "Latitude",
        "Longitude",
        "Date de mise en service",
        "État",
    }
    assert PORTAL_HEADER.split(";")[3] == "Code Site"  # matched to "Code site" either way


def test_a_feature_that_lost_its_code_property_is_one_error_at_its_line(tmp_path: Path) -> None:
    """The key missing from one feature (not null: absent) is that row's empty cell, never a
    missing column; the column is missing only when no feature has it."""
    collection = json.loads(GEOJSON.read_text(encoding="utf-8"))
    features = [f for f in collection["features"] if f["properties"]["idpw"]]
    del features[2]["properties"]["idpw"]
    collection["features"] = features
    path = tmp_path / "lost-key.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    assert validate_file(path, SITES).report.flatten() == [(4, "idpw", "constraint-error")]
    for feature in features:
        feature["properties"].pop("idpw", None)
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    assert validate_file(path, SITES).report.flatten() == [(None, "idpw", "missing-label")]
