"""Check published tables against their disclosure rule, independently of how it was applied.

Works only from what is about to be published (the tables with their blanks) and the rule in
the package metadata, as an outsider would: no count between 1 and ``threshold - 1`` in any
table or total; blanks and ``suppressed`` flags agree; each declared sum holds where all its
terms are published; and for every blank, the interval of values compatible with everything
published in all the tables together (one linear program over every group) is at least
``protectionWidth`` wide. The publishing step refuses to write a package that fails any of these.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog
from scipy.sparse import lil_matrix


def audit(frames: dict[str, pd.DataFrame], spec: dict[str, Any]) -> list[str]:
    """Every breach of the rule ``spec`` (the package's ``disclosureControl``), in words."""
    numbers, breaches = _published_numbers(frames, spec)
    totals_name, totals, by = (
        spec["totals"]["resource"],
        frames[spec["totals"]["resource"]],
        spec["groupBy"],
    )
    if not totals.set_index(by).index.is_unique:
        return [*breaches, f"{totals_name}: two rows for the same {', '.join(by)}"]
    equalities, inequalities, missing = _relations(frames, spec)
    breaches += missing
    blanks = [label for label, value in numbers.items() if value is None]
    column = {label: j for j, label in enumerate(blanks)}

    def linear(terms: dict[str, float]) -> tuple[dict[int, float], float]:
        coef: dict[int, float] = {}
        rhs = 0.0
        for label, sign in terms.items():
            value = numbers[label]
            if value is None:
                coef[column[label]] = coef.get(column[label], 0.0) + sign
            else:
                rhs -= sign * value
        return coef, rhs

    rows_eq, rhs_eq, rows_ub, rhs_ub = [], [], [], []
    for terms, what in equalities:
        coef, rhs = linear(terms)
        if not coef:
            if abs(rhs) > 1e-9:
                breaches.append(f"{what}: the total is not the sum of its published cells")
            continue
        rows_eq.append(coef)
        rhs_eq.append(rhs)
    for terms in inequalities:
        coef, rhs = linear(terms)
        if not coef and rhs < -1e-9:
            breaches.append(f"{next(iter(terms))}: more than its bound")
        elif coef:
            rows_ub.append(coef)
            rhs_ub.append(rhs)
    if not blanks:
        return breaches
    return breaches + _too_narrow(column, (rows_eq, rhs_eq), (rows_ub, rhs_ub), spec)


def _published_numbers(
    frames: dict[str, pd.DataFrame], spec: dict[str, Any]
) -> tuple[dict[str, float | None], list[str]]:
    """Every published number, as label -> value or None (a blank), and the breaches seen on
    them alone: a flag that disagrees with its blank, a count under the threshold."""
    threshold, count, flag = int(spec["threshold"]), spec["count"], spec["flag"]
    totals_name, total_fields = spec["totals"]["resource"], spec["totals"]["fields"]
    breaches: list[str] = []
    numbers: dict[str, float | None] = {}
    for name in spec["tables"]:
        table = frames[name]
        mismatch = table[flag].astype(bool) != table[count].isna()
        breaches += [f"{name} row {i}: flag and blank disagree" for i in table.index[mismatch]]
        for i, value in table[count].items():
            numbers[f"{name}:{i}"] = None if pd.isna(value) else float(value)
    for f in total_fields:
        for i, value in frames[totals_name][f].items():
            numbers[f"{totals_name}:{i}:{f}"] = None if pd.isna(value) else float(value)
    for label, value in numbers.items():
        if value is not None and 0 < value < threshold:
            breaches.append(f"{label}: published count {value:g} < {threshold}")
    return numbers, breaches


def _relations(
    frames: dict[str, pd.DataFrame], spec: dict[str, Any]
) -> tuple[list[tuple[dict[str, float], str]], list[dict[str, float]], list[str]]:
    """The sums the tables declare (terms with signs, and what each says) and the bounds
    (``atMost``: sum(sign x) <= 0), with the groups missing from the totals."""
    totals_name, by = spec["totals"]["resource"], spec["groupBy"]
    totals = frames[totals_name]
    keys = totals.set_index(by).index
    equalities: list[tuple[dict[str, float], str]] = []
    missing: list[str] = []
    for s in spec["sums"]:
        chosen = frames[s["resource"]]
        for col, allowed in (s.get("where") or {}).items():
            chosen = chosen[chosen[col].isin(allowed)]
        located = pd.MultiIndex.from_frame(chosen[by]) if len(by) > 1 else pd.Index(chosen[by[0]])
        position = keys.get_indexer(located)
        if (position < 0).any():
            missing.append(f"{s['resource']}: a group missing from {totals_name}")
            continue
        for row in range(len(totals)):
            terms = {f"{s['resource']}:{i}": 1.0 for i in chosen.index[position == row]}
            terms[f"{totals_name}:{totals.index[row]}:{s['total']}"] = -1.0
            equalities.append((terms, f"{s['total']} of {keys[row]}"))
    inequalities = [
        {f"{totals_name}:{i}:{b['field']}": 1.0, f"{totals_name}:{i}:{b['bound']}": -1.0}
        for b in spec.get("atMost", [])
        for i in totals.index
    ]
    return equalities, inequalities, missing


def _too_narrow(
    column: dict[str, int],
    eq: tuple[list[dict[int, float]], list[float]],
    ub: tuple[list[dict[int, float]], list[float]],
    spec: dict[str, Any],
) -> list[str]:
    """For every blank, the interval of values compatible with everything published (one
    linear program over every group): a breach when narrower than ``protectionWidth``."""
    width = int(spec["protectionWidth"])

    def matrix(rows: list[dict[int, float]]) -> Any:
        out = lil_matrix((len(rows), len(column)))
        for r, coef in enumerate(rows):
            for j, c in coef.items():
                out[r, j] = c
        return out.tocsr()

    options: dict[str, Any] = {"bounds": [(0, None)] * len(column), "method": "highs"}
    if eq[0]:
        options.update(A_eq=matrix(eq[0]), b_eq=np.array(eq[1]))
    if ub[0]:
        options.update(A_ub=matrix(ub[0]), b_ub=np.array(ub[1]))
    breaches: list[str] = []
    for label, j in column.items():
        objective = np.zeros(len(column))
        objective[j] = 1.0
        low, high = linprog(objective, **options), linprog(-objective, **options)
        if low.status != 0:
            return [*breaches, "the published figures are inconsistent"]
        upper = float("inf") if high.status == 3 else -high.fun
        if upper - low.fun < width - 1e-6:
            breaches.append(f"{label} can be narrowed to [{low.fun:g}, {upper:g}]")
    return breaches
