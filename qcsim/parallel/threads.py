"""One BLAS thread per process while qcsim computes.

numpy and scipy each load their own OpenBLAS, and each starts a pool of one
thread per core.  qcsim's work is its own single-threaded kernels and the
solvers' vector operations (dot products and updates, memory-bound), which
call both libraries in turn; the two pools then compete for the cores, each
spinning while the other works.  Measured on a 2-core machine: the main
example deck (cu_crack_111) took 73 s with the pools at their default size
and 21 s with one thread each; a 108,000-atom relaxation 8.7 s against
4.4 s on one process, and 24.7 s against 2.5 s on two MPI ranks (four pools
on two cores).

:func:`one_blas_thread` limits both pools to one thread while qcsim runs
(the ``qcsim`` command, :func:`qcsim.solvers.lbfgs` and
:func:`qcsim.solvers.fire`) and restores them afterwards.  A user who sets
``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS`` or ``MKL_NUM_THREADS`` has
chosen, and is left alone.
"""
from __future__ import annotations

import contextlib
import os

__all__ = ["one_blas_thread", "THREAD_VARIABLES"]

THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_depth = 0  # nested calls pay for the limit once


@contextlib.contextmanager
def one_blas_thread():
    """Context, or decorator (``@one_blas_thread()``): the BLAS thread pools of this
    process at one thread; nested uses pay for the limit once."""
    global _depth
    limit = contextlib.nullcontext()
    if not _depth and not any(v in os.environ for v in THREAD_VARIABLES):
        import numpy  # noqa: F401  (a pool is limited only if its library is loaded)
        import scipy.linalg.blas  # noqa: F401  (scipy's own OpenBLAS)
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=1, user_api="blas")
    _depth += 1
    try:
        with limit:
            yield
    finally:
        _depth -= 1
