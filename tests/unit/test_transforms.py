"""Transforms: golden outputs on the sample data, and the rules of each dataset."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from opendata import settings
from opendata.contracts import registry
from opendata.datasets.protocol import Delivered, transform_for
from opendata.datasets.startup_support.transform import cohorts
from opendata.formats import csv_bytes
from opendata.publish.packages import conform_all
from opendata.publish.steps import collect, tables
from tests.conftest import GOLDEN, RAW

UPDATE = settings.UPDATE_GOLDEN.get()


@pytest.mark.parametrize("dataset", sorted(registry.datasets()))
def test_transform_matches_golden_files(dataset: str) -> None:
    ds = registry.dataset(dataset)
    collected = collect(ds, RAW)
    assert collected.valid
    frames = conform_all(ds, tables(ds, collected))
    for name in ds.resource_names:
        data = csv_bytes(frames[name], ds.resource_schema(name))
        golden = GOLDEN / dataset / f"{name}.csv"
        if UPDATE:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_bytes(data)
        assert golden.exists(), f"run make update-golden to create {golden}"
        assert data == golden.read_bytes(), f"{golden} differs: run make update-golden if intended"


def _sites(codes: list[str], day: dt.date, state: str = "Opérationnel") -> Delivered:
    n = len(codes)
    text = pd.DataFrame(
        {
            "Code site": codes,
            "Nom du site": [f"Site {c}" for c in codes],
            "Adresse": ["1 rue"] * n,
            "Code postal": ["75116"] * n,
            "État": [state] * n,
        }
    )
    values = pd.DataFrame(
        {
            "Latitude": [48.86] * n,
            "Longitude": [2.27] * n,
            "Nombre de bornes": [1] * n,
            "Date de mise en service": [pd.Timestamp("2007-07-01")] * n,
        }
    )
    return Delivered(f"sites-{day}.csv", day, text, values)


def test_sites_missing_from_newer_snapshot_stay_with_removed_on() -> None:
    transform = transform_for("wifi-hotspots")
    snapshots = [
        _sites(["PW0001", "PW0002", "PW0003"], dt.date(2007, 6, 30)),
        _sites(["PW0001", "PW0003"], dt.date(2007, 9, 30), state="Fermé pour travaux"),
        _sites(["PW0001", "PW0004"], dt.date(2008, 1, 15)),
    ]
    sites = transform({"wifi-sites": snapshots})["sites"]
    got = sites[["site_id", "status", "removed_on", "arrondissement"]].astype(object)
    assert got.where(got.notna(), None).values.tolist() == [
        ["PW0001", "operational", None, 16],
        ["PW0002", "operational", pd.Timestamp("2007-09-30"), 16],
        ["PW0003", "closed_for_works", pd.Timestamp("2008-01-15"), 16],
        ["PW0004", "operational", None, 16],
    ]


def test_a_site_that_comes_back_is_not_removed() -> None:
    transform = transform_for("wifi-hotspots")
    snapshots = [
        _sites(["PW0001"], dt.date(2007, 6, 30)),
        _sites([], dt.date(2007, 9, 30)),
        _sites(["PW0001"], dt.date(2008, 1, 15)),
    ]
    assert transform({"wifi-sites": snapshots})["sites"]["removed_on"].isna().all()


def _attendance(rows: list[tuple[str, str, int]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    text = pd.DataFrame({"Identifiant EPN": [r[0] for r in rows], "Mois": [r[1] for r in rows]})
    values = pd.DataFrame(
        {
            "Visites": [r[2] for r in rows],
            "Ateliers": [1] * len(rows),
            "Participants aux ateliers": [5] * len(rows),
            "Heures d'ouverture": [100] * len(rows),
        }
    )
    return text, values


def test_a_redelivered_month_replaces_that_month_whole() -> None:
    from opendata.datasets.digital_public_spaces.transform import attendance

    first = _attendance(
        [("EPN-01", "2007-03", 10), ("EPN-02", "2007-03", 20), ("EPN-01", "2007-04", 30)]
    )
    again = _attendance([("EPN-01", "03/2007", 11)])
    table = attendance([first, again])
    assert table[["epn_id", "month", "visits"]].values.tolist() == [
        ["EPN-01", "2007-03", 11],
        ["EPN-01", "2007-04", 30],
    ]


def test_cohort_totals() -> None:
    companies = pd.DataFrame(
        {
            "cohort": [2006, 2006, 2007],
            "staff_at_entry": pd.array([2, 3, 4], dtype="Int64"),
            "staff_at_exit": pd.array([5, None, None], dtype="Int64"),
            "funds_raised_eur": pd.array([100.0, None, 50.0], dtype="Float64"),
        }
    )
    table = cohorts(companies).astype(object)
    assert table.where(table.notna(), None).values.tolist() == [
        [2006, 2, 5, 5, 100.0],
        [2007, 1, 4, None, 50.0],
    ]


def test_sample_figures_agree_with_the_programme() -> None:
    sites = collect(registry.dataset("wifi-hotspots"), RAW)
    frames = transform_for("wifi-hotspots")(sites.inputs)["sites"]
    current = frames[frames["removed_on"].isna()]
    assert len(current) == 260 and int(current["access_points"].sum()) == 400
    assert (frames["removed_on"].notna()).sum() > 0
    startups = transform_for("startup-support")(
        collect(registry.dataset("startup-support"), RAW).inputs
    )
    assert startups["cohorts"]["startups"].tolist() == [20, 20]
    epn = transform_for("digital-public-spaces")(
        collect(registry.dataset("digital-public-spaces"), RAW).inputs
    )
    assert len(epn["places"]) == 19
    assert "75116" in set(frames["postal_code"])
