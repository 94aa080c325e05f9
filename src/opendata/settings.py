"""Every ``OPENDATA_*`` setting: its name, type, default and one line of help, read here only.

A setting is an environment variable, read each time its value is asked for (``SETTING.get()``),
so that a test or a deployment's job variables change it without restarting anything. A value
that cannot be read stops the command with the setting's name, what was given and what is
expected. ``docs/settings.md`` is generated from this table (``python -m opendata.settings``)
and a test keeps it so; another test fails when a module reads an ``OPENDATA_*`` name itself.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class SettingError(ValueError):
    """A setting given a value it cannot hold."""


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One ``OPENDATA_*`` environment variable."""

    name: str
    kind: str  # what the documentation says of its type
    default: T
    help: str
    part: str  # where it acts: the section of docs/settings.md
    parse: Callable[[str], T]

    def get(self) -> T:
        """The value in force: the environment's, else the default."""
        text = os.environ.get(self.name)
        if text is None or not text.strip():
            return self.default
        try:
            return self.parse(text)
        except (ValueError, TypeError) as exc:
            raise SettingError(f"{self.name}={text!r}: {exc}") from None

    def is_set(self) -> bool:
        return bool(os.environ.get(self.name))


SETTINGS: dict[str, Setting[Any]] = {}


def _declare(
    name: str, kind: str, default: T, parse: Callable[[str], T], part: str, help: str
) -> Setting[T]:
    if name in SETTINGS:
        raise ValueError(f"{name} is declared twice")
    setting = Setting(name, kind, default, help, part, parse)
    SETTINGS[name] = setting
    return setting


