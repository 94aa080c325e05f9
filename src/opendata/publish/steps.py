"""The steps of publishing one dataset, in plain Python: collect, validate, transform, package.

The Prefect flows call these; tests call them directly.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from opendata import datasets, notify
from opendata.contracts import registry
from opendata.contracts.deliveries import Delivery, list_deliveries
from opendata.contracts.registry import Dataset
from opendata.datasets.protocol import Delivered, Inputs, transform_for
from opendata.publish import dcat, guard, mirror, releases, releasestore, site
from opendata.publish.disclosure import Rule, protect
from opendata.publish.disclosure_audit import audit
from opendata.publish.ledger import record_inputs
from opendata.publish.packages import Package, build_package, check_output, conform_all
from opendata.report.operations import say
from opendata.report.problems import Problem, Report, redacted
from opendata.storage import (
    default_work_dir,
    drop_temporaries,
    folder_lock,
    replace_folder,
    write_if_changed,
)
from opendata.validate import remembered
from opendata.validate.remembered import Memory


def _dated_by_mtime(delivery: Delivery) -> Problem:
    """The warning for a file placed by hand: dated by its modification time."""
    assert delivery.date is not None
    return Problem(
        "dated-by-mtime",
        severity="warning",
        params={"file": delivery.name, "date": delivery.date.isoformat()},
    )


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
    # What a large source's stages built (datasets/<dataset>/large.py: the Wi-Fi months).
    parts: list[Any] = field(default_factory=list)
    processed: dict[str, int] = field(default_factory=dict)  # stage -> units really processed
    mtime_dated: list[dict[str, str]] = field(default_factory=list)  # placed by hand, no date
    validated: int = 0  # department files really validated (the others' validations were kept)

    @property
    def valid(self) -> bool:
        """True when every delivery passed: only then may the dataset be built."""
        return all(r.valid for r in self.reports)

    def absorb(self, large: Collected) -> None:
        """Add what a large source's stages collected (:func:`collect_large`, run apart)."""
        self.reports += large.reports
        self.paths.update(large.paths)
        self.parts = large.parts
        self.processed = large.processed
        if large.newest and (self.newest is None or large.newest > self.newest):
            self.newest = large.newest

    def refusal(self, lang: str = "fr") -> str:
        """Each refused delivery with its first reasons (the messages a steward reads) and
        where to see them all: never only a pointer to another command."""
        from opendata.report.messages import message

        parts = []
        for report in self.reports:
            if report.valid:
                continue
            path = self.paths.get(f"{report.source}/{report.file}", Path(report.file))
            if registry.source(report.source).personal_data:
                report = redacted(report)  # this line goes to logs and run states
            errors = report.errors
            shown = "; ".join(
                (say("refused_row", lang, row=p.row) if p.row else "")
                + (say("refused_column", lang, label=p.label) if p.label else "")
                + message(p, lang)
                for p in errors[:3]
            )
            more = len(errors) + report.omitted - 3
            extra = say("refused_more", lang, count=more) if more > 0 else ""
            parts.append(
                say(
                    "refused_delivery",
                    lang,
                    delivery=f"{report.source}/{report.file}",
                    shown=shown,
                    more=extra,
                    path=path,
                    source=report.source,
                    file=report.file,
                )
            )
        return say("refused_deliveries", lang, parts=" | ".join(parts))


# A stage runner takes a stage name and the argument tuples of its calls, runs them (in order,
# in threads, on a Dask cluster...) and returns their results in the same order.
Runner = Callable[[str, list[tuple[Any, ...]]], list[Any]]


def large_part(dataset: Dataset) -> ModuleType | None:
    """The stages of the dataset's large source (``datasets/<dataset>/large.py``), or None
    when no source of it is on the Arrow engine. Such a source without them is a contract
    error, said when the dataset is first built."""
    large = [n for n in dataset.sources if registry.source(n).engine == "arrow"]
    if not large:
        return None
    part = datasets.module(dataset.name, "large")
    if part is None:
        folder = datasets.package_name(dataset.name)
        raise ValueError(
            f"{dataset.name}: {', '.join(large)} on the Arrow engine need their stages in "
            f"src/opendata/datasets/{folder}/large.py"
        )
    return part


