"""Every source's example deliveries, kept beside its contract, give what is pinned there.

Driven by the registry only: a new source's ``examples/`` and ``examples.json`` are checked
without any list here. Pins are (row, column as the file writes it, problem type).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from opendata.contracts import registry
from opendata.validate.file import validate_file
from tests.conftest import RAW

CASES = [
    (name, file)
    for name in sorted(registry.sources())
    for file in sorted(registry.examples(name)[1])
]


def test_every_source_has_a_valid_and_an_invalid_example_and_each_file_is_pinned() -> None:
    for name in registry.sources():
        folder, pins = registry.examples(name)
        files = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        assert files and files == sorted(pins), (name, files, sorted(pins))
        assert {pin["valid"] for pin in pins.values()} == {True, False}, name
        for file, pin in pins.items():
            assert pin["valid"] == (not pin["errors"]), (name, file)


@pytest.mark.parametrize(("source", "file"), CASES, ids=[f"{s}/{f}" for s, f in CASES])
def test_each_example_gives_its_pinned_findings(source: str, file: str) -> None:
    folder, pins = registry.examples(source)
    report = validate_file(Path(folder) / file, registry.source(source), RAW).report
    assert report.valid == pins[file]["valid"]
    assert [list(t) for t in report.flatten()] == pins[file]["errors"]
    assert [[w.row, w.label, w.type] for w in report.warnings] == pins[file]["warnings"]
