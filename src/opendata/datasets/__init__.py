"""Each published dataset's own code, in one folder named after it (``wifi-hotspots`` →
``datasets/wifi_hotspots/``), found by name as its contract folder under ``schemas/`` is:

``transform.py``
    the pure transform, ``transform(inputs) -> frames`` (see :mod:`opendata.datasets.protocol`);
``charts.py`` (optional)
    ``CHARTS``: the catalogue page's charts of the dataset, each with the resources it reads;
``large.py`` (when a source of the dataset is on the Arrow engine)
    the stages of that large source, processed on disk a part at a time (the Wi-Fi sessions:
    each delivery, then each month). It provides ``STAGES`` (name → :class:`Stage`: what the
    flow runs as tasks, locally or on a Dask cluster), ``stages(collected, dataset, raw_dir,
    work_dir)`` (a generator: yields each stage's name and calls, is sent back their results,
    adds reports and built parts to ``collected``; whoever drives it runs the calls, see
    :func:`opendata.publish.steps.drive`), ``tables(parts)`` (the tables aggregated from the
    parts), ``files(parts)`` (the files of each partitioned resource) and ``check(frames,
    parts)`` (problems between the parts and the other tables: nothing is published when there
    are some);
``samples.py`` (optional)
    generated deliveries: ``write_month(raw_dir, month, seed, rows)`` writes one month of the
    dataset's large source (``opendata generate-months --dataset <dataset>``: benchmarks,
    trials), and the module may give ``opendata generate-samples`` its committed sample.

Nothing in the generic modules names a dataset: they ask :func:`module` for what they need.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Stage:
    """One stage of a large source: a function of files, run once per call, and the name of
    each of its runs in Prefect (a template of its parameters, e.g. ``"build-month-{month}"``)."""

    function: Callable[..., Any]
    run_name: str


def package_name(dataset: str) -> str:
    """The folder (and package) of a dataset's code."""
    return dataset.replace("-", "_")


def module(dataset: str, part: str) -> ModuleType | None:
    """``datasets/<dataset>/<part>.py``, or None when the dataset has no such part."""
    name = f"{__name__}.{package_name(dataset)}.{part}"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name in (name, f"{__name__}.{package_name(dataset)}"):
            return None
        raise


def write_samples(raw_dir: Path, seed: int = 2008) -> list[Path]:
    """Write every dataset's sample deliveries under ``raw_dir``: the ``WRITERS`` of each
    ``datasets/<dataset>/samples.py`` (each given a generator seeded by its own name, so that
    a writer's files do not change when another is added), then its generated ``write_sample``.
    The same seed gives the same bytes."""
    from opendata.contracts import registry

    written: list[Path] = []
    for dataset in sorted(registry.datasets()):
        samples = module(dataset, "samples")
        if samples is None:
            continue
        for writer in getattr(samples, "WRITERS", ()):
            written.extend(writer(raw_dir, random.Random(f"{seed}-{writer.__name__}")))
        if hasattr(samples, "write_sample"):
            written.append(samples.write_sample(raw_dir, seed))
    return written
