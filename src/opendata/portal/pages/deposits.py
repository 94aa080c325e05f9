"""Sending a checked file to the City, and *Mes dépôts*: what became of each file sent."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from opendata import intake
from opendata.contracts import registry
from opendata.portal import jobs
from opendata.portal.accounts import Account
from opendata.portal.context import Portal, Refusal, lang_of, login_required, paris_time
from opendata.portal.uploads import disk_text
from opendata.portal.words import WORDS


@login_required
async def send(request: Request, portal: Portal, account: Account) -> Response:
    check_id, meta = portal.owned_check(request, account)
    form = await request.form(max_files=0, max_fields=2)
    portal.check_csrf(request, form.get("csrf"))
    lang = lang_of(request)
    if not account.may(meta["source"]):
        raise Refusal(403, WORDS[lang]["forbidden"])
    meta = jobs.read_meta(portal.root, check_id) or meta  # as it is now, after the form
    if meta.get("sent"):
        return RedirectResponse("/depots", 303)
    report = jobs.load_report(portal.root, check_id)
    path = jobs.upload_path(portal.root, check_id, meta)
    if report is None or not report.valid:
        raise Refusal(409, WORDS[lang]["next_invalid"])
    if not path.exists():
        if (jobs.read_meta(portal.root, check_id) or {}).get("sent"):
            return RedirectResponse("/depots", 303)  # a first click sent it meanwhile
        raise Refusal(410, WORDS[lang]["upload_gone"])
    with portal.sending_lock:  # a double click: the first send answers for both
        if check_id in portal.sending or (jobs.read_meta(portal.root, check_id) or {}).get("sent"):
            return RedirectResponse("/depots", 303)
        portal.sending.add(check_id)
    try:
        receipt = await asyncio.to_thread(submit, portal, path, meta)
        jobs.update_meta(
            portal.root,
            check_id,
            sent={
                "status": receipt.status,
                "stored": receipt.stored.name if receipt.stored else "",
                "at": jobs.now(),
                "by": account.name,
            },
        )
    except OSError as exc:  # a full or read-only raw/: the upload stays, to send again
        raise Refusal(507, disk_text(lang, exc, "store")) from None
    finally:  # only once the send is written down: a second click then finds it sent
        portal.sending.discard(check_id)
    path.unlink(missing_ok=True)  # the city's copy is under raw/ (or quarantine/) now
    return RedirectResponse("/depots", 303)


def submit(portal: Portal, path: Path, meta: dict[str, Any]) -> intake.Receipt:
    """Hand the file to the intake, with the check's report of these very bytes under this
    very contract: a month is not validated a second time in the web process."""
    source = registry.source(meta["source"])
    report = jobs.load_report(portal.root, meta["id"])
    checked = None
    if report is not None and meta.get("sha256") and meta.get("fingerprint"):
        checked = intake.Checked(meta["sha256"], meta["fingerprint"], report)
    root = portal.root
    receipt, _ = intake.submit(
        path, source, root / "raw", root / "quarantine", name=meta["name"], checked=checked
    )
    announce = portal.settings.announce
    if receipt.status == "accepted" and announce is not None:
        # The file is stored: if the announcement fails, the schedule publishes it anyway.
        with contextlib.suppress(Exception):
            announce(receipt)
    return receipt


@login_required
async def deposits(request: Request, portal: Portal, account: Account) -> Response:
    t = WORDS[lang_of(request)]
    rows = []
    for meta in portal.checks_of(account):
        sent = meta.get("sent")
        if not sent:
            continue
        source = registry.source(meta["source"])
        status = sent["status"]
        text = t.get(f"st_{status}", status)
        published = None
        if status in ("accepted", "duplicate") and sent.get("stored"):
            version = _published_version(portal, source, sent["stored"])
            if version:
                published = version
                text = t["st_published"].format(version=version, dataset=source.dataset)
            else:
                text = _decision_text(portal, source, sent["stored"], t) or text
        rows.append(
            {
                "meta": meta,
                "title": source.title,
                "status": status,
                "published": published,
                "text": text,
                "sent_at": paris_time(sent.get("at")),
            }
        )
    return portal.page(request, "deposits.html", rows=rows)


def _decision_text(
    portal: Portal, source: registry.Source, stored: str, t: dict[str, str]
) -> str | None:
    """A delivery the guard held: waiting for the data team, or decided (with why)."""
    from opendata.publish import guard

    prefix = stored.split("_")[1] if stored.count("_") >= 2 else ""
    found = guard.state(guard.default_decisions_dir(portal.root / "raw"), source.name, prefix)
    if found is None or found[0] == "approved":
        return None
    kind, reasons = found
    return t[f"st_{kind}"].format(reasons=" ; ".join(reasons) or "—")


def _published_version(portal: Portal, source: registry.Source, stored: str) -> str | None:
    from opendata.publish.steps import published_in

    return published_in(portal.root / "published", source.dataset, f"{source.name}/{stored}")
