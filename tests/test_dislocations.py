"""Emitted dislocations from the slip vector (qcsim.analysis.dislocations), against
straight Volterra dislocations inserted into slabs, and against OVITO's DXA."""
import numpy as np
import pytest

from qcsim.analysis.dislocations import (Dislocation, crystal_vectors, find_dislocations,
                                         miller, model_dislocations, summary)
from qcsim.analysis.twins import twinning_partials
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
    from qcsim.build import SlabSetup, build_slab_model
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


# -- deformation twins ----------------------------------------------------------------
def twin_band(crystal, hkl_plane, p_c, layers, length, radius=None):
    """A slab with a band of ``layers`` successive (hkl) planes each sheared by the
    twinning partial p (the +n side relative to the -n side), from a 'tip' point to a
    front ``length`` farther along t = n x z: a stack of Volterra dipoles of p on
    successive planes.  Returns X, x, cell, pbc, tip, t (xy), n, plane spacing."""
    n, d = plane_of(crystal, hkl_plane)
    t = np.array([n[1], -n[0]])
    tip = (0.5 * d) * n[:2]
    X, cell, pbc = slab(crystal, tip + 0.5 * length * t, radius or length + 25.0)
    x = X.copy()
    for k in range(layers):
        start = tip + k * d * n[:2]
        x += volterra(X, start + length * t, t, p_c) - volterra(X, start, t, p_c)
    return X, x, cell, pbc, tip, t, n, d


TWIN_CASES = [  # crystal, twin plane, twinning partial (hkl, den), planes, total shear
    # bcc {112}<111>: the (11-2) planes normal to x, the band along +y from the tip (the
    # Fe crack of the fracture study), and the inclined (112); one plane is the embryo
    (FE, (-1, -1, 2), ((1, 1, 1), 6), 1, "1/6[111]"),
    (FE, (-1, -1, 2), ((1, 1, 1), 6), 3, "1/2[111]"),
    (FE, (-1, -1, 2), ((1, 1, 1), 6), 4, "2/3[111]"),
    (FE, (1, 1, 2), ((-1, -1, 1), 6), 3, "1/2[-1-11]"),
    # fcc {111}<112>: successive planes each shifted by a Shockley partial
    (CU, (1, 1, -1), ((1, 1, 2), 6), 3, "1/2[112]"),
    (CU, (1, 1, -1), ((1, 1, 2), 6), 4, "2/3[112]"),
    (CU, (1, 1, -1), ((-2, 1, -1), 6), 3, "1/2[-21-1]"),
]


@pytest.mark.parametrize("crystal, plane, pvec, layers, total", TWIN_CASES)
def test_twin_band_is_found(crystal, plane, pvec, layers, total):
    p = burgers(crystal, *pvec)
    length = 40.0
    X, x, cell, pbc, tip, t, n, d = twin_band(crystal, plane, p, layers, length)
    found, _ = find_dislocations(x, X, cell, pbc, crystal, tip)
    assert len(found) == 1
    tw = found[0]
    assert tw.kind == "twin" and tw.thickness == layers
    assert tw.plane == miller(plane, 1, "()") and tw.burgers == miller(*pvec)
    np.testing.assert_allclose(tw.plane_normal_c, n, atol=1e-9)
    np.testing.assert_allclose(tw.burgers_c, p, atol=1e-9)
    assert tw.total_burgers == total
    np.testing.assert_allclose(tw.total_burgers_c, layers * p, atol=1e-9)
    # the front: on one of the sheared planes, where their partials are
    front = tw.core_xy - tip
    assert front @ t == pytest.approx(length, abs=2.0)
    assert -0.1 < front @ n[:2] < layers * d
    assert tw.distance == pytest.approx(length, abs=2.0)
    assert tw.angle == pytest.approx(np.degrees(np.arctan2(front[1], front[0])))
    off = np.degrees(np.arctan(layers * d / length)) + 1.0  # the front's plane off the tip
    assert tw.angle == pytest.approx(np.degrees(np.arctan2(t[1], t[0])), abs=off)
    assert np.isnan(tw.trailing_distance) and tw.n_slipped > 4 * layers
    row = summary(found)
    assert row["emitted"] and row["n_twins"] == 1 and row["kind"] == ["twin"]
    assert row["thickness"] == [layers] and row["plane"] == [tw.plane]


