"""What every page of the portal shares: its settings and state, who is signed in, the page
renderer, the form token, and the refusal every page may answer with.

:func:`create_app <opendata.portal.app.create_app>` makes one :class:`Portal` and hangs it on
the application (``request.app.state.portal``); a page module's handlers take it from there
(:func:`portal_of`) or are wrapped by :func:`login_required`, which hands them the portal and
the signed-in account.
"""

from __future__ import annotations

import datetime as dt
import hmac
import secrets
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from opendata import settings as config
from opendata.contracts import registry
from opendata.portal import jobs
from opendata.portal.accounts import Account, Accounts
from opendata.portal.throttle import Throttle
from opendata.portal.words import WORDS, say

if TYPE_CHECKING:
    from opendata import intake

WAIT_FOR_REPORT = 8.0  # seconds an upload waits for its report before the progress page


@dataclass
class Settings:
    """Where the portal works and its bounds (each has an environment setting)."""

    root: Path
    max_upload_bytes: int = 0
    session_hours: float = 8.0
    workers: int = 2
    secure_cookies: bool = False
    login_attempts: int = 5
    login_window_seconds: float = 900.0
    wait_seconds: float = WAIT_FOR_REPORT
    upload_idle_seconds: float = 30.0
    checks_per_hour: int = 120
    # Told of each accepted delivery (the command line hands it Prefect's event).
    announce: Callable[[intake.Receipt], None] | None = None

    @classmethod
    def from_env(cls, root: Path) -> Settings:
        largest = max(s.bounds().max_file_bytes for s in registry.sources().values())
        return cls(
            root=root.resolve(),
            max_upload_bytes=config.PORTAL_MAX_UPLOAD_BYTES.get() or largest,
            session_hours=config.PORTAL_SESSION_HOURS.get(),
            workers=config.PORTAL_WORKERS.get(),
            secure_cookies=config.PORTAL_SECURE_COOKIES.get(),
            login_attempts=config.PORTAL_LOGIN_ATTEMPTS.get(),
            wait_seconds=config.PORTAL_WAIT_SECONDS.get(),
            upload_idle_seconds=config.PORTAL_UPLOAD_IDLE_SECONDS.get(),
            checks_per_hour=config.PORTAL_CHECKS_PER_HOUR.get(),
        )


class Refusal(Exception):
    """A request the portal refuses with a French (or English) page or JSON error."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


def lang_of(request: Request) -> str:
    """The page's language: ``?lang=`` switches it for the session; French by default."""
    wanted = request.query_params.get("lang")
    if wanted in WORDS:
        request.session["lang"] = wanted
    lang = request.session.get("lang", "fr")
    return lang if lang in WORDS else "fr"


