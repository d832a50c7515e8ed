"""Geometry in d dimensions: shapes, the cut, site keys, a 3-D site lattice and mesh,
regions around a shape, state transfer on tetrahedra, and a 3-D QC patch test."""
from __future__ import annotations

import numpy as np
import pytest

from qcsim.geometry import Ball, Box, HalfSpace, Slit, Union, balls, site_keys, unique_sites
from qcsim.lattice import BulkLattice, Crystal

CUBE = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
rng = np.random.default_rng(7)


def test_shape_distances():
    x = rng.uniform(-10, 10, size=(500, 3))
    ball = Ball((1.0, -2.0, 0.5), 3.0)
    np.testing.assert_allclose(ball.distance(x),
                               np.maximum(np.linalg.norm(x - ball.center, axis=1) - 3.0, 0))
    box = Box((-1, -2, -3), (1, 2, 3))
    clamp = np.clip(x, box.lo, box.hi)
    np.testing.assert_allclose(box.distance(x), np.linalg.norm(x - clamp, axis=1))
    half = HalfSpace((0.0, 0.0, 2.0), 4.0)  # z <= 2
    np.testing.assert_allclose(half.distance(x), np.maximum(x[:, 2] - 2.0, 0.0))
    both = ball | box | half
    assert isinstance(both, Union) and len(both.shapes) == 3
    np.testing.assert_array_equal(both.distance(x), np.min([ball.distance(x), box.distance(x),
                                                            half.distance(x)], axis=0))
    assert np.array_equal(both.contains(x), both.distance(x) == 0)


def test_disks_are_2d_balls_to_the_last_bit():
    """The union of disks gives the distances the crack's atomistic disks always had."""
    disks = [(0.0, -1.04, 20.0), (35.5, -1.04, 20.0), (10.0, -60.0, 10.0)]
    xy = rng.uniform(-100, 100, size=(2000, 2))
    old = np.full(len(xy), np.inf)
    for cx, cy, r in disks:
        old = np.minimum(old, np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) - r)
    np.testing.assert_array_equal(balls(disks).distance(xy), np.maximum(old, 0.0))
    # a 2-D shape reads the first two coordinates of 3-D points
    xyz = np.column_stack([xy, rng.uniform(0, 5, len(xy))])
    np.testing.assert_array_equal(balls(disks).distance(xyz), balls(disks).distance(xy))


def test_the_cut():
    cut = Slit(tip_x=2.0, row=0)
    sites = np.array([[0, 0], [0, -1], [5, 3], [1, -4]])
    X = np.array([[1.0, 0.5, 0], [1.9, -0.5, 0], [2.5, 3, 0], [-8, -4, 0]])
    assert list(cut.above(sites)) == [True, False, True, False]
    assert list(cut.on_face_planes(sites)) == [True, True, False, False]
    assert list(cut.face_labels(sites, X)) == [1, 2, 0, 2]
    assert list(cut.straddles(np.array([[[0, 0], [0, -1]], [[0, 1], [0, 2]]]))) == [True, False]
    assert cut.moved_to(7.0) == Slit(7.0, 0)
    # a cut between planes of another site coordinate (3-D sites, normal along k = 2)
    assert list(Slit(0.0, 3, normal=2).above(np.array([[0, 0, 3], [9, 9, 2]]))) == [True, False]


@pytest.mark.parametrize("dim, span", [(2, 2**30), (3, 2**19)])
def test_site_keys_of_any_dimension(dim, span):
    s = rng.integers(-span, span, size=(3000, dim))
    s = np.concatenate([s, s[:300]])
    np.testing.assert_array_equal(unique_sites(s), np.unique(s, axis=0))
    k = site_keys(s)
    order = np.lexsort(s.T[::-1])
    assert np.all(np.diff(k[order]) >= 0)  # keys sort as the sites do


