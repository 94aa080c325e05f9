"""The JSON API (``POST /api/v1/validate`` with a bearer token) and the health probe."""

from __future__ import annotations

import asyncio
import shutil

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opendata.portal import jobs
from opendata.portal.context import Refusal, portal_of
from opendata.portal.uploads import discard_if_unreadable, receive_upload, start_check
from opendata.portal.words import WORDS, say
from opendata.report.render import as_dict


async def api_validate(request: Request) -> Response:
    """The report of one file, as JSON, for a program holding an account's token; nothing is
    kept on the server afterwards."""
    portal = portal_of(request)
    lang = "fr"
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    account = portal.accounts.by_token(token.strip()) if scheme.lower() == "bearer" else None
    if account is None:
        return JSONResponse(
            {"error": say(lang, "api_token")}, 401, headers={"www-authenticate": "Bearer"}
        )
    try:
        portal.within_quota(request, account)
        upload, fields = await receive_upload(request, portal)
        wanted = fields.get("source") or None
        version = fields.get("contractVersion") or None
        try:
            check_id, _, future = await start_check(
                request, portal, account, upload, wanted, kept=False, version=version
            )
        finally:
            await upload.close()
        try:
            await asyncio.wrap_future(future)
            await discard_if_unreadable(portal, account, check_id, lang)
            report = jobs.load_report(portal.root, check_id)
            if report is None:
                said = (jobs.read_meta(portal.root, check_id) or {}).get("reason") or {}
                raise Refusal(500, said.get(lang) or WORDS[lang]["failed"])
            return JSONResponse(as_dict(report, lang))
        finally:
            shutil.rmtree(jobs.folder(portal.root, check_id), ignore_errors=True)
    except Refusal as exc:
        return JSONResponse({"error": exc.text}, exc.status)


async def health(request: Request) -> Response:
    """200 when the portal can check files; 503 when it found a worker dead (it is
    replaced at once: the next probe says ok), so that monitoring sees it happen."""
    workers = portal_of(request).pool()
    healed = await asyncio.to_thread(workers.heal)
    answer = {"status": "workers-replaced" if healed else "ok", "replaced": workers.replaced}
    return JSONResponse(answer, 503 if healed else 200)
