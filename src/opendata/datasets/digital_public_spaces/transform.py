"""digital-public-spaces: EPNs in the national "Lieux de médiation numérique" format, and
their monthly attendance."""

from __future__ import annotations

import pandas as pd

from opendata.contracts.vocabulary import national_labels
from opendata.datasets.protocol import Frames, Inputs
from opendata.validate import normalize

# Values the national standard asks for that the DDCT workbook does not carry: every EPN is
# a fixed place in Paris, published by the city.
COMMUNE = "Paris"
SOURCE = "Ville de Paris"
ITINERANCE = "Fixe"
TYPOLOGIE = {"Ville de Paris": "MUNI"}
ATTENDANCE_COUNTS = ["visits", "workshops", "workshop_participants", "opening_hours"]


def _joined(values: list[str]) -> str | None:
    return "|".join(values) if values else None


def _labels(cell: object, field: str) -> str | None:
    if not isinstance(cell, str) or not cell:
        return None
    found, _ = normalize.canonical_labels(cell, national_labels(field))
    return _joined(found)


def _list(cell: object) -> str | None:
    return _joined(normalize.split_list(cell)) if isinstance(cell, str) and cell else None


def _typologie(manager: str) -> str | None:
    if manager in TYPOLOGIE:
        return TYPOLOGIE[manager]
    return "ASSO" if manager.casefold().startswith("association") else None


def places(text: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """The 32 fields of the national standard v1.0.1, from the DDCT's EPN sheet."""
    empty = pd.Series(None, index=text.index, dtype=object)
    return pd.DataFrame(
        {
            "id": text["Identifiant"],
            "pivot": text["SIRET du gestionnaire"].map(normalize.siret_number),
            "nom": text["Nom"],
            "commune": COMMUNE,
            "code_postal": text["Code postal"],
            "code_insee": text["Code postal"].map(normalize.insee_code),
            "adresse": text["Adresse"],
            "complement_adresse": empty,
            "latitude": values["Latitude"],
            "longitude": values["Longitude"],
            "typologie": text["Gestionnaire"].map(_typologie),
            "telephone": text["Téléphone"].map(lambda v: normalize.phone_e164(v) if v else None),
            "courriels": text["Courriel"].map(_list),
            "site_web": text["Site web"].map(_list),
            "horaires": text["Horaires"],
            "presentation_resume": empty,
            "presentation_detail": empty,
            "source": SOURCE,
            "itinerance": ITINERANCE,
            "structure_parente": text["Gestionnaire"],
            "date_maj": values["Date de mise à jour"],
            "services": text["Services"].map(lambda v: _labels(v, "services")),
            "publics_specifiquement_adresses": text["Publics"].map(
                lambda v: _labels(v, "publics_specifiquement_adresses")
            ),
            "prise_en_charge_specifique": empty,
            "frais_a_charge": empty,
            "dispositif_programmes_nationaux": empty,
            "formations_labels": empty,
            "autres_formations_labels": empty,
            "modalites_acces": empty,
            "modalites_accompagnement": empty,
            "fiche_acces_libre": empty,
            "prise_rdv": empty,
        }
    )


def attendance(deliveries: list[tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """Monthly rows; a month re-delivered is taken whole from its newest delivery."""
    frames = []
    for order, (text, values) in enumerate(deliveries):
        frames.append(
            pd.DataFrame(
                {
                    "epn_id": text["Identifiant EPN"],
                    "month": text["Mois"].map(normalize.month),
                    "visits": values["Visites"],
                    "workshops": values["Ateliers"],
                    "workshop_participants": values["Participants aux ateliers"],
                    "opening_hours": values["Heures d'ouverture"],
                    "delivery": order,
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=["epn_id", "month", *ATTENDANCE_COUNTS])
    rows = pd.concat(frames, ignore_index=True)
    newest = rows.groupby("month")["delivery"].transform("max")
    rows = rows[rows["delivery"] == newest].drop(columns="delivery")
    rows = rows.drop_duplicates(["epn_id", "month"], keep="last")
    return rows.sort_values(["month", "epn_id"]).reset_index(drop=True)


def transform(inputs: Inputs) -> Frames:
    """Places from the newest DDCT workbook; attendance from every monthly delivery."""
    newest = inputs["epn-places"][-1]
    monthly = [(d.text, d.values) for d in inputs.get("epn-attendance", [])]
    table = places(newest.text, newest.values).sort_values("id").reset_index(drop=True)
    return {"places": table, "attendance-monthly": attendance(monthly)}
