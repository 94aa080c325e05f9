"""The Wi-Fi sessions from operator files to published months.

Covers what issue #4 names: Paris time to UTC on both changes of clock, sessions counted once
within and across deliveries, sites checked against every snapshot, months processed once and
only when they change, the files a consumer downloads, and the release that follows.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opendata.contracts import registry
from opendata.datasets.wifi_hotspots import large, sessions
from opendata.datasets.wifi_hotspots import months as month_stage
from opendata.datasets.wifi_hotspots.samples import HEADER, csv_gz_bytes, month_table, write_month
from opendata.publish import steps
from opendata.validate.file import validate_file
from tests.conftest import RAW

DATASET = registry.dataset("wifi-hotspots")


@pytest.fixture
def raw(tmp_path: Path) -> Path:
    """A raw folder with the sample Wi-Fi site snapshots and no sessions yet."""
    folder = tmp_path / "raw"
    shutil.copytree(RAW / "wifi-sites", folder / "wifi-sites")
    return folder


def _write(raw: Path, name: str, rows: list[list[str]]) -> Path:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = raw / "wifi-sessions" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(out.getvalue().encode(), mtime=0))
    return path


def _session(sid: str, start: str, site: str = "PW0002", duration: str = "60") -> list[str]:
    return [sid, site, start, duration, "1000", "100", "smartphone", "iOS", "fr"]


def _publish(raw: Path, published: Path) -> tuple[steps.Collected, steps.Outcome]:
    collected = steps.collect(DATASET, raw, raw.parent / "work")
    assert collected.valid, collected.refusal()
    outcome = steps.write(DATASET, steps.build(DATASET, collected), published)
    return collected, outcome


def _published_sessions(published: Path) -> pd.DataFrame:
    files = sorted((published / "wifi-hotspots" / "sessions").glob("*.csv"))
    return pd.concat([pd.read_csv(f, dtype=str, keep_default_na=False) for f in files])


# -- time zones ----------------------------------------------------------------------------


def test_paris_wall_clock_becomes_utc_across_both_changes_of_clock() -> None:
    local = np.array(
        [
            "2008-01-15T12:00:00",  # winter: UTC+1
            "2008-07-14T12:00:00",  # summer: UTC+2
            "2008-03-30T01:59:59",  # last second before the spring change
            "2008-03-30T03:00:00",  # first second after it
            "2008-03-30T02:30:00",  # does not exist: read as winter time, clock not moved yet
            "2008-10-26T01:30:00",  # before the repeated hour
            "2008-10-26T02:30:00",  # happens twice: read as the first, summer time
            "2008-10-26T03:30:00",  # after: winter time
        ],
        dtype="datetime64[s]",
    )
    utc, ambiguous, nonexistent = sessions.paris_to_utc(local)
    assert [str(t) for t in utc] == [
        "2008-01-15T11:00:00",
        "2008-07-14T10:00:00",
        "2008-03-30T00:59:59",
        "2008-03-30T01:00:00",
        "2008-03-30T01:30:00",
        "2008-10-25T23:30:00",
        "2008-10-26T00:30:00",
        "2008-10-26T02:30:00",
    ]
    assert ambiguous.tolist() == [False] * 6 + [True, False]
    assert nonexistent.tolist() == [False] * 4 + [True] + [False] * 3


def test_published_times_are_utc_with_z_and_the_change_hours_are_reported(
    raw: Path, tmp_path: Path
) -> None:
    _write(
        raw,
        "sessions-2007-10.csv.gz",
        [
            _session("00000000000000a1", "2007-10-28 02:15:00"),
            _session("00000000000000a2", "2007-10-28 03:15:00"),
            _session("00000000000000a3", "2007-10-01 00:30:00"),
        ],
    )
    _write(raw, "sessions-2008-03.csv.gz", [_session("00000000000000b1", "2008-03-30 02:10:00")])
    collected, _ = _publish(raw, tmp_path / "published")
    rows = _published_sessions(tmp_path / "published").set_index("session_id")
    assert rows.loc["00000000000000a1", "start_time"] == "2007-10-28T00:15:00Z"
    assert rows.loc["00000000000000a2", "start_time"] == "2007-10-28T02:15:00Z"
    # Paris month and day: 1 October 00:30 in Paris is 30 September in UTC, published in October.
    assert rows.loc["00000000000000a3", "start_time"] == "2007-09-30T22:30:00Z"
    assert rows.loc["00000000000000b1", "start_time"] == "2008-03-30T01:10:00Z"
    warnings = {p.type: p for r in collected.reports for p in r.warnings}
    assert warnings["ambiguous-time"].params == {"count": 1, "day": "2007-10-28"}
    assert warnings["nonexistent-time"].params == {"count": 1, "day": "2008-03-30"}
    usage = pd.read_csv(tmp_path / "published" / "wifi-hotspots" / "usage-daily.csv", dtype=str)
    assert "2007-10-01" in set(usage["date"]) and "2007-09-30" not in set(usage["date"])


# -- counted once ------------------------------------------------------------------------------


def test_a_session_re_sent_is_counted_once_within_and_across_deliveries(
    raw: Path, tmp_path: Path
) -> None:
    a = _session("00000000000000a1", "2007-10-31 23:50:00")
    b = _session("00000000000000a2", "2007-10-12 10:00:00")
    b[HEADER.index("language")] = ""  # an empty cell equals an empty cell
    c = _session("00000000000000c1", "2007-11-02 10:00:00")
    _write(raw, "sessions-2007-10.csv.gz", [a, b, b])  # re-sent within the file
    _write(raw, "sessions-2007-11.csv.gz", [a, c])  # October's last session re-sent in November
    collected, _ = _publish(raw, tmp_path / "published")
    rows = _published_sessions(tmp_path / "published")
    assert sorted(rows["session_id"]) == [
        "00000000000000a1",
        "00000000000000a2",
        "00000000000000c1",
    ]
    october = tmp_path / "published" / "wifi-hotspots" / "sessions" / "sessions-2007-10.csv"
    assert "00000000000000a1" in october.read_text()  # published with its own month
    usage = pd.read_csv(tmp_path / "published" / "wifi-hotspots" / "usage-daily.csv")
    assert usage["sessions"].sum() == 3
    kinds = {(r.file, p.type) for r in collected.reports for p in r.warnings}
    assert ("sessions-2007-10.csv.gz", "repeated-record") in kinds
    assert ("sessions-2007-11.csv.gz", "outside-period") in kinds


def test_one_session_with_two_versions_is_refused_and_nothing_is_published(
    raw: Path, tmp_path: Path
) -> None:
    _write(raw, "sessions-2007-10.csv.gz", [_session("00000000000000a1", "2007-10-31 23:50:00")])
    _write(
        raw,
        "sessions-2007-11.csv.gz",
        [_session("00000000000000a1", "2007-10-31 23:50:00", duration="999")],
    )
    collected = steps.collect(DATASET, raw, tmp_path / "work")
    assert not collected.valid
    errors = [(r.file, p.type, p.cell) for r in collected.reports for p in r.errors]
    assert errors == [("sessions-2007-11.csv.gz", "conflicting-record", "00000000000000a1")]


def test_the_same_session_id_in_two_months_is_refused(raw: Path, tmp_path: Path) -> None:
    _write(raw, "sessions-2007-10.csv.gz", [_session("00000000000000a1", "2007-10-12 10:00:00")])
    _write(raw, "sessions-2007-11.csv.gz", [_session("00000000000000a1", "2007-11-12 10:00:00")])
    collected = steps.collect(DATASET, raw, tmp_path / "work")
    assert not collected.valid
    assert [p.type for r in collected.reports for p in r.errors] == ["conflicting-record"]


# -- sites -----------------------------------------------------------------------------------


def test_a_session_at_an_unknown_site_is_an_error_with_its_row(raw: Path) -> None:
    path = _write(
        raw,
        "sessions-2007-10.csv.gz",
        [
            _session("00000000000000a1", "2007-10-12 10:00:00"),
            _session("00000000000000a2", "2007-10-12 10:00:00", site="PW9999"),
        ],
    )
    report = validate_file(path, registry.source("wifi-sessions"), raw).report
    assert report.flatten() == [(3, "site_code", "foreign-key")]
    assert "PW9999" in report.errors[0].cell  # type: ignore[operator]


def test_the_contract_checks_run_on_a_large_source_batch_by_batch(
    raw: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A check of source.json declared on the operator's months runs on every batch (#12: it
    was refused at load); one batch or a batch of a few rows give the same report."""
    import dataclasses
    import functools

    from opendata.validate import batched
    from opendata.validate.readers import arrowcsv

    rows = [_session(f"{i:016x}", f"2007-10-12 10:{i:02d}:00") for i in range(40)]
    for i in (3, 17, 38):
        rows[i][HEADER.index("os")] = "Windows"  # not a smartphone's system
    rows[25][HEADER.index("device_type")] = "laptop"  # any system for a laptop
    rows[25][HEADER.index("os")] = "Windows"
    path = _write(raw, "sessions-2007-10.csv.gz", rows)
    source = dataclasses.replace(
        registry.source("wifi-sessions"),
        checks=[
            {
                "type": "allowed-combinations",
                "field": "os",
                "otherField": "device_type",
                "combinations": {"smartphone": ["iOS", "Android"]},
            }
        ],
    )
    whole = batched.validate_large(path, source, raw).report
    assert [(p.row, p.label, p.type, p.cell) for p in whole.errors] == [
        (i + 2, "os", "row-constraint", "Windows") for i in (3, 17, 38)
    ]
    small = functools.partial(arrowcsv.iter_strings, batch_bytes=1, block_bytes=256)
    monkeypatch.setattr(arrowcsv, "iter_strings", small)
    batched = batched.validate_large(path, source, raw).report
    assert batched.errors == whole.errors and not batched.valid


