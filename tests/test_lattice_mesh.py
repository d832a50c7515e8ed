"""Crystals, slab lattices and graded meshes."""
import numpy as np
import pytest

from qcsim.errors import GeometryError
from qcsim.lattice import Crystal, SlabLattice
from qcsim.mesh import Slit, graded_disk_mesh

ORIENTS = [("fcc", ((1, 1, -2), (1, 1, 1), (1, -1, 0))), ("fcc", ((1, 0, 0), (0, 1, 0), (0, 0, 1))),
           ("fcc", ((1, 0, 0), (0, 0, 1), (0, -1, 0))), ("bcc", ((1, 0, 0), (0, 1, 1), (0, -1, 1)))]


@pytest.mark.parametrize("lattice,orient", ORIENTS)
def test_slab_sites_are_lattice_sites_at_the_right_density(lattice, orient):
    c = Crystal(lattice, 3.615, orient)
    s = SlabLattice.of(c)
    assert np.isclose(s.area * s.Lz, c.atomic_volume)
    ij = s.sites_in_disk([0.0, 0.0], 30.0)
    n = s.positions(ij) @ np.linalg.inv(c.primitive_vectors)
    assert np.allclose(n, np.round(n), atol=1e-8)
    assert abs(len(ij) - np.pi * 900 / s.area) < 0.05 * len(ij)
    # rows of constant j are atomic planes normal to y
    assert abs(s.b_kc[0, 1]) < 1e-12


def test_orientation_errors():
    with pytest.raises(GeometryError, match="orthogonal"):
        Crystal("fcc", 3.6, ((1, 1, 0), (1, 0, 0), (0, 0, 1)))
    with pytest.raises(GeometryError, match="left-handed"):
        Crystal("fcc", 3.6, ((1, 0, 0), (0, 0, 1), (0, 1, 0)))


@pytest.mark.parametrize("slit", [None, Slit(0.0, 0)])
def test_graded_mesh_quality_and_ratio(slit):
    s = SlabLattice.of(Crystal("fcc", 3.615, ORIENTS[0][1]))
    R = 1000 * s.Lz  # 1,000 lattice spacings along the front
    mesh = graded_disk_mesh(s, [0.0, 1.0], 25.0, R, growth=1.25, slit=slit)
    q = mesh.quality()
    assert q.n_inverted == 0 and q.min_angle_deg > 15 and q.max_aspect < 4
    # nodes are lattice sites; everything inside r_fine is a node
    n = mesh.X_nc @ np.linalg.inv(s.crystal.primitive_vectors)
    assert np.allclose(n, np.round(n), atol=1e-6)
    inner = {tuple(v) for v in s.sites_in_disk([0.0, 1.0], 25.0).tolist()}
    assert inner <= {tuple(v) for v in mesh.site_nk.tolist()}
    represented = np.pi * R**2 / s.area
    assert represented / mesh.n_nodes > 100
    assert abs(mesh.measures_t.sum() / (np.pi * R**2) - 1) < 0.02


def test_slit_is_not_bridged():
    s = SlabLattice.of(Crystal("fcc", 3.615, ORIENTS[0][1]))
    mesh = graded_disk_mesh(s, [0.0, 1.0], 20.0, 300.0, slit=Slit(0.0, 0))
    j = mesh.site_nk[mesh.elements_ta, 1]
    x = mesh.X_nc[mesh.elements_ta, 0]
    bridges = (j.min(axis=1) < 0) & (j.max(axis=1) >= 0)
    assert not np.any(bridges & (x.max(axis=1) <= 0.0))
    assert np.any(bridges & (x.min(axis=1) > 0.0))  # the ligament ahead is connected
    # the two faces carry nodes all along the slit
    for row in (0, -1):
        on = mesh.X_nc[mesh.site_nk[:, 1] == row, 0]
        assert on.min() < -0.97 * 300.0


def test_shape_gradients_reproduce_linear_fields():
    s = SlabLattice.of(Crystal("fcc", 3.615, ORIENTS[0][1]))
    mesh = graded_disk_mesh(s, [0.0, 0.0], 10.0, 80.0)
    A = np.random.default_rng(0).normal(size=(3, 3))
    A[:, 2] = 0.0
    F = mesh.deformation_gradients(mesh.X_nc @ A.T)
    assert np.allclose(F, np.eye(3) + A, atol=1e-12)
