"""Releases: what changed since the last publication, the semantic version it deserves, and
the changelog a consumer reads.

Rules (see docs/consumers.md):
- MAJOR: a field removed, renamed or retyped, a primary key changed, rows removed, or a field's
  constraints loosened (a consumer's promise weakened: a required field may now be empty, an
  other value or form allowed, a bound widened).
- MINOR: a field or a resource added, rows added, or constraints only tightened.
- PATCH: existing rows corrected, or only the metadata (titles, descriptions) changed.
- Nothing changed (same data, same schemas, same metadata): no release.
A site that closes keeps its row (``removed_on`` is set): it is a modified row, not a removed one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from opendata.publish.words import said

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
    # field -> the constraints that changed, and whether any of them was loosened
    constraints_changed: dict[str, list[str]] = field(default_factory=dict)
    constraints_loosened: bool = False
    key_changed: bool = False
    new: bool = False
    # Counts beyond the examples kept (large resources keep a few examples, not every row).
    counts: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str) -> int:
        """Rows added, removed or modified."""
        listed: list[Any] = getattr(self, kind)
        return self.counts.get(kind, len(listed))

    @property
    def level(self) -> str:
        """The version level this resource's changes call for."""
        if self.fields_removed or self.fields_retyped or self.key_changed or self.count("removed"):
            return "major"
        if self.constraints_loosened:
            return "major"
        if self.new or self.fields_added or self.count("added") or self.constraints_changed:
            return "minor"
        return "patch" if self.count("modified") else "none"

    def as_dict(self) -> dict[str, Any]:
        """Counts, a few examples of each, and the schema changes."""
        return {
            "rows": {
                "added": self.count("added"),
                "removed": self.count("removed"),
                "modified": self.count("modified"),
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
                "constraintsChanged": self.constraints_changed,
                "constraintsLoosened": self.constraints_loosened,
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
    notes: list[str] = field(default_factory=list)  # said to consumers (a delivery approved…)
    retired: dict[str, str] = field(default_factory=dict)  # removed resource -> where it went
    coverage: tuple[dict[str, str], dict[str, str]] | None = None  # the period, before/after

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
            **(
                {"temporalCoverage": {"before": self.coverage[0], "after": self.coverage[1]}}
                if self.coverage
                else {}
            ),
            **({"notes": self.notes} if self.notes else {}),
            "resourcesRemoved": self.removed_resources,
            **({"resourcesRemovedWhy": self.retired} if self.retired else {}),
            "resources": {name: r.as_dict() for name, r in self.resources.items()},
        }


def _strings(path: Path | bytes) -> pa.Table:
    """A published CSV file, every cell as its text."""

    def source() -> Any:
        return pa.BufferReader(path) if isinstance(path, bytes) else str(path)

    with pcsv.open_csv(source()) as reader:
        names = reader.schema.names
    return pcsv.read_csv(
        source(),
        convert_options=pcsv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()), strings_can_be_null=False
        ),
    )


def _compare_part(
    old: Path | bytes | None, new: Path | bytes | None, key: list[str], out: ResourceChanges
) -> None:
    """Add the row changes of one file of a partitioned resource (by primary key) to ``out``:
    counts for every row, examples for a few."""
    for kind in ("added", "removed", "modified"):
        out.counts.setdefault(kind, 0)
    if old is None or new is None:
        table = _strings(new if new is not None else old)  # type: ignore[arg-type]
        kind = "added" if old is None else "removed"
        out.counts[kind] += table.num_rows
        listed: list[dict[str, str]] = getattr(out, kind)
        for row in table.select(key).slice(0, EXAMPLES).to_pylist():
            if len(listed) < EXAMPLES:
                listed.append({k: str(v) for k, v in row.items()})
        return
    _compare_tables(_strings(old), _strings(new), key, out, EXAMPLES)


