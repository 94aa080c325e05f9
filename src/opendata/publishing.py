"""The steps of publishing one dataset, in plain Python: collect, validate, transform, package.

The Prefect flows call these; tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from opendata import catalog, registry, releases, site
from opendata.deliveries import list_deliveries
from opendata.disclosure import Rule, protect
from opendata.disclosure_audit import audit
from opendata.packaging import Package, build_package, check_output, conform_all
from opendata.registry import Dataset
from opendata.report import Problem, Report
from opendata.storage import replace_folder
from opendata.transforms import Delivered, Inputs, transform_for
from opendata.validation import validate_file


class OutputInvalid(Exception):
    """The built package breaks its own published schemas (a bug): nothing is published."""

    def __init__(self, dataset: str, problems: list[Problem]) -> None:
        first = "; ".join(f"{p.label} row {p.row}: {p.type} {p.cell!r}" for p in problems[:5])
        super().__init__(f"{dataset}: the built package is not valid ({first})")
        self.problems = problems


@dataclass
class Collected:
    """Validated inputs of a dataset, with every report and the newest delivery date."""

    inputs: Inputs
    reports: list[Report] = field(default_factory=list)
    newest: dt.date | None = None
    paths: dict[str, Path] = field(default_factory=dict)  # "source/file" -> path

    @property
    def valid(self) -> bool:
        """True when every delivery passed: only then may the dataset be built."""
        return all(r.valid for r in self.reports)

    def refusal(self) -> str:
        """One line naming each invalid delivery and the command that shows its report."""
        parts = []
        for report in self.reports:
            if report.valid:
                continue
            path = self.paths.get(f"{report.source}/{report.file}", Path(report.file))
            parts.append(
                f"{report.source}/{report.file} ({len(report.errors)} error(s); see "
                f"opendata validate {path} --source {report.source})"
            )
        return "invalid deliveries: " + ", ".join(parts)


def collect(dataset: Dataset, raw_dir: Path) -> Collected:
    """Validate every delivery of every source of ``dataset`` (check ``valid`` before building).

    Snapshot sources need at least one delivery, each with a date in its name (the date a site
    disappeared is the date of the first snapshot without it); periodic sources may have none.
    """
    collected = Collected({})
    for name in dataset.sources:
        source = registry.source(name)
        deliveries = list_deliveries(raw_dir, source)
        if source.delivery == "snapshot" and not deliveries:
            report = Report(source=name, file=str(raw_dir / name))
            report.problems.append(Problem("no-delivery", params={"folder": str(raw_dir / name)}))
            collected.reports.append(report)
            continue
        delivered: list[Delivered] = []
        for delivery in deliveries:
            result = validate_file(delivery.path, source, raw_dir)
            if source.delivery == "snapshot" and delivery.date is None:
                result.report.problems.append(
                    Problem("undated-snapshot", params={"file": delivery.name})
                )
            collected.reports.append(result.report)
            collected.paths[f"{name}/{delivery.name}"] = delivery.path
            delivered.append(Delivered(delivery.name, delivery.date, result.text, result.values))
            if delivery.date and (collected.newest is None or delivery.date > collected.newest):
                collected.newest = delivery.date
        collected.inputs[name] = delivered
    return collected


class DisclosureBreach(Exception):
    """The tables about to be published break their disclosure rule: nothing is published."""

    def __init__(self, dataset: str, breaches: list[str]) -> None:
        super().__init__(f"{dataset}: disclosure rule broken: {'; '.join(breaches[:5])}")
        self.breaches = breaches


def build(dataset: Dataset, collected: Collected) -> Package:
    """Transform, protect, conform, check and package.

    Raises OutputInvalid when the build breaks its published schemas, DisclosureBreach when
    the independent audit finds a figure that singles people out.
    """
    if not collected.valid:
        raise ValueError(f"{dataset.name}: {collected.refusal()}")
    frames: dict[str, pd.DataFrame] = transform_for(dataset.name)(collected.inputs)
    rule = Rule.from_descriptor(dataset.descriptor)
    metadata: dict[str, object] = {}
    if rule is not None:
        cells, margins = rule.cells["resource"], rule.margins["resource"]
        frames[cells], frames[margins] = protect(frames[cells], frames[margins], rule)
        metadata["disclosureControl"] = rule.as_metadata(dataset.descriptor["disclosureControl"])
    conformed = conform_all(dataset, frames)
    problems = check_output(dataset, conformed)
    if problems:
        raise OutputInvalid(dataset.name, problems)
    if rule is not None:
        spec = metadata["disclosureControl"]
        assert isinstance(spec, dict)
        breaches = audit(
            conformed[rule.cells["resource"]], conformed[rule.margins["resource"]], spec
        )
        if breaches:
            raise DisclosureBreach(dataset.name, breaches)
    return build_package(dataset, conformed, collected.newest, metadata)


@dataclass
class Outcome:
    """What a publication did: a new release, or nothing because nothing changed."""

    status: str  # "published" or "unchanged"
    version: str
    path: Path
    changes: releases.Changes

    def __str__(self) -> str:
        return f"{self.status} {self.version}"


def current(target: Path) -> tuple[dict[str, Any] | None, dict[str, bytes]]:
    """The latest publication in ``target``: its descriptor and the files it lists."""
    descriptor_path = target / "datapackage.json"
    if not descriptor_path.exists():
        return None, {}
    descriptor: dict[str, Any] = json.loads(descriptor_path.read_text(encoding="utf-8"))
    files = {r["path"]: (target / r["path"]).read_bytes() for r in descriptor["resources"]}
    return descriptor, files


def plan(dataset: Dataset, package: Package, published_dir: Path) -> Outcome:
    """The release a publication would make, without writing anything."""
    target = published_dir / dataset.name
    old_descriptor, old_files = current(target)
    changes = releases.compare(old_descriptor, old_files, package.descriptor, package.files)
    if old_descriptor is not None and changes.level == "none":
        return Outcome("unchanged", str(old_descriptor.get("version")), target, changes)
    previous = old_descriptor.get("version") if old_descriptor else None
    version = releases.next_version(previous, changes.level, dataset.descriptor["version"])
    return Outcome("published", version, target, changes)


def release_files(outcome: Outcome, package: Package) -> dict[str, bytes]:
    """Every file of the dataset folder after the release: the latest package at the top, the
    release under ``releases/<version>/``, earlier releases untouched, the changelog."""
    target, version = outcome.path, outcome.version
    descriptor = {**package.descriptor, "version": version}
    latest = {**package.files, "datapackage.json": releases.dumps(descriptor)}
    latest["changes.json"] = releases.dumps(outcome.changes.as_dict(version))
    files = dict(latest)
    for name, data in latest.items():
        files[f"releases/{version}/{name}"] = data
    older = target / "releases"
    if older.is_dir():
        for path in sorted(older.rglob("*")):
            if path.is_file():
                files[str(path.relative_to(target))] = path.read_bytes()
    changelog = target / "CHANGELOG.md"
    history = changelog.read_text(encoding="utf-8") if changelog.exists() else ""
    history = history.removeprefix(CHANGELOG_TITLE.format(name=package.descriptor["name"]))
    entry = releases.changelog_entry(version, descriptor.get("created"), outcome.changes)
    title = CHANGELOG_TITLE.format(name=package.descriptor["name"])
    files["CHANGELOG.md"] = (
        title + entry + ("\n" + history.lstrip("\n") if history else "")
    ).encode()
    return files


CHANGELOG_TITLE = "# Journal des versions — {name}\n\n"


def write(dataset: Dataset, package: Package, published_dir: Path) -> Outcome:
    """Publish a new release of the package if anything changed, atomically."""
    outcome = plan(dataset, package, published_dir)
    if outcome.status == "published":
        replace_folder(outcome.path, release_files(outcome, package))
        catalog.write(published_dir)
        site.write(published_dir)
    return outcome


def publish(name: str, raw_dir: Path, published_dir: Path) -> Path | None:
    """Collect, build and write one dataset without Prefect; None when a delivery is invalid."""
    dataset = registry.dataset(name)
    collected = collect(dataset, raw_dir)
    if not collected.valid:
        return None
    return write(dataset, build(dataset, collected), published_dir).path
