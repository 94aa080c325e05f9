"""What a dataset's pure transform takes and returns; each transform lives in its dataset's
folder (``datasets/wifi_hotspots/transform.py``, see :mod:`opendata.datasets`).

A transform takes the validated deliveries of the dataset's sources and returns one frame per
published resource, with the published field names. No file, clock, network or logging inside:
the caller does the I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Delivered:
    """One validated delivery: its cells as text and as typed values, by contract label."""

    name: str
    date: dt.date | None
    text: pd.DataFrame
    values: pd.DataFrame


Inputs = dict[str, list[Delivered]]  # source id -> deliveries, oldest first
Frames = dict[str, pd.DataFrame]  # resource name -> rows, published field names
Transform = Callable[[Inputs], Frames]


def transform_for(dataset: str) -> Transform:
    """The ``transform`` function of ``datasets/<dataset>/transform.py``."""
    from opendata import datasets

    module = datasets.module(dataset, "transform")
    if module is None:
        raise KeyError(
            f"dataset {dataset!r} has no transform: write "
            f"src/opendata/datasets/{datasets.package_name(dataset)}/transform.py"
        )
    func: Transform = module.transform
    return func


def text_or_none(value: object) -> str | None:
    """A cell as text, with empty cells as None."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return str(value)