def test_bulk_lattice():
    lat = BulkLattice.of(Crystal("fcc", 3.615, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu"))
    n = lat.sites_in_ball((0.3, -0.2, 0.1), 15.0)
    X = lat.positions(n)
    assert np.all(np.linalg.norm(X - (0.3, -0.2, 0.1), axis=1) <= 15.0)
    assert len(n) == pytest.approx(4 / 3 * np.pi * 15.0**3 / lat.volume, rel=0.03)
    np.testing.assert_allclose(lat.coordinates(X), n, atol=1e-9)
    assert len(unique_sites(n)) == len(n)
    # every site of a larger box that lies in the ball is found
    box = lat.sites_in_box((-16, -16, -16), (16, 16, 16))
    inside = box[np.linalg.norm(lat.positions(box) - (0.3, -0.2, 0.1), axis=1) <= 15.0]
    np.testing.assert_array_equal(unique_sites(inside), unique_sites(n))


@pytest.fixture(scope="module")
def tet_mesh():
    from qcsim.mesh.generators import DelaunayMesher

    lat = BulkLattice.of(Crystal("fcc", 3.615, CUBE, "Cu"))
    return lat, DelaunayMesher().generate(lat, None, Ball((0.0, 0.0, 0.0), 14.0))


def test_delaunay_mesher_fills_the_ball_of_sites(tet_mesh):
    from scipy.spatial import ConvexHull

    lat, mesh = tet_mesh
    assert mesh.dim == 3 and mesh.elements_ta.shape[1] == 4
    assert mesh.quality().n_inverted == 0
    assert mesh.volumes_t.min() > 1e-3 * lat.volume  # no slivers
    assert mesh.volumes_t.sum() == pytest.approx(ConvexHull(mesh.X_nc).volume, rel=1e-12)
    # P1 reproduces a homogeneous deformation: F is the same in every element
    G = np.array([[0.01, 0.002, 0.0], [0.003, -0.005, 0.001], [0.0, 0.002, 0.004]])
    F = mesh.deformation_gradients(mesh.X_nc @ G.T)
    np.testing.assert_allclose(F, np.broadcast_to(np.eye(3) + G, F.shape), atol=1e-13)


def test_regions_around_a_3d_ball(tet_mesh):
    from qcsim.coupling.regions import CORE, HANDSHAKE, PAD, regions_around

    _, mesh = tet_mesh
    reg = regions_around(mesh, Ball((0.0, 0.0, 0.0), 5.0), 3.0, 2.0)
    r = np.linalg.norm(mesh.X_nc, axis=1)
    assert np.all((reg.flag_n == CORE) == (r <= 5.0))
    assert np.all((reg.flag_n == HANDSHAKE) == ((r > 5.0) & (r < 8.0)))
    assert np.all((reg.flag_n == PAD) == ((r >= 8.0) & (r < 10.0)))
    order = np.argsort(r)  # beta rises from 0 in the core to 1 across the handshake
    assert np.all(np.diff(reg.beta_n[order]) >= 0) and reg.beta_n[r >= 8.0].min() == 1.0


def test_state_transfer_on_tetrahedra_is_exact_for_linear_fields():
    """A coarse tetrahedral mesh (the sites of the sub-lattice 2Z^3) to the full one:
    shared sites keep their displacement, new ones take the P1 interpolant, which
    reproduces a linear field to round-off."""
    from qcsim.adapt import transfer_displacements
    from qcsim.mesh.generators import DelaunayMesher
    from qcsim.mesh.mesh import Mesh

    lat = BulkLattice.of(Crystal("fcc", 3.615, CUBE, "Cu"))
    fine = DelaunayMesher().generate(lat, None, Ball((0.0, 0.0, 0.0), 10.0))

    big = lat.sites_in_ball((0.0, 0.0, 0.0), 16.0)
    even = big[np.all(big % 2 == 0, axis=1)]
    from scipy.spatial import Delaunay

    T = Delaunay(lat.positions(even), qhull_options="QJ Qbb").simplices.astype(np.int64)
    X = lat.positions(even)
    vol = np.linalg.det(X[T[:, 1:]] - X[T[:, :1]])
    T[vol < 0] = T[vol < 0][:, [1, 0, 2, 3]]
    coarse = Mesh(X, T[np.abs(vol) > 1e-6], dim=3, site_nk=even)
    G = rng.normal(scale=0.01, size=(3, 3))
    U_new = transfer_displacements(coarse, coarse.X_nc @ G.T + 0.1, fine)
    np.testing.assert_allclose(U_new, fine.X_nc @ G.T + 0.1, atol=1e-12)
    shared = np.all(fine.site_nk % 2 == 0, axis=1)
    assert 0 < shared.sum() < len(shared)  # both kinds of node were transferred


def test_3d_qc_patch_test(cu_potential):
    """The coupling schemes on a 3-D ball of Cu (qcsim.build.build_bulk_model:
    tetrahedra) under a homogeneous deformation: force-based qcf has no ghost
    forces, the corrected bgfc none after its correction, the uncorrected qce does
    (the test can fail)."""
    from qcsim.build import BulkSetup, build_bulk_model
    from qcsim.coupling.regions import CONTINUUM

    crystal = Crystal("fcc", 3.615, CUBE, "Cu")
    F = np.eye(3) + np.array([[0.01, 0.002, 0.0], [0.003, -0.005, 0.001], [0.0, 0.002, 0.004]])
    worst = {}
    for name in ("qcf", "bgfc", "qce"):
        setup = BulkSetup(core=Ball((0.0, 0.0, 0.0), 6.0), r_outer=26.0, scheme=name,
                          fixed_width=2 * cu_potential.cutoff)
        model, lattice = build_bulk_model(cu_potential, crystal, setup)
        assert model.mesh.dim == 3 and not model.pbc_c.any()
        assert model.regions.count(CONTINUUM) > 1000  # a coupled model, not an atomistic one
        if model.scheme.corrected:
            model.update_correction(F)
        worst[name] = float(model.residual(model.homogeneous(F)).max())
    assert worst["qcf"] < 1e-10 and worst["bgfc"] < 1e-10
    assert worst["qce"] > 1e-2
