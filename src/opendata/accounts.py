"""The stewards' accounts of the portal: who may check and send which sources.

Accounts live in ``<root>/portal/users.json`` (owner-only, written atomically under a lock).
Passwords are hashed with Argon2id (argon2-cffi); API tokens are random, shown once, and kept
only as their SHA-256. The data team's role (``admin``) sees every source.
"""

from __future__ import annotations

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
MIN_PASSWORD = 10
# Verifying against this keeps an unknown name as slow as a wrong password (no user probing).
_DUMMY = _HASHER.hash("opendata-no-such-user")


class AccountError(ValueError):
    """A refused account operation, with a French sentence for the person who asked."""


@dataclass
class Account:
    """One steward (or a member of the data team, ``admin``)."""

    name: str
    password_hash: str
    sources: list[str] = field(default_factory=list)
    admin: bool = False
    tokens: list[str] = field(default_factory=list)  # SHA-256 of each API token

    def may(self, source: str) -> bool:
        """True when this account may check and send deliveries of ``source``."""
        return self.admin or source in self.sources

    def as_dict(self) -> dict[str, Any]:
        return {
            "password_hash": self.password_hash,
            "sources": self.sources,
            "admin": self.admin,
            "tokens": self.tokens,
        }


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
            raise AccountError(
                f"nom de compte refusé : {name!r} ; 2 à 40 caractères, minuscules, chiffres, "
                "point, tiret ou souligné (exemple : marie.durand)"
            )
        unknown = [s for s in sources if s not in known]
        if unknown:
            raise AccountError(
                f"source inconnue : {', '.join(unknown)} ; sources connues : {', '.join(known)}"
            )
        if not sources and not admin:
            raise AccountError("indiquez les sources du compte (--sources a,b) ou --admin")
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"mot de passe trop court : au moins {MIN_PASSWORD} caractères")
        with self._locked():
            accounts = self.load()
            if name in accounts:
                raise AccountError(f"le compte {name} existe déjà (opendata users remove {name})")
            account = Account(name, _HASHER.hash(password), sorted(set(sources)), admin)
            accounts[name] = account
            self._save(accounts)
        return account

    def remove(self, name: str) -> None:
        """Delete an account (its sessions and tokens stop working at once)."""
        with self._locked():
            accounts = self.load()
            if accounts.pop(name, None) is None:
                raise AccountError(f"aucun compte {name}")
            self._save(accounts)

    def new_token(self, name: str) -> str:
        """A new API token for ``name``, returned once (only its digest is kept)."""
        token = "odp_" + secrets.token_urlsafe(32)
        with self._locked():
            accounts = self.load()
            if name not in accounts:
                raise AccountError(f"aucun compte {name}")
            accounts[name].tokens.append(_token_digest(token))
            self._save(accounts)
        return token

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
            if any(hmac.compare_digest(digest, known) for known in account.tokens):
                return account
        return None

    def get(self, name: str) -> Account | None:
        """The account named ``name`` if it still exists."""
        return self.load().get(name)
