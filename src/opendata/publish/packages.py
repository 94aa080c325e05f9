"""Build a dataset's Data Package: descriptor, CSV and Parquet files, and the output check.

The output check re-reads what is about to be published, cell by cell, with the published Table
Schemas (the same engine that checks deliveries): the flow refuses to publish a package that
would not validate.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from opendata.contracts.registry import Dataset
from opendata.formats import (
    GEOJSON_MEDIATYPE,
    XLSX_MEDIATYPE,
    column_text,
    conform,
    csv_bytes,
    geojson_bytes,
    parquet_bytes,
    xlsx_bytes,
)
from opendata.publish.words import said
from opendata.report.problems import Problem
from opendata.validate import engine
from opendata.validate.readers import arrowcsv

PARQUET_SUFFIX = "-parquet"
XLSX_SUFFIX = "-xlsx"
GEOJSON_SUFFIX = "-geojson"


@dataclass
class Package:
    """The files of one publication of a dataset (relative path → bytes, or the path of a file
    already written, for the large ones)."""

    files: dict[str, bytes | Path]
    descriptor: dict[str, Any]


def _sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _twin_schema(schema: dict[str, Any], suffix: str = PARQUET_SUFFIX) -> dict[str, Any]:
    """The schema of a twin resource (Parquet, Excel): its foreign keys point to the twins."""
    twin = copy.deepcopy(schema)
    for fk in twin.get("foreignKeys", []):
        fk["reference"]["resource"] += suffix
    return twin


def check_output(dataset: Dataset, frames: dict[str, pd.DataFrame]) -> list[Problem]:
    """Every way the conformed frames break their published schemas (none for a sound build):
    the CSV text each frame is published as, through the Table Schema engine every delivery
    goes through, with Frictionless's semantics (what a consumer's ``frictionless validate``
    would report), foreign keys against the other resources of the package."""
    texts = {
        name: {
            f["name"]: column_text(frames[name][f["name"]], f.get("type", "string")).tolist()
            for f in dataset.resource_schema(name)["fields"]
        }
        for name in dataset.resource_names
    }
    problems: list[Problem] = []
    for name in dataset.resource_names:
        schema = dataset.resource_schema(name)
        names = [f["name"] for f in schema["fields"]]
        n = len(frames[name])
        strings = arrowcsv.StringTable(
            names,
            [pa.chunked_array([pa.array(texts[name][f], pa.string())]) for f in names],
            np.arange(2, n + 2),  # as in the CSV: header is row 1
            [],
            n,
        )
        references = {
            fk["reference"]["resource"]: pa.table(
                {
                    f: pa.array(texts[fk["reference"]["resource"]][f], pa.string())
                    for f in fk["reference"]["fields"]
                }
            )
            for fk in schema.get("foreignKeys", [])
        }
        positions = {f: i for i, f in enumerate(names)}
        checked = engine.validate_strings(strings, schema, positions, references)
        labels = {f: f"{name}.{f}" for f in names}
        for problem in checked.findings.problems(labels, positions, None):
            if problem.label is None:  # a key: name its columns
                key = problem.params.get("fields", [])
                label = ", ".join(labels.get(k, k) for k in key)
                problem = Problem(problem.type, problem.row, label, problem.cell, problem.params)
            problems.append(problem)
    return problems


def conform_all(dataset: Dataset, frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Each resource's frame reduced to its published fields and types."""
    return {n: conform(frames[n], dataset.resource_schema(n)) for n in dataset.resource_names}


def partitioned_resources(
    name: str, meta: dict[str, Any], schema: dict[str, Any], parts: list[dict[str, Any]]
) -> tuple[dict[str, bytes | Path], list[dict[str, Any]]]:
    """Files and descriptor entries of a resource published one file per period: one CSV and
    one Parquet resource, each listing its files in ``path`` (Data Package multipart), with the
    hash, size and rows of each file under ``x-parts`` (the resource-level ``hash`` would be
    that of the files joined, which nobody downloads)."""
    about = {k: v for k, v in meta.items() if k not in ("name", "schema", "partitionedBy")}
    files: dict[str, bytes | Path] = {}
    resources = []
    for fmt, suffix, mediatype in (
        ("csv", "", "text/csv"),
        ("parquet", PARQUET_SUFFIX, "application/vnd.apache.parquet"),
    ):
        paths, described = [], []
        for part in parts:
            path, digest, size = part[fmt]
            # One folder per resource and format (a folder of Parquet files reads as one table).
            rel = f"{name}{suffix}/{name}-{part['key']}.{fmt}"
            files[rel] = path
            paths.append(rel)
            described.append({"path": rel, "hash": digest, "bytes": size, "rows": part["rows"]})
        resource: dict[str, Any] = {
            "name": name + suffix,
            "type": "table",
            "path": paths,
            "format": fmt,
            "mediatype": mediatype,
        }
        if fmt == "csv":
            resource["encoding"] = "utf-8"
        resource.update(about)
        if fmt == "parquet":
            resource["title"] = f"{meta.get('title', name)} (Parquet)"
        resource["x-parts"] = described
        resource["schema"] = schema if fmt == "csv" else _twin_schema(schema)
        resources.append(resource)
    return files, resources


