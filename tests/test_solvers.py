"""FIRE and L-BFGS: convergence on the largest force, honest non-convergence."""
import numpy as np
import pytest
from ase.build import bulk

from qcsim import Calculator
from qcsim.solvers import fire, lbfgs, relax


def quadratic(n=30, seed=0):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(n, n))
    A = A @ A.T + n * np.eye(n)
    b = rng.normal(size=n)
    return (lambda x: (0.5 * x @ A @ x - b @ x, A @ x - b)), np.linalg.solve(A, b)


@pytest.mark.parametrize("solver", [fire, lbfgs])
def test_quadratic_minimum(solver):
    fun, x_star = quadratic()
    res = solver(fun, np.zeros(30), fmax=1e-9)
    assert res.converged
    assert np.abs(res.x - x_star).max() < 1e-9
    assert res.max_force <= 1e-9
    assert len(res.energy_k) == len(res.max_force_k) == res.iterations + 1


def test_preconditioner_with_exact_hessian_converges_in_one_step():
    fun, x_star = quadratic(seed=1)
    rng = np.random.default_rng(1)
    A = rng.normal(size=(30, 30))
    A = A @ A.T + 30 * np.eye(30)
    res = lbfgs(fun, np.zeros(30), fmax=1e-9, precon=lambda g: np.linalg.solve(A, g),
                params=__import__("qcsim.solvers", fromlist=["LBFGSParams"]).LBFGSParams(max_step=1e3))
    assert res.converged and res.iterations == 1


@pytest.mark.parametrize("solver", [fire, lbfgs])
def test_not_converged_is_reported(solver):
    fun, _ = quadratic()
    res = solver(fun, np.zeros(30), fmax=1e-12, max_steps=3)
    assert not res.converged
    assert "not converged" in res.message


@pytest.mark.parametrize("method", ["fire", "lbfgs"])
def test_relax_vacancy(method):
    atoms = bulk("Cu", "fcc", a=3.6149, cubic=True).repeat(3)
    del atoms[0]
    atoms.rattle(0.02, seed=5)
    atoms.calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    res = relax(atoms, method=method, fmax=1e-4)
    assert res.converged
    assert np.linalg.norm(atoms.get_forces(), axis=1).max() <= 1e-4
    assert res.energy_k[-1] < res.energy_k[0]
    # vacancy formation energy of Cu_mishin1: 1.27 eV (Mishin et al. 2001, relaxed)
    e_f = atoms.get_potential_energy() - len(atoms) * (-3.5402)
    assert abs(e_f - 1.27) < 0.03


@pytest.mark.parametrize("solver", [fire, lbfgs])
def test_invalid_trial_states_are_stepped_back_not_converged(solver):
    """States outside a model's range (infinite energy, NaN gradient) are rejected."""
    def fun(x):
        if np.abs(x).max() > 1.0:
            return float("inf"), np.full_like(x, np.nan)
        return 0.5 * float(x @ x) - 0.9 * x.sum(), x - 0.9

    res = solver(fun, np.zeros(3), fmax=1e-8)
    assert res.converged and np.allclose(res.x, 0.9)
    stuck = solver(lambda x: (float("inf"), np.full_like(x, np.nan)), np.zeros(3), fmax=1e-8,
                   max_steps=50)
    assert not stuck.converged


@pytest.mark.parametrize("solver", [fire, lbfgs])
def test_callback_can_stop_the_minimisation(solver):
    fun, _ = quadratic()
    seen = []

    def stop_at_4(k, e, f):
        seen.append(k)
        return k == 4

    res = solver(fun, np.zeros(30), fmax=1e-12, max_steps=500, callback=stop_at_4)
    assert not res.converged and res.message.startswith("stopped by the caller")
    assert res.iterations == 4 and seen == [0, 1, 2, 3, 4]
    assert fun(res.x)[0] == pytest.approx(res.energy)


def test_invalid_starting_state_is_reported_not_stepped_from():
    """A start outside the model's range (infinite energy, NaN gradient) gives a
    non-converged result at the start, never non-finite positions."""
    from qcsim.solvers import fire, lbfgs

    def fun(x):
        return float("inf"), np.full_like(x, np.nan)

    for solver in (lbfgs, fire):
        res = solver(fun, np.ones(6), fmax=1e-4, max_steps=10)
        assert not res.converged and res.iterations == 0
        assert np.all(res.x == 1.0) and "invalid starting state" in res.message