def runner_here(dataset: Dataset) -> Runner:
    """Run a stage's calls one after the other in this process."""
    part = large_part(dataset)
    stages: dict[str, datasets.Stage] = part.STAGES if part is not None else {}
    return lambda stage, calls: [stages[stage].function(*call) for call in calls]


def collect(
    dataset: Dataset,
    raw_dir: Path,
    work_dir: Path | None = None,
    run: Runner | None = None,
    large: bool = True,
    keep: bool = True,
) -> Collected:
    """Validate every delivery of every source of ``dataset`` (check ``valid`` before building).

    Snapshot sources need at least one delivery, each with a date in its name (the date a site
    disappeared is the date of the first snapshot without it); periodic sources may have none.
    A delivery validated before under the same key (its bytes, its contract, the deliveries
    its foreign keys look up: :mod:`opendata.validate.remembered`) is not validated again.
    Large sources (Arrow engine) are processed delivery by delivery and month by month through
    ``run``, with their intermediate files in ``work_dir`` (``large=False`` leaves them to a
    later :func:`collect_large`, as the flow does to run them as tasks of their own).
    ``keep=False`` (a dry run) keeps no new validation.
    """
    collected = Collected({})
    memory = Memory(remembered.store_of(raw_dir, work_dir), keep)
    for name in dataset.sources:
        source = registry.source(name)
        deliveries = list_deliveries(raw_dir, source)
        if source.engine == "arrow":
            if large:
                collect_large(collected, dataset, raw_dir, work_dir, run)
            continue
        if source.delivery == "snapshot" and not deliveries:
            report = Report(source=name, file=str(raw_dir / name))
            report.problems.append(Problem("no-delivery", params={"folder": str(raw_dir / name)}))
            collected.reports.append(report)
            continue
        delivered: list[Delivered] = []
        for delivery in deliveries:
            # The portal's check, the intake or an earlier run may have validated these very
            # bytes already, against the same contract and referenced deliveries.
            result = memory.validate(delivery.path, source, raw_dir)
            if delivery.dated_by == "modification-time":
                warning = _dated_by_mtime(delivery)
                result.report.problems.append(warning)
                collected.mtime_dated.append(
                    {"source": name, "file": delivery.name, "date": warning.params["date"]}
                )
            collected.reports.append(result.report)
            collected.paths[f"{name}/{delivery.name}"] = delivery.path
            delivered.append(Delivered(delivery.name, delivery.date, result.text, result.values))
            if delivery.date and (collected.newest is None or delivery.date > collected.newest):
                collected.newest = delivery.date
        collected.inputs[name] = delivered
        memory.prune(name)
    collected.validated = memory.made
    return collected


def collect_large(
    collected: Collected,
    dataset: Dataset,
    raw_dir: Path,
    work_dir: Path | None = None,
    run: Runner | None = None,
) -> None:
    """Run the stages of the dataset's large source (its ``large.stages``): its reports,
    paths and built parts are added to ``collected``."""
    part = large_part(dataset)
    if part is None:
        return
    work_dir = work_dir if work_dir is not None else default_work_dir(raw_dir)
    drive(part.stages(collected, dataset, raw_dir, work_dir), run or runner_here(dataset))


def drive(
    stages: Generator[tuple[str, list[tuple[Any, ...]]], list[Any], None], run: Runner
) -> None:
    """Run each stage a large part yields with ``run`` and send it back the results, until it
    is done (the flow drives the same generator with its tasks)."""
    answer: list[Any] | None = None
    while True:
        try:
            stage, calls = stages.send(answer)  # type: ignore[arg-type]
        except StopIteration:
            return
        answer = run(stage, calls)


class DisclosureBreach(Exception):
    """The tables about to be published break their disclosure rule: nothing is published."""

    def __init__(self, dataset: str, breaches: list[str]) -> None:
        super().__init__(f"{dataset}: disclosure rule broken: {'; '.join(breaches[:5])}")
        self.breaches = breaches


def tables(dataset: Dataset, collected: Collected) -> dict[str, pd.DataFrame]:
    """The dataset's transform, plus the tables its large source's stages aggregated."""
    frames: dict[str, pd.DataFrame] = transform_for(dataset.name)(collected.inputs)
    part = large_part(dataset)
    if part is not None:
        frames.update(part.tables(collected.parts))
    return frames


