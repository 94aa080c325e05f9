"""Publish flows: one generic flow per dataset, and one that publishes them all.

A flow reads like a table of contents; the work is in :mod:`opendata.publishing`. An invalid
delivery fails its dataset (the report becomes a Prefect artifact, the previous publication is
left untouched) and the other datasets go on; the run ends Failed when any dataset failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.states import Completed, Failed, State

from opendata import publishing, registry
from opendata.packaging import Package
from opendata.publishing import Collected, Outcome
from opendata.render import as_dict
from opendata.report import Report, redacted


def _io_error_only(task: Any, task_run: Any, state: State) -> bool:
    """Retry file I/O hiccups, never a delivery that is simply invalid."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


# Results stay in memory: nothing a task returns (deliveries may hold personal data) is
# written to Prefect's result storage.


@task(
    name="collect-and-validate",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_io_error_only,
    cache_policy=NO_CACHE,
    persist_result=False,
)
def collect(dataset: str, raw_dir: Path) -> Collected:
    """Validate every delivery that feeds ``dataset``."""
    return publishing.collect(registry.dataset(dataset), raw_dir)


@task(name="transform-and-package", cache_policy=NO_CACHE, persist_result=False)
def build(dataset: str, collected: Collected) -> Package:
    """Run the dataset's transform and build its package in memory."""
    return publishing.build(registry.dataset(dataset), collected)


@task(
    name="write-atomically",
    retries=2,
    retry_delay_seconds=2,
    retry_condition_fn=_io_error_only,
    cache_policy=NO_CACHE,
    persist_result=False,
)
def write(dataset: str, package: Package, published_dir: Path) -> Outcome:
    """Publish a new release if anything changed (swapping the folder atomically)."""
    return publishing.write(registry.dataset(dataset), package, published_dir)


def report_artifacts(dataset: str, reports: list[Report]) -> None:
    """A markdown summary and a table of errors per invalid delivery, keyed by source."""
    for report in reports:
        if report.valid:
            continue
        if registry.source(report.source).personal_data:
            report = redacted(report)  # artifacts are read by many: no personal value
        data = as_dict(report, "fr")
        lines = [
            f"# Livraison refusée : {report.source} / {report.file}",
            "",
            f"Jeu de données **{dataset}** non publié ; la publication précédente est conservée.",
            "",
            f"{data['stats']['rows']} lignes, {data['stats']['errors']} erreur(s), "
            f"{data['stats']['warnings']} avertissement(s).",
        ]
        key = f"validation-{report.source}"
        create_markdown_artifact("\n".join(lines), key=key, description=f"{report.source}")
        table = [
            {
                "ligne": e["rowNumber"],
                "colonne": e["fieldName"],
                "valeur": e["cell"],
                "type": e["type"],
                "message": e["message"],
            }
            for e in data["errors"]
        ]
        create_table_artifact(table, key=f"{key}-errors", description=report.file)


@flow(name="publish-dataset", flow_run_name="publish-{dataset}", persist_result=False)
def publish_dataset(
    dataset: str, raw_dir: str = "raw", published_dir: str = "published"
) -> Outcome | State:
    """Validate, transform and publish one dataset."""
    logger = get_run_logger()
    collected = collect(dataset, Path(raw_dir))
    if not collected.valid:
        report_artifacts(dataset, collected.reports)
        logger.error("%s: nothing published, %s", dataset, collected.refusal())
        return Failed(message=collected.refusal())
    package = build(dataset, collected)
    outcome = write(dataset, package, Path(published_dir))
    logger.info("%s: %s in %s", dataset, outcome, Path(published_dir) / dataset)
    return outcome


@flow(name="publish", persist_result=False)
def publish(
    datasets: list[str] | None = None, raw_dir: str = "raw", published_dir: str = "published"
) -> State:
    """Publish every dataset (or those named); one failure does not stop the others."""
    names = datasets or sorted(registry.datasets())
    outcome: dict[str, str] = {}
    for name in names:
        state = publish_dataset(name, raw_dir, published_dir, return_state=True)
        outcome[name] = str(state.result()) if state.is_completed() else f"failed: {state.message}"
    failed = [n for n, s in outcome.items() if s.startswith("failed")]
    if failed:
        return Failed(message=f"failed datasets: {', '.join(failed)}", data=outcome)
    return Completed(message=", ".join(f"{n}: {s}" for n, s in outcome.items()), data=outcome)


def run_publish(datasets: list[str], raw_dir: Path, published_dir: Path) -> dict[str, str]:
    """Run the ``publish`` flow and return each dataset's outcome."""
    state = publish(datasets, str(raw_dir), str(published_dir), return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, dict):
        return outcome
    return dict.fromkeys(datasets, f"failed: {state.message}")
