"""The files stewards check in the portal: stored, validated in worker processes, reported.

A check lives in ``<root>/portal/checks/<id>/`` (owner-only): ``meta.json`` (who, which source,
the file's name as given, its status), ``upload.<ext>`` (the file; its name is never the
steward's), ``report.json`` (every finding, both languages can be rendered from it) and
``preview.json`` (the failing rows, identity columns of personal data masked). The upload is
deleted after a retention period unless it was sent; the report stays (for personal data it
goes with the upload: its cells are personal).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TypeVar

from opendata import settings
from opendata.contracts import registry
from opendata.portal import history
from opendata.portal.preview import failing_rows
from opendata.report.problems import Report
from opendata.storage import sha256_of, write_file

T = TypeVar("T")
# A corrected copy loads the whole workbook (styles and all): offered up to this many cells
# (10,000 rows of 25 columns); beyond, `opendata fix` on the steward's own machine.
REPAIR_CELLS = 250_000
INLINE_CHECK_BYTES = 256 * 1024  # a small file may be checked in the web process (see Workers)
SMALL_LANE_BYTES = 2 * 1024 * 1024  # not gzipped: a department's file, checked in a second
_ID_BYTES = 18
ID_LENGTH = 24  # token_urlsafe(18)


def checks_dir(root: Path) -> Path:
    return root / "portal" / "checks"


def new_id() -> str:
    """An unguessable check id (the report's address)."""
    return secrets.token_urlsafe(_ID_BYTES)


def valid_id(check_id: str) -> bool:
    """True for the shape of an id we made (never a path)."""
    return len(check_id) == ID_LENGTH and all(c.isalnum() or c in "-_" for c in check_id)


def extension(source_format: str) -> str:
    return {"xlsx": ".xlsx", "csv.gz": ".csv.gz", "csv": ".csv"}.get(source_format, ".bin")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def folder(root: Path, check_id: str) -> Path:
    return checks_dir(root) / check_id


def kept_dir(root: Path, check_id: str) -> Path:
    """Where a check keeps its validation for sending (named ``upload…``: it goes with the
    upload when the check expires, and once the intake has taken it)."""
    return folder(root, check_id) / "upload-validation"


def upload_path(root: Path, check_id: str, meta: dict[str, Any]) -> Path:
    return folder(root, check_id) / f"upload{meta['ext']}"


def read_meta(root: Path, check_id: str) -> dict[str, Any] | None:
    if not valid_id(check_id):
        return None
    try:
        data: dict[str, Any] = json.loads((folder(root, check_id) / "meta.json").read_text())
    except (FileNotFoundError, NotADirectoryError, json.JSONDecodeError):
        return None
    return data


def _write(path: Path, data: bytes) -> None:
    """Replace a check's file atomically (owner-only). Not flushed to the disk: a check is
    working state, redone if a power cut loses it; the steward's wait is what counts here."""
    write_file(path, data, private=True, durable=False)


def write_meta(root: Path, check_id: str, meta: dict[str, Any]) -> None:
    _write(folder(root, check_id) / "meta.json", json.dumps(meta).encode())


def update_meta(root: Path, check_id: str, **changes: Any) -> dict[str, Any]:
    meta = read_meta(root, check_id) or {}
    meta.update(changes)
    write_meta(root, check_id, meta)
    return meta


def load_report(root: Path, check_id: str) -> Report | None:
    try:
        data = json.loads((folder(root, check_id) / "report.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    return Report.from_state(data)


def load_preview(root: Path, check_id: str) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(
            (folder(root, check_id) / "preview.json").read_text(encoding="utf-8")
        )
    except FileNotFoundError:
        return None
    return data


def run_check(root_text: str, check_id: str) -> str:
    """Validate a stored upload and write its report (in a worker process). Returns the
    status. Never raises: a defect of ours becomes a failed check the page explains."""
    root = Path(root_text)
    meta = read_meta(root, check_id)
    if meta is None:
        return "missing"
    started = time.monotonic()
    update_meta(root, check_id, status="running", started=now(), started_ts=time.time())
    try:
        from opendata.publish.compare import before_sending
        from opendata.validate import remembered
        from opendata.validate.file import validate_file

        source = registry.source(meta["source"])
        path = upload_path(root, check_id, meta)
        version = meta.get("contract_version")
        # What the validation is of (the bytes, the contract, the referenced deliveries):
        # sending reuses it, and the publication after it, while that key holds.
        sha256 = sha256_of(path)
        key = remembered.key(sha256, source, root / "raw", version)
        update_meta(root, check_id, sha256=sha256, key=key)
        validation = validate_file(path, source, root / "raw", version)
        if validation.report.valid:  # what sending takes (an invalid file is not sent)
            remembered.save(kept_dir(root, check_id), source.name, key, validation)
        report = Report.from_state(validation.report.to_state())  # the kept one stays as made
        report.file = meta["name"]
        report.comparison = before_sending(validation, source, root / "raw", root / "published")
        _write(
            folder(root, check_id) / "report.json",
            json.dumps(report.to_state(), ensure_ascii=False).encode("utf-8"),
        )
        if not report.valid and not report.unreadable and validation.rows:
            data = failing_rows(report, validation.text, validation.rows, source.name)
            _write(
                folder(root, check_id) / "preview.json",
                json.dumps(data, ensure_ascii=False).encode("utf-8"),
            )
        status = "done"
        update_meta(
            root,
            check_id,
            corrections=_certain_corrections(path, source, validation),
            status=status,
            finished=now(),
            seconds=round(time.monotonic() - started, 3),
            valid=report.valid,
            unreadable=report.unreadable,
            rows=report.rows,
        )
    except Exception as exc:  # a defect of ours: the page says so, without the file's cells
        status = "failed"
        update_meta(root, check_id, status=status, error=type(exc).__name__, finished=now())
        report = None
    _remember(root, meta, report)
    return status


def _certain_corrections(path: Path, source: registry.Source, validation: Any) -> int:
    """How many cells a corrected copy would change (0 when none, or no copy of this kind)."""
    report = validation.report
    if report.valid or report.unreadable or source.engine == "arrow" or report.profile:
        return 0
    if report.rows * len(source.labels) > REPAIR_CELLS:  # a whole workbook in memory: no
        return 0
    from opendata.repair.copy import count

    try:
        return count(path, source, validation)
    except Exception:  # the copy is a help: the report stands without it
        return 0


def _remember(root: Path, meta: dict[str, Any], report: Report | None) -> None:
    """A line of the account's history (*Mes dépôts*): kept after the check is deleted."""
    if not meta.get("history", True):
        return
    personal = registry.source(meta["source"]).personal_data
    verdict = "failed" if report is None else "valid" if report.valid else "invalid"
    if report is not None and report.unreadable:
        verdict = "unreadable"
    with contextlib.suppress(OSError):  # a full disk: the check itself is what matters
        history.append(
            root,
            meta["owner"],
            id=meta["id"],
            kind="checked",
            source=meta["source"],
            name=None if personal else meta["name"],
            verdict=verdict,
            rows=report.rows if report else 0,
            errors=(len(report.errors) + report.omitted) if report else 0,
        )


def _die_with_parent() -> None:
    """In each worker: the kernel sends SIGTERM when the portal process goes, however it goes
    (a worker must never outlive the portal, holding its files and a terminal's pipes)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG


def warm() -> bool:
    """Import the validator (the first steward should not wait for imports)."""
    import opendata.validate.file  # noqa: F401

    return True


WORKER_DIED = {
    "fr": "Le processus qui vérifiait ce fichier s'est arrêté (manque de mémoire sur le "
    "serveur ?) : il a été remplacé, mais ce fichier l'a arrêté deux fois. Vérifiez-le à "
    "nouveau plus tard ; si cela se reproduit, prévenez l'équipe données.",
    "en": "The process checking this file stopped (out of memory on the server?): it was "
    "replaced, but this file stopped it twice. Check it again later; if it happens again, "
    "tell the data team.",
}


class Workers:
    """The processes that validate uploads: the web process stays free for other stewards
    while a 1.2-million-row month is checked.

    A small file (a department's workbook or CSV, at most :data:`INLINE_CHECK_BYTES`, not
    gzipped) that arrives while nothing else is being checked is validated in this process, in
    one thread: for the sample EPN workbook the hop to a worker and waking it cost about 5 of
    the 27 ms a steward waited (measured with ``bench/portal_latency.py``). As soon as another
    check is queued or running, every check goes to the worker processes, so the web process
    never holds more than one small check.

    A worker that dies (the kernel's OOM killer, a native abort) breaks Python's process pool
    for every check in it and every later one: the pool is replaced at once, each check it held
    is submitted again, and a check that was in a broken pool twice ends failed with
    :data:`WORKER_DIED` (its upload then expires like any other)."""

    ATTEMPTS = 2

    def __init__(self, count: int) -> None:
        # Two lanes, so that a small check never waits behind many large ones of others
        # (during 20 month checks another steward's 20 KB file waited 9.1 s): "large" has
        # ``count`` processes, "small" one of its own for files of at most SMALL_LANE_BYTES.
        self.sizes = {"large": count, "small": 1}
        # Every worker process is started from this one long-lived thread: a worker asks the
        # kernel for SIGTERM when the *thread* that started it ends (PR_SET_PDEATHSIG), and a
        # replacement started from a dying thread (a broken pool's manager) was killed at once.
        self.spawner = ThreadPoolExecutor(1, thread_name_prefix="worker-spawner")
        self.pools = {
            lane: self._spawned(self._new_pool, size) for lane, size in self.sizes.items()
        }
        self.inline = ThreadPoolExecutor(1, thread_name_prefix="small-check")
        self.busy = 0  # checks queued or running, on either path
        self.replaced = 0  # pools replaced after a worker died
        self.lock = threading.Lock()

    @property
    def pool(self) -> ProcessPoolExecutor:
        """The large files' pool."""
        return self.pools["large"]

    def _spawned(self, call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` run in the spawner thread (anything that may start a process)."""
        return self.spawner.submit(call, *args).result()

    @staticmethod
    def _new_pool(size: int) -> ProcessPoolExecutor:
        pool = ProcessPoolExecutor(
            max_workers=size, mp_context=get_context("spawn"), initializer=_die_with_parent
        )
        for _ in range(size):
            pool.submit(warm)
        return pool

    def submit(
        self, root: Path, check_id: str, small: bool = False, lane: str = "large"
    ) -> Future[str]:
        """Check ``check_id``: here when ``small`` and nothing else runs, else in ``lane``."""
        with self.lock:
            here = small and self.busy == 0
            self.busy += 1
        outer: Future[str] = Future()
        outer.add_done_callback(self._done)
        if here:
            self._chain(self.inline.submit(run_check, str(root), check_id), outer)
        else:
            self._to_pool(lane, root, check_id, outer, 1)
        return outer

    def _to_pool(
        self, lane: str, root: Path, check_id: str, outer: Future[str], attempt: int
    ) -> None:
        with self.lock:
            pool = self.pools[lane]
        try:
            inner = self._spawned(pool.submit, run_check, str(root), check_id)
        except BrokenProcessPool:
            self._replace(lane, pool)
            self._to_pool(lane, root, check_id, outer, attempt)
            return
        except RuntimeError:  # shut down: the portal is stopping
            outer.set_result("stopped")
            return

        def landed(done: Future[str]) -> None:
            error = done.exception() if not done.cancelled() else None
            if not isinstance(error, BrokenProcessPool):
                self._chain(done, outer)
                return
            self._replace(lane, pool)
            if attempt < self.ATTEMPTS:
                update_meta(root, check_id, status="queued")
                self._to_pool(lane, root, check_id, outer, attempt + 1)
                return
            update_meta(root, check_id, status="failed", error="WorkerDied", reason=WORKER_DIED)
            outer.set_result("failed")

        inner.add_done_callback(landed)

    def _replace(self, lane: str, broken: ProcessPoolExecutor) -> None:
        """A new pool for the broken one (once, however many checks saw it break)."""
        with self.lock:
            if self.pools[lane] is not broken:
                return
            self.pools[lane] = self._spawned(self._new_pool, self.sizes[lane])
            self.replaced += 1
        broken.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _chain(inner: Future[str], outer: Future[str]) -> None:
        def copy(done: Future[str]) -> None:
            if done.cancelled():
                outer.cancel()
            elif done.exception() is not None:
                outer.set_exception(done.exception())
            else:
                outer.set_result(done.result())

        inner.add_done_callback(copy)

    def _done(self, _: Future[str]) -> None:
        with self.lock:
            self.busy -= 1

    @staticmethod
    def _alive(pool: ProcessPoolExecutor) -> bool:
        if getattr(pool, "_broken", False):
            return False
        processes = getattr(pool, "_processes", None) or {}
        return all(process.is_alive() for process in list(processes.values()))

    def healthy(self) -> bool:
        """Whether every worker process of every lane is alive (a dead one is replaced when
        a check next meets it, or by :meth:`heal`)."""
        with self.lock:
            pools = list(self.pools.values())
        return all(self._alive(pool) for pool in pools)

    def heal(self) -> bool:
        """Replace the pools whose worker died while idle; whether one was replaced."""
        with self.lock:
            dead = [(lane, pool) for lane, pool in self.pools.items() if not self._alive(pool)]
        for lane, pool in dead:
            self._replace(lane, pool)
        return bool(dead)

    def close(self) -> None:
        """Stop at once: a check still running is marked failed by nobody, its page says to
        check again (its folder has no report)."""
        with self.lock:
            pools = list(self.pools.values())
        processes = [p for pool in pools for p in getattr(pool, "_processes", {}).values()]
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)
        self.inline.shutdown(wait=False, cancel_futures=True)
        self.spawner.shutdown(wait=False)
        for process in processes:
            with contextlib.suppress(Exception):
                process.terminate()
        for process in processes:
            with contextlib.suppress(Exception):
                process.join(timeout=10)


def interrupted(root: Path) -> list[str]:
    """Checks left queued or running by a portal that stopped: to be validated again."""
    base = checks_dir(root)
    found = []
    if base.is_dir():
        for entry in sorted(base.iterdir()):
            meta = read_meta(root, entry.name)
            waiting = meta is not None and meta.get("status") in ("queued", "running")
            if waiting and meta and upload_path(root, entry.name, meta).exists():
                found.append(entry.name)
    return found


def retention_seconds(personal: bool) -> int:
    """How long an upload that was not sent is kept: ``OPENDATA_PORTAL_RETENTION_HOURS``
    (default 24), ``OPENDATA_PORTAL_PERSONAL_RETENTION_MINUTES`` for personal data (15)."""
    if personal:
        return int(settings.PORTAL_PERSONAL_RETENTION_MINUTES.get() * 60)
    return int(settings.PORTAL_RETENTION_HOURS.get() * 3600)


def report_retention_seconds() -> int:
    """How long what is left of a check that was never sent (its report, its meta) is kept:
    ``OPENDATA_PORTAL_REPORT_RETENTION_DAYS`` (default 30)."""
    return int(settings.PORTAL_REPORT_RETENTION_DAYS.get() * 86400)


def sweep(root: Path, clock: float | None = None) -> list[str]:
    """Delete the uploads past their retention that were not sent (and, for personal data,
    their reports, previews and file names too), then, past the report retention, whatever
    is left of a check never sent; the ids swept."""
    base = checks_dir(root)
    if not base.is_dir():
        return []
    moment = time.time() if clock is None else clock
    swept = []
    for entry in sorted(base.iterdir()):
        meta = read_meta(root, entry.name)
        if meta is None or meta.get("sent"):
            continue
        age = moment - float(meta.get("created_ts", moment))
        if meta.get("expired"):
            if age >= report_retention_seconds():
                shutil.rmtree(entry, ignore_errors=True)
                swept.append(entry.name)
            continue
        personal = registry.source(meta["source"]).personal_data
        if age < retention_seconds(personal):
            continue
        if meta.get("status") in ("queued", "running"):
            continue
        for name in os.listdir(entry):
            if name.startswith("upload") or (personal and name != "meta.json"):
                path = entry / name
                if path.is_dir():
                    shutil.rmtree(path)
                else:
                    path.unlink(missing_ok=True)
        # A trainee file's name can hold a person's name: it goes with the file.
        update_meta(root, entry.name, expired=now(), **({"name": ""} if personal else {}))
        swept.append(entry.name)
    return swept
