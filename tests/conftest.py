"""Fixtures shared by the test modules."""

from __future__ import annotations

import pytest

from layervec_ext.core.runtime import pin_kernels

pin_kernels()  # before numpy and torch load: the kernels the command runs with, so the same pictures


@pytest.fixture(scope="module")
def one_thread():
    """One intra-op torch thread, as the CLI runs: on a shared 2-core machine a second OpenMP thread
    waiting for a busy core makes small ops many times slower (layervec_ext/docs/DESIGN.md §4).
    A module opts in with ``pytestmark = pytest.mark.usefixtures("one_thread")``; torch is imported
    only then, so modules that don't need it never load it."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
