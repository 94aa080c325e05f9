"""Statistical disclosure control: primary and complementary cell suppression.

The rule and the structure of the tables (which cells add up to which published total) are
declared in the dataset's ``disclosureControl`` metadata. A count between 1 and ``threshold - 1``
is suppressed (primary suppression); then, as long as some suppressed value can be narrowed to
an interval narrower than ``protectionWidth`` by linear programming over everything published,
one more cell (or total) sharing an equation with it is suppressed (complementary suppression).

:mod:`opendata.disclosure_audit` checks the result independently before anything is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog

THRESHOLD_ENV = "OPENDATA_DISCLOSURE_THRESHOLD"


@dataclass(frozen=True)
class Rule:
    """The disclosure rule of a dataset, as declared in its package metadata."""

    threshold: int
    protection_width: int
    cells: dict[str, str]
    margins: dict[str, Any]

    @classmethod
    def from_descriptor(cls, descriptor: dict[str, Any]) -> Rule | None:
        """The dataset's rule (``$OPENDATA_DISCLOSURE_THRESHOLD`` overrides the threshold)."""
        spec = descriptor.get("disclosureControl")
        if not spec:
            return None
        threshold = int(os.environ.get(THRESHOLD_ENV, spec["threshold"]))
        width = max(int(spec.get("protectionWidth", threshold)), threshold)
        return cls(threshold, width, spec["cells"], spec["margins"])

    def as_metadata(self, original: dict[str, Any]) -> dict[str, Any]:
        """The rule as written in the published package, with the parameters really used."""
        return {**original, "threshold": self.threshold, "protectionWidth": self.protection_width}


Key = tuple[str, int, str]  # ("cell", row, "") or ("total", margin row, field)


@dataclass
class Group:
    """One group of the margins (e.g. a programme and a year): its cells and equations."""

    cells: list[int]
    margin_row: int | None
    equations: list[tuple[str, list[int]]] = field(default_factory=list)  # (total, cell rows)


def _in_where(frame: pd.DataFrame, where: dict[str, list[Any]] | None) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, allowed in (where or {}).items():
        mask &= frame[column].isin(allowed)
    return mask


def _groups(cells: pd.DataFrame, margins: pd.DataFrame, rule: Rule) -> list[Group]:
    by = rule.margins["groupBy"]
    margin_rows = {tuple(v): i for i, v in zip(margins.index, margins[by].values, strict=True)}
    found = []
    for key, members in cells.groupby(by, sort=True):
        group = Group(list(members.index), margin_rows.get(tuple(key)))
        for spec in rule.margins["sums"]:
            rows = list(members.index[_in_where(members, spec.get("where"))])
            group.equations.append((spec["field"], rows))
        found.append(group)
    return found


class _System:
    """The linear system an attacker can write for one group, given what is hidden."""

    def __init__(
        self, group: Group, rule: Rule, counts: dict[int, int], totals: dict[tuple[int, str], int]
    ) -> None:
        self.group, self.rule, self.counts, self.totals = group, rule, counts, totals

    def _total(self, name: str) -> float:
        assert self.group.margin_row is not None
        return float(self.totals[(self.group.margin_row, name)])

    def interval(self, hidden: set[Key], target: Key) -> tuple[float, float]:
        """Smallest and largest value of ``target`` compatible with what is published."""
        group = self.group
        row = -1 if group.margin_row is None else group.margin_row
        unknowns = [
            k
            for k in hidden
            if (k[0] == "cell" and k[1] in group.cells) or (k[0] == "total" and k[1] == row)
        ]
        unknowns.sort()
        position = {k: i for i, k in enumerate(unknowns)}
        n = len(unknowns)
        a_eq: list[np.ndarray] = []
        b_eq: list[float] = []
        a_ub: list[np.ndarray] = []
        b_ub: list[float] = []
        for total, rows in group.equations if group.margin_row is not None else []:
            coef, rhs = np.zeros(n), 0.0
            for r in rows:
                if ("cell", r, "") in position:
                    coef[position[("cell", r, "")]] += 1
                else:
                    rhs -= float(self.counts[r])
            if ("total", row, total) in position:
                coef[position[("total", row, total)]] -= 1
            else:
                rhs += self._total(total)
            a_eq.append(coef)
            b_eq.append(rhs)
        bounded = self.rule.margins.get("atMost", []) if group.margin_row is not None else []
        for spec in bounded:
            coef, rhs = np.zeros(n), 0.0
            for name, sign in ((spec["field"], 1.0), (spec["bound"], -1.0)):
                if ("total", row, name) in position:
                    coef[position[("total", row, name)]] += sign
                else:
                    rhs -= sign * self._total(name)
            a_ub.append(coef)
            b_ub.append(rhs)
        objective = np.zeros(n)
        objective[position[target]] = 1.0
        options: dict[str, Any] = {"bounds": [(0, None)] * n, "method": "highs"}
        if a_eq:
            options.update(A_eq=np.array(a_eq), b_eq=np.array(b_eq))
        if a_ub:
            options.update(A_ub=np.array(a_ub), b_ub=np.array(b_ub))
        low = linprog(objective, **options)
        high = linprog(-objective, **options)
        if low.status != 0 or high.status not in (0, 3):
            raise RuntimeError(
                f"disclosure: the published figures are inconsistent ({low.message})"
            )
        return float(low.fun), float("inf") if high.status == 3 else float(-high.fun)


