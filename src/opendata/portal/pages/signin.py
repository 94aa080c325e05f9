"""Signing in and out."""

from __future__ import annotations

import asyncio
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from opendata.portal.context import Refusal, lang_of, portal_of
from opendata.portal.words import WORDS


def safe_next(value: str | None) -> str:
    """Only a path of this site after signing in (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


async def login_form(request: Request) -> Response:
    portal = portal_of(request)
    return portal.page(request, "login.html", suite=safe_next(request.query_params.get("suite")))


async def login(request: Request) -> Response:
    portal = portal_of(request)
    lang = lang_of(request)
    form = await request.form(max_files=0, max_fields=5)
    try:
        portal.check_csrf(request, form.get("csrf"))
    except Refusal as exc:
        return portal.refusal_page(request, exc)
    name = str(form.get("username", "")).strip().lower()
    password = str(form.get("password", ""))
    suite = safe_next(str(form.get("suite", "")))
    client = request.client.host if request.client else "?"
    wait = portal.throttle.wait(name, client)
    if wait > 0:
        text = WORDS[lang]["login_throttled"].format(minutes=max(1, round(wait / 60)))
        return portal.page(request, "login.html", 429, error=text, username=name, suite=suite)
    account = await asyncio.to_thread(portal.accounts.authenticate, name, password)
    if account is None:
        portal.throttle.fail(name, client)
        error = WORDS[lang]["login_failed"]
        return portal.page(request, "login.html", 401, error=error, username=name, suite=suite)
    portal.throttle.clear(name, client)
    session_id = await asyncio.to_thread(portal.accounts.start_session, account.name)
    request.session.clear()
    request.session.update(
        {
            "user": account.name,
            "sid": session_id,
            "at": portal.clock(),
            "lang": lang,
            "csrf": secrets.token_urlsafe(32),
        }
    )
    return RedirectResponse(suite or "/", 303)


async def logout(request: Request) -> Response:
    portal = portal_of(request)
    form = await request.form(max_files=0, max_fields=2)
    try:
        portal.check_csrf(request, form.get("csrf"))
    except Refusal as exc:
        return portal.refusal_page(request, exc)
    lang = lang_of(request)
    name, session_id = request.session.get("user"), request.session.get("sid")
    if isinstance(name, str) and isinstance(session_id, str):
        await asyncio.to_thread(portal.accounts.end_session, name, session_id)
    request.session.clear()
    request.session["lang"] = lang
    return RedirectResponse("/connexion", 303)
