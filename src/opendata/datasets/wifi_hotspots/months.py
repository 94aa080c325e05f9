"""Stage 2 and 3 of the Wi-Fi sessions: each published month built from every delivery holding
some of its rows (each session counted once), then the checks across months and the daily
usage table (see :mod:`opendata.datasets.wifi_hotspots.large`)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opendata import formats
from opendata.contracts import registry
from opendata.datasets.staged import digest, write_hashed, write_parquet
from opendata.datasets.wifi_hotspots.sessions import (
    DATASET,
    DEVICES,
    NORMALISED,
    RESOURCE,
    SOURCE,
    DeliveryResult,
    contract_digest,
    described,
    published_fields,
)
from opendata.formulas import FORMULA_START, NOT_A_FORMULA
from opendata.storage import write_file
from opendata.validate import engine


@dataclass
class Conflict:
    """One session id delivered twice with different values."""

    session_id: str
    first: str  # delivery that had it first
    other: str  # delivery that has it again, differently
    row: int  # its row in ``other``


@dataclass
class MonthResult:
    """One published month: its files in the work folder and what the cross-checks need."""

    month: str
    key: str
    rows: int
    csv: str
    parquet: str
    usage: str
    ids: str  # sorted 64-bit hashes of the session ids (.npy)
    site_ids: list[str]
    csv_hash: str
    csv_bytes: int
    parquet_hash: str
    parquet_bytes: int
    duplicates: int  # rows counted once because another row had the same session
    conflicts: list[Conflict] = field(default_factory=list)
    reused: bool = False


def month_plan(results: Iterable[DeliveryResult]) -> dict[str, list[tuple[str, str]]]:
    """Each month with the (delivery name, rows file) pairs that hold rows of it, in delivery
    order (the first delivery of a session wins)."""
    plan: dict[str, list[tuple[str, str]]] = {}
    for result in results:
        if result.rows_path is None:
            continue
        for month in result.months:
            plan.setdefault(month, []).append((result.name, result.rows_path))
    return dict(sorted(plan.items()))


# Sessions sorted and written at a time (about 15 MiB of rows, copied four or five times on
# their way to the files): pass 3 of a month of 2.4 million rows peaks 116 MiB lower than at
# 2^18, at the same speed.
BUCKET_ROWS = 1 << 17


def build_month(month: str, contributions: list[tuple[str, str]], work_dir: Path) -> MonthResult:
    """Write one month's files (or reuse them when its inputs did not change).

    In three streaming passes over the deliveries' rows of the month, so that memory does not
    grow with the month beyond a few bytes a session: (1) the session ids' 64-bit hashes and
    start times; (2) the rows whose hash is shared, read again and compared exactly to count
    each session once; (3) the month in consecutive time ranges of :data:`BUCKET_ROWS`
    sessions, each sorted and appended to the CSV, the Parquet file and the daily usage."""
    key = digest(month, contract_digest(), *(Path(p).stem for _, p in contributions))
    folder = work_dir / SOURCE / "months" / f"{month}-{key}"
    meta_path = folder / "month.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_bytes())
        meta["conflicts"] = [Conflict(**c) for c in meta["conflicts"]]
        return MonthResult(**meta, reused=True)
    paths = [path for _, path in contributions]
    plan = _count_once_plan(paths, [name for name, _ in contributions], month)
    folder.mkdir(parents=True, exist_ok=True)
    written = _write_month(folder, month, paths, plan)
    result = MonthResult(
        month=month, key=key, duplicates=plan.duplicates, conflicts=plan.conflicts, **written
    )
    meta = asdict(result)
    meta.pop("reused")
    write_file(meta_path, json.dumps(meta).encode())
    return result


@dataclass
class _Plan:
    """What passes 1 and 2 decide: the rows dropped (a session already counted) and the
    time ranges of pass 3."""

    dropped: np.ndarray  # origins (delivery, row) of the rows counted once elsewhere
    duplicates: int
    conflicts: list[Conflict]
    bounds: list[int | None]


def _count_once_plan(paths: list[str], names: list[str], month: str) -> _Plan:
    # Pass 1: what deduplicating and bucketing need, some 21 bytes a row.
    hashes, starts, records, sizes = [], [], [], []
    for order, batch in _month_batches(paths, month, ["session_id", "start_time", "row"]):
        hashes.append(engine.hash_text(batch.column("session_id")))
        starts.append(_seconds(batch.column("start_time")))
        records.append(batch.column("row").to_numpy().astype(np.int32))
        sizes.append((order, batch.num_rows))
    hashed = np.concatenate(hashes) if hashes else np.zeros(0, np.uint64)
    del hashes
    # Pass 2: the rows whose hash another row shares, read again and compared as values.
    candidates = np.nonzero(engine.shared(hashed))[0]
    del hashed
    record = np.concatenate(records) if records else np.zeros(0, np.int32)
    del records
    ends = np.cumsum([size for _, size in sizes])
    orders = np.array([order for order, _ in sizes], dtype=np.int64)
    delivery_of = orders[np.searchsorted(ends, candidates, side="right")] if len(sizes) else orders
    origins = _origin(delivery_of, record[candidates])
    del record
    dropped, duplicates, conflicts = _repeats(paths, month, names, np.sort(origins))
    kept = np.ones(sum(size for _, size in sizes), dtype=bool)
    kept[candidates[np.isin(origins, dropped)]] = False
    del candidates, origins
    start = np.concatenate(starts or [np.zeros(0, np.int64)])
    return _Plan(dropped, duplicates, conflicts, _buckets(start[kept]))


def _sorted_buckets(paths: list[str], month: str, plan: _Plan) -> Iterable[pa.Table]:
    """Pass 3's input: the month in time order, a time range at a time, each session once."""
    bounds = plan.bounds
    for lo, hi in zip(bounds, [*bounds[1:], None], strict=True):
        parts = [
            pa.Table.from_batches([batch]).append_column(
                "origin", pa.array(_origin(order, batch.column("row").to_numpy()))
            )
            for order, batch in _month_batches(paths, month, None, lo, hi)
        ]
        if not parts:
            continue
        table = pa.concat_tables(parts)
        table = table.filter(pa.array(~np.isin(table.column("origin").to_numpy(), plan.dropped)))
        order = pc.sort_indices(table, [("start_time", "ascending"), ("session_id", "ascending")])
        yield table.take(order)


