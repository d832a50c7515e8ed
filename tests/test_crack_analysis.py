"""Crack-tip tracking (broken bonds across the crack plane) and defect detection
(centrosymmetry, adaptive CNA, emitted dislocations) on synthetic slabs."""
import numpy as np
import pytest

from qcsim.analysis.crack_tip import (bond_threshold, crack_tip, find_crack_tip, model_crack_tip,
                                  plane_bonds)
from qcsim.analysis.defects import (BCC, FCC, HCP, OTHER, Shells, adaptive_cna, analyse_defects,
                                    centrosymmetry, complete_neighborhoods, model_defects)
from qcsim.lattice import Crystal, SlabLattice

CU = Crystal("fcc", 3.615, ((1, 1, -2), (1, 1, 1), (1, -1, 0)))
FE = Crystal("bcc", 2.87, ((1, 0, 0), (0, 1, 1), (0, -1, 1)), "Fe")
BONDS_PER_ATOM = {"fcc": 3, "bcc": 2}  # first neighbours in the next (111) / (011) plane


def slab_box(crystal, half_x=30.0, half_y=20.0):
    slab = SlabLattice.of(crystal)
    ij = slab.sites_in_box((-half_x, -half_y), (half_x, half_y))
    return slab, ij, slab.positions(ij), np.diag([0.0, 0.0, slab.Lz]), (False, False, True)


def interior(slab, crystal, X, cell, pbc, depth=2):
    sh = Shells.of(crystal)
    r, n = sh.coordination
    return complete_neighborhoods(X, cell, pbc, r, n, depth)


def opened(ij, X, x_tip, row=0, gap=2.0):
    """Rows j >= row moved up by ``gap`` where x < x_tip."""
    x = X.copy()
    x[(ij[:, 1] >= row) & (X[:, 0] < x_tip), 1] += gap
    return x


# -- structure of perfect and faulted crystals -------------------------------------------
@pytest.mark.parametrize("crystal, host", [(CU, FCC), (FE, BCC)])
def test_perfect_interior_is_host_with_zero_csp(crystal, host):
    slab, ij, X, cell, pbc = slab_box(crystal)
    sh = Shells.of(crystal)
    inside = interior(slab, crystal, X, cell, pbc, depth=1)
    assert inside.sum() > 300
    s = adaptive_cna(X, cell, pbc, sh.r_search)
    P = centrosymmetry(X, cell, pbc, sh.n_csp, sh.r_search)
    assert np.all(s[inside] == host)
    assert np.abs(P[inside]).max() < 1e-10
    # free surfaces: incomplete reference neighbourhoods are not the host structure, and
    # those missing some of the n_csp nearest have a high CSP
    assert np.all(s[~inside] != host)
    r, n = sh.enclosing(sh.n_csp)
    assert np.all(P[~complete_neighborhoods(X, cell, pbc, r, n)] > 1.0)
    summary = analyse_defects(X, X, cell, pbc, crystal).summary()
    assert summary["emitted"] is False and summary["n_other"] == summary["n_hcp"] == 0