def _neighbours(group: Group, rule: Rule, key: Key) -> tuple[list[int], list[str]]:
    """Cells and totals that share an equation with ``key``."""
    cells: list[int] = []
    totals: list[str] = []
    for total, rows in group.equations:
        if (key[0] == "cell" and key[1] in rows) or (key[0] == "total" and key[2] == total):
            cells += rows
            totals.append(total)
    for spec in rule.margins.get("atMost", []):
        if key[0] == "total" and key[2] in (spec["field"], spec["bound"]):
            totals += [spec["field"], spec["bound"]]
    if key[0] == "total":
        totals += [t for t, _ in group.equations]  # a total can always hide behind another
    return cells, totals


def protect(
    cells: pd.DataFrame, margins: pd.DataFrame, rule: Rule
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Suppress every count below the threshold, then enough others to protect them."""
    count = rule.cells["count"]
    counts: dict[int, int] = dict(zip(cells.index, cells[count].astype(int), strict=True))
    total_fields = [s["field"] for s in rule.margins["sums"]] + [
        s["field"] for s in rule.margins.get("atMost", [])
    ]
    t = rule.threshold
    totals: dict[tuple[int, str], int] = {
        (int(r), f): int(v) for f in total_fields for r, v in margins[f].items()
    }
    hidden: set[Key] = {("cell", r, "") for r, v in counts.items() if 1 <= v < t}
    hidden |= {("total", r, f) for (r, f), v in totals.items() if 1 <= v < t}
    for group in _groups(cells, margins, rule):
        system = _System(group, rule, counts, totals)
        while True:
            weak = next(
                (
                    k
                    for k in sorted(hidden)
                    if (
                        (k[0] == "cell" and k[1] in group.cells)
                        or (k[0] == "total" and k[1] == group.margin_row)
                    )
                    and _width(system.interval(hidden, k)) < rule.protection_width
                ),
                None,
            )
            if weak is None:
                break
            hidden.add(_complement(group, rule, weak, hidden, counts, totals))
    out_cells = cells.copy()
    hidden_rows = [k[1] for k in hidden if k[0] == "cell"]
    out_cells[rule.cells["flag"]] = out_cells.index.isin(hidden_rows)
    out_cells[count] = cells[count].astype("Int64").mask(out_cells[rule.cells["flag"]])
    out_margins = margins.copy()
    for f in total_fields:
        out_margins[f] = out_margins[f].astype("Int64")
    for kind, row, name in hidden:
        if kind == "total":
            out_margins.loc[row, name] = pd.NA
    return out_cells, out_margins


def _width(bounds: tuple[float, float]) -> float:
    return bounds[1] - bounds[0]


def _complement(
    group: Group,
    rule: Rule,
    weak: Key,
    hidden: set[Key],
    counts: dict[int, int],
    totals: dict[tuple[int, str], int],
) -> Key:
    """The next value to hide for ``weak``: the smallest non-zero cell sharing an equation,
    else a total, else an empty cell (the least information lost first)."""
    cells, total_names = _neighbours(group, rule, weak)
    open_cells = sorted({r for r in cells if ("cell", r, "") not in hidden})
    nonzero = [r for r in open_cells if counts[r] > 0]
    if nonzero:
        return ("cell", min(nonzero, key=lambda r: (counts[r], r)), "")
    row = group.margin_row
    if row is not None:
        names = [f for f in dict.fromkeys(total_names) if ("total", row, f) not in hidden]
        if names:
            return ("total", row, min(names, key=lambda f: (totals[(row, f)], f)))
    if open_cells:
        return ("cell", open_cells[0], "")
    raise RuntimeError(f"disclosure: cannot protect {weak}: everything around it is hidden")
