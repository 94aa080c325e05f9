"""Take in what stewards send: validate, store safely, never lose a file, never store it twice.

:mod:`.store` stores one delivery (:func:`submit`, from the command line or the portal, which
hands it the report of a check of the same bytes under the same contract: :class:`Checked`);
:mod:`.inbox` takes in every file waiting in the inbox (:func:`process_inbox`, its callback
told of each accepted delivery).
"""

from opendata.intake.inbox import (
    IntakeBusy,
    as_record,
    drop_stale_temporaries,
    inbox_files,
    inbox_lock,
    process_inbox,
    receipts_summary,
)
from opendata.intake.store import (
    Checked,
    Receipt,
    quarantine_broken,
    stored_name,
    submit,
    today_in_paris,
)

__all__ = [
    "Checked",
    "IntakeBusy",
    "Receipt",
    "as_record",
    "drop_stale_temporaries",
    "inbox_files",
    "inbox_lock",
    "process_inbox",
    "quarantine_broken",
    "receipts_summary",
    "stored_name",
    "submit",
    "today_in_paris",
]
