"""How much of the trainees' statistics is published in clear, table by table.

    make bench            # or: .venv/bin/python bench/disclosure_utility.py

Publishes ``digital-training`` from the sample deliveries into a temporary folder (the real
``steps.publish``, disclosure control and its audit included), then prints for each table
of counts the share of the trainees counted in cells published in clear, and the number of
suppressed cells; and the same for the five-way cross table of release 1.0.0 (kept in
``tests/fixtures/releases``), the design it replaced. Asserts nothing.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
OLD = ROOT / "tests" / "fixtures" / "releases" / "digital-training-1.0.0"


def _line(name: str, table: pd.DataFrame, people: int, count: str, flag: str) -> str:
    clear = int(table[count].dropna().sum())
    return (
        f"  {name:<22} {clear:>4} of {people} trainees in clear cells ({clear / people:6.1%}), "
        f"{int(table[flag].sum()):>3} of {len(table):>3} cells suppressed"
    )


def main() -> None:
    from opendata.publish import steps

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        steps.publish("digital-training", ROOT / "raw", Path(tmp))
        seconds = time.perf_counter() - start
        folder = Path(tmp) / "digital-training"
        spec = json.loads((folder / "datapackage.json").read_text())["disclosureControl"]
        count, flag = spec["count"], spec["flag"]
        exact = steps.collect(steps.registry.dataset("digital-training"), ROOT / "raw")
        people = len(exact.inputs["trainees"][-1].text)
        print(f"digital-training, threshold {spec['threshold']}, {people} trainees "
              f"(published in {seconds:.1f} s, protection and audit included):")  # fmt: skip
        for name in spec["tables"]:
            table = pd.read_csv(folder / f"{name}.csv", dtype={count: "Int64"})
            print(_line(name, table, people, count, flag))
        totals = pd.read_csv(folder / f"{spec['totals']['resource']}.csv")
        for field in spec["totals"]["fields"]:
            hidden = int(totals[field].isna().sum())
            print(f"  {spec['totals']['resource']}.{field:<12} {hidden} of {len(totals)} "
                  "totals suppressed")  # fmt: skip
        enrolled = totals["enrolled"].dropna().sum()
        print(f"  programme-summary.enrolled counts {int(enrolled)} of {people} trainees in clear "
              f"({enrolled / people:.1%})")  # fmt: skip
    old = pd.read_csv(OLD / "outcomes.csv", dtype={"trainees": "Int64"})
    print("release 1.0.0, for comparison (one five-way cross table):")
    print(_line("outcomes (5-way)", old, people, "trainees", "suppressed"))


if __name__ == "__main__":
    main()