def test_a_site_removed_since_keeps_its_sessions(raw: Path, tmp_path: Path) -> None:
    removed = "PW0261"  # listed by the 2007 snapshot only (see the sample generator)
    sites = (raw / "wifi-sites" / "sites-2008-01-15.csv").read_text(encoding="utf-8-sig")
    assert removed not in sites
    _write(
        raw,
        "sessions-2007-10.csv.gz",
        [_session("00000000000000a1", "2007-10-12 10:00:00", site=removed)],
    )
    _publish(raw, tmp_path / "published")
    rows = _published_sessions(tmp_path / "published")
    assert rows["site_id"].tolist() == [removed]


# -- incremental ---------------------------------------------------------------------------


def test_months_are_processed_once_and_only_when_they_change(raw: Path, tmp_path: Path) -> None:
    for month in ("2007-10", "2007-11"):
        write_month(raw, month, rows=3000, resent=0)
    published = tmp_path / "published"
    first, outcome = _publish(raw, published)
    assert first.processed == {"process-delivery": 2, "build-month": 2}
    assert str(outcome) == "published 1.0.0"

    again, outcome = _publish(raw, published)
    assert again.processed == {"process-delivery": 0, "build-month": 0}
    assert str(outcome) == "unchanged 1.0.0"

    write_month(raw, "2007-12", rows=3000, resent=0)
    more, outcome = _publish(raw, published)
    assert more.processed == {"process-delivery": 1, "build-month": 1}
    assert str(outcome) == "published 1.1.0"
    changes = json.loads((published / "wifi-hotspots" / "changes.json").read_text())
    assert changes["resources"]["sessions"]["rows"] == {"added": 3000, "removed": 0, "modified": 0}
    # The two months that did not change are the same files in both releases (hard links).
    folder = published / "wifi-hotspots"
    for month in ("2007-10", "2007-11"):
        old = folder / "releases" / "1.0.0" / "sessions-parquet" / f"sessions-{month}.parquet"
        new = folder / "releases" / "1.1.0" / "sessions-parquet" / f"sessions-{month}.parquet"
        assert os.stat(old).st_ino == os.stat(new).st_ino

    # A re-delivered month with fewer sessions: only it is processed, and it is a major change.
    table = month_table("2007-11", rows=3000, resent=0).slice(0, 2990)
    from opendata.datasets.wifi_hotspots.samples import csv_gz_bytes

    (raw / "wifi-sessions" / "sessions-2007-11.csv.gz").write_bytes(csv_gz_bytes(table))
    redone, outcome = _publish(raw, published)
    assert redone.processed == {"process-delivery": 1, "build-month": 1}
    assert str(outcome) == "published 2.0.0"
    changes = json.loads((folder / "changes.json").read_text())
    assert changes["resources"]["sessions"]["rows"]["removed"] == 10
    assert changes["resources"]["sessions"]["examples"]["removed"]


