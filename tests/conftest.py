"""Shared paths and helpers. The Prefect harness lives in tests/flows/conftest.py only."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
SOURCES = ROOT / "schemas" / "sources"


class _Fixtures:
    """``FIXTURES / "<source>/<file>"`` is a source's example file, kept beside its contract
    (``schemas/sources/<source>/examples/``); any other name is a test fixture of
    ``tests/fixtures/`` (release trees)."""

    def __truediv__(self, part: str | Path) -> Path:
        first, _, rest = str(part).partition("/")
        base = (
            SOURCES / first / "examples"
            if (SOURCES / first).is_dir()
            else Path(__file__).parent / "fixtures" / first
        )
        return base / rest if rest else base


FIXTURES = _Fixtures()
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture(autouse=True)
def _a_long_lived_process() -> object:
    """Each test starts as a long-lived process reads a large file: ``opendata validate`` run
    in the test process (``cli.main``) sets it up for one file (``onefile.set_up``: larger
    batches, pieces parsed ahead, a month kept whole, the cyclic collector off, pandas kept
    out, a month's reading begun early), which would change the tests after it."""
    import gc

    from opendata.validate.readers import batches as reading
    from opendata.validate.readers import csvpieces, prefetch

    process, ahead = dict(reading.PROCESS), dict(csvpieces.AHEAD)
    yield
    reading.PROCESS.update(process)
    csvpieces.AHEAD.update(ahead)
    gc.enable()
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, prefetch._NoPandas)]
    started = reading._STARTED.pop("reading", None)  # a reading begun and never taken
    if started is not None:
        started[1].close()


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of the committed sample deliveries."""
    target = tmp_path / "raw"
    shutil.copytree(RAW, target)
    return target


# The committed sample month has 99,200 sessions; Frictionless reads each row in Python (about
# 10 s a file, CSV and Parquet): the modules that only read a publication share one made with a
# small month of the same generator and the same month.
SMALL_MONTH_ROWS = 3_100


@pytest.fixture(scope="session")
def small_raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The committed deliveries with a small October 2007 of sessions (100 a day, 4 re-sent).
    Read only."""
    from opendata.datasets.wifi_hotspots.samples import SAMPLE_MONTH, write_month

    target = tmp_path_factory.mktemp("small-raw") / "raw"
    shutil.copytree(RAW, target)
    write_month(target, SAMPLE_MONTH, rows=SMALL_MONTH_ROWS, resent=4)
    return target


@pytest.fixture(scope="session")
def published_sample(small_raw: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every dataset published once from :func:`small_raw`, shared by the modules that only
    read a publication (the catalogue page, DCAT, the package files, consumers). Read only."""
    from opendata.contracts import registry
    from opendata.publish import steps

    out = tmp_path_factory.mktemp("published-sample")
    for name in sorted(registry.datasets()):
        assert steps.publish(name, small_raw, out) == out / name
    return out


OPENDATA = str(Path(sys.executable).parent / "opendata")
_PREFECT_TEMPLATE: list[Path] = []


def fresh_prefect_home(target: Path) -> Path:
    """A Prefect home of its own at ``target`` whose database is already created: a copy of
    one migrated once per test session (creating and migrating Prefect's SQLite database took
    about 6 s of every command started with an empty home). ``make publish`` and the README
    test still start from an empty one."""
    import subprocess
    import tempfile

    if not _PREFECT_TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="opendata-prefect-template-"))
        subprocess.run(
            [str(Path(sys.executable).parent / "prefect"), "server", "database", "upgrade", "-y"],
            env={**os.environ, "PREFECT_HOME": str(template)},
            check=True,
            capture_output=True,
            timeout=300,
        )
        _PREFECT_TEMPLATE.append(template)
    shutil.copytree(_PREFECT_TEMPLATE[0], target, dirs_exist_ok=True)
    return target


def publish_command(dataset: str, raw_dir: Path, published_dir: Path) -> list[str]:
    """``opendata publish`` of one dataset, as the data team types it."""
    return [
        OPENDATA,
        "publish",
        "--dataset",
        dataset,
        "--raw-dir",
        str(raw_dir),
        "--published-dir",
        str(published_dir),
    ]
