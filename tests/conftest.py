"""Shared paths and helpers. The Prefect harness lives in tests/flows/conftest.py only."""

from __future__ import annotations

import shutil
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