def temporal_coverage(
    frames: dict[str, pd.DataFrame], spec: list[dict[str, str]], dataset: Dataset
) -> dict[str, str] | None:
    """The first and last day the data covers (``x-temporal``: the fields that date its rows;
    a month covers its days, a year its months), for the catalogue's ``dct:temporal``."""
    starts, ends = [], []
    for entry in spec:
        column = frames[entry["resource"]][entry["field"]].dropna()
        if column.empty:
            continue
        fields = dataset.resource_schema(entry["resource"])["fields"]
        kind = next(f.get("type", "string") for f in fields if f["name"] == entry["field"])
        if kind in ("integer", "year"):
            low, high = int(column.min()), int(column.max())
            starts.append(dt.date(low, 1, 1))
            ends.append(dt.date(high, 12, 31))
        elif kind == "yearmonth":
            months = pd.PeriodIndex(column.astype(str), freq="M")
            starts.append(months.min().start_time.date())
            ends.append(months.max().end_time.date())
        else:
            days = pd.to_datetime(column)
            starts.append(days.min().date())
            ends.append(days.max().date())
    if not starts:
        return None
    return {"start": min(starts).isoformat(), "end": max(ends).isoformat()}


def build_package(
    dataset: Dataset,
    frames: dict[str, pd.DataFrame],
    created: dt.date | None,
    metadata: dict[str, Any] | None = None,
    parts: dict[str, list[dict[str, Any]]] | None = None,
) -> Package:
    """The descriptor and files of a publication. Only inputs decide the bytes: ``created``
    is the date of the newest delivery used, never the clock. ``parts`` lists the files of
    each partitioned resource (see :func:`partitioned_resources`)."""
    files: dict[str, bytes | Path] = {}
    descriptor = {
        k: v for k, v in dataset.descriptor.items() if k not in ("resources", "x-temporal")
    }
    descriptor.update(metadata or {})
    coverage = temporal_coverage(frames, dataset.descriptor.get("x-temporal", []), dataset)
    if coverage:
        descriptor["x-temporal-coverage"] = coverage
    if created:
        descriptor["created"] = f"{created.isoformat()}T00:00:00Z"
    resources = []
    for meta in dataset.descriptor["resources"]:
        name = meta["name"]
        schema = dataset.resource_schema(name)
        if meta.get("partitionedBy"):
            if not (parts or {}).get(name):
                continue  # no period delivered yet: no resource rather than an empty list
            found = partitioned_resources(name, meta, schema, (parts or {}).get(name, []))
        else:
            found = _table_resources(meta, schema, frames[name])
        files.update(found[0])
        resources.extend(found[1])
    descriptor["resources"] = resources
    text = json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n"
    files["datapackage.json"] = text.encode("utf-8")
    return Package(files, descriptor)


def _table_resources(
    meta: dict[str, Any], schema: dict[str, Any], frame: pd.DataFrame
) -> tuple[dict[str, bytes | Path], list[dict[str, Any]]]:
    """A table published as one file per format: CSV (the resource), its Parquet and Excel
    twins, and a GeoJSON map layer for a table of places (``x-map``)."""
    name = meta["name"]
    about = {k: v for k, v in meta.items() if k not in ("name", "schema", "partitionedBy", "x-map")}
    title = str(meta.get("title", name))
    csv_data = csv_bytes(frame, schema)
    parquet_data = parquet_bytes(frame, schema)
    xlsx_data = xlsx_bytes(frame, schema, title)
    files: dict[str, bytes | Path] = {
        f"{name}.csv": csv_data,
        f"{name}.parquet": parquet_data,
        f"{name}.xlsx": xlsx_data,
    }
    resources: list[dict[str, Any]] = [
        {
            "name": name,
            "type": "table",
            "path": f"{name}.csv",
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            **about,
            "hash": _sha256(csv_data),
            "bytes": len(csv_data),
            "schema": schema,
        },
        {
            "name": name + PARQUET_SUFFIX,
            "type": "table",
            "path": f"{name}.parquet",
            "format": "parquet",
            "mediatype": "application/vnd.apache.parquet",
            **about,
            "title": f"{meta.get('title', name)} (Parquet)",
            # frictionless-py 5.21 cannot measure the bytes of a Parquet resource (it compares
            # the declared size with None), so the size goes under an extension property.
            "hash": _sha256(parquet_data),
            "x-bytes": len(parquet_data),
            "schema": _twin_schema(schema),
        },
        {
            "name": name + XLSX_SUFFIX,
            "type": "table",
            "path": f"{name}.xlsx",
            "format": "xlsx",
            "mediatype": XLSX_MEDIATYPE,
            **about,
            "title": f"{title} (Excel)",
            "hash": _sha256(xlsx_data),
            "x-bytes": len(xlsx_data),
            "schema": _twin_schema(schema, XLSX_SUFFIX),
        },
    ]
    if meta.get("x-map"):  # a table of places: also a map layer
        geo_data = geojson_bytes(frame, schema, meta["x-map"])
        files[f"{name}.geojson"] = geo_data
        resources.append(
            {
                "name": name + GEOJSON_SUFFIX,
                "type": "file",
                "path": f"{name}.geojson",
                "format": "geojson",
                "mediatype": GEOJSON_MEDIATYPE,
                **about,
                "title": said("geojson_title", title=title),
                "description": said(
                    "geojson_description", description=about.get("description", "")
                ).strip(),
                "hash": _sha256(geo_data),
                "x-bytes": len(geo_data),
            }
        )
    return files, resources