def test_a_site_added_later_does_not_reprocess_the_months(raw: Path, tmp_path: Path) -> None:
    write_month(raw, "2007-10", rows=2000, resent=0)
    work = tmp_path / "work"
    sessions_dir = raw / "wifi-sessions"
    first = [large.process_delivery(p, raw, work) for p in sorted(sessions_dir.iterdir())]
    newest = raw / "wifi-sites" / "sites-2008-01-15.csv"
    text = newest.read_text(encoding="utf-8-sig")
    shutil.copy(newest, raw / "wifi-sites" / "sites-2008-02-01.csv")
    (raw / "wifi-sites" / "sites-2008-02-01.csv").write_text(
        text + "PW0999;Square neuf;1 rue Neuve;75011;48,86;2,37;1;01/02/2008;Opérationnel\r\n",
        encoding="utf-8-sig",
    )
    again = [large.process_delivery(p, raw, work) for p in sorted(sessions_dir.iterdir())]
    assert [r.reused for r in first] == [False] and [r.reused for r in again] == [True]


# -- what consumers get ------------------------------------------------------------------------


def test_sessions_are_published_one_file_per_month_in_both_formats(
    raw: Path, tmp_path: Path
) -> None:
    for month in ("2007-10", "2007-11"):
        write_month(raw, month, rows=1500, resent=3)
    published = tmp_path / "published"
    _publish(raw, published)
    descriptor = json.loads((published / "wifi-hotspots" / "datapackage.json").read_text())
    by_name = {r["name"]: r for r in descriptor["resources"]}
    assert by_name["sessions"]["path"] == [
        "sessions/sessions-2007-10.csv",
        "sessions/sessions-2007-11.csv",
    ]
    assert by_name["sessions-parquet"]["path"] == [
        "sessions-parquet/sessions-2007-10.parquet",
        "sessions-parquet/sessions-2007-11.parquet",
    ]
    assert "partitionedBy" not in by_name["sessions"]
    for csv_part, parquet_part in zip(
        by_name["sessions"]["x-parts"], by_name["sessions-parquet"]["x-parts"], strict=True
    ):
        one_month = pd.read_csv(
            published / "wifi-hotspots" / csv_part["path"], dtype=str, keep_default_na=False
        )
        same = pq.read_table(published / "wifi-hotspots" / parquet_part["path"]).to_pandas()
        assert len(one_month) == len(same) == csv_part["rows"] == 1500
        assert list(one_month.columns) == [
            f["name"] for f in by_name["sessions"]["schema"]["fields"]
        ]
        assert str(same["start_time"].dt.tz) == "UTC"  # Parquet keeps the instant in UTC
        arrow = pq.read_schema(published / "wifi-hotspots" / parquet_part["path"])
        described = {f.name: (f.metadata or {}).get(b"description", b"").decode() for f in arrow}
        assert described == {
            f["name"]: f["description"] for f in by_name["sessions"]["schema"]["fields"]
        }  # every field documented, as in the other Parquet files
        assert one_month["start_time"].str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
        assert one_month["session_id"].is_unique
    usage = pd.read_csv(published / "wifi-hotspots" / "usage-daily.csv")
    assert usage["sessions"].sum() == 3000
    devices = usage[[f"sessions_{d}" for d in sessions.DEVICES]].sum(axis=1)
    assert (devices == usage["sessions"]).all()
    assert not usage.duplicated(["site_id", "date"]).any()


