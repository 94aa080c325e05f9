"""The committed sample deliveries are exactly what the seeded generator writes."""

from __future__ import annotations

from pathlib import Path

from opendata.datasets import write_samples
from tests.conftest import RAW


def test_generator_reproduces_the_committed_raw_files(tmp_path: Path) -> None:
    written = write_samples(tmp_path)
    assert sorted(p.relative_to(tmp_path) for p in written) == sorted(
        p.relative_to(RAW) for p in RAW.rglob("*") if p.is_file()
    )
    for path in written:
        assert path.read_bytes() == (RAW / path.relative_to(tmp_path)).read_bytes(), path


def test_another_seed_gives_other_data(tmp_path: Path) -> None:
    first = write_samples(tmp_path / "a", seed=1)
    second = write_samples(tmp_path / "b", seed=2)
    assert first[0].read_bytes() != second[0].read_bytes()
