"""Time ``opendata validate`` against ``frictionless validate`` on the same delivery.

    make bench            # or: .venv/bin/python bench/validate_speed.py [--runs N]

Both run as the steward would run them (a fresh process each time, imports included), on the
newest sample Wi-Fi sites file and its contract. Prints medians and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _median_seconds(cmd: list[str], runs: int) -> tuple[float, int]:
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        code = subprocess.run(cmd, cwd=ROOT, capture_output=True).returncode
        times.append(time.perf_counter() - start)
    return statistics.median(times), code


def main() -> None:
    """Print both medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--file", default="raw/wifi-sites/sites-2008-01-15.csv")
    args = parser.parse_args()
    command = [str(BIN / "opendata"), "validate", args.file, "--source", "wifi-sites"]
    # Like for like: the contract's checks alone (no published release to compare with).
    ours, our_code = _median_seconds([*command, "--published-dir", "/nonexistent"], args.runs)
    # What a steward gets in the project once a release exists: the file compared with it.
    published = (ROOT / "published" / "wifi-hotspots" / "datapackage.json").is_file()
    compared, _ = _median_seconds(command, args.runs) if published else (None, None)
    theirs, their_code = _median_seconds(
        [
            str(BIN / "frictionless"),
            "validate",
            args.file,
            "--schema",
            "schemas/sources/wifi-sites/schema.json",
            "--dialect",
            '{"delimiter": ";"}',
            "--encoding",
            "utf-8-sig",
        ],
        args.runs,
    )
    print(f"file: {args.file} ({args.runs} runs each, median wall time, process start included)")
    print(f"opendata validate     {ours:6.3f} s  (exit {our_code}; #12 target: well under 0.5 s)")
    print(f"frictionless validate {theirs:6.3f} s  (exit {their_code})")
    print(f"ratio frictionless / opendata: {theirs / ours:.2f}")
    if compared is not None:
        print(f"opendata validate, compared with the published release: {compared:6.3f} s")
    ours_in, theirs_in = _in_process(ROOT / args.file, args.runs)
    print("in process, imports done (the validation work alone):")
    print(f"opendata validate_file  {ours_in * 1000:7.1f} ms")
    print(f"frictionless validate   {theirs_in * 1000:7.1f} ms")
    print(f"ratio frictionless / opendata: {theirs_in / ours_in:.2f}")


def _in_process(path: Path, runs: int) -> tuple[float, float]:
    from frictionless import Dialect, Resource, Schema, formats

    from opendata.contracts import registry
    from opendata.validate.file import validate_file

    source = registry.source("wifi-sites")
    schema = Schema.from_descriptor(source.schema)
    dialect = Dialect(controls=[formats.CsvControl(delimiter=";")])

    def ours() -> None:
        validate_file(path, source, ROOT / "raw")

    def theirs() -> None:
        resource = Resource(
            path=path.name,
            basepath=str(path.parent),
            schema=schema,
            dialect=dialect,
            encoding="utf-8-sig",
        )
        report = resource.validate()
        assert report.valid and report.tasks[0].stats["rows"] > 0, report.flatten()

    results = []
    for func in (ours, theirs):
        func()  # warm caches
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            func()
            times.append(time.perf_counter() - start)
        results.append(statistics.median(times))
    return results[0], results[1]


if __name__ == "__main__":
    main()
