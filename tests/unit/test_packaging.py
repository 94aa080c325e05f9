"""Published packages: valid for Frictionless, readable by consumers, identical on re-runs,
never written when the input or the build is wrong."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from frictionless import Package, Resource, Schema

from opendata.contracts import registry
from opendata.publish import steps
from opendata.publish.steps import OutputInvalid
from opendata.report.messages import message
from tests.conftest import FIXTURES, ROOT
from tests.helpers import snapshot

DATASETS = sorted(registry.datasets())


@pytest.fixture(scope="module")
def published(published_sample: Path) -> Path:
    return published_sample


@pytest.mark.parametrize("dataset", DATASETS)
def test_frictionless_validates_every_file_of_the_package(published: Path, dataset: str) -> None:
    report = Package(str(published / dataset / "datapackage.json")).validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type"])[:10]
    ds = registry.dataset(dataset)
    # CSV, Parquet and Excel for each table; CSV and Parquet for a resource published by month;
    # GeoJSON for a table of places.
    maps = [r for r in ds.descriptor["resources"] if r.get("x-map")]
    assert len(report.tasks) == (
        3 * len(ds.resource_names) + 2 * len(ds.partitioned_resources) + len(maps)
    )


@pytest.mark.parametrize("dataset", DATASETS)
def test_every_file_is_listed_with_hash_and_size_and_relative_path(
    published: Path, dataset: str
) -> None:
    folder = published / dataset
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    listed = set()
    for resource in descriptor["resources"]:
        # A resource published by month lists its files, each with its hash, size and rows.
        parts = resource.get("x-parts") or [resource]
        assert [p["path"] for p in parts] == (
            resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
        )
        for part in parts:
            path = folder / part["path"]
            assert not Path(part["path"]).is_absolute() and ".." not in part["path"]
            data = path.read_bytes()
            assert part["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
            assert part.get("bytes", part.get("x-bytes")) == len(data)
            listed.add(part["path"].split("/")[0])
    extra = {"datapackage.json", "changes.json", "CHANGELOG.md", "releases", "releases.json"}
    assert listed | extra == {p.name for p in folder.iterdir()}
    assert descriptor["licenses"][0]["name"] == "odc-odbl"


@pytest.mark.parametrize("dataset", DATASETS)
def test_csv_and_parquet_hold_the_same_rows(published: Path, dataset: str) -> None:
    for name in registry.dataset(dataset).resource_names:
        from_csv = pd.read_csv(
            published / dataset / f"{name}.csv", dtype=str, keep_default_na=False
        )
        from_parquet = pd.read_parquet(published / dataset / f"{name}.parquet")
        assert list(from_csv.columns) == list(from_parquet.columns)
        assert len(from_csv) == len(from_parquet) > 0


@pytest.mark.parametrize("dataset", DATASETS)
def test_the_excel_copy_holds_the_csv_rows_in_typed_cells(published: Path, dataset: str) -> None:
    """What French Excel gets: codes as text (zeros kept), dates as dates, numbers as numbers,
    a frozen header whose comments are the field descriptions."""
    import openpyxl

    descriptor = json.loads((published / dataset / "datapackage.json").read_text())
    for name in registry.dataset(dataset).resource_names:
        schema = registry.dataset(dataset).resource_schema(name)
        resource = next(r for r in descriptor["resources"] if r["name"] == f"{name}-xlsx")
        assert resource["format"] == "xlsx" and resource["path"] == f"{name}.xlsx"
        sheet = openpyxl.load_workbook(published / dataset / f"{name}.xlsx").active
        assert sheet.freeze_panes == "A2"
        header = [c.value for c in sheet[1]]
        assert header == [f["name"] for f in schema["fields"]]
        for cell, field in zip(sheet[1], schema["fields"], strict=True):
            assert cell.comment is not None and field["description"] in cell.comment.text
        text = pd.read_csv(published / dataset / f"{name}.csv", dtype=str, keep_default_na=False)
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert len(rows) == len(text)
        for col, field in enumerate(schema["fields"]):
            kind = field.get("type", "string")
            for value, written in zip((r[col] for r in rows), text[field["name"]], strict=True):
                if written == "":
                    assert value is None
                elif kind == "date":
                    assert isinstance(value, dt.datetime) and value.date().isoformat() == written
                elif kind in ("integer", "year"):
                    assert isinstance(value, int | float) and value == int(written)
                elif kind == "number":
                    assert isinstance(value, int | float) and value == pytest.approx(float(written))
                elif kind == "boolean":
                    assert value is (written == "true")
                elif kind == "string":
                    assert isinstance(value, str) and written in (value, "'" + value)


@pytest.mark.parametrize(
    ("dataset", "name"), [("wifi-hotspots", "sites"), ("digital-public-spaces", "places")]
)
def test_places_are_also_a_map_layer_that_gdal_reads(
    published: Path, dataset: str, name: str
) -> None:
    """The GeoJSON a GIS opens (read here with GDAL, through pyogrio, and shapely): WGS 84,
    one point per row of the table, every field a property, removed sites included."""
    import pyogrio
    import shapely

    path = published / dataset / f"{name}.geojson"
    table = pd.read_csv(published / dataset / f"{name}.csv", dtype=str, keep_default_na=False)
    info = pyogrio.read_info(path)
    assert info["crs"] == "EPSG:4326" and info["geometry_type"] == "Point"
    assert info["features"] == len(table)
    assert list(info["fields"]) == list(table.columns)
    _, _, geometry, values = pyogrio.raw.read(path)
    points = shapely.from_wkb(geometry)
    fields = list(info["fields"])
    ids = values[0]
    assert list(ids) == list(table.iloc[:, 0])
    for point, (_, row) in zip(points, table.iterrows(), strict=True):
        if row["latitude"] == "":
            assert point is None
        else:
            assert (point.x, point.y) == (float(row["longitude"]), float(row["latitude"]))
    if "removed_on" in fields:
        removed = values[fields.index("removed_on")]
        assert (
            sum(v is not None and str(v) != "NaT" for v in removed)
            == (table["removed_on"] != "").sum()
        )
    descriptor = json.loads((published / dataset / "datapackage.json").read_text())
    entry = next(r for r in descriptor["resources"] if r["name"] == f"{name}-geojson")
    assert entry["mediatype"] == "application/geo+json" and entry["path"] == f"{name}.geojson"
    assert entry["hash"] == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_excel_copy_keeps_codes_as_text(published: Path) -> None:
    import openpyxl

    sheet = openpyxl.load_workbook(published / "startup-support" / "startups.xlsx").active
    sirens = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert "009953209" in sirens and all(isinstance(s, str) and len(s) == 9 for s in sirens)


def test_nullable_integers_stay_integers_for_pandas(published: Path) -> None:
    startups = pd.read_parquet(published / "startup-support" / "startups.parquet")
    assert str(startups["staff_at_exit"].dtype) == "Int64"
    assert startups["staff_at_exit"].isna().any()


def test_places_pass_the_national_schema_as_it_is(published: Path, tmp_path: Path) -> None:
    shutil.copy(published / "digital-public-spaces" / "places.csv", tmp_path / "places.csv")
    reference = ROOT.parent / "shared/reference/lieux-mediation-numerique/schema-v1.0.1.json"
    assert reference.exists(), "../shared sits beside the project, on the team's machines and in CI"
    schema = Schema.from_descriptor(json.loads(reference.read_text(encoding="utf-8")))
    resource = Resource(path="places.csv", basepath=str(tmp_path), schema=schema)
    report = resource.validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type"])
    places = pd.read_csv(tmp_path / "places.csv", dtype=str, keep_default_na=False)
    golden = pd.read_csv(
        ROOT / "tests/golden/digital-public-spaces/places.csv", dtype=str, keep_default_na=False
    )
    assert places.to_dict("records") == golden.to_dict("records")  # the values, not a count
    assert len(places) == 19


def test_committed_reference_schema_is_the_shared_one() -> None:
    shared = ROOT.parent / "shared/reference/lieux-mediation-numerique/schema-v1.0.1.json"
    ours = ROOT / "schemas/reference/lieux-mediation-numerique/schema.json"
    assert shared.exists(), "../shared sits beside the project, on the team's machines and in CI"
    assert json.loads(shared.read_text()) == json.loads(ours.read_text())


def test_publishing_twice_gives_identical_bytes(
    published: Path, small_raw: Path, tmp_path: Path
) -> None:
    for name in DATASETS:
        steps.publish(name, small_raw, tmp_path)
        assert snapshot(tmp_path / name) == snapshot(published / name)


def test_invalid_delivery_leaves_the_previous_publication_untouched(
    raw_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    steps.publish("wifi-hotspots", raw_copy, out)
    before = snapshot(out / "wifi-hotspots")
    newest = raw_copy / "wifi-sites" / "sites-2008-01-15.csv"
    data = newest.read_bytes().replace(b"PW0002;", b"PW0001;", 1)
    (raw_copy / "wifi-sites" / "sites-2008-02-01.csv").write_bytes(data)
    assert steps.publish("wifi-hotspots", raw_copy, out) is None
    assert snapshot(out / "wifi-hotspots") == before
    assert sorted(p.name for p in out.iterdir()) == [
        "catalog.jsonld",
        "catalogue.js",
        "index.html",
        "wifi-hotspots",
    ]


def test_a_build_that_breaks_its_schema_is_refused(
    raw_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from opendata.datasets.startup_support import transform as startup_support

    real = startup_support.transform

    def broken(inputs):  # type: ignore[no-untyped-def]
        frames = real(inputs)
        frames["startups"].loc[1, "siren"] = frames["startups"].loc[0, "siren"]
        return frames

    monkeypatch.setattr(startup_support, "transform", broken)
    with pytest.raises(OutputInvalid, match="primary-key"):
        steps.publish("startup-support", raw_copy, tmp_path)
    assert not (tmp_path / "startup-support").exists()


def test_newest_snapshot_wins(raw_copy: Path, tmp_path: Path) -> None:
    newest = raw_copy / "startups" / "startups-2008-09-30.xlsx"
    shutil.copy(newest, raw_copy / "startups" / "startups-2007-01-01.xlsx")
    steps.publish("startup-support", raw_copy, tmp_path)
    descriptor = json.loads((tmp_path / "startup-support" / "datapackage.json").read_text())
    assert descriptor["created"] == "2008-09-30T00:00:00Z"


@pytest.mark.parametrize(
    ("source", "dataset", "sent_as"),
    [
        ("wifi-sites", "wifi-hotspots", "export_sites.csv"),
        ("epn-places", "digital-public-spaces", "EPN janvier.xlsx"),
        ("startups", "startup-support", "entreprises.xlsx"),
        ("trainees", "digital-training", "stagiaires (2).xlsx"),
    ],
)
def test_snapshot_under_its_senders_name_is_dated_by_its_modification_time(
    raw_copy: Path, tmp_path: Path, source: str, dataset: str, sent_as: str
) -> None:
    folder = raw_copy / source
    newest = sorted(folder.iterdir())[-1]
    placed = newest.rename(folder / sent_as)
    stamp = dt.datetime(2008, 11, 3, 12, tzinfo=dt.UTC).timestamp()
    os.utime(placed, (stamp, stamp))
    collected = steps.collect(registry.dataset(dataset), raw_copy, tmp_path / "work")
    assert collected.valid, collected.refusal()
    mine = next(r for r in collected.reports if r.file == sent_as)
    assert [(w.type, w.params) for w in mine.warnings if w.type == "dated-by-mtime"] == [
        ("dated-by-mtime", {"file": sent_as, "date": "2008-11-03"})
    ]
    assert "modification" in message(mine.warnings[-1], "fr")
    package = steps.build(registry.dataset(dataset), collected)
    assert package.descriptor["x-delivery-dates"] == [
        {"source": source, "file": sent_as, "date": "2008-11-03", "datedBy": "modification-time"}
    ]
    assert package.descriptor["created"] >= "2008-11-03"


def test_refusal_gives_the_reason_and_the_fix_not_only_a_pointer(raw_copy: Path) -> None:
    path = raw_copy / "startups" / "startups-2008-09-30.xlsx"
    shutil.copy(FIXTURES / "startups" / "every-error.xlsx", path)
    collected = steps.collect(registry.dataset("startup-support"), raw_copy)
    refusal = collected.refusal()
    assert refusal.startswith("livraisons refusées : startups/startups-2008-09-30.xlsx: ligne 4")
    assert "n'est pas un SIREN valide" in refusal and "Recopiez-le" in refusal
    assert "(+6 autres)" in refusal


def test_output_check_catches_a_foreign_key_the_transform_broke() -> None:
    dataset = registry.dataset("digital-public-spaces")
    collected = steps.collect(dataset, ROOT / "raw")
    from opendata.datasets.protocol import transform_for
    from opendata.publish.packages import check_output, conform_all

    frames = conform_all(dataset, transform_for(dataset.name)(collected.inputs))
    assert check_output(dataset, frames) == []
    frames["attendance-monthly"].loc[3, "epn_id"] = "EPN-99"
    found = [(p.type, p.row, p.label, p.cell) for p in check_output(dataset, frames)]
    assert found == [("foreign-key", 5, "attendance-monthly.epn_id", "EPN-99")]


def test_formula_cells_never_reach_a_spreadsheet_as_formulas() -> None:
    import io

    import pyarrow as pa

    from opendata.datasets.wifi_hotspots.months import write_csv
    from opendata.formats import csv_bytes, defuse

    assert [
        defuse(v) for v in ["=1+1", "+A1", "-2+3", "@SUM(A1)", "\t=x", "+33144556677", "-12"]
    ] == [
        "'=1+1",
        "'+A1",
        "'-2+3",
        "'@SUM(A1)",
        "'\t=x",
        "+33144556677",
        "-12",
    ]
    frame = pd.DataFrame({"name": ['=HYPERLINK("http://evil.example")', "Mairie", None]})
    schema = {"fields": [{"name": "name", "type": "string"}]}
    assert csv_bytes(frame, schema).decode().splitlines() == [
        "name",
        '"\'=HYPERLINK(""http://evil.example"")"',
        "Mairie",
        '""',  # a one-column row with no value (pandas quotes it: not a blank line)
    ]
    import openpyxl

    from opendata.formats import xlsx_bytes

    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes(frame, schema, "t")))
    cell = book.active["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil.example")'
    out = io.BytesIO()
    write_csv(pa.table({"os": ["=cmd|' /C calc'!A0", "Linux", None]}), out)
    # One CSV writer (#12): the months' empty one-column row is "" too, not a blank line.
    assert out.getvalue().decode().splitlines() == ["os", "'=cmd|' /C calc'!A0", "Linux", '""']


def test_the_one_csv_writer_quotes_as_python_csv_and_reads_back() -> None:
    """Every published CSV goes through ``formats.write_csv`` (#12: the tables and the months
    were written by two writers that quoted differently). Random cells with commas, quotes,
    line breaks (a bare carriage return included) and spaces: Python's csv module and pandas
    read back exactly the cells written, and the bytes are Python's ``QUOTE_MINIMAL`` ones
    (a bare carriage return quoted as well: pandas' writer left it bare, which its reader
    then took for a line end)."""
    import csv
    import io
    import random

    import pyarrow as pa

    from opendata.formats import write_csv

    rng = random.Random(12)
    pieces = ["a", "é", ",", '"', "\n", "\r", "\r\n", " ", "'", "", "0", "漢", "x y"]
    for _ in range(200):
        width, n = rng.randint(1, 4), rng.randint(1, 15)
        names = [f"c{i}" for i in range(width)]
        rows = [
            ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in names]
            for _ in range(n)
        ]
        out = io.BytesIO()
        write_csv(names, [pa.array([r[i] for r in rows], pa.string()) for i in range(width)], out)
        data = out.getvalue()
        assert list(csv.reader(io.StringIO(data.decode(), newline=""))) == [names, *rows]
        frame = pd.read_csv(
            io.BytesIO(data), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
        assert frame.values.tolist() == rows
        expected = io.StringIO()
        csv.writer(expected, lineterminator="\n").writerows([names, *rows])
        python = expected.getvalue().encode()
        bare_cr = any("\r" in c.replace("\r\n", "") for r in rows for c in r)
        if not bare_cr:
            assert data == python


def test_the_csv_writer_gives_the_same_bytes_over_many_slices() -> None:
    """A table longer than the writer's slice of rows (a month's bucket): the same bytes as
    Python's csv module, quoted cells on both sides of the slice boundaries."""
    import csv
    import io

    import pyarrow as pa

    from opendata import formats

    n = formats._LINES * 2 + 123
    texts = [f"v{i}" if i % 7 else f'a,"{i}"' for i in range(n)]
    numbers = [str(i) for i in range(n)]
    out = io.BytesIO()
    formats.write_csv(
        ["t", "n"], [pa.array(texts), pa.chunked_array([numbers[:5], numbers[5:]])], out
    )
    expected = io.StringIO()
    csv.writer(expected, lineterminator="\n").writerows(
        [["t", "n"], *zip(texts, numbers, strict=True)]
    )
    assert out.getvalue() == expected.getvalue().encode()
