"""Emitted dislocations from the slip vector (qcsim.analysis.dislocations), against
straight Volterra dislocations inserted into slabs, and against OVITO's DXA."""
import numpy as np
import pytest

from qcsim.analysis.dislocations import (crystal_vectors, find_dislocations, miller,
                                         model_dislocations, summary)
from qcsim.lattice import Crystal, SlabLattice

ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))
CU = Crystal("fcc", 3.6149, ORIENT, "Cu")
FE = Crystal("bcc", 2.8553, ORIENT, "Fe")
NU = 0.34


def slab(crystal, center, radius):
    """Sites of one z period in a disk: positions (n, 3), cell, pbc."""
    s = SlabLattice.of(crystal)
    X = s.positions(s.sites_in_disk(center, radius))
    return X, np.diag([0.0, 0.0, s.Lz]), np.array([False, False, True])


def volterra(X_ic, core_xy, t_xy, b_c, nu=NU):
    """Isotropic displacement (n, 3) of a straight dislocation along +z at core_xy with
    glide direction t (unit, xy) and Burgers vector b in the plane (z, t); its cut runs
    from the core along -t and the +n side (n = z x t) is displaced by b."""
    t = np.array([t_xy[0], t_xy[1], 0.0]) / np.hypot(*t_xy)
    n = np.array([-t[1], t[0], 0.0])
    r = X_ic[:, :2] - core_xy
    xp, yp = r @ t[:2], r @ n[:2]
    r2 = xp * xp + yp * yp
    theta = np.arctan2(yp, xp)
    be, bs = b_c @ t, b_c[2]
    ux = be / (2 * np.pi) * (theta + xp * yp / (2 * (1 - nu) * r2))
    uy = -be / (2 * np.pi) * ((1 - 2 * nu) / (4 * (1 - nu)) * np.log(r2)
                              + (xp * xp - yp * yp) / (4 * (1 - nu) * r2))
    uz = bs / (2 * np.pi) * theta
    return ux[:, None] * t + uy[:, None] * n + uz[:, None] * np.array([0.0, 0.0, 1.0])


def plane_of(crystal, hkl):
    """Lab unit normal of the plane (hkl) and its spacing (A)."""
    n = crystal.to_lab(np.asarray(hkl, float))
    n /= np.linalg.norm(n)
    R = crystal.lattice_vectors(2.0 * crystal.a) @ n
    return n, float(np.min(np.abs(R[np.abs(R) > 1e-6])))


def burgers(crystal, hkl, den):
    return crystal.to_lab(np.asarray(hkl, float) / den)


def emitted_ribbon(crystal, hkl_plane, b_c, length, tip_shift=0.0, radius=None):
    """A slab with a dislocation dipole on the plane (hkl): slip b between a 'tip' point
    and a core ``length`` farther along t = n x z.  Returns X, x, cell, pbc, tip, core."""
    n, d = plane_of(crystal, hkl_plane)
    t = np.array([n[1], -n[0]])
    tip = (0.5 * d) * n[:2] + tip_shift * t  # on the plane midway between atomic planes
    core = tip + length * t
    X, cell, pbc = slab(crystal, 0.5 * (tip + core), radius or length + 25.0)
    x = X + volterra(X, core, t, b_c) - volterra(X, tip, t, b_c)
    return X, x, cell, pbc, tip, core


CASES = [  # crystal, plane, Burgers (hkl, den): fcc edge and 30-degree Shockley partials
    # that leave an intrinsic stacking fault behind (the +n side shifted by b: B -> C),
    # a 60-degree full one; bcc mixed on {110}, edge on {112}
    (CU, (1, 1, -1), ((1, 1, 2), 6)),
    (CU, (1, 1, -1), ((-2, 1, -1), 6)),
    (CU, (-1, -1, 1), ((-1, 2, 1), 6)),
    (CU, (1, 1, -1), ((1, 0, 1), 2)),
    (FE, (1, 1, 0), ((-1, 1, 1), 2)),
    (FE, (1, 1, 2), ((1, 1, -1), 2)),
]