def test_the_sample_month_is_realistic_and_small() -> None:
    path = RAW / "wifi-sessions" / "sessions-2007-10.csv.gz"
    assert path.stat().st_size < 10 * 1024 * 1024
    rows = pd.read_csv(path, dtype=str)
    start = pd.to_datetime(rows["start_time"])
    per_day = start.dt.date.value_counts()
    assert per_day.min() >= 2000 and per_day.max() <= 40_000  # raw-formats.md
    weekday = start[start.dt.day_of_week < 5].dt.date.value_counts().mean()
    sunday = start[start.dt.day_of_week == 6].dt.date.value_counts().mean()
    assert sunday < 0.8 * weekday  # weekly rhythm
    hours = start.dt.hour.value_counts()
    assert hours[17] > 5 * hours[4]  # daily rhythm
    shares = rows["device_type"].value_counts(normalize=True)
    assert shares.index[0] == "smartphone" and set(shares.index) == set(sessions.DEVICES)
    assert rows["site_code"].value_counts().iloc[0] > 5 * rows["site_code"].value_counts().median()
    assert start.min().date() == dt.date(2007, 10, 1)


def test_the_generator_is_seeded_and_follows_the_season() -> None:
    assert month_table("2008-03", rows=500).equals(month_table("2008-03", rows=500))
    march, august = month_table("2008-03"), month_table("2008-08")
    assert 0.5 < august.num_rows / march.num_rows < 0.7  # summer dip
    assert 400_000 < march.num_rows < 1_300_000


