"""The fast paths of the QC model against their plain twins: the element gather and
scatter kernels against the sparse gradient operator, and the preconditioner
that drops round-off couplings against the full stiffness."""
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from qcsim._kernels.cauchy_born import gather_deformation_gradients, scatter_stresses
from qcsim.lattice import Crystal, SlabLattice
from qcsim.mesh import Slit, graded_disk_mesh
from qcsim.model import gradient_operator
from qcsim.solvers.precon import ElasticPreconditioner


@pytest.fixture(scope="module")
def mesh():
    slab = SlabLattice.of(Crystal("fcc", 3.6149, ((1, 1, -2), (1, 1, 1), (1, -1, 0))))
    return graded_disk_mesh(slab, (0.3, 1.0), 12.0, 50.0, growth=1.3, slit=Slit(-5.0, 0))


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_gather_and_scatter_match_the_gradient_operator(mesh, seed):
    rng = np.random.default_rng(seed)
    U = 0.05 * rng.normal(size=(mesh.n_nodes, 3))
    t = np.sort(rng.choice(mesh.n_elements, size=mesh.n_elements // 2, replace=False))
    T, G = mesh.elements_ta[t].astype(np.int64), mesh.grad_tad[t]
    F = np.empty((len(t), 3, 3))
    gather_deformation_gradients(U, T, G, F)
    assert np.allclose(F, mesh.deformation_gradients(U, t), rtol=0, atol=1e-14)
    assert np.allclose(F, mesh.deformation_gradients(U)[t], rtol=0, atol=1e-14)
    P, w = rng.normal(size=(len(t), 3, 3)), rng.uniform(0.0, 2.0, size=len(t))
    grad = np.zeros((mesh.n_nodes, 3))
    scatter_stresses(P, w, T, G, grad)
    rows = (t[:, None] * 6 + np.arange(6)).ravel()
    D = gradient_operator(mesh)[rows]
    twin = (D.T @ (w[:, None, None] * P[:, :, :2]).ravel()).reshape(-1, 3)
    assert np.allclose(grad, twin, rtol=0, atol=1e-12 * np.abs(twin).max())


def test_preconditioner_drops_only_roundoff_couplings():
    """Two uncoupled Laplacians (in-plane and anti-plane analogues) joined by
    round-off: the factor has the fill of the two, and the solve that of the whole."""
    n = 400
    L = sp.diags([-np.ones(n - 1), 2.2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    L = L + sp.diags([-np.ones(n - 20), -np.ones(n - 20)], [-20, 20])
    noise = sp.random(n, n, density=0.05, random_state=1) * 1e-16
    K = sp.bmat([[L, noise], [noise.T, 0.5 * L]]).tocsc()
    g = np.random.default_rng(0).normal(size=2 * n)
    kept, full = ElasticPreconditioner(K), ElasticPreconditioner(K, drop=0.0)
    assert kept.fill < full.fill
    x = full(g)
    assert np.linalg.norm(K @ x - g) < 1e-6 * np.linalg.norm(g)  # K + 1e-8 mean(diag) I
    assert np.linalg.norm(kept(g) - x) < 1e-12 * np.linalg.norm(x)
    # a real coupling is never dropped
    K2 = sp.bmat([[L, 1e-3 * sp.eye(n)], [1e-3 * sp.eye(n), 0.5 * L]]).tocsc()
    x2 = ElasticPreconditioner(K2, drop=0.0)(g)
    assert np.linalg.norm(ElasticPreconditioner(K2)(g) - x2) < 1e-12 * np.linalg.norm(x2)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_preconditioner_solve_matches_superlu(seed):
    """The kernel's triangular solves on SuperLU's factors against SuperLU's own."""
    import scipy.sparse.linalg as spla

    rng = np.random.default_rng(seed)
    A = sp.random(300, 300, density=0.02, random_state=rng)
    K = (A @ A.T + sp.eye(300)).tocsc()
    P = ElasticPreconditioner(K, shift=0.0, drop=0.0)
    g = rng.normal(size=300)
    x = spla.splu(K, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                  options={"SymmetricMode": True}).solve(g)
    assert np.linalg.norm(P(g) - x) < 1e-12 * np.linalg.norm(x)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31), zeros=st.floats(0.0, 0.5))
def test_supernodal_solve_is_the_column_solve_to_the_bit(seed, zeros):
    """The supernodal triangular solves repeat the column-oriented substitutions
    (every update, in the same order, zero entries of x skipped alike): the same
    bits, on a mesh stiffness with wide supernodes and on a random SPD matrix."""
    import scipy.sparse.linalg as spla

    from qcsim._kernels.cauchy_born import lu_solve_csc
    from qcsim._kernels.sparse import supernodal_solve
    from qcsim.solvers.precon import supernodal_factors

    rng = np.random.default_rng(seed)
    n = 600
    grid = sp.diags([-np.ones(n - 1), 4.5 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    grid = grid + sp.diags([-np.ones(n - 25), -np.ones(n - 25)], [-25, 25])
    A = sp.random(n, n, density=0.005, random_state=rng)
    for K in (grid.tocsc(), (A @ A.T + sp.eye(n)).tocsc()):
        lu = spla.splu(K, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
                       options={"SymmetricMode": True})
        L, U = lu.L, lu.U
        L.sort_indices()
        U.sort_indices()
        factors = supernodal_factors(L, U)
        assert factors is not None
        g = rng.normal(size=n)
        g[rng.random(n) < zeros] = 0.0
        x1, x2 = g.copy(), g.copy()
        lu_solve_csc(L.indptr, L.indices, L.data, U.indptr, U.indices, U.data, x1)
        supernodal_solve(*factors, x2)
        assert np.array_equal(x1.view(np.int64), x2.view(np.int64))
