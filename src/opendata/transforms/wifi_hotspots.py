"""wifi-hotspots: the Wi-Fi sites, with the sites that left the DSIN's snapshots kept as removed."""

from __future__ import annotations

import pandas as pd

from opendata import normalize
from opendata.transforms import Frames, Inputs

STATUS = {
    "Opérationnel": "operational",
    "Fermé pour travaux": "closed_for_works",
    "En projet": "planned",
    "Fermé définitivement": "closed",
}


def _sites(snapshot_index: int, text: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
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
            "opened_on": values["Date de mise en service"],
            "status": text["État"].map(STATUS),
            "snapshot": snapshot_index,
        }
    )


def transform(inputs: Inputs) -> Frames:
    """Sites of every snapshot; each site as the newest snapshot listing it describes it.

    A site missing from a newer DSIN snapshot has been removed at the source: it stays, with
    ``removed_on`` set to the date of the first snapshot that no longer lists it, because
    session figures keep referring to it.
    """
    snapshots = inputs["wifi-sites"]
    frames = [_sites(i, d.text, d.values) for i, d in enumerate(snapshots)]
    every = pd.concat(frames, ignore_index=True)
    latest = every.drop_duplicates("site_id", keep="last").copy()
    dates = [pd.Timestamp(d.date) if d.date else pd.NaT for d in snapshots]
    newest = len(snapshots) - 1
    latest["removed_on"] = latest["snapshot"].map(lambda i: dates[i + 1] if i < newest else pd.NaT)
    latest = latest.drop(columns="snapshot").sort_values("site_id").reset_index(drop=True)
    return {"sites": latest}
