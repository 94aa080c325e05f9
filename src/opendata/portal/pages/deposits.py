"""Sending a checked file to the City, and *Mes dépôts*: what became of each file sent."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from opendata import intake, notify
from opendata.contracts import registry
from opendata.portal import history, jobs
from opendata.portal.accounts import Account
from opendata.portal.context import Portal, Refusal, lang_of, login_required, paris_time
from opendata.portal.uploads import disk_text
from opendata.portal.words import WORDS, say
from opendata.publish import guard


@login_required
async def send(request: Request, portal: Portal, account: Account) -> Response:
    check_id, meta = portal.owned_check(request, account)
    form = await request.form(max_files=0, max_fields=3, max_part_size=16 * 1024)
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
    note = guard.clean_note(str(form.get("note") or ""))
    if report.comparison and report.comparison.get("wouldHold") and not note:
        raise Refusal(422, WORDS[lang]["note_missing"])
    if not path.exists():
        if (jobs.read_meta(portal.root, check_id) or {}).get("sent"):
            return RedirectResponse("/depots", 303)  # a first click sent it meanwhile
        raise Refusal(410, WORDS[lang]["upload_gone"])
    with portal.sending_lock:  # a double click: the first send answers for both
        if check_id in portal.sending or (jobs.read_meta(portal.root, check_id) or {}).get("sent"):
            return RedirectResponse("/depots", 303)
        portal.sending.add(check_id)
    try:
        if note and meta.get("sha256"):  # kept with the delivery, for whoever decides on it
            decisions = guard.default_decisions_dir(portal.root / "raw")
            await asyncio.to_thread(
                guard.write_note, decisions, meta["source"], meta["sha256"], note, account.name
            )
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
        if receipt.status == "accepted" and receipt.stored is not None:
            _tell_accepted(portal, account, meta, receipt.stored.name)
        with contextlib.suppress(OSError):
            history.append(
                portal.root,
                account.name,
                id=check_id,
                kind="sent",
                name=meta["name"],
                status=receipt.status,
                stored=receipt.stored.name if receipt.stored else "",
            )
    except OSError as exc:  # a full or read-only raw/: the upload stays, to send again
        raise Refusal(507, disk_text(lang, exc, "store")) from None
    finally:  # only once the send is written down: a second click then finds it sent
        portal.sending.discard(check_id)
    path.unlink(missing_ok=True)  # the city's copy is under raw/ (or quarantine/) now
    shutil.rmtree(jobs.kept_dir(portal.root, check_id), ignore_errors=True)  # and its cells
    return RedirectResponse("/depots", 303)


def _tell_accepted(portal: Portal, account: Account, meta: dict[str, Any], stored: str) -> None:
    """Note who sent the stored file (the publication tells them what becomes of it) and,
    in the background, e-mail them that it arrived: the steward's page never waits on mail."""
    source = registry.source(meta["source"])
    with contextlib.suppress(OSError):
        notify.record_sender(
            portal.root / "raw", source.name, stored, account.name, account.email, meta["name"]
        )
    if account.email and notify.configured():
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, notify.accepted, account.email, source.title, meta["name"])


def submit(portal: Portal, path: Path, meta: dict[str, Any]) -> intake.Receipt:
    """Hand the file to the intake with the check's validation and its key (the bytes, the
    contract, the referenced deliveries): while the key holds, nothing is validated again, in
    the web process or in the publication."""
    source = registry.source(meta["source"])
    report = jobs.load_report(portal.root, meta["id"])
    checked = None
    if report is not None and meta.get("key"):
        checked = intake.Checked(meta["key"], report, jobs.kept_dir(portal.root, meta["id"]))
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
    """Every file this account checked, sent or withdrew, newest first; searchable by file
    name and period (``?nom=…&du=AAAA-MM-JJ&au=AAAA-MM-JJ``)."""
    lang = lang_of(request)
    t = WORDS[lang]
    query = request.query_params
    text = query.get("nom", "")[:200]
    start, end = _day(query.get("du")), _day(query.get("au"))
    found, rows = await asyncio.to_thread(_history_rows, portal, account, text, start, end, t)
    return portal.page(
        request,
        "deposits.html",
        rows=rows,
        total=len(found),
        search={"nom": text, "du": start or "", "au": end or ""},
        mail=_mail_notice(account, t),
        csrf=portal.csrf_token(request),
    )


def _mail_notice(account: Account, t: dict[str, str]) -> str:
    if not notify.configured():
        return t["mail_off"]
    if not account.email:
        return t["mail_no_address"]
    return t["mail_on"].format(email=account.email)


