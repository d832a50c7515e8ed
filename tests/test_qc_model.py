"""The QC model: patch tests, ghost forces, finite differences, volume bookkeeping."""
import numpy as np
import pytest

from qcsim.continuum.cauchy_born import CauchyBorn
from qcsim.coupling.regions import disk_regions
from qcsim.lattice import Crystal, SlabLattice
from qcsim.mesh import Slit, graded_disk_mesh
from qcsim.model import QCModel

ORIENTS = {"111": ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "100": ((1, 0, 0), (0, 1, 0), (0, 0, 1))}
CENTER = np.array([0.3, 1.0])


@pytest.fixture(scope="module")
def pot(cu_potential):
    return cu_potential


def build(pot, orient, scheme, r_core=9.0, r_outer=60.0, slit=None):
    crystal = Crystal("fcc", 3.6149, ORIENTS[orient])
    slab = SlabLattice.of(crystal)
    rc = pot.cutoff
    handshake = 2 * rc if scheme in ("bgfc", "bqce") else 0.0
    pad = (2 if scheme == "qcf" else 1) * rc + 1.0
    mesh = graded_disk_mesh(slab, CENTER, r_core + handshake + pad + 2.0, r_outer, growth=1.3,
                            slit=slit)
    regions = disk_regions(mesh, CENTER, r_core, handshake, pad)
    fixed = np.linalg.norm(mesh.X_nc[:, :2] - CENTER, axis=1) > r_outer - 10.0
    model = QCModel(mesh, regions, pot, CauchyBorn.of_crystal(pot, crystal), scheme,
                    cell_cc=np.diag([0.0, 0.0, slab.Lz]), pbc_c=(False, False, True), fixed_n=fixed)
    return model, crystal


def deformations():
    """F = I and seven homogeneous deformations (|F - I| up to 0.03), d/dz = 0."""
    Fs = [np.eye(3)]
    for eps in (0.03, -0.03):  # tension, compression
        F = np.eye(3)
        F[1, 1] += eps
        Fs.append(F)
    F = np.eye(3)
    F[0, 1] = 0.03  # in-plane shear
    Fs.append(F)
    F = np.eye(3)
    F[2, 0] = 0.03  # anti-plane shear
    Fs.append(F)
    rng = np.random.default_rng(7)
    for _ in range(3):  # mixed
        F = np.eye(3)
        F[:, :2] += rng.uniform(-0.03, 0.03, size=(3, 2))
        Fs.append(F)
    return Fs


@pytest.mark.parametrize("orient", ORIENTS)
@pytest.mark.parametrize("scheme", ["bgfc", "qce-gfc", "qcf"])
def test_patch_test_exact(pot, orient, scheme):
    model, _ = build(pot, orient, scheme)
    for F in deformations():
        model.update_correction(F)
        assert model.residual(model.homogeneous(F)).max() <= 1e-9


@pytest.mark.parametrize("scheme", ["qce", "bqce"])
def test_uncorrected_schemes_show_ghost_forces(pot, scheme):
    model, _ = build(pot, "111", scheme)
    f = model.residual(model.homogeneous(np.eye(3)))
    assert f.max() > 1e-3
    # ghost forces live at the interface, not deep in the core or far in the continuum
    d = np.linalg.norm(model.mesh.X_nc[~model.fixed_n, :2] - CENTER, axis=1)
    assert f[d < 3.0].max() < 1e-9
    assert f[d > 40.0].max() < 1e-9


@pytest.mark.parametrize("scheme", ["bgfc", "bqce", "qce-gfc", "qce"])
def test_gradient_matches_finite_differences_with_slit(pot, scheme):
    model, _ = build(pot, "111", scheme, r_core=7.0, r_outer=45.0, slit=Slit(0.0, 0))
    F0 = np.eye(3)
    F0[1, 1] += 0.01
    model.update_correction(F0)
    rng = np.random.default_rng(1)
    model.U_nc[:] = 0.05 * rng.normal(size=model.U_nc.shape)
    fun = model.objective()
    u = model.get_dofs()
    _, g = fun(u)
    h = 1e-5
    for k in rng.choice(len(u), 25, replace=False):
        e = np.zeros_like(u)
        e[k] = h
        fd = (fun(u + e)[0] - fun(u - e)[0]) / (2 * h)
        assert abs(fd - g[k]) < 5e-7


@pytest.mark.parametrize("scheme", ["bgfc", "qce"])
def test_atom_and_element_weights_add_up_to_the_volume(pot, scheme):
    model, crystal = build(pot, "111", scheme)
    counted, total = model.volume_check(crystal.atomic_volume)
    assert abs(counted - total) <= 1e-12 * total
