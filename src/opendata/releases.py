"""Releases: what changed since the last publication, the semantic version it deserves, and
the changelog a consumer reads.

Rules (see the README):
- MAJOR: a field removed, renamed or retyped, a primary key changed, or rows removed.
- MINOR: a field or a resource added, or rows added.
- PATCH: existing rows corrected, or only the metadata (titles, descriptions) changed.
- Nothing changed (same data, same schemas, same metadata): no release.
A site that closes keeps its row (``removed_on`` is set): it is a modified row, not a removed one.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

LEVELS = ("none", "patch", "minor", "major")
EXAMPLES = 3


@dataclass
class ResourceChanges:
    """Rows added, removed and modified (by primary key) and schema changes of one resource."""

    added: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    modified: list[dict[str, Any]] = field(default_factory=list)
    fields_added: list[str] = field(default_factory=list)
    fields_removed: list[str] = field(default_factory=list)
    fields_retyped: list[str] = field(default_factory=list)
    key_changed: bool = False
    new: bool = False

    @property
    def level(self) -> str:
        """The version level this resource's changes call for."""
        if self.fields_removed or self.fields_retyped or self.key_changed or self.removed:
            return "major"
        if self.new or self.fields_added or self.added:
            return "minor"
        return "patch" if self.modified else "none"

    def as_dict(self) -> dict[str, Any]:
        """Counts, a few examples of each, and the schema changes."""
        return {
            "rows": {
                "added": len(self.added),
                "removed": len(self.removed),
                "modified": len(self.modified),
            },
            "examples": {
                "added": self.added[:EXAMPLES],
                "removed": self.removed[:EXAMPLES],
                "modified": self.modified[:EXAMPLES],
            },
            "schema": {
                "newResource": self.new,
                "fieldsAdded": self.fields_added,
                "fieldsRemoved": self.fields_removed,
                "fieldsRetyped": self.fields_retyped,
                "primaryKeyChanged": self.key_changed,
            },
            "level": self.level,
        }


@dataclass
class Changes:
    """Every change between two publications of a dataset."""

    previous: str | None
    resources: dict[str, ResourceChanges]
    removed_resources: list[str]
    metadata_changed: bool

    @property
    def level(self) -> str:
        """The highest level among the resources (a removed resource is major)."""
        levels = [r.level for r in self.resources.values()]
        if self.removed_resources:
            levels.append("major")
        if self.metadata_changed:
            levels.append("patch")
        return max(levels or ["none"], key=LEVELS.index)

    def as_dict(self, version: str) -> dict[str, Any]:
        """The machine-readable ``changes.json`` of a release."""
        return {
            "version": version,
            "previous": self.previous,
            "level": self.level,
            "metadataChanged": self.metadata_changed,
            "resourcesRemoved": self.removed_resources,
            "resources": {name: r.as_dict() for name, r in self.resources.items()},
        }