def _day(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _story(portal: Portal, account: Account) -> list[history.Entry]:
    """The account's history, with the checks still kept that it does not tell (sent before
    the history was kept)."""
    found = history.entries(portal.root, account.name)
    told = {e.id for e in found}
    for meta in portal.checks_of(account):
        if meta["id"] in told or meta.get("status") != "done":
            continue
        verdict = "unreadable" if meta.get("unreadable") else "valid" if meta.get("valid") else ""
        personal = registry.source(meta["source"]).personal_data
        entry = history.Entry(
            meta["id"],
            meta.get("created", ""),
            meta["source"],
            None if personal and not meta.get("sent") else meta.get("name"),
            verdict or "invalid",
            int(meta.get("rows") or 0),
        )
        entry.sent = dict(meta.get("sent") or {})
        found.append(entry)
    return sorted(found, key=lambda e: e.at, reverse=True)


def _history_rows(
    portal: Portal,
    account: Account,
    text: str,
    start: dt.date | None,
    end: dt.date | None,
    t: dict[str, str],
) -> tuple[list[history.Entry], list[dict[str, Any]]]:
    """The account's whole history and the rows of those matching the search, off the event
    loop (a row reads the decisions and its check's files; each dataset's ledger is read once)."""
    from opendata.publish.ledger import versions

    found = _story(portal, account)
    ledgers: dict[str, dict[str, str]] = {}

    def published(source: registry.Source, stored: str) -> str | None:
        if source.dataset not in ledgers:
            ledgers[source.dataset] = versions(portal.root / "published", source.dataset)
        return ledgers[source.dataset].get(f"{source.name}/{stored}")

    shown = history.matching(found, text, start, end)
    return found, [_row(portal, entry, t, published) for entry in shown]


def _row(
    portal: Portal,
    entry: history.Entry,
    t: dict[str, str],
    published_version: Callable[[registry.Source, str], str | None],
) -> dict[str, Any]:
    source = registry.source(entry.source)
    sent = entry.sent
    status = sent.get("status") or f"checked_{entry.verdict}"
    text = t.get(f"st_{status}", status)
    if status.startswith("checked_"):
        text = text.format(errors=entry.errors)
    published = None
    withdrawable = False
    if entry.withdrawn:
        status, text = "withdrawn", t["st_withdrawn"].format(at=paris_time(entry.withdrawn))
    elif sent.get("status") in ("accepted", "duplicate") and sent.get("stored"):
        version = published_version(source, sent["stored"])
        if version:
            published = version
            text = t["st_published"].format(version=version, dataset=source.dataset)
        else:
            decided = _decision_text(portal, source, sent["stored"], t)
            text = decided or text
            withdrawable = (
                sent.get("status") == "accepted"
                and (portal.root / "raw" / source.name / sent["stored"]).is_file()
            )
    kept = jobs.read_meta(portal.root, entry.id) is not None
    return {
        "id": entry.id,
        "name": entry.name,
        "title": source.title,
        "status": status,
        "published": published,
        "text": text,
        "checked_at": paris_time(entry.at),
        "sent_at": paris_time(sent.get("at")) if sent.get("at") else "",
        "report": kept,
        "withdrawable": withdrawable,
    }


@login_required
async def withdraw(request: Request, portal: Portal, account: Account) -> Response:
    """Take back a sent file until it is published: it leaves ``raw/`` for the quarantine,
    with who withdrew it and when; the next publication goes on without it."""
    lang = lang_of(request)
    form = await request.form(max_files=0, max_fields=1)
    portal.check_csrf(request, form.get("csrf"))
    check_id = request.path_params["check_id"]
    entry = next((e for e in _story(portal, account) if e.id == check_id), None)
    if entry is None or entry.sent.get("status") != "accepted" or entry.withdrawn:
        raise Refusal(404, WORDS[lang]["not_found"])
    source = registry.source(entry.source)
    stored = str(entry.sent.get("stored") or "")
    if not account.may(source.name):
        raise Refusal(403, WORDS[lang]["forbidden"])
    if _published_version(portal, source, stored):
        raise Refusal(409, WORDS[lang]["withdraw_too_late"])
    reason = say(lang, "withdrawn_reason", who=account.name)
    try:
        await asyncio.to_thread(
            guard.set_aside,
            portal.root / "raw",
            portal.root / "quarantine",
            source.name,
            stored,
            reason,
            account.name,
        )
    except FileNotFoundError:
        raise Refusal(409, WORDS[lang]["withdraw_gone"]) from None
    except OSError as exc:
        raise Refusal(507, disk_text(lang, exc, "store")) from None
    history.append(portal.root, account.name, id=check_id, kind="withdrawn")
    return RedirectResponse("/depots", 303)


def _decision_text(
    portal: Portal, source: registry.Source, stored: str, t: dict[str, str]
) -> str | None:
    """A delivery the guard held: waiting for the data team, or decided (with why)."""
    prefix = stored.split("_")[1] if stored.count("_") >= 2 else ""
    found = guard.state(guard.default_decisions_dir(portal.root / "raw"), source.name, prefix)
    if found is None or found[0] == "approved":
        return None
    kind, reasons = found
    return t[f"st_{kind}"].format(reasons=" ; ".join(reasons) or "—")


def _published_version(portal: Portal, source: registry.Source, stored: str) -> str | None:
    from opendata.publish.ledger import published_in

    return published_in(portal.root / "published", source.dataset, f"{source.name}/{stored}")