def _compare_tables(
    before: pa.Table, after: pa.Table, key: list[str], out: ResourceChanges, limit: int | None
) -> None:
    """Rows added, removed and modified (by primary key) from ``before`` to ``after``, cells
    compared as text. With a ``limit`` (a partitioned resource): counted in ``out.counts``,
    the first ``limit`` of each kind listed in file order. Without: every one listed, the added
    and removed in key order, the modified in the new file's order."""
    old_keys = before.column(key[0]) if len(key) == 1 else _joined(before, key)
    new_keys = after.column(key[0]) if len(key) == 1 else _joined(after, key)
    where = pc.index_in(new_keys, value_set=old_keys)
    matched = pc.is_valid(where)
    still = pc.is_in(old_keys, value_set=new_keys)
    if limit is not None:
        out.counts["added"] += after.num_rows - pc.sum(matched).as_py() if after.num_rows else 0
        out.counts["removed"] += before.num_rows - (pc.sum(still).as_py() or 0)
    for table, other, mask, kind in (
        (after, before, pc.invert(matched), "added"),
        (before, after, pc.invert(still), "removed"),
    ):
        listed = getattr(out, kind)
        rows = table.filter(mask).select(key)
        if limit is None:
            found = [{k: str(v) for k, v in row.items()} for row in rows.to_pylist()]
            if other.num_rows:  # in key order (against an empty table: in the file's)
                found.sort(key=lambda row: tuple(row[k] for k in key))
            listed.extend(found)
            continue
        for row in rows.slice(0, limit).to_pylist():
            if len(listed) < limit:
                listed.append({k: str(v) for k, v in row.items()})
    common = [c for c in after.column_names if c in before.column_names]
    positions = pc.drop_null(where)
    mine = after.filter(matched)
    theirs = before.take(positions)
    differs = None
    for column in common:
        unequal = pc.not_equal(mine.column(column), theirs.column(column))
        differs = unequal if differs is None else pc.or_(differs, unequal)
    if differs is None:
        return
    changed = np.nonzero(np.asarray(differs.to_numpy(zero_copy_only=False)))[0]
    if limit is not None:
        out.counts["modified"] += len(changed)
        changed = changed[: max(0, limit - len(out.modified))]
    for index in changed.tolist():
        fields = [c for c in common if mine.column(c)[index] != theirs.column(c)[index]]
        out.modified.append(
            {
                "key": {k: str(mine.column(k)[index].as_py()) for k in key},
                "fields": fields,
                "before": {c: str(theirs.column(c)[index].as_py()) for c in fields},
                "after": {c: str(mine.column(c)[index].as_py()) for c in fields},
            }
        )


def _joined(table: pa.Table, key: list[str]) -> pa.Array:
    return pc.binary_join_element_wise(*(table.column(k) for k in key), "\x1f")


def _compare_parts(
    old: dict[str, Any],
    new: dict[str, Any],
    old_files: Mapping[str, bytes | Path],
    new_files: Mapping[str, bytes | Path],
    out: ResourceChanges,
) -> None:
    """Row changes of a partitioned resource: only the files whose hash changed are read."""
    key = new["schema"].get("primaryKey", [])
    old_parts = {p["path"]: p for p in old.get("x-parts", [])}
    new_parts = {p["path"]: p for p in new.get("x-parts", [])}
    for kind in ("added", "removed", "modified"):
        out.counts.setdefault(kind, 0)
    for path in sorted(set(old_parts) | set(new_parts)):
        before, after = old_parts.get(path), new_parts.get(path)
        if before and after and before["hash"] == after["hash"]:
            continue
        if after and not before:
            out.counts["added"] += after["rows"]
            continue
        if before and not after:
            out.counts["removed"] += before["rows"]
            continue
        _compare_part(old_files.get(path), new_files.get(path), key, out)


def _loosened(name: str, old: Any, new: Any) -> bool:
    """Whether changing one constraint from ``old`` to ``new`` (None: absent) lets values
    through that it refused: a change it cannot prove a tightening counts as loosening."""
    if name in ("required", "unique"):
        return bool(old) and not new
    if name == "enum":
        return new is None or (old is not None and not set(map(str, new)) <= set(map(str, old)))
    if name in ("minimum", "minLength", "exclusiveMinimum"):
        return new is None or (old is not None and new < old)
    if name in ("maximum", "maxLength", "exclusiveMaximum"):
        return new is None or (old is not None and new > old)
    return old is not None  # a pattern changed or removed: not provably narrower, so loosened


def _schema_changes(old: dict[str, Any], new: dict[str, Any], out: ResourceChanges) -> None:
    old_types = {f["name"]: f.get("type", "string") for f in old["fields"]}
    new_types = {f["name"]: f.get("type", "string") for f in new["fields"]}
    out.fields_added = [n for n in new_types if n not in old_types]
    out.fields_removed = [n for n in old_types if n not in new_types]
    out.fields_retyped = [n for n in new_types if n in old_types and new_types[n] != old_types[n]]
    out.key_changed = old.get("primaryKey") != new.get("primaryKey")
    old_constraints = {f["name"]: f.get("constraints", {}) for f in old["fields"]}
    for spec in new["fields"]:
        name = spec["name"]
        if name not in old_constraints:
            continue
        before, after = old_constraints[name], spec.get("constraints", {})
        changed = sorted(k for k in {*before, *after} if before.get(k) != after.get(k))
        if changed:
            out.constraints_changed[name] = changed
            if any(_loosened(k, before.get(k), after.get(k)) for k in changed):
                out.constraints_loosened = True


def _metadata(descriptor: dict[str, Any]) -> dict[str, Any]:
    # The period covered follows the data (a new month moves its end): said on its own line,
    # never as "metadata updated".
    skipped = ("resources", "version", "created", "x-temporal-coverage")
    meta = {k: v for k, v in descriptor.items() if k not in skipped}
    meta["resources"] = [
        {
            k: v
            for k, v in r.items()
            if k not in ("hash", "bytes", "x-bytes", "x-parts")
            and not (k == "path" and isinstance(v, list))  # partitions: compared by rows
        }
        for r in descriptor["resources"]
    ]
    return meta


