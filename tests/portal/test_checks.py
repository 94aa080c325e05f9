"""Where a check runs: a small file while the portal is idle in the web process, everything
else in the worker processes (so that one steward's month never slows another's page)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from opendata.portal import jobs

RELEASE = threading.Event()
PARENT = "OPENDATA_TEST_PORTAL_PID"


def where(root: str, check_id: str) -> str:
    """Stands for run_check (module level: the worker processes import it too). Says which
    process ran it; in the web process it holds on until released."""
    if os.getpid() == int(os.environ[PARENT]):
        RELEASE.wait(60)
        return "here"
    return "worker"


def test_a_small_file_is_checked_here_only_while_nothing_else_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PARENT, str(os.getpid()))
    monkeypatch.setattr(jobs, "run_check", where)
    RELEASE.clear()
    workers = jobs.Workers(1)
    try:
        first = workers.submit(tmp_path, "a", small=True)
        # While it runs, another small file and a large one go to the worker process.
        assert workers.submit(tmp_path, "b", small=True).result(timeout=120) == "worker"
        assert workers.submit(tmp_path, "c").result(timeout=120) == "worker"
        assert not first.done()
        RELEASE.set()
        assert first.result(timeout=60) == "here"
        # Idle again: the next small one is checked here; a large one never is.
        assert workers.submit(tmp_path, "d", small=True).result(timeout=60) == "here"
        assert workers.submit(tmp_path, "e").result(timeout=120) == "worker"
        assert workers.busy == 0
    finally:
        RELEASE.set()
        workers.close()


def die(root: str, check_id: str) -> str:
    """Stands for run_check: the worker dies under it, as under the kernel's OOM killer."""
    import signal

    os.kill(os.getpid(), signal.SIGKILL)
    return "never"


def test_a_file_that_kills_its_worker_twice_fails_with_a_reason_and_the_pool_lives_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    check_id = jobs.new_id()
    jobs.folder(tmp_path, check_id).mkdir(parents=True)
    jobs.write_meta(tmp_path, check_id, {"id": check_id, "status": "queued"})
    monkeypatch.setenv(PARENT, str(os.getpid()))
    monkeypatch.setattr(jobs, "run_check", die)
    workers = jobs.Workers(1)
    try:
        assert workers.submit(tmp_path, check_id).result(timeout=120) == "failed"
        meta = jobs.read_meta(tmp_path, check_id)
        assert meta is not None and meta["status"] == "failed"
        assert meta["reason"] == jobs.WORKER_DIED  # said in French and English
        assert workers.replaced == 2  # one new pool for each death
        monkeypatch.setattr(jobs, "run_check", where)
        assert workers.submit(tmp_path, "b").result(timeout=120) == "worker"
        assert workers.healthy() and workers.busy == 0
    finally:
        workers.close()


def test_a_header_written_as_a_formula_stays_text_in_the_errors_sheet(tmp_path: Path) -> None:
    import io

    from openpyxl import load_workbook

    from opendata.contracts import registry
    from opendata.portal import workbooks
    from opendata.report.problems import Problem, Report
    from tests.conftest import RAW

    source = registry.source("wifi-sites")
    report = Report("wifi-sites", "sites.csv", rows=3)
    report.problems.append(Problem("missing-label", label="=Code site", params={}))
    report.problems.append(Problem("constraint-error", row=2, label="=HYPERLINK(1)", params={}))
    data = workbooks.annotated_copy(RAW / "wifi-sites" / "sites-2008-01-15.csv", source, report)
    listing = load_workbook(io.BytesIO(data))[workbooks.ERRORS_SHEET]
    cells = [listing.cell(row=r, column=3) for r in range(2, listing.max_row + 1)]
    assert [c.data_type for c in cells] == ["s", "s"]  # text, never a formula
    assert {c.value for c in cells} == {"'=Code site", "'=HYPERLINK(1)"}