def test_intrinsic_stacking_fault_gives_two_hcp_planes():
    slab, ij, X, cell, pbc = slab_box(CU)
    # a/6<112> in the (111) plane, along x = [11-2] here: length a/sqrt(6).  Of +-b_p only
    # one gives the intrinsic fault; the other puts atoms on top of each other (AA stacking)
    b_p = CU.a / np.sqrt(6.0)
    j0 = 1
    up = ij[:, 1] >= j0
    shifts = []
    for sign in (1.0, -1.0):
        x = X.copy()
        x[up, 0] += sign * b_p
        d = np.linalg.norm(x[up][None, :, :2] - x[~up][:, None, :2], axis=2).min()
        shifts.append((d, x))
    x = max(shifts, key=lambda t: t[0])[1]
    ok = interior(slab, CU, X, cell, pbc) & (np.abs(X[:, 0]) < 20.0)
    rep = analyse_defects(x, X, cell, pbc, CU)
    s = rep.structure_i
    fault = np.isin(ij[:, 1], (j0 - 1, j0))
    assert np.all(s[ok & fault] == HCP) and np.all(s[ok & ~fault] == FCC)
    assert set(np.unique(ij[ok & (s == HCP), 1])) == {j0 - 1, j0}
    # CSP of an hcp atom: three of its six pairs miss by b_p = a / sqrt(6), so 3 b_p^2 = a^2 / 2
    assert np.allclose(rep.csp_i[ok & fault], CU.a**2 / 2, rtol=1e-6)
    assert np.abs(rep.csp_i[ok & ~fault]).max() < 1e-10
    summ = rep.summary()
    assert summ["emitted"] and summ["n_hcp"] >= 2 * 20
    y_fault = 0.5 * (X[ij[:, 1] == j0 - 1, 1].mean() + X[ij[:, 1] == j0, 1].mean())
    assert abs(summ["dislocation_y"] - y_fault) < 0.5


def test_bcc_csp_and_cna_under_shear_fault():
    """bcc: perfect -> bcc and CSP 0; a {110} half-crystal shift by a/2 [100] breaks both."""
    slab, ij, X, cell, pbc = slab_box(FE)
    ok = interior(slab, FE, X, cell, pbc) & (np.abs(X[:, 0]) < 15.0)
    x = X.copy()
    x[ij[:, 1] >= 1, 0] += 0.5 * FE.a  # not a lattice vector: a planar fault on (011)
    rep = analyse_defects(x, X, cell, pbc, FE)
    near = np.isin(ij[:, 1], (0, 1))
    assert np.all(rep.structure_i[ok & near] == OTHER)
    assert np.all(rep.structure_i[ok & (np.abs(ij[:, 1] - 0.5) > 2)] == BCC)
    assert rep.csp_i[ok & near].min() > 1.0
    assert rep.summary()["emitted"]  # non-host atoms, away from surfaces


@pytest.mark.parametrize("crystal, host", [(CU, FCC), (FE, BCC)])
def test_rattling_changes_nothing(crystal, host):
    slab, ij, X, cell, pbc = slab_box(crystal)
    rng = np.random.default_rng(3)
    x = X + rng.uniform(-0.05, 0.05, X.shape)
    inside = interior(slab, crystal, X, cell, pbc)
    rep = analyse_defects(x, X, cell, pbc, crystal)
    assert np.all(rep.structure_i[inside] == host)
    assert not rep.emitted
    if crystal.lattice == "fcc":
        assert rep.csp_i[inside].max() < 0.5  # bcc: a second neighbour can swap into the 8
    tip = find_crack_tip(X, x, ij, slab.Lz)
    assert tip.broken_b.sum() == 0 and np.isnan(tip.tip_x)
    opened_tip = find_crack_tip(X, opened(ij, X, 3.0) + (x - X), ij, slab.Lz)
    assert opened_tip.tip_x == find_crack_tip(X, opened(ij, X, 3.0), ij, slab.Lz).tip_x


# -- crack tip ----------------------------------------------------------------------------
@pytest.mark.parametrize("crystal", [CU, FE])
def test_plane_bonds_are_first_neighbours_with_z_images(crystal):
    slab, ij, X, cell, pbc = slab_box(crystal)
    b = plane_bonds(X, ij, slab.Lz)
    d1 = Shells.of(crystal).d_s[0]
    assert np.allclose(b.length0_b, d1)
    assert np.all(ij[b.lower_b, 1] == -1) and np.all(ij[b.upper_b, 1] == 0)
    # away from the x ends every atom of row 0 has its full set of bonds below
    upper = ij[:, 1] == 0
    mid = upper & (np.abs(X[:, 0]) < 25.0)
    count = np.bincount(b.upper_b, minlength=len(X))
    assert np.all(count[mid] == BONDS_PER_ATOM[crystal.lattice])
    assert b.d12 == pytest.approx(tuple(Shells.of(crystal).d_s[:2]))
    assert 0.5 * sum(b.d12) == pytest.approx(bond_threshold(crystal))
    # x = X + u, unwrapped: a rigid translation of several periods along z breaks nothing
    tip = crack_tip(b, X + np.array([0.3, 0.0, 3.0 * slab.Lz + 0.7]))
    assert tip.broken_b.sum() == 0 and np.allclose(tip.length_b, d1)


