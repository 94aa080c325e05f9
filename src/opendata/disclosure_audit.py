"""Check published tables against their disclosure rule, independently of how it was applied.

Works only from what is about to be published (the tables with their blanks) and the rule in
the package metadata, as an outsider would: no count between 1 and ``threshold - 1``; blanks
and ``suppressed`` flags agree; totals agree with the cells they sum where both are published;
and for every blank, the interval of values compatible with all published figures (a linear
program over both resources) is at least ``protectionWidth`` wide. The publishing step refuses
to write a package that fails any of these.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import linprog


def _where(frame: pd.DataFrame, where: dict[str, list[Any]] | None) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, allowed in (where or {}).items():
        mask &= frame[column].isin(allowed)
    return mask


def audit(cells: pd.DataFrame, margins: pd.DataFrame, spec: dict[str, Any]) -> list[str]:
    """Every breach of the rule ``spec`` (the package's ``disclosureControl``), in words."""
    threshold, width = int(spec["threshold"]), int(spec["protectionWidth"])
    count, flag = spec["cells"]["count"], spec["cells"]["flag"]
    by = spec["margins"]["groupBy"]
    sums = spec["margins"]["sums"]
    bounded = spec["margins"].get("atMost", [])
    breaches: list[str] = []

    published = [(f"{count}", cells[count])] + [
        (s["field"], margins[s["field"]]) for s in [*sums, *bounded]
    ]
    for name, column in published:
        small = column.notna() & (column > 0) & (column < threshold)
        breaches += [
            f"{name} row {i}: published count {column[i]} < {threshold}"
            for i in column.index[small.fillna(False).astype(bool)]
        ]
    mismatch = cells[flag].astype(bool) != cells[count].isna()
    breaches += [f"{count} row {i}: flag and blank disagree" for i in cells.index[mismatch]]

    for key, members in cells.groupby(by, sort=True):
        key = key if isinstance(key, tuple) else (key,)
        match = (margins[by] == pd.Series(key, index=by)).all(axis=1)
        if match.sum() != 1:
            breaches.append(f"group {key}: {match.sum()} summary rows")
            continue
        totals = margins[match].iloc[0]
        names = [f"c{i}" for i in members.index[members[count].isna()]]
        names += [s["field"] for s in [*sums, *bounded] if pd.isna(totals[s["field"]])]
        names = list(dict.fromkeys(names))
        col = {name: i for i, name in enumerate(names)}
        eq_rows, eq_rhs, ub_rows, ub_rhs = [], [], [], []
        for s in sums:
            inside = members[_where(members, s.get("where"))]
            row = np.zeros(len(names))
            rhs = 0.0
            for i, value in inside[count].items():
                if pd.isna(value):
                    row[col[f"c{i}"]] = 1.0
                else:
                    rhs -= float(value)
            if pd.isna(totals[s["field"]]):
                row[col[s["field"]]] = -1.0
            else:
                rhs += float(totals[s["field"]])
            if not row.any():
                if abs(rhs) > 1e-9:
                    breaches.append(f"group {key}: {s['field']} is not the sum of its cells")
                continue
            eq_rows.append(row)
            eq_rhs.append(rhs)
        for b in bounded:
            row = np.zeros(len(names))
            rhs = 0.0
            for name, sign in ((b["field"], 1.0), (b["bound"], -1.0)):
                if pd.isna(totals[name]):
                    row[col[name]] += sign
                else:
                    rhs -= sign * float(totals[name])
            if row.any():
                ub_rows.append(row)
                ub_rhs.append(rhs)
        for name in names:
            objective = np.zeros(len(names))
            objective[col[name]] = 1.0
            kwargs: dict[str, Any] = {"bounds": [(0, None)] * len(names), "method": "highs"}
            if eq_rows:
                kwargs.update(A_eq=np.array(eq_rows), b_eq=np.array(eq_rhs))
            if ub_rows:
                kwargs.update(A_ub=np.array(ub_rows), b_ub=np.array(ub_rhs))
            low, high = linprog(objective, **kwargs), linprog(-objective, **kwargs)
            if low.status != 0:
                breaches.append(f"group {key}: published figures are inconsistent")
                break
            upper = float("inf") if high.status == 3 else -high.fun
            if upper - low.fun < width - 1e-6:
                breaches.append(f"group {key}: {name} can be narrowed to [{low.fun:g}, {upper:g}]")
    return breaches