def _whole(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError("give a whole number") from None
    if value <= 0:
        raise ValueError("give a positive number")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError("give a number") from None
    if value < 0:
        raise ValueError("give a number of zero or more")
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError("give a share between 0 and 1 (0.2 for 20 %)")
    return value


def _flag(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "oui"):
        return True
    if text.lower() in ("0", "false", "no", "non", ""):
        return False
    raise ValueError("give 1 or 0")


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in allowed:
            raise ValueError(f"use {' or '.join(allowed)}")
        return text

    return parse


def _options(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError('give a JSON object ({"endpoint_url": ...})')
    return value


def _text(text: str) -> str:
    return text


def _path(text: str) -> Path:
    return Path(text)


# --- The project ----------------------------------------------------------------------------
ROOT = _declare(
    "OPENDATA_ROOT", "folder", None, _path, "project",
    "The project folder (schemas/, raw/, published/); else --root, else the current folder "
    "when it holds schemas/, else the checkout this package runs from.",
)  # fmt: skip
SCHEMAS = _declare(
    "OPENDATA_SCHEMAS", "folder", None, _path, "project",
    "The contracts folder, when it is not the project's schemas/.",
)  # fmt: skip
WORK_DIR = _declare(
    "OPENDATA_WORK_DIR", "folder", None, _path, "project",
    "Where intermediate files live (.opendata-work beside raw/); on the published folder's "
    "file system, so that a finished file is moved, not copied.",
)  # fmt: skip
DEBUG = _declare(
    "OPENDATA_DEBUG", "1 or 0", False, _flag, "project",
    "An unexpected error prints its traceback (for an issue report) instead of one sentence.",
)  # fmt: skip
UPDATE_GOLDEN = _declare(
    "OPENDATA_UPDATE_GOLDEN", "1 or 0", False, _flag, "project",
    "The tests rewrite the golden files instead of comparing with them (make golden).",
)  # fmt: skip
REAP_WITH = _declare(
    "OPENDATA_REAP_WITH", "process id", None, _text, "project",
    "Set by opendata for its own children (they die with it); never set it by hand.",
)  # fmt: skip

# --- Bounds of a delivery (override the contracts' limits, for every source) -----------------
MAX_FILE_BYTES = _declare(
    "OPENDATA_MAX_FILE_BYTES", "bytes", None, _whole, "bounds",
    "Largest file received (gzip or xlsx: compressed); default 50 MiB or the contract's.",
)  # fmt: skip
MAX_DECOMPRESSED_BYTES = _declare(
    "OPENDATA_MAX_DECOMPRESSED_BYTES", "bytes", None, _whole, "bounds",
    "Most bytes read out of a gzip or a workbook's parts; default 256 MiB or the contract's.",
)  # fmt: skip
MAX_ROWS = _declare(
    "OPENDATA_MAX_ROWS", "count", None, _whole, "bounds",
    "Most records in one delivery; default 100 000 or the contract's.",
)  # fmt: skip
MAX_COLUMNS = _declare(
    "OPENDATA_MAX_COLUMNS", "count", None, _whole, "bounds",
    "Most cells in one row; default 200 or the contract's.",
)  # fmt: skip
MAX_CELL_CHARS = _declare(
    "OPENDATA_MAX_CELL_CHARS", "count", None, _whole, "bounds",
    "Most characters in one cell; default 10 000 or the contract's.",
)  # fmt: skip

# --- Publishing -----------------------------------------------------------------------------
BASE_URL = _declare(
    "OPENDATA_BASE_URL", "URL", None, _text, "publish",
    "The public address published/ is served from: absolute links in the DCAT catalogue. "
    "Required by opendata serve and deploy (or --base-url).",
)  # fmt: skip
PUBLICATIONS_DIR = _declare(
    "OPENDATA_PUBLICATIONS_DIR", "folder", None, _path, "publish",
    "The record of publications (publications/ beside published/).",
)  # fmt: skip
DECISIONS_DIR = _declare(
    "OPENDATA_DECISIONS_DIR", "folder", None, _path, "publish",
    "The data team's approvals and rejections of held deliveries (decisions/ beside raw/).",
)  # fmt: skip
HOLD_REMOVED_SHARE = _declare(
    "OPENDATA_HOLD_REMOVED_SHARE", "share", 0.2, _share, "publish",
    "A snapshot removing more than this share of the published rows is held for review.",
)  # fmt: skip
HOLD_CHANGED_SHARE = _declare(
    "OPENDATA_HOLD_CHANGED_SHARE", "share", 0.5, _share, "publish",
    "A snapshot changing more than this share of the published rows is held for review.",
)  # fmt: skip
HOLD_WAIT_SECONDS = _declare(
    "OPENDATA_HOLD_WAIT_SECONDS", "seconds", 7 * 24 * 3600.0, _seconds, "publish",
    "How long a held publication waits for the data team's decision on the Prefect server.",
)  # fmt: skip
DISCLOSURE_THRESHOLD = _declare(
    "OPENDATA_DISCLOSURE_THRESHOLD", "count", None, _whole, "publish",
    "Smallest count published about people (else the dataset's disclosureControl threshold).",
)  # fmt: skip
PUBLISHED_URL = _declare(
    "OPENDATA_PUBLISHED_URL", "URL", None, _text, "publish",
    "Object storage to mirror published/ to (s3://bucket/prefix, or any fsspec address).",
)  # fmt: skip
STORAGE_OPTIONS = _declare(
    "OPENDATA_STORAGE_OPTIONS", "JSON object", None, _options, "publish",
    'fsspec options of that storage ({"endpoint_url": ...}); credentials from the usual '
    "AWS variables.",
)  # fmt: skip
TASK_RUNNER = _declare(
    "OPENDATA_TASK_RUNNER", "threads or dask", "threads", _choice("threads", "dask"), "publish",
    "Where the months of a large source are built: threads of the flow's process, or Dask.",
)  # fmt: skip
THREADS = _declare(
    "OPENDATA_THREADS", "count", 1, _whole, "publish",
    "Months built at a time with threads (1: one month's memory at a time).",
)  # fmt: skip
DASK_ADDRESS = _declare(
    "OPENDATA_DASK_ADDRESS", "address", None, _text, "publish",
    "The Dask scheduler (tcp://host:8786); else a local cluster started for the run.",
)  # fmt: skip
DASK_WORKERS = _declare(
    "OPENDATA_DASK_WORKERS", "count", 2, _whole, "publish",
    "Processes of that local Dask cluster.",
)  # fmt: skip

# --- The stewards' portal -------------------------------------------------------------------
PORTAL_MAX_UPLOAD_BYTES = _declare(
    "OPENDATA_PORTAL_MAX_UPLOAD_BYTES", "bytes", None, _whole, "portal",
    "Largest upload (default: the largest file any contract accepts).",
)  # fmt: skip
PORTAL_SESSION_HOURS = _declare(
    "OPENDATA_PORTAL_SESSION_HOURS", "hours", 8.0, _seconds, "portal",
    "How long a steward stays signed in.",
)  # fmt: skip
PORTAL_WORKERS = _declare(
    "OPENDATA_PORTAL_WORKERS", "count", 2, _whole, "portal",
    "Processes checking large uploads (one more is kept for small files).",
)  # fmt: skip
PORTAL_SECURE_COOKIES = _declare(
    "OPENDATA_PORTAL_SECURE_COOKIES", "1 or 0", False, _flag, "portal",
    "Session cookies only over HTTPS (set it behind a TLS proxy).",
)  # fmt: skip
PORTAL_LOGIN_ATTEMPTS = _declare(
    "OPENDATA_PORTAL_LOGIN_ATTEMPTS", "count", 5, _whole, "portal",
    "Failed sign-ins of one account from one address before it waits 15 minutes.",
)  # fmt: skip
PORTAL_WAIT_SECONDS = _declare(
    "OPENDATA_PORTAL_WAIT_SECONDS", "seconds", 8.0, _seconds, "portal",
    "How long an upload waits for its report before the progress page is shown.",
)  # fmt: skip
PORTAL_UPLOAD_IDLE_SECONDS = _declare(
    "OPENDATA_PORTAL_UPLOAD_IDLE_SECONDS", "seconds", 30.0, _seconds, "portal",
    "An upload that sends nothing for this long is refused (408).",
)  # fmt: skip
PORTAL_CHECKS_PER_HOUR = _declare(
    "OPENDATA_PORTAL_CHECKS_PER_HOUR", "count", 120, _whole, "portal",
    "Uploads one account may check in an hour.",
)  # fmt: skip
PORTAL_TRUSTED_PROXIES = _declare(
    "OPENDATA_PORTAL_TRUSTED_PROXIES", "addresses", "", _text, "portal",
    "Proxies whose X-Forwarded-For is believed (comma-separated); none by default.",
)  # fmt: skip
PORTAL_CONTACT = _declare(
    "OPENDATA_PORTAL_CONTACT", "e-mail address", "", _text, "portal",
    "The data team's address, on the portal's help page (else it says to write to the team).",
)  # fmt: skip
PORTAL_RETENTION_HOURS = _declare(
    "OPENDATA_PORTAL_RETENTION_HOURS", "hours", 24.0, _seconds, "portal",
    "How long an upload that was not sent is kept.",
)  # fmt: skip
PORTAL_PERSONAL_RETENTION_MINUTES = _declare(
    "OPENDATA_PORTAL_PERSONAL_RETENTION_MINUTES", "minutes", 15.0, _seconds, "portal",
    "The same for a file of personal data (its report shows the deadline).",
)  # fmt: skip
PORTAL_REPORT_RETENTION_DAYS = _declare(
    "OPENDATA_PORTAL_REPORT_RETENTION_DAYS", "days", 30.0, _seconds, "portal",
    "How long the report of a check never sent is kept.",
)  # fmt: skip

SMTP_HOST = _declare(
    "OPENDATA_SMTP_HOST", "host name", "", _text, "mail",
    "The SMTP server that carries the e-mails to stewards and the data team (none: no e-mail "
    "is sent, and the portal says so).",
)  # fmt: skip
SMTP_PORT = _declare(
    "OPENDATA_SMTP_PORT", "port", 25, _whole, "mail",
    "Its port.",
)  # fmt: skip
SMTP_STARTTLS = _declare(
    "OPENDATA_SMTP_STARTTLS", "1 or 0", False, _flag, "mail",
    "Upgrade the connection with STARTTLS before sending.",
)  # fmt: skip
SMTP_USER = _declare(
    "OPENDATA_SMTP_USER", "text", "", _text, "mail",
    "The account to sign in to the SMTP server with (none: no sign-in).",
)  # fmt: skip
SMTP_PASSWORD = _declare(
    "OPENDATA_SMTP_PASSWORD", "text", "", _text, "mail",
    "Its password.",
)  # fmt: skip
MAIL_FROM = _declare(
    "OPENDATA_MAIL_FROM", "e-mail address", "opendata@localhost", _text, "mail",
    "The sender of the e-mails.",
)  # fmt: skip
DATA_TEAM_EMAIL = _declare(
    "OPENDATA_DATA_TEAM_EMAIL", "e-mail addresses", "", _text, "mail",
    "The data team's addresses (comma-separated), told when a delivery is held.",
)  # fmt: skip


def project_root() -> Path:
    """The project folder: ``OPENDATA_ROOT`` (``opendata --root`` sets it), else the current
    folder when it holds ``schemas/``, else the checkout this package runs from (an editable
    install), else the current folder."""
    given = ROOT.get()
    if given is not None:
        return given
    here = Path.cwd()
    if (here / "schemas").is_dir():
        return here
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "schemas").is_dir() and (checkout / "src" / "opendata").is_dir():
        return checkout
    return here


PARTS = {
    "project": "The project",
    "bounds": "Bounds of a delivery (override the contracts' limits, for every source)",
    "publish": "Publishing",
    "portal": "The stewards' portal",
    "mail": "E-mail to stewards and the data team",
}


def table() -> str:
    """``docs/settings.md``: every setting by part, as a Markdown table."""
    lines = [
        "# Settings",
        "",
        "Every `OPENDATA_*` environment variable the pipeline reads. Generated from",
        "`src/opendata/settings.py` by `python -m opendata.settings > docs/settings.md`",
        "(a test fails when this page and the code differ).",
    ]
    for part, title in PARTS.items():
        lines += ["", f"## {title}", "", "| Setting | Type | Default | What it does |"]
        lines += ["|---|---|---|---|"]
        for s in SETTINGS.values():
            if s.part == part:
                default = "—" if s.default in (None, "") else f"`{_shown(s.default)}`"
                lines.append(f"| `{s.name}` | {s.kind} | {default} | {s.help} |")
    return "\n".join(lines) + "\n"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


if __name__ == "__main__":
    print(table(), end="")
