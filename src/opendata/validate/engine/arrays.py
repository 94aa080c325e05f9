"""What every part of the engine uses: the thread pool that casts and checks whole columns in
parallel (Arrow's kernels release the GIL), and masks out of Arrow booleans."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

THREADS = max(2, os.cpu_count() or 2)
_POOL: list[ThreadPoolExecutor] = []
_POOL_LOCK = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The threads that check columns side by side (Arrow kernels release the GIL), started
    once: a file is checked in many batches."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="engine"))
        return _POOL[0]


def mask(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(array, False).to_numpy(zero_copy_only=False), dtype=bool)
