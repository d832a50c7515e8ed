"""Adaptivity: the curvature indicator and state transfer between meshes."""
import numpy as np
import pytest

from qcsim.adapt import curvature_indicator, recovered_gradient, transfer_displacements
from qcsim.lattice import Crystal, SlabLattice
from qcsim.mesh import Slit
from qcsim.mesh.graded import graded_mesh


@pytest.fixture(scope="module")
def slab():
    return SlabLattice.of(Crystal("fcc", 3.615, ((1, 1, -2), (1, 1, 1), (1, -1, 0))))


def linear_field(mesh, seed=0):
    A = np.random.default_rng(seed).normal(scale=0.01, size=(3, 3))
    A[:, 2] = 0
    return mesh.X_nc @ A.T, A


def test_indicator_vanishes_for_homogeneous_deformation(slab):
    mesh = graded_mesh(slab, [(0, -1.04, 20)], (0, 0), 200, 1.25, Slit(0.0, 0))
    U, A = linear_field(mesh)
    assert curvature_indicator(mesh, U).max() < 1e-14
    assert np.allclose(recovered_gradient(mesh, mesh.deformation_gradients(U)), np.eye(3) + A)


def test_indicator_scales_with_element_size_for_curved_fields(slab):
    mesh = graded_mesh(slab, [(0, 0, 15)], (0, 0), 300, 1.3)
    U = np.zeros((mesh.n_nodes, 3))
    U[:, 0] = 1e-4 * mesh.X_nc[:, 0] ** 2  # constant second gradient
    eta = curvature_indicator(mesh, U)
    h = np.sqrt(np.abs(mesh.measures_t))
    interior = np.ones(mesh.n_elements, dtype=bool)
    interior[np.isin(mesh.elements_ta, mesh.boundary_nodes()).any(axis=1)] = False
    ratio = eta[interior] / h[interior]
    assert ratio.max() / ratio.min() < 10  # eta ~ h |grad F|
    big = h > 4 * h.min()
    assert eta[big].mean() > 3 * eta[~big].mean()


def test_transfer_is_exact_for_linear_fields_and_keeps_common_nodes(slab):
    old = graded_mesh(slab, [(0, -1.04, 20)], (0, 0), 300, 1.25, Slit(0.0, 0))
    new = graded_mesh(slab, [(0, -1.04, 20), (35, -1.04, 20)], (0, 0), 300, 1.25, Slit(25.0, 0))
    U, A = linear_field(old, 1)
    U_new = transfer_displacements(old, U, new, cut=Slit(0.0, 0))
    assert np.abs(U_new - new.X_nc @ A.T).max() < 1e-12
    # a field with a jump across the slit: each face keeps its own side
    jump = np.where(old.site_nk[:, 1:2] >= 0, 1.0, -1.0) * np.array([0, 0.5, 0])
    U_new = transfer_displacements(old, jump, new, cut=Slit(0.0, 0))
    behind = new.X_nc[:, 0] < -30
    up = new.site_nk[:, 1] >= 0
    assert np.allclose(U_new[behind & up, 1], 0.5) and np.allclose(U_new[behind & ~up, 1], -0.5)


def test_transfer_is_exact_for_a_linear_field_on_a_sheared_lattice():
    """P1 transfer reproduces a linear field exactly, also on the graded mesh of a
    strongly sheared site lattice (bcc, y = [111]), whose coarse elements are far
    longer than the spacing of their centroids."""
    from qcsim import Calculator
    from qcsim.adapt import transfer_displacements
    from qcsim.build import SlabSetup, build_slab_model
    from qcsim.lattice import Crystal
    from qcsim.mesh import Slit

    pot = Calculator(style="eam/fs", file="Fe_mm.eam.fs", elements=["Fe"]).potential
    crystal = Crystal("bcc", 2.8553, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Fe")
    base = dict(center=(0.0, 0.0), r_core=15.0, r_outer=150.0, slit=Slit(0.0, 0))
    old, _ = build_slab_model(pot, crystal, SlabSetup(**base))
    new, _ = build_slab_model(pot, crystal, SlabSetup(
        **base, cores=((-55.0, 45.0, 8.0), (30.0, 78.0, 8.0), (60.0, -60.0, 8.0))))
    G = np.array([[0.01, -0.02, 0.0], [0.015, 0.005, 0.0], [0.002, 0.003, 0.0]])
    U_new = transfer_displacements(old.mesh, old.mesh.X_nc @ G.T, new.mesh, cut=Slit(0.0, 0))
    # exact inside the old mesh (new nodes on the outer ring lie outside it)
    inside = np.linalg.norm(new.mesh.X_nc[:, :2], axis=1) < 140.0
    np.testing.assert_allclose(U_new[inside], (new.mesh.X_nc @ G.T)[inside], atol=1e-9)
