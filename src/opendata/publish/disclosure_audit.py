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
    threshold, width = int(spec["threshold"]), int(spec["protectionWidth"])
    count, flag, by = spec["count"], spec["flag"], spec["groupBy"]
    totals_name, total_fields = spec["totals"]["resource"], spec["totals"]["fields"]
    totals = frames[totals_name]
    breaches: list[str] = []

    # Every published number, as (label, value or None); unknowns get a column of the LP.
    numbers: dict[str, float | None] = {}
    for name in spec["tables"]:
        table = frames[name]
        mismatch = table[flag].astype(bool) != table[count].isna()
        breaches += [f"{name} row {i}: flag and blank disagree" for i in table.index[mismatch]]
        for i, value in table[count].items():
            numbers[f"{name}:{i}"] = None if pd.isna(value) else float(value)
    for f in total_fields:
        for i, value in totals[f].items():
            numbers[f"{totals_name}:{i}:{f}"] = None if pd.isna(value) else float(value)
    for label, value in numbers.items():
        if value is not None and 0 < value < threshold:
            breaches.append(f"{label}: published count {value:g} < {threshold}")

    blanks = [label for label, value in numbers.items() if value is None]
    column = {label: j for j, label in enumerate(blanks)}
    equalities: list[tuple[dict[str, float], str]] = []  # (terms with signs, what it says)
    inequalities: list[dict[str, float]] = []  # sum(sign x) <= 0
    keys = totals.set_index(by).index
    if not keys.is_unique:
        return [*breaches, f"{totals_name}: two rows for the same {', '.join(by)}"]
    for s in spec["sums"]:
        table = frames[s["resource"]]
        chosen = table
        for col, allowed in (s.get("where") or {}).items():
            chosen = chosen[chosen[col].isin(allowed)]
        located = pd.MultiIndex.from_frame(chosen[by]) if len(by) > 1 else pd.Index(chosen[by[0]])
        position = keys.get_indexer(located)
        if (position < 0).any():
            breaches.append(f"{s['resource']}: a group missing from {totals_name}")
            continue
        for row in range(len(totals)):
            terms = {f"{s['resource']}:{i}": 1.0 for i in chosen.index[position == row]}
            terms[f"{totals_name}:{totals.index[row]}:{s['total']}"] = -1.0
            equalities.append((terms, f"{s['total']} of {keys[row]}"))
    for b in spec.get("atMost", []):
        for i in totals.index:
            inequalities.append({f"{totals_name}:{i}:{b['field']}": 1.0,
                                 f"{totals_name}:{i}:{b['bound']}": -1.0})  # fmt: skip

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

    def matrix(rows: list[dict[int, float]]) -> Any:
        out = lil_matrix((len(rows), len(blanks)))
        for r, coef in enumerate(rows):
            for j, c in coef.items():
                out[r, j] = c
        return out.tocsr()

    options: dict[str, Any] = {"bounds": [(0, None)] * len(blanks), "method": "highs"}
    if rows_eq:
        options.update(A_eq=matrix(rows_eq), b_eq=np.array(rhs_eq))
    if rows_ub:
        options.update(A_ub=matrix(rows_ub), b_ub=np.array(rhs_ub))
    for label, j in column.items():
        objective = np.zeros(len(blanks))
        objective[j] = 1.0
        low, high = linprog(objective, **options), linprog(-objective, **options)
        if low.status != 0:
            return [*breaches, "the published figures are inconsistent"]
        upper = float("inf") if high.status == 3 else -high.fun
        if upper - low.fun < width - 1e-6:
            breaches.append(f"{label} can be narrowed to [{low.fun:g}, {upper:g}]")
    return breaches
