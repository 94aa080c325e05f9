"""Read a DCAT catalogue with CKAN's own code (ckanext-dcat), offline, and print what it kept.

Runs inside the CKAN environment (``.venv-harvesters/ckan``, built from
``ckan.requirements.txt``), never in the project's. It does what ckanext-dcat's
``DCATRDFHarvester`` does in its gather stage: fetch the catalogue over HTTP, hand the text to
``RDFParser`` with the ``euro_dcat_ap_3`` profile (no base address: relative links stay
relative) and turn every dataset into a CKAN package dict; the licence is matched against
CKAN's own licence register, as a CKAN site does.

Usage: python ckan_parse.py CATALOGUE_URL OUTPUT.json
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path


def main(url: str) -> dict:
    from ckan.model.license import LicenseRegister
    from ckanext.dcat.processors import RDFParser

    with urllib.request.urlopen(url, timeout=60) as answer:
        content = answer.read().decode("utf-8")
    parser = RDFParser(profiles=["euro_dcat_ap_3"])
    parser.parse(content, _format="json-ld")
    register = set(LicenseRegister().keys())
    datasets = []
    for package in parser.datasets():
        extras = {e["key"]: e["value"] for e in package.get("extras", [])}
        datasets.append(
            {
                "identifier": extras.get("identifier"),
                "title": package.get("title"),
                "license_id": package.get("license_id"),
                "license_in_register": package.get("license_id") in register,
                "spatial": extras.get("spatial") or extras.get("spatial_bbox"),
                "modified": extras.get("modified"),
                "version": package.get("version"),
                "resources": [
                    {"name": r.get("name"), "url": r.get("url"), "hash": r.get("hash")}
                    for r in package.get("resources", [])
                ],
            }
        )
    return {"datasets": datasets}


if __name__ == "__main__":
    Path(sys.argv[2]).write_text(json.dumps(main(sys.argv[1]), ensure_ascii=False))
