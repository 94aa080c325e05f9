"""Every word the publication writes for the public, in French (the City publishes in French):
the changelog of a release (:mod:`~opendata.publish.releases`), the catalogue page
(:mod:`~opendata.publish.site`), the catalogue's titles (:mod:`~opendata.publish.dcat`) and the
packages' descriptions (:mod:`~opendata.publish.packages`). A test fails on a French sentence
written inline in those modules: a word changes here, once.

Templates are :meth:`str.format` strings; HTML fragments are the page's, their values escaped
by the caller.
"""

from __future__ import annotations

from typing import Any

WORDS: dict[str, str] = {
    # The changelog of a release (CHANGELOG.md of each dataset).
    "first_release": "Première publication.",
    "release_level": "Version {level} (après {previous}).",
    "level_major": "majeure",
    "level_minor": "mineure",
    "level_patch": "corrective",
    "level_none": "aucune",
    "new_resource": "nouvelle ressource",
    "rows_added": "{count} ligne(s) ajoutée(s)",
    "rows_removed": "{count} ligne(s) retirée(s)",
    "rows_changed": "{count} ligne(s) modifiée(s) ({fields})",
    "fields_added": "champ(s) ajouté(s) : {names}",
    "fields_removed": "champ(s) retiré(s) : {names}",
    "fields_retyped": "champ(s) changeant de type : {names}",
    "constraints_loosened": "contraintes élargies : {what}",
    "constraints_tightened": "contraintes resserrées : {what}",
    "key_changed": "clé primaire modifiée",
    "resource_changes": "- `{name}` : {parts}.",
    "resource_retired": "- `{name}` : ressource retirée.",
    "coverage": "- Période couverte : du {start} au {end} → du {new_start} au {new_end}.",
    "metadata_changed": "- Métadonnées mises à jour (titres, descriptions).",
    # The catalogue page (index.html of the published folder).
    "page_title": "Inclusion numérique à Paris — données ouvertes",
    "page_heading": "Inclusion numérique à Paris",
    "page_meta": "Données ouvertes de la Ville de Paris · catalogue DCAT : ",
    "dataset_meta": "Version {version} · mise à jour {date} · licence ",
    "changelog_link": "journal des versions",
    "releases_link": "toutes les versions (releases.json)",
    "first_rows": "Premières lignes : {title}",
    "download": "Télécharger : ",
    "download_by_month": "Télécharger, un fichier par mois :",
    "month_rows": "{label} ({rows} lignes) : ",
    "excel": "Excel",
    "map": "Carte (GeoJSON)",
    "field_headers": "Champ|Type|Description|Exemple|Contraintes",
    "type_string": "texte",
    "type_integer": "entier",
    "type_number": "nombre",
    "type_boolean": "booléen (true, false)",
    "type_date": "date (AAAA-MM-JJ)",
    "type_datetime": "date et heure UTC",
    "type_year": "année",
    "type_yearmonth": "mois (AAAA-MM)",
    "required": "obligatoire",
    "unique": "unique",
    "enum": "une valeur parmi : {values}",
    "pattern": "suit le motif <code>{value}</code>",
    "minimum": "au moins {value}",
    "maximum": "au plus {value}",
    "minLength": "au moins {value} caractères",
    "maxLength": "au plus {value} caractères",
    "other_constraint": "{name} : {value}",
    # The catalogue (catalog.jsonld).
    "catalog_title": "Inclusion numérique à Paris — données ouvertes",
    "catalog_description": (
        "Sites Wi-Fi, Espaces Publics Numériques, formations et jeunes entreprises des "
        "programmes d'inclusion numérique de la Ville de Paris (2006-2008)."
    ),
    "contact": "Ville de Paris — données ouvertes",
    "themes_scheme": "Thèmes des données (UE)",
    "version_notes": "Versions publiées : {dated}. Liste lisible par une machine : {index}",
    "base_url_missing": (
        "l'adresse publique des fichiers publiés manque : les portails qui moissonnent le "
        "catalogue (data.gouv.fr, CKAN) refusent ses liens relatifs. Donnez-la avec "
        "--base-url https://…/ ou la variable {setting} (make serve BASE_URL=…)."
    ),
    "base_url_invalid": (
        "« {value} » n'est pas une adresse publique : il faut une adresse http(s) "
        "complète, par exemple https://donnees.paris.fr/inclusion/."
    ),
    # The packages (datapackage.json).
    "geojson_title": "{title} (carte, GeoJSON)",
    "geojson_description": (
        "{description} Une entité (Feature) par ligne, point en WGS 84 (longitude, latitude), "
        "tous les champs de la table en propriétés."
    ),
}

# The EU data-theme vocabulary's concepts used in the catalogue, with their French labels.
THEMES = {
    "ECON": "Économie et finances",
    "EDUC": "Éducation, culture et sport",
    "GOVE": "Gouvernement et secteur public",
    "SOCI": "Population et société",
    "TECH": "Science et technologie",
}


def said(key: str, **params: Any) -> str:
    """The words of ``key``, filled with ``params``."""
    return WORDS[key].format(**params) if params else WORDS[key]