def test_a_stacking_fault_stays_a_dislocation():
    """One fcc plane shifted by a Shockley partial: its leading partial, no twin."""
    X, x, cell, pbc, tip, *_ = twin_band(CU, (1, 1, -1), burgers(CU, (1, 1, 2), 6), 1, 30.0)
    (d,), _ = find_dislocations(x, X, cell, pbc, CU, tip)
    assert d.kind == "dislocation" and d.burgers == "1/6[112]" and np.isnan(d.thickness)
    assert d.row()["kind"] == "dislocation" and summary([d])["n_twins"] == 0


def test_twinning_partials():
    fe = {miller(t[0], 1, "()"): t for t in twinning_partials(FE)}
    assert len(fe) == 2  # the {112} planes that contain z = [1-10], one of each +-n
    _, n, h, hkl_p, den, lab = fe["(-1-12)"]
    assert h == pytest.approx(FE.a / np.sqrt(6)) and np.linalg.norm(lab[0]) / h == pytest.approx(
        np.sqrt(0.5))
    assert [miller(v, k) for v, k in zip(hkl_p, den)] == ["1/6[111]"]  # not 1/6[-1-1-1]
    cu = twinning_partials(CU)
    assert len(cu) == 2 and all(len(t[3]) == 3 for t in cu)
    names = {miller(v, k) for t in cu for v, k in zip(t[3], t[4])
             if miller(t[0], 1, "()") == "(-1-11)"}
    assert names == {"1/6[-1-1-2]", "1/6[-121]", "1/6[2-11]"}  # the (11-1) twin of "1/6[112]"
    assert twinning_partials(CU, ()) == []


def test_anti_twinning_shear_is_no_twin():
    """Planes sheared the opposite way (1/6[-1-1-1] on (-1-12)) make no bcc lattice."""
    X, x, cell, pbc, tip, *_ = twin_band(FE, (-1, -1, 2), burgers(FE, (-1, -1, -1), 6), 3, 40.0)
    assert find_dislocations(x, X, cell, pbc, FE, tip)[0] == []


def test_twin_front_near_the_tip_has_not_left_it():
    X, x, cell, pbc, tip, *_ = twin_band(FE, (-1, -1, 2), burgers(FE, (1, 1, 1), 6), 2, 12.0)
    assert find_dislocations(x, X, cell, pbc, FE, tip)[0] == []
    (tw,), _ = find_dislocations(x, X, cell, pbc, FE, tip, tip_radius=2.5, leave_distance=5.0)
    assert tw.kind == "twin" and tw.distance == pytest.approx(12.0, abs=1.5)


@pytest.mark.parametrize("crystal, plane, direction", [(FE, (-1, -1, 2), (1, 1, 1)),
                                                       (CU, (1, 1, -1), (1, 1, 2))])
def test_elastic_shear_along_a_twinning_direction_is_no_twin(crystal, plane, direction):
    n, _ = plane_of(crystal, plane)
    e = burgers(crystal, direction, 1)
    X, cell, pbc = slab(crystal, (0.0, 0.0), 30.0)
    F = np.eye(3) + 0.15 * np.outer(e / np.linalg.norm(e), n)
    assert find_dislocations(X @ F.T, X, cell, pbc, crystal, (0.0, 0.0))[0] == []


def test_twin_from_a_loaded_crack():
    """Three (-1-12) planes of Fe twinned from the tip along +y in a K-field: one twin;
    its boundaries alone would pass for a 1/2[111] dislocation."""
    X, x, cell, pbc, tip, faces = crack(FE, K=60.0, radius=50.0)
    n, d = plane_of(FE, (-1, -1, 2))
    t = np.array([n[1], -n[0]])
    p = burgers(FE, (1, 1, 1), 6)
    start = tip + ((0.5 * d - tip @ n[:2]) * n[:2])  # on the plane, next to the tip
    for k in range(3):
        s = start + k * d * n[:2]
        x += volterra(X, s + 30.0 * t, t, p) - volterra(X, s, t, p)
    (tw,), _ = find_dislocations(x, X, cell, pbc, FE, tip, face_i=faces)
    assert tw.kind == "twin" and tw.plane == "(-1-12)" and tw.burgers == "1/6[111]"
    assert tw.thickness == 3 and tw.angle == pytest.approx(90.0, abs=6.0)
    assert (tw.core_xy - start) @ t == pytest.approx(30.0, abs=2.0)
    (dis,), _ = find_dislocations(x, X, cell, pbc, FE, tip, face_i=faces, twins=())
    assert dis.kind == "dislocation" and dis.burgers == "1/2[111]"