def test_a_month_re_delivered_through_the_intake_replaces_that_month(
    raw: Path, tmp_path: Path
) -> None:
    from opendata.datasets.wifi_hotspots.samples import csv_gz_bytes
    from opendata.intake import submit

    write_month(raw, "2007-10", rows=2000, resent=0)
    published = tmp_path / "published"
    _publish(raw, published)
    corrected = tmp_path / "outbox" / "sessions-2007-10.csv.gz"  # the operator's corrected file
    corrected.parent.mkdir()
    table = month_table("2007-10", rows=2000, resent=0)
    durations = table.column("duration_s").to_pylist()
    durations[0] = "61"
    table = table.set_column(3, "duration_s", pa.array(durations)).slice(0, 1990)
    corrected.write_bytes(csv_gz_bytes(table))
    receipt, report = submit(
        corrected,
        registry.source("wifi-sessions"),
        raw,
        tmp_path / "quarantine",
        delivered=dt.date(2007, 11, 5),
    )
    assert receipt.status == "accepted", report.flatten()[:3]
    assert (
        receipt.stored.name.startswith("2007-11-05_")
        and len(list((raw / "wifi-sessions").iterdir())) == 2
    )
    collected, outcome = _publish(raw, published)
    assert str(outcome) == "published 2.0.0"  # sessions removed: a major release
    assert [r.file for r in collected.reports if r.source == "wifi-sessions"] == [
        receipt.stored.name
    ]
    assert not [w for r in collected.reports for w in r.warnings if w.type == "outside-period"]
    rows = _published_sessions(published)
    assert len(rows) == 1990
    changes = json.loads((published / "wifi-hotspots" / "changes.json").read_text())
    assert changes["resources"]["sessions"]["rows"] == {"added": 0, "removed": 10, "modified": 1}
    assert changes["resources"]["sessions"]["examples"]["modified"][0]["fields"] == ["duration_s"]


# -- a month in batches ----------------------------------------------------------------------


def _month_files(raw: Path, work: Path) -> tuple[list[Any], month_stage.MonthResult]:
    results = [
        large.process_delivery(p, raw, work) for p in sorted((raw / "wifi-sessions").iterdir())
    ]
    plan = month_stage.month_plan(results)
    return results, month_stage.build_month("2007-10", plan["2007-10"], work)


