"""Real processes: the CLI a steward and the data team run, and a publisher killed mid-write."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from opendata.contracts import registry
from opendata.storage import recover
from opendata.validate.file import validate_file
from tests.conftest import FIXTURES, OPENDATA, ROOT, fresh_prefect_home, publish_command
from tests.helpers import snapshot

pytestmark = pytest.mark.e2e


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    home = tmp_path / "prefect-home"
    env["PREFECT_HOME"] = str(home if home.exists() else fresh_prefect_home(home))
    env["OPENDATA_WORK_DIR"] = str(tmp_path / "work")
    env.pop("PREFECT_API_URL", None)
    return env


def test_opendata_publish_with_embedded_prefect_twice_gives_the_same_bytes(
    small_raw: Path, tmp_path: Path
) -> None:
    out = tmp_path / "published"
    cmd = [OPENDATA, "publish", "--raw-dir", str(small_raw), "--published-dir", str(out)]
    first = subprocess.run(cmd, capture_output=True, text=True, env=_env(tmp_path), timeout=300)
    assert first.returncode == 0, first.stderr[-2000:]
    assert first.stdout.splitlines() == [
        f"{name}: published 1.0.0" for name in sorted(registry.datasets())
    ]
    before = snapshot(out)
    second = subprocess.run(cmd, capture_output=True, text=True, env=_env(tmp_path), timeout=300)
    assert second.returncode == 0
    assert second.stdout.splitlines() == [
        line.replace("published", "unchanged") for line in first.stdout.splitlines()
    ]
    assert snapshot(out) == before
    assert "Traceback" not in first.stderr + second.stderr


def test_publish_of_an_invalid_delivery_exits_1_without_traceback(
    raw_copy: Path, tmp_path: Path
) -> None:
    shutil.copy(
        FIXTURES / "startups/every-error.xlsx", raw_copy / "startups" / "startups-2008-12-01.xlsx"
    )
    out = tmp_path / "published"
    result = subprocess.run(
        publish_command("startup-support", raw_copy, out),
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=300,
    )
    assert result.returncode == 1
    assert result.stdout.startswith(
        "startup-support: failed: livraisons refusées : startups/startups-2008-12-01.xlsx: ligne 4 "
    )
    assert "(+6 autres)" in result.stdout  # nine errors, the first three spelled out
    assert "Traceback" not in result.stderr
    assert not (out / "startup-support").exists()


def test_validate_as_a_process(tmp_path: Path) -> None:
    ok = subprocess.run(
        [
            OPENDATA,
            "validate",
            str(FIXTURES / "wifi-sites/semicolon-cp1252.csv"),
            "--source",
            "wifi-sites",
        ],
        capture_output=True,
        text=True,
    )
    bad = subprocess.run(
        [OPENDATA, "validate", str(FIXTURES / "wifi-sites/garbage.csv"), "--source", "wifi-sites"],
        capture_output=True,
        text=True,
    )
    assert (ok.returncode, bad.returncode) == (0, 2)
    assert bad.stderr.count("\n") == 1 and "Traceback" not in bad.stderr


def test_validate_of_a_month_as_the_command_ends_with_its_whole_report(tmp_path: Path) -> None:
    """The command leaves without the interpreter's teardown (``onefile.leave``): what it
    wrote is there whole, piped as a program reads it. A month whose short record is not
    UTF-8 (pyarrow fails to decode it before our handler of such records: it printed a
    traceback) is refused in one line, as a file not in UTF-8."""
    from opendata.datasets.wifi_hotspots.samples import csv_gz_bytes, month_table

    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw" / "wifi-sites", raw / "wifi-sites")
    good = tmp_path / "sessions-2008-03.csv.gz"
    good.write_bytes(csv_gz_bytes(month_table("2008-03", rows=3000, resent=5)))
    args = ["validate", str(good), "--source", "wifi-sessions", "--raw-dir", str(raw)]
    done = subprocess.run([OPENDATA, *args, "--format", "json"], capture_output=True)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["stats"]["rows"] == 3005 and report["valid"] is True
    html = subprocess.run([OPENDATA, *args, "--format", "html"], capture_output=True, text=True)
    assert html.returncode == 0 and html.stdout.rstrip().endswith("</html>")

    text = gzip.decompress(good.read_bytes()).splitlines(keepends=True)
    text.insert(1500, b"caf\xe9,PW0001\n")  # two cells of nine, and a Latin-1 byte
    bad = tmp_path / "bad" / "sessions-2008-03.csv.gz"
    bad.parent.mkdir()
    bad.write_bytes(gzip.compress(b"".join(text)))
    refused = subprocess.run(
        [OPENDATA, "validate", str(bad), "--source", "wifi-sessions"],
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
    assert "utf-8" in refused.stderr.lower()


def test_the_status_says_what_the_file_is_when_nobody_reads_the_report() -> None:
    """``opendata validate f | head``: a reader that stops reading the report (here, none at
    all: the pipe's other end is closed) does not make an invalid file's status 0."""
    examples = ROOT / "schemas" / "sources" / "wifi-sessions" / "examples"
    cases = [
        (examples / "every-error.csv.gz", "wifi-sessions", 1),
        (examples / "valid-month.csv.gz", "wifi-sessions", 0),
        (FIXTURES / "wifi-sites/garbage.csv", "wifi-sites", 2),
    ]
    for path, source, expected in cases:
        for fmt in ("text", "html", "json"):
            read, write = os.pipe()
            os.close(read)
            try:
                done = subprocess.run(
                    [OPENDATA, "validate", str(path), "--source", source, "--format", fmt],
                    stdout=write,
                    stderr=subprocess.PIPE,
                    text=True,
                    timeout=120,
                )
            finally:
                os.close(write)
            assert done.returncode == expected, (path.name, fmt, done.stderr[-1000:])
            assert "Traceback" not in done.stderr and "Exception ignored" not in done.stderr


def test_validate_of_an_operator_month_runs_without_pandas(tmp_path: Path) -> None:
    """The large-source path of ``opendata validate`` keeps pandas out of the process (its
    import was a fifth of the command): every format, a valid and an invalid month."""
    import pyarrow as pa

    from opendata.datasets.wifi_hotspots.samples import csv_gz_bytes, month_table

    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw" / "wifi-sites", raw / "wifi-sites")
    month = month_table("2008-03", rows=2000, resent=5)
    good = tmp_path / "sessions-2008-03.csv.gz"
    good.write_bytes(csv_gz_bytes(month))
    durations = month.column("duration_s").to_pylist()
    at = month.column_names.index("duration_s")
    durations[100] = "douze"  # row 102 of the file
    broken = month.set_column(at, "duration_s", pa.array(durations))
    bad = tmp_path / "bad" / "sessions-2008-03.csv.gz"
    bad.parent.mkdir()
    bad.write_bytes(csv_gz_bytes(broken))
    probe = (
        "import sys; from opendata.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
        "sys.exit(code)\n"
    )
    for path, expected in ((good, 0), (bad, 1)):
        for fmt in ("text", "html", "json"):
            args = ["validate", str(path), "--source", "wifi-sessions", "--raw-dir", str(raw)]
            done = subprocess.run(
                [sys.executable, "-c", probe, *args, "--format", fmt],
                capture_output=True,
                text=True,
            )
            assert done.returncode == expected, (fmt, done.stdout[-500:], done.stderr[-2000:])
            assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    report = json.loads(done.stdout)
    assert [(p["rowNumber"], p["cell"], p["type"]) for p in report["errors"]] == [
        (102, "douze", "type-error")
    ]


def test_validate_of_every_source_runs_without_pandas(tmp_path: Path) -> None:
    """One engine on Arrow columns for every source (#12): ``opendata validate`` of each
    source's examples (spreadsheets, CSV files, GeoJSON, months) never imports pandas, and
    exits as the pinned outcome says, a snapshot's comparison with what is published included.
    One process for all of them (main called per file)."""
    from opendata.publish import steps

    raw = ROOT / "raw"
    published = tmp_path / "published"
    for dataset in ("digital-public-spaces", "startup-support", "digital-training"):
        assert steps.publish(dataset, raw, published) is not None
    runs = []
    for name in registry.sources():
        folder, pins = registry.examples(name)
        for file, pin in sorted(pins.items()):
            args = ["validate", str(Path(folder) / file), "--source", name, "--raw-dir", str(raw),
                    "--published-dir", str(published)]  # fmt: skip
            report = validate_file(Path(folder) / file, registry.source(name), raw).report
            assert report.valid == pin["valid"]
            runs.append((args, 0 if report.valid else 2 if report.unreadable else 1))
    probe = (
        "import json, sys; from opendata.cli import main\n"
        "import contextlib, io\n"
        "codes, compared = [], 0\n"
        "for args, _ in json.loads(sys.argv[1]):\n"
        "    out = io.StringIO()\n"
        "    with contextlib.redirect_stdout(out):\n"
        "        codes.append(main(args + ['--format', 'json']))\n"
        "    compared += '\"comparison\"' in out.getvalue()\n"
        "assert 'pandas' not in sys.modules, 'pandas was imported'\n"
        "print(json.dumps([codes, compared]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, json.dumps(runs)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    codes, compared = json.loads(done.stdout.strip().splitlines()[-1])
    assert codes == [expected for _, expected in runs]
    assert compared >= 3  # the valid snapshot examples were compared, without pandas
    assert len({args[3] for args, _ in runs}) == len(registry.sources())
    assert {0, 1, 2} <= set(codes)


PUBLISHER = """
import sys
from pathlib import Path
from opendata.publish.steps import publish
while True:
    for raw in sys.argv[2:]:
        publish("wifi-hotspots", Path(raw), Path(sys.argv[1]))
"""


def _consistent(folder: Path) -> bytes:
    descriptor = (folder / "datapackage.json").read_bytes()
    for resource in json.loads(descriptor)["resources"]:
        for part in resource.get("x-parts") or [resource]:  # a resource by month: each file
            data = (folder / part["path"]).read_bytes()
            assert part["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    return descriptor


def test_a_publisher_killed_at_any_moment_leaves_old_or_new(raw_copy: Path, tmp_path: Path) -> None:
    other = tmp_path / "raw-b"
    shutil.copytree(raw_copy, other)
    newest = other / "wifi-sites" / "sites-2008-01-15.csv"
    lines = newest.read_bytes().split(b"\r\n")
    (other / "wifi-sites" / "sites-2008-02-01.csv").write_bytes(b"\r\n".join(lines[:-20]))
    out = tmp_path / "published"
    from opendata.publish.steps import publish

    publish("wifi-hotspots", raw_copy, out)
    version_a = _consistent(out / "wifi-hotspots")
    publish("wifi-hotspots", other, out)
    version_b = _consistent(out / "wifi-hotspots")
    assert version_a != version_b
    releases_before: dict[str, bytes] = {}
    rng = random.Random(7)
    for _ in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", PUBLISHER, str(out), str(raw_copy), str(other)], cwd=ROOT
        )
        time.sleep(rng.uniform(1.0, 2.5))  # past the imports, somewhere inside the writes
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        recover(out / "wifi-hotspots")
        descriptor = json.loads(_consistent(out / "wifi-hotspots"))
        release = out / "wifi-hotspots" / "releases" / descriptor["version"]
        assert _consistent(release) == (out / "wifi-hotspots" / "datapackage.json").read_bytes()
        # releases already made are never modified, whatever moment the kill came
        for path, data in releases_before.items():
            assert (out / "wifi-hotspots" / path).read_bytes() == data, path
        releases_before = {
            str(p.relative_to(out / "wifi-hotspots")): p.read_bytes()
            for p in (out / "wifi-hotspots" / "releases").rglob("*")
            if p.is_file()
        }
        # a kill may leave the catalogue's temporary files; the next publish removes them
        names = [p.name for p in out.iterdir() if not p.name.startswith(".incoming-")]
        assert sorted(names) == ["catalog.jsonld", "catalogue.js", "index.html", "wifi-hotspots"]
    publish("wifi-hotspots", raw_copy, out)
    assert not list(out.glob(".incoming-*")) and not list(out.glob(".staging-*"))
    # the catalogue and the page agree with what is published, whatever the last kill left
    from opendata.publish.steps import refresh_indexes

    assert refresh_indexes(out) == []


def test_a_killed_publisher_leaves_no_embedded_server_behind(
    raw_copy: Path, tmp_path: Path
) -> None:
    from opendata.watchdog import children_of

    proc = subprocess.Popen(
        publish_command("startup-support", raw_copy, tmp_path / "out"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_env(tmp_path),
        cwd=ROOT,
    )
    server: list[int] = []
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and not server:
        for child in children_of(proc.pid):
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
            if b"uvicorn" in command or b"prefect" in command:
                server.append(child)
        time.sleep(0.05)  # kill as soon as the server appears: the watcher must not need time
    assert server, "the embedded server did not start"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Path(f"/proc/{server[0]}").exists():
        state = Path(f"/proc/{server[0]}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            break
        time.sleep(0.5)
    assert not Path(f"/proc/{server[0]}").exists() or state == "Z", "the server outlived it"
