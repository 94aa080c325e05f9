"""The stewards' portal: sign in, check a file, read its report, send it, follow it.

A Starlette application (uvicorn serves it: ``opendata portal``). Uploads are streamed to disk
under a size bound and validated in worker processes by the same ``validate_file`` and report
model as the command line. Pages work without JavaScript; one small script (same origin, no
inline code) only focuses the first error. Every value from a file goes through Jinja2's
autoescaping.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import hmac
import json
import os
import secrets
import shutil
import threading
import time
from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path
from typing import Any

import jinja2
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opendata import limits, reading, registry, xlsxguard
from opendata.accounts import Account, Accounts
from opendata.messages import message
from opendata.portal import checks, workbooks
from opendata.portal.throttle import Throttle
from opendata.portal.words import WORDS
from opendata.render import GROUP_AT, as_dict
from opendata.report import Problem, Report, UnreadableFile, cell_reference, display_name
from opendata.storage import write_file, write_with

HERE = Path(__file__).resolve().parent
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
WAIT_FOR_REPORT = 8.0  # seconds an upload waits for its report before the progress page
_INLINE_BYTES = 1024 * 1024  # uploads up to this size are stored and recognised inline


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

    @classmethod
    def from_env(cls, root: Path) -> Settings:
        env = os.environ.get
        largest = max(s.bounds().max_file_bytes for s in registry.sources().values())
        return cls(
            root=root.resolve(),
            max_upload_bytes=int(env("OPENDATA_PORTAL_MAX_UPLOAD_BYTES", str(largest))),
            session_hours=float(env("OPENDATA_PORTAL_SESSION_HOURS", "8")),
            workers=int(env("OPENDATA_PORTAL_WORKERS", "2")),
            secure_cookies=env("OPENDATA_PORTAL_SECURE_COOKIES", "") == "1",
            login_attempts=int(env("OPENDATA_PORTAL_LOGIN_ATTEMPTS", "5")),
            wait_seconds=float(env("OPENDATA_PORTAL_WAIT_SECONDS", str(WAIT_FOR_REPORT))),
            upload_idle_seconds=float(env("OPENDATA_PORTAL_UPLOAD_IDLE_SECONDS", "30")),
            checks_per_hour=int(env("OPENDATA_PORTAL_CHECKS_PER_HOUR", "120")),
        )


class Refusal(Exception):
    """A request the portal refuses with a French (or English) page or JSON error."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


class TooLarge(Exception):
    pass


class TooSlow(Exception):
    pass


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


def secret_key(root: Path) -> str:
    """The key signing session cookies, made once per portal root (owner-only)."""
    path = root / "portal" / "secret.key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(48)
        write_file(path, key.encode(), private=True)
        return key


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang")
    if wanted in WORDS:
        request.session["lang"] = wanted
    lang = request.session.get("lang", "fr")
    return lang if lang in WORDS else "fr"


def _size_text(n: int) -> str:
    return limits.human_bytes(n)


