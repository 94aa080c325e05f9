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

from collections.abc import Generator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from opendata.contracts import registry
from opendata.contracts.deliveries import list_deliveries
from opendata.datasets import Stage
from opendata.datasets.staged import digest
from opendata.datasets.wifi_hotspots.months import (
    MonthResult,
    build_month,
    cross_check,
    month_plan,
    usage_frame,
)
from opendata.datasets.wifi_hotspots.sessions import (
    NORMALISED,
    RESOURCE,
    SOURCE,
    DeliveryResult,
    Normaliser,
    contract_digest,
    period_of,
)
from opendata.report.problems import Problem, Report
from opendata.storage import sha256_of, write_file, write_with
from opendata.validate import engine, remembered
from opendata.validate.batched import convert_large, reference_keys, validate_large


def current_deliveries(deliveries: list[Any]) -> tuple[list[Any], list[Any]]:
    """The deliveries that count (the newest file of each month: a re-delivery replaces its
    month), and those replaced. ``deliveries`` are in delivery order, oldest first."""
    newest: dict[str, Any] = {}
    for delivery in deliveries:
        newest[period_of(delivery.name) or delivery.name] = delivery
    kept = [d for d in deliveries if newest[period_of(d.name) or d.name] is d]
    return kept, [d for d in deliveries if d not in kept]


# -- stage 1: one delivery -------------------------------------------------------------------


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
    sha256 = sha256_of(path)
    key = digest(sha256, contract_digest())
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
    normaliser = Normaliser(path.name)
    validated: list[Report] = []
    # The portal's check or the intake may have validated these very bytes already (the same
    # contract and sites): the month is then read only to be counted, not checked again.
    memory = remembered.store_of(raw_dir, work_dir)
    name = remembered.key(sha256, source, raw_dir)
    before = remembered.load(memory, SOURCE, name)

    def write(handle: Any) -> None:
        with pq.ParquetWriter(handle, NORMALISED, compression="zstd") as writer:

            def on_rows(checked: engine.Checked) -> None:
                writer.write_table(normaliser.add(checked))

            if before is not None and before.report.valid:
                validated.append(convert_large(path, source, before.report, on_rows).report)
            else:
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
    if before is not None:  # the delivery's own record above stands for it from now on
        remembered.forget(memory, SOURCE, name)
    return result


# -- the dataset's large part (opendata.datasets) ----------------------------------------------

# What stages() yields, and is sent back: a stage's name and calls, then their results.
Stages = Generator[tuple[str, list[tuple[Any, ...]]], list[Any], None]
STAGES = {
    "process-delivery": Stage(process_delivery, "process-{path.name}"),
    "build-month": Stage(build_month, "build-month-{month}"),
}


def stages(collected: Any, dataset: Any, raw_dir: Path, work_dir: Path) -> Stages:
    """The stages to run, one after the other: yields ``(stage, calls)`` (each delivery to
    process, then each month to build) and is sent back their results, in order; then
    cross-checks the months. Reports, paths and months are added to ``collected``
    (publish.steps.Collected). Whoever drives it (the flow's tasks, a thread, a Dask cluster)
    runs the calls: this module never calls back into it."""
    source = registry.source(SOURCE)
    deliveries, replaced = current_deliveries(list_deliveries(raw_dir, source))
    for old in replaced:  # a re-delivered month replaces the earlier file of that month
        collected.paths[f"{SOURCE}/{old.name}"] = old.path
    calls = [(d.path, raw_dir, work_dir) for d in deliveries]
    results: list[DeliveryResult] = (yield "process-delivery", calls) if calls else []
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
        (yield "build-month", [(m, c, work_dir) for m, c in plan.items()]) if plan else []
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
