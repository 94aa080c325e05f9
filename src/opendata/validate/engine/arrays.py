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
    """An Arrow boolean array as a NumPy mask, null as false: its bits unpacked (a tenth of
    the time of Arrow's conversion, which goes value by value)."""
    if isinstance(array, pa.ChunkedArray):
        if array.num_chunks == 1:
            return mask(array.chunk(0))
        return np.concatenate([mask(c) for c in array.chunks] or [np.zeros(0, dtype=bool)])
    if array.null_count:
        array = pc.fill_null(array, False)
    if not len(array):
        return np.zeros(0, dtype=bool)
    bits = np.frombuffer(array.buffers()[1], dtype=np.uint8)
    start = array.offset
    return np.unpackbits(bits, count=start + len(array), bitorder="little")[start:].view(bool)


def empty_cells(text: pa.ChunkedArray) -> np.ndarray:
    """Mask of the empty strings of a column of text, from its offsets (no Arrow array made)."""
    parts = []
    for chunk in text.chunks:
        if chunk.type != pa.string():  # another layout: Arrow's kernels
            parts.append(mask(pc.equal(pc.binary_length(chunk), 0)))
            continue
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
        offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
        parts.append(offsets[1:] == offsets[:-1])
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def fixed_width_bytes(array: pa.Array) -> np.ndarray | None:
    """The strings of ``array`` as a byte matrix (a row per string, no copy) when there is no
    null and every string has the same length in bytes (ids, codes, zero-padded dates); None
    otherwise. The lengths come from the offsets."""
    if array.type != pa.string() or array.null_count or not len(array):
        return None
    start = array.offset
    offsets = np.frombuffer(array.buffers()[1], dtype=np.int32)[start : start + len(array) + 1]
    width = int(offsets[1] - offsets[0])
    if not (np.diff(offsets) == width).all():
        return None
    data = np.frombuffer(array.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.reshape(len(array), width)
