"""Statistical disclosure control over linked tables: one suppression pattern for all of them.

The rule and the structure of the tables are declared in the dataset's ``disclosureControl``
metadata: the tables of counts (``tables``, each with a ``count`` and a ``flag`` column), the
resource of their totals (``totals``), the group they are published by (``groupBy``: a
programme and a year), and the relations an outsider can write between them (``sums``: a total
is the sum of a table's cells in its group, optionally of some of them; ``atMost``: a total is at
most another). Groups share no relation, so each is protected on its own.

A count between 1 and ``threshold - 1`` is suppressed (primary suppression). The complementary
suppressions are chosen by a mixed-integer program (HiGHS, through SciPy) that hides as few
trainees as possible (each value weighs its count plus one, times its field's
``suppressionCost``: a headline total can be made dearer than a cell), under
necessary conditions written for every relation: a suppressed value never alone in a relation,
and the other values hidden beside it add up to at least ``protectionWidth``. Each pattern it
proposes is then attacked exactly: for every suppressed value, a linear program over everything
published in the group gives the smallest and largest value it can take; if one interval is
narrower than ``protectionWidth``, a cut is added and the program solved again: hide one of
the published values that interval rests on (read from the duals of the attack, as in
Fischetti and Salazar-González's cell suppression method), or do not hide that value. The loop
ends on a pattern that the attack cannot narrow.

:mod:`opendata.publish.disclosure_audit` checks the result independently before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from opendata import settings

THRESHOLD_ENV = settings.DISCLOSURE_THRESHOLD.name
MAX_ROUNDS = 500


@dataclass(frozen=True)
class Rule:
    """The disclosure rule of a dataset, as declared in its package metadata."""

    threshold: int
    protection_width: int
    spec: dict[str, Any]

    @classmethod
    def from_descriptor(cls, descriptor: dict[str, Any]) -> Rule | None:
        """The dataset's rule (``$OPENDATA_DISCLOSURE_THRESHOLD`` overrides the threshold)."""
        spec = descriptor.get("disclosureControl")
        if not spec:
            return None
        threshold = settings.DISCLOSURE_THRESHOLD.get() or int(spec["threshold"])
        width = max(int(spec.get("protectionWidth", threshold)), threshold)
        return cls(threshold, width, spec)

    @property
    def tables(self) -> list[str]:
        return list(self.spec["tables"])

    @property
    def totals(self) -> str:
        return str(self.spec["totals"]["resource"])

    @property
    def resources(self) -> list[str]:
        """Every resource the rule protects."""
        return [*self.tables, self.totals]

    def as_metadata(self) -> dict[str, Any]:
        """The rule as written in the published package, with the parameters really used."""
        return {**self.spec, "threshold": self.threshold, "protectionWidth": self.protection_width}


Item = tuple[str, int, str]  # (resource, row of the frame, field)


@dataclass
class Relation:
    """``total`` is the sum of ``cells``."""

    total: Item
    cells: list[Item]


@dataclass
class Group:
    """One group of the tables (a programme and a year): its values and their relations."""

    values: dict[Item, int]
    relations: list[Relation] = field(default_factory=list)
    at_most: list[tuple[Item, Item]] = field(default_factory=list)  # (a, b): a <= b


def _where(frame: pd.DataFrame, where: dict[str, list[Any]] | None) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, allowed in (where or {}).items():
        mask &= frame[column].isin(allowed)
    return mask


def groups(frames: dict[str, pd.DataFrame], rule: Rule) -> list[Group]:
    """The groups of the exact tables, with every relation the rule declares."""
    by, count = rule.spec["groupBy"], rule.spec["count"]
    totals = frames[rule.totals]
    members = {
        name: {
            tuple(key if isinstance(key, tuple) else (key,)): frame.loc[rows]
            for key, rows in frame.groupby(by if len(by) > 1 else by[0], sort=True).groups.items()
        }
        for name, frame in ((t, frames[t]) for t in rule.tables)
    }
    found = []
    for row, key in zip(totals.index, totals[by].itertuples(index=False, name=None), strict=True):
        group = Group(
            {(rule.totals, int(row), f): int(totals[f][row]) for f in rule.spec["totals"]["fields"]}
        )
        for name in rule.tables:
            part = members[name].get(tuple(key))
            if part is not None:
                group.values.update({(name, int(i), count): int(v) for i, v in part[count].items()})
        for spec in rule.spec["sums"]:
            part = members[spec["resource"]].get(tuple(key))
            rows = [] if part is None else list(part.index[_where(part, spec.get("where"))])
            cells: list[Item] = [(spec["resource"], int(i), count) for i in rows]
            group.relations.append(Relation((rule.totals, int(row), spec["total"]), cells))
        for spec in rule.spec.get("atMost", []):
            group.at_most.append(
                ((rule.totals, int(row), spec["field"]), (rule.totals, int(row), spec["bound"]))
            )
        found.append(group)
    covered = sum(len(g.values) for g in found)
    expected = sum(len(frames[t]) for t in rule.tables) + len(totals) * len(
        rule.spec["totals"]["fields"]
    )
    if covered != expected:
        raise ValueError("disclosure: a table has a group that its totals resource does not list")
    return found


def _matrices(group: Group, items: list[Item]) -> tuple[np.ndarray, np.ndarray]:
    """Every relation of the group over all its items: ``A_eq x = 0`` and ``A_ub x <= 0``."""
    index = {k: i for i, k in enumerate(items)}
    a_eq = np.zeros((len(group.relations), len(items)))
    for r, relation in enumerate(group.relations):
        for cell in relation.cells:
            a_eq[r, index[cell]] += 1.0
        a_eq[r, index[relation.total]] -= 1.0
    a_ub = np.zeros((len(group.at_most), len(items)))
    for r, (low, high) in enumerate(group.at_most):
        a_ub[r, index[low]] += 1.0
        a_ub[r, index[high]] -= 1.0
    return a_eq, a_ub


