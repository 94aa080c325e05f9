"""The published root on object storage: a real S3 API (moto's server on 127.0.0.1), reached
through fsspec/s3fs as a city's storage would be."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from opendata.datasets.wifi_hotspots.samples import write_month
from opendata.publish import mirror, steps
from tests.e2e.prefect_stack import BIN
from tests.helpers import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    server = subprocess.Popen(
        [str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=(tmp_path / "moto.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint, timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        options = {"endpoint_url": endpoint, "key": "testing", "secret": "testing"}
        import s3fs

        s3fs.S3FileSystem(**options).mkdir("city-opendata")
        monkeypatch.setenv("OPENDATA_PUBLISHED_URL", "s3://city-opendata/inclusion")
        monkeypatch.setenv("OPENDATA_STORAGE_OPTIONS", json.dumps(options))
        yield options
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _fs(options: dict[str, Any]) -> Any:
    import s3fs

    return s3fs.S3FileSystem(**options, skip_instance_cache=True)


def _served_consistently(options: dict[str, Any], dataset: str) -> str:
    """The store's version of ``dataset``, after checking every file its descriptor lists."""
    fs = _fs(options)
    base = f"city-opendata/inclusion/{dataset}"
    descriptor = json.loads(fs.cat_file(f"{base}/datapackage.json"))
    for resource in descriptor["resources"]:
        for part in resource.get("x-parts") or [resource]:
            assert part["path"].startswith(f"releases/{descriptor['version']}/")
            data = fs.cat_file(f"{base}/{part['path']}")
            assert part["hash"] == "sha256:" + hashlib.sha256(data).hexdigest(), part["path"]
    return str(descriptor["version"])


def test_releases_are_mirrored_and_switched_atomically(
    store: dict[str, Any], raw_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "published"
    shutil.rmtree(raw_copy / "wifi-sessions")  # a small wifi-hotspots: sites and one month
    write_month(raw_copy, "2007-10", rows=3000, resent=0)
    assert steps.publish("wifi-hotspots", raw_copy, local) is not None
    assert _served_consistently(store, "wifi-hotspots") == "1.0.0"
    fs = _fs(store)
    assert fs.exists("city-opendata/inclusion/catalog.jsonld")
    assert fs.exists("city-opendata/inclusion/wifi-hotspots/sites.csv")  # latest, for links
    sites = pd.read_csv(
        "s3://city-opendata/inclusion/wifi-hotspots/releases/1.0.0/sites.csv",
        storage_options=store,
    )
    assert len(sites) == 268

    # A new month; the mirror fails just before the switch (the network drops).
    write_month(raw_copy, "2007-11", rows=3000, resent=0)
    real_pipe = mirror.__dict__.get("_filesystem")

    class DropsBeforeTheSwitch:
        """The store, whose connection drops when the descriptor is written."""

        def __init__(self, fs: Any) -> None:
            self.fs = fs

        def __getattr__(self, name: str) -> Any:
            return getattr(self.fs, name)

        def pipe_file(self, *args: Any, **kwargs: Any) -> None:
            raise OSError("connection reset by peer")

    def failing_filesystem(url: str, options: dict[str, Any]) -> Any:
        fs, root = real_pipe(url, options)  # type: ignore[misc]
        return DropsBeforeTheSwitch(fs), root

    monkeypatch.setattr(mirror, "_filesystem", failing_filesystem)
    with pytest.raises(OSError):
        steps.publish("wifi-hotspots", raw_copy, local)
    # Locally the new release is there; the store still serves 1.0.0, complete.
    assert (
        json.loads((local / "wifi-hotspots" / "datapackage.json").read_text())["version"] == "1.1.0"
    )
    assert _served_consistently(store, "wifi-hotspots") == "1.0.0"
    assert _fs(store).exists(
        "city-opendata/inclusion/wifi-hotspots/releases/1.1.0/sessions-parquet/sessions-2007-11.parquet"
    )

    # The next publish (nothing new locally) finishes the mirror: one switch to 1.1.0.
    monkeypatch.setattr(mirror, "_filesystem", real_pipe)
    assert steps.publish("wifi-hotspots", raw_copy, local) is not None
    assert _served_consistently(store, "wifi-hotspots") == "1.1.0"
    old = _fs(store).cat_file(
        "city-opendata/inclusion/wifi-hotspots/releases/1.0.0/datapackage.json"
    )
    assert json.loads(old)["version"] == "1.0.0"  # a pinned release is still there, unchanged
    again = mirror.mirror(local, "wifi-hotspots", *mirror.configured())  # type: ignore[misc]
    assert again == []  # up to date: nothing written
