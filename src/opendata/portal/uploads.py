"""Receiving a steward's file: streamed to disk under its bounds, its source recognised, its
check queued on the workers (:mod:`opendata.portal.jobs`). Used by the upload page and the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shutil
import time
from collections.abc import AsyncGenerator, Callable
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from opendata.contracts import limits, registry
from opendata.portal import jobs
from opendata.portal.accounts import Account
from opendata.portal.context import Portal, Refusal, lang_of
from opendata.portal.words import WORDS, say
from opendata.report.messages import message
from opendata.report.problems import Problem, UnreadableFile, display_name
from opendata.storage import write_with
from opendata.validate.readers import grids, recognise, xlsxguard

INLINE_BYTES = 1024 * 1024  # uploads up to this size are stored and recognised inline
SLACK = 64 * 1024  # the form's own bytes around the file
LIKENESS = 0.6  # share of a contract's labels a header must have to be proposed as that source
# Unreadable because it is another source's file: the report names the source it looks like.
WRONG_SHAPE = frozenset({"no-header", "missing-sheet", "expected-csv", "expected-excel"})


class TooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


def too_large_text(lang: str, bound: int) -> str:
    return say(lang, "too_large", size=limits.human_bytes(bound))


def disk_text(lang: str, exc: OSError, step: str) -> str:
    """Why a file could not be written on the server (full, read-only), and what to do;
    ``step`` is "check" (storing it to check it) or "store" (sending it)."""
    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    why = say(lang, "disk_full" if full else "disk_refuses")
    return say(lang, "disk_check" if step == "check" else "disk_store", why=why)


async def _bounded(request: Request, portal: Portal) -> AsyncGenerator[bytes, None]:
    """The request's body, cut off past the bound, or when a client stops sending or trickles
    (a slow-loris upload): no chunk for upload_idle_seconds, or under 8 KiB/s after a minute."""
    bound = portal.settings.max_upload_bytes
    seen, began = 0, time.monotonic()
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), portal.settings.upload_idle_seconds)
        except StopAsyncIteration:
            return
        except TimeoutError:
            raise TooSlow from None
        seen += len(chunk)
        if seen > bound + SLACK:
            raise TooLarge
        elapsed = time.monotonic() - began
        if elapsed > 60 and seen / elapsed < 8 * 1024:
            raise TooSlow
        yield chunk


async def receive_upload(request: Request, portal: Portal) -> tuple[UploadFile, dict[str, str]]:
    """The form of an upload, its file streamed to a temporary file on disk (never held
    whole in memory), refused as soon as it passes the size bound."""
    lang = lang_of(request)
    bound = portal.settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > bound + SLACK:
        raise Refusal(413, too_large_text(lang, bound))
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refusal(422, say(lang, "use_form"))
    parser = MultiPartParser(request.headers, _bounded(request, portal), max_files=1, max_fields=8)
    try:
        form = await parser.parse()
    except TooLarge:
        raise Refusal(413, too_large_text(lang, bound)) from None
    except TooSlow:
        raise Refusal(408, say(lang, "upload_slow")) from None
    except MultiPartException:  # its English detail is not shown to a steward
        raise Refusal(422, say(lang, "upload_malformed")) from None
    upload = form.get("file")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Refusal(422, say(lang, "no_file"))
    if upload.size is not None and upload.size > bound:
        raise Refusal(413, too_large_text(lang, bound))
    return upload, fields


def _refuse_a_misnamed_file(lang: str, name: str, kind: str) -> None:
    """A workbook named .csv, or text named .xlsx: said before anything is stored."""
    lowered = name.lower()
    says_excel = lowered.endswith((".xlsx", ".xls", ".xlsm"))
    says_text = lowered.endswith((".csv", ".txt", ".csv.gz", ".gz"))
    if (says_excel and kind not in ("xlsx", "xls")) or (says_text and kind in ("xlsx", "xls")):
        found = say(
            lang,
            {"xls": "kind_xlsx", "xlsx": "kind_xlsx", "gzip": "kind_gzip"}.get(kind, "kind_text"),
        )
        raise Refusal(422, say(lang, "wrong_extension", name=name, found=found))


async def start_check(
    request: Request,
    portal: Portal,
    account: Account,
    upload: UploadFile,
    wanted: str | None,
    kept: bool = True,
    version: str | None = None,
) -> tuple[str, dict[str, Any], Any]:
    """Store the upload in a new check folder, choose its source, queue its validation.
    ``kept=False`` (the API): nothing of it stays, not even a line of *Mes dépôts*."""
    lang = lang_of(request)
    name = display_name(os.path.basename(upload.filename or "fichier"))[:200]
    head = await upload.read(512 * 1024)
    await upload.seek(0)
    if not head:
        raise Refusal(422, say(lang, "empty_file", name=name))
    # A small upload (a department's workbook, in memory) is handled inline: a thread hop
    # costs more than the work; a large one goes to a thread, the loop stays free.
    small = upload.size is not None and upload.size <= INLINE_BYTES

    async def off_loop(work: Callable[..., Any], *args: Any) -> Any:
        return work(*args) if small else await asyncio.to_thread(work, *args)

    # Always off the loop: recognising a workbook reads and inflates it (a 1 MB file can
    # hold 240 MB of sheet XML), and every other steward's page waits on the loop.
    source, looks_like = await asyncio.to_thread(
        choose_source, lang, account, name, upload, head, wanted
    )
    kind = grids.sniff_format(head)
    _refuse_a_misnamed_file(lang, name, kind)
    check_id = jobs.new_id()
    meta: dict[str, Any] = {
        "id": check_id,
        "owner": account.name,
        "source": source.name,
        "name": name,
        "ext": jobs.extension(source.format),
        "created": jobs.now(),
        "created_ts": time.time(),
        "status": "queued",
        "proposed": wanted is None,
        "looks_like": looks_like[:3],  # what the header looks like, best first
        "history": kept,
        "contract_version": version,  # None: the current one, then an accepted earlier one
    }
    target = jobs.upload_path(portal.root, check_id, meta)

    def copy() -> int:
        upload.file.seek(0)
        write_with(
            target,
            lambda out: shutil.copyfileobj(upload.file, out, 1024 * 1024),
            private=True,
            durable=False,  # working state: the steward's wait counts more
        )
        return target.stat().st_size

    try:
        meta["bytes"] = await off_loop(copy)
        jobs.write_meta(portal.root, check_id, meta)
    except OSError as exc:  # a full portal/checks: said, nothing half-kept
        shutil.rmtree(jobs.folder(portal.root, check_id), ignore_errors=True)
        raise Refusal(507, disk_text(lang, exc, "check")) from None
    here = meta["bytes"] <= jobs.INLINE_CHECK_BYTES and kind != "gzip"
    lane = "small" if meta["bytes"] <= jobs.SMALL_LANE_BYTES and kind != "gzip" else "large"
    future = portal.pool().submit(portal.root, check_id, small=here, lane=lane)
    return check_id, meta, future


def choose_source(
    lang: str, account: Account, name: str, upload: UploadFile, head: bytes, wanted: str | None
) -> tuple[registry.Source, list[str]]:
    """The source chosen, or recognised from the file's header among those this account may
    check (a bomb or a broken workbook is said as such, not as "not recognised"), and the
    sources the header looks like, best first, among those the account may check (what the
    report proposes when the chosen one does not fit)."""
    every = registry.sources()
    if wanted:
        if wanted not in every:
            raise Refusal(422, say(lang, "unknown_source", name=wanted))
        if not account.may(wanted):
            raise Refusal(403, WORDS[lang]["forbidden"])
        # Chosen by hand: not recognised now (the worker reads it anyway); only a file that
        # turns out to be another source's is (see discard_if_unreadable).
        return every[wanted], []
    data, workbook = _recognisable(lang, name, upload, head, every)
    proposals = recognise.propose_sources(data, list(every.values()), guarded=workbook)
    mine = [s.name for s, _ in proposals if account.may(s.name)]
    # Proposed to the steward: only the sources whose labels the header mostly has (an EPN
    # workbook shares its address columns with the Wi-Fi sites: 44 %, not a likeness).
    alike = [s.name for s, share in proposals if account.may(s.name) and share >= LIKENESS]
    if mine:
        return every[mine[0]], alike
    if proposals:
        raise Refusal(403, say(lang, "other_source", name=name, title=proposals[0][0].title))
    raise Refusal(422, say(lang, "not_recognised", name=name))


def _recognisable(
    lang: str, name: str, upload: UploadFile, head: bytes, every: dict[str, registry.Source]
) -> tuple[bytes, bool]:
    """What recognition reads of the upload: its head, or a whole workbook (never more than a
    workbook source accepts, screened by the guard first), and whether it is a workbook."""
    if grids.sniff_format(head) not in ("xlsx", "xls"):
        return head, False
    # A workbook is read whole to find its header: never more than a workbook source accepts
    # (the sessions' 200 MB bound is for gzipped CSV, read by its head only).
    books = [s for s in every.values() if s.format == "xlsx"]
    bound = max(s.bounds().max_file_bytes for s in books)
    upload.file.seek(0)
    data = upload.file.read(bound + 1)
    if len(data) > bound:
        raise Refusal(413, too_large_text(lang, bound))
    try:
        xlsxguard.check(data, books[0].bounds())
    except UnreadableFile as exc:
        text = message(Problem(exc.kind, params=exc.params), lang)
        raise Refusal(422, say(lang, "upload_named", name=name, text=text)) from None
    return data, True


async def finish(future: Any, wait: float) -> None:
    """Wait for a check up to ``wait`` seconds (then the progress page takes over)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), wait)