@dataclass
class Bound:
    """What an attacker works out of one hidden value: its interval, and the published values
    the two certificates of that interval rest on (hiding none of them keeps it as narrow)."""

    low: float
    high: float
    support: set[Item]


def intervals(group: Group, hidden: set[Item]) -> dict[Item, Bound]:
    """Smallest and largest value of each hidden item, given everything else in the group
    (a linear program: the relations, every count at least 0), with the published values each
    bound depends on (read from the duals of the two programs)."""
    items = sorted(group.values)
    unknown = [i for i, k in enumerate(items) if k in hidden]
    known = [i for i, k in enumerate(items) if k not in hidden]
    if not unknown:
        return {}
    values = np.array([group.values[items[i]] for i in known], dtype=float)
    a_eq, a_ub = _matrices(group, items)
    options: dict[str, Any] = {"bounds": [(0, None)] * len(unknown), "method": "highs"}
    if len(a_eq):
        options.update(A_eq=a_eq[:, unknown], b_eq=-a_eq[:, known] @ values)
    if len(a_ub):
        options.update(A_ub=a_ub[:, unknown], b_ub=-a_ub[:, known] @ values)

    def support(result: Any) -> set[Item]:
        weight = np.zeros(len(known))
        if len(a_eq):
            weight += result.eqlin.marginals @ a_eq[:, known]
        if len(a_ub):
            weight += result.ineqlin.marginals @ a_ub[:, known]
        return {items[known[j]] for j in np.flatnonzero(np.abs(weight) > 1e-9)}

    found = {}
    for position, i in enumerate(unknown):
        objective = np.zeros(len(unknown))
        objective[position] = 1.0
        low, high = linprog(objective, **options), linprog(-objective, **options)
        if low.status != 0 or high.status not in (0, 3):
            raise RuntimeError(f"disclosure: the exact tables are inconsistent ({low.message})")
        if high.status == 3:
            found[items[i]] = Bound(float(low.fun), float("inf"), set())
        else:
            found[items[i]] = Bound(float(low.fun), float(-high.fun), support(low) | support(high))
    return found


def pattern(group: Group, rule: Rule) -> set[Item]:
    """The values of ``group`` to hide: every small one, and the cheapest complement that no
    attack over the group's relations can narrow below the protection width."""
    t, w = rule.threshold, rule.protection_width
    items = sorted(group.values)
    index = {k: i for i, k in enumerate(items)}
    primary = {k for k in items if 1 <= group.values[k] < t}
    if not primary:
        return set()
    costs = rule.spec.get("suppressionCost", {})
    weights = np.array([(group.values[k] + 1) * float(costs.get(k[2], 1)) for k in items])
    rows: list[np.ndarray] = []

    def at_least_zero(coef: dict[Item, float]) -> None:
        row = np.zeros(len(items))
        for k, c in coef.items():
            row[index[k]] += c
        rows.append(row)

    for relation in group.relations:
        members = [relation.total, *relation.cells]
        for item in members:  # never alone in a relation
            at_least_zero({**{m: 1.0 for m in members if m != item}, item: -1.0})
        for cell in relation.cells:  # the others hidden beside it add up to the width
            if group.values[cell] < w:
                coef = {c: float(group.values[c]) for c in relation.cells if c != cell}
                coef[cell] = -(w - group.values[cell])
                coef[relation.total] = float(w)
                at_least_zero(coef)
    lower = np.array([1.0 if k in primary else 0.0 for k in items])
    for _ in range(MAX_ROUNDS):
        constraints = [LinearConstraint(np.array(rows), 0, np.inf)] if rows else []
        result = milp(
            weights,
            integrality=np.ones(len(items)),
            bounds=Bounds(lower, np.ones(len(items))),
            constraints=constraints,
        )
        if result.status != 0:
            raise RuntimeError(f"disclosure: no suppression pattern found ({result.message})")
        hidden = {k for k in items if result.x[index[k]] > 0.5}
        weak = {k: b for k, b in intervals(group, hidden).items() if b.high - b.low < w - 1e-6}
        if not weak:
            return hidden
        for item, bound in weak.items():  # hide a value its bounds rest on, or not this one
            at_least_zero({**{k: 1.0 for k in bound.support}, item: -1.0})
    raise RuntimeError("disclosure: no protected suppression pattern within the rounds allowed")


def protect(frames: dict[str, pd.DataFrame], rule: Rule) -> dict[str, pd.DataFrame]:
    """The rule's tables with every small count suppressed, and enough others to protect them
    all together (the other frames are returned as they are)."""
    hidden: set[Item] = set()
    for group in groups(frames, rule):
        hidden |= pattern(group, rule)
    out = dict(frames)
    count, flag = rule.spec["count"], rule.spec["flag"]
    for name in rule.tables:
        table = frames[name].copy()
        rows = [r for resource, r, _ in hidden if resource == name]
        table[flag] = table.index.isin(rows)
        table[count] = table[count].astype("Int64").mask(table[flag])
        out[name] = table
    totals = frames[rule.totals].copy()
    for f in rule.spec["totals"]["fields"]:
        totals[f] = totals[f].astype("Int64")
    for resource, row, name in hidden:
        if resource == rule.totals:
            totals.loc[row, name] = pd.NA
    out[rule.totals] = totals
    return out