@pytest.mark.parametrize("crystal, plane, bvec", CASES)
def test_inserted_dislocation_is_found(crystal, plane, bvec):
    b = burgers(crystal, *bvec)
    X, x, cell, pbc, tip, core = emitted_ribbon(crystal, plane, b, 20.0)
    found, slip = find_dislocations(x, X, cell, pbc, crystal, tip)
    assert len(found) == 1
    d = found[0]
    assert np.hypot(*(d.core_xy - core)) < 1.0
    assert d.distance == pytest.approx(20.0, abs=1.0)
    np.testing.assert_allclose(d.burgers_c, b, atol=1e-9)
    assert d.burgers == miller(*bvec)
    n, _ = plane_of(crystal, plane)
    np.testing.assert_allclose(d.plane_normal_c, n, atol=1e-9)
    assert d.plane == miller(plane, 1, "()")
    assert d.total_burgers == d.burgers and np.isnan(d.trailing_distance)
    t = np.array([n[1], -n[0]])
    assert d.angle == pytest.approx(np.degrees(np.arctan2(t[1], t[0])), abs=3.0)
    # the slipped atoms carry |b|: the ribbon, and more near the partner at the tip
    b_min = crystal.a / np.sqrt(6) if crystal.lattice == "fcc" else crystal.a * np.sqrt(3) / 2
    ribbon = np.linalg.norm(slip, axis=1) > 0.5 * b_min
    away = np.hypot(*(X[:, :2] - tip).T) > 2.0 * np.min(np.linalg.norm(X[1:] - X[0], axis=1))
    assert (ribbon & away).sum() == pytest.approx(d.n_slipped, abs=2)
    row = summary(found)
    assert row["emitted"] and row["burgers"] == [d.burgers] and row["plane"] == [d.plane]


def test_extended_dislocation_reports_the_leading_partial():
    """Trailing partial 12 A behind the leading one: a full vector next to the tip."""
    lead, trail = burgers(CU, (1, 1, 2), 6), burgers(CU, (-1, 2, 1), 6)
    X, x, cell, pbc, tip, core = emitted_ribbon(CU, (1, 1, -1), lead, 24.0)
    n, _ = plane_of(CU, (1, 1, -1))
    t = np.array([n[1], -n[0]])
    x += volterra(X, tip + 12.0 * t, t, trail) - volterra(X, tip, t, trail)
    (d,), _ = find_dislocations(x, X, cell, pbc, CU, tip)
    assert np.hypot(*(d.core_xy - core)) < 1.0
    assert d.burgers == "1/6[112]"
    assert d.total_burgers == "1/2[011]"
    np.testing.assert_allclose(d.total_burgers_c, lead + trail, atol=1e-9)
    assert d.trailing_distance == pytest.approx(12.0, abs=1.0)


def test_core_near_the_tip_has_not_left_it():
    b = burgers(CU, (1, 1, 2), 6)
    X, x, cell, pbc, tip, _ = emitted_ribbon(CU, (1, 1, -1), b, 7.0, radius=30.0)
    assert find_dislocations(x, X, cell, pbc, CU, tip)[0] == []
    found, _ = find_dislocations(x, X, cell, pbc, CU, tip, tip_radius=2.5, leave_distance=5.0)
    assert len(found) == 1 and found[0].distance == pytest.approx(7.0, abs=1.0)


@pytest.mark.parametrize("crystal", [CU, FE])
def test_homogeneous_strain_has_no_slip(crystal):
    X, cell, pbc = slab(crystal, (0.0, 0.0), 30.0)
    F = np.eye(3) + np.array([[0.06, 0.08, 0.0], [0.02, -0.04, 0.05], [0.0, 0.03, 0.0]])
    found, slip = find_dislocations(X @ F.T, X, cell, pbc, crystal, (0.0, 0.0))
    assert found == []
    assert np.abs(slip).max() == 0.0


def crack(crystal, K, radius=35.0, mu=45.0):
    """Isotropic mode-I plane-strain K-field (K in GPa*sqrt(A), mu in GPa) at a tip
    between two rows: X, x, cell, pbc, tip, face labels."""
    s = SlabLattice.of(crystal)
    tip = np.array([0.0, -0.5 * s.b_kc[1, 1]])
    X, cell, pbc = slab(crystal, tip, radius)
    r = X[:, :2] - tip
    rr, th = np.hypot(*r.T), np.arctan2(r[:, 1], r[:, 0])
    kappa = 3 - 4 * NU
    f = K / (2 * mu) * np.sqrt(rr / (2 * np.pi))
    u = np.zeros_like(X)
    u[:, 0] = f * np.cos(th / 2) * (kappa - 1 + 2 * np.sin(th / 2) ** 2)
    u[:, 1] = f * np.sin(th / 2) * (kappa + 1 - 2 * np.cos(th / 2) ** 2)
    faces = np.where(r[:, 0] <= 0, np.where(r[:, 1] > 0, 1, 2), 0)
    return X, X + u, cell, pbc, tip, faces


