"""Reading ahead in a thread while the caller works, and a process's Arrow set up for large
files: jemalloc giving memory back at once, and no pandas imported behind the caller's back."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from queue import Empty, Full, Queue
from typing import Any, TypeVar

import pyarrow as pa

# Arrow's memory for a large delivery comes from jemalloc, told to give freed pages back to the
# system at once: with the default pool (mimalloc) a month checked batch by batch kept the
# peak of every batch mapped, some 150 MiB more than it uses (unless the user chose a pool).
_JEMALLOC = False
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
        _JEMALLOC = True
    except NotImplementedError:  # a pyarrow built without jemalloc: keep its default
        pass

SHORT_DECAY_MS = 1000


def freed_memory_reused() -> None:
    """For a process that reads one file and ends: freed pages are kept a second for the next
    batch instead of given back at once (each batch's pages were mapped and zeroed again:
    0.1 s of system time on a month of 1.2 million rows)."""
    if _JEMALLOC:
        pa.jemalloc_set_decay_ms(SHORT_DECAY_MS)


class _NoPandas:
    """An import finder that says pandas is not installed."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError("pandas is not used by this command", name=name)


def pyarrow_without_pandas() -> None:
    """For a process that never uses pandas (``opendata validate`` of a large source): the
    first time pyarrow turns a Python or NumPy value into an array it imports pandas, only to
    ask whether the value is a pandas object (0.16 s of a steward's 0.9 s). From this call on,
    pandas cannot be imported in this process; nothing if it already is."""
    import sys

    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())


T = TypeVar("T")


def prefetched(batches: Iterator[T], depth: int = 2) -> Reading[T]:
    """``batches`` read ahead in a thread started now, ``depth`` at most waiting: the next
    batch is decompressed and parsed while this one is checked. An error of the reader is
    raised here, at the batch where it happened."""
    return Reading(batches, depth)


class Reading(Iterator[T]):
    """Batches read ahead by a thread, which stops at the end, when the reading is closed, or
    when it is dropped, read or not (the thread holds only the queue and the stop event)."""

    def __init__(self, batches: Iterator[T], depth: int) -> None:
        self.queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
        self.stop = threading.Event()
        self.reader = threading.Thread(
            target=_read, args=(batches, self.queue, self.stop), name="arrowcsv-reader", daemon=True
        )
        self.reader.start()

    def __next__(self) -> T:
        if self.stop.is_set():
            raise StopIteration
        kind, value = self.queue.get()
        if kind == "batch":
            return value
        self.close()
        if kind == "error":
            raise value
        raise StopIteration

    def close(self) -> None:
        self.stop.set()
        while self.reader.is_alive():  # let a reader blocked on a full queue see the stop
            try:
                self.queue.get_nowait()
            except Empty:
                self.reader.join(0.05)

    def __del__(self) -> None:
        self.stop.set()  # its thread ends at its next batch


def _read(batches: Iterator[Any], queue: Queue[tuple[str, Any]], stop: threading.Event) -> None:
    try:
        for batch in batches:
            if not _put(queue, ("batch", batch), stop):
                return
        _put(queue, ("end", None), stop)
    except BaseException as exc:  # handed to the consumer, raised there
        _put(queue, ("error", exc), stop)


def _put(queue: Queue[tuple[str, Any]], item: tuple[str, Any], stop: threading.Event) -> bool:
    """``item`` queued, unless the reading is stopped first (False)."""
    while not stop.is_set():
        try:
            queue.put(item, timeout=0.1)
            return True
        except Full:
            continue
    return False