def _write_month(folder: Path, month: str, paths: list[str], plan: _Plan) -> dict[str, Any]:
    """Pass 3: the month's CSV and Parquet files (streamed to disk with their hash: they never
    sit in memory whole), its daily usage and its sorted session-id hashes."""
    csv_path, parquet_path = folder / f"sessions-{month}.csv", folder / f"sessions-{month}.parquet"
    usages, ids, sites, rows = [], [], set(), 0
    hashed_parquet: list[tuple[str, int]] = []

    def write_csv_file(csv_sink: Any) -> None:
        csv_sink.write((",".join(published_fields()) + "\n").encode())

        def write_parquet_file(parquet_sink: Any) -> None:
            nonlocal rows
            writer = None
            for table in _sorted_buckets(paths, month, plan):
                published = table.select(published_fields())
                _check_month(published)
                write_csv(published, csv_sink, header=False)
                typed = described(published)
                if writer is None:
                    writer = pq.ParquetWriter(parquet_sink, typed.schema, compression="zstd")
                writer.write_table(typed)
                usages.append(_usage(table))
                ids.append(engine.hash_text(published.column("session_id")))
                sites.update(pc.unique(published.column("site_id")).to_pylist())
                rows += published.num_rows
            if writer is None:
                empty = NORMALISED.empty_table().select(published_fields())
                pq.write_table(described(empty), parquet_sink, compression="zstd")
            else:
                writer.close()

        hashed_parquet.append(write_hashed(parquet_path, write_parquet_file))

    csv_hash, csv_size = write_hashed(csv_path, write_csv_file)
    parquet_hash, parquet_size = hashed_parquet[0]
    usage_path = folder / "usage-daily.parquet"
    write_parquet(usage_path, _usage_total(usages))
    ids_path = folder / "ids.npy"
    sorted_ids = np.sort(np.concatenate(ids)) if ids else np.zeros(0, np.uint64)
    _check_unique(sorted_ids, parquet_path)
    buffer = io.BytesIO()
    np.save(buffer, sorted_ids)
    write_file(ids_path, buffer.getvalue())
    return {
        "rows": rows,
        "csv": str(csv_path),
        "parquet": str(parquet_path),
        "usage": str(usage_path),
        "ids": str(ids_path),
        "site_ids": sorted(sites),
        "csv_hash": csv_hash,
        "csv_bytes": csv_size,
        "parquet_hash": parquet_hash,
        "parquet_bytes": parquet_size,
    }