@pytest.mark.parametrize("crystal", [CU, FE])
def test_elastic_crack_tip_field_is_no_dislocation(crystal):
    X, x, cell, pbc, tip, faces = crack(crystal, K=90.0)
    found, slip = find_dislocations(x, X, cell, pbc, crystal, tip, face_i=faces)
    assert found == []
    # without the cut the opening of the faces is "slip", still no Burgers vector
    assert find_dislocations(x, X, cell, pbc, crystal, tip)[0] == []


def test_dislocation_emitted_from_a_loaded_crack():
    X, x, cell, pbc, tip, faces = crack(CU, K=60.0, radius=45.0)
    n, d = plane_of(CU, (1, 1, -1))
    t = np.array([n[1], -n[0]])
    b = burgers(CU, (1, 1, 2), 6)
    start = tip + ((0.5 * d - tip @ n[:2]) * n[:2])  # on the plane, next to the tip
    core = start + 25.0 * t
    x += volterra(X, core, t, b) - volterra(X, start, t, b)
    (dis,), _ = find_dislocations(x, X, cell, pbc, CU, tip, face_i=faces)
    assert np.hypot(*(dis.core_xy - core)) < 1.5
    assert dis.burgers == "1/6[112]" and dis.plane == "(11-1)"


def test_crystal_vectors_and_miller():
    hkl, den, lab, plane = crystal_vectors(CU, ("1/6<112>", "{111}"))
    assert plane.sum() == 8 and (~plane).sum() == 24
    np.testing.assert_allclose(np.linalg.norm(lab[~plane], axis=1), CU.a / np.sqrt(6))
    assert miller((-1, -1, 2), 6) == "1/6[-1-12]" and miller((1, -1, 1), 1, "()") == "(1-11)"
    with pytest.raises(ValueError):
        crystal_vectors(CU, ("<11>",))


def test_model_dislocations_cut_by_the_precrack():
    from qcsim import Calculator
    from qcsim.coupling.build import SlabSetup, build_slab_model
    from qcsim.mesh import Slit

    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    setup = SlabSetup(center=(0.0, -1.04), r_core=30.0, r_outer=60.0, fixed_width=8.0,
                      slit=Slit(0.0, 0), growth=1.3)
    model, _ = build_slab_model(calc.potential, CU, setup)
    tip = np.array([0.0, -0.5 * SlabLattice.of(CU).b_kc[1, 1]])
    X = model.mesh.X_nc
    found, slip = model_dislocations(model, CU, tip)
    assert found == [] and len(slip) == len(model.regions.atoms)
    # open the pre-crack: a rigid opening of its faces is no slip
    model.U_nc[:, 1] = np.where((X[:, 0] <= 0) & (X[:, 1] > tip[1]), 1.5, 0.0)
    assert model_dislocations(model, CU, tip)[0] == []
    n, d = plane_of(CU, (1, 1, -1))
    t = np.array([n[1], -n[0]])
    start = tip + ((0.5 * d - tip @ n[:2]) * n[:2])
    b = burgers(CU, (1, 1, 2), 6)
    model.U_nc[:] += volterra(X, start + 18.0 * t, t, b) - volterra(X, start, t, b)
    (dis,), _ = model_dislocations(model, CU, tip)
    assert dis.distance == pytest.approx(18.0, abs=1.5) and dis.burgers == "1/6[112]"


# -- the DXA cross-check -------------------------------------------------------------
@pytest.mark.parametrize("crystal, plane, bvec", CASES)
def test_dxa_agrees(crystal, plane, bvec):
    pytest.importorskip("ovito")
    from qcsim.analysis.dxa import dxa_dislocations

    b = burgers(crystal, *bvec)
    X, x, cell, pbc, tip, core = emitted_ribbon(crystal, plane, b, 20.0)
    (d,), _ = find_dislocations(x, X, cell, pbc, crystal, tip)
    lines = dxa_dislocations(x, cell, pbc, crystal, tip)
    far = max(lines, key=lambda line: line.distance)  # the tip holds the dipole's partner
    assert np.hypot(*(far.core_xy - d.core_xy)) < 2.0
    assert far.distance == pytest.approx(d.distance, abs=2.0)
    assert far.burgers == d.burgers
    np.testing.assert_allclose(far.burgers_c, d.burgers_c, atol=1e-9)
    np.testing.assert_allclose(far.spatial_burgers_c, d.burgers_c, atol=0.15 * np.linalg.norm(b))


def test_dxa_without_ovito_says_how_to_install(monkeypatch):
    import sys

    from qcsim.analysis import dxa

    monkeypatch.setitem(sys.modules, "ovito", None)
    with pytest.raises(ImportError, match=r"qcsim\[dxa\]"):
        dxa.import_ovito()
