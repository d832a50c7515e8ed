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
