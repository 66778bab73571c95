"""Process settings for the compute-heavy entry points (the CLI and the benchmarks).

Both must run before numpy and torch load, and both are about sharing a small machine:

* OpenMP and BLAS threads: idle OpenMP workers spinning on a busy 2-core machine made a renderer
  step 70× slower (layervec_ext/docs/DESIGN.md §4), and numpy's least squares must not fan out over cores other
  processes are using.
* glibc's allocator: by default it serves every block over a few MiB with a fresh ``mmap`` and
  unmaps it on free, so each fragment-sized tensor (tens of MiB, several per step) is
  page-faulted in anew — a step at 512², 128 paths spent a third of its time there. Served from
  the heap and kept when freed, the memory is reused from step to step. The command is a
  short-lived process, so keeping its peak is the right trade.
"""

from __future__ import annotations

import ctypes
import os
import sys

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def prepare_process(threads: int = 1) -> None:
    """Pin thread pools to ``threads`` and keep freed memory in the heap (glibc only)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    keep_freed_memory()


def keep_freed_memory() -> bool:
    """Tell glibc malloc never to ``mmap`` blocks and never to trim the heap. Returns whether it
    took (False off glibc: other allocators don't have the problem or ignore the call)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(_M_MMAP_MAX, 0)) and bool(libc.mallopt(_M_TRIM_THRESHOLD, 2**31 - 1))
    except (OSError, AttributeError):
        return False
