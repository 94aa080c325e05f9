"""Checking a file: the upload page, choosing another source, and the progress of a check."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from opendata.contracts import limits, registry
from opendata.portal import jobs
from opendata.portal.accounts import Account
from opendata.portal.context import Portal, Refusal, lang_of, login_required, paris_time
from opendata.portal.security import SECURITY_HEADERS
from opendata.portal.uploads import discard_if_unreadable, finish, receive_upload, start_check
from opendata.portal.words import WORDS, say


def limits_text(lang: str, upload_bound: int) -> str:
    """The size bounds a steward meets, per kind of file (a workbook is read whole)."""
    every = registry.sources().values()
    book = max(s.bounds().max_file_bytes for s in every if s.format == "xlsx")
    other = min(upload_bound, max(s.bounds().max_file_bytes for s in every))
    return say(lang, "limits", book=limits.human_bytes(book), other=limits.human_bytes(other))


@login_required
async def home(request: Request, portal: Portal, account: Account) -> Response:
    return _check_page(request, portal, account)


def _check_page(
    request: Request,
    portal: Portal,
    account: Account,
    refusal: Refusal | None = None,
    chosen: str | None = None,
) -> Response:
    """The upload form; after a refused file, the reason above it and the source the
    steward had chosen still chosen (they send the corrected file at once)."""
    recent = [m for m in portal.checks_of(account) if not m.get("expired")][:10]
    return portal.page(
        request,
        "check.html",
        refusal.status if refusal else 200,
        sources=portal.allowed_sources(account),
        limit=limits_text(lang_of(request), portal.settings.max_upload_bytes),
        recent=recent,
        when={m["id"]: paris_time(m.get("created")) for m in recent},
        titles={s.name: s.title for s in registry.sources().values()},
        refusal=refusal.text if refusal else "",
        chosen=chosen or "",
    )


@login_required
async def check(request: Request, portal: Portal, account: Account) -> Response:
    portal.within_quota(request, account)
    upload, fields = await receive_upload(request, portal)
    portal.check_csrf(request, fields.get("csrf"))
    wanted = fields.get("source") or None
    try:
        try:
            check_id, _, future = await start_check(request, portal, account, upload, wanted)
        finally:
            await upload.close()
        await finish(future, portal.settings.wait_seconds)
        await discard_if_unreadable(portal, account, check_id, lang_of(request))
    except Refusal as exc:
        return _check_page(request, portal, account, exc, wanted)
    return RedirectResponse(f"/rapports/{check_id}", 303)


@login_required
async def recheck(request: Request, portal: Portal, account: Account) -> Response:
    """The same upload checked against another source (chosen by the steward)."""
    check_id, meta = portal.owned_check(request, account)
    form = await request.form(max_files=0, max_fields=4)
    portal.check_csrf(request, form.get("csrf"))
    wanted = str(form.get("source", ""))
    version = str(form.get("version", "")) or None
    lang = lang_of(request)
    if wanted not in registry.sources():
        raise Refusal(422, say(lang, "choose_source"))
    if not account.may(wanted):
        raise Refusal(403, WORDS[lang]["forbidden"])
    old = jobs.upload_path(portal.root, check_id, meta)
    if not old.exists() or meta.get("sent"):
        raise Refusal(410, WORDS[lang]["upload_gone"])
    source = registry.source(wanted)
    new_id = jobs.new_id()
    new_meta = {
        **{k: meta[k] for k in ("name", "bytes")},
        "id": new_id,
        "owner": account.name,
        "source": wanted,
        "ext": jobs.extension(source.format),
        "created": jobs.now(),
        "created_ts": time.time(),
        "status": "queued",
        "proposed": False,
        "contract_version": version,
    }
    target = jobs.upload_path(portal.root, new_id, new_meta)
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    await asyncio.to_thread(shutil.copyfile, old, target)
    os.chmod(target, 0o600)
    jobs.write_meta(portal.root, new_id, new_meta)
    future = portal.pool().submit(portal.root, new_id)
    await finish(future, portal.settings.wait_seconds)
    await discard_if_unreadable(portal, account, new_id, lang)
    return RedirectResponse(f"/rapports/{new_id}", 303)


def progress(meta: dict[str, Any], lang: str) -> dict[str, Any]:
    """Where a check stands, as the progress page and its status address say it."""
    status = meta.get("status")
    waiting = status in ("queued", "running")
    since = meta.get("started_ts") or meta.get("created_ts") or time.time()
    return {
        "status": status if waiting else "done",
        "text": WORDS[lang]["running" if status == "running" else "queued"] if waiting else "",
        "seconds": max(0, int(time.time() - float(since))),
    }


@login_required
async def report_status(request: Request, portal: Portal, account: Account) -> Response:
    """The progress page's script asks here every two seconds, rather than reloading the
    page (a page reloading itself makes a screen reader start it again each time)."""
    _, meta = portal.owned_check(request, account)
    return JSONResponse(progress(meta, lang_of(request)), headers=SECURITY_HEADERS)
