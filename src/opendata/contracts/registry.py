"""Find the raw sources and the published datasets from the contract files under ``schemas/``.

Nothing here lists a source or a dataset by name: adding one means adding its contract files
(and, for a dataset, one transform module named after it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

from opendata import settings
from opendata.contracts.limits import Bounds, bounds
from opendata.contracts.profiles import Profile, ProfileError
from opendata.contracts.profiles import parse as parse_profiles
from opendata.contracts.versions import moved


def schemas_dir() -> Path:
    """The contracts folder: ``$OPENDATA_SCHEMAS``, else the project folder's ``schemas/``
    (:func:`opendata.settings.project_root`)."""
    return settings.SCHEMAS.get() or settings.project_root() / "schemas"


@dataclass(frozen=True)
class Source:
    """A raw source: what one department delivers, and the contract it is checked against."""

    name: str
    title: str
    dataset: str
    delivery: str  # "snapshot" (newest file wins) or "periodic" (one file per period)
    format: str  # "csv", "csv.gz" or "xlsx"
    file_pattern: str
    schema: dict[str, Any]
    checks: list[dict[str, Any]]
    csv: dict[str, Any] = field(default_factory=dict)
    excel: dict[str, Any] = field(default_factory=dict)
    period_field: str | None = None
    personal_data: bool = False
    key_forms: dict[str, str] = field(default_factory=dict)  # label -> normaliser name
    identity_fields: tuple[str, ...] = ()  # personal data: never published, logged or shown
    # How the source is read (the engine that checks it is one): "lenient" for the departments'
    # files (validate.readers.lenient), "arrow" for large machine exports (validate.batched).
    engine: str = "lenient"
    repeated_records: str = "error"  # "count-once": identical re-sent records are a warning
    reference_deliveries: str = "newest"  # "all": foreign keys match any delivery's keys
    limits: dict[str, int] = field(default_factory=dict)  # see opendata.contracts.limits
    profiles: tuple[Profile, ...] = ()  # other shapes of a delivery: see contracts.profiles
    file_patterns: tuple[str, ...] = ()  # every name a delivery may have (the first: main)
    contract: Path = Path("source.json")  # the file it was read from
    version: str = "1.0.0"  # the contract's version (semantic: see opendata.contracts.versions)
    # Earlier versions still accepted for a while (newest first), each with ``accepted_until``
    # (a Paris date, ISO): ``"previous"`` in source.json, its files under versions/<version>/.
    previous: tuple[Source, ...] = ()
    accepted_until: str | None = None

    def patterns(self) -> tuple[str, ...]:
        """The names a delivery of this source may have (``filePattern``, one or a list)."""
        return self.file_patterns or (self.file_pattern,)

    def bounds(self) -> Bounds:
        """The size bounds of this source's deliveries (contract, then settings)."""
        return bounds(self.limits)

    @property
    def accepts_workbooks(self) -> bool:
        """Whether a delivery may be an Excel workbook: the source's format, or a CSV source
        that also declares an ``.xlsx`` file pattern (its Excel template, filled in)."""
        return self.format == "xlsx" or any(p.endswith(".xlsx") for p in self.patterns())

    @property
    def labels(self) -> list[str]:
        """The column labels of the contract, in order."""
        return [f["name"] for f in self.schema["fields"]]

    @property
    def fingerprint(self) -> str:
        """The contract a report was made against, as a short digest of what it checks (a
        changed contract gives another): a report is reused only under the same one."""
        import hashlib
        import json

        text = json.dumps([self.schema, self.checks], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:10]

    @property
    def stamp(self) -> dict[str, str]:
        """Which contract checked a file, as a report says it."""
        return {"source": self.name, "version": self.version, "fingerprint": self.fingerprint}

    @property
    def changelog(self) -> Path:
        """``CHANGELOG.md`` beside the contract: what changed in each version."""
        return self.contract.parent / "CHANGELOG.md"

    def accepted_versions(self, today: dt.date) -> list[Source]:
        """The earlier versions still accepted on ``today`` (a Paris date), newest first."""
        return [p for p in self.previous if today <= dt.date.fromisoformat(p.accepted_until or "")]

    def foreign_sources(self) -> list[str]:
        """Sources whose newest delivery this one's foreign keys refer to."""
        return [fk["reference"]["resource"] for fk in self.schema.get("foreignKeys", [])]


