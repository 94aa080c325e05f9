"""Pure transforms, one module per dataset, named after it (``wifi-hotspots`` → ``wifi_hotspots``).

A transform takes the validated deliveries of the dataset's sources and returns one frame per
published resource, with the published field names. No file, clock, network or logging inside:
the caller does the I/O.
"""

from __future__ import annotations

import datetime as dt
import importlib
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
    """The ``transform`` function of the module named after ``dataset``."""
    module = importlib.import_module(f"opendata.transforms.{dataset.replace('-', '_')}")
    func: Transform = module.transform
    return func


def text_or_none(value: object) -> str | None:
    """A cell as text, with empty cells as None."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return None
    return str(value)
