"""What the portal answers when an address does not exist, a request is refused by the web
framework itself, or something breaks: in its own words, never Starlette's English."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from opendata.portal.context import lang_of, portal_of
from opendata.portal.words import WORDS, say


async def not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": say("fr", "api_not_found")}, status)
    t = WORDS[lang_of(request)]
    return portal_of(request).page(
        request, "error.html", status, text=t["not_found"], heading=t["not_found_title"]
    )


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (a malformed or oversized form: 400, 413...) in our words:
    its English detail ("Too many fields...") never reaches a steward."""
    status = exc.status_code if isinstance(exc, HTTPException) else 400
    if status in (404, 405):
        return await not_found(request, exc)
    lang = lang_of(request)
    text = say(lang, "form_refused")
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": text}, status)
    heading = WORDS[lang]["refused_title"]
    return portal_of(request).page(request, "error.html", status, text=text, heading=heading)


async def server_error(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": WORDS["fr"]["failed"]}, 500)
    return Response(say("fr", "server_error"), 500, media_type="text/plain; charset=utf-8")
