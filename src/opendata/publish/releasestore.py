"""Where a published dataset keeps its releases: the one module that knows the layout.

    published/<dataset>/
        datapackage.json, changes.json, CHANGELOG.md, the resources' files   the latest release
        releases/<version>/                                                  every release, whole

A release folder is written once, with the dataset folder's swap (:mod:`opendata.storage`),
and never changed after: readers, the catalogue, ``opendata diff`` and the object-store
mirror find versions, descriptors and files through these functions only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RELEASES = "releases"
DESCRIPTOR = "datapackage.json"
CHANGES = "changes.json"
CHANGELOG = "CHANGELOG.md"
RELEASES_INDEX = "releases.json"
CHANGELOG_TITLE = "# Journal des versions — {name}\n\n"


def version_key(version: str) -> tuple[int, ...]:
    """``"1.10.0"`` sorts after ``"1.9.0"``."""
    return tuple(int(part) for part in version.split("."))


def versions(dataset_folder: Path) -> list[str]:
    """The dataset's releases, oldest first (none when it was never published)."""
    folder = dataset_folder / RELEASES
    if not folder.is_dir():
        return []
    return sorted((p.name for p in folder.iterdir() if p.is_dir()), key=version_key)


def folder(dataset_folder: Path, version: str) -> Path:
    """The folder of one release."""
    return dataset_folder / RELEASES / version


def key(version: str, name: str) -> str:
    """The path of a release's file, relative to the dataset folder (and in a store)."""
    return f"{RELEASES}/{version}/{name}"


def in_a_release(relative: str) -> bool:
    """Whether a path relative to the dataset folder belongs to a release folder."""
    return relative.startswith(f"{RELEASES}/")


def descriptor(dataset_folder: Path, version: str) -> dict[str, Any]:
    """The ``datapackage.json`` of one release."""
    text = (folder(dataset_folder, version) / DESCRIPTOR).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def top_files(dataset_folder: Path, version: str) -> dict[str, bytes]:
    """The files at the top of a release folder, by name (what ``opendata diff`` compares)."""
    base = folder(dataset_folder, version)
    return {p.name: p.read_bytes() for p in base.iterdir() if p.is_file()}


def earlier_files(dataset_folder: Path) -> dict[str, Path]:
    """Every file of every existing release, by path relative to the dataset folder: a new
    release keeps them (the swap links them, never copies)."""
    base = dataset_folder / RELEASES
    if not base.is_dir():
        return {}
    return {str(p.relative_to(dataset_folder)): p for p in sorted(base.rglob("*")) if p.is_file()}


def changelog(dataset_folder: Path, name: str, entry: str) -> bytes:
    """The changelog with ``entry`` (the new release's) first, the history after it."""
    title = CHANGELOG_TITLE.format(name=name)
    path = dataset_folder / CHANGELOG
    history = path.read_text(encoding="utf-8") if path.exists() else ""
    history = history.removeprefix(title)
    return (title + entry + ("\n" + history.lstrip("\n") if history else "")).encode()


def index(dataset_folder: Path, name: str, new: tuple[str, str | None] | None = None) -> bytes:
    """``releases.json``: every release of the dataset, oldest first, for a consumer who pins
    one: its version, date and the paths of its descriptor and changes. ``new`` is the release
    being written (version, date), not yet in a folder."""
    found = [(v, descriptor(dataset_folder, v).get("created")) for v in versions(dataset_folder)]
    if new is not None and new[0] not in {v for v, _ in found}:
        found.append(new)
    releases = [
        {
            "version": version,
            "date": (created or "")[:10] or None,
            "datapackage": key(version, DESCRIPTOR),
            "changes": key(version, CHANGES),
        }
        for version, created in sorted(found, key=lambda vc: version_key(vc[0]))
    ]
    body: dict[str, Any] = {"name": name, "latest": releases[-1]["version"] if releases else None}
    body["releases"] = releases
    return (json.dumps(body, ensure_ascii=False, indent=2) + "\n").encode()
