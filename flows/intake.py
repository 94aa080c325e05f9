"""Flows for stewards' files: process the inbox, and validate one upload from the Prefect UI."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event
from prefect.states import Failed, State

from flows import logs
from opendata import intake
from opendata.contracts import registry
from opendata.report.messages import message
from opendata.report.operations import say
from opendata.report.problems import Report
from opendata.report.render import artifact, markdown_literal

ACCEPTED_EVENT = "opendata.delivery.accepted"

logs.install()


def emit_accepted(receipt: intake.Receipt) -> None:
    """Tell Prefect a delivery was stored: the deployment of the dataset it feeds listens."""
    source = registry.source(receipt.source)
    emit_event(
        event=ACCEPTED_EVENT,
        resource={
            "prefect.resource.id": f"opendata.source.{source.name}",
            "prefect.resource.name": source.name,
            "opendata.dataset": source.dataset,
        },
        payload={"file": receipt.stored.name if receipt.stored else "", "sha256": receipt.sha256},
    )


def announce(receipt: intake.Receipt, drain: bool = False) -> None:
    """What the command line and the portal are handed to tell Prefect of an accepted
    delivery: nothing without a Prefect server (``PREFECT_API_URL``: the schedule publishes
    it anyway). ``drain`` (a command about to exit) sends the event now, not at exit:
    Prefect's events worker otherwise drains at interpreter exit and prints "EventsWorker -
    Still processing items..." to a person who did nothing wrong."""
    if receipt.status != "accepted" or not os.environ.get("PREFECT_API_URL"):
        return
    emit_accepted(receipt)
    if drain:
        logging.getLogger("EventsWorker").setLevel(logging.ERROR)
        from prefect.events.worker import EventsWorker

        EventsWorker.drain_all(timeout=30, at_exit=False)


@flow(name="process-inbox", persist_result=False)
def process_inbox(
    inbox: str = "inbox",
    raw_dir: str = "raw",
    quarantine_dir: str = "quarantine",
    settle_seconds: float = 2.0,
) -> dict[str, int] | State:
    """Validate and store every file dropped in ``inbox/<source>/``; say what was done, even
    "nothing to do". Misplaced files end the run Failed: a person must move them."""
    logger = get_run_logger()
    receipts = intake.process_inbox(
        Path(inbox),
        Path(raw_dir),
        Path(quarantine_dir),
        emit_accepted,
        settle_seconds=settle_seconds,
    )
    for receipt in receipts:
        record = intake.as_record(receipt)
        line = f"{record['source'] or '-'} : {record['statut']} {record['fichier']}"
        extra = record["raison"] or record[say("record_stored")]
        logger.info("%s%s", line, f" ({extra})" if extra else "")
    counts = intake.receipts_summary(receipts)
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n) or say("intake_nothing")
    logger.info("%s", say("intake_summary", summary=summary))
    if receipts:
        create_table_artifact(
            [intake.as_record(r) for r in receipts],
            key="inbox-pass",
            description=say("intake_artifact", summary=summary),
        )
    misplaced = [r for r in receipts if r.status in ("misplaced", "refused")]
    if misplaced:
        names = ", ".join(markdown_literal(r.name) for r in misplaced)
        return Failed(message=say("intake_misplaced", names=names), data=counts)
    return counts


def upload_artifacts(report: Report) -> None:
    """A markdown summary and a table of findings, keyed by source so the UI keeps history."""
    personal = registry.source(report.source).personal_data
    summary, rows = artifact(report, personal, warnings=True)
    key = f"upload-{report.source}"
    create_markdown_artifact(summary, key=key, description=report.source)
    create_table_artifact(rows, key=f"{key}-errors", description=report.source)


@flow(name="validate-upload", persist_result=False)
def validate_upload(path: str, source: str, raw_dir: str = "raw") -> dict[str, object] | State:
    """Check one file against its source's contract; the report becomes artifacts. An unknown
    source or a file that cannot be read ends the run Failed, with the reason in French."""
    from opendata.validate.file import validate_file

    logger = get_run_logger()
    known = registry.sources()
    if source not in known:
        reason = say("unknown_source", source=source, known=", ".join(sorted(known)))
        logger.error(reason)
        return Failed(message=reason)
    report = validate_file(Path(path), known[source], Path(raw_dir)).report
    upload_artifacts(report)
    outcome: dict[str, object] = {
        "valid": report.valid,
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }
    if report.unreadable:
        reason = f"{Path(path).name} : {message(report.errors[0], 'fr')}"
        logger.error(reason)
        return Failed(message=reason, data=outcome)
    return outcome
