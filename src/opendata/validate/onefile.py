"""A process that validates one file and ends (``opendata validate``), set up for it.

A steward's month of 1.2 million sessions is checked in about a second, every core busy: what
a long-lived process (the portal's workers, a publication) keeps for later is here time taken
from the check. :func:`set_up` must run before numpy is imported (this module imports
nothing large); :func:`leave` ends the command without the interpreter's teardown.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import gc
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opendata.contracts.registry import Source

# glibc's mallopt parameters (malloc.h).
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD, _M_ARENA_MAX = -1, -3, -8
_MMAP_THRESHOLD = 32 << 20  # glibc's largest: a batch's arrays reuse freed memory
_TRIM_THRESHOLD = 1 << 30


def set_up() -> None:
    """Set this process up for one file, before numpy is imported:

    - numpy's BLAS runs on this thread only (``OPENBLAS_NUM_THREADS``, unless set): its
      threads, never used here, spin for 0.1 s of CPU after numpy's import, on the core
      the reader needs;
    - glibc keeps the memory freed by a batch for the next one instead of giving it back and
      faulting it in again (0.05 s of system time), in two arenas;
    - no cyclic garbage collection (a batch makes few Python objects; the collector walked
      every one of them again and again);
    - the reading of :func:`opendata.validate.readers.batches.one_file_reading`.
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _freed_memory_kept()
    gc.disable()
    from opendata.validate.readers import batches

    batches.one_file_reading()


def read_ahead(path: Path, source: Source) -> None:
    """Begin reading ``path`` now if ``source`` is read in batches (a machine export), while
    the checks are imported (:func:`opendata.validate.readers.batches.start`)."""
    if source.engine != "arrow":
        return
    from opendata.validate.readers import batches

    batches.start(path, source.csv.get("delimiter", ","), source.bounds())


def _freed_memory_kept() -> None:
    """glibc's allocator told to keep freed memory (nothing on another C library)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # musl and others: their own allocator, left as it is
        return
    mallopt(_M_ARENA_MAX, 2)
    mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)
    mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD)


def leave(code: int) -> None:
    """End the command with ``code`` once its output is written, without the interpreter's
    teardown (freeing a month's columns one by one: 0.03 s); nothing is left to write."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(BrokenPipeError, ValueError):  # a reader gone, a stream closed
            stream.flush()
    os._exit(code)
