"""The Wi-Fi sessions at scale: validation speed, publish memory, incremental runs.

    make bench            # or: .venv/bin/python bench/sessions_scale.py [--rows N]

On generated months (in ``build/bench-sessions/``, kept between runs: generating a month takes
about ten seconds a million rows), it prints, measured in this run:

1. validation of a ``--validate-rows`` month (default 300,000): ``opendata validate`` against
   ``frictionless validate`` on the same file and contract (both fresh processes; Frictionless
   gets a Data Package holding the month and the sites, as it needs for the foreign key), and
   our validation in process against the bare ``pyarrow.csv.read_csv`` of the same file;
2. the peak memory of the real command, ``opendata publish --dataset wifi-hotspots`` (Prefect
   and its temporary server included, a fresh work folder), measured by GNU time (``-v``), on
   a ``--rows`` month (default 1.2 million, the operator's busiest) and on one twice as large;
3. a re-run with nothing new (no month re-processed), one new month (only it is), a third
   month with two in history, and three months from scratch (the pipeline in process).

It also times a fresh process that imports pyarrow and reads the month, checking nothing: the
ceiling of the whole-process ratio for any check built on pyarrow.

Targets (issue #12): validate at least 30x faster than Frictionless and within 2x the bare
read; publish under 768 MiB, the doubled month no more than 10 % above. It asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
HOME = ROOT / "build" / "bench-sessions"
MONTHS = ("2008-03", "2008-04", "2008-05")

CHILD = """
import json, resource, sys, time
from pathlib import Path
from opendata.publish import steps
from opendata.contracts import registry
raw, work, published = (Path(p) for p in sys.argv[1:4])
start = time.perf_counter()
dataset = registry.dataset("wifi-hotspots")
collected = steps.collect(dataset, raw, work)
assert collected.valid, collected.refusal()
outcome = steps.write(dataset, steps.build(dataset, collected), published)
print(json.dumps({
    "seconds": time.perf_counter() - start,
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "processed": collected.processed,
    "outcome": str(outcome),
    "months": len(collected.parts),
}))
"""


FLOOR = "import sys, pyarrow.csv; pyarrow.csv.read_csv(sys.argv[1])"
# What ``opendata validate`` of a month imports (as its files module does, pandas kept out).
COMMAND_IMPORTS = (
    "from opendata.validate.onefile import set_up; set_up(); "
    "import opendata.cli, opendata.cli.files, opendata.validate.file, "
    "opendata.report.render"
)


def _run(cmd: list[str], **kwargs: object) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload]
    return time.perf_counter() - start, done


def _raw(months: tuple[str, ...], rows: int, name: str = "raw") -> Path:
    """A raw folder with the sample sites and ``months`` of ``rows`` generated sessions."""
    cache = HOME / f"months-{rows}"
    for month in months:
        marker = cache / f"{month}.rows"
        if not marker.exists() or marker.read_text() != str(rows):
            print(f"generating {month} ({rows:,} rows)...", flush=True)
            subprocess.run(
                [
                    str(BIN / "opendata"),
                    "generate-months",
                    "--dataset",
                    "wifi-hotspots",
                    month,
                    "--rows",
                    str(rows),
                    "--raw-dir",
                    str(cache),
                ],
                check=True,
                capture_output=True,
            )
            marker.write_text(str(rows))
    raw = HOME / name
    shutil.rmtree(raw, ignore_errors=True)
    shutil.copytree(ROOT / "raw" / "wifi-sites", raw / "wifi-sites")
    (raw / "wifi-sessions").mkdir()
    for month in months:
        name = f"sessions-{month}.csv.gz"
        (raw / "wifi-sessions" / name).hardlink_to(cache / "wifi-sessions" / name)
    return raw


def _frictionless_package(raw: Path, month: str) -> Path:
    from opendata.contracts import registry
    from opendata.datasets.wifi_hotspots.large import reference_sites

    folder = HOME / "frictionless"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    name = f"sessions-{month}.csv.gz"
    (folder / name).hardlink_to(raw / "wifi-sessions" / name)
    sites = reference_sites(raw)
    assert sites is not None
    codes = sorted(set(sites.column("Code site").to_pylist()))
    (folder / "sites.csv").write_text("Code site\n" + "\n".join(codes) + "\n")
    descriptor = {
        "name": "bench",
        "resources": [
            {
                "name": "wifi-sessions",
                "path": name,
                "format": "csv",
                "compression": "gz",
                "dialect": {"headerRows": [1], "csv": {"delimiter": ","}},
                "schema": registry.source("wifi-sessions").schema,
            },
            {
                "name": "wifi-sites",
                "path": "sites.csv",
                "format": "csv",
                "schema": {"fields": [{"name": "Code site", "type": "string"}]},
            },
        ],
    }
    path = folder / "datapackage.json"
    path.write_text(json.dumps(descriptor, ensure_ascii=False))
    return path


def bench_validation(raw: Path, month: str, runs: int, frictionless: bool) -> dict[str, float]:
    import pyarrow.csv as pcsv

    from opendata.contracts import registry
    from opendata.validate.batched import reference_keys, validate_large

    path = raw / "wifi-sessions" / f"sessions-{month}.csv.gz"
    source = registry.source("wifi-sessions")
    references, _ = reference_keys(source, raw)
    validate_large(path, source, raw, references)  # warm up: imports, page cache
    bare, ours = [], []
    for _ in range(runs):
        start = time.perf_counter()
        pcsv.read_csv(path)
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        report = validate_large(path, source, raw, references).report
        ours.append(time.perf_counter() - start)
    assert report.valid, report.flatten()[:5]
    command = [str(BIN / "opendata"), "validate", str(path), "--source", "wifi-sessions"]
    # The least any fresh process reading the file with pyarrow takes: the interpreter, the
    # import of pyarrow (and NumPy) and the bare read, nothing checked. Run in turn with the
    # command (the machine's moods fall on both alike), medians compared.
    floor_command = [str(BIN / "python"), "-c", FLOOR, str(path)]
    clis, floors = [], []
    for _ in range(runs):
        seconds, done = _run([*command, "--raw-dir", str(raw)])
        assert done.returncode == 0, done.stdout[-2000:]
        clis.append(seconds)
        floors.append(_run(floor_command)[0])
    cli = statistics.median(clis)
    # Where the time goes: the streaming reader alone (what the checks overlap with), and the
    # imports of the command beyond the floor's own (a fresh process that only imports them).
    from opendata.validate.readers import arrowcsv

    readers = []
    for _ in range(runs):
        start = time.perf_counter()
        for _batch in arrowcsv.prefetched(arrowcsv.iter_strings(path, ",", source.bounds())):
            pass
        readers.append(time.perf_counter() - start)
    python = str(BIN / "python")
    imports = [
        _run([python, "-c", COMMAND_IMPORTS])[0] - _run([python, "-c", "import pyarrow.csv"])[0]
        for _ in range(runs)
    ]
    result = {
        "reader": statistics.median(readers),
        "imports": statistics.median(imports),
        "bare_read": statistics.median(bare),
        "ours_in_process": statistics.median(ours),
        "ours_cli": cli,
        "floor_cli": statistics.median(floors),
    }
    if frictionless:
        print("frictionless validate, twice (about a minute per million rows)...", flush=True)
        package = _frictionless_package(raw, month)
        seconds, done = _run([str(BIN / "frictionless"), "validate", str(package)])
        # The re-sent rows are primary-key errors for Frictionless (a warning for us):
        # both read the whole file.
        assert "primary-key" in done.stdout or done.returncode == 0, done.stdout[-2000:]
        result["frictionless_cli"] = seconds
        from frictionless import Package

        start = time.perf_counter()
        checked = Package(str(package)).validate(limit_errors=10**9)
        result["frictionless_in_process"] = time.perf_counter() - start
        rows = next(t for t in checked.tasks if t.name == "wifi-sessions").stats["rows"]
        assert rows >= 1_000 and rows == report.rows, (rows, report.rows)
    return result


def publish(raw: Path, work: Path, published: Path) -> dict[str, object]:
    """One publish of wifi-hotspots in a fresh process (no Prefect: the pipeline itself)."""
    _, done = _run([sys.executable, "-c", CHILD, str(raw), str(work), str(published)])
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def publish_command(raw: Path) -> dict[str, float]:
    """Peak memory and time of ``opendata publish`` as a user runs it, by GNU time."""
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.exists():
        sys.exit("bench: GNU time (/usr/bin/time) is needed to measure the real command")
    work, published = HOME / "work-command", HOME / "published-command"
    for folder in (work, published):
        shutil.rmtree(folder, ignore_errors=True)
    env = {**os.environ, "OPENDATA_WORK_DIR": str(work), "PREFECT_HOME": str(HOME / "prefect")}
    cmd = [
        str(gnu_time),
        "-v",
        str(BIN / "opendata"),
        "publish",
        "--dataset",
        "wifi-hotspots",
        "--raw-dir",
        str(raw),
        "--published-dir",
        str(published),
    ]
    seconds, done = _run(cmd, env=env)
    assert done.returncode == 0, (done.stdout[-2000:], done.stderr[-3000:])
    peak = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    assert peak, done.stderr[-2000:]
    return {"seconds": seconds, "peak_mib": int(peak.group(1)) / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_200_000)
    parser.add_argument("--validate-rows", type=int, default=300_000)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--skip-frictionless", action="store_true")
    args = parser.parse_args()
    HOME.mkdir(parents=True, exist_ok=True)

    raw = _raw(MONTHS[:1], args.validate_rows, "raw-validate")
    v = bench_validation(raw, MONTHS[0], args.runs, not args.skip_frictionless)
    print(f"\n1. Validation of one month ({args.validate_rows:,} rows, {MONTHS[0]})")
    print(f"   bare pyarrow read      {v['bare_read']:7.2f} s")
    print(
        f"   ours, in process       {v['ours_in_process']:7.2f} s   "
        f"= {v['ours_in_process'] / v['bare_read']:.2f}x the bare read (target <= 2x)"
    )
    print(
        f"   opendata validate      {v['ours_cli']:7.2f} s   "
        f"(fresh process, imports included, median of {args.runs})"
    )
    print(
        f"   python + pyarrow read  {v['floor_cli']:7.2f} s   "
        "(fresh process: import pyarrow, read the file, check nothing)"
    )
    print(
        f"   whole processes: opendata validate = {v['ours_cli'] / v['floor_cli']:.2f}x "
        "python + pyarrow read (issue 23 target <= 1.4x)"
    )
    print("   where the time goes:")
    print(
        f"     streaming reader alone {v['reader']:5.2f} s   (decompress and parse, "
        "in batches: what the checks overlap with)"
    )
    print(
        f"     the checks             {v['ours_in_process'] - v['reader']:5.2f} s   "
        "(ours in process less the reader: a long-lived process, 48 MiB kept)"
    )
    print(
        f"     the command's imports  {v['imports']:5.2f} s   "
        "(beyond the floor's own import of pyarrow.csv)"
    )
    if "frictionless_cli" in v:
        print(
            f"   frictionless validate  {v['frictionless_cli']:7.2f} s   (fresh process) "
            f"-> opendata validate is {v['frictionless_cli'] / v['ours_cli']:.1f}x faster "
            "(issue 23 target >= 20x)"
        )
        print(
            f"   {'':22} the process that only reads would be "
            f"{v['frictionless_cli'] / v['floor_cli']:.1f}x faster: the most any "
            "pyarrow-based check can be"
        )
        print(
            f"   frictionless, in proc. {v['frictionless_in_process']:7.2f} s   "
            f"-> ours in process is "
            f"{v['frictionless_in_process'] / v['ours_in_process']:.1f}x faster"
        )

    print("\n2. opendata publish --dataset wifi-hotspots (GNU time -v, Prefect included)")
    peaks = {}
    for rows in (args.rows, 2 * args.rows):
        measured = publish_command(_raw(MONTHS[:1], rows, "raw-command"))
        peaks[rows] = measured["peak_mib"]
        print(
            f"   one month of {rows:>9,} rows: peak {measured['peak_mib']:5.0f} MiB, "
            f"{measured['seconds']:5.1f} s (target < 768 MiB)"
        )
    growth = peaks[2 * args.rows] / peaks[args.rows] - 1
    print(f"   twice the rows: {growth:+.1%} memory (target <= +10 %)")

    raw = _raw(MONTHS[:1], args.rows)
    work, published = HOME / "work", HOME / "published"
    for folder in (work, published):
        shutil.rmtree(folder, ignore_errors=True)
    one = publish(raw, work, published)
    print(
        f"\n3. Publish of one month, in process: {one['seconds']:.1f} s, "
        f"peak {one['peak_mib']:.0f} MiB, {one['outcome']}, processed {one['processed']}"
    )

    again = publish(raw, work, published)
    print(
        f"   Re-run, nothing new: {again['seconds']:.1f} s, processed {again['processed']}, "
        f"{again['outcome']}"
    )

    raw = _raw(MONTHS[:2], args.rows)
    new = publish(raw, work, published)
    print(
        f"   One new month: {new['seconds']:.1f} s, peak {new['peak_mib']:.0f} MiB, "
        f"processed {new['processed']}, {new['outcome']}"
    )

    raw = _raw(MONTHS, args.rows)
    third = publish(raw, work, published)
    print(
        f"   A third month, two in history: {third['seconds']:.1f} s, "
        f"peak {third['peak_mib']:.0f} MiB, processed {third['processed']}"
    )
    for folder in (work, published):
        shutil.rmtree(folder, ignore_errors=True)
    scratch = publish(raw, work, published)
    print(
        f"   Three months from scratch: {scratch['seconds']:.1f} s, "
        f"peak {scratch['peak_mib']:.0f} MiB, processed {scratch['processed']}"
    )


if __name__ == "__main__":
    main()
