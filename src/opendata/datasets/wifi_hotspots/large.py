"""The large source of ``wifi-hotspots``, the Wi-Fi sessions: months processed one at a time,
on disk, each only once (the dataset's ``large`` part, see :mod:`opendata.datasets`).

Three stages, each a plain function of files so that a Prefect task (local thread or Dask
worker) can run it anywhere the work folder is visible:

1. :func:`process_delivery`, once per operator file: validate it (Arrow engine), convert local
   Paris times to UTC, and keep the valid rows as a Parquet file in the work folder, named by
   the file's content hash. A file already processed is not read again.
2. :func:`build_month`, once per published month: gather that month's rows from every delivery
   holding some (an operator re-send may hold another month's rows), count each session once,
   write the month's CSV and Parquet files and its daily usage. Named by the hashes of its
   inputs: a month whose deliveries did not change is not rebuilt.
3. :func:`cross_check` and :func:`usage_frame`, over all months: no session id in two months,
   every site known, the daily usage table.

Memory stays that of one month whatever the history (the months' session ids are compared two
months at a time, as sorted 64-bit hashes).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
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
from opendata.contracts.deliveries import delivery_date, list_deliveries
from opendata.datasets import Stage
from opendata.formats import FORMULA_START, NOT_A_FORMULA
from opendata.report.problems import Problem, Report
from opendata.storage import sha256_of, write_file, write_with
from opendata.validate import engine
from opendata.validate.batched import reference_keys, validate_large

SOURCE = "wifi-sessions"
DATASET = "wifi-hotspots"
RESOURCE = "sessions"
TIMEZONE = "Europe/Paris"
# Bump when what a stage writes changes: every cached delivery and month is then rebuilt.
STAGE_VERSION = "5"  # 5: the one CSV writer (a cell quoted only when it must be)
DEVICES = ("smartphone", "tablet", "laptop", "other")


_PERIOD = re.compile(r"sessions-(\d{4}-\d{2})")


def period_of(name: str) -> str | None:
    """The month a file covers, from its name (``sessions-AAAA-MM``), whatever the intake put
    before it (``2008-04-02_<hash>_sessions-2008-03.csv.gz``)."""
    found = _PERIOD.search(name)
    return found.group(1) if found else None


def current_deliveries(deliveries: list[Any]) -> tuple[list[Any], list[Any]]:
    """The deliveries that count (the newest file of each month: a re-delivery replaces its
    month), and those replaced. ``deliveries`` are in delivery order, oldest first."""
    newest: dict[str, Any] = {}
    for delivery in deliveries:
        newest[period_of(delivery.name) or delivery.name] = delivery
    kept = [d for d in deliveries if newest[period_of(d.name) or d.name] is d]
    return kept, [d for d in deliveries if d not in kept]


def _digest(*parts: bytes | str) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:32]


def _contract_digest() -> str:
    source = registry.source(SOURCE)
    dataset = registry.dataset(DATASET)
    return _digest(
        STAGE_VERSION,
        json.dumps(source.schema, sort_keys=True),
        json.dumps(dataset.resource_schema(RESOURCE), sort_keys=True),
        json.dumps(dataset.resource_schema("usage-daily"), sort_keys=True),
    )


def _write_parquet(path: Path, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression="zstd")
    write_file(path, buffer.getvalue())


# -- stage 1: one delivery -------------------------------------------------------------------


@dataclass
class DeliveryResult:
    """What processing one operator file gave: its report, and where its valid rows are."""

    name: str
    key: str  # content and contract hash: the name of its files in the work folder
    report: Report
    months: dict[str, int] = field(default_factory=dict)  # month -> rows
    rows_path: str | None = None  # Parquet of the valid rows (None: the file is invalid)
    site_ids: list[str] = field(default_factory=list)
    reused: bool = False  # True when the work folder already had it

    def to_json(self) -> bytes:
        data = asdict(self)
        data["report"] = self.report.to_state()
        return json.dumps(data, ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: bytes) -> DeliveryResult:
        raw = json.loads(data)
        raw["report"] = Report.from_state(raw["report"])
        return cls(**raw)


def reference_sites(raw_dir: Path) -> pa.Table | None:
    """Every site code of every ``wifi-sites`` delivery (a removed site keeps its sessions)."""
    tables, _files = reference_keys(registry.source(SOURCE), raw_dir)
    return tables.get("wifi-sites")


class _Invalid(Exception):
    """The delivery is invalid: the rows written so far are dropped."""


def process_delivery(path: Path, raw_dir: Path, work_dir: Path) -> DeliveryResult:
    """Validate one operator file and keep its valid rows, or reuse what an earlier run kept.

    The file is read, checked and converted batch by batch, each batch's rows appended to the
    delivery's Parquet file as they come (a row group each): memory does not grow with the
    file. Its rows are kept only when the whole report is valid."""
    source = registry.source(SOURCE)
    key = _digest(sha256_of(path), _contract_digest())
    folder = work_dir / SOURCE / "deliveries"
    meta_path = folder / f"{key}.json"
    sites = reference_sites(raw_dir)
    known = set(sites.column("Code site").to_pylist()) if sites is not None else set()
    if meta_path.exists():
        cached = DeliveryResult.from_json(meta_path.read_bytes())
        rows_ok = cached.rows_path is None or Path(cached.rows_path).exists()
        # The sites may have changed since: reuse only when every site it names is still known.
        if rows_ok and set(cached.site_ids) <= known and cached.name == path.name:
            cached.reused = True
            return cached
    references = {"wifi-sites": sites} if sites is not None else None
    rows_path = folder / f"{key}.parquet"
    normaliser = _Normaliser(path.name)
    validated: list[Report] = []

    def write(handle: Any) -> None:
        with pq.ParquetWriter(handle, NORMALISED, compression="zstd") as writer:

            def on_rows(checked: engine.Checked) -> None:
                writer.write_table(normaliser.add(checked))

            validated.append(validate_large(path, source, raw_dir, references, on_rows).report)
            if not validated[0].valid:
                raise _Invalid

    try:
        write_with(rows_path, write)
    except _Invalid:
        # Nothing kept: the file is validated again next time.
        return DeliveryResult(path.name, key, validated[0])
    report = validated[0]
    report.problems.extend(normaliser.warnings())
    result = DeliveryResult(path.name, key, report)
    result.months = dict(sorted(normaliser.months.items()))
    result.site_ids = sorted(normaliser.site_ids)
    result.rows_path = str(rows_path)
    write_file(meta_path, result.to_json())
    return result


def paris_to_utc(local: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """UTC instants of Paris wall-clock times (datetime64[s]), and masks of the times that were
    ambiguous (the repeated October hour: read as its first occurrence, summer time) and that
    did not exist (the skipped March hour: read as winter time, the clock not yet moved)."""
    index = pd.DatetimeIndex(local.astype("datetime64[s]"))
    first = index.tz_localize(
        TIMEZONE, ambiguous=np.ones(len(index), dtype=bool), nonexistent=pd.Timedelta(hours=1)
    )
    second = index.tz_localize(
        TIMEZONE, ambiguous=np.zeros(len(index), dtype=bool), nonexistent=pd.Timedelta(hours=1)
    )
    missing = index.tz_localize(
        TIMEZONE, ambiguous=np.ones(len(index), dtype=bool), nonexistent="NaT"
    )
    ambiguous = np.asarray(first != second)
    nonexistent = np.asarray(missing.isna()) & ~np.asarray(index.isna())
    utc = np.asarray(first.tz_convert("UTC").tz_localize(None).as_unit("s"), dtype="datetime64[s]")
    return utc, ambiguous, nonexistent


# The valid rows of a delivery as the work folder keeps them (published names, UTC times).
NORMALISED = pa.schema(
    [
        ("session_id", pa.string()),
        ("site_id", pa.string()),
        ("start_time", pa.timestamp("s", tz="UTC")),
        ("duration_s", pa.int64()),
        ("bytes_in", pa.int64()),
        ("bytes_out", pa.int64()),
        ("device_type", pa.string()),
        ("os", pa.string()),
        ("language", pa.string()),
        ("month", pa.string()),
        ("date", pa.date32()),
        ("row", pa.int64()),
    ]
)


class _Normaliser:
    """Turns each checked batch of a delivery into its valid rows with published names, UTC
    start times, and the Paris month and day; counts what the report will say about them."""

    def __init__(self, file_name: str) -> None:
        self.months: dict[str, int] = {}
        self.site_ids: set[str] = set()
        self._counts = {"ambiguous-time": 0, "nonexistent-time": 0, "outside-period": 0}
        self._days: dict[str, set[str]] = {"ambiguous-time": set(), "nonexistent-time": set()}
        self._outside: set[str] = set()
        self._period = period_of(file_name)
        if self._period is None:
            delivered = delivery_date(file_name)
            self._period = f"{delivered:%Y-%m}" if delivered else None

    def add(self, checked: engine.Checked) -> pa.Table:
        keep = pa.array(checked.valid_rows)
        cols = {name: col.values.filter(keep) for name, col in checked.columns.items()}
        rows = checked.rows[checked.valid_rows]
        local = np.asarray(cols["start_time"].to_numpy(zero_copy_only=False), dtype="datetime64[s]")
        utc, ambiguous, nonexistent = paris_to_utc(local)
        for kind, mask in (("ambiguous-time", ambiguous), ("nonexistent-time", nonexistent)):
            if mask.any():
                self._counts[kind] += int(mask.sum())
                self._days[kind] |= {str(d) for d in local[mask].astype("datetime64[D]")}
        month = np.datetime_as_string(local.astype("datetime64[M]"))
        if self._period is not None:
            outside = month != self._period
            if outside.any():
                self._counts["outside-period"] += int(outside.sum())
                self._outside |= set(month[outside].tolist())
        for found in pc.value_counts(pa.array(month, pa.string())).to_pylist():
            self.months[found["values"]] = self.months.get(found["values"], 0) + found["counts"]
        self.site_ids |= set(pc.unique(cols["site_code"]).to_pylist())

        def text_or_null(array: pa.Array) -> pa.Array:
            return pc.if_else(pc.equal(array, ""), pa.scalar(None, pa.string()), array)

        return pa.table(
            {
                "session_id": cols["session_id"],
                "site_id": cols["site_code"],
                "start_time": pa.array(utc, pa.timestamp("s", tz="UTC")),
                "duration_s": cols["duration_s"],
                "bytes_in": cols["bytes_in"],
                "bytes_out": cols["bytes_out"],
                "device_type": cols["device_type"],
                "os": text_or_null(cols["os"]),
                "language": text_or_null(cols["language"]),
                "month": pa.array(month, pa.string()),
                "date": pa.array(local.astype("datetime64[D]"), pa.date32()),
                "row": pa.array(rows, pa.int64()),
            },
            schema=NORMALISED,
        )

    def warnings(self) -> list[Problem]:
        """The report's warnings about the times and months of the rows kept."""
        out = []
        for kind in ("ambiguous-time", "nonexistent-time"):
            if self._counts[kind]:
                params = {"count": self._counts[kind], "day": ", ".join(sorted(self._days[kind]))}
                out.append(Problem(kind, severity="warning", params=params))
        if self._counts["outside-period"]:
            params = {
                "count": self._counts["outside-period"],
                "months": ", ".join(sorted(self._outside)),
            }
            out.append(Problem("outside-period", severity="warning", params=params))
        return out


