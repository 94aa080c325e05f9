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


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, str]]:
    """What changed for a file between two Table Schemas of a source: ``(weight, sentence)``
    pairs, the sentence in French, saying what a steward must change in their file."""
    said: list[tuple[str, str]] = []
    before, after = _fields(old), _fields(new)
    for name, spec in after.items():
        if name not in before:
            if _required(spec):
                said.append(("major", f"nouvelle colonne obligatoire « {name} » à ajouter"))
            else:
                said.append(("minor", f"nouvelle colonne facultative « {name} »"))
            continue
        was = before[name]
        if spec.get("type") != was.get("type"):
            said.append(("major", f"« {name} » : type {was.get('type')} devenu {spec.get('type')}"))
        if _required(spec) and not _required(was):
            said.append(("major", f"« {name} » devient obligatoire : remplissez chaque ligne"))
        elif _required(was) and not _required(spec):
            said.append(("minor", f"« {name} » devient facultative"))
        said.extend(_allowed_changes(name, _allowed(was), _allowed(spec)))
        if _rules(spec) != _rules(was):
            said.append(("major", f"« {name} » : règles de valeur modifiées"))
        elif spec != was:
            said.append(("patch", f"« {name} » : titre ou description modifiés"))
    for name in before:
        if name not in after:
            said.append(("major", f"colonne « {name} » retirée du contrat : supprimez-la"))
    if old.get("primaryKey") != new.get("primaryKey"):
        said.append(("major", "identifiant des lignes (clé primaire) modifié"))
    return said


def _allowed_changes(
    name: str, was: set[str] | None, now: set[str] | None
) -> list[tuple[str, str]]:
    if was == now:
        return []
    if now is None:
        return [("minor", f"« {name} » accepte désormais toute valeur")]
    if was is None:
        return [("major", f"« {name} » n'accepte plus que : {', '.join(sorted(now))}")]
    said = []
    if now - was:
        added = ", ".join(f"« {v} »" for v in sorted(now - was))
        said.append(("minor", f"« {name} » : valeur(s) permise(s) ajoutée(s) {added}"))
    if was - now:
        removed = ", ".join(f"« {v} »" for v in sorted(was - now))
        said.append(("major", f"« {name} » : valeur(s) retirée(s) {removed}, à remplacer"))
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
