"""Deployments, built from the registry with Prefect's public API, and the serving entry point.

- ``publish-dataset/<dataset>``: every day at 06:00 Paris time, and whenever the intake accepts
  a delivery of one of its sources; one run per dataset at a time.
- ``process-inbox/inbox``: every 10 minutes.
- ``validate-upload/validate-upload``: started by hand from the UI with a file path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import deploy, serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from prefect.events import DeploymentEventTrigger
from prefect.schedules import Cron

from flows.intake import ACCEPTED_EVENT, process_inbox, validate_upload
from flows.publish import publish_dataset
from opendata import settings
from opendata.contracts import registry
from opendata.report.operations import say

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


def build(
    folders: Folders, work_pool: str | None = None, base_url: str | None = None
) -> list[RunnerDeployment]:
    """One deployment per dataset of the registry, plus the intake's two.

    With ``work_pool``, the deployments point at their flows by module path, so that process
    workers on other machines (with this project installed) can import and run them, with the
    publication's public address ``base_url`` in their environment.
    """
    pool: dict[str, Any] = {}
    if work_pool:
        pool = {"work_pool_name": work_pool, "entrypoint_type": EntrypointType.MODULE_PATH}
        if base_url:
            pool["job_variables"] = {"env": {settings.BASE_URL.name: base_url}}
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
                description=say(
                    "deployment_publish", title=dataset.descriptor.get("title"), zone=TIMEZONE
                ),
                **pool,
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
            description=say("deployment_intake", zone=TIMEZONE),
            **pool,
        )
    )
    found.append(
        validate_upload.to_deployment(
            name="validate-upload",
            parameters={"raw_dir": str(folders.raw)},
            tags=["intake"],
            description="Valider un fichier : indiquez son chemin et sa source.",
            **pool,
        )
    )
    return [d for d in found if isinstance(d, RunnerDeployment)]


def deploy_all(folders: Folders, work_pool: str, base_url: str | None = None) -> None:
    """Register every deployment on ``work_pool``: ``prefect worker start --pool NAME`` on
    each machine then runs them (the folders must be the same paths on every machine)."""
    deploy(
        *build(folders, work_pool, base_url),
        work_pool_name=work_pool,
        build=False,
        push=False,
        ignore_warnings=True,
    )


def serve_all(folders: Folders) -> None:
    """Register every deployment and run their flow runs here until interrupted."""
    for folder in (folders.raw, folders.published, folders.inbox, folders.quarantine):
        folder.mkdir(parents=True, exist_ok=True)
    for source in registry.sources():
        (folders.inbox / source).mkdir(exist_ok=True)
    # pause_on_shutdown=False: Prefect pauses every deployment it served when stopped, so a
    # restart (systemd, a container runtime) would find the 06:00 publishes and the intake
    # paused while the UI still says Ready.
    serve(*build(folders), print_starting_message=True, pause_on_shutdown=False)