def test_dislocation_defaults_keep_old_constructions():
    d = Dislocation(np.zeros(2), np.zeros(3), "1/2[111]", np.array([1.0, 0, 0]), "(-1-12)",
                    10.0, 90.0, 5, np.zeros(3), "1/2[111]")
    assert d.kind == "dislocation" and np.isnan(d.thickness)
    assert {"kind", "thickness"} <= set(d.row())


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


def test_no_slip_plane_contains_the_front():
    """fcc with the front along [001] (the (100)[010] cleavage crack): no {111}
    plane contains z, so a slipped region can be no dislocation of this slab,
    and the analysis says so instead of failing."""
    cube = Crystal("fcc", 3.6149, ((1, 0, 0), (0, 1, 0), (0, 0, 1)), "Cu")
    X, cell, pbc = slab(cube, (0.0, 0.0), 25.0)
    x = X.copy()
    up = X[:, 1] > 0.1
    x[up, 0] += 1.2  # rigid shear of the upper half: every bond across y = 0 slips
    found, slip = find_dislocations(x, X, cell, pbc, cube, (-20.0, 0.0))
    assert found == [] and slip.shape == (len(X), 3)


def test_twin_with_a_rigidly_shifted_boundary_keeps_its_thickness():
    """Four (-1-12) planes of Fe twinned, the next one shifted by p/2 along the band
    (a relaxed isosceles boundary): shear 4.5 p across the band, still a twin of 4."""
    p = burgers(FE, (1, 1, 1), 6)
    X, x, cell, pbc, tip, t, n, d = twin_band(FE, (-1, -1, 2), p, 4, 40.0)
    start = tip + 4 * d * n[:2]
    x += volterra(X, start + 40.0 * t, t, 0.5 * p) - volterra(X, start, t, 0.5 * p)
    (tw,), _ = find_dislocations(x, X, cell, pbc, FE, tip)
    assert tw.kind == "twin" and tw.thickness == 4 and tw.burgers == "1/6[111]"
    assert tw.distance == pytest.approx(40.0, abs=2.0)


# the relaxed Fe_mm (111)[1-10] crack, R = 150 A fully atomistic, fmax = 1e-3, ramped
# 1.30..1.55 K_G in steps of 0.05 (scripts/crack_follow.py --metal Fe): the atoms of a
# box around the (-1-12) twin that grows from the tip along +y, a wedge whose flat
# boundary carries 1.13 p + 0.5 p (an isosceles boundary); K / K_G, twinned planes of
# its thickest section, front (A from the tip)
FE_CRACK_TWIN = [(1.30, 5, 57.6), (1.45, 7, 82.1), (1.50, 7, 88.6), (1.55, 7, 91.8)]


@pytest.mark.parametrize("step", range(len(FE_CRACK_TWIN)))
def test_twin_of_a_relaxed_fe_crack_is_found_at_every_step(step):
    """The twin is reported while it grows (at 1.30, 1.50 and 1.55 K_G its shear,
    6.5 to 8.5 |p|, is half-way between integers: once missed, or taken for the
    1/2[111] dislocation of its stepped boundary), and nothing else is."""
    import pathlib

    data = np.load(pathlib.Path(__file__).parent / "twins" / "fe_crack_twin.npz")
    K, layers, front = FE_CRACK_TWIN[step]
    assert data["K_over_KG"][step] == pytest.approx(K)
    X = data["X"]
    found, _ = find_dislocations(X + data["u"][step], X, data["cell"], data["pbc"], FE,
                                 data["tip"], face_i=data["faces"])
    assert len(found) == 1
    tw = found[0]
    assert tw.kind == "twin" and tw.plane == "(-1-12)" and tw.burgers == "1/6[111]"
    assert tw.thickness == layers
    assert tw.distance == pytest.approx(front, abs=2.0)
    assert tw.angle == pytest.approx(90.0, abs=3.0)
