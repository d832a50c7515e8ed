"""The communicator seam: the solvers and the model reduce through it, and with the
serial communicator nothing changes."""
from __future__ import annotations

import numpy as np
import pytest

from qcsim.parallel import SERIAL, SerialComm, StopFlag
from qcsim.solvers import fire, lbfgs


class Recording(SerialComm):
    """The serial communicator, counting what passes through it."""

    def __init__(self):
        self.calls = {}

    def _count(self, name):
        self.calls[name] = self.calls.get(name, 0) + 1

    def sum(self, value):
        self._count("sum")
        return super().sum(value)

    def max(self, value):
        self._count("max")
        return super().max(value)

    def dot(self, a, b):
        self._count("dot")
        return super().dot(a, b)

    def norm(self, a):
        self._count("norm")
        return super().norm(a)


def quadratic(n=30, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, n))
    A = A @ A.T + n * np.eye(n)
    b = rng.standard_normal(n)
    return lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b), np.zeros(n)


@pytest.mark.parametrize("solver, reductions", [(lbfgs, {"dot", "max"}),
                                                (fire, {"dot", "norm", "max"})])
def test_solvers_reduce_through_the_communicator(solver, reductions):
    fun, x0 = quadratic()
    comm = Recording()
    ours = solver(fun, x0, fmax=1e-8, max_steps=5000, comm=comm)
    plain = solver(fun, x0, fmax=1e-8, max_steps=5000)
    assert ours.converged and reductions <= set(comm.calls)
    np.testing.assert_array_equal(ours.x, plain.x)  # the serial seam changes nothing
    assert ours.iterations == plain.iterations


def test_the_model_sums_its_energy_through_the_communicator():
    from qcsim import Calculator
    from qcsim.build import SlabSetup, build_slab_model
    from qcsim.lattice import Crystal

    pot = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"]).potential
    crystal = Crystal("fcc", 3.6149, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu")
    model, _ = build_slab_model(pot, crystal, SlabSetup(r_core=8.0, r_outer=30.0))
    U = 0.01 * np.random.default_rng(2).standard_normal(model.U_nc.shape)
    E_serial = model.energy_gradient(U)[0]
    model.comm = Recording()
    assert model.energy_gradient(U)[0] == E_serial
    assert model.comm.calls["sum"] == 2  # the atoms' share and the continuum's


def test_a_stop_request_is_agreed_at_a_safe_point():
    flag = StopFlag(SERIAL)
    assert not flag.agreed()
    flag.request(15)
    flag.request(2)  # the first request stands
    assert flag.agreed() and flag.requested == 15


def test_the_serial_communicator_splits_into_itself():
    assert SERIAL.split(3) is SERIAL and SERIAL.gather(5) == [5] and SERIAL.bcast(7) == 7


# -- independent jobs (several decks) on one process -----------------------------------
def test_jobs_run_in_order_and_the_first_failure_ends_the_others():
    from qcsim.parallel.jobs import JobResult, run_jobs

    ran = []

    def job(index, group, stopping):
        assert group is SERIAL and not stopping()
        ran.append(index)
        if index == 1:
            return JobResult(index, 3, "not converged", "no")
        return JobResult(index, 0, "ok", "yes")

    results, code = run_jobs(SERIAL, ["a", "b", "c"], 1, job)
    assert ran == [0, 1] and code == 3
    assert [(r.index, r.status, r.code) for r in results] == [
        (0, "ok", 0), (1, "not converged", 3), (2, "not started", None)]
    assert results[2].message == "not started: job ended because b failed on rank 0"
    ran.clear()
    results, code = run_jobs(SERIAL, ["a", "b", "c"], 1, job, keep_going=True)
    assert ran == [0, 1, 2] and code == 3 and [r.status for r in results] == [
        "ok", "not converged", "ok"]


def test_a_stopped_job_starts_no_other():
    from qcsim.parallel.jobs import JobResult, run_jobs

    def job(index, group, stopping):
        return JobResult(index, 143, "stopped", "terminated by SIGTERM after load step 2")

    results, code = run_jobs(SERIAL, ["a", "b"], 1, job)
    assert code == 143 and [r.status for r in results] == ["stopped", "not started"]
    assert results[1].message == "not started: terminated by SIGTERM"


def test_the_exit_code_of_a_job():
    from qcsim.parallel.jobs import JobResult, job_exit_code

    ok, stop = JobResult(0, 0, "ok", ""), JobResult(1, 130, "stopped", "")
    bad, worse = JobResult(2, 3, "not converged", ""), JobResult(3, 2, "failed", "")
    assert job_exit_code([ok]) == 0
    assert job_exit_code([ok, stop]) == 130
    assert job_exit_code([ok, stop, bad, worse]) == 3  # the first failure
    assert job_exit_code([ok, stop, bad, worse], (0, 3, "x")) == 2  # the one that ended it
    assert job_exit_code([JobResult(0, None, "not started", "")], signum=15) == 143
