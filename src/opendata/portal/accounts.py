"""The stewards' accounts of the portal: who may check and send which sources.

Accounts live in ``<root>/portal/users.json`` (owner-only, written atomically under a lock).
Passwords are hashed with Argon2id (argon2-cffi); API tokens are random, shown once, and kept
only as their SHA-256. The data team's role (``admin``) sees every source.

A portal session is valid only while its id's digest is listed with its account: signing out
removes it, a new password ends them all, and an account removed then added again starts with
none (its old cookies stay dead). A new API token replaces the account's earlier ones.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from opendata.storage import file_lock, write_file

_HASHER = PasswordHasher()
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
_EMAIL = re.compile(r"[^@\s,;<>\"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}")
MIN_PASSWORD = 10
# Verifying against this keeps an unknown name as slow as a wrong password (no user probing).
_DUMMY = _HASHER.hash("opendata-no-such-user")


# Why an account operation is refused, in French (the data team's command says it).
REFUSALS = {
    "bad_name": (
        "nom de compte refusé : {name} ; 2 à 40 caractères, minuscules, chiffres, point, tiret "
        "ou souligné (exemple : marie.durand)"
    ),
    "unknown_source": "source inconnue : {unknown} ; sources connues : {known}",
    "no_sources": "indiquez les sources du compte (--sources a,b) ou --admin",
    "short_password": "mot de passe trop court : au moins {minimum} caractères",
    "exists": "le compte {name} existe déjà (opendata users remove {name})",
    "no_account": "aucun compte {name}",
    "bad_email": "adresse e-mail refusée : {email} (exemple : marie@paris.fr)",
}


class AccountError(ValueError):
    """A refused account operation, with a French sentence for the person who asked."""

    @classmethod
    def said(cls, key: str, **params: object) -> AccountError:
        """The refusal ``key`` of :data:`REFUSALS`, filled with ``params``."""
        return cls(REFUSALS[key].format(**params))


@dataclass
class Account:
    """One steward (or a member of the data team, ``admin``)."""

    name: str
    password_hash: str
    sources: list[str] = field(default_factory=list)
    admin: bool = False
    tokens: list[dict[str, str]] = field(default_factory=list)  # {"digest", "created"}
    sessions: list[str] = field(default_factory=list)  # SHA-256 of each open session's id
    email: str = ""  # where the steward hears what became of their files (opendata.notify)

    def __post_init__(self) -> None:
        # Files written before 2026-12 kept a token as its bare digest.
        self.tokens = [
            t if isinstance(t, dict) else {"digest": t, "created": ""} for t in self.tokens
        ]

    def may(self, source: str) -> bool:
        """True when this account may check and send deliveries of ``source``."""
        return self.admin or source in self.sources

    def has_session(self, session_id: object) -> bool:
        """Whether ``session_id`` (from a signed cookie) is one of this account's open ones."""
        if not isinstance(session_id, str) or not session_id:
            return False
        digest = _token_digest(session_id)
        return any(hmac.compare_digest(digest, known) for known in self.sessions)

    def as_dict(self) -> dict[str, Any]:
        return {
            "password_hash": self.password_hash,
            "sources": self.sources,
            "admin": self.admin,
            "tokens": self.tokens,
            "sessions": self.sessions,
            "email": self.email,
        }


MAX_SESSIONS = 10  # open sessions kept per account (devices); an older one ends


def token_id_of(token: dict[str, str]) -> str:
    """A token's public id: the first 8 characters of its digest (never the token)."""
    return token["digest"][:8]