@pytest.mark.parametrize("crystal", [CU, FE])
@pytest.mark.parametrize("x_tip", [-4.3, 0.0, 7.9])
def test_tip_of_opened_crack(crystal, x_tip):
    slab, ij, X, cell, pbc = slab_box(crystal)
    spacing = np.linalg.norm(slab.b_kc[0])  # bond spacing along the crack front
    tip = find_crack_tip(X, opened(ij, X, x_tip), ij, slab.Lz)
    assert abs(tip.tip_x - x_tip) <= spacing
    assert tip.tip_x < x_tip + 0.5 * spacing
    assert tip.isolated_b.sum() == 0 and tip.crack_b.sum() == tip.broken_b.sum()
    assert tip.y_plane == pytest.approx(0.5 * (X[ij[:, 1] == -1, 1][0] + X[ij[:, 1] == 0, 1][0]))


@pytest.mark.parametrize("crystal", [CU, FE])
def test_isolated_broken_bonds_ahead_do_not_move_the_tip(crystal):
    slab, ij, X, cell, pbc = slab_box(crystal)
    x_tip = -2.0
    x = opened(ij, X, x_tip)
    ref = find_crack_tip(X, x, ij, slab.Lz)
    # one atom of row 0 pulled up 10 A ahead of the tip (a core cutting the plane)
    k = np.nonzero((ij[:, 1] == 0) & (X[:, 0] > 12.0))[0]
    k = k[np.argmin(X[k, 0])]
    x[k, 1] += 2.0
    tip = find_crack_tip(X, x, ij, slab.Lz)
    assert tip.tip_x == ref.tip_x
    n_iso = BONDS_PER_ATOM[crystal.lattice]
    assert tip.isolated_b.sum() == n_iso
    assert np.all(np.abs(tip.isolated_x - X[k, 0]) < 2.0)
    s = tip.summary()
    assert s["n_isolated"] == n_iso and s["n_broken"] == ref.broken_b.sum() + n_iso
    # a bridged ligament: re-close the crack over 6 A behind the tip; the crack now
    # ends at the ligament and the open part beyond it is isolated
    x2 = x.copy()
    lig = (ij[:, 1] >= 0) & (X[:, 0] > x_tip - 12.0) & (X[:, 0] < x_tip - 6.0)
    x2[lig, 1] = X[lig, 1]
    tip2 = find_crack_tip(X, x2, ij, slab.Lz)
    spacing = np.linalg.norm(slab.b_kc[0])
    assert abs(tip2.tip_x - (x_tip - 12.0)) < spacing
    assert tip2.isolated_b.sum() > n_iso
    assert np.all(tip2.isolated_x > x_tip - 6.0 - spacing)


def test_threshold_is_settable():
    slab, ij, X, cell, pbc = slab_box(CU)
    x = opened(ij, X, 0.0, gap=0.4)  # stretched 0.3-0.4 A, below the default threshold
    assert np.isnan(find_crack_tip(X, x, ij, slab.Lz).tip_x)
    tip = find_crack_tip(X, x, ij, slab.Lz, threshold=2.7)
    assert abs(tip.tip_x) <= np.linalg.norm(slab.b_kc[0])


