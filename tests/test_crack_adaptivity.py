"""How the crack study's atomistic region follows the tip and emitted dislocations."""
import numpy as np
import pytest

from qcsim.adapt.crack_policies import FollowDislocations
from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal

ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))


@pytest.fixture(scope="module")
def study(cu_potential):
    return CrackStudy(cu_potential, Crystal("fcc", 3.6149, ORIENT, "Cu"),
                      CrackSpec(r_core=10.0, r_outer=80.0))


def test_disks_along_the_glide_ray_double_the_reach(study):
    tip = np.array([study.tip_x, study.y_plane])
    u = np.array([np.cos(np.radians(-70)), np.sin(np.radians(-70))])
    disks = FollowDislocations().disks_towards(study, [tip + 15.0 * u])
    d = np.array([np.hypot(x - tip[0], y - tip[1]) for x, y, _ in disks])
    assert d[0] == pytest.approx(15.0) and d.max() == pytest.approx(35.0)  # 15 + 2 r_core
    assert np.all(np.diff(d) <= 10.0 + 1e-9)  # r_core apart: no gap in the band
    along = np.array([(np.array([x, y]) - tip) @ u for x, y, _ in disks])
    np.testing.assert_allclose(along, d, atol=1e-9)  # on the ray from the tip
    far = FollowDislocations().disks_towards(study, [tip + 40.0 * u])
    d = np.array([np.hypot(x - tip[0], y - tip[1]) for x, y, _ in far])
    # twice the distance, but no farther than a disk whose edge meets the outer circle
    assert d.max() == pytest.approx(FollowDislocations().ray_exit(study, tip, u) - 10.0)
    assert np.hypot(*(np.array(far[-1][:2]) - study.tip0)) + 10.0 == pytest.approx(80.0)


def test_disks_reaching_the_held_ring_build(study):
    tip = np.array([study.tip_x, study.y_plane])
    u = np.array([np.cos(np.radians(-70)), np.sin(np.radians(-70))])
    saved = list(study.cores)
    try:
        study.cores.extend(FollowDislocations().disks_towards(study, [tip + 40.0 * u]))
        study.rebuild()
        m = study.model
        ring_atoms = m.fixed_n[m.regions.atoms]
        assert ring_atoms.any()  # the crystal is atomistic out to the held ring there
        assert np.isfinite(m.energy_gradient(m.U_nc)[0])
    finally:
        study.cores[:] = saved
        study._build()


def test_a_tip_that_has_not_moved_gets_no_new_disk(study):
    class Tip:
        tip_x = study.tip_x
    saved = list(study.cores)
    try:
        study.cores.append((-60.0, -20.0, 10.0))  # a disk far behind the tip (not at it)
        n = len(study.cores)
        study.stepper.adapt({"tip": Tip(), "dislocations": []})
        assert not any(y == study.y_plane for _, y, _ in study.cores[n:])
    finally:
        study.cores[:] = saved
        study._build()


def test_crack_faces_are_not_slip(study):
    """Face rows that relax (here: pushed 0.6 A into the opening, a strain of about
    0.3 in the thin elements under them) are not slip; the same strain elsewhere is."""
    m = study.model
    U = m.U_nc.copy()
    X = m.mesh.X_nc
    row = m.mesh.site_nk[:, 1]
    try:
        m.U_nc[:] = 0.0
        face = (X[:, 0] < study.slit_x - 20.0) & (row == 0)
        m.U_nc[face, 1] = 0.6
        F = m.mesh.deformation_gradients(m.U_nc)
        E = 0.5 * (np.einsum("tki,tkj->tij", F, F) - np.eye(3))
        hot = (np.linalg.norm(E, axis=(1, 2)) > study.spec.slip_strain) & \
            (m.continuum_weights_t > 0)
        assert hot.sum() > 10  # the strain is there ...
        assert len(FollowDislocations().slip_sites(study)[1]) == 0  # ... and is not taken for slip
        m.U_nc[:] = 0.0
        inner = (np.abs(X[:, 0] + 40.0) < 6.0) & (row == 12)  # the same, inside the crystal
        m.U_nc[inner, 0] = 0.6
        assert len(FollowDislocations().slip_sites(study)[1]) > 0
    finally:
        m.U_nc[:] = U
