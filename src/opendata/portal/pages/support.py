"""*Aide*: how to check and send a file, what the report says, and whom to ask. Readable
without an account (a steward who cannot sign in needs it most)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from opendata import settings
from opendata.portal.context import portal_of


async def help_page(request: Request) -> Response:
    contact = settings.PORTAL_CONTACT.get()
    return portal_of(request).page(request, "help.html", contact=contact)