def users_file(root: Path) -> Path:
    """Where the accounts of the portal served from ``root`` are kept."""
    return root / "portal" / "users.json"


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    """The accounts file of one portal root."""

    def __init__(self, root: Path) -> None:
        self.path = users_file(root)

    def load(self) -> dict[str, Account]:
        """Every account, by name."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return {name: Account(name, **entry) for name, entry in data.items()}

    def _save(self, accounts: dict[str, Account]) -> None:
        data = {name: a.as_dict() for name, a in sorted(accounts.items())}
        write_file(self.path, json.dumps(data, indent=2).encode("utf-8"), private=True)

    def _locked(self) -> Any:
        return file_lock(self.path.with_name(".users.lock"), 30.0)

    def add(
        self, name: str, password: str, sources: list[str], admin: bool, known: list[str]
    ) -> Account:
        """Create an account; AccountError when the name, password or sources are refused."""
        if not _NAME.match(name):
            raise AccountError.said("bad_name", name=repr(name))
        unknown = [s for s in sources if s not in known]
        if unknown:
            raise AccountError.said(
                "unknown_source", unknown=", ".join(unknown), known=", ".join(known)
            )
        if not sources and not admin:
            raise AccountError.said("no_sources")
        if len(password) < MIN_PASSWORD:
            raise AccountError.said("short_password", minimum=MIN_PASSWORD)
        with self._locked():
            accounts = self.load()
            if name in accounts:
                raise AccountError.said("exists", name=name)
            account = Account(name, _HASHER.hash(password), sorted(set(sources)), admin)
            accounts[name] = account
            self._save(accounts)
        return account

    def remove(self, name: str) -> None:
        """Delete an account (its sessions and tokens stop working at once)."""
        with self._locked():
            accounts = self.load()
            if accounts.pop(name, None) is None:
                raise AccountError.said("no_account", name=name)
            self._save(accounts)

    def _change(self, name: str, change: Any) -> Any:
        """Apply ``change(account)`` to ``name`` under the lock and save; its result."""
        with self._locked():
            accounts = self.load()
            if name not in accounts:
                raise AccountError.said("no_account", name=name)
            result = change(accounts[name])
            self._save(accounts)
        return result

    def new_token(self, name: str) -> str:
        """A new API token for ``name``, returned once (only its digest is kept); it replaces
        the account's earlier tokens (they stop working at once)."""
        token = "odp_" + secrets.token_urlsafe(32)
        created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

        def replace(account: Account) -> None:
            account.tokens = [{"digest": _token_digest(token), "created": created}]

        self._change(name, replace)
        return token

    def revoke_tokens(self, name: str, token_id: str | None = None) -> int:
        """Revoke the token whose id (:func:`token_id`) is ``token_id``, or every token; how
        many were revoked."""

        def revoke(account: Account) -> int:
            kept = [t for t in account.tokens if token_id and token_id != token_id_of(t)]
            revoked = len(account.tokens) - len(kept)
            account.tokens = kept
            return revoked

        return int(self._change(name, revoke))

    def set_email(self, name: str, email: str) -> None:
        """The account's e-mail address ("" to remove it); AccountError when implausible."""
        email = email.strip()
        if email and not _EMAIL.fullmatch(email):
            raise AccountError.said("bad_email", email=repr(email))

        def change(account: Account) -> None:
            account.email = email

        self._change(name, change)

    def set_password(self, name: str, password: str) -> None:
        """A new password for ``name``: every open session of the account ends."""
        if len(password) < MIN_PASSWORD:
            raise AccountError.said("short_password", minimum=MIN_PASSWORD)
        hashed = _HASHER.hash(password)

        def change(account: Account) -> None:
            account.password_hash = hashed
            account.sessions = []

        self._change(name, change)

    def start_session(self, name: str) -> str:
        """A new session id for ``name`` (kept as its digest, the newest ``MAX_SESSIONS``)."""
        session_id = secrets.token_urlsafe(32)

        def add(account: Account) -> None:
            account.sessions = [*account.sessions, _token_digest(session_id)][-MAX_SESSIONS:]

        self._change(name, add)
        return session_id

    def end_session(self, name: str, session_id: str) -> None:
        """Sign-out: ``session_id`` no longer opens ``name``'s pages (nothing if gone)."""
        digest = _token_digest(session_id)

        def end(account: Account) -> None:
            account.sessions = [d for d in account.sessions if d != digest]

        with contextlib.suppress(AccountError):
            self._change(name, end)

    def authenticate(self, name: str, password: str) -> Account | None:
        """The account when the password is right, else None (same cost either way)."""
        account = self.load().get(name)
        try:
            _HASHER.verify(account.password_hash if account else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        return account

    def by_token(self, token: str) -> Account | None:
        """The account an API token belongs to, else None."""
        digest = _token_digest(token)
        for account in self.load().values():
            if any(hmac.compare_digest(digest, t["digest"]) for t in account.tokens):
                return account
        return None

    def get(self, name: str) -> Account | None:
        """The account named ``name`` if it still exists."""
        return self.load().get(name)