def _rows(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _compare_rows(
    old: pd.DataFrame, new: pd.DataFrame, key: list[str], out: ResourceChanges
) -> None:
    common_fields = [c for c in new.columns if c in old.columns]
    old_i = old.set_index(key, drop=False)
    new_i = new.set_index(key, drop=False)
    added = new_i.index.difference(old_i.index)
    removed = old_i.index.difference(new_i.index)
    out.added = (
        [
            {k: str(v) for k, v in r.items() if k in key}
            for r in new_i.loc[added, key].to_dict("records")
        ]
        if len(added)
        else []
    )
    out.removed = (
        [{str(k): str(v) for k, v in r.items()} for r in old_i.loc[removed, key].to_dict("records")]
        if len(removed)
        else []
    )
    both = new_i.index.intersection(old_i.index)
    if len(both):
        a = old_i.loc[both, common_fields]
        b = new_i.loc[both, common_fields]
        differs = a != b
        for index in differs.index[differs.any(axis=1)]:
            changed = [c for c in common_fields if differs.at[index, c]]
            keys = b.loc[index, key]
            out.modified.append(
                {
                    "key": {k: str(keys[k]) for k in key},
                    "fields": changed,
                    "before": {c: str(a.at[index, c]) for c in changed},
                    "after": {c: str(b.at[index, c]) for c in changed},
                }
            )


def _schema_changes(old: dict[str, Any], new: dict[str, Any], out: ResourceChanges) -> None:
    old_types = {f["name"]: f.get("type", "string") for f in old["fields"]}
    new_types = {f["name"]: f.get("type", "string") for f in new["fields"]}
    out.fields_added = [n for n in new_types if n not in old_types]
    out.fields_removed = [n for n in old_types if n not in new_types]
    out.fields_retyped = [n for n in new_types if n in old_types and new_types[n] != old_types[n]]
    out.key_changed = old.get("primaryKey") != new.get("primaryKey")


def _metadata(descriptor: dict[str, Any]) -> dict[str, Any]:
    meta = {k: v for k, v in descriptor.items() if k not in ("resources", "version", "created")}
    meta["resources"] = [
        {k: v for k, v in r.items() if k not in ("hash", "bytes", "x-bytes")}
        for r in descriptor["resources"]
    ]
    return meta


def compare(
    old_descriptor: dict[str, Any] | None,
    old_files: dict[str, bytes],
    new_descriptor: dict[str, Any],
    new_files: dict[str, bytes],
) -> Changes:
    """What changed from the old publication (None: there is none) to the new one."""
    csv_resources = [r for r in new_descriptor["resources"] if r.get("format") == "csv"]
    if old_descriptor is None:
        first = {str(r["name"]): ResourceChanges(new=True) for r in csv_resources}
        return Changes(None, first, [], False)
    old_by_name = {r["name"]: r for r in old_descriptor["resources"] if r.get("format") == "csv"}
    resources: dict[str, ResourceChanges] = {}
    for res in csv_resources:
        changes = ResourceChanges()
        old = old_by_name.get(res["name"])
        if old is None:
            changes.new = True
            changes.added = [{}] * len(_rows(new_files[res["path"]]))
        elif old.get("hash") != res.get("hash") or old["schema"] != res["schema"]:
            _schema_changes(old["schema"], res["schema"], changes)
            key = res["schema"].get("primaryKey", [])
            new_rows, old_rows = _rows(new_files[res["path"]]), _rows(old_files[old["path"]])
            if key and not changes.key_changed:
                _compare_rows(old_rows, new_rows, key, changes)
        resources[res["name"]] = changes
    removed = [n for n in old_by_name if n not in {r["name"] for r in csv_resources}]
    metadata_changed = _metadata(old_descriptor) != _metadata(new_descriptor)
    return Changes(old_descriptor.get("version"), resources, removed, metadata_changed)


def next_version(previous: str | None, level: str, first: str) -> str:
    """The version a release of ``level`` gets after ``previous`` (``first`` if none)."""
    if previous is None:
        return first
    major, minor, patch = (int(p) for p in previous.lstrip("v").split("."))
    if level == "major":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


_LEVEL_FR = {"major": "majeure", "minor": "mineure", "patch": "corrective", "none": "aucune"}


def changelog_entry(version: str, created: str | None, changes: Changes) -> str:
    """The French changelog section of one release."""
    date = (created or "")[:10]
    lines = [f"## {version}" + (f" — {date}" if date else ""), ""]
    if changes.previous is None:
        lines.append("Première publication.")
    else:
        lines.append(f"Version {_LEVEL_FR[changes.level]} (après {changes.previous}).")
    for name, res in changes.resources.items():
        if res.level == "none":
            continue
        parts = []
        if res.new:
            parts.append("nouvelle ressource")
        if res.added and not res.new:
            parts.append(f"{len(res.added)} ligne(s) ajoutée(s)")
        if res.removed:
            parts.append(f"{len(res.removed)} ligne(s) retirée(s)")
        if res.modified:
            fields = sorted({f for m in res.modified for f in m["fields"]})
            parts.append(f"{len(res.modified)} ligne(s) modifiée(s) ({', '.join(fields)})")
        for label, names in (
            ("champ(s) ajouté(s)", res.fields_added),
            ("champ(s) retiré(s)", res.fields_removed),
            ("champ(s) changeant de type", res.fields_retyped),
        ):
            if names:
                parts.append(f"{label} : {', '.join(names)}")
        if res.key_changed:
            parts.append("clé primaire modifiée")
        lines.append(f"- `{name}` : " + " ; ".join(parts) + ".")
    for name in changes.removed_resources:
        lines.append(f"- `{name}` : ressource retirée.")
    if changes.metadata_changed:
        lines.append("- Métadonnées mises à jour (titres, descriptions).")
    return "\n".join(lines) + "\n"


def summary(changes: Changes) -> str:
    """One line per resource, for ``publish --dry-run`` and ``diff``."""
    if changes.level == "none":
        return "aucun changement"
    lines = [f"niveau : {changes.level}"]
    for name, res in changes.resources.items():
        if res.level != "none":
            lines.append(
                f"  {name}: +{len(res.added)} -{len(res.removed)} ~{len(res.modified)}"
                + (
                    f" champs +{res.fields_added} -{res.fields_removed} types {res.fields_retyped}"
                    if (res.fields_added or res.fields_removed or res.fields_retyped)
                    else ""
                )
            )
    return "\n".join(lines)


def dumps(data: dict[str, Any]) -> bytes:
    """JSON as published: UTF-8, indented, stable."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
