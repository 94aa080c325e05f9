"""What every rule sees and how rules are found: the :class:`Context` of a delivery, the
registry of check kinds by the name ``source.json`` uses, and running a source's checks."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.report.problems import Problem
from opendata.validate import normalize
from opendata.validate.engine.arrays import mask


@dataclass
class Context:
    """What a check sees of a delivery: per contract label, its cells as text (null where the
    row has no such cell) and its typed values (null where empty or not cast)."""

    text: dict[str, pa.Array]
    values: dict[str, pa.Array]
    labels: dict[str, str]  # contract label -> label as written in the file
    positions: dict[str, int]
    rows: np.ndarray  # each row's number in the file
    # No other delivery is seen here: a rule that needs one declares it as a foreign key, so
    # that a kept validation's key names it (opendata.validate.remembered).

    def has(self, *labels: str) -> bool:
        """Whether every one of these columns is in the file."""
        return all(label in self.text for label in labels)

    def problems(
        self, kind: str, label: str, mask: np.ndarray, severity: str = "error", **params: Any
    ) -> list[Problem]:
        """One problem per row where ``mask`` is true, on the cell of column ``label``."""
        where = np.flatnonzero(mask)
        cells = self.text[label].take(pa.array(where, pa.int64())).to_pylist()
        return [
            Problem(
                kind,
                row=int(self.rows[index]),
                label=self.labels[label],
                cell="" if cell is None else str(cell),
                severity=severity,
                params={"position": self.positions[label], **params},
            )
            for index, cell in zip(where.tolist(), cells, strict=True)
        ]

    def empty(self, label: str) -> np.ndarray:
        """Mask of the rows whose cell of ``label`` is empty or absent."""
        text = self.text[label]
        return ~mask(pc.greater(pc.binary_length(text), 0))

    def where(self, label: str, predicate: Callable[[str], Any]) -> np.ndarray:
        """Mask of the non-empty cells of ``label`` for which ``predicate`` is true, the
        predicate called once per distinct cell."""
        text = self.text[label]
        distinct = pc.unique(text).drop_null().to_pylist()
        chosen = [v for v in distinct if v and predicate(v)]
        return mask(pc.is_in(text, pa.array(chosen, pa.string())))

    def number(self, label: str) -> np.ndarray:
        """The typed values of ``label`` as floats, NaN where empty or not cast."""
        values = pc.cast(self.values[label], pa.float64())
        return np.asarray(pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False), float)

    def isin(self, label: str, values: list[str]) -> np.ndarray:
        """Mask of the rows whose cell of ``label`` is one of ``values``."""
        return mask(pc.is_in(self.text[label], pa.array([str(v) for v in values], pa.string())))


Check = Callable[[Context, dict[str, Any]], list[Problem]]
CHECKS: dict[str, Check] = {}
# Checks that compare every row with the others (registered with ``whole_file=True``): they
# cannot run batch by batch, so a source read so (the operator's months) may not declare them.
WHOLE_FILE_CHECKS: set[str] = set()
# Forms a source may declare in "keyForms": keys are compared in their canonical form, so
# "443 061 841" and "443061841", or "03/2007" and "2007-03", are the same key.
KEY_NORMALISERS: dict[str, Callable[[str], str | None]] = {
    "siren": normalize.siren_number,
    "siret": normalize.siret_number,
    "month": normalize.month,
}


def run_checks(specs: list[dict[str, Any]], ctx: Context) -> list[Problem]:
    """The problems of every check a source declares (``source.json``), in order; a check
    declared with ``"severity": "warning"`` gives warnings."""
    found: list[Problem] = []
    for spec in specs:
        problems = CHECKS[spec["type"]](ctx, spec)
        if spec.get("severity") == "warning":
            problems = [
                Problem(p.type, p.row, p.label, p.cell, p.params, "warning") for p in problems
            ]
        found += problems
    # One message per cell and rule: a cell two declarations of one rule both refuse (a
    # birth date outside 16-70 years that is also past 25 for a young person's status) is
    # said once, by the first declared.
    seen: set[tuple[Any, ...]] = set()
    kept = []
    for p in found:
        key = (p.row, p.label, p.type, p.params.get("rule"), p.severity)
        if p.row is not None and key in seen:
            continue
        seen.add(key)
        kept.append(p)
    return kept


def check(name: str, whole_file: bool = False) -> Callable[[Check], Check]:
    """Register a check type under the name source.json uses (``whole_file``: it compares
    every row with the others, see :data:`WHOLE_FILE_CHECKS`)."""

    def register(func: Check) -> Check:
        CHECKS[name] = func
        if whole_file:
            WHOLE_FILE_CHECKS.add(name)
        return func

    return register
