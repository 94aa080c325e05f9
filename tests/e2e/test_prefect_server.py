"""Against a real ``prefect server start`` and the project's real serving entry point."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.objects import StateType

from tests.conftest import FIXTURES, RAW
from tests.e2e.prefect_stack import BIN, Stack, running_stack
from tests.helpers import snapshot

pytestmark = pytest.mark.e2e
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with running_stack(tmp_path_factory.mktemp("city")) as running:
        yield running


def test_deployments_schedules_and_dst(stack: Stack) -> None:
    names = [
        "publish-dataset/digital-public-spaces",
        "publish-dataset/digital-training",
        "publish-dataset/startup-support",
        "publish-dataset/wifi-hotspots",
    ]
    for name in names:
        dep = stack.deployment(name)
        schedule = dep.schedules[0].schedule
        assert (schedule.cron, schedule.timezone) == ("0 6 * * *", "Europe/Paris")
        assert dep.global_concurrency_limit.limit == 1
        assert dep.concurrency_options.collision_strategy == "ENQUEUE"
    inbox = stack.deployment("process-inbox/inbox").schedules[0].schedule
    assert (inbox.cron, inbox.timezone) == ("*/10 * * * *", "Europe/Paris")
    assert stack.deployment("validate-upload/validate-upload").schedules == []

    # The server's scheduler creates the runs ahead: around the next DST change they stay at
    # 06:00 in Paris while their UTC hour moves by one.
    change = _next_dst_change(dt.datetime.now(dt.UTC).date())
    window = (
        dt.datetime.combine(change - dt.timedelta(days=4), dt.time(), dt.UTC),
        dt.datetime.combine(change + dt.timedelta(days=4), dt.time(), dt.UTC),
    )
    deadline = time.monotonic() + 90
    starts: list[dt.datetime] = []
    while time.monotonic() < deadline:
        runs = stack.runs("publish-dataset/wifi-hotspots", [StateType.SCHEDULED], window)
        starts = sorted(r.expected_start_time for r in runs)
        if len(starts) >= 8:
            break
        time.sleep(3)
    assert len(starts) == 8, (change, starts)
    assert all((s.astimezone(PARIS).hour, s.astimezone(PARIS).minute) == (6, 0) for s in starts)
    offsets = {s.astimezone(PARIS).utcoffset() for s in starts}
    assert offsets == {dt.timedelta(hours=1), dt.timedelta(hours=2)}
    for start in starts:
        expected_utc_hour = 6 - int(start.astimezone(PARIS).utcoffset().total_seconds() // 3600)
        assert start.astimezone(dt.UTC).hour == expected_utc_hour


def _next_dst_change(today: dt.date) -> dt.date:
    """The first day whose 12:00 in Paris has another UTC offset than the day before."""
    day = today + dt.timedelta(days=1)
    while True:
        noon = dt.datetime.combine(day, dt.time(12), PARIS).utcoffset()
        before = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(12), PARIS).utcoffset()
        if noon != before:
            return day
        day += dt.timedelta(days=1)


def test_a_deployment_run_completes_and_publishes(stack: Stack) -> None:
    run = stack.wait(stack.start_run("publish-dataset/digital-public-spaces").id)
    assert run.state.type == StateType.COMPLETED, run.state.message
    package = stack.root / "published" / "digital-public-spaces" / "datapackage.json"
    assert json.loads(package.read_text())["name"] == "digital-public-spaces"


def test_inbox_file_ends_published_through_the_event_trigger(stack: Stack) -> None:
    folder = stack.root / "inbox" / "startups"
    dropped = folder / "entreprises-2008-12.xlsx"
    shutil.copy(RAW / "startups" / "startups-2008-09-30.xlsx", dropped)
    old = time.time() - 60
    os.utime(dropped, (old, old))
    before = len(stack.runs("publish-dataset/startup-support", [StateType.COMPLETED]))
    intake = stack.wait(stack.start_run("process-inbox/inbox").id)
    assert intake.state.type == StateType.COMPLETED
    assert not dropped.exists()
    stored = list((stack.root / "raw" / "startups").glob("*_entreprises-2008-12.xlsx"))
    assert len(stored) == 1
    package = stack.root / "published" / "startup-support" / "datapackage.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        done = stack.runs("publish-dataset/startup-support", [StateType.COMPLETED])
        if len(done) > before and package.exists():
            break
        time.sleep(2)
    else:
        raise AssertionError("the accepted delivery did not trigger a publish")
    created = json.loads(package.read_text())["created"]
    assert created == f"{stored[0].name[:10]}T00:00:00Z"  # the new delivery is the newest


def test_opendata_submit_emits_the_event_and_says_nothing_of_prefect(stack: Stack) -> None:
    """The data team's own command: the file is stored, the event starts the publication,
    and the person sees our words only (no "EventsWorker - Still processing items")."""
    before = len(stack.runs("publish-dataset/digital-public-spaces", [StateType.COMPLETED]))
    sent = subprocess.run(
        [str(BIN / "opendata"), "submit", str(RAW / "epn-places" / "epn-2008-01-15.xlsx"),
         "--source", "epn-places", "--raw-dir", str(stack.root / "raw"),
         "--quarantine-dir", str(stack.root / "quarantine"), "--delivered-on", "2008-04-01"],
        env=stack.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    assert "EventsWorker" not in sent.stderr and "Still processing" not in sent.stderr
    deadline = time.monotonic() + 120
    while len(stack.runs("publish-dataset/digital-public-spaces", [StateType.COMPLETED])) <= before:
        assert time.monotonic() < deadline, "the accepted delivery did not trigger a publish"
        time.sleep(2)


def test_invalid_inbox_file_ends_in_quarantine_and_nothing_is_published(stack: Stack) -> None:
    folder = stack.root / "inbox" / "epn-attendance"
    dropped = folder / "frequentation-mars.csv"
    shutil.copy(FIXTURES / "epn-attendance" / "every-error.csv", dropped)
    old = time.time() - 60
    os.utime(dropped, (old, old))
    before = stack.runs("publish-dataset/digital-public-spaces")
    published = stack.root / "published" / "digital-public-spaces"
    before_files = snapshot(published)
    intake = stack.wait(stack.start_run("process-inbox/inbox").id)
    assert intake.state.type == StateType.COMPLETED
    quarantined = list((stack.root / "quarantine" / "epn-attendance").glob("*frequentation-mars*"))
    assert sorted(p.name.split("_", 2)[2] for p in quarantined) == [
        "frequentation-mars.csv",
        "frequentation-mars.csv.report.html",
        "frequentation-mars.csv.report.json",
    ]
    assert not dropped.exists()
    # Nothing to wait for when all goes well: a wrong trigger would start a run within
    # seconds (the accepted delivery's did in under 2 s above). Watch for one, failing at once.
    watch_until = time.monotonic() + 8
    while time.monotonic() < watch_until:
        assert len(stack.runs("publish-dataset/digital-public-spaces")) == len(before)
        time.sleep(1)
    assert snapshot(published) == before_files


def test_two_publishes_of_one_dataset_never_overlap(stack: Stack) -> None:
    first = stack.start_run("publish-dataset/wifi-hotspots")
    second = stack.start_run("publish-dataset/wifi-hotspots")
    runs = sorted((stack.wait(first.id), stack.wait(second.id)), key=lambda r: r.start_time)
    assert all(r.state.type == StateType.COMPLETED for r in runs)
    assert runs[0].end_time <= runs[1].start_time


def test_validate_upload_from_the_ui_leaves_its_report_as_artifacts(stack: Stack) -> None:
    path = FIXTURES / "wifi-sites" / "every-error.csv"
    run = stack.wait(
        stack.start_run(
            "validate-upload/validate-upload", {"path": str(path), "source": "wifi-sites"}
        ).id
    )
    assert run.state.type == StateType.COMPLETED

    async def artifacts(client: Any) -> Any:
        return await client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(like_="upload-wifi-sites"))
        )

    found = {a.key: a for a in stack.call(artifacts)}
    assert set(found) == {"upload-wifi-sites", "upload-wifi-sites-errors"}
    assert "every-error.csv" in found["upload-wifi-sites"].data
    table = found["upload-wifi-sites-errors"].data
    rows = json.loads(table) if isinstance(table, str) else table
    assert [(r["ligne"], r["colonne"]) for r in rows][:2] == [(3, "Code site"), (4, "Code site")]


def test_a_refused_delivery_says_why_once_without_a_traceback(stack: Stack) -> None:
    from prefect.client.schemas.filters import LogFilter, LogFilterFlowRunId

    bad = stack.root / "raw" / "startups" / "2008-12-24_dddddddddddd_entreprises.xlsx"
    shutil.copy(FIXTURES / "startups" / "every-error.xlsx", bad)
    try:
        run = stack.wait(stack.start_run("publish-dataset/startup-support").id)
    finally:
        bad.unlink()
    assert run.state.type == StateType.FAILED
    assert "n'est pas un SIREN valide" in (run.state.message or "")
    text = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "SIREN" not in text:  # logs arrive in batches
        logs = stack.call(
            lambda c: c.read_logs(
                log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[run.id]))
            )
        )
        text = "\n".join(entry.message for entry in logs)
        time.sleep(2)
    heads = [entry.message.splitlines()[0] for entry in logs if "Traceback" in entry.message]
    assert "Traceback" not in text and "unexpected exception" not in text, heads
    assert text.count("n'est pas un SIREN valide") == 1, text[-3000:]


def test_a_truncated_snapshot_through_the_intake_waits_for_a_person(stack: Stack) -> None:
    """Last of the module: it leaves a 3-site snapshot published."""
    import subprocess

    from tests.e2e.prefect_stack import BIN

    lines = (RAW / "wifi-sites" / "sites-2008-01-15.csv").read_bytes().split(b"\r\n")
    dropped = stack.root / "inbox" / "wifi-sites" / "export_test.csv"
    dropped.write_bytes(b"\r\n".join(lines[:4]) + b"\r\n")
    old = time.time() - 60
    os.utime(dropped, (old, old))
    published = stack.root / "published" / "wifi-hotspots"
    before_runs = {r.id for r in stack.runs("publish-dataset/wifi-hotspots")}
    intake = stack.wait(stack.start_run("process-inbox/inbox").id)
    assert intake.state.type == StateType.COMPLETED
    deadline = time.monotonic() + 240
    paused = []
    while time.monotonic() < deadline and not paused:
        runs = stack.runs("publish-dataset/wifi-hotspots", [StateType.PAUSED])
        paused = [r for r in runs if r.id not in before_runs]
        time.sleep(2)
    assert paused, "the delivery event did not lead to a held (paused) publication"
    before_files = snapshot(published)
    hold = stack.call(
        lambda c: c.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["hold-wifi-hotspots"]))
        )
    )
    assert hold and "retire 257 des 260 lignes" in hold[-1].data
    approve = subprocess.run(
        [str(BIN / "opendata"), "approve", "wifi-hotspots", "--raw-dir", str(stack.root / "raw")],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert approve.returncode == 0, approve.stderr
    assert "exécution(s) en pause reprise(s) : 1" in approve.stdout
    assert snapshot(published) == before_files
    done = stack.wait(paused[0].id, timeout=300)
    assert done.state.type == StateType.COMPLETED, done.state.message
    changelog = (published / "CHANGELOG.md").read_text()
    assert "publiée après validation manuelle" in changelog


def test_a_file_sent_from_the_portal_is_published_through_the_event(
    stack: Stack, tmp_path: Path
) -> None:
    """The steward's whole path on the real stack: the portal (its own uvicorn process, talking
    to the Prefect server) stores the file, emits the event, the deployment publishes, and
    "Mes dépôts" says in which version."""
    import re

    import httpx
    import openpyxl

    from opendata.contracts import registry
    from opendata.portal.accounts import Accounts

    Accounts(stack.root).add(
        "paul", "motdepasse-solide", ["startups"], False, sorted(registry.sources())
    )
    book = openpyxl.load_workbook(RAW / "startups" / "startups-2008-09-30.xlsx")
    book["Entreprises"]["A2"] = "Quadrant Logiciels SAS"  # a new delivery, one cell changed
    sent = tmp_path / "entreprises décembre.xlsx"
    book.save(sent)
    from tests.e2e.portal_process import start_portal

    portal, url = start_portal(stack.root, tmp_path / "portal.log", stack.env)
    try:
        client = httpx.Client(base_url=url, follow_redirects=True, timeout=120)

        def csrf(html: str) -> str:
            found = re.search(r'name="csrf" value="([^"]+)"', html)
            assert found, html[:300]
            return found.group(1)

        page = client.get("/connexion")
        page = client.post(
            "/connexion",
            data={"csrf": csrf(page.text), "username": "paul", "password": "motdepasse-solide"},
        )
        before = len(stack.runs("publish-dataset/startup-support", [StateType.COMPLETED]))
        report = client.post(
            "/verifier",
            data={"csrf": csrf(page.text), "source": ""},
            files={"file": (sent.name, sent.read_bytes())},
        )
        while 'data-status-url="' in report.text:
            time.sleep(0.5)
            report = client.get(report.url)
        assert "Envoyer ce fichier" in report.text, report.text[:2000]
        deposits = client.post(report.url.path + "/envoyer", data={"csrf": csrf(report.text)})
        assert "accepté" in deposits.text
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            deposits = client.get("/depots")
            if "publié dans la version" in deposits.text:
                break
            time.sleep(2)
        else:
            raise AssertionError("the sent file was not published: " + deposits.text[-1500:])
        done = stack.runs("publish-dataset/startup-support", [StateType.COMPLETED])
        assert len(done) > before  # published by the deployment the event triggered
        version = json.loads(
            (stack.root / "published" / "startup-support" / "datapackage.json").read_text()
        )["version"]
        assert f"publié dans la version {version} du jeu « startup-support »" in deposits.text
    finally:
        portal.terminate()
        portal.wait(timeout=30)
