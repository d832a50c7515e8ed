"""numpy's and scipy's BLAS pools run one thread per process while qcsim computes
(qcsim.parallel.threads): two pools of one thread per core took turns in the
solvers' vector work and made the main example deck 3.4 times slower."""
from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from qcsim.parallel.threads import THREAD_VARIABLES, one_blas_thread
from qcsim.solvers import fire, lbfgs


def blas_threads() -> list[int]:
    import scipy.linalg.blas  # noqa: F401  (scipy's own OpenBLAS)

    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


@pytest.fixture
def no_thread_variables(monkeypatch):
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def test_one_thread_inside_and_the_pools_restored_after(no_thread_variables):
    before = blas_threads()
    assert len(before) >= 1
    with one_blas_thread():
        assert set(blas_threads()) == {1}
        with one_blas_thread():  # nested: still one
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}
    assert blas_threads() == before


def test_a_users_thread_setting_is_left_alone(monkeypatch):
    from threadpoolctl import threadpool_limits

    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    with threadpool_limits(limits=2, user_api="blas"):
        chosen = blas_threads()
        with one_blas_thread():
            assert blas_threads() == chosen


@pytest.mark.parametrize("solver", [lbfgs, fire])
def test_solvers_run_on_one_blas_thread(no_thread_variables, solver):
    seen = []

    def fun(x):
        seen.append(set(blas_threads()))
        return 0.5 * float(x @ x), x.copy()

    res = solver(fun, np.full(30, 0.01), fmax=1e-8, max_steps=200)
    assert res.converged and seen and all(s == {1} for s in seen)
