"""Process settings for the compute-heavy entry points (the CLI and the benchmarks).

All of it must run before numpy and torch load:

* OpenMP and BLAS threads: idle OpenMP workers spinning on a busy 2-core machine made a renderer
  step 70× slower (layervec_ext/docs/DESIGN.md §4), and numpy's least squares must not fan out over cores other
  processes are using.
* glibc's allocator: by default it serves every block over a few MiB with a fresh ``mmap`` and
  unmaps it on free, so each fragment-sized tensor (tens of MiB, several per step) is
  page-faulted in anew — a step at 512², 128 paths spent a third of its time there. Served from
  the heap and kept when freed, the memory is reused from step to step. The command is a
  short-lived process, so keeping its peak is the right trade.
* BLAS kernels: MKL (PyTorch's) and OpenBLAS (numpy's) pick their kernels by the CPU, each
  rounding a product's sums its own way, and a fit follows every last bit — the same picture came
  out 1.1 dB apart on two machines (DESIGN §4, "The same SVG on every x86-64 machine"). Pinned to
  kernels that every x86-64 CPU with AVX2 runs alike, the SVG is the same on all of them.
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
    pin_blas_kernels()
    keep_freed_memory()


def pin_blas_kernels() -> None:
    """Before numpy and torch load: MKL's COMPATIBLE branch (the one MKL keeps alike on Intel and
    AMD CPUs) and OpenBLAS's Haswell kernels (where the CPU has AVX2 and FMA: on one without, they
    would not run) — over any the environment names, since the same SVG everywhere is the promise."""
    os.environ["MKL_CBWR"] = "COMPATIBLE"
    if {"avx2", "fma"} <= cpu_flags():
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"


def cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux lists them (empty elsewhere: nothing is pinned there)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            for line in info:
                if line.startswith("flags"):
                    return set(line.partition(":")[2].split())
    except OSError:
        pass
    return set()


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