def test_a_month_checked_and_built_in_small_batches_is_the_same_month(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batches of a few rows (reading, checking, time ranges of the build) give the same
    reports and the same files as one batch: keys repeated across batches, a day split
    between two time ranges, rows out of time order, a session re-sent by a later delivery."""
    from opendata.validate.readers import arrowcsv

    october = month_table("2007-10", rows=4000, resent=40)
    shuffled = october.take(np.random.default_rng(7).permutation(october.num_rows))
    folder = raw / "wifi-sessions"
    folder.mkdir()
    (folder / "sessions-2007-10.csv.gz").write_bytes(csv_gz_bytes(shuffled))
    again = [october.column(n)[5].as_py() for n in HEADER]
    other = [october.column(n)[6].as_py() for n in HEADER]
    other[HEADER.index("duration_s")] = "1"  # the same session with another duration
    _write(
        raw,
        "sessions-2007-11.csv.gz",
        [again, other, _session("00000000000000c1", "2007-11-02 10:00:00")],
    )
    results, month = _month_files(raw, tmp_path / "whole")
    monkeypatch.setattr(arrowcsv, "BATCH_BYTES", 1)
    monkeypatch.setattr(arrowcsv, "BLOCK_BYTES", 4096)
    monkeypatch.setattr(month_stage, "BUCKET_ROWS", 300)
    small, batched = _month_files(raw, tmp_path / "batched")
    assert [r.report.to_state() for r in small] == [r.report.to_state() for r in results]
    assert [r.months for r in small] == [r.months for r in results]
    assert pq.ParquetFile(batched.parquet).num_row_groups > 10  # it did run in parts
    assert Path(batched.csv).read_bytes() == Path(month.csv).read_bytes()
    assert pq.read_table(batched.parquet).equals(pq.read_table(month.parquet), check_metadata=True)
    assert Path(batched.usage).read_bytes() == Path(month.usage).read_bytes()
    assert Path(batched.ids).read_bytes() == Path(month.ids).read_bytes()
    assert (batched.rows, batched.duplicates, batched.site_ids) == (
        month.rows,
        month.duplicates,
        month.site_ids,
    )
    assert batched.conflicts == month.conflicts
    assert [c.session_id for c in month.conflicts] == [other[0]]
    assert month.duplicates == 40 + 2 and month.rows == 4000


def test_a_month_the_intake_received_is_counted_by_the_publication_not_checked_again(
    raw: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The intake keeps a month's report under the key of its bytes, contract and sites; the
    publication then reads the month once more, to count and convert its rows, without the
    checks (the same rows and report as when it checks), and forgets the kept report. Sites
    replaced since: the key changes, the month is checked again."""
    from opendata.intake import submit
    from opendata.storage import default_work_dir
    from opendata.validate import engine, remembered

    outbox = tmp_path / "outbox" / "sessions-2007-10.csv.gz"
    outbox.parent.mkdir()
    outbox.write_bytes(csv_gz_bytes(month_table("2007-10", rows=3000, resent=7)))
    source = registry.source("wifi-sessions")
    receipt, report = submit(outbox, source, raw, tmp_path / "quarantine")
    assert receipt.status == "accepted" and report.valid and report.warnings
    store = remembered.store_of(raw) / "wifi-sessions"
    assert len(list(store.glob("*.arrow"))) == 1
    stored = raw / "wifi-sessions" / receipt.stored.name

    calls = {"check": 0, "converted": 0}
    for method in calls:
        real = getattr(engine.Validator, method)

        def counted(self: Any, strings: Any, real: Any = real, method: str = method) -> Any:
            calls[method] += 1
            return real(self, strings)

        monkeypatch.setattr(engine.Validator, method, counted)
    once = large.process_delivery(stored, raw, default_work_dir(raw))
    assert calls["check"] == 0 and calls["converted"] >= 1
    assert once.report.valid and not list(store.glob("*.arrow"))  # used, then forgotten
    checked = large.process_delivery(stored, raw, tmp_path / "elsewhere")  # no kept report
    assert calls["check"] >= 1
    assert [(p.type, p.params) for p in once.report.problems] == [
        (p.type, p.params) for p in checked.report.problems
    ]
    assert once.months == checked.months and once.site_ids == checked.site_ids
    assert pq.read_table(once.rows_path).equals(pq.read_table(checked.rows_path))

    # Another sites delivery: what the month's foreign keys look up changed.
    sites = sorted((raw / "wifi-sites").iterdir())[-1]
    shutil.copy(sites, raw / "wifi-sites" / "sites-2007-11-01.csv")
    again = tmp_path / "outbox" / "sessions-2007-11.csv.gz"
    again.write_bytes(csv_gz_bytes(month_table("2007-11", rows=500, resent=0)))
    receipt, report = submit(again, source, raw, tmp_path / "quarantine")
    assert receipt.status == "accepted"
    shutil.copy(sites, raw / "wifi-sites" / "sites-2007-12-01.csv")  # after the intake
    calls["check"] = 0
    large.process_delivery(raw / "wifi-sessions" / receipt.stored.name, raw, default_work_dir(raw))
    assert calls["check"] >= 1
