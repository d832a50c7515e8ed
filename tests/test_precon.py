"""The elastic preconditioner: SPD stiffness, and iteration counts independent of domain size."""
import numpy as np
import pytest

from qcsim.build import SlabSetup, build_slab_model
from qcsim.solvers import lbfgs
from qcsim.solvers.precon import ElasticPreconditioner


@pytest.fixture(scope="module")
def setup(cu_potential, cu_crystal):
    return cu_potential, cu_crystal


def relax_iterations(pot, crystal, R, precon):
    model, _ = build_slab_model(pot, crystal, SlabSetup(r_core=10, r_outer=R, voids=((0, 0),)))
    F0 = np.eye(3)
    F0[1, 1] += 0.01
    model.U_nc[:] = model.homogeneous(F0)
    model.update_correction(F0)
    free = ~model.fixed_n
    model.U_nc[free] += 0.02 * np.sin(7 * model.mesh.X_nc[free, :1] / R)
    P = ElasticPreconditioner(model.reference_stiffness()) if precon else None
    res = lbfgs(model.objective(), model.get_dofs(), fmax=1e-4, max_steps=2000, precon=P)
    assert res.converged
    return res.iterations, model


def test_stiffness_is_symmetric_positive_definite(setup):
    pot, crystal = setup
    model, _ = build_slab_model(pot, crystal, SlabSetup(r_core=8, r_outer=40))
    K = model.reference_stiffness().toarray()
    assert np.allclose(K, K.T, atol=1e-10 * np.abs(K).max())
    assert np.linalg.eigvalsh(K).min() > 0
    # K is the Hessian of the Cauchy-Born energy at the reference: check one column
    # against finite differences of the full-weight continuum gradient
    free = model.free_dofs
    k = free[len(free) // 2]
    h = 1e-6
    U = np.zeros_like(model.U_nc)
    model._w_t, w_saved = model.mesh.volumes_t.copy(), model._w_t
    model._active_t, a_saved = np.arange(model.mesh.n_elements), model._active_t
    Up, Um = U.copy(), U.copy()
    Up.flat[k] += h
    Um.flat[k] -= h
    fd = (model.continuum(Up)[1].ravel() - model.continuum(Um)[1].ravel())[free] / (2 * h)
    model._w_t, model._active_t = w_saved, a_saved
    assert np.abs(fd - K[:, list(free).index(k)]).max() < 1e-6 * np.abs(K).max()


def test_iterations_do_not_grow_with_domain_size(setup):
    pot, crystal = setup
    its = [relax_iterations(pot, crystal, R, True)[0] for R in (60, 240, 960)]
    plain = relax_iterations(pot, crystal, 240, False)[0]
    assert max(its) <= 20
    assert max(its) - min(its) <= 5
    assert plain > 3 * max(its)


def test_amg_path_approximates_the_inverse():
    import scipy.sparse as sp

    n = 3000
    K = sp.diags([-np.ones(n - 1), 2.5 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    g = np.random.default_rng(0).normal(size=n)
    P = ElasticPreconditioner(K, method="amg")
    assert np.linalg.norm(K @ P(g) - g) < 1e-2 * np.linalg.norm(g)


def test_coarse_interpolation_reproduces_linear_fields():
    from qcsim.solvers.schwarz import coarse_interpolation

    rng = np.random.default_rng(1)
    p = rng.uniform(-50, 50, size=(3000, 2))
    p = p[np.hypot(*p.T) < 50]  # a disk
    R0 = coarse_interpolation(p, 80, 3)
    assert R0.shape == (3 * (R0.shape[0] // 3), 3 * len(p))
    np.testing.assert_allclose(R0.T @ np.ones(R0.shape[0]), 1.0, atol=1e-12)  # unity
    # the coarse nodes' values of a linear field, interpolated: the field itself
    coarse = np.asarray(R0[::3, ::3].todense())  # weights (m, n)
    xc = np.linalg.lstsq(coarse.T, p, rcond=None)[0]  # coarse node positions
    field = lambda x: 0.3 + x @ np.array([0.02, -0.01])  # noqa: E731
    np.testing.assert_allclose(coarse.T @ field(xc), field(p), atol=1e-9)


def test_schwarz_preconditioner_is_symmetric_positive_definite(setup):
    """On one process the two-level operator is K^-1 plus the coarse correction."""
    from qcsim.parallel import SERIAL
    from qcsim.parallel.dofs import DofSplit
    from qcsim.solvers.schwarz import SchwarzPreconditioner

    pot, crystal = setup
    model, _ = build_slab_model(pot, crystal, SlabSetup(r_core=8, r_outer=40))
    K = model.reference_stiffness()
    free = ~model.fixed_n
    M = SchwarzPreconditioner(K, model.mesh.X_nc[free, :2],
                              DofSplit(SERIAL, np.zeros(int(free.sum()), dtype=int)))
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=K.shape[0]), rng.normal(size=K.shape[0])
    assert abs(a @ M(b) - b @ M(a)) < 1e-10 * abs(a @ M(b))
    assert a @ M(a) > 0
    exact = ElasticPreconditioner(K)(a)
    coarse = M(a) - exact  # the coarse term alone: R0^T K0^-1 R0 a
    assert a @ coarse > 0
