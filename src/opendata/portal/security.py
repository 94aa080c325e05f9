"""The headers every response carries, and the key that signs session cookies."""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opendata.storage import write_file

SECURITY_HEADERS = {
    "content-security-policy": "default-src 'none'; style-src 'self'; script-src 'self'; "
    "img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
    "cross-origin-opener-policy": "same-origin",
}


class SecurityHeaders:
    """The same headers on every response, pages, files and errors alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(msg: Message) -> None:
            if msg["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in msg.get("headers", []) if k.decode() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                msg["headers"] = headers
            await send(msg)

        await self.app(scope, receive, with_headers)


FORM_BYTES = 64 * 1024  # a form of the portal (sign-in, send with its word, withdraw...)
UPLOADS = ("/verifier", "/api/v1/validate")  # streamed to disk, bounded by their own rules
_TOO_LARGE = (
    '<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Demande trop '
    "volumineuse</title></head><body><main><h1>Demande trop volumineuse</h1><p>Un formulaire "
    "du portail tient en 64 ko : rien n'a été fait. Revenez à la page précédente.</p></main>"
    "</body></html>"
).encode()


class FormBodyLimit:
    """Every request body but an upload's is read within :data:`FORM_BYTES`: a form of
    megabytes (a bot, a hostile client) is refused with 413 before the application reads it,
    whatever its Content-Length says."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in ("GET", "HEAD")
            or (scope["path"] in UPLOADS)
        ):
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"0")
        body, more, too_large = b"", True, not declared.isdigit() or int(declared) > FORM_BYTES
        while more and not too_large:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            too_large = len(body) > FORM_BYTES
        if too_large:
            await send({"type": "http.response.start", "status": 413, "headers": [
                (b"content-type", b"text/html; charset=utf-8"), (b"connection", b"close"),
            ]})  # fmt: skip
            await send({"type": "http.response.body", "body": _TOO_LARGE})
            return
        replayed = False

        async def again() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, again, send)


def secret_key(root: Path) -> str:
    """The key signing session cookies, made once per portal root (owner-only)."""
    path = root / "portal" / "secret.key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(48)
        write_file(path, key.encode(), private=True)
        return key