@dataclass(frozen=True)
class Dataset:
    """A published dataset: its package metadata and the sources that feed it."""

    name: str
    descriptor: dict[str, Any]
    folder: Path
    sources: tuple[str, ...]

    def resource_schema(self, resource: str) -> dict[str, Any]:
        """The Table Schema of one published resource."""
        for res in self.descriptor["resources"]:
            if res["name"] == resource:
                return _load_json(self.folder / res["schema"])
        raise KeyError(f"{self.name} has no resource {resource!r}")

    @property
    def resource_names(self) -> list[str]:
        """Names of the published resources built as one table (not partitioned), in order."""
        return [r["name"] for r in self.descriptor["resources"] if not r.get("partitionedBy")]

    @property
    def partitioned_resources(self) -> list[str]:
        """Resources published as one file per period (``"partitionedBy"``), built on disk."""
        return [r["name"] for r in self.descriptor["resources"] if r.get("partitionedBy")]


def _load_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


class ContractError(ValueError):
    """A contract under ``schemas/`` the pipeline cannot honour: refused when it is loaded,
    never half applied (a check it would skip, a profile it could not read)."""


# What each validation engine runs beyond the Table Schema. The Arrow engine (large machine
# exports, checked batch by batch) runs no delivery profiles: a contract that declares them is
# refused rather than published with the rule silently skipped (the checks it cannot run are
# refused by the rules themselves: opendata.validate.rules.refuse_unrunnable).
_ENGINE_REFUSES = {"arrow": ("profiles",)}
READERS = ("lenient", "arrow")


def _check_engine(desc_path: Path, desc: dict[str, Any]) -> None:
    engine = desc.get("engine", "lenient")
    if engine not in READERS:
        raise ContractError(
            f"{desc_path}: engine {engine!r} is not a reader of this pipeline; give one of "
            f"{', '.join(READERS)} (or none: lenient)"
        )
    refused = {key: desc[key] for key in _ENGINE_REFUSES.get(engine, ()) if desc.get(key)}
    for key, items in refused.items():
        declared = [item.get("type", item.get("name", "?")) for item in items]
        raise ContractError(
            f"{desc_path}: {key} {declared} cannot run on the {engine!r} engine of this "
            f"source (it reads the file batch by batch); remove them from the contract or read "
            "the source with the default engine (a rule that would be skipped is refused)"
        )


def examples(name: str) -> tuple[Path, dict[str, dict[str, Any]]]:
    """A source's example deliveries, kept beside its contract: the folder ``examples/`` and
    what each file must give, from ``examples.json`` (``{file: {"valid": bool, "errors":
    [[row, label, type], ...], "warnings": [...]}}``; nothing when the source has none)."""
    folder = schemas_dir() / "sources" / name
    pins = folder / "examples.json"
    return folder / "examples", (_load_json(pins) if pins.exists() else {})


@cache
def _sources(root: Path) -> dict[str, Source]:
    found: dict[str, Source] = {}
    for desc_path in sorted((root / "sources").glob("*/source.json")):
        source = _source_at(desc_path)
        found[source.name] = replace(source, previous=_previous(desc_path, source))
    return found


def _previous(desc_path: Path, current: Source) -> tuple[Source, ...]:
    """The earlier versions a contract still accepts, from ``"previous"``: a list of
    ``{"version", "acceptedUntil"}``, each version's contract kept under
    ``versions/<version>/`` (its source.json and schema.json as they were)."""
    declared = _load_json(desc_path).get("previous", [])
    if isinstance(declared, dict):
        declared = [declared]
    found = []
    for entry in declared:
        version, until = entry.get("version"), entry.get("acceptedUntil")
        folder = desc_path.parent / "versions" / str(version)
        if not (folder / "source.json").is_file() or not isinstance(until, str):
            raise ContractError(
                f"{desc_path}: previous version {version!r} needs its contract under "
                f'{folder}/ (source.json and schema.json) and "acceptedUntil": "AAAA-MM-JJ"'
            )
        try:
            dt.date.fromisoformat(until)
        except ValueError:
            raise ContractError(f"{desc_path}: acceptedUntil {until!r} is not a date") from None
        old = _source_at(folder / "source.json")
        if old.name != current.name or moved(old.version, current.version) is None:
            raise ContractError(
                f"{folder}/source.json: version {old.version} of {old.name} does not come "
                f"before {current.version} of {current.name}"
            )
        found.append(replace(old, accepted_until=until, contract=folder / "source.json"))
    return tuple(found)


