"""A large file's batches as a process reads them: a reading begun early (``opendata validate``
starts reading a month while it imports the checks) is the one the validation takes, gives
the same batches as a reading begun late, and a reading nobody takes stops its thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from opendata.contracts import registry
from opendata.contracts.limits import bounds
from opendata.report.problems import UnreadableFile
from opendata.validate.readers import batches


def _month(path: Path, rows: int = 3000) -> Path:
    from opendata.datasets.wifi_hotspots.samples import csv_gz_bytes, month_table

    path.write_bytes(csv_gz_bytes(month_table("2008-03", rows=rows, resent=3)))
    return path


def _content(reading: object) -> list[tuple[list[object], list[int]]]:
    return [
        ([c.to_pylist() for c in strings.columns], strings.rows.tolist())
        for strings in reading  # type: ignore[attr-defined]
    ]


def _readers() -> int:
    return sum(t.name == "arrowcsv-reader" and t.is_alive() for t in threading.enumerate())


def _until(condition: object, seconds: float = 10.0) -> bool:
    """Whether ``condition()`` holds within ``seconds`` (a busy machine is slow, not wrong)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


@pytest.fixture(autouse=True)
def _small_batches(monkeypatch: pytest.MonkeyPatch) -> object:
    """Pieces and batches of 64 KiB: a month of 20,000 rows is some twenty of them, more than
    the reader queues ahead, so that a reading nobody takes waits (until stopped) instead of
    ending."""
    from opendata.validate.readers import csvpieces

    monkeypatch.setattr(csvpieces, "PIECE_BYTES", 1 << 16)
    monkeypatch.setitem(batches.PROCESS, "batch_bytes", 1 << 16)
    yield
    started = batches._STARTED.pop("reading", None)
    if started is not None:
        started[1].close()


def test_a_reading_begun_early_is_the_one_taken_and_reads_the_same(tmp_path: Path) -> None:
    path = _month(tmp_path / "sessions-2008-03.csv.gz", rows=20_000)
    limits = registry.source("wifi-sessions").bounds()
    late = _content(batches.batches(path, ",", limits))
    assert len(late) > 10
    before = _readers()
    batches.start(path, ",", limits)
    assert _readers() == before + 1  # reading now, before anyone asks for a batch
    started = batches._STARTED["reading"][1]
    taken = batches.batches(path, ",", limits)
    assert taken is started and "reading" not in batches._STARTED
    assert _content(taken) == late
    assert _until(lambda: _readers() == before)


def test_a_reading_begun_for_other_bounds_is_stopped_not_taken(tmp_path: Path) -> None:
    path = _month(tmp_path / "sessions-2008-03.csv.gz", rows=20_000)
    before = _readers()
    batches.start(path, ",", bounds({"maxRows": 10**6}))
    started = batches._STARTED["reading"][1]
    taken = batches.batches(path, ",", bounds({"maxRows": 10**7}))
    assert taken is not started
    assert _until(lambda: _readers() == before + 1)  # the other one has stopped
    assert len(_content(taken)) >= 1
    assert _until(lambda: _readers() == before)


def test_a_reading_never_taken_stops_when_dropped(tmp_path: Path) -> None:
    path = _month(tmp_path / "sessions-2008-03.csv.gz", rows=20_000)
    before = _readers()
    reading = batches.batches(path, ",", registry.source("wifi-sessions").bounds())
    assert _readers() == before + 1
    del reading
    assert _until(lambda: _readers() == before)


def test_a_workbook_is_not_started_and_is_refused_when_asked_for(tmp_path: Path) -> None:
    path = tmp_path / "sessions-2008-03.csv.gz"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    limits = registry.source("wifi-sessions").bounds()
    batches.start(path, ",", limits)
    assert "reading" not in batches._STARTED
    with pytest.raises(UnreadableFile) as refused:
        next(batches.batches(path, ",", limits))
    assert refused.value.kind == "expected-csv"


def test_an_error_of_the_reader_reaches_the_reading_at_its_batch(tmp_path: Path) -> None:
    path = tmp_path / "sessions-2008-03.csv.gz"
    path.write_bytes(_month(tmp_path / "good.csv.gz").read_bytes()[:-40])  # cut short
    limits = registry.source("wifi-sessions").bounds()
    batches.start(path, ",", limits)
    with pytest.raises(UnreadableFile) as refused:
        _content(batches.batches(path, ",", limits))
    assert refused.value.kind == "truncated-gzip"
