"""wifi-hotspots: the Wi-Fi sites, with the sites that left the DSIN's snapshots kept as removed."""

from __future__ import annotations

import pandas as pd

from opendata.datasets.protocol import Frames, Inputs
from opendata.validate import normalize

STATUS = {
    "Opérationnel": "operational",
    "Fermé pour travaux": "closed_for_works",
    "En projet": "planned",
    "En déploiement": "planned",  # the open-data portal's words for a planned site
    "En étude": "planned",
    "Fermé définitivement": "closed",
}
OPENED = "Date de mise en service"


def _sites(snapshot_index: int, text: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    absent = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")  # as dates are cast
    opened = values.get(OPENED, absent)
    return pd.DataFrame(
        {
            "site_id": text["Code site"],
            "name": text["Nom du site"],
            "address": text["Adresse"],
            "postal_code": text["Code postal"],
            "arrondissement": text["Code postal"].map(normalize.arrondissement_from_postal_code),
            "latitude": values["Latitude"],
            "longitude": values["Longitude"],
            "access_points": values["Nombre de bornes"],
            "opened_on": opened,
            "status": text["État"].map(STATUS),
            "snapshot": snapshot_index,
            "dated": OPENED in values,
        }
    )


def transform(inputs: Inputs) -> Frames:
    """Sites of every snapshot; each site as the newest snapshot listing it describes it.

    A site missing from a newer DSIN snapshot has been removed at the source: it stays, with
    ``removed_on`` set to the date of the first snapshot that no longer lists it, because
    session figures keep referring to it.

    The open-data portal's exports carry no commissioning date: a site's ``opened_on`` is then
    the one the newest delivery that had the column gave it (empty for a site never delivered
    with it), so switching from the DSIN's file to an export changes no published row.
    """
    snapshots = inputs["wifi-sites"]
    frames = [_sites(i, d.text, d.values) for i, d in enumerate(snapshots)]
    every = pd.concat(frames, ignore_index=True)
    known = every[every["dated"]].drop_duplicates("site_id", keep="last")
    opened = known.set_index("site_id")["opened_on"]
    latest = every.drop_duplicates("site_id", keep="last").copy()
    undated = ~latest["dated"].astype(bool)
    # reindex, not map: with no dated delivery at all (a data team that starts from the
    # portal's export) the mapping is empty and map() gives floats a date column refuses.
    carried = opened.reindex(latest.loc[undated, "site_id"].to_numpy())
    latest.loc[undated, "opened_on"] = carried.to_numpy()
    latest = latest.drop(columns="dated")
    dates = [pd.Timestamp(d.date) if d.date else pd.NaT for d in snapshots]
    newest = len(snapshots) - 1
    latest["removed_on"] = latest["snapshot"].map(lambda i: dates[i + 1] if i < newest else pd.NaT)
    latest = latest.drop(columns="snapshot").sort_values("site_id").reset_index(drop=True)
    return {"sites": latest}
