"""Delivery profiles: other shapes of the same delivery, declared as data in ``source.json``.

A department's data sometimes reaches us in another system's shape: the City's open-data portal
exports the Wi-Fi sites with its own labels, the latitude and longitude in one cell, or as a
GeoJSON FeatureCollection. A profile says how that shape maps onto the contract, so that one
Table Schema check serves it and the published rows are the same:

``columns``
    contract label -> the label the export uses (matched as tolerantly as the contract's own);
``split``
    an export column holding several contract fields: ``into`` the contract labels, cut at
    ``separator`` (text cells) or taken from the ``keys`` of an object (GeoJSON properties),
    numbers written with ``decimalChar`` (rewritten in the contract's own decimal mark);
``ignore``
    export columns we know and do not publish (no "unknown column" warning);
``absent``
    contract fields the export does not carry: not missing columns, and the row rules that
    need them do not run (the dataset's transform says what it does without them).

A file is read with the profile whose labels its header matches best; the contract's own
labels win a tie. Nothing here knows a source by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

FORMATS = ("csv", "geojson")


class ProfileError(ValueError):
    """A profile that does not fit its contract: refused when the contract is loaded."""


@dataclass(frozen=True)
class Split:
    """One export column that holds several contract fields."""

    column: str
    into: tuple[str, ...]
    separator: str | None = None
    keys: tuple[str, ...] = ()
    decimal_char: str = "."

    def parts(self, value: Any) -> list[Any]:
        """The cell's parts, one per ``into`` field (all of it in the first when it does not
        split as declared, so the check reports it rather than a guess)."""
        if isinstance(value, dict) and self.keys:
            return [value.get(key) for key in self.keys]
        if isinstance(value, (list, tuple)) and len(value) == len(self.into):
            return list(value)
        if value is None or value == "":
            return ["" for _ in self.into]
        text = str(value)
        if self.separator is not None:
            pieces = [piece.strip() for piece in text.split(self.separator)]
            if len(pieces) == len(self.into):
                return pieces
        return [text, *("" for _ in self.into[1:])]


@dataclass(frozen=True)
class Profile:
    """How one export shape maps onto a source's contract."""

    name: str
    title: str
    format: str  # "csv" (read with the source's CSV settings) or "geojson"
    columns: dict[str, str]
    splits: tuple[Split, ...]
    ignore: tuple[str, ...]
    absent: tuple[str, ...]

    def split_of(self, contract_label: str) -> tuple[Split, int] | None:
        """The split column and part index that give this contract field, if any."""
        for split in self.splits:
            if contract_label in split.into:
                return split, split.into.index(contract_label)
        return None

    def file_label(self, contract_label: str) -> str | None:
        """The export's column for a contract field (None: absent, or one part of a split)."""
        if contract_label in self.absent or self.split_of(contract_label):
            return None
        return self.columns.get(contract_label, contract_label)

    def expected(self, labels: list[str]) -> list[str]:
        """The labels an export of this shape has, in the contract's order then the splits'."""
        wanted = [label for label in map(self.file_label, labels) if label is not None]
        return wanted + [split.column for split in self.splits]

    def as_metadata(self) -> dict[str, str]:
        """What a report says about the shape it read."""
        return {"name": self.name, "title": self.title}


def parse(specs: list[dict[str, Any]], schema: dict[str, Any]) -> tuple[Profile, ...]:
    """The profiles of a source, checked against its Table Schema."""
    fields = {f["name"]: f for f in schema["fields"]}
    found: list[Profile] = []
    for spec in specs:
        name = spec.get("name", "?")
        fmt = spec.get("format", "csv")
        if fmt not in FORMATS:
            raise ProfileError(f"profile {name}: unknown format {fmt!r} (one of {FORMATS})")
        splits = tuple(
            Split(
                column=column,
                into=tuple(part["into"]),
                separator=part.get("separator"),
                keys=tuple(part.get("keys", ())),
                decimal_char=part.get("decimalChar", "."),
            )
            for column, part in spec.get("split", {}).items()
        )
        profile = Profile(
            name=name,
            title=spec["title"],
            format=fmt,
            columns=dict(spec.get("columns", {})),
            splits=splits,
            ignore=tuple(spec.get("ignore", ())),
            absent=tuple(spec.get("absent", ())),
        )
        named = [*profile.columns, *profile.absent, *(f for s in splits for f in s.into)]
        unknown = sorted(set(named) - set(fields))
        if unknown:
            raise ProfileError(f"profile {name}: no such contract field {unknown}")
        for split in splits:
            if split.keys and len(split.keys) != len(split.into):
                raise ProfileError(f"profile {name}: {split.column} needs one key per field")
            if not split.keys and split.separator is None:
                raise ProfileError(f"profile {name}: {split.column} needs a separator or keys")
        required = [
            label
            for label in profile.absent
            if fields[label].get("constraints", {}).get("required")
        ]
        if required:
            raise ProfileError(f"profile {name}: required fields cannot be absent: {required}")
        found.append(profile)
    return tuple(found)


def part_text(value: Any, split: Split, field: dict[str, Any]) -> Any:
    """One part of a split cell, its decimal mark rewritten to the contract's."""
    if isinstance(value, float):
        value = repr(value)
    if not isinstance(value, str):
        return value
    wanted = field.get("decimalChar", ".")
    text = value.strip()
    if field.get("type") == "number" and wanted != split.decimal_char and wanted not in text:
        text = text.replace(split.decimal_char, wanted)
    return text
