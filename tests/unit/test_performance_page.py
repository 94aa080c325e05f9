"""``docs/performance.md`` is the latest benchmark results, as ``bench/performance_page.py``
writes it from ``bench/results/``: never prose drifting from what was measured."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "performance_page", ROOT / "bench" / "performance_page.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_is_the_latest_results() -> None:
    generator = _generator()
    page = (ROOT / "docs" / "performance.md").read_text(encoding="utf-8")
    assert page == generator.page(ROOT / "bench" / "results"), "run: make bench"


def test_every_benchmark_is_on_the_page_and_has_run() -> None:
    generator = _generator()
    scripts = {p.stem for p in (ROOT / "bench").glob("*.py")} - {"run", "performance_page"}
    assert set(generator.BENCHMARKS) == scripts
    missing = [n for n in scripts if not (ROOT / "bench" / "results" / f"{n}.txt").exists()]
    assert missing == [], "results missing: run make bench"
