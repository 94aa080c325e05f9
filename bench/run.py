"""Run one benchmark script and keep what it printed as its latest result.

``python bench/run.py validate_speed`` runs ``bench/validate_speed.py``, shows its output as it
comes, and writes it to ``bench/results/validate_speed.txt`` with the date, the machine and the
command (the previous result is replaced: the documentation shows the latest run, not a
history). Exits with the script's status; a failed run leaves the previous result as it was.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    name = sys.argv[1]
    command = [sys.executable, str(HERE / f"{name}.py"), *sys.argv[2:]]
    started = dt.datetime.now(dt.UTC)
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE.parent)
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    code = process.wait()
    if code != 0:
        return code
    header = (
        f"run: {started:%Y-%m-%d %H:%M} UTC, {dt.datetime.now(dt.UTC) - started} long\n"
        f"machine: {os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.machine()}\n"
        f"command: python bench/{name}.py {' '.join(sys.argv[2:])}".rstrip()
        + "\n\n"
    )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"{name}.txt").write_text(header + "".join(lines), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