def _month_batches(
    paths: list[str],
    month: str,
    columns: list[str] | None,
    lo: int | None = None,
    hi: int | None = None,
) -> Iterable[tuple[int, pa.RecordBatch]]:
    """The rows of ``month`` in each delivery's Parquet file (with its position among them),
    batch by batch; only those starting in [lo, hi) (seconds) when given. Row groups whose
    statistics exclude them are not read."""
    import pyarrow.dataset as pds

    wanted = pds.field("month") == month
    moment = pa.timestamp("s", tz="UTC")
    if lo is not None:
        wanted &= pds.field("start_time") >= pa.scalar(lo, moment)
    if hi is not None:
        wanted &= pds.field("start_time") < pa.scalar(hi, moment)
    for order, path in enumerate(paths):
        # One batch read ahead, its column chunks read as needed: with Arrow's defaults (16
        # batches ahead, row groups buffered whole) a scan of every column of a month of 2.4
        # million rows rose 280 MiB (the publication's peak); so 105 MiB, and no slower.
        for batch in pds.dataset(path, format="parquet").to_batches(
            columns=columns,
            filter=wanted,
            use_threads=False,
            batch_readahead=1,
            fragment_readahead=1,
            fragment_scan_options=pds.ParquetFragmentScanOptions(pre_buffer=False),
        ):
            if batch.num_rows:
                yield order, batch


def _seconds(times: pa.Array) -> np.ndarray:
    """Start times as seconds since the epoch (Parquet keeps them in milliseconds)."""
    seconds = pc.cast(times, pa.timestamp("s", tz="UTC"))
    return np.asarray(pc.cast(seconds, pa.int64()).to_numpy(zero_copy_only=False), np.int64)