async def discard_if_unreadable(portal: Portal, account: Account, check_id: str, lang: str) -> None:
    """An unreadable file is not kept: its reason is the answer (4xx). When it is another
    source's file (chosen by hand), the answer names the source its header looks like."""
    meta = jobs.read_meta(portal.root, check_id)
    if meta is None or meta.get("status") != "done" or not meta.get("unreadable"):
        return
    report = jobs.load_report(portal.root, check_id)
    text = message(report.errors[0], lang) if report and report.errors else ""
    if report and report.errors and report.errors[0].type in WRONG_SHAPE:
        path = jobs.upload_path(portal.root, check_id, meta)
        found = list(meta.get("looks_like") or [])
        if not found:
            found = await asyncio.to_thread(_look_alikes, path, account)
        alike = [n for n in found if n != meta["source"]]
        if alike:
            text += " " + say(lang, "looks_like", title=registry.source(alike[0]).title)
    shutil.rmtree(jobs.folder(portal.root, check_id), ignore_errors=True)
    raise Refusal(422, say(lang, "file_said", name=meta["name"], text=text))


def _look_alikes(path: Path, account: Account) -> list[str]:
    """The sources an upload's header mostly matches (read within the workbook bound and
    screened like any upload); none when it cannot be read."""
    every = registry.sources()
    bound = max(s.bounds().max_file_bytes for s in every.values() if s.format == "xlsx")
    try:
        with path.open("rb") as handle:
            data = handle.read(bound + 1)
        workbook = grids.sniff_format(data) in ("xlsx", "xls")
        if workbook:
            if len(data) > bound:
                return []
            xlsxguard.check(data, next(s for s in every.values() if s.format == "xlsx").bounds())
        proposals = recognise.propose_sources(data, list(every.values()), guarded=workbook)
    except (OSError, UnreadableFile):
        return []
    return [s.name for s, share in proposals if account.may(s.name) and share >= LIKENESS]
