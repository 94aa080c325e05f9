"""The versions of a source's contract: its changelog and what a change of the rules weighs.

Each source's ``source.json`` carries a semantic ``version`` and, beside it, ``CHANGELOG.md``
says what changed in each one, newest first::

    ## 1.1.0 — 2027-01-15
    Empreinte : 3f2a9c01de
    - Nouvelle valeur permise « Tiers-lieu » dans « Type ».

The ``Empreinte`` line is the contract's fingerprint (:attr:`Source.fingerprint`) at that
version: a contract changed without a new entry no longer matches its changelog, and the test
of the contracts says so. :func:`weight` tells which part of the version a change moves: a new
required column, a column removed, a type or a rule made stricter are MAJOR (a file that passed
may now fail); a new allowed value or an optional column MINOR; anything else (titles,
descriptions, examples) PATCH.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_HEADING = re.compile(r"^##\s+(\d+\.\d+\.\d+)\s*(?:[—-]\s*(\d{4}-\d{2}-\d{2}))?\s*$")
_FINGERPRINT = re.compile(r"^Empreinte\s*:\s*([0-9a-f]{6,64})\s*$")


@dataclass(frozen=True)
class Entry:
    """One version of a contract, as its changelog tells it."""

    version: str
    date: str | None
    fingerprint: str | None
    lines: list[str] = field(default_factory=list)


def changelog(path: Path) -> list[Entry]:
    """The entries of a contract's ``CHANGELOG.md``, newest first (none when it is missing)."""
    if not path.is_file():
        return []
    entries: list[Entry] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        heading = _HEADING.match(line)
        if heading:
            entries.append(Entry(heading.group(1), heading.group(2), None, []))
            continue
        if not entries or not line:
            continue
        mark = _FINGERPRINT.match(line)
        if mark and entries[-1].fingerprint is None:
            last = entries[-1]
            entries[-1] = Entry(last.version, last.date, mark.group(1), last.lines)
        else:
            entries[-1].lines.append(line.removeprefix("- ").strip())
    return entries


def parse(version: str) -> tuple[int, int, int]:
    """``"1.2.3"`` → ``(1, 2, 3)``."""
    major, minor, patch = (int(part) for part in version.split("."))
    return major, minor, patch


def _fields(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in schema.get("fields", [])}


def _required(spec: dict[str, Any]) -> bool:
    return bool(spec.get("constraints", {}).get("required"))


def _allowed(spec: dict[str, Any]) -> set[str] | None:
    values = spec.get("constraints", {}).get("enum")
    return None if values is None else {str(v) for v in values}


def _rules(spec: dict[str, Any]) -> dict[str, Any]:
    """A column's constraints other than ``required`` and ``enum`` (weighed apart)."""
    return {k: v for k, v in spec.get("constraints", {}).items() if k not in ("required", "enum")}


# What a change of contract asks of a steward's file, in French: (weight, template).
CHANGES: dict[str, tuple[str, str]] = {
    "column_required_added": ("major", "nouvelle colonne obligatoire « {name} » à ajouter"),
    "column_optional_added": ("minor", "nouvelle colonne facultative « {name} »"),
    "retyped": ("major", "« {name} » : type {was} devenu {now}"),
    "now_required": ("major", "« {name} » devient obligatoire : remplissez chaque ligne"),
    "now_optional": ("minor", "« {name} » devient facultative"),
    "rules_changed": ("major", "« {name} » : règles de valeur modifiées"),
    "words_changed": ("patch", "« {name} » : titre ou description modifiés"),
    "column_removed": ("major", "colonne « {name} » retirée du contrat : supprimez-la"),
    "key_changed": ("major", "identifiant des lignes (clé primaire) modifié"),
    "any_value": ("minor", "« {name} » accepte désormais toute valeur"),
    "only_values": ("major", "« {name} » n'accepte plus que : {values}"),
    "values_added": ("minor", "« {name} » : valeur(s) permise(s) ajoutée(s) {values}"),
    "values_removed": ("major", "« {name} » : valeur(s) retirée(s) {values}, à remplacer"),
}
QUOTED = "« {value} »"  # an allowed value, as the sentences quote it


def _change(kind: str, **params: Any) -> tuple[str, str]:
    level, template = CHANGES[kind]
    return level, template.format(**params)


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """What changed for a file between two Table Schemas of a source: ``(weight, sentence)``
    pairs, the sentence in French (:data:`CHANGES`), saying what a steward must change in
    their file."""
    said: list[tuple[str, str]] = []
    before, after = _fields(old), _fields(new)
    for name, spec in after.items():
        if name not in before:
            kind = "column_required_added" if _required(spec) else "column_optional_added"
            said.append(_change(kind, name=name))
            continue
        was = before[name]
        if spec.get("type") != was.get("type"):
            said.append(_change("retyped", name=name, was=was.get("type"), now=spec.get("type")))
        if _required(spec) and not _required(was):
            said.append(_change("now_required", name=name))
        elif _required(was) and not _required(spec):
            said.append(_change("now_optional", name=name))
        said.extend(_allowed_changes(name, _allowed(was), _allowed(spec)))
        if _rules(spec) != _rules(was):
            said.append(_change("rules_changed", name=name))
        elif spec != was:
            said.append(_change("words_changed", name=name))
    said += [_change("column_removed", name=name) for name in before if name not in after]
    if old.get("primaryKey") != new.get("primaryKey"):
        said.append(_change("key_changed"))
    return said


def _allowed_changes(
    name: str, was: set[str] | None, now: set[str] | None
) -> list[tuple[str, str]]:
    if was == now:
        return []
    if now is None:
        return [_change("any_value", name=name)]
    if was is None:
        return [_change("only_values", name=name, values=", ".join(sorted(now)))]
    said = []
    if now - was:
        added = ", ".join(QUOTED.format(value=v) for v in sorted(now - was))
        said.append(_change("values_added", name=name, values=added))
    if was - now:
        removed = ", ".join(QUOTED.format(value=v) for v in sorted(was - now))
        said.append(_change("values_removed", name=name, values=removed))
    return said


_ORDER = {"patch": 0, "minor": 1, "major": 2}


def weight(old: dict[str, Any], new: dict[str, Any]) -> str:
    """``"major"``, ``"minor"`` or ``"patch"``: the least part of the version a change of
    ``old`` into ``new`` must move."""
    found = [w for w, _ in differences(old, new)]
    return max(found, key=_ORDER.__getitem__, default="patch")


def moved(old: str, new: str) -> str | None:
    """Which part of the version moved from ``old`` to ``new`` (None: it did not go up)."""
    a, b = parse(old), parse(new)
    if b[0] > a[0]:
        return "major"
    if b[0] == a[0] and b[1] > a[1]:
        return "minor"
    if b[:2] == a[:2] and b[2] > a[2]:
        return "patch"
    return None


def enough(old: str, new: str, needed: str) -> bool:
    """Whether going from version ``old`` to ``new`` moves at least the ``needed`` part."""
    part = moved(old, new)
    return part is not None and _ORDER[part] >= _ORDER[needed]