@dataclass
class Portal:
    """The portal's settings and state, and what its pages share."""

    settings: Settings
    templates: Jinja2Templates
    accounts: Accounts = field(init=False)
    throttle: Throttle = field(init=False)
    workers: jobs.Workers | None = None  # started with the application (its lifespan)
    sending: set[str] = field(default_factory=set)  # checks being sent now
    sending_lock: threading.Lock = field(default_factory=threading.Lock)
    recent: dict[str, list[float]] = field(default_factory=dict)  # account -> its checks' times
    clock: Callable[[], float] = time.time  # the sessions' clock (a test moves it on)

    def __post_init__(self) -> None:
        self.accounts = Accounts(self.settings.root)
        self.throttle = Throttle(self.settings.login_attempts, self.settings.login_window_seconds)

    @property
    def root(self) -> Path:
        return self.settings.root

    def pool(self) -> jobs.Workers:
        """The worker processes (only once the application has started)."""
        if self.workers is None:
            raise RuntimeError("the portal's workers start with the application")
        return self.workers

    def user(self, request: Request) -> Account | None:
        """The signed-in account, or None (the session expired, was closed or never was)."""
        name = request.session.get("user")
        if not name:
            return None
        started = float(request.session.get("at", 0))
        if self.clock() - started > self.settings.session_hours * 3600:
            request.session.clear()
            return None
        account = self.accounts.get(name)
        # The signed cookie alone is not enough: its session must still be open (not signed
        # out, no password changed since, not an account removed and added again).
        if account is None or not account.has_session(request.session.get("sid")):
            request.session.clear()
            return None
        return account

    def csrf_token(self, request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return str(token)

    def check_csrf(self, request: Request, sent: object) -> None:
        expected = request.session.get("csrf")
        if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
            raise Refusal(403, WORDS[lang_of(request)]["csrf"])

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        """A page of ``templates/``, with the words, language, account and form token."""
        lang = lang_of(request)
        context.update(
            t=WORDS[lang],
            lang=lang,
            account=self.user(request),
            csrf=self.csrf_token(request),
            path=request.url.path,
        )
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def refusal_page(self, request: Request, exc: Refusal) -> Response:
        return self.page(request, "error.html", exc.status, text=exc.text)

    def allowed_sources(self, account: Account) -> list[registry.Source]:
        return [s for s in registry.sources().values() if account.may(s.name)]

    def may_see(self, account: Account, meta: dict[str, Any]) -> bool:
        """A report is seen by the accounts that may check its source; for personal data only
        by that source's own stewards (not the data team's role as such)."""
        source = registry.source(meta["source"])
        if source.personal_data:
            return source.name in account.sources
        return account.may(source.name)

    def owned_check(self, request: Request, account: Account) -> tuple[str, dict[str, Any]]:
        """The check named in the address, if this account may see it (else 404)."""
        check_id = request.path_params["check_id"]
        meta = jobs.read_meta(self.root, check_id)
        if meta is None or not self.may_see(account, meta):
            raise Refusal(404, WORDS[lang_of(request)]["not_found"])
        return check_id, meta

    def checks_of(self, account: Account) -> list[dict[str, Any]]:
        """Every check of this account, the newest first."""
        base = jobs.checks_dir(self.root)
        found = []
        if base.is_dir():
            for entry in base.iterdir():
                meta = jobs.read_meta(self.root, entry.name)
                if meta and meta.get("owner") == account.name:
                    found.append(meta)
        return sorted(found, key=lambda m: m.get("created", ""), reverse=True)

    def within_quota(self, request: Request, account: Account) -> None:
        """At most ``checks_per_hour`` files checked per account and hour, refused before a
        byte of the upload is read (one account cannot fill the disk or the workers)."""
        moment = time.monotonic()
        mine = [t for t in self.recent.get(account.name, []) if moment - t < 3600]
        if len(mine) >= self.settings.checks_per_hour:
            minutes = max(1, round((3600 - (moment - mine[0])) / 60))
            raise Refusal(429, say(lang_of(request), "quota", count=len(mine), minutes=minutes))
        self.recent[account.name] = [*mine, moment]


def portal_of(request: Request) -> Portal:
    portal: Portal = request.app.state.portal
    return portal


Page = Callable[[Request, Portal, Account], Awaitable[Response]]


def login_required(handler: Page) -> Callable[[Request], Awaitable[Response]]:
    """A page for signed-in stewards: the others are sent to sign in, and come back after."""

    async def wrapped(request: Request) -> Response:
        portal = portal_of(request)
        account = portal.user(request)
        if account is None:
            return RedirectResponse(f"/connexion?suite={request.url.path}", 303)
        try:
            return await handler(request, portal, account)
        except Refusal as exc:
            return portal.refusal_page(request, exc)

    return wrapped


def open_page(
    handler: Callable[[Request, Portal], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """A page open without an account (help, contracts): its refusals are pages too."""

    async def wrapped(request: Request) -> Response:
        portal = portal_of(request)
        try:
            return await handler(request, portal)
        except Refusal as exc:
            return portal.refusal_page(request, exc)

    return wrapped


def paris_time(text: str | None) -> str:
    """An ISO moment as the steward reads it: ``05/12/2026 09:30``, Paris time."""
    if not text:
        return ""
    moment = dt.datetime.fromisoformat(text).astimezone(ZoneInfo("Europe/Paris"))
    return moment.strftime("%d/%m/%Y %H:%M")
