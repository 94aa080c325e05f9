"""Publish flows: one generic flow per dataset, and one that publishes them all.

A flow reads like a table of contents; the work is in :mod:`opendata.publish.steps`. An invalid
delivery fails its dataset (the report becomes a Prefect artifact, the previous publication is
left untouched) and the other datasets go on; the run ends Failed when any dataset failed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from prefect import flow, get_run_logger, pause_flow_run, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.input import RunInput
from prefect.runtime import deployment as runtime_deployment
from prefect.states import Completed, Failed, State
from prefect.task_runners import ThreadPoolTaskRunner
from pydantic import Field

from flows import logs
from opendata import settings
from opendata.contracts import registry
from opendata.publish import guard, steps
from opendata.publish.packages import Package
from opendata.publish.steps import Collected, Outcome
from opendata.report.operations import say
from opendata.report.problems import Report
from opendata.report.render import artifact, markdown_literal
from opendata.storage import default_work_dir

logs.install()


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
# written to Prefect's result storage. A task that reads or writes files is retried on I/O
# errors only (a refused delivery is not retried).
IN_MEMORY: dict[str, Any] = {"cache_policy": NO_CACHE, "persist_result": False}
FILE_TASK: dict[str, Any] = {
    "retries": 2,
    "retry_delay_seconds": 2,
    "retry_condition_fn": _io_error_only,
    **IN_MEMORY,
}


@task(
    name="collect-and-validate",
    **FILE_TASK,
)
def collect(dataset: str, raw_dir: Path) -> Collected | State:
    """Validate every delivery that feeds ``dataset`` (large sources aside: see
    :func:`process_months`). A refused delivery ends this task Failed (the UI shows the task
    that found it in red), its reports still handed to the flow."""
    collected = steps.collect(registry.dataset(dataset), raw_dir, large=False)
    if not collected.valid:
        # The names only: the reasons are said once, by the flow (and in the artifacts).
        refused = ", ".join(f"{r.source}/{r.file}" for r in collected.reports if not r.valid)
        return Failed(message=say("flow_refused_names", names=refused), data=collected)
    return collected


_STAGE_TASKS: dict[tuple[str, str], Any] = {}


def stage_task(dataset: str, stage: str) -> Any:
    """The Prefect task of one stage of the dataset's large source (its ``large.STAGES``),
    made once: retried on I/O errors, never cached, results kept in memory."""
    if (dataset, stage) not in _STAGE_TASKS:
        part = steps.large_part(registry.dataset(dataset))
        assert part is not None, dataset
        spec = part.STAGES[stage]
        _STAGE_TASKS[dataset, stage] = task(
            spec.function,
            name=stage,
            task_run_name=spec.run_name,
            **FILE_TASK,
        )
    return _STAGE_TASKS[dataset, stage]


def _share_api_with_workers() -> None:
    """Dask worker processes report their task runs to the API of this run. With a server
    (deployments) they inherit ``PREFECT_API_URL``; with the embedded temporary server of
    ``make publish`` they are given its address, or each would start a server of its own."""
    if "PREFECT_API_URL" in os.environ:
        return
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        url = str(client.api_url)
    if url.startswith("http"):
        os.environ["PREFECT_API_URL"] = url.rstrip("/")


def task_runner() -> Any:
    """Where the months run, from the settings (read when a publication starts):

    - ``OPENDATA_TASK_RUNNER=threads`` (default): in this process, ``OPENDATA_THREADS`` at a
      time (default 1: one month's memory at a time);
    - ``OPENDATA_TASK_RUNNER=dask``: on the Dask cluster at ``OPENDATA_DASK_ADDRESS``
      (``tcp://host:8786``), or on a local cluster of ``OPENDATA_DASK_WORKERS`` processes
      (default 2) started for the run. Every worker must see the raw and work folders.
    """
    kind = settings.TASK_RUNNER.get()
    if kind == "dask":
        from prefect_dask import DaskTaskRunner

        address = settings.DASK_ADDRESS.get()
        if address:
            return DaskTaskRunner(address=address)
        workers = settings.DASK_WORKERS.get()
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": ":0",
            }
        )
    if kind != "threads":
        raise ValueError(f"OPENDATA_TASK_RUNNER={kind!r}: use threads or dask")
    return ThreadPoolTaskRunner(max_workers=settings.THREADS.get())


@flow(
    name="process-months",
    flow_run_name="months-{dataset}",
    persist_result=False,
)
def process_months(dataset: str, raw_dir: str, work_dir: str) -> Collected:
    """The large source of ``dataset``: one task per delivery, then one task per month. The
    library yields each stage's calls; this flow runs them as tasks and sends back their
    results."""
    ds = registry.dataset(dataset)
    part = steps.large_part(ds)
    collected = Collected({})
    if part is None:
        return collected
    # Absolute paths: a Dask worker on another machine has another working directory.
    plan = part.stages(collected, ds, Path(raw_dir).resolve(), Path(work_dir).resolve())

    def as_tasks(stage: str, calls: list[tuple[Any, ...]]) -> list[Any]:
        futures = [stage_task(dataset, stage).submit(*call) for call in calls]
        return [future.result() for future in futures]

    steps.drive(plan, as_tasks)
    get_run_logger().info("%s: %s parts, %s", dataset, len(collected.parts), collected.processed)
    return collected


@task(name="transform-and-package", **IN_MEMORY)
def build(dataset: str, collected: Collected) -> Package:
    """Run the dataset's transform and build its package in memory."""
    return steps.build(registry.dataset(dataset), collected)


@task(
    name="write-atomically",
    **FILE_TASK,
)
def write(
    dataset: str,
    package: Package,
    published_dir: Path,
    notes: list[str] | None = None,
    inputs: list[str] | None = None,
    raw_dir: Path | None = None,
) -> Outcome:
    """Publish a new release if anything changed (swapping the folder atomically); the
    stewards whose files it first publishes are told."""
    return steps.write(registry.dataset(dataset), package, published_dir, notes, inputs, raw_dir)


def report_artifacts(dataset: str, reports: list[Report]) -> None:
    """A markdown summary and a table of errors per invalid delivery, keyed by source."""
    for report in reports:
        if report.valid:
            continue
        personal = registry.source(report.source).personal_data
        context = say("flow_not_published", dataset=markdown_literal(dataset))
        summary, rows = artifact(report, personal, context)
        key = f"validation-{report.source}"
        create_markdown_artifact(summary, key=key, description=report.source)
        create_table_artifact(rows, key=f"{key}-errors", description=report.file)


@flow(name="publish-dataset", flow_run_name="publish-{dataset}", persist_result=False)
def publish_dataset(
    dataset: str,
    raw_dir: str = "raw",
    published_dir: str = "published",
    work_dir: str | None = None,
) -> Outcome | State:
    """Validate, transform and publish one dataset."""
    logger = get_run_logger()
    collected = collect(dataset, Path(raw_dir), return_state=True).result(raise_on_failure=False)
    if not isinstance(collected, Collected):  # an error of ours or of the disk: as before
        raise collected if isinstance(collected, BaseException) else RuntimeError(collected)
    ds = registry.dataset(dataset)
    if steps.large_part(ds) is not None:
        work = work_dir or str(default_work_dir(Path(raw_dir)))
        _share_api_with_workers()
        # The task runner from the settings as they are now, not when this module was imported.
        large = process_months.with_options(task_runner=task_runner())(dataset, raw_dir, work)
        collected.absorb(large)
    if not collected.valid:
        report_artifacts(dataset, collected.reports)
        logger.error("%s", say("flow_nothing_published", dataset=dataset, why=collected.refusal()))
        return Failed(message=collected.refusal())
    notes: list[str] = []
    held = steps.holds(collected, Path(raw_dir))
    if held:
        decided = decide_holds(dataset, held, collected, raw_dir, published_dir)
        if isinstance(decided, State):
            return decided
        notes = decided
    package = build(dataset, collected)
    try:
        outcome = write(
            dataset, package, Path(published_dir), notes, sorted(collected.paths), Path(raw_dir)
        )
    except OSError as exc:  # a full disk, a read-only folder: the previous release stays
        reason = say("flow_write_failed", folder=published_dir, error=exc.strerror or exc)
        logger.error("%s: %s", dataset, reason)
        return Failed(message=reason)
    logger.info("%s: %s in %s", dataset, outcome, Path(published_dir) / dataset)
    return outcome


class HoldDecision(RunInput):
    """Publication retenue : décidez. « approve » publie la livraison retenue (la raison va
    au journal des versions) ; « reject » la met en quarantaine (la raison est gardée à côté)
    et la publication précédente reste en ligne."""

    decision: Literal["approve", "reject"] = Field(
        title=say("form_decision"),
        description=say("form_decision_help"),
    )
    reason: str = Field(
        default="",
        title=say("form_reason"),
        description=say("form_reason_help"),
    )


def decide_holds(
    dataset: str, held: list[guard.Hold], collected: Collected, raw_dir: str, published_dir: str
) -> list[str] | State:
    """Say what is held and what it would change (an artifact); then, in a deployment, pause
    for a person's decision (the UI's form or ``opendata approve``); without one, end Held.
    Returns the changelog notes when approved, or the run's final state."""
    logger = get_run_logger()
    reasons = " | ".join(h.sentence() for h in held)
    preview = steps.preview(registry.dataset(dataset), collected, Path(published_dir))
    lines = [
        say("held_title", dataset=markdown_literal(dataset)),
        "",
        say("held_intro"),
        "",
        *[f"- {markdown_literal(h.sentence())}" for h in held],
        "",
        "Ce que la publication changerait :",
        "",
        "```",
        preview,
        "```",
    ]
    create_markdown_artifact("\n".join(lines), key=f"hold-{dataset}", description=reasons)
    logger.warning("%s: publication retenue : %s", dataset, reasons)
    if runtime_deployment.id is None:
        return Completed(name="Held", message=reasons, data=f"held: {reasons}")
    wait = int(settings.HOLD_WAIT_SECONDS.get())
    answer = pause_flow_run(wait_for_input=HoldDecision, timeout=wait)
    decisions = guard.default_decisions_dir(Path(raw_dir))
    who = "Prefect UI"
    if answer.decision == "reject":
        for hold in held:
            if guard.decision(decisions, hold.source, hold.sha256) != "rejected":
                guard.reject(
                    Path(raw_dir),
                    Path(raw_dir).resolve().parent / "quarantine",
                    decisions,
                    hold,
                    answer.reason,
                    who,
                )
        message = say("held_rejected", reasons=reasons)
        logger.info("%s: %s", dataset, message)
        return Completed(name="Rejected", message=message, data=f"rejected: {reasons}")
    for hold in held:
        if guard.decision(decisions, hold.source, hold.sha256) != "approved":
            guard.record(decisions, hold, "approved", answer.reason, who)
    return steps.approval_notes(held)


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
    said = ", ".join(f"{n}: {s}" for n, s in outcome.items())
    if any(s.startswith("held") for s in outcome.values()):
        return Completed(name="Held", message=said, data=outcome)
    return Completed(message=said, data=outcome)


def run_publish(datasets: list[str], raw_dir: Path, published_dir: Path) -> dict[str, str]:
    """Run the ``publish`` flow and return each dataset's outcome."""
    state = publish(datasets, str(raw_dir), str(published_dir), return_state=True)
    outcome = state.result(raise_on_failure=False)
    if isinstance(outcome, dict):
        return outcome
    return dict.fromkeys(datasets, f"failed: {state.message}")


def resume_held(dataset: str, verdict: str, reason: str = "") -> int:
    """Resume the paused runs of ``publish-dataset/<dataset>`` with the decision taken on the
    command line; how many were resumed."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.flow_runs import resume_flow_run

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
            ),
            deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=[dataset])),
        )
    answer = {"decision": "approve" if verdict == "approve" else "reject", "reason": reason}
    for run in runs:
        resume_flow_run(run.id, run_input=answer)
    return len(runs)