def build(dataset: Dataset, collected: Collected) -> Package:
    """Transform, protect, conform, check and package.

    Raises OutputInvalid when the build breaks its published schemas, DisclosureBreach when
    the independent audit finds a figure that singles people out.
    """
    if not collected.valid:
        raise ValueError(f"{dataset.name}: {collected.refusal()}")
    frames = tables(dataset, collected)
    part = large_part(dataset)
    if part is not None:
        broken = part.check(frames, collected.parts)
        if broken:
            raise OutputInvalid(dataset.name, broken)
    rule = Rule.from_descriptor(dataset.descriptor)
    metadata: dict[str, object] = {}
    if collected.mtime_dated:
        # Said to consumers too: these dates are the files' modification times.
        metadata["x-delivery-dates"] = [
            {**entry, "datedBy": "modification-time"} for entry in collected.mtime_dated
        ]
    if rule is not None:
        frames = protect(frames, rule)
        metadata["disclosureControl"] = rule.as_metadata()
    conformed = conform_all(dataset, frames)
    problems = check_output(dataset, conformed)
    if problems:
        raise OutputInvalid(dataset.name, problems)
    if rule is not None:
        spec = metadata["disclosureControl"]
        assert isinstance(spec, dict)
        breaches = audit({name: conformed[name] for name in rule.resources}, spec)
        if breaches:
            raise DisclosureBreach(dataset.name, breaches)
    files = part.files(collected.parts) if part is not None else {}
    return build_package(dataset, conformed, collected.newest, metadata, files)


@dataclass
class Outcome:
    """What a publication did: a new release, or nothing because nothing changed."""

    status: str  # "published" or "unchanged"
    version: str
    path: Path
    changes: releases.Changes

    def __str__(self) -> str:
        return f"{self.status} {self.version}"


def current(target: Path) -> tuple[dict[str, Any] | None, dict[str, Path]]:
    """The latest publication in ``target``: its descriptor and the files it lists."""
    descriptor_path = target / "datapackage.json"
    if not descriptor_path.exists():
        return None, {}
    descriptor: dict[str, Any] = json.loads(descriptor_path.read_text(encoding="utf-8"))
    files: dict[str, Path] = {}
    for resource in descriptor["resources"]:
        paths = resource["path"] if isinstance(resource["path"], list) else [resource["path"]]
        files.update({p: target / p for p in paths})
    return descriptor, files


def _retired_as_seen(descriptor: dict[str, Any], target: Path) -> dict[str, Any]:
    """``descriptor`` whose ``x-retired-resources`` explains only resources that a release in
    ``target`` really had: a first publication (a fresh clone) explains no resource its
    consumers never saw."""
    retired = descriptor.get("x-retired-resources")
    if not retired:
        return descriptor
    seen = {
        r["name"]
        for version in releasestore.versions(target)
        for r in releasestore.descriptor(target, version)["resources"]
    }
    kept = {name: why for name, why in retired.items() if name in seen}
    trimmed = {k: v for k, v in descriptor.items() if k != "x-retired-resources"}
    return {**trimmed, "x-retired-resources": kept} if kept else trimmed


def plan(dataset: Dataset, package: Package, published_dir: Path) -> Outcome:
    """The release a publication would make, without writing anything."""
    target = published_dir / dataset.name
    package.descriptor = _retired_as_seen(package.descriptor, target)
    old_descriptor, old_files = current(target)
    changes = releases.compare(old_descriptor, old_files, package.descriptor, package.files)
    if old_descriptor is not None and changes.level == "none":
        return Outcome("unchanged", str(old_descriptor.get("version")), target, changes)
    previous = old_descriptor.get("version") if old_descriptor else None
    version = releases.next_version(previous, changes.level, dataset.descriptor["version"])
    return Outcome("published", version, target, changes)


