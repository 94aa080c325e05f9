"""The Excel templates a steward can start from."""

from __future__ import annotations

import asyncio

from starlette.requests import Request
from starlette.responses import Response

from opendata.contracts import registry
from opendata.portal import workbooks
from opendata.portal.accounts import Account
from opendata.portal.context import Portal, Refusal, lang_of, login_required
from opendata.portal.pages.report import XLSX, attachment
from opendata.portal.words import WORDS


@login_required
async def template_list(request: Request, portal: Portal, account: Account) -> Response:
    sources = workbooks.template_sources(registry.sources())
    return portal.page(
        request, "templates.html", sources=[s for s in sources if account.may(s.name)]
    )


@login_required
async def template_file(request: Request, portal: Portal, account: Account) -> Response:
    name = request.path_params["source"]
    every = {s.name: s for s in workbooks.template_sources(registry.sources())}
    if name not in every:
        raise Refusal(404, WORDS[lang_of(request)]["not_found"])
    data = await asyncio.to_thread(workbooks.template, every[name])
    return attachment(data, XLSX, f"{name}.xlsx")
