"""Harvest a DCAT catalogue with data.gouv.fr's own code (udata), offline, and print what it kept.

Runs inside the udata environment (``.venv-harvesters/udata``, built from
``udata.requirements.txt``), never in the project's: udata and its dependencies stay out of ours.
The harvest is udata's real one (``udata.harvest.actions.run`` with the ``dcat`` backend: it
fetches the catalogue over HTTP, parses it with rdflib as the portal does, maps every dataset with
``dataset_from_rdf`` and saves it through the models' validation) on an in-memory MongoDB
(mongomock). The licences are data.gouv.fr's list (``udata-licenses.json``), loaded with udata's
own ``licenses`` command.

Usage: python udata_harvest.py CATALOGUE_URL OUTPUT.json (udata's app writes to standard output).
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


class Settings:
    TESTING = True
    DEBUG = False
    MONGODB_HOST = "mongodb://localhost:27017/udata"
    SERVER_NAME = "harvest.test"
    CACHE_TYPE = "NullCache"
    CELERY_TASK_ALWAYS_EAGER = True
    SEARCH_SERVICE_API_URL = None
    HARVEST_PREVIEW_MAX_ITEMS = 1000
    # The catalogue and its files are served on loopback (the only address a test may use).
    URLS_ALLOW_LOCAL = True
    HARVESTER_BACKENDS = ("dcat",)
    SECRET_KEY = "harvest-test-only"
    API_TOKEN_SECRET = "harvest-test-only"
    SECURITY_PASSWORD_SALT = "harvest-test-only"


def main(url: str) -> dict:
    import click
    import mongomock
    from udata.app import create_app, standalone

    Settings.MONGODB_SETTINGS = {
        "host": Settings.MONGODB_HOST,
        "mongo_client_class": mongomock.MongoClient,
    }
    app = create_app(override=Settings)
    standalone(app)
    with app.app_context():
        from udata.core.dataset.commands import licenses
        from udata.core.dataset.models import Dataset
        from udata.harvest import actions
        from udata.harvest.models import HarvestJob, HarvestSource

        with click.Context(licenses):  # the command's own code, inside this app's context
            licenses.callback(str(HERE / "udata-licenses.json"))
        source = HarvestSource.objects.create(name="Paris inclusion", url=url, backend="dcat")
        actions.run(source)
        job = HarvestJob.objects(source=source).order_by("-created").first()
        items = [
            {
                "remote_id": item.remote_id,
                "status": item.status,
                "errors": [e.message for e in item.errors],
            }
            for item in job.items
        ]
        datasets = []
        for dataset in Dataset.objects():
            dataset.validate()
            datasets.append(
                {
                    "remote_id": dataset.harvest.remote_id if dataset.harvest else None,
                    "title": dataset.title,
                    "license": dataset.license.id if dataset.license else None,
                    "spatial": bool(dataset.spatial and dataset.spatial.geom),
                    "temporal": bool(dataset.temporal_coverage),
                    "modified": str(dataset.harvest.modified_at) if dataset.harvest else None,
                    "resources": [
                        {
                            "title": r.title,
                            "url": r.url,
                            "format": r.format,
                            "checksum": r.checksum.value if r.checksum else None,
                            "filesize": r.filesize,
                        }
                        for r in dataset.resources
                    ],
                }
            )
        return {
            "status": job.status,
            "errors": [e.message for e in job.errors],
            "items": items,
            "datasets": datasets,
        }


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    Path(sys.argv[2]).write_text(json.dumps(main(sys.argv[1]), ensure_ascii=False, default=str))