def release_files(outcome: Outcome, package: Package) -> dict[str, bytes | Path]:
    """Every file of the dataset folder after the release: the latest package at the top, the
    release under ``releases/<version>/``, earlier releases untouched, the changelog. Files
    already on disk (earlier releases, large built files) are given by path: the folder swap
    links them rather than copying them."""
    target, version = outcome.path, outcome.version
    descriptor = {**package.descriptor, "version": version}
    latest: dict[str, bytes | Path] = {
        **package.files,
        releasestore.DESCRIPTOR: releases.dumps(descriptor),
    }
    latest[releasestore.CHANGES] = releases.dumps(outcome.changes.as_dict(version))
    files = dict(latest)
    for name, data in latest.items():
        files[releasestore.key(version, name)] = data
    files.update(releasestore.earlier_files(target))
    entry = releases.changelog_entry(version, descriptor.get("created"), outcome.changes)
    files[releasestore.CHANGELOG] = releasestore.changelog(
        target, package.descriptor["name"], entry
    )
    files[releasestore.RELEASES_INDEX] = releasestore.index(
        target, package.descriptor["name"], (version, descriptor.get("created"))
    )
    return files


def write(
    dataset: Dataset,
    package: Package,
    published_dir: Path,
    notes: list[str] | None = None,
    inputs: list[str] | None = None,
    raw_dir: Path | None = None,
) -> Outcome:
    """Publish a new release of the package if anything changed, atomically, one publisher at
    a time per published root (a second one waits, then finds the release already made).
    ``notes`` go to the changelog (why a held delivery was published). With ``raw_dir``, the
    stewards who sent the deliveries first published here are told (:mod:`opendata.notify`)."""
    new: list[str] = []
    with folder_lock(published_dir):
        drop_temporaries(published_dir)
        outcome = plan(dataset, package, published_dir)
        outcome.changes.notes.extend(notes or [])
        if outcome.status == "published":
            replace_folder(outcome.path, release_files(outcome, package))
        # Also after "unchanged": a run that died between the swap and these files (a crash,
        # a full disk) left them stale; they are rebuilt whenever they disagree.
        refresh_indexes(published_dir)
        if inputs is not None:
            new = record_inputs(published_dir, dataset.name, outcome.version, inputs)
        store = mirror.configured()
        if store is not None:
            # Also after "unchanged": a mirror an earlier run could not finish is finished now.
            mirror.mirror(published_dir, dataset.name, *store)
    if raw_dir is not None and new:
        parts = [name.split("/", 1) for name in new]
        notify.published([(raw_dir, s, f) for s, f in parts], dataset.name, outcome.version)
    return outcome


def refresh_indexes(published_dir: Path) -> list[str]:
    """Rewrite the DCAT catalogue and the catalogue page where they disagree with the
    datasets; the names of those rewritten."""
    written = []
    for name, data in (
        ("catalog.jsonld", dcat.render(published_dir)),
        ("index.html", site.render(published_dir).encode("utf-8")),
        ("catalogue.js", site.SCRIPT),
    ):
        if write_if_changed(published_dir / name, data):
            written.append(name)
    return written


def holds(collected: Collected, raw_dir: Path) -> list[guard.Hold]:
    """The snapshot deliveries of ``collected`` held for a person's decision, each written
    down for the steward who sent it (:func:`opendata.publish.guard.note_held`)."""
    decisions = guard.default_decisions_dir(raw_dir)
    found = guard.holds(collected.inputs, collected.paths, decisions)
    for hold in guard.note_held(decisions, found, list(collected.inputs)):
        notify.held(raw_dir, hold.source, hold.file, hold.reasons(), hold.note)
    return found


def preview(dataset: Dataset, collected: Collected, published_dir: Path) -> str:
    """What publishing the held deliveries would change (the release diff), in words."""
    outcome = plan(dataset, build(dataset, collected), published_dir)
    return releases.summary(outcome.changes)


def approval_notes(found: list[guard.Hold]) -> list[str]:
    """The changelog lines of approved holds."""
    notes = []
    for hold in found:
        what = "; ".join(hold.reasons())
        notes.append(say("approved_note", delivery=f"{hold.source}/{hold.file}", what=what))
    return notes


def publish(name: str, raw_dir: Path, published_dir: Path) -> Path | None:
    """Collect, build and write one dataset without Prefect; None when a delivery is invalid
    or held for a person's decision."""
    dataset = registry.dataset(name)
    collected = collect(dataset, raw_dir)
    if not collected.valid or holds(collected, raw_dir):
        return None
    package = build(dataset, collected)
    return write(
        dataset, package, published_dir, inputs=sorted(collected.paths), raw_dir=raw_dir
    ).path
