"""Mirror the published root to object storage (S3 or anything fsspec reaches).

Set ``OPENDATA_PUBLISHED_URL`` (``s3://bucket/prefix``) and, if needed,
``OPENDATA_STORAGE_OPTIONS`` (fsspec options as JSON: ``{"endpoint_url": ...}``; credentials
come from the usual AWS variables). Each release written locally is then mirrored, in an order
that makes the switch atomic for readers of the package:

1. the files of every release not yet in the store (``releases/<version>/...``: new keys, never
   rewritten, so a reader of an older descriptor keeps finding what it lists);
2. the changelog, ``changes.json`` and the latest files at the top of the dataset folder (the
   convenience links of the catalogue), then ``catalog.jsonld`` and ``index.html``;
3. last, in one PUT (atomic on S3), the dataset's ``datapackage.json``, whose paths point into
   ``releases/<version>/``: the version readers see switches at once, from a complete set.

A failure at any step leaves the store's descriptor on the previous version, every file it
lists intact; the next publish finishes the mirror. The local published folder stays the
reference (it is what the release rules compare against).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from opendata import settings
from opendata.publish import releasestore

SWITCH = "datapackage.json"


def configured() -> tuple[str, dict[str, Any]] | None:
    """The object-store root and its fsspec options, from the settings; None when unset."""
    url = settings.PUBLISHED_URL.get()
    if not url:
        return None
    return url.rstrip("/"), settings.STORAGE_OPTIONS.get() or {}


def _filesystem(url: str, options: dict[str, Any]) -> tuple[Any, str]:
    import fsspec

    fs, root = fsspec.core.url_to_fs(url, **options)
    return fs, root.rstrip("/")


def pointer(descriptor: dict[str, Any]) -> dict[str, Any]:
    """The store's descriptor: the same package, its files addressed in its release folder."""
    prefix = releasestore.key(descriptor["version"], "")
    switched = json.loads(json.dumps(descriptor))
    for resource in switched["resources"]:
        if isinstance(resource["path"], list):
            resource["path"] = [prefix + p for p in resource["path"]]
        else:
            resource["path"] = prefix + resource["path"]
        for part in resource.get("x-parts", []):
            part["path"] = prefix + part["path"]
    return switched


def store_version(url: str, options: dict[str, Any], dataset: str) -> str | None:
    """The version the store serves for ``dataset`` (None: nothing yet)."""
    fs, root = _filesystem(url, options)
    key = f"{root}/{dataset}/{SWITCH}"
    if not fs.exists(key):
        return None
    version: str | None = json.loads(fs.cat_file(key)).get("version")
    return version


def mirror(published_dir: Path, dataset: str, url: str, options: dict[str, Any]) -> list[str]:
    """Bring the store up to the local publication of ``dataset``; the keys written."""
    fs, root = _filesystem(url, options)
    folder = published_dir / dataset
    descriptor = json.loads((folder / SWITCH).read_text(encoding="utf-8"))
    if store_version(url, options, dataset) == descriptor["version"]:
        return []
    base = f"{root}/{dataset}"
    releases = f"{base}/{releasestore.RELEASES}"
    present = set(fs.find(releases)) if fs.exists(releases) else set()
    written: list[str] = []

    def put(path: Path, key: str) -> None:
        fs.put_file(str(path), key)
        written.append(key)

    for relative, path in releasestore.earlier_files(folder).items():
        key = f"{base}/{Path(relative).as_posix()}"
        if key not in present:
            put(path, key)
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        if path.is_file() and not releasestore.in_a_release(relative) and relative != SWITCH:
            put(path, f"{base}/{relative}")
    for name in ("catalog.jsonld", "index.html", "catalogue.js"):
        if (published_dir / name).exists():
            put(published_dir / name, f"{root}/{name}")
    switch = (json.dumps(pointer(descriptor), ensure_ascii=False, indent=2) + "\n").encode()
    fs.pipe_file(f"{base}/{SWITCH}", switch)
    written.append(f"{base}/{SWITCH}")
    return written
