"""The DCAT-AP catalogue of everything published, as JSON-LD a portal can harvest.

Built from the published packages themselves (``published/*/datapackage.json`` and their
releases), so it always describes what is really there. Links are relative to the published
root unless ``OPENDATA_BASE_URL`` gives the address the root is served from.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opendata import settings
from opendata.publish import releasestore
from opendata.publish.words import THEMES, said

CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "spdx": "http://spdx.org/rdf/terms#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "gsp": "http://www.opengis.net/ont/geosparql#",
    "adms": "http://www.w3.org/ns/adms#",
}
PUBLISHER = {
    "@id": "https://www.paris.fr",
    "@type": "foaf:Agent",
    "foaf:name": "Ville de Paris",
}
CONTACT = {
    "@type": ["vcard:Organization", "vcard:Kind"],
    "vcard:fn": said("contact"),
    "vcard:hasEmail": {"@id": "mailto:opendata@paris.fr"},
}
# The licence as the harvesters know it. DCAT-AP names licences by the EU authority table's IRI;
# CKAN's ckanext-dcat matches a licence by its IRI or its dct:title against CKAN's register, and
# data.gouv.fr's udata by its rdfs:label against the French list: both know it by this title and
# by the id ``odc-odbl``. The packages' ``datapackage.json`` carry the same id and IRI.
LICENCES = {
    "odc-odbl": {
        "@id": "http://publications.europa.eu/resource/authority/licence/ODC_ODBL",
        "@type": "dct:LicenseDocument",
        "dct:identifier": "odc-odbl",
        "dct:title": "Open Data Commons Open Database License (ODbL)",
        "rdfs:label": "Open Data Commons Open Database License (ODbL)",
    }
}
LICENCES["ODbL-1.0"] = LICENCES["odc-odbl"]  # the name packages carried before 2026-12
EU = "http://publications.europa.eu/resource/authority/"
FRENCH = {"@id": f"{EU}language/FRA", "@type": "dct:LinguisticSystem"}
# Paris, the commune (INSEE code 75056), as data.gouv.fr identifies it, with its bounding box
# (harvesters that draw a map, udata and ckanext-dcat, read a geometry, not a place's IRI), and
# its GeoNames twin. West, south, east, north of the commune's boundary in OpenStreetMap (the
# Bois de Boulogne and de Vincennes included).
PARIS_BBOX = (2.224122, 48.815576, 2.469760, 48.902156)
PARIS = [
    {
        "@id": "http://id.insee.fr/geo/commune/75056",
        "@type": "dct:Location",
        "rdfs:label": {"@value": "Paris", "@language": "fr"},
        "dcat:bbox": {
            "@value": "POLYGON(({0} {1},{2} {1},{2} {3},{0} {3},{0} {1}))".format(*PARIS_BBOX),
            "@type": "gsp:wktLiteral",
        },
    },
    {"@id": "https://sws.geonames.org/2988507/", "@type": "dct:Location"},
]
FILE_TYPES = {"csv": "CSV", "parquet": "PARQUET", "xlsx": "XLSX", "geojson": "GEOJSON"}


def _typed(iri: str, kind: str) -> dict[str, str]:
    """A reference to ``iri`` saying what it is (DCAT-AP's SHACL shapes check the class)."""
    return {"@id": iri, "@type": kind}


def _date(value: str | None) -> dict[str, str] | None:
    return {"@value": value[:10], "@type": "xsd:date"} if value else None


def _files(descriptor: dict[str, Any]) -> list[tuple[dict[str, Any], str, int, str, str]]:
    """(resource, path, size, hash, title) of every downloadable file: a resource published one
    file per period gives one distribution per file, so that a portal lists each month."""
    found = []
    for resource in descriptor["resources"]:
        title = resource.get("title", resource["name"])
        parts = resource.get("x-parts")
        if parts:
            for part in parts:
                period = part["path"].rsplit("/", 1)[-1].rsplit(".", 1)[0]
                found.append(
                    (resource, part["path"], part["bytes"], part["hash"], f"{title} — {period}")
                )
            continue
        size = resource.get("bytes", resource.get("x-bytes"))
        found.append((resource, resource["path"], size, resource["hash"], title))
    return found


def _licence(descriptor: dict[str, Any]) -> dict[str, Any]:
    declared = descriptor["licenses"][0]
    return LICENCES.get(declared["name"]) or {
        "@id": declared["path"],  # a licence this catalogue has no harvester's name for
        "@type": "dct:LicenseDocument",
        **({"dct:title": declared["title"]} if declared.get("title") else {}),
    }


def _distribution(
    descriptor: dict[str, Any], file: tuple[Any, ...], base: str, dates: dict[str, Any]
) -> dict[str, Any]:
    """One published file as a ``dcat:Distribution``."""
    resource, path, size, checksum, title = file
    name = descriptor["name"]
    url = f"{base}{name}/{path}"
    algorithm, _, digest = checksum.partition(":")
    return {
        "@id": url + "#distribution",
        "@type": "dcat:Distribution",
        "dct:title": title,
        "dct:description": resource.get("description", ""),
        "dcat:accessURL": _typed(f"{base}{name}/datapackage.json", "rdfs:Resource"),
        "dcat:downloadURL": _typed(url, "rdfs:Resource"),
        "dcat:mediaType": _typed(
            "https://www.iana.org/assignments/media-types/" + resource["mediatype"],
            "dct:MediaType",
        ),
        "dct:format": _typed(
            f"{EU}file-type/{FILE_TYPES[resource['format']]}", "dct:MediaTypeOrExtent"
        ),
        "dcat:byteSize": {"@value": str(size), "@type": "xsd:nonNegativeInteger"},
        "spdx:checksum": {
            "@type": "spdx:Checksum",
            "spdx:algorithm": _typed(
                f"http://spdx.org/rdf/terms#checksumAlgorithm_{algorithm}",
                "spdx:ChecksumAlgorithm",
            ),
            # A plain literal: typed xsd:hexBinary (as DCAT-AP's shapes ask), rdflib hands
            # udata bytes and data.gouv.fr refuses every dataset ("checksum.value
            # StringField only accepts string values").
            "spdx:checksumValue": digest,
        },
        "dct:license": _licence(descriptor),
        **dates,
        **(
            {"dct:conformsTo": _typed(resource["x-conforms-to"], "dct:Standard")}
            if resource.get("x-conforms-to")
            else {}
        ),
    }


def _themes_and_times(descriptor: dict[str, Any]) -> dict[str, Any]:
    """Themes, update frequency, temporal coverage and standards, where declared."""
    dcat = descriptor.get("x-dcat", {})
    extra: dict[str, Any] = {}
    if dcat.get("themes"):
        extra["dcat:theme"] = [
            {
                **_typed(f"{EU}data-theme/{t}", "skos:Concept"),
                "skos:prefLabel": {"@value": THEMES[t], "@language": "fr"},
                "skos:inScheme": {
                    **_typed(f"{EU}data-theme", "skos:ConceptScheme"),
                    "dct:title": {"@value": said("themes_scheme"), "@language": "fr"},
                },
            }
            for t in dcat["themes"]
        ]
    if dcat.get("accrualPeriodicity"):
        extra["dct:accrualPeriodicity"] = _typed(
            f"{EU}frequency/{dcat['accrualPeriodicity']}", "dct:Frequency"
        )
    coverage = descriptor.get("x-temporal-coverage")
    if coverage:
        extra["dct:temporal"] = {
            "@type": "dct:PeriodOfTime",
            "dcat:startDate": _date(coverage["start"]),
            "dcat:endDate": _date(coverage["end"]),
        }
    standards = sorted(
        {r["x-conforms-to"] for r in descriptor["resources"] if r.get("x-conforms-to")}
    )
    if standards:
        extra["dct:conformsTo"] = [_typed(u, "dct:Standard") for u in standards]
    return extra


def _versions(folder: Path, name: str, base: str, releases: list[str]) -> dict[str, Any]:
    """Each release, for a consumer who pins one: its descriptor (dct:hasVersion, which
    ckanext-dcat keeps; dcat:hasVersion would have to be a whole dcat:Dataset, that
    harvesters would import as one more dataset), and the list in releases.json."""
    if not releases:
        return {}
    dated = [
        f"{v} ({(releasestore.descriptor(folder, v).get('created') or '')[:10]})" for v in releases
    ]
    return {
        "dct:hasVersion": [
            _typed(f"{base}{name}/{releasestore.key(v, releasestore.DESCRIPTOR)}", "rdfs:Resource")
            for v in releases
        ],
        "adms:versionNotes": {
            "@value": said(
                "version_notes",
                dated=", ".join(dated),
                index=f"{base}{name}/{releasestore.RELEASES_INDEX}",
            ),
            "@language": "fr",
        },
    }


def _dataset(folder: Path, base: str) -> dict[str, Any]:
    descriptor = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    releases = releasestore.versions(folder)
    issued = descriptor.get("created")
    if releases:
        issued = releasestore.descriptor(folder, releases[0]).get("created", issued)
    name = descriptor["name"]
    dates = {"dct:issued": _date(issued), "dct:modified": _date(descriptor.get("created"))}
    return {
        "@id": f"{base}{name}/",
        "@type": "dcat:Dataset",
        "dct:identifier": name,
        "dct:title": {"@value": descriptor["title"], "@language": "fr"},
        "dct:description": {"@value": descriptor["description"], "@language": "fr"},
        "dcat:keyword": [{"@value": k, "@language": "fr"} for k in descriptor.get("keywords", [])],
        "dct:publisher": PUBLISHER,
        "dcat:contactPoint": CONTACT,
        "dct:license": _licence(descriptor),
        **dates,
        "dcat:version": descriptor.get("version"),
        "dct:language": FRENCH,
        "dct:spatial": PARIS,
        "dcat:landingPage": _typed(f"{base}index.html#{name}", "foaf:Document"),
        **_themes_and_times(descriptor),
        **_versions(folder, name, base, releases),
        "dcat:distribution": [
            _distribution(descriptor, file, base, dates) for file in _files(descriptor)
        ],
    }


BASE_URL_SETTING = settings.BASE_URL.name


def public_address(value: str | None) -> str:
    """``value`` checked as the public address of the published root (``https://…/``), or a
    ValueError in French saying what to give: a harvester resolves a relative link against its
    own folder and refuses the file (udata: "Invalid URL")."""
    from urllib.parse import urlsplit

    if not value:
        raise ValueError(said("base_url_missing", setting=BASE_URL_SETTING))
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(said("base_url_invalid", value=value))
    return value if value.endswith("/") else value + "/"


def build(published_dir: Path, base: str | None = None) -> dict[str, Any]:
    """The catalogue of every dataset folder under ``published_dir``."""
    base = base if base is not None else (settings.BASE_URL.get() or "")
    if base and not base.endswith("/"):
        base += "/"
    folders = (
        sorted(
            p for p in published_dir.iterdir() if p.is_dir() and (p / "datapackage.json").exists()
        )
        if published_dir.is_dir()
        else []
    )
    datasets = [_dataset(folder, base) for folder in folders]
    modified = max(
        (d["dct:modified"]["@value"] for d in datasets if d["dct:modified"]), default=None
    )
    return {
        "@context": CONTEXT,
        "@id": f"{base}catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": {"@value": said("catalog_title"), "@language": "fr"},
        "dct:description": {"@value": said("catalog_description"), "@language": "fr"},
        "dct:publisher": PUBLISHER,
        "dct:language": FRENCH,
        "dct:spatial": PARIS,
        "foaf:homepage": _typed(f"{base}index.html", "foaf:Document"),
        "dct:modified": _date(modified),
        "dcat:dataset": datasets,
    }


def render(published_dir: Path, base: str | None = None) -> bytes:
    """The catalogue as the bytes of ``catalog.jsonld``."""
    built = build(published_dir, base)
    return (json.dumps(built, ensure_ascii=False, indent=2) + "\n").encode()
