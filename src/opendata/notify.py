"""Tell stewards and the data team what became of a delivery, by e-mail.

A steward hears when their file is accepted (the portal), held with the reasons, published
(the version and its address) or rejected (the data team's reason); the data team hears when
a delivery is held. Mail goes through the SMTP server of ``OPENDATA_SMTP_HOST``; without one,
nothing is sent and the portal says so. Who sent a delivery is written beside ``raw/`` when it
is stored (``senders/<source>/<stored name>.json``: the account and its address then), so the
publication, run elsewhere, knows whom to tell.

Mail never stops a publication: a server that refuses or does not answer within
:data:`TIMEOUT` seconds costs one warning in the log, without the address or the message.
Nothing of a file's cells is ever in a message: counts, file names, versions and reasons.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from opendata import settings
from opendata.report.operations import say
from opendata.storage import write_file

log = logging.getLogger(__name__)
TIMEOUT = 10.0


def configured() -> bool:
    """Whether e-mails go out (an SMTP server is set)."""
    return bool(settings.SMTP_HOST.get())


def send(to: list[str], subject: str, body: str) -> bool:
    """Send one plain-text message in French; False when not configured, nobody to tell, or
    the server failed (logged, never raised)."""
    recipients = [a for a in to if a]
    if not configured() or not recipients:
        return False
    import smtplib  # here: a steward's `opendata validate` never loads mail
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    message = EmailMessage()
    message["From"] = settings.MAIL_FROM.get()
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="opendata.local")
    message.set_content(body + say("mail_signature"))
    try:
        with smtplib.SMTP(
            settings.SMTP_HOST.get(), settings.SMTP_PORT.get(), timeout=TIMEOUT
        ) as smtp:
            if settings.SMTP_STARTTLS.get():
                smtp.starttls()
            if settings.SMTP_USER.get():
                smtp.login(settings.SMTP_USER.get(), settings.SMTP_PASSWORD.get())
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("e-mail not sent (%s): %s", type(exc).__name__, subject)
        return False
    return True


def team() -> list[str]:
    """The data team's addresses (``OPENDATA_DATA_TEAM_EMAIL``)."""
    return [a.strip() for a in settings.DATA_TEAM_EMAIL.get().split(",") if a.strip()]


def senders_dir(raw_dir: Path) -> Path:
    """``senders/`` beside ``raw/``."""
    return raw_dir.resolve().parent / "senders"


def record_sender(
    raw_dir: Path, source: str, stored: str, account: str, email: str, name: str = ""
) -> None:
    """Note who sent the delivery stored as ``raw/<source>/<stored>``, and under which name
    (the steward's own: the messages name the file as they know it)."""
    data = {"account": account, "email": email, "name": name}
    write_file(
        senders_dir(raw_dir) / source / f"{stored}.json",
        json.dumps(data, ensure_ascii=False).encode("utf-8"),
        private=True,
    )


def sender_of(raw_dir: Path, source: str, stored: str) -> dict[str, Any] | None:
    """Who sent ``raw/<source>/<stored>`` through the portal (None: another way in)."""
    path = senders_dir(raw_dir) / source / f"{stored}.json"
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def _sender(raw_dir: Path, source: str, stored: str) -> tuple[list[str], str]:
    """Whom to tell about ``raw/<source>/<stored>`` (none when it did not come through the
    portal, or from an account without an address) and the file's name as its steward knows
    it (the stored name when unknown): one read of the sender's note."""
    sender = sender_of(raw_dir, source, stored) or {}
    address = [str(sender["email"])] if sender.get("email") else []
    return address, str(sender.get("name") or stored)


def accepted(email: str, source_title: str, name: str) -> bool:
    """The steward's file is stored, waiting for the next publication."""
    return send(
        [email],
        say("mail_accepted_subject", name=name),
        say("mail_accepted", name=name, title=source_title),
    )


def held(raw_dir: Path, source: str, stored: str, reasons: list[str], note: str = "") -> None:
    """A delivery waits for a person: its sender and the data team are told why."""
    why = "\n".join(f"- {r}" for r in reasons)
    address, name = _sender(raw_dir, source, stored)
    send(address, say("mail_held_subject", name=name), say("mail_held", name=name, why=why))
    word = say("mail_team_word", note=note) if note else ""
    delivery = f"{source}/{stored}"
    send(
        team(),
        say("mail_team_subject", delivery=delivery),
        say("mail_team", delivery=delivery, why=why, word=word),
    )


def published(deliveries: list[tuple[Path, str, str]], dataset: str, version: str) -> None:
    """Each sender of ``deliveries`` ((raw folder, source, stored name)) hears that their file
    is online in ``version`` of ``dataset``, with its address when the public one is set."""
    base = settings.BASE_URL.get()
    link = say("mail_published_link", url=f"{base.rstrip('/')}/{dataset}/") if base else ""
    for raw_dir, source, stored in deliveries:
        address, name = _sender(raw_dir, source, stored)
        text = say("mail_published", name=name, version=version, dataset=dataset, link=link)
        send(address, say("mail_published_subject", name=name), text)


def rejected(raw_dir: Path, source: str, stored: str, reason: str) -> None:
    """The data team refused a held delivery: its sender hears why."""
    address, name = _sender(raw_dir, source, stored)
    text = say("mail_rejected", name=name, reason=reason)
    send(address, say("mail_rejected_subject", name=name), text)