def create_app(settings: Settings) -> Starlette:
    """The portal serving ``settings.root`` (raw/, quarantine/, published/, portal/)."""
    root = settings.root
    accounts = Accounts(root)
    throttle = Throttle(settings.login_attempts, settings.login_window_seconds)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True
    )
    templates = Jinja2Templates(env=env)
    state: dict[str, Any] = {}
    sending: set[str] = set()  # checks being sent now (a second click waits for the first)
    sending_lock = threading.Lock()
    recent: dict[str, list[float]] = {}  # account -> moments of its checks in the last hour

    def within_quota(request: Request, account: Account) -> None:
        """At most ``checks_per_hour`` files checked per account and hour, refused before a
        byte of the upload is read (one account cannot fill the disk or the workers)."""
        moment = time.monotonic()
        mine = [t for t in recent.get(account.name, []) if moment - t < 3600]
        if len(mine) >= settings.checks_per_hour:
            minutes = max(1, round((3600 - (moment - mine[0])) / 60))
            raise Refusal(
                429,
                _words(
                    _lang(request),
                    f"Vous avez vérifié {len(mine)} fichiers dans l'heure, la limite du portail : "
                    f"réessayez dans {minutes} minute(s), ou écrivez à l'équipe données.",
                    f"You checked {len(mine)} files this hour, the portal's limit: try again "
                    f"in {minutes} minute(s).",
                ),
            )
        recent[account.name] = [*mine, moment]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncGenerator[None, None]:
        state["workers"] = checks.Workers(settings.workers)
        # Small checks may run here (see checks.Workers): import the validator before the
        # first steward waits for it, then leave what start-up made to the collector's
        # permanent generation, so that collections after a check stay short.
        await asyncio.to_thread(checks.warm)
        gc.freeze()
        for check_id in checks.interrupted(root):  # a restart finishes what a stop left
            state["workers"].submit(root, check_id)
        sweeper = asyncio.create_task(_sweep_forever())
        try:
            yield
        finally:
            sweeper.cancel()
            state["workers"].close()

    async def _sweep_forever() -> None:
        from opendata.intake import drop_stale_temporaries

        while True:
            await asyncio.to_thread(checks.sweep, root)
            # A send killed midway (the portal stopped, the machine rebooted) left its
            # temporary copy in raw/ or quarantine/: gone after an hour, like the intake's.
            await asyncio.to_thread(drop_stale_temporaries, root / "raw", root / "quarantine")
            await asyncio.sleep(60)

    # -- helpers ---------------------------------------------------------------------------

    def user(request: Request) -> Account | None:
        name = request.session.get("user")
        if not name:
            return None
        started = float(request.session.get("at", 0))
        if time.time() - started > settings.session_hours * 3600:
            request.session.clear()
            return None
        account = accounts.get(name)
        # The signed cookie alone is not enough: its session must still be open (not signed
        # out, no password changed since, not an account removed and added again).
        if account is None or not account.has_session(request.session.get("sid")):
            request.session.clear()
            return None
        return account

    def csrf_token(request: Request) -> str:
        token = request.session.get("csrf")
        if not token:
            token = secrets.token_urlsafe(32)
            request.session["csrf"] = token
        return str(token)

    def check_csrf(request: Request, sent: object) -> None:
        expected = request.session.get("csrf")
        if not expected or not isinstance(sent, str) or not hmac.compare_digest(expected, sent):
            raise Refusal(403, WORDS[_lang(request)]["csrf"])

    def page(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        lang = _lang(request)
        account = user(request)
        context.update(
            t=WORDS[lang],
            lang=lang,
            account=account,
            csrf=csrf_token(request),
            path=request.url.path,
        )
        return templates.TemplateResponse(request, name, context, status_code=status)

    def refusal_page(request: Request, exc: Refusal) -> Response:
        return page(request, "error.html", exc.status, text=exc.text)

    def allowed_sources(account: Account) -> list[registry.Source]:
        return [s for s in registry.sources().values() if account.may(s.name)]

    def may_see(account: Account, meta: dict[str, Any]) -> bool:
        """A report is seen by the accounts that may check its source; for personal data only
        by that source's own stewards (not the data team's role as such)."""
        source = registry.source(meta["source"])
        if source.personal_data:
            return source.name in account.sources
        return account.may(source.name)

    def login_required(handler: Callable[..., Any]) -> Callable[[Request], Any]:
        async def wrapped(request: Request) -> Response:
            account = user(request)
            if account is None:
                return RedirectResponse(f"/connexion?suite={request.url.path}", 303)
            try:
                response: Response = await handler(request, account)
                return response
            except Refusal as exc:
                return refusal_page(request, exc)

        return wrapped

    def owned_check(request: Request, account: Account) -> tuple[str, dict[str, Any]]:
        check_id = request.path_params["check_id"]
        meta = checks.read_meta(root, check_id)
        if meta is None or not may_see(account, meta):
            raise Refusal(404, WORDS[_lang(request)]["not_found"])
        return check_id, meta

    # -- receiving a file ------------------------------------------------------------------

    async def receive_upload(request: Request) -> tuple[UploadFile, dict[str, str]]:
        """The form of an upload, its file streamed to a temporary file on disk (never held
        whole in memory), refused as soon as it passes the size bound."""
        lang = _lang(request)
        bound = settings.max_upload_bytes
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > bound + 64 * 1024:
            raise Refusal(413, _too_large_text(lang, bound))

        async def bounded() -> AsyncGenerator[bytes, None]:
            # A client that stops sending, or trickles (a slow-loris upload), is cut off: no
            # chunk for upload_idle_seconds, or under 8 KiB/s on average after a minute.
            seen, began = 0, time.monotonic()
            stream = request.stream().__aiter__()
            while True:
                try:
                    chunk = await asyncio.wait_for(stream.__anext__(), settings.upload_idle_seconds)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    raise TooSlow from None
                seen += len(chunk)
                if seen > bound + 64 * 1024:
                    raise TooLarge
                elapsed = time.monotonic() - began
                if elapsed > 60 and seen / elapsed < 8 * 1024:
                    raise TooSlow
                yield chunk

        if not request.headers.get("content-type", "").startswith("multipart/form-data"):
            raise Refusal(
                422,
                _words(
                    lang, "Envoyez le fichier par le formulaire.", "Send the file with the form."
                ),
            )
        parser = MultiPartParser(request.headers, bounded(), max_files=1, max_fields=8)
        try:
            form = await parser.parse()
        except TooLarge:
            raise Refusal(413, _too_large_text(lang, bound)) from None
        except TooSlow:
            raise Refusal(
                408,
                _words(
                    lang,
                    "L'envoi s'est interrompu ou était trop lent : rien n'a été gardé. "
                    "Vérifiez votre connexion et envoyez le fichier à nouveau.",
                    "The upload stopped or was too slow: nothing was kept. Send it again.",
                ),
            ) from None
        except MultiPartException:  # its English detail is not shown to a steward
            raise Refusal(
                422,
                _words(
                    lang,
                    "Envoi incomplet ou mal formé : envoyez le fichier à nouveau par le "
                    "formulaire.",
                    "Incomplete or malformed upload: send the file again with the form.",
                ),
            ) from None
        upload = form.get("file")
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise Refusal(
                422,
                _words(
                    lang,
                    "Aucun fichier reçu : choisissez un fichier.",
                    "No file received: choose a file.",
                ),
            )
        if upload.size is not None and upload.size > bound:
            raise Refusal(413, _too_large_text(lang, bound))
        return upload, fields

    async def start_check(
        request: Request, account: Account, upload: UploadFile, wanted: str | None
    ) -> tuple[str, dict[str, Any], Any]:
        """Store the upload in a new check folder, choose its source, queue its validation."""
        lang = _lang(request)
        name = display_name(os.path.basename(upload.filename or "fichier"))[:200]
        head = await upload.read(512 * 1024)
        await upload.seek(0)
        if not head:
            raise Refusal(
                422,
                _words(
                    lang,
                    f"« {name} » est vide : il ne contient aucune ligne.",
                    f"“{name}” is empty.",
                ),
            )
        # A small upload (a department's workbook, in memory) is handled inline: a thread hop
        # costs more than the work; a large one goes to a thread, the loop stays free.
        small = upload.size is not None and upload.size <= _INLINE_BYTES

        async def off_loop(work: Callable[..., Any], *args: Any) -> Any:
            return work(*args) if small else await asyncio.to_thread(work, *args)

        # Always off the loop: recognising a workbook reads and inflates it (a 1 MB file can
        # hold 240 MB of sheet XML), and every other steward's page waits on the loop.
        source = await asyncio.to_thread(choose_source, lang, account, name, upload, head, wanted)
        kind = reading.sniff_format(head)
        lowered = name.lower()
        says_excel = lowered.endswith((".xlsx", ".xls", ".xlsm"))
        says_text = lowered.endswith((".csv", ".txt", ".csv.gz", ".gz"))
        if (says_excel and kind not in ("xlsx", "xls")) or (says_text and kind in ("xlsx", "xls")):
            found = {
                "xlsx": "un classeur Excel",
                "xls": "un classeur Excel",
                "gzip": "un fichier compressé",
            }.get(kind, "du texte")
            raise Refusal(
                422,
                _words(
                    lang,
                    f"« {name} » ne contient pas ce que son nom annonce : c'est {found}. "
                    "Enregistrez-le au bon format, ou donnez-lui la bonne extension.",
                    f"“{name}” does not hold what its name says. Save it in the right format.",
                ),
            )
        check_id = checks.new_id()
        meta: dict[str, Any] = {
            "id": check_id,
            "owner": account.name,
            "source": source.name,
            "name": name,
            "ext": checks.extension(source.format),
            "created": checks.now(),
            "created_ts": time.time(),
            "status": "queued",
            "proposed": wanted is None,
        }
        target = checks.upload_path(root, check_id, meta)

        def copy() -> int:
            upload.file.seek(0)
            write_with(
                target,
                lambda out: shutil.copyfileobj(upload.file, out, 1024 * 1024),
                private=True,
                durable=False,  # working state: the steward's wait counts more
            )
            return target.stat().st_size

        try:
            meta["bytes"] = await off_loop(copy)
            checks.write_meta(root, check_id, meta)
        except OSError as exc:  # a full portal/checks: said, nothing half-kept
            shutil.rmtree(checks.folder(root, check_id), ignore_errors=True)
            raise Refusal(507, _disk_text(lang, exc, "check")) from None
        here = meta["bytes"] <= checks.INLINE_CHECK_BYTES and kind != "gzip"
        lane = "small" if meta["bytes"] <= checks.SMALL_LANE_BYTES and kind != "gzip" else "large"
        future = state["workers"].submit(root, check_id, small=here, lane=lane)
        return check_id, meta, future

    def choose_source(
        lang: str, account: Account, name: str, upload: UploadFile, head: bytes, wanted: str | None
    ) -> registry.Source:
        every = registry.sources()
        if wanted:
            if wanted not in every:
                raise Refusal(
                    422, _words(lang, f"Source inconnue : {wanted}.", f"Unknown source: {wanted}.")
                )
            if not account.may(wanted):
                raise Refusal(403, WORDS[lang]["forbidden"])
            return every[wanted]
        data = head
        workbook = reading.sniff_format(head) in ("xlsx", "xls")
        if workbook:
            # A workbook is read whole to find its header: never more than a workbook source
            # accepts (the sessions' 200 MB bound is for gzipped CSV, read by its head only).
            bound = max(s.bounds().max_file_bytes for s in every.values() if s.format == "xlsx")
            upload.file.seek(0)
            data = upload.file.read(bound + 1)
            if len(data) > bound:
                raise Refusal(413, _too_large_text(lang, bound))
            books = [s for s in every.values() if s.format == "xlsx"]
            try:  # a bomb or a broken workbook is said as such, not as "not recognised"
                xlsxguard.check(data, books[0].bounds())
            except UnreadableFile as exc:
                problem = Problem(exc.kind, params=exc.params)
                raise Refusal(422, f"« {name} » : {message(problem, lang)}") from None
        proposals = reading.propose_sources(data, list(every.values()), guarded=workbook)
        mine = [s for s, _ in proposals if account.may(s.name)]
        if mine:
            return mine[0]
        if proposals:
            other = proposals[0][0]
            raise Refusal(
                403,
                _words(
                    lang,
                    f"« {name} » ressemble à une livraison de « {other.title} », que votre compte "
                    "ne peut pas vérifier. Demandez l'accès à l'équipe données.",
                    f"“{name}” looks like a delivery of “{other.title}”, which your account may "
                    "not check.",
                ),
            )
        raise Refusal(
            422,
            _words(
                lang,
                f"La source de « {name} » n'a pas pu être reconnue d'après son en-tête : "
                "choisissez-la dans la liste, ou partez d'un modèle Excel.",
                f"The source of “{name}” could not be recognised from its header: choose it.",
            ),
        )

    async def finish(future: Any, wait: float) -> None:
        with contextlib.suppress(TimeoutError):  # the progress page takes over
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), wait)

    def discard_if_unreadable(check_id: str, lang: str) -> None:
        """An unreadable file is not kept: its reason is the answer (4xx)."""
        meta = checks.read_meta(root, check_id)
        if meta is None or meta.get("status") != "done" or not meta.get("unreadable"):
            return
        report = checks.load_report(root, check_id)
        text = message(report.errors[0], lang) if report and report.errors else ""
        shutil.rmtree(checks.folder(root, check_id), ignore_errors=True)
        raise Refusal(422, f"« {meta['name']} » : {text}")

    # -- pages -----------------------------------------------------------------------------

    async def login_form(request: Request) -> Response:
        return page(request, "login.html", suite=_safe_next(request.query_params.get("suite")))

    async def login(request: Request) -> Response:
        lang = _lang(request)
        form = await request.form(max_files=0, max_fields=5)
        try:
            check_csrf(request, form.get("csrf"))
        except Refusal as exc:
            return refusal_page(request, exc)
        name = str(form.get("username", "")).strip().lower()
        password = str(form.get("password", ""))
        suite = _safe_next(str(form.get("suite", "")))
        client = request.client.host if request.client else "?"
        wait = throttle.wait(name, client)
        if wait > 0:
            text = WORDS[lang]["login_throttled"].format(minutes=max(1, round(wait / 60)))
            return page(request, "login.html", 429, error=text, username=name, suite=suite)
        account = await asyncio.to_thread(accounts.authenticate, name, password)
        if account is None:
            throttle.fail(name, client)
            return page(
                request,
                "login.html",
                401,
                error=WORDS[lang]["login_failed"],
                username=name,
                suite=suite,
            )
        throttle.clear(name, client)
        session_id = await asyncio.to_thread(accounts.start_session, account.name)
        request.session.clear()
        request.session.update(
            {
                "user": account.name,
                "sid": session_id,
                "at": time.time(),
                "lang": lang,
                "csrf": secrets.token_urlsafe(32),
            }
        )
        return RedirectResponse(suite or "/", 303)

    async def logout(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=2)
        try:
            check_csrf(request, form.get("csrf"))
        except Refusal as exc:
            return refusal_page(request, exc)
        lang = _lang(request)
        name, session_id = request.session.get("user"), request.session.get("sid")
        if isinstance(name, str) and isinstance(session_id, str):
            await asyncio.to_thread(accounts.end_session, name, session_id)
        request.session.clear()
        request.session["lang"] = lang
        return RedirectResponse("/connexion", 303)

    @login_required
    async def home(request: Request, account: Account) -> Response:
        recent = [m for m in _checks_of(account) if not m.get("expired")][:10]
        return page(
            request,
            "check.html",
            sources=allowed_sources(account),
            limit=_limits_text(_lang(request), settings.max_upload_bytes),
            recent=recent,
            titles={s.name: s.title for s in registry.sources().values()},
        )

    def _checks_of(account: Account) -> list[dict[str, Any]]:
        base = checks.checks_dir(root)
        found = []
        if base.is_dir():
            for entry in base.iterdir():
                meta = checks.read_meta(root, entry.name)
                if meta and meta.get("owner") == account.name:
                    found.append(meta)
        return sorted(found, key=lambda m: m.get("created", ""), reverse=True)

    @login_required
    async def check(request: Request, account: Account) -> Response:
        within_quota(request, account)
        upload, fields = await receive_upload(request)
        check_csrf(request, fields.get("csrf"))
        wanted = fields.get("source") or None
        try:
            check_id, _, future = await start_check(request, account, upload, wanted)
        finally:
            await upload.close()
        await finish(future, settings.wait_seconds)
        discard_if_unreadable(check_id, _lang(request))
        return RedirectResponse(f"/rapports/{check_id}", 303)

    @login_required
    async def recheck(request: Request, account: Account) -> Response:
        check_id, meta = owned_check(request, account)
        form = await request.form(max_files=0, max_fields=4)
        check_csrf(request, form.get("csrf"))
        wanted = str(form.get("source", ""))
        lang = _lang(request)
        if wanted not in registry.sources():
            raise Refusal(422, _words(lang, "Choisissez une source.", "Choose a source."))
        if not account.may(wanted):
            raise Refusal(403, WORDS[lang]["forbidden"])
        old = checks.upload_path(root, check_id, meta)
        if not old.exists() or meta.get("sent"):
            raise Refusal(410, WORDS[lang]["upload_gone"])
        source = registry.source(wanted)
        new_id = checks.new_id()
        new_meta = {
            **{k: meta[k] for k in ("name", "bytes")},
            "id": new_id,
            "owner": account.name,
            "source": wanted,
            "ext": checks.extension(source.format),
            "created": checks.now(),
            "created_ts": time.time(),
            "status": "queued",
            "proposed": False,
        }
        target = checks.upload_path(root, new_id, new_meta)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        await asyncio.to_thread(shutil.copyfile, old, target)
        os.chmod(target, 0o600)
        checks.write_meta(root, new_id, new_meta)
        future = state["workers"].submit(root, new_id)
        await finish(future, settings.wait_seconds)
        discard_if_unreadable(new_id, lang)
        return RedirectResponse(f"/rapports/{new_id}", 303)

    def _progress(meta: dict[str, Any], lang: str) -> dict[str, Any]:
        """Where a check stands, as the progress page and its status address say it."""
        status = meta.get("status")
        waiting = status in ("queued", "running")
        since = meta.get("started_ts") or meta.get("created_ts") or time.time()
        return {
            "status": status if waiting else "done",
            "text": WORDS[lang]["running" if status == "running" else "queued"] if waiting else "",
            "seconds": max(0, int(time.time() - float(since))),
        }

    @login_required
    async def report_status(request: Request, account: Account) -> Response:
        """The progress page's script asks here every two seconds, rather than reloading the
        page (a page reloading itself makes a screen reader start it again each time)."""
        _, meta = owned_check(request, account)
        return JSONResponse(_progress(meta, _lang(request)), headers=SECURITY_HEADERS)

    @login_required
    async def report_page(request: Request, account: Account) -> Response:
        check_id, meta = owned_check(request, account)
        lang = _lang(request)
        t = WORDS[lang]
        if meta.get("expired") and registry.source(meta["source"]).personal_data:
            return page(request, "error.html", 410, text=t["expired"])
        status = meta.get("status")
        if status in ("queued", "running"):
            return page(
                request,
                "progress.html",
                meta=meta,
                check_id=check_id,
                progress=_progress(meta, lang),
            )
        if status == "failed":
            said = meta.get("reason") or {}
            return page(request, "error.html", 500, text=said.get(lang) or t["failed"])
        report = checks.load_report(root, check_id)
        if report is None:
            return page(request, "error.html", 410, text=t["expired"])
        source = registry.source(meta["source"])
        group = "type" if request.query_params.get("groupe") == "type" else "ligne"
        context = _report_context(report, meta, source, lang)
        return page(
            request,
            "report.html",
            check_id=check_id,
            meta=meta,
            source=source,
            group=group,
            preview=checks.load_preview(root, check_id),
            upload_kept=checks.upload_path(root, check_id, meta).exists(),
            others=[s for s in allowed_sources(account) if s.name != source.name],
            **context,
        )

    def _report_context(
        report: Report, meta: dict[str, Any], source: registry.Source, lang: str
    ) -> dict[str, Any]:
        t = WORDS[lang]
        errors, warnings = report.errors, report.warnings

        def entry(p: Any, index: int) -> dict[str, Any]:
            return {
                "index": index,
                "row": p.row,
                "label": p.label,
                "cell": p.cell,
                "ref": cell_reference(p, report.sheet),
                "type": p.type,
                "message": message(p, lang),
            }

        error_entries = [entry(p, i) for i, p in enumerate(errors)]
        warning_entries = [entry(p, i) for i, p in enumerate(warnings)]
        by_row = [
            (row, list(items)) for row, items in groupby(error_entries, key=lambda e: e["row"])
        ]

        def by_kind(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
            """Findings grouped by kind and column, the largest group first."""
            kinds: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
            for e in entries:
                kinds.setdefault((e["type"], e["label"]), []).append(e)
            groups = []
            for (kind, label), items in sorted(kinds.items(), key=lambda kv: -len(kv[1])):
                if label:
                    title = t["by_kind_cells"].format(count=len(items), column=label)
                else:
                    title = t["by_kind_file"].format(count=len(items))
                groups.append(
                    {"type": kind, "title": title, "first": items[0]["message"], "entries": items}
                )
            return groups

        # Warnings repeated in one column (23 sites outside Paris) read as one group.
        in_cells = [e for e in warning_entries if e["row"] is not None and e["label"]]
        warning_groups = [g for g in by_kind(in_cells) if len(g["entries"]) >= GROUP_AT]
        grouped = {id(e) for g in warning_groups for e in g["entries"]}
        single_warnings = [e for e in warning_entries if id(e) not in grouped]
        counts: dict[str, int] = {}
        for e in error_entries:
            counts[e["type"]] = counts.get(e["type"], 0) + 1
        if report.unreadable:
            status, tone = t["unreadable"], "bad"
        elif not report.valid:
            status, tone = t["invalid"], "bad"
        elif warnings:
            status, tone = t["valid_warnings"], "warn"
        else:
            status, tone = t["valid"], "good"
        return {
            "report": report,
            "status_text": status,
            "tone": tone,
            "errors": error_entries,
            "warnings": warning_entries,
            "by_row": by_row,
            "by_kind": by_kind(error_entries),
            "warning_groups": warning_groups,
            "single_warnings": single_warnings,
            "counts": sorted(counts.items(), key=lambda kv: -kv[1]),
            "columns": len(source.labels),
            "rows_text": _rows_text(lang, report.rows, len(source.labels)),
            "contract_version": _contract_fingerprint(source),
            "checked_at": _paris_time(meta.get("finished") or meta.get("created")),
            "size": _size_text(int(meta.get("bytes", 0))),
        }

    @login_required
    async def download_csv(request: Request, account: Account) -> Response:
        check_id, meta = owned_check(request, account)
        report = _done_report(request, check_id)
        data = workbooks.errors_csv(report, _lang(request))
        return _attachment(data, "text/csv; charset=utf-8", _download_name(meta, "erreurs.csv"))

    @login_required
    async def download_json(request: Request, account: Account) -> Response:
        check_id, meta = owned_check(request, account)
        report = _done_report(request, check_id)
        data = json.dumps(as_dict(report, _lang(request)), ensure_ascii=False, indent=2)
        return _attachment(
            data.encode("utf-8"), "application/json", _download_name(meta, "rapport.json")
        )

    @login_required
    async def download_annotated(request: Request, account: Account) -> Response:
        check_id, meta = owned_check(request, account)
        report = _done_report(request, check_id)
        path = checks.upload_path(root, check_id, meta)
        source = registry.source(meta["source"])
        if not path.exists():
            raise Refusal(410, WORDS[_lang(request)]["upload_gone"])
        if source.engine == "arrow":
            raise Refusal(
                404,
                _words(
                    _lang(request),
                    "Pas de copie annotée pour un export machine : téléchargez la liste des "
                    "erreurs.",
                    "No annotated copy for a machine export: download the list of errors.",
                ),
            )
        data = await asyncio.to_thread(workbooks.annotated_copy, path, source, report)
        return _attachment(
            data,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _download_name(meta, "annote.xlsx"),
        )

    def _done_report(request: Request, check_id: str) -> Report:
        report = checks.load_report(root, check_id)
        if report is None:
            raise Refusal(404, WORDS[_lang(request)]["not_found"])
        return report

    @login_required
    async def send(request: Request, account: Account) -> Response:
        check_id, meta = owned_check(request, account)
        form = await request.form(max_files=0, max_fields=2)
        check_csrf(request, form.get("csrf"))
        lang = _lang(request)
        if not account.may(meta["source"]):
            raise Refusal(403, WORDS[lang]["forbidden"])
        meta = checks.read_meta(root, check_id) or meta  # as it is now, after the form
        if meta.get("sent"):
            return RedirectResponse("/depots", 303)
        report = checks.load_report(root, check_id)
        path = checks.upload_path(root, check_id, meta)
        if report is None or not report.valid:
            raise Refusal(409, WORDS[lang]["next_invalid"])
        if not path.exists():
            raise Refusal(410, WORDS[lang]["upload_gone"])
        with sending_lock:  # a double click: the first send answers for both
            if check_id in sending or (checks.read_meta(root, check_id) or {}).get("sent"):
                return RedirectResponse("/depots", 303)
            sending.add(check_id)
        try:
            receipt = await asyncio.to_thread(_submit, path, meta)
            checks.update_meta(
                root,
                check_id,
                sent={
                    "status": receipt.status,
                    "stored": receipt.stored.name if receipt.stored else "",
                    "at": checks.now(),
                    "by": account.name,
                },
            )
        except OSError as exc:  # a full or read-only raw/: the upload stays, to send again
            raise Refusal(507, _disk_text(lang, exc, "store")) from None
        finally:  # only once the send is written down: a second click then finds it sent
            sending.discard(check_id)
        path.unlink(missing_ok=True)  # the city's copy is under raw/ (or quarantine/) now
        return RedirectResponse("/depots", 303)

    def _submit(path: Path, meta: dict[str, Any]) -> Any:
        from opendata import intake

        source = registry.source(meta["source"])
        # The check's report of these very bytes, under this very contract, is reused: a month
        # is not validated a second time in the web process (557 MB for 1.2 million rows).
        report = checks.load_report(root, meta["id"])
        checked = None
        if report is not None and meta.get("sha256") and meta.get("fingerprint"):
            checked = intake.Checked(meta["sha256"], meta["fingerprint"], report)
        receipt, _ = intake.submit(
            path, source, root / "raw", root / "quarantine", name=meta["name"], checked=checked
        )
        if receipt.status == "accepted" and os.environ.get("PREFECT_API_URL"):
            try:
                from flows.intake import emit_accepted

                emit_accepted(receipt)
            except Exception:  # the file is stored; the schedule publishes it anyway
                pass
        return receipt

    @login_required
    async def deposits(request: Request, account: Account) -> Response:
        lang = _lang(request)
        t = WORDS[lang]
        rows = []
        for meta in _checks_of(account):
            sent = meta.get("sent")
            if not sent:
                continue
            source = registry.source(meta["source"])
            status = sent["status"]
            text = t.get(f"st_{status}", status)
            published = None
            if status in ("accepted", "duplicate") and sent.get("stored"):
                version = _published_version(source, sent["stored"])
                if version:
                    published = version
                    text = t["st_published"].format(version=version, dataset=source.dataset)
                else:
                    text = _decision_text(source, sent["stored"], t) or text
            rows.append(
                {
                    "meta": meta,
                    "title": source.title,
                    "status": status,
                    "published": published,
                    "text": text,
                    "sent_at": _paris_time(sent.get("at")),
                }
            )
        return page(request, "deposits.html", rows=rows)

    def _decision_text(source: registry.Source, stored: str, t: dict[str, str]) -> str | None:
        """A delivery the guard held: waiting for the data team, or decided (with why)."""
        from opendata import guard

        prefix = stored.split("_")[1] if stored.count("_") >= 2 else ""
        found = guard.state(guard.default_decisions_dir(root / "raw"), source.name, prefix)
        if found is None or found[0] == "approved":
            return None
        kind, reasons = found
        return t[f"st_{kind}"].format(reasons=" ; ".join(reasons) or "—")

    def _published_version(source: registry.Source, stored: str) -> str | None:
        from opendata.publishing import published_in

        return published_in(root / "published", source.dataset, f"{source.name}/{stored}")

    @login_required
    async def template_list(request: Request, account: Account) -> Response:
        return page(
            request,
            "templates.html",
            sources=[
                s for s in workbooks.template_sources(registry.sources()) if account.may(s.name)
            ],
        )

    @login_required
    async def template_file(request: Request, account: Account) -> Response:
        name = request.path_params["source"]
        lang = _lang(request)
        every = {s.name: s for s in workbooks.template_sources(registry.sources())}
        if name not in every:
            raise Refusal(404, WORDS[lang]["not_found"])
        data = await asyncio.to_thread(workbooks.template, every[name])
        return _attachment(
            data,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"{name}.xlsx",
        )

    async def health(request: Request) -> Response:
        """200 when the portal can check files; 503 when it found a worker dead (it is
        replaced at once: the next probe says ok), so that monitoring sees it happen."""
        workers: checks.Workers = state["workers"]
        healed = await asyncio.to_thread(workers.heal)
        answer = {"status": "workers-replaced" if healed else "ok", "replaced": workers.replaced}
        return JSONResponse(answer, 503 if healed else 200)

    # -- the JSON API ----------------------------------------------------------------------

    async def api_validate(request: Request) -> Response:
        lang = "fr"
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        account = accounts.by_token(token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            return JSONResponse(
                {
                    "error": "Jeton absent ou invalide : en-tête « Authorization: Bearer <jeton> » "
                    "(opendata users token NOM)."
                },
                401,
                headers={"www-authenticate": "Bearer"},
            )
        try:
            within_quota(request, account)
            upload, fields = await receive_upload(request)
            try:
                check_id, _, future = await start_check(
                    request, account, upload, fields.get("source") or None
                )
            finally:
                await upload.close()
            try:
                await asyncio.wrap_future(future)
                discard_if_unreadable(check_id, lang)
                report = checks.load_report(root, check_id)
                if report is None:
                    said = (checks.read_meta(root, check_id) or {}).get("reason") or {}
                    raise Refusal(500, said.get(lang) or WORDS[lang]["failed"])
                return JSONResponse(as_dict(report, lang))
            finally:
                shutil.rmtree(checks.folder(root, check_id), ignore_errors=True)
        except Refusal as exc:
            return JSONResponse({"error": exc.text}, exc.status)

    # -- errors ----------------------------------------------------------------------------

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "adresse inconnue"}, status)
        t = WORDS[_lang(request)]
        return page(
            request, "error.html", status, text=t["not_found"], heading=t["not_found_title"]
        )

    async def http_error(request: Request, exc: Exception) -> Response:
        """Starlette's own refusals (a malformed or oversized form: 400, 413...) in our words:
        its English detail ("Too many fields...") never reaches a steward."""
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        if status in (404, 405):
            return await not_found(request, exc)
        text = _words(
            _lang(request),
            "Requête refusée : le formulaire envoyé est mal formé ou trop grand. Revenez à la "
            "page précédente et réessayez.",
            "Request refused: the form sent is malformed or too large. Go back and try again.",
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": text}, status)
        heading = WORDS[_lang(request)]["refused_title"]
        return page(request, "error.html", status, text=text, heading=heading)

    async def server_error(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": WORDS["fr"]["failed"]}, 500)
        return Response(
            "Erreur interne du portail : réessayez ; si elle se reproduit, prévenez l'équipe "
            "données.",
            500,
            media_type="text/plain; charset=utf-8",
        )

    routes = [
        Route("/", home),
        Route("/connexion", login_form, methods=["GET"]),
        Route("/connexion", login, methods=["POST"]),
        Route("/deconnexion", logout, methods=["POST"]),
        Route("/verifier", check, methods=["POST"]),
        Route("/rapports/{check_id}", report_page),
        Route("/rapports/{check_id}/etat", report_status),
        Route("/rapports/{check_id}/source", recheck, methods=["POST"]),
        Route("/rapports/{check_id}/envoyer", send, methods=["POST"]),
        Route("/rapports/{check_id}/erreurs.csv", download_csv),
        Route("/rapports/{check_id}/rapport.json", download_json),
        Route("/rapports/{check_id}/annote.xlsx", download_annotated),
        Route("/depots", deposits),
        Route("/modeles", template_list),
        Route("/modeles/{source}.xlsx", template_file),
        Route("/api/v1/validate", api_validate, methods=["POST"]),
        Route("/sante", health),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret_key(root),
            session_cookie="opendata_portal",
            max_age=int(settings.session_hours * 3600),
            same_site="strict",
            https_only=settings.secure_cookies,
        ),
    ]
    return Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, 500: server_error},
    )


