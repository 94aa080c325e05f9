"""Each published dataset's own code, in one folder named after it (``wifi-hotspots`` →
``datasets/wifi_hotspots/``), found by name as its contract folder under ``schemas/`` is:

``transform.py``
    the pure transform, ``transform(inputs) -> frames`` (see :mod:`opendata.transforms`);
``charts.py`` (optional)
    ``CHARTS``: the catalogue page's charts of the dataset, each with the resources it reads.

Nothing in the generic modules names a dataset: they ask :func:`module` for what they need.
"""

from __future__ import annotations

import importlib
from types import ModuleType


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
