"""Shared paths and helpers. The Prefect harness lives in tests/flows/conftest.py only."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "raw"
FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def raw_copy(tmp_path: Path) -> Path:
    """A writable copy of the committed sample deliveries."""
    target = tmp_path / "raw"
    shutil.copytree(RAW, target)
    return target


OPENDATA = str(Path(sys.executable).parent / "opendata")


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