def _source_at(desc_path: Path) -> Source:
    """One contract as written in ``desc_path`` and the schema.json beside it."""
    desc = _load_json(desc_path)
    _check_engine(desc_path, desc)
    schema = _load_json(desc_path.parent / "schema.json")
    declared = desc["filePattern"]
    patterns = [declared] if isinstance(declared, str) else list(declared)
    return Source(
        name=desc["name"],
        title=desc["title"],
        dataset=desc["dataset"],
        delivery=desc["delivery"],
        format=desc["format"],
        file_pattern=patterns[0],
        file_patterns=tuple(patterns),
        schema=schema,
        checks=desc.get("checks", []),
        csv=desc.get("csv", {}),
        excel=desc.get("excel", {}),
        period_field=desc.get("periodField"),
        personal_data=bool(desc.get("personalData", False)),
        key_forms=desc.get("keyForms", {}),
        identity_fields=tuple(desc.get("identityFields", [])),
        engine=desc.get("engine", "lenient"),
        repeated_records=desc.get("repeatedRecords", "error"),
        reference_deliveries=desc.get("referenceDeliveries", "newest"),
        limits=desc.get("limits", {}),
        profiles=_profiles(desc_path, desc, schema),
        contract=desc_path,
        version=_version(desc_path, desc),
    )


_SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


def _version(desc_path: Path, desc: dict[str, Any]) -> str:
    version = desc.get("version")
    if not isinstance(version, str) or not _SEMVER.fullmatch(version):
        raise ContractError(
            f'{desc_path}: "version" must be the contract\'s semantic version, such as '
            f'"1.0.0" (got {version!r}); say what changed in CHANGELOG.md beside it'
        )
    return version


def _profiles(desc_path: Path, desc: dict[str, Any], schema: dict[str, Any]) -> tuple[Profile, ...]:
    try:
        return parse_profiles(desc.get("profiles", []), schema)
    except ProfileError as exc:
        raise ContractError(f"{desc_path}: {exc}") from None


@cache
def _datasets(root: Path) -> dict[str, Dataset]:
    found: dict[str, Dataset] = {}
    sources = _sources(root)
    for desc_path in sorted((root / "datasets").glob("*/datapackage.json")):
        desc = _load_json(desc_path)
        feeding = tuple(s.name for s in sources.values() if s.dataset == desc["name"])
        found[desc["name"]] = Dataset(desc["name"], desc, desc_path.parent, feeding)
    return found


def sources() -> dict[str, Source]:
    """Every raw source, by id."""
    return _sources(schemas_dir())


def datasets() -> dict[str, Dataset]:
    """Every published dataset, by id."""
    return _datasets(schemas_dir())


def source(name: str) -> Source:
    """One raw source by id; ``KeyError`` names the known ones."""
    known = sources()
    if name not in known:
        raise KeyError(f"unknown source {name!r}; known sources: {', '.join(sorted(known))}")
    return known[name]


def dataset(name: str) -> Dataset:
    """One published dataset by id; ``KeyError`` names the known ones."""
    known = datasets()
    if name not in known:
        raise KeyError(f"unknown dataset {name!r}; known datasets: {', '.join(sorted(known))}")
    return known[name]


def reference_schema() -> dict[str, Any]:
    """The national "Lieux de médiation numérique" Table Schema (v1.0.1) kept under schemas/."""
    return _load_json(schemas_dir() / "reference" / "lieux-mediation-numerique" / "schema.json")