def _words(lang: str, fr: str, en: str) -> str:
    return fr if lang == "fr" else en


def _too_large_text(lang: str, bound: int) -> str:
    size = limits.human_bytes(bound)
    return _words(
        lang,
        f"Fichier trop volumineux : la limite est de {size}. Découpez-le (par exemple un fichier "
        "par mois) ou compressez-le en .csv.gz.",
        f"File too large: the limit is {size}. Split it or gzip it.",
    )


def _safe_next(value: str | None) -> str:
    """Only a path of this site after signing in (never another site)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return ""


def _paris_time(text: str | None) -> str:
    if not text:
        return ""
    from zoneinfo import ZoneInfo

    moment = dt.datetime.fromisoformat(text).astimezone(ZoneInfo("Europe/Paris"))
    return moment.strftime("%d/%m/%Y %H:%M")


def _download_name(meta: dict[str, Any], suffix: str) -> str:
    stem = meta["name"]
    for ext in (".csv.gz", ".xlsx", ".csv", ".xls"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
            break
    return f"{stem}-{suffix}"


def _attachment(data: bytes, media_type: str, name: str) -> Response:
    from urllib.parse import quote

    ascii_name = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(data, media_type=media_type, headers={"content-disposition": disposition})


def _contract_fingerprint(source: registry.Source) -> str:
    """The contract a report was made against, as a short fingerprint of its files (a
    changed contract gives another)."""
    return f"{source.name} · {source.fingerprint}"


def _disk_text(lang: str, exc: OSError, step: str) -> str:
    """Why a file could not be written on the server (full, read-only), and what to do."""
    import errno

    full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
    if lang == "fr":
        why = (
            "le disque du serveur est plein" if full else "le dossier du serveur refuse l'écriture"
        )
        if step == "check":
            return (
                f"Le portail n'a pas pu enregistrer votre fichier pour le vérifier : {why}. "
                "Rien n'est perdu de votre côté : réessayez plus tard, et prévenez l'équipe "
                "données si cela dure."
            )
        return (
            f"Le dépôt n'a pas pu être enregistré : {why}. Votre fichier et son rapport sont "
            "conservés ici : renvoyez-le plus tard avec le même bouton, et prévenez l'équipe "
            "données si cela dure."
        )
    why = "the server's disk is full" if full else "the server's folder refuses writing"
    if step == "check":
        return f"The portal could not store your file to check it: {why}. Try again later."
    return (
        f"The delivery could not be stored: {why}. Your file and its report are kept here: "
        "send it again later with the same button."
    )


def _rows_text(lang: str, rows: int, columns: int) -> str:
    """``0 ligne × 15 colonnes`` (French keeps 0 and 1 singular)."""
    if lang == "fr":
        return f"{rows} ligne{'s' if rows > 1 else ''} × {columns} colonnes"
    return f"{rows} row{'s' if rows != 1 else ''} × {columns} columns"


def _limits_text(lang: str, upload_bound: int) -> str:
    """The size bounds a steward meets, per kind of file (a workbook is read whole)."""
    every = registry.sources().values()
    book = max(s.bounds().max_file_bytes for s in every if s.format == "xlsx")
    other = min(upload_bound, max(s.bounds().max_file_bytes for s in every))
    if lang == "fr":
        return (
            f"{limits.human_bytes(book)} pour un classeur, {limits.human_bytes(other)} pour un CSV"
        )
    return f"{limits.human_bytes(book)} for a workbook, {limits.human_bytes(other)} for a CSV"