# -- stage 2: one month ------------------------------------------------------------------------


def described(table: pa.Table) -> pa.Table:
    """``table`` with each published field's description in its Arrow field metadata, as in
    every other published Parquet file (pandas, pyarrow and DuckDB show them)."""
    schema = registry.dataset(DATASET).resource_schema(RESOURCE)
    about = {f["name"]: f.get("description", "") for f in schema["fields"]}
    fields = [
        f.with_metadata({"description": about[f.name]}) if f.name in about else f
        for f in table.schema
    ]
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def published_fields() -> list[str]:
    """The fields of the published sessions, in order, as their schema lists them."""
    schema = registry.dataset(DATASET).resource_schema(RESOURCE)
    return [f["name"] for f in schema["fields"]]


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


BUCKET_ROWS = 1 << 18  # sessions sorted and written at a time (about 30 MiB of rows)


def build_month(month: str, contributions: list[tuple[str, str]], work_dir: Path) -> MonthResult:
    """Write one month's files (or reuse them when its inputs did not change).

    In three streaming passes over the deliveries' rows of the month, so that memory does not
    grow with the month beyond a few bytes a session: (1) the session ids' 64-bit hashes and
    start times; (2) the rows whose hash is shared, read again and compared exactly to count
    each session once; (3) the month in consecutive time ranges of :data:`BUCKET_ROWS`
    sessions, each sorted and appended to the CSV, the Parquet file and the daily usage."""
    key = _digest(month, _contract_digest(), *(Path(p).stem for _, p in contributions))
    folder = work_dir / SOURCE / "months" / f"{month}-{key}"
    meta_path = folder / "month.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_bytes())
        meta["conflicts"] = [Conflict(**c) for c in meta["conflicts"]]
        return MonthResult(**meta, reused=True)
    paths = [path for _, path in contributions]
    names = [name for name, _ in contributions]
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
    del starts
    bounds = _buckets(start[kept])
    del start, kept
    # Pass 3: the month in time order, a time range at a time.
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"sessions-{month}.csv", folder / f"sessions-{month}.parquet"
    usages, ids, sites, rows = [], [], set(), 0

    def buckets() -> Iterable[pa.Table]:
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
            table = table.filter(pa.array(~np.isin(table.column("origin").to_numpy(), dropped)))
            order = pc.sort_indices(
                table, [("start_time", "ascending"), ("session_id", "ascending")]
            )
            yield table.take(order)

    def write_csv_file(csv_sink: Any) -> None:
        nonlocal rows
        csv_sink.write((",".join(published_fields()) + "\n").encode())

        def write_parquet_file(parquet_sink: Any) -> None:
            nonlocal rows
            writer = None
            for table in buckets():
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

        hashed_parquet.append(_write_hashed(parquet_path, write_parquet_file))

    hashed_parquet: list[tuple[str, int]] = []
    # Streamed to disk with their hash: a month's files never sit in memory whole.
    csv_hash, csv_size = _write_hashed(csv_path, write_csv_file)
    parquet_hash, parquet_size = hashed_parquet[0]
    usage_path = folder / "usage-daily.parquet"
    _write_parquet(usage_path, _usage_total(usages))
    ids_path = folder / "ids.npy"
    sorted_ids = np.sort(np.concatenate(ids)) if ids else np.zeros(0, np.uint64)
    _check_unique(sorted_ids, parquet_path)
    buffer = io.BytesIO()
    np.save(buffer, sorted_ids)
    write_file(ids_path, buffer.getvalue())
    result = MonthResult(
        month=month,
        key=key,
        rows=rows,
        csv=str(csv_path),
        parquet=str(parquet_path),
        usage=str(usage_path),
        ids=str(ids_path),
        site_ids=sorted(sites),
        csv_hash=csv_hash,
        csv_bytes=csv_size,
        parquet_hash=parquet_hash,
        parquet_bytes=parquet_size,
        duplicates=duplicates,
        conflicts=conflicts,
    )
    meta = asdict(result)
    meta.pop("reused")
    write_file(meta_path, json.dumps(meta).encode())
    return result


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
        for batch in pds.dataset(path, format="parquet").to_batches(
            columns=columns, filter=wanted, use_threads=False
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


class _HashingSink(io.RawIOBase):
    """A writable file that hashes and counts what goes through it."""

    def __init__(self, handle: Any) -> None:
        self.handle, self.digest, self.size = handle, hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self.digest.update(view)
        self.handle.write(view)
        self.size += len(view)
        return len(view)


def _write_hashed(path: Path, write: Any) -> tuple[str, int]:
    """Write a file atomically through ``write(sink)`` (:func:`opendata.storage.write_with`);
    its sha256 and size, computed as it is written."""
    sinks: list[_HashingSink] = []

    def through(handle: Any) -> None:
        sinks.append(_HashingSink(handle))
        write(sinks[0])

    write_with(path, through)
    return "sha256:" + sinks[0].digest.hexdigest(), sinks[0].size


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


# -- the dataset's large part (opendata.datasets) ----------------------------------------------

STAGES = {
    "process-delivery": Stage(process_delivery, "process-{path.name}"),
    "build-month": Stage(build_month, "build-month-{month}"),
}


def collect(collected: Any, dataset: Any, raw_dir: Path, work_dir: Path, run: Any) -> None:
    """Process each delivery, then each month, through ``run(stage, calls)``; cross-check the
    months. Reports, paths and months are added to ``collected`` (publishing.Collected)."""
    source = registry.source(SOURCE)
    deliveries, replaced = current_deliveries(list_deliveries(raw_dir, source))
    for old in replaced:  # a re-delivered month replaces the earlier file of that month
        collected.paths[f"{SOURCE}/{old.name}"] = old.path
    calls = [(d.path, raw_dir, work_dir) for d in deliveries]
    results: list[DeliveryResult] = run("process-delivery", calls) if calls else []
    by_name = {r.name: r.report for r in results}
    for delivery, result in zip(deliveries, results, strict=True):
        collected.reports.append(result.report)
        collected.paths[f"{SOURCE}/{delivery.name}"] = delivery.path
        if delivery.date and (collected.newest is None or delivery.date > collected.newest):
            collected.newest = delivery.date
    collected.processed["process-delivery"] = sum(not r.reused for r in results)
    if not all(r.report.valid for r in results):
        return
    plan = month_plan(results)
    months: list[MonthResult] = (
        run("build-month", [(m, c, work_dir) for m, c in plan.items()]) if plan else []
    )
    collected.processed["build-month"] = sum(not m.reused for m in months)
    conflicts = [c for m in months for c in m.conflicts]
    if not conflicts:
        conflicts = cross_check(months, work_dir)
    for conflict in conflicts:
        report = by_name.get(conflict.other) or by_name.get(f"{conflict.other}.csv.gz")
        if report is None:
            report = collected.reports[-1]
        report.problems.append(
            Problem(
                "conflicting-record",
                row=conflict.row or None,
                label="session_id",
                cell=conflict.session_id,
                params={"other": conflict.first},
            )
        )
    collected.parts = months


def tables(months: list[MonthResult]) -> dict[str, pd.DataFrame]:
    """The daily usage of every month."""
    return {"usage-daily": usage_frame(months)}


def files(months: list[MonthResult]) -> dict[str, list[dict[str, Any]]]:
    """The sessions, a CSV and a Parquet file per month."""
    return {
        RESOURCE: [
            {
                "key": m.month,
                "rows": m.rows,
                "csv": (Path(m.csv), m.csv_hash, m.csv_bytes),
                "parquet": (Path(m.parquet), m.parquet_hash, m.parquet_bytes),
            }
            for m in months
        ]
    }


def check(frames: dict[str, pd.DataFrame], months: list[MonthResult]) -> list[Problem]:
    """Every site a month names is in the sites table (the months' foreign key)."""
    known = set(frames["sites"]["site_id"])
    return [
        Problem(
            "foreign-key",
            label=f"{RESOURCE}.site_id",
            cell=site,
            params={"reference": "sites", "month": m.month},
        )
        for m in months
        for site in m.site_ids
        if site not in known
    ]
