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


def prefetched(batches: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``batches`` read ahead in a thread, ``depth`` at most waiting: the next batch is
    decompressed and parsed while this one is checked. An error of the reader is raised
    here, at the batch where it happened."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        queue.put(("batch", batch), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put(("end", None))
        except BaseException as exc:  # handed to the consumer, raised there
            queue.put(("error", exc))

    reader = threading.Thread(target=read, name="arrowcsv-reader", daemon=True)
    reader.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while reader.is_alive():  # let a reader blocked on a full queue see the stop
            try:
                queue.get_nowait()
            except Empty:
                reader.join(0.05)
