"""The stewards' portal: sign in, check a file, read its report, send it, follow it.

A Starlette application (uvicorn serves it: ``opendata portal``). Uploads are streamed to disk
under a size bound and validated in worker processes by the same ``validate_file`` and report
model as the command line. Pages work without JavaScript; one small script (same origin, no
inline code) only focuses the first error. Every value from a file goes through Jinja2's
autoescaping.

This module is the middleware and the one table of addresses (:data:`ROUTES`); each page
family is a module of :mod:`opendata.portal.pages`, its words in :mod:`opendata.portal.words`.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from opendata.portal import jobs
from opendata.portal.context import Portal, Settings
from opendata.portal.pages import (
    api,
    checks,
    contracts,
    deposits,
    errors,
    report,
    signin,
    support,
    templates,
)
from opendata.portal.security import FormBodyLimit, SecurityHeaders, secret_key

__all__ = ["ROUTES", "Settings", "create_app"]

HERE = Path(__file__).resolve().parent

ROUTES: list[BaseRoute] = [
    Route("/", checks.home),
    Route("/connexion", signin.login_form, methods=["GET"]),
    Route("/connexion", signin.login, methods=["POST"]),
    Route("/deconnexion", signin.logout, methods=["POST"]),
    Route("/verifier", checks.check, methods=["POST"]),
    Route("/rapports/{check_id}", report.report_page),
    Route("/rapports/{check_id}/etat", checks.report_status),
    Route("/rapports/{check_id}/source", checks.recheck, methods=["POST"]),
    Route("/rapports/{check_id}/envoyer", deposits.send, methods=["POST"]),
    Route("/rapports/{check_id}/erreurs.csv", report.download_csv),
    Route("/rapports/{check_id}/rapport.json", report.download_json),
    Route("/rapports/{check_id}/annote.xlsx", report.download_annotated),
    Route("/rapports/{check_id}/corrige/{part}", report.download_corrected),
    Route("/depots", deposits.deposits),
    Route("/depots/{check_id}/retirer", deposits.withdraw, methods=["POST"]),
    Route("/modeles", templates.template_list),
    Route("/modeles/{source}.xlsx", templates.template_file),
    Route("/api/v1/validate", api.api_validate, methods=["POST"]),
    Route("/sante", api.health),
    Route("/aide", support.help_page),
    Route("/contrats", contracts.contract_list),
    Route("/contrats/{source}", contracts.contract_page),
    Route("/contrats/{source}/exemples/{name}", contracts.example_file),
    Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
]


async def _sweep_forever(root: Path) -> None:
    from opendata.intake import drop_stale_temporaries

    while True:
        await asyncio.to_thread(jobs.sweep, root)
        # A send killed midway (the portal stopped, the machine rebooted) left its temporary
        # copy in raw/ or quarantine/: gone after an hour, like the intake's.
        await asyncio.to_thread(drop_stale_temporaries, root / "raw", root / "quarantine")
        await asyncio.sleep(60)


def create_app(settings: Settings) -> Starlette:
    """The portal serving ``settings.root`` (raw/, quarantine/, published/, portal/)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True
    )
    portal = Portal(settings, Jinja2Templates(env=env))

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None, None]:
        portal.workers = jobs.Workers(settings.workers)
        # Small checks may run here (see jobs.Workers): import the validator before the
        # first steward waits for it, then leave what start-up made to the collector's
        # permanent generation, so that collections after a check stay short.
        await asyncio.to_thread(jobs.warm)
        gc.freeze()
        for check_id in jobs.interrupted(settings.root):  # a restart finishes what a stop left
            portal.workers.submit(settings.root, check_id)
        sweeper = asyncio.create_task(_sweep_forever(settings.root))
        try:
            yield
        finally:
            sweeper.cancel()
            portal.workers.close()

    middleware = [
        Middleware(SecurityHeaders),
        Middleware(FormBodyLimit),
        Middleware(
            SessionMiddleware,
            secret_key=secret_key(settings.root),
            session_cookie="opendata_portal",
            max_age=int(settings.session_hours * 3600),
            same_site="strict",
            https_only=settings.secure_cookies,
        ),
    ]
    app = Starlette(
        routes=ROUTES,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: errors.http_error, 500: errors.server_error},
    )
    app.state.portal = portal
    return app
