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
* CPU kernels: OpenBLAS (numpy's BLAS) and numpy's own loops pick their code by the CPU — the
  products' sums in another order, a sort that leaves ties in another order (scikit-image's
  over-segmentation sorts its edges with numpy: the fox's regions came out otherwise with numpy's
  AVX-512 loops turned off) — and a fit follows every last bit (DESIGN §4, "The same SVG on every
  x86-64 machine"). Pinned to the code every x86-64 CPU with AVX2 runs alike, numpy gives the same
  numbers on all of them. (PyTorch's MKL chooses by the CPU too; the renderer computes without it:
  ``core/exact.py``.)
"""

from __future__ import annotations

import ctypes
import os
import sys
import warnings

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4


def prepare_process(threads: int = 1) -> None:
    """Pin thread pools to ``threads`` and keep freed memory in the heap (glibc only)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(threads))
    pin_kernels()
    keep_freed_memory()


# numpy's dispatch targets past AVX2, by the names of numpy 2.x and of numpy 1.x: each version
# knows some of them and warns about the others (the warning is swallowed at import).
_NUMPY_PAST_AVX2 = ("X86_V4 AVX512_ICL AVX512_SPR AVX512F AVX512CD AVX512_KNL AVX512_KNM AVX512_SKX "
                    "AVX512_CLX AVX512_CNL")


def pin_kernels() -> None:
    """Before numpy loads (it loads here): OpenBLAS's Haswell kernels and numpy's loops no wider
    than AVX2, where the CPU has AVX2 and FMA (on one without, they would not run) — over any the
    environment names, since the same SVG everywhere is the promise."""
    before = os.environ.get("NPY_DISABLE_CPU_FEATURES")
    if {"avx2", "fma"} <= cpu_flags():
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"
        os.environ["NPY_DISABLE_CPU_FEATURES"] = _NUMPY_PAST_AVX2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "You cannot disable CPU features (…)": names of another numpy
        import numpy  # noqa: F401
    # numpy read it once, at import; child processes get the environment as it was (Inkscape's own
    # numpy, told of features it does not know, would print a warning, which Inkscape shows as an error)
    if before is None:
        os.environ.pop("NPY_DISABLE_CPU_FEATURES", None)
    else:
        os.environ["NPY_DISABLE_CPU_FEATURES"] = before


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