# -- emitted dislocations ------------------------------------------------------------------
def partial_ribbon(ij, X, x, j0, x_core):
    """A stacking-fault ribbon on the plane below row j0 for x > x_core (smooth core)."""
    b_p = CU.a / np.sqrt(6.0)
    x = x.copy()
    up = ij[:, 1] >= j0
    x[up, 0] += b_p * (0.5 + np.arctan((X[up, 0] - x_core) / 1.5) / np.pi)
    return x


def test_emitted_partial_is_found_away_from_the_crack():
    slab, ij, X, cell, pbc = slab_box(CU, half_x=40.0, half_y=25.0)
    x_tip = -5.0
    crack = opened(ij, X, x_tip)
    rep = analyse_defects(crack, X, cell, pbc, CU)
    assert not rep.emitted  # crack faces and the tip are surfaces, not dislocations
    assert rep.surface_i[(ij[:, 1] == 0) & (X[:, 0] < x_tip - 5)].all()
    j0 = 6
    x = partial_ribbon(ij, X, crack, j0, x_core=10.0)
    rep = analyse_defects(x, X, cell, pbc, CU, origin_xy=(x_tip, 0.0))
    s = rep.summary()
    assert s["emitted"] and s["n_clusters"] == 1
    y_fault = 0.5 * (X[ij[:, 1] == j0 - 1, 1].mean() + X[ij[:, 1] == j0, 1].mean())
    assert abs(s["dislocation_y"] - y_fault) < 1.5 and s["dislocation_x"] > 10.0
    c = rep.clusters[0]
    assert c.lo_xy[0] > 5.0  # the ribbon starts near the core
    assert c.far_xy[0] == c.hi_xy[0] and s["far_positions"] == [list(c.far_xy)]
    # the same ribbon next to the crack faces is excluded by the margin
    x = partial_ribbon(ij, X, crack, 1, x_core=-40.0)
    near = analyse_defects(x, X, cell, pbc, CU, exclude_i=X[:, 0] > x_tip)
    assert not near.emitted


# -- QC model helpers ----------------------------------------------------------------------
def test_model_helpers():
    from qcsim import Calculator
    from qcsim.build import SlabSetup, build_slab_model
    from qcsim.mesh import Slit

    pot = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"]).potential
    setup = SlabSetup(center=(0.0, 0.0), r_core=12.0, r_outer=50.0, slit=Slit(tip_x=0.0, row=0))
    model, slab = build_slab_model(pot, CU, setup)
    X, site = model.mesh.X_nc, model.mesh.site_nk
    x_tip = 3.0
    model.U_nc[(site[:, 1] >= 0) & (X[:, 0] < x_tip), 1] += 2.0
    tip = model_crack_tip(model, slab)
    assert abs(tip.tip_x - x_tip) <= np.linalg.norm(slab.b_kc[0])
    atoms = set(model.regions.atoms.tolist())
    assert set(tip.bonds.lower_b.tolist()) <= atoms and set(tip.bonds.upper_b.tolist()) <= atoms
    everywhere = model_crack_tip(model, slab, all_nodes=True)
    assert everywhere.tip_x == tip.tip_x and everywhere.bonds.n_bonds >= tip.bonds.n_bonds
    rep = model_defects(model, CU)
    assert np.array_equal(rep.index_i, model.regions.atoms)
    s = rep.summary()
    assert not s["emitted"] and s["n_hcp"] == 0 and s["n_fcc"] > 0


# -- a-CNA internals against brute force ----------------------------------------------------
def brute_signatures(R_kc, rcut):
    """(cn, nb, lcb) of each bond by plain graph search."""
    k = len(R_kc)
    A = np.linalg.norm(R_kc[:, None] - R_kc[None], axis=2) < rcut
    np.fill_diagonal(A, False)
    out = []
    for a in range(k):
        c = list(np.nonzero(A[a])[0])
        edges = [(p, q) for i, p in enumerate(c) for q in c[i + 1:] if A[p, q]]
        best, seen = 0, set()
        for start in c:  # bonds of each connected cluster
            if start in seen:
                continue
            comp, stack = {start}, [start]
            while stack:
                p = stack.pop()
                for q in c:
                    if A[p, q] and q not in comp:
                        comp.add(q)
                        stack.append(q)
            seen |= comp
            best = max(best, sum(1 for p, q in edges if p in comp))
        out.append((len(c), len(edges), best))
    return np.array(out)


