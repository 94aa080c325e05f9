"""Deployments, built from the registry with Prefect's public API, and the serving entry point.

- ``publish-dataset/<dataset>``: every day at 06:00 Paris time, and whenever the intake accepts
  a delivery of one of its sources; one run per dataset at a time.
- ``process-inbox/inbox``: every 10 minutes.
- ``validate-upload/validate-upload``: started by hand from the UI with a file path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron

from flows.intake import ACCEPTED_EVENT, process_inbox, validate_upload
from flows.publish import publish_dataset
from opendata import registry

TIMEZONE = "Europe/Paris"
DAILY = "0 6 * * *"
INBOX_EVERY = "*/10 * * * *"


@dataclass(frozen=True)
class Folders:
    """Where the deployments read and write (absolute, as runs start in other processes)."""

    raw: Path
    published: Path
    inbox: Path
    quarantine: Path

    @classmethod
    def under(cls, root: Path) -> Folders:
        """The project layout under ``root``."""
        root = root.resolve()
        return cls(root / "raw", root / "published", root / "inbox", root / "quarantine")


def build(folders: Folders) -> list[RunnerDeployment]:
    """One deployment per dataset of the registry, plus the intake's two."""
    found: list[object] = []
    for name, dataset in sorted(registry.datasets().items()):
        found.append(
            publish_dataset.to_deployment(
                name=name,
                parameters={
                    "dataset": name,
                    "raw_dir": str(folders.raw),
                    "published_dir": str(folders.published),
                },
                schedules=[Cron(DAILY, timezone=TIMEZONE)],
                concurrency_limit=ConcurrencyLimitConfig(
                    limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
                ),
                triggers=[
                    DeploymentEventTrigger(
                        name=f"publish {name} on delivery",
                        expect={ACCEPTED_EVENT},
                        match={
                            "prefect.resource.id": [f"opendata.source.{s}" for s in dataset.sources]
                        },
                    )
                ],
                tags=["publish", name],
                description=dataset.descriptor.get("title"),
            )
        )
    found.append(
        process_inbox.to_deployment(
            name="inbox",
            parameters={
                "inbox": str(folders.inbox),
                "raw_dir": str(folders.raw),
                "quarantine_dir": str(folders.quarantine),
            },
            schedules=[Cron(INBOX_EVERY, timezone=TIMEZONE)],
            concurrency_limit=1,
            tags=["intake"],
        )
    )
    found.append(
        validate_upload.to_deployment(
            name="validate-upload",
            parameters={"raw_dir": str(folders.raw)},
            tags=["intake"],
            description="Valider un fichier : indiquez son chemin et sa source.",
        )
    )
    return [d for d in found if isinstance(d, RunnerDeployment)]


def serve_all(folders: Folders) -> None:
    """Register every deployment and run their flow runs here until interrupted."""
    for folder in (folders.raw, folders.published, folders.inbox, folders.quarantine):
        folder.mkdir(parents=True, exist_ok=True)
    for source in registry.sources():
        (folders.inbox / source).mkdir(exist_ok=True)
    serve(*build(folders), print_starting_message=True)
