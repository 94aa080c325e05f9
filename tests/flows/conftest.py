"""One Prefect test harness for the whole flow tier, with its own PREFECT_HOME."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

import pytest

os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="opendata-prefect-home-")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

from prefect.testing.utilities import prefect_test_harness


@pytest.fixture(autouse=True, scope="session")
def prefect_harness() -> Iterator[None]:
    # Generous: on a loaded 2-core machine the test server can take well over a minute.
    with prefect_test_harness(server_startup_timeout=300):
        yield