def compare(
    old_descriptor: dict[str, Any] | None,
    old_files: Mapping[str, bytes | Path],
    new_descriptor: dict[str, Any],
    new_files: Mapping[str, bytes | Path],
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
        partitioned = isinstance(res["path"], list)
        if old is None:
            changes.new = True
            if partitioned:
                changes.counts["added"] = sum(p["rows"] for p in res.get("x-parts", []))
            else:
                changes.added = [{}] * _strings(new_files[res["path"]]).num_rows
        elif partitioned or isinstance(old["path"], list):
            _schema_changes(old["schema"], res["schema"], changes)
            if not changes.key_changed:
                _compare_parts(old, res, old_files, new_files, changes)
        elif old.get("hash") != res.get("hash") or old["schema"] != res["schema"]:
            _schema_changes(old["schema"], res["schema"], changes)
            key = res["schema"].get("primaryKey", [])
            if key and not changes.key_changed:
                before, after = _strings(old_files[old["path"]]), _strings(new_files[res["path"]])
                _compare_tables(before, after, key, changes, None)
        resources[res["name"]] = changes
    removed = [n for n in old_by_name if n not in {r["name"] for r in csv_resources}]
    metadata_changed = _metadata(old_descriptor) != _metadata(new_descriptor)
    said = new_descriptor.get("x-retired-resources", {})
    retired = {n: str(said[n]) for n in removed if n in said}
    before, after = (d.get("x-temporal-coverage") for d in (old_descriptor, new_descriptor))
    coverage = (before, after) if before and after and before != after else None
    return Changes(
        old_descriptor.get("version"),
        resources,
        removed,
        metadata_changed,
        retired=retired,
        coverage=coverage,
    )


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


def changelog_entry(version: str, created: str | None, changes: Changes) -> str:
    """The French changelog section of one release (its words: :mod:`opendata.publish.words`)."""
    date = (created or "")[:10]
    lines = [f"## {version}" + (f" — {date}" if date else ""), ""]
    if changes.previous is None:
        lines.append(said("first_release"))
    else:
        level = said(f"level_{changes.level}")
        lines.append(said("release_level", level=level, previous=changes.previous))
    lines += [f"- {note}" for note in changes.notes]
    for name, res in changes.resources.items():
        if res.level != "none":
            lines.append(said("resource_changes", name=name, parts=" ; ".join(_said_of(res))))
    for name in changes.removed_resources:
        why = changes.retired.get(name)
        lines.append(said("resource_retired", name=name) + (f" {why}" if why else ""))
    if changes.coverage:
        before, after = changes.coverage
        lines.append(
            said(
                "coverage",
                start=before["start"],
                end=before["end"],
                new_start=after["start"],
                new_end=after["end"],
            )
        )
    if changes.metadata_changed:
        lines.append(said("metadata_changed"))
    return "\n".join(lines) + "\n"


def _said_of(res: ResourceChanges) -> list[str]:
    """What changed in one resource, in the changelog's words."""
    parts = []
    if res.new:
        parts.append(said("new_resource"))
    if res.count("added") and not res.new:
        parts.append(said("rows_added", count=res.count("added")))
    if res.count("removed"):
        parts.append(said("rows_removed", count=res.count("removed")))
    if res.count("modified"):
        fields = sorted({f for m in res.modified for f in m["fields"]})
        parts.append(said("rows_changed", count=res.count("modified"), fields=", ".join(fields)))
    for key, names in (
        ("fields_added", res.fields_added),
        ("fields_removed", res.fields_removed),
        ("fields_retyped", res.fields_retyped),
    ):
        if names:
            parts.append(said(key, names=", ".join(names)))
    if res.constraints_changed:
        what = ", ".join(f"{n} ({', '.join(ks)})" for n, ks in res.constraints_changed.items())
        key = "constraints_loosened" if res.constraints_loosened else "constraints_tightened"
        parts.append(said(key, what=what))
    if res.key_changed:
        parts.append(said("key_changed"))
    return parts


def summary(changes: Changes) -> str:
    """One line per resource, for ``publish --dry-run`` and ``diff``."""
    if changes.level == "none":
        return "aucun changement"
    lines = [f"niveau : {changes.level}"]
    for name, res in changes.resources.items():
        if res.level != "none":
            lines.append(
                f"  {name}: +{res.count('added')} -{res.count('removed')} "
                f"~{res.count('modified')}"
                + (
                    f" champs +{res.fields_added} -{res.fields_removed} types {res.fields_retyped}"
                    if (res.fields_added or res.fields_removed or res.fields_retyped)
                    else ""
                )
                + (f" contraintes {res.constraints_changed}" if res.constraints_changed else "")
            )
    return "\n".join(lines)


def dumps(data: dict[str, Any]) -> bytes:
    """JSON as published: UTF-8, indented, stable."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
