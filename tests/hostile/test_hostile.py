"""Hostile and broken deliveries: a clear message, exit 1 or 2, bounded time and memory.

Every input of :data:`tests.hostile.files.HOSTILE`, for every source it applies to, goes
through ``opendata validate`` as a real process (its peak memory measured by the kernel) and
through the intake: refused with a French reason, never a traceback or a native abort, nothing
stored outside quarantine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from opendata import intake
from opendata.contracts import registry
from tests.conftest import RAW, ROOT
from tests.hostile.files import HOSTILE, cases

OPENDATA = str(Path(sys.executable).parent / "opendata")
MEMORY_LIMIT_KIB = 2_500 * 1024  # the largest bound (a 400 MiB operator month) and its columns
TIME_LIMIT_S = 180  # generous for a loaded 2-core machine; the real figure is a few seconds


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


def _run(args: list[str], cwd: Path) -> tuple[int, str, str, int]:
    """Exit code, stdout, stderr of one CLI process, and the peak resident memory (KiB) of
    the largest child so far (an upper bound of this one's: the kernel keeps the maximum)."""
    import resource

    proc = subprocess.run(
        [OPENDATA, *args],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=cwd,
        env={**os.environ, "OPENDATA_DEBUG": ""},
        timeout=TIME_LIMIT_S,
    )
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return proc.returncode, proc.stdout, proc.stderr, peak


HEADER_ATTACK_LIMIT_KIB = 400 * 1024  # the header is read from 1 MiB of text at most


def _validated_alone(path: Path, source: str) -> tuple[int, str, int]:
    """Exit code, stderr and peak memory (KiB) of ``opendata validate`` measured alone: the
    children of a fresh parent that starts nothing else."""
    measure = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
        "sys.stderr.write(done.stderr)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", measure, OPENDATA, "validate", str(path), "--source", source],
        capture_output=True, text=True, timeout=TIME_LIMIT_S, cwd=ROOT,
    )  # fmt: skip
    code, peak = (int(v) for v in proc.stdout.split())
    return code, proc.stderr, peak


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("gzip-of-zeros", "wifi-sessions"),
        ("unclosed-quote-in-header", "wifi-sessions"),
        ("gzip-of-zeros", "wifi-sites"),  # the departments' reader: refused from its first KiB
    ],
)
def test_a_header_without_end_is_refused_at_the_bound(name: str, source: str, folder: Path) -> None:
    """The operator's month read by the header reader, and a department's gzipped CSV read by
    the lenient reader: refused from their first MiB, in the memory of a process that reads
    nothing (measured alone: a fresh parent's children). The lenient reader once inflated
    the zeros to its 256 MiB bound first (474 MiB)."""
    where = folder / f"alone-{name}-{source}"
    where.mkdir()
    path = HOSTILE[name][0](where, source)
    code, stderr, peak = _validated_alone(path, source)
    assert code == 2, stderr
    assert "Traceback" not in stderr and "internal error" not in stderr
    expected = {"gzip-of-zeros": "octets nuls", "unclosed-quote-in-header": "guillemet"}[name]
    assert expected in stderr, stderr
    assert peak < HEADER_ATTACK_LIMIT_KIB, f"{peak} KiB"


RAGGED_ATTACK_LIMIT_KIB = 400 * 1024  # some 100,000 ragged records, a batch, the imports


@pytest.mark.parametrize(
    "name", ["gzip-of-empty-lines", "gzip-of-quoted-empty-lines", "gzip-of-short-records"]
)
def test_a_month_of_ragged_records_is_refused_at_their_bound(name: str, folder: Path) -> None:
    """Records without the header's cells are kept with their text until a batch takes them,
    blank records as findings until the end: a month of either is refused past 100,000 of
    them, in the memory of a small file (measured alone, as above), quoted or not (a quote
    hands the file to Arrow whole: its batches are cut to ``MAX_BATCH_ROWS``). Each was
    refused at the row bound, five million records later: 1.2 GB and 8 s for the empty
    lines, 620 MB and 35 s for the short records."""
    where = folder / f"alone-{name}"
    where.mkdir()
    path = HOSTILE[name][0](where, "wifi-sessions")
    code, stderr, peak = _validated_alone(path, "wifi-sessions")
    assert code == 2, stderr
    expected = {
        "gzip-of-empty-lines": "lignes vides",
        "gzip-of-quoted-empty-lines": "lignes vides",  # past the blank records' bound
        "gzip-of-short-records": "lignes n'ont pas autant de cellules que l'en-tête (9)",
    }[name]
    assert f"plus de 100\u202f000 {expected}" in stderr, stderr
    # Quoted, the file is Arrow's to read in blocks of 1 MiB (a million records each): the
    # memory of a month's check (370 MB). It was 1.5 GB and 10 s.
    limit = RAGGED_ATTACK_LIMIT_KIB if "quoted" not in name else 600 * 1024
    assert peak < limit, f"{peak} KiB"


@pytest.mark.parametrize(("name", "source"), cases(), ids=[f"{n}-{s}" for n, s in cases()])
def test_hostile_input_is_refused_clearly(name: str, source: str, folder: Path) -> None:
    maker, _ = HOSTILE[name]
    where = folder / f"{name}-{source}"
    where.mkdir()
    path = maker(where, source)
    code, out, err, peak = _run(
        ["validate", str(path), "--source", source, "--raw-dir", str(RAW)], ROOT
    )
    assert code in (1, 2), (code, out[-500:], err[-500:])
    assert "Traceback" not in err and "internal error" not in err, err[-2000:]
    said = out + err
    assert "NON VALIDE" in said or ("opendata:" in err and len(err.strip()) > 30), said[-500:]
    assert peak < MEMORY_LIMIT_KIB, f"{peak} KiB"

    raw, quarantine = where / "raw", where / "quarantine"
    receipt, report = intake.submit(path, registry.source(source), raw, quarantine)
    assert not report.valid
    if receipt.status == "refused":  # links, special files, past the size bound: not stored
        assert receipt.reason and receipt.stored is None
        assert not quarantine.exists() or not any(quarantine.rglob("*"))
        return
    assert receipt.status == "quarantined"
    assert not raw.exists() or not any(raw.rglob("*"))  # nothing stored outside quarantine
    assert receipt.report is not None and receipt.report.exists()
