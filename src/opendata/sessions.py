"""The Wi-Fi sessions at scale: months processed one at a time, on disk, each only once.

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
import os
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

from opendata import fastcheck, registry
from opendata.arrowvalidation import reference_keys, validate_large
from opendata.deliveries import delivery_date
from opendata.formats import FORMULA_START, NOT_A_FORMULA
from opendata.report import Problem, Report
from opendata.storage import sha256_of, write_file, write_with

SOURCE = "wifi-sessions"
DATASET = "wifi-hotspots"
RESOURCE = "sessions"
TIMEZONE = "Europe/Paris"
# Bump when what a stage writes changes: every cached delivery and month is then rebuilt.
STAGE_VERSION = "2"
DEVICES = ("smartphone", "tablet", "laptop", "other")


def default_work_dir(raw_dir: Path) -> Path:
    """Where intermediate files live: ``$OPENDATA_WORK_DIR``, or ``.opendata-work`` beside the
    raw folder (never inside the published one, which is served as it is). On several machines
    it must be a folder they all see (see the README)."""
    configured = os.environ.get("OPENDATA_WORK_DIR")
    if configured:
        return Path(configured)
    return raw_dir.resolve().parent / ".opendata-work"


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


def process_delivery(path: Path, raw_dir: Path, work_dir: Path) -> DeliveryResult:
    """Validate one operator file and keep its valid rows, or reuse what an earlier run kept."""
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
    checked = validate_large(path, source, raw_dir, references)
    report = checked.report
    result = DeliveryResult(path.name, key, report)
    if not report.valid or checked.checked is None:
        return result  # nothing kept: the file is validated again next time
    table = _normalise(checked.checked, report, path.name)
    months = pc.value_counts(table.column("month")).to_pylist()
    result.months = {m["values"]: m["counts"] for m in sorted(months, key=lambda m: m["values"])}
    result.site_ids = sorted(pc.unique(table.column("site_id")).to_pylist())
    rows_path = folder / f"{key}.parquet"
    _write_parquet(rows_path, table)
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


def _normalise(checked: fastcheck.Checked, report: Report, file_name: str) -> pa.Table:
    """The valid rows with published names, UTC start times, and the Paris month and day."""
    keep = pa.array(checked.valid_rows)
    cols = {name: col.values.filter(keep) for name, col in checked.columns.items()}
    rows = checked.rows[checked.valid_rows]
    local = np.asarray(cols["start_time"].to_numpy(zero_copy_only=False), dtype="datetime64[s]")
    utc, ambiguous, nonexistent = paris_to_utc(local)
    for kind, mask in (("ambiguous-time", ambiguous), ("nonexistent-time", nonexistent)):
        if mask.any():
            days = sorted({str(d) for d in local[mask].astype("datetime64[D]")})
            report.problems.append(
                Problem(
                    kind,
                    severity="warning",
                    params={"count": int(mask.sum()), "day": ", ".join(days)},
                )
            )
    month = np.datetime_as_string(local.astype("datetime64[M]"))
    period = period_of(file_name)
    if period is None:
        delivered = delivery_date(file_name)
        period = f"{delivered:%Y-%m}" if delivered else None
    if period is not None:
        outside = month != period
        if outside.any():
            report.problems.append(
                Problem(
                    "outside-period",
                    severity="warning",
                    params={
                        "count": int(outside.sum()),
                        "months": ", ".join(sorted(set(month[outside].tolist()))),
                    },
                )
            )

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
        }
    )


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


def build_month(month: str, contributions: list[tuple[str, str]], work_dir: Path) -> MonthResult:
    """Write one month's files (or reuse them when its inputs did not change)."""
    key = _digest(month, _contract_digest(), *(Path(p).stem for _, p in contributions))
    folder = work_dir / SOURCE / "months" / f"{month}-{key}"
    meta_path = folder / "month.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_bytes())
        meta["conflicts"] = [Conflict(**c) for c in meta["conflicts"]]
        return MonthResult(**meta, reused=True)
    parts = []
    for order, (_name, path) in enumerate(contributions):
        part = pq.read_table(path, filters=[("month", "=", month)])
        part = part.append_column("delivery", pa.array(np.full(part.num_rows, order, np.int32)))
        parts.append(part)
    table = pa.concat_tables(parts)
    names = [name for name, _ in contributions]
    table, duplicates, conflicts = _count_once(table, names)
    order = pc.sort_indices(table, [("start_time", "ascending"), ("session_id", "ascending")])
    table = table.take(order)
    published = table.select(published_fields())
    _check_month(published)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path, parquet_path = folder / f"sessions-{month}.csv", folder / f"sessions-{month}.parquet"
    # Streamed to disk with their hash: a month's files never sit in memory whole.
    csv_hash, csv_size = _write_hashed(csv_path, lambda sink: write_csv(published, sink))
    parquet_hash, parquet_size = _write_hashed(
        parquet_path,
        lambda sink: pq.write_table(described(published), sink, compression="zstd"),
    )
    usage_path = folder / "usage-daily.parquet"
    _write_parquet(usage_path, _usage(table))
    ids_path = folder / "ids.npy"
    buffer = io.BytesIO()
    np.save(buffer, np.sort(id_hashes(published.column("session_id"))))
    write_file(ids_path, buffer.getvalue())
    result = MonthResult(
        month=month,
        key=key,
        rows=published.num_rows,
        csv=str(csv_path),
        parquet=str(parquet_path),
        usage=str(usage_path),
        ids=str(ids_path),
        site_ids=sorted(pc.unique(published.column("site_id")).to_pylist()),
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


def _count_once(table: pa.Table, names: list[str]) -> tuple[pa.Table, int, list[Conflict]]:
    """Keep the first row of each session (deliveries in order, then rows); a later row with
    the same session id and other values is a conflict."""
    dup, first_rows = fastcheck.duplicated(
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
    found = fastcheck.check_typed(table, schema)
    if len(found):
        first = found.triples()[:5]
        raise ValueError(f"{DATASET}/{RESOURCE}: the built month breaks its schema: {first}")


def id_hashes(ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each session id (equal ids, equal hashes)."""
    if isinstance(ids, pa.ChunkedArray):
        ids = ids.combine_chunks()
    words = fastcheck._fixed_width_words(ids)
    if words is not None:
        mixed = np.zeros(len(ids), dtype=np.uint64)
        for column in range(words.shape[1]):
            mixed = (mixed * np.uint64(0x9E3779B97F4A7C15)) ^ words[:, column]
        return mixed
    return pd.util.hash_array(np.asarray(ids.to_pylist(), dtype=object))


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


def write_csv(table: pa.Table, out: Any) -> None:
    """The published CSV of a month: UTF-8, comma, LF, ISO 8601 UTC times with Z; cells are
    quoted only when some text needs it (then every text cell is)."""
    columns = []
    quoting = "none"
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_timestamp(column.type):
            text = pc.cast(pc.cast(column, pa.timestamp("s")), pa.string())
            column = pc.binary_join_element_wise(pc.replace_substring(text, " ", "T"), "Z", "")
        elif pa.types.is_string(column.type):
            # Free text of the operator (os, language): defused as in formats.defuse.
            risky = pc.and_(
                pc.match_substring_regex(column, FORMULA_START),
                pc.invert(pc.match_substring_regex(column, NOT_A_FORMULA)),
            )
            if pc.any(risky).as_py():
                column = pc.if_else(risky, pc.binary_join_element_wise("'", column, ""), column)
            if pc.any(pc.match_substring_regex(column, '[",\r\n]')).as_py():
                quoting = "needed"
        columns.append(column)
    out.write((",".join(table.column_names) + "\n").encode())
    pcsv.write_csv(
        pa.table(dict(zip(table.column_names, columns, strict=True))),
        out,
        pcsv.WriteOptions(include_header=False, quoting_style=quoting),
    )


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
    in_a = ids_a.filter(pa.array(np.isin(id_hashes(ids_a), common)))
    in_b = set(ids_b.filter(pa.array(np.isin(id_hashes(ids_b), common))).to_pylist())
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