def _origin(order: int | np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Where a row comes from, as one number: its delivery's position and its record."""
    return (np.asarray(order, dtype=np.int64) << np.int64(40)) | rows.astype(np.int64)


def _repeats(
    paths: list[str], month: str, names: list[str], wanted: np.ndarray
) -> tuple[np.ndarray, int, list[Conflict]]:
    """The rows counted once (sorted origins to drop), how many, and the conflicts, among the
    rows at ``wanted`` origins (sorted): those whose id hash another row shares, read again
    whole and compared exactly."""
    if not len(wanted):
        return np.zeros(0, np.int64), 0, []
    parts = []
    for order, batch in _month_batches(paths, month, None):
        where = _origin(order, batch.column("row").to_numpy())
        mask = np.isin(where, wanted)
        if mask.any():
            part = pa.Table.from_batches([batch]).filter(pa.array(mask))
            parts.append(part.append_column("origin", pa.array(where[mask])))
    table = pa.concat_tables(parts)
    table = table.take(pc.sort_indices(table, [("origin", "ascending")]))  # delivery order
    delivery = pa.array((table.column("origin").to_numpy() >> 40).astype(np.int32))
    table = table.append_column("delivery", delivery)
    once, duplicates, conflicts = _count_once(table, names)
    kept = once.column("origin").to_numpy()
    dropped = np.setdiff1d(table.column("origin").to_numpy(), kept)
    return dropped, duplicates, conflicts


def _buckets(start: np.ndarray) -> list[int | None]:
    """Lower bounds (seconds) of consecutive time ranges of about :data:`BUCKET_ROWS` rows
    each; sessions starting at the same second are never split. One open range when small."""
    if len(start) <= BUCKET_ROWS:
        return [None]
    start.sort()  # in place: the caller's copy of the kept rows' starts
    bounds = np.unique(start[BUCKET_ROWS::BUCKET_ROWS]).tolist()
    return [None, *bounds]


def _usage_total(parts: list[pa.Table]) -> pa.Table:
    """The daily usage of the month from the usage of its time ranges (a day may span two)."""
    if len(parts) == 1:
        return parts[0]
    if not parts:
        return _usage(NORMALISED.empty_table())
    table = pa.concat_tables(parts)
    sums = [c for c in table.column_names if c not in ("site_id", "date")]
    grouped = table.group_by(["site_id", "date"], use_threads=False).aggregate(
        [(c, "sum") for c in sums]
    )
    grouped = grouped.rename_columns([c.removesuffix("_sum") for c in grouped.column_names])
    grouped = grouped.select(table.column_names)
    return grouped.take(pc.sort_indices(grouped, [("date", "ascending"), ("site_id", "ascending")]))


def _check_unique(sorted_ids: np.ndarray, parquet_path: Path) -> None:
    """No session twice in the month: equal hashes are compared as text (a bug of ours when
    two rows share an id: nothing is published)."""
    if not (sorted_ids[1:] == sorted_ids[:-1]).any():
        return
    ids = pq.read_table(parquet_path, columns=["session_id"]).column("session_id")
    if len(pc.unique(ids)) != len(ids):
        raise ValueError(f"{DATASET}/{RESOURCE}: the built month has a session twice")


def _count_once(table: pa.Table, names: list[str]) -> tuple[pa.Table, int, list[Conflict]]:
    """Keep the first row of each session (deliveries in order, then rows); a later row with
    the same session id and other values is a conflict."""
    dup, first_rows = engine.duplicated(
        [table.column("session_id")], np.arange(table.num_rows, dtype=np.int64)
    )
    conflicts: list[Conflict] = []
    if dup.any():
        later = np.nonzero(dup)[0]
        earlier = first_rows[dup]
        same = np.ones(len(later), dtype=bool)
        for name in published_fields():
            column = table.column(name)
            a, b = column.take(pa.array(later)), column.take(pa.array(earlier))
            equal = pc.or_kleene(pc.equal(a, b), pc.and_(pc.is_null(a), pc.is_null(b)))
            same &= np.asarray(pc.fill_null(equal, False).to_numpy(zero_copy_only=False))
        delivery = table.column("delivery").to_numpy()
        rows = table.column("row").to_numpy()
        ids = table.column("session_id")
        for i in np.nonzero(~same)[0][:1000].tolist():
            conflicts.append(
                Conflict(
                    session_id=ids[int(later[i])].as_py(),
                    first=names[int(delivery[earlier[i]])],
                    other=names[int(delivery[later[i]])],
                    row=int(rows[later[i]]),
                )
            )
    return table.filter(pa.array(~dup)), int(dup.sum()), conflicts


def _check_month(table: pa.Table) -> None:
    """The month against the published schema (types come from the build; this checks the
    constraints). A failure is a bug of ours: nothing is written."""
    schema = registry.dataset(DATASET).resource_schema(RESOURCE)
    found = engine.check_typed(table, schema)
    if len(found):
        first = found.triples()[:5]
        raise ValueError(f"{DATASET}/{RESOURCE}: the built month breaks its schema: {first}")


def _usage(table: pa.Table) -> pa.Table:
    """Sessions, durations, volumes and devices per site and Paris day."""
    device = table.column("device_type")
    extra = {f"sessions_{d}": pc.cast(pc.equal(device, d), pa.int64()) for d in DEVICES}
    work = table.select(["site_id", "date", "duration_s", "bytes_in", "bytes_out"])
    for name, values in extra.items():
        work = work.append_column(name, values)
    grouped = work.group_by(["site_id", "date"], use_threads=False).aggregate(
        [("site_id", "count")]
        + [(c, "sum") for c in ["duration_s", "bytes_in", "bytes_out", *extra]]
    )
    renamed = {
        "site_id_count": "sessions",
        **{f"{c}_sum": c for c in ["duration_s", "bytes_in", "bytes_out", *extra]},
    }
    grouped = grouped.rename_columns([renamed.get(c, c) for c in grouped.column_names])
    columns = [
        "site_id",
        "date",
        "sessions",
        "duration_s",
        "bytes_in",
        "bytes_out",
        *(f"sessions_{d}" for d in DEVICES),
    ]
    grouped = grouped.select(columns)
    return grouped.take(pc.sort_indices(grouped, [("date", "ascending"), ("site_id", "ascending")]))


def csv_bytes(table: pa.Table) -> bytes:
    """The published CSV of a month, in memory (see :func:`write_csv`)."""
    out = io.BytesIO()
    write_csv(table, out)
    return out.getvalue()


def write_csv(table: pa.Table, out: Any, header: bool = True) -> None:
    """The published CSV of a month (:func:`opendata.formats.write_csv`): ISO 8601 UTC times
    with Z, integers as digits, the operator's free text defused as in ``formats.defuse``."""
    columns = []
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_timestamp(column.type):
            text = pc.cast(pc.cast(column, pa.timestamp("s")), pa.string())
            column = pc.binary_join_element_wise(pc.replace_substring(text, " ", "T"), "Z", "")
        elif pa.types.is_string(column.type):
            risky = pc.and_(
                pc.match_substring_regex(column, FORMULA_START),
                pc.invert(pc.match_substring_regex(column, NOT_A_FORMULA)),
            )
            if pc.any(risky).as_py():
                column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
        else:
            column = pc.cast(column, pa.string())
        columns.append(column)
    formats.write_csv(table.column_names, columns, out, header)


# -- stage 3: all months -----------------------------------------------------------------------


def cross_check(months: list[MonthResult], work_dir: Path) -> list[Conflict]:
    """Session ids found in two months (a session cannot start in two months: the second
    delivery disagrees with the first). Months are compared two at a time, and a pair already
    compared in an earlier run is not compared again."""
    done_dir = work_dir / SOURCE / "pairs"
    conflicts: list[Conflict] = []
    for i, a in enumerate(months):
        ids_a: np.ndarray | None = None
        for b in months[i + 1 :]:
            marker = done_dir / f"{a.key}-{b.key}"
            if marker.exists():
                continue
            if ids_a is None:
                ids_a = np.load(a.ids, mmap_mode="r")
            ids_b = np.load(b.ids, mmap_mode="r")
            common = np.intersect1d(ids_a, ids_b, assume_unique=True)
            if len(common):
                conflicts += _confirm(a, b, common)
            else:
                write_file(marker, b"")
    return conflicts


def _confirm(a: MonthResult, b: MonthResult, common: np.ndarray) -> list[Conflict]:
    """The session ids of two months whose hashes met, compared as text."""
    found: list[Conflict] = []
    ids_a = pq.read_table(a.parquet, columns=["session_id"]).column("session_id")
    ids_b = pq.read_table(b.parquet, columns=["session_id"]).column("session_id")
    in_a = ids_a.filter(pa.array(np.isin(engine.hash_text(ids_a), common)))
    in_b = set(ids_b.filter(pa.array(np.isin(engine.hash_text(ids_b), common))).to_pylist())
    for session in in_a.to_pylist():
        if session in in_b:
            found.append(Conflict(session, f"sessions-{a.month}", f"sessions-{b.month}", 0))
    return found


def usage_frame(months: list[MonthResult]) -> pd.DataFrame:
    """The daily usage table of every month (small: a row per site and day)."""
    schema = registry.dataset(DATASET).resource_schema("usage-daily")
    names = [f["name"] for f in schema["fields"]]
    if not months:
        return pd.DataFrame({n: pd.Series(dtype=object) for n in names})
    tables = [pq.read_table(m.usage) for m in months]
    frame = pa.concat_tables(tables).to_pandas()
    return frame[names].reset_index(drop=True)
