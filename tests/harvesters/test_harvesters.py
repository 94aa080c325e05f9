"""The catalogue as the portals that harvest it read it: data.gouv.fr's udata and CKAN's
ckanext-dcat, their own code, pinned and offline, each in an environment of its own
(``make harvesters`` builds ``.venv-harvesters/`` from the requirement files beside this one).

The published sample is served on loopback with its public address set, as a portal fetches it;
the test fails on any dataset refused, any distribution without an absolute address, any
licence not recognised, any dataset without a place a map can show.
"""

from __future__ import annotations

import functools
import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from opendata.contracts import registry
from opendata.publish import dcat

HERE = Path(__file__).resolve().parent
ENVIRONMENTS = HERE.parents[1] / ".venv-harvesters"
ODBL = "odc-odbl"


def _python(name: str) -> Path:
    python = ENVIRONMENTS / name / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: `make harvesters` builds it (make test does it first)")
    return python


@pytest.fixture(scope="module")
def served(published_sample: Path) -> Iterator[str]:
    """The published sample on a loopback HTTP server; its catalogue built with that address."""
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(published_sample))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def catalogue_url(served: str, published_sample: Path, tmp_path_factory: pytest.TempPathFactory):
    """The address of a catalogue built for ``served`` (the sample keeps its relative one)."""
    built = json.dumps(dcat.build(published_sample, base=served), ensure_ascii=False)
    # The sample folder is shared read-only: the absolute catalogue is served beside it.
    name = f"catalog-{tmp_path_factory.getbasetemp().name}.jsonld"
    target = published_sample / name
    target.write_text(built, encoding="utf-8")
    try:
        yield served + name
    finally:
        target.unlink()


def _run(environment: str, script: str, url: str, out: Path) -> dict:
    result = subprocess.run(
        [str(_python(environment)), str(HERE / script), url, str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=out.parent,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(out.read_text(encoding="utf-8"))


def _expected_files(published: Path) -> dict[str, int]:
    return {
        name: len(dcat._files(json.loads((published / name / "datapackage.json").read_text())))
        for name in registry.datasets()
    }


def test_data_gouv_fr_harvests_every_dataset(
    catalogue_url: str, served: str, published_sample: Path, tmp_path: Path
) -> None:
    harvest = _run("udata", "udata_harvest.py", catalogue_url, tmp_path / "udata.json")
    assert harvest["errors"] == []
    refused = [i for i in harvest["items"] if i["status"] != "done"]
    assert refused == [], refused
    assert harvest["status"] == "done"
    by_id = {d["remote_id"]: d for d in harvest["datasets"]}
    assert sorted(by_id) == sorted(registry.datasets())
    for name, files in _expected_files(published_sample).items():
        dataset = by_id[name]
        assert dataset["license"] == ODBL, (name, dataset["license"])
        assert dataset["spatial"], name
        assert dataset["temporal"], name
        assert len(dataset["resources"]) == files
        for resource in dataset["resources"]:
            assert resource["url"].startswith(served + name + "/"), resource
            assert len(resource["checksum"]) == 64 and resource["filesize"] > 0


def test_ckan_reads_every_dataset(
    catalogue_url: str, served: str, published_sample: Path, tmp_path: Path
) -> None:
    parsed = _run("ckan", "ckan_parse.py", catalogue_url, tmp_path / "ckan.json")
    by_id = {d["identifier"]: d for d in parsed["datasets"]}
    assert sorted(by_id) == sorted(registry.datasets())
    for name, files in _expected_files(published_sample).items():
        dataset = by_id[name]
        assert (dataset["license_id"], dataset["license_in_register"]) == (ODBL, True), name
        assert json.loads(dataset["spatial"])["type"] == "Polygon", name
        assert len(dataset["resources"]) == files
        for resource in dataset["resources"]:
            assert resource["url"].startswith(served + name + "/"), resource
            assert len(resource["hash"]) == 64


def test_without_its_public_address_the_catalogue_is_refused(
    published_sample: Path, served: str, tmp_path: Path
) -> None:
    """Why the address matters: with relative links (a local ``make publish``), udata resolves
    every file against its own folder and refuses every dataset. If this ever passes, the
    harvester changed and the rule that a served publication needs its address may be relaxed."""
    name = f"catalog-relative-{tmp_path.name}.jsonld"
    (published_sample / name).write_bytes(dcat.render(published_sample, base=""))
    try:
        harvest = _run("udata", "udata_harvest.py", served + name, tmp_path / "udata.json")
    finally:
        (published_sample / name).unlink()
    assert harvest["items"] and all(i["status"] == "failed" for i in harvest["items"])
    assert all("Invalid URL" in " ".join(i["errors"]) for i in harvest["items"])
