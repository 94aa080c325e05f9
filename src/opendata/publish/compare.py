"""Before sending: what a snapshot file would change to what is published, and whether the
guard would hold it (:mod:`opendata.publish.guard`, the same comparison, the same thresholds).

The steward sees it in the report of their check (portal, API and ``opendata validate`` alike):
rows added, removed and changed, a few of each, and the reasons a person will look at the
file before it is published. For a source of personal data nothing of the rows is shown but
their number and, for rows of the steward's own file, their row number and the columns that
changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from opendata.publish import guard

if TYPE_CHECKING:
    from opendata.contracts.registry import Source
    from opendata.validate.file import Validation

EXAMPLES = 5
EARLIER = 3  # deliveries before the published one, read to recognise an old file re-sent


def published_version(published_dir: Path, dataset: str) -> str | None:
    """The version of ``dataset`` consumers have now (None before its first release)."""
    try:
        text = (published_dir / dataset / "datapackage.json").read_text(encoding="utf-8")
        version = json.loads(text).get("version")
    except (OSError, ValueError):
        return None
    return str(version) if version else None


def before_sending(
    validation: Validation, source: Source, raw_dir: Path, published_dir: Path
) -> dict[str, Any] | None:
    """The ``comparison`` of a valid snapshot file's report, or None: another kind of source,
    a refused file, nothing published yet or nothing delivered to compare with."""
    from opendata.contracts.deliveries import list_deliveries
    from opendata.publish.ledger import published_in
    from opendata.validate.remembered import Memory, store_of

    report = validation.report
    if source.delivery != "snapshot" or not report.valid or not validation.rows:
        return None
    version = published_version(published_dir, source.dataset)
    deliveries = list_deliveries(raw_dir, source)[-(EARLIER + 1) :]
    if version is None or not deliveries:
        return None
    kept = Memory(store_of(raw_dir), keep=False)  # the deliveries' kept validations
    delivered = [
        _table(delivery.name, kept.validate(delivery.path, source, raw_dir))
        for delivery in deliveries
    ]
    mine = _table(report.file, validation)
    compared = guard.compare_tables(source.name, [*delivered, mine])
    if compared is None:
        return None
    hold = compared.hold
    reasons = hold.reasons()
    rows = _row_numbers(mine, validation.rows, compared.key)
    return {
        "against": f"{source.dataset} {version}",
        "file": hold.previous,
        # The guard weighs a file against the newest delivery received, published or not (a
        # held one): said, so that a steward knows which file the figures are against.
        "filePublished": published_in(
            published_dir, source.dataset, f"{source.name}/{hold.previous}"
        )
        is not None,
        "rows": hold.live,
        "added": hold.added,
        "removed": hold.removed,
        "changed": hold.changed,
        "wouldHold": bool(reasons),
        "reasons": reasons,
        "examples": _examples(compared, delivered[-1], mine, rows, source),
    }


def _table(name: str, validation: Validation) -> guard.Table:
    """A checked file's cells as text, from its Arrow columns (no pandas)."""
    return guard.Table(
        name,
        {
            label: ["" if v is None else str(v) for v in column.text.to_pylist()]
            for label, column in validation.columns.items()
        },
    )


def _row_numbers(table: guard.Table, rows: list[int], key: list[str]) -> dict[tuple[str, ...], int]:
    if not all(k in table.columns for k in key):
        return {}
    keys = zip(*(table.columns[k] for k in key), strict=True)
    return dict(zip(keys, rows, strict=False))


def _examples(
    compared: guard.Compared,
    before: guard.Table,
    after: guard.Table,
    rows: dict[tuple[str, ...], int],
    source: Source,
) -> dict[str, list[dict[str, Any]]]:
    personal = source.personal_data  # then no value at all, only row numbers and columns

    def shown(key: tuple[str, ...]) -> str | None:
        return None if personal else " ".join(key)

    old, new = _by_key(before, compared.key), _by_key(after, compared.key)
    changed = []
    for key in compared.changed[:EXAMPLES]:
        columns = []
        for column in compared.shared:
            was, now = old[key].get(column, ""), new[key].get(column, "")
            if was == now:
                continue
            columns.append(
                {"column": column} if personal else {"column": column, "before": was, "after": now}
            )
        changed.append({"key": shown(key), "row": rows.get(key), "columns": columns})
    return {
        "added": [{"key": shown(k), "row": rows.get(k)} for k in compared.added[:EXAMPLES]],
        "removed": [] if personal else [{"key": shown(k)} for k in compared.removed[:EXAMPLES]],
        "changed": changed,
    }


def _by_key(table: guard.Table, key: list[str]) -> dict[tuple[str, ...], dict[str, str]]:
    cells = table.columns
    if not all(k in cells for k in key):
        return {}
    labels = list(cells)
    keys = zip(*(cells[k] for k in key), strict=True)
    rows = zip(*(cells[c] for c in labels), strict=True)
    return {k: dict(zip(labels, r, strict=True)) for k, r in zip(keys, rows, strict=True)}
