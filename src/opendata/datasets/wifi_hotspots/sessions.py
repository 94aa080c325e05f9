"""The Wi-Fi sessions as published: the source's constants, local Paris times turned into UTC,
the operator's rows normalised to the published fields and described with their types."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from opendata.contracts import registry
from opendata.contracts.deliveries import delivery_date
from opendata.datasets.staged import digest
from opendata.report.problems import Problem, Report
from opendata.validate import engine

SOURCE = "wifi-sessions"
DATASET = "wifi-hotspots"
RESOURCE = "sessions"
TIMEZONE = "Europe/Paris"
# Bump when what a stage writes changes: every cached delivery and month is then rebuilt.
STAGE_VERSION = "5"  # 5: the one CSV writer (a cell quoted only when it must be)
DEVICES = ("smartphone", "tablet", "laptop", "other")


def contract_digest() -> str:
    source = registry.source(SOURCE)
    dataset = registry.dataset(DATASET)
    return digest(
        STAGE_VERSION,
        json.dumps(source.schema, sort_keys=True),
        json.dumps(dataset.resource_schema(RESOURCE), sort_keys=True),
        json.dumps(dataset.resource_schema("usage-daily"), sort_keys=True),
    )


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


class Normaliser:
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


_PERIOD = re.compile(r"sessions-(\d{4}-\d{2})")


def period_of(name: str) -> str | None:
    """The month a file covers, from its name (``sessions-AAAA-MM``), whatever the intake put
    before it (``2008-04-02_<hash>_sessions-2008-03.csv.gz``)."""
    found = _PERIOD.search(name)
    return found.group(1) if found else None


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