def test_chain_of_six_bonds_on_every_graph():
    import itertools

    from qcsim.analysis.cna import _chain_of_six_bonds

    pairs = list(itertools.combinations(range(6), 2))
    rows, degs, want = [], [], []
    for edges in itertools.combinations(pairs, 6):
        A = np.zeros((6, 6), dtype=bool)
        for p, q in edges:
            A[p, q] = A[q, p] = True
        rows.append((A * (1 << np.arange(6))).sum(axis=1))
        degs.append(A.sum(axis=1))
        lab = np.arange(6)
        for _ in range(6):
            for p, q in edges:
                lab[p] = lab[q] = min(lab[p], lab[q])
        want.append(max(sum(1 for p, q in edges if lab[p] == g) for g in set(lab)))
    got = _chain_of_six_bonds(np.array(rows, dtype=np.int64), np.array(degs, dtype=np.int64))
    assert len(got) == 5005 and np.array_equal(got, want)


@pytest.mark.parametrize("crystal", [CU, FE])
def test_signatures_match_brute_force_on_distorted_neighbourhoods(crystal):
    from qcsim.analysis.cna import _ACNA_FACTOR, _signatures
    from qcsim.analysis.defects import nearest_neighbors

    slab, ij, X, cell, pbc = slab_box(crystal, 8.0, 8.0)
    rng = np.random.default_rng(11)
    x = X + rng.normal(scale=0.25, size=X.shape)
    R, _, count = nearest_neighbors(x, cell, pbc, 14, Shells.of(crystal).r_search)
    ok = count >= 14
    R = R[ok]
    for k, rcut in ((12, _ACNA_FACTOR * np.linalg.norm(R[:, :12], axis=2).mean(axis=1)),
                    (14, _ACNA_FACTOR * np.linalg.norm(R[:, :14], axis=2).mean(axis=1))):
        cn, nb, lcb = _signatures(R[:, :k], rcut)
        n_checked, kinds = 0, set()
        for m in range(len(R)):
            want = brute_signatures(R[m, :k], rcut[m])
            assert np.array_equal(cn[m], want[:, 0]) and np.array_equal(nb[m], want[:, 1])
            known = lcb[m] >= 0
            assert np.array_equal(lcb[m][known], want[known, 2])
            n_checked += known.sum()
            kinds |= {tuple(t) for t in want[known]}
        assert n_checked > 50 and len(kinds) >= 3


def test_precrack_counts_as_crack_when_barely_open():
    slab, ij, X, cell, pbc = slab_box(CU)
    spacing = np.linalg.norm(slab.b_kc[0])
    x = opened(ij, X, -6.0, gap=0.3)  # a pre-crack at low K: nothing longer than the threshold
    assert np.isnan(find_crack_tip(X, x, ij, slab.Lz).tip_x)
    tip = find_crack_tip(X, x, ij, slab.Lz, precrack_x=-6.0)
    assert -6.0 - spacing < tip.tip_x <= -6.0 and tip.broken_b.sum() == 0
    # advance: bonds broken beyond the pre-crack extend it; isolated ones ahead stay isolated
    x = opened(ij, X, 4.0)
    x[(ij[:, 1] >= 0) & (X[:, 0] < -6.0), 1] -= 1.7  # the old part nearly closed again
    k = np.nonzero((ij[:, 1] == 0) & (X[:, 0] > 15.0))[0]
    x[k[np.argmin(X[k, 0])], 1] += 2.0
    tip = find_crack_tip(X, x, ij, slab.Lz, precrack_x=-6.0)
    assert abs(tip.tip_x - 4.0) <= spacing and tip.isolated_b.sum() == 3
