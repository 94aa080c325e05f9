"""Write ``docs/performance.md`` from the latest benchmark results (``bench/results/``).

``make bench`` runs every benchmark through ``bench/run.py`` then this; a test checks that the
page is what this writes from the results in the repository.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# What each benchmark measures, and the targets it prints its ratios against.
BENCHMARKS = {
    "validate_speed": "`opendata validate` against `frictionless validate` on a department's "
    "file, both as fresh processes, then in process.",
    "sessions_scale": "The Wi-Fi sessions at scale: validation of a generated month against "
    "`frictionless validate` and against a bare `pyarrow.csv.read_csv` as whole processes, and "
    "the peak memory of `opendata publish` (GNU time `-v`) with one month of 1.2 million rows "
    "and with twice as many.",
    "portal_latency": "The stewards' portal under uvicorn: upload to report page against "
    "`validate_file` in process, one steward then ten at once.",
    "disclosure_utility": "What statistical secrecy leaves published of the trainees' tables.",
}


def page(results: Path) -> str:
    lines = [
        "# Performance",
        "",
        "The latest run of each benchmark (`make bench`: each script through `bench/run.py`,",
        "which keeps its output in `bench/results/`; this page is written from those files by",
        "`bench/performance_page.py`). Ratios are measured against the reference tool in the",
        "same run, never asserted by a timed test.",
    ]
    for name, what in BENCHMARKS.items():
        lines += ["", f"## `bench/{name}.py`", "", what, ""]
        found = results / f"{name}.txt"
        if found.exists():
            lines += ["```text", found.read_text(encoding="utf-8").rstrip("\n"), "```"]
        else:
            lines += ["Not run yet on this checkout."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(page(HERE / "results"))
