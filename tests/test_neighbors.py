"""The Cython neighbor list against its NumPy twin, and its layout contract."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qcsim._kernels import neighbors as kernels
from qcsim.errors import GeometryError
from qcsim.neighbors import NeighborList, _min_distance
from twins import neighbors as twin

PBC_ALL = list(itertools.product([False, True], repeat=3))
A_CU = 3.615


def random_cell(rng, lengths=(3.0, 12.0), triclinic=True):
    """(3, 3) cell with rows of the given length range, optionally sheared."""
    cell = np.diag(rng.uniform(*lengths, size=3))
    if triclinic:
        cell += np.triu(rng.uniform(-0.45, 0.45, size=(3, 3)), 1) * np.diag(cell)[None, :]
        cell = cell @ _rotation(rng)
    return cell


def _rotation(rng):
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    return q * np.sign(np.diag(r))


def random_positions(rng, cell, n, outside=0.3):
    """Sites in the cell, some pushed outside by up to ``outside`` cell lengths."""
    s = rng.uniform(-outside, 1 + outside, size=(n, 3))
    return s @ cell


def built(x_ic, cell, pbc, cutoff, skin=0.0):
    nl = NeighborList(cutoff, skin)
    nl.build(x_ic, cell, pbc)
    return nl


def pairs_of(nl, x_ic, r_max):
    return twin.pair_set(x_ic, nl.owner_e, nl.shift_ec, nl.offsets_e, nl.j_n, r_max)


def assert_layout(nl, x_ic):
    """Everything the kernels rely on, checked entry by entry."""
    n, n_ext = len(x_ic), nl.n_ext
    assert nl.n_sites == n
    assert nl.owner_e.dtype == np.int32 and nl.owner_e.shape == (n_ext,)
    assert nl.shift_ec.dtype == np.float64 and nl.shift_ec.shape == (n_ext, 3)
    assert nl.shift_ec.flags.c_contiguous
    assert nl.offsets_e.dtype == np.int64 and nl.offsets_e.shape == (n_ext + 1,)
    assert nl.j_n.dtype == np.int32 and nl.offsets_e[0] == 0
    assert nl.offsets_e[-1] == len(nl.j_n) == nl.n_pairs
    assert np.all(np.diff(nl.offsets_e) >= 0)
    assert np.all((nl.j_n >= 0) & (nl.j_n < n_ext))
    np.testing.assert_array_equal(nl.owner_e[nl.primary_i], np.arange(n))
    is_primary_e = np.zeros(n_ext, bool)
    is_primary_e[nl.primary_i] = True
    assert np.all(np.diff(nl.offsets_e)[~is_primary_e] == 0), "ghost rows must be empty"
    e_n = np.repeat(np.arange(n_ext), np.diff(nl.offsets_e))
    o_n, k_n = nl.owner_e[e_n], nl.owner_e[nl.j_n]
    same = o_n == k_n
    assert np.all((k_n > o_n) | same)
    d_nc = nl.shift_ec[nl.j_n[same]] - nl.shift_ec[e_n[same]]
    assert twin.lex_positive_n(d_nc).all()


def assert_same_pairs(x_ic, cell, pbc, cutoff, skin=0.0):
    """Cython list and twin hold the same physical pairs, each exactly once."""
    rcs = cutoff + skin
    nl = built(x_ic, cell, pbc, cutoff, skin)
    assert_layout(nl, x_ic)
    r_max = rcs * (1 - 1e-9)
    mine = sorted(pairs_of(nl, x_ic, r_max))
    ref = sorted(twin.pair_set(x_ic, *twin.build(x_ic, cell, pbc, rcs), r_max))
    assert len(set(ref)) == len(ref)
    assert mine == ref
    return nl


@pytest.fixture(params=["portable", "sse2", "avx2"])
def sweep(request):
    """Run a test with each distance sweep this build and CPU offer."""
    best = kernels.simd()
    if kernels.simd(request.param) != request.param:
        kernels.simd(best)
        pytest.skip(f"{request.param} sweep not available here")
    yield request.param
    kernels.simd(best)


# -- against the twin ----------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(0, 30), pbc=st.sampled_from(PBC_ALL),
       triclinic=st.booleans(), cutoff=st.floats(1.0, 5.0), skin=st.floats(0.0, 1.0))
def test_matches_twin_random(seed, n, pbc, triclinic, cutoff, skin):
    rng = np.random.default_rng(seed)
    cell = random_cell(rng, (2.5, 10.0), triclinic)
    x_ic = random_positions(rng, cell, n)
    assert_same_pairs(x_ic, cell, pbc, cutoff, skin)


@pytest.mark.parametrize("pbc", PBC_ALL)
@pytest.mark.parametrize("triclinic", [False, True])
def test_matches_twin_seeded(pbc, triclinic, sweep):
    rng = np.random.default_rng(sum(pbc) * 7 + triclinic)
    for _ in range(3):
        cell = random_cell(rng, (4.0, 14.0), triclinic)
        x_ic = random_positions(rng, cell, int(rng.integers(20, 120)))
        assert_same_pairs(x_ic, cell, pbc, rng.uniform(2.0, 4.5), rng.uniform(0.0, 1.0))


@pytest.mark.parametrize("pbc", [(True,) * 3, (False, True, True), (False,) * 3])
def test_matches_twin_dense(pbc, sweep):
    """Enough sites that pairs fill every corner of the bin stencil."""
    rng = np.random.default_rng(17)
    cell = random_cell(rng, (18.0, 22.0), True)
    x_ic = random_positions(rng, cell, 1200, outside=0.05)
    assert_same_pairs(x_ic, cell, pbc, 4.0, 1.0)


def test_tiny_triclinic_cells_many_layers(sweep):
    """Cells much shorter than the cutoff need several image layers."""
    rng = np.random.default_rng(3)
    for pbc in [(True, True, True), (True, False, True), (False, True, False)]:
        cell = random_cell(rng, (1.2, 2.0), True)
        assert_same_pairs(random_positions(rng, cell, 3), cell, pbc, 4.0, 0.5)


@pytest.mark.parametrize("pbc", [(True, False, True), (False, False, True), (True,) * 3])
def test_rotated_rectangular_cell(pbc):
    """Orthogonal cell vectors that are not along x, y, z (per-entry stencil path)."""
    rng = np.random.default_rng(21)
    cell = np.diag([9.0, 7.0, 8.0]) @ _rotation(rng)
    assert_same_pairs(random_positions(rng, cell, 150), cell, pbc, 3.5, 0.6)


def test_thin_slab():
    """QC slab mode: periodic along z with one short lattice period, free in-plane."""
    rng = np.random.default_rng(6)
    cell = np.diag([20.0, 20.0, 2.55])
    x_ic = random_positions(rng, cell, 120, outside=0.0)
    assert_same_pairs(x_ic, cell, (False, False, True), 4.5, 1.0)


def test_site_order_does_not_matter():
    rng = np.random.default_rng(12)
    cell = random_cell(rng, (8.0, 10.0), True)
    x_ic = random_positions(rng, cell, 100)
    perm = rng.permutation(100)
    r_max = 3.7 * (1 - 1e-9)
    a = pairs_of(built(x_ic, cell, (True,) * 3, 3.0, 0.7), x_ic, r_max)
    b = pairs_of(built(x_ic[perm], cell, (True,) * 3, 3.0, 0.7), x_ic[perm], r_max)
    back = [(int(perm[i]), int(perm[j]), *d) for i, j, *d in b]
    flip = [(j, i, *(-np.array(d) + 0.0)) if (i > j) else (i, j, *d) for i, j, *d in back]
    assert sorted(a) == sorted(flip)


def test_dense_cluster_grows_pair_buffer():
    """Density far above the bounding-box estimate: the buffer must grow."""
    rng = np.random.default_rng(5)
    x_ic = np.vstack([rng.uniform(0, 4.0, size=(150, 3)), [[80.0, 80.0, 80.0]]])
    nl = assert_same_pairs(x_ic, np.eye(3), (False,) * 3, 3.0, 0.5)
    assert nl.n_pairs > 5000


def test_free_cluster_all_pairs():
    rng = np.random.default_rng(11)
    x_ic = rng.uniform(-6, 6, size=(80, 3))
    nl = built(x_ic, np.zeros((3, 3)), (False,) * 3, 3.0, 0.7)
    d_ij = np.linalg.norm(x_ic[:, None] - x_ic[None], axis=-1)
    assert nl.n_ext == 80
    assert nl.n_pairs == np.count_nonzero(np.triu(d_ij < 3.7, 1))


# -- physics values ------------------------------------------------------------
def fcc_primitive():
    return np.zeros((1, 3)), 0.5 * A_CU * np.array([[0, 1, 1], [1, 0, 1], [1, 1, 0]])


def test_fcc_primitive_cell_shells():
    x_ic, cell = fcc_primitive()
    nl = built(x_ic, cell, (True,) * 3, 5.5)
    assert nl.n_pairs == 27  # 12 + 6 + 24 + 12 neighbours, halved
    i_n, j_n, dr_nc = nl.pairs(x_ic, cutoff=A_CU / np.sqrt(2) + 0.1)
    assert len(i_n) == 6  # 12 nearest neighbours, each pair once
    np.testing.assert_allclose(np.linalg.norm(dr_nc, axis=1), A_CU / np.sqrt(2))
    # every neighbour vector appears once with one sign or the other
    full = np.vstack([dr_nc, -dr_nc])
    assert len(np.unique(np.round(full, 9), axis=0)) == 12


@pytest.mark.parametrize("reps", [1, 3])
def test_fcc_supercell_27_half_neighbours(reps):
    base = A_CU * np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
    shifts = A_CU * np.array(list(itertools.product(range(reps), repeat=3)))
    x_ic = (shifts[:, None, :] + base[None]).reshape(-1, 3)
    nl = built(x_ic, np.eye(3) * A_CU * reps, (True,) * 3, 5.5, 1.0)
    i_n, _, _ = nl.pairs(x_ic)
    assert len(i_n) == 27 * len(x_ic)


# -- edge cases ------------------------------------------------------------------
@pytest.mark.parametrize("pbc", [(False,) * 3, (True,) * 3])
def test_zero_sites(pbc):
    nl = built(np.zeros((0, 3)), np.eye(3) * 5, pbc, 3.0)
    assert nl.n_sites == nl.n_ext == nl.n_pairs == 0
    assert nl.offsets_e.tolist() == [0]
    assert nl.extended_positions(np.zeros((0, 3))).shape == (0, 3)
    assert nl.fold(np.zeros(0)).shape == (0,)


def test_one_site():
    x_ic = np.array([[1.0, 2.0, 3.0]])
    assert built(x_ic, np.eye(3) * 10, (False,) * 3, 3.0).n_pairs == 0
    assert built(x_ic, np.eye(3) * 10, (True,) * 3, 3.0).n_pairs == 0
    nl = built(x_ic, np.eye(3) * 2.0, (True, False, False), 3.0)
    assert nl.n_pairs == 1  # the image at +a; the one at -a is the same pair
    np.testing.assert_allclose(nl.pairs(x_ic)[2], [[2.0, 0, 0]])


def test_sites_far_outside_cell_wrap():
    rng = np.random.default_rng(2)
    cell = random_cell(rng, (5.0, 8.0), True)
    x_ic = random_positions(rng, cell, 40, outside=0.0)
    jump_ic = rng.integers(-7, 8, size=(40, 3)) @ cell
    r_max = 3.5 * (1 - 1e-9)
    a = built(x_ic, cell, (True,) * 3, 3.0, 0.5)
    b = built(x_ic + jump_ic, cell, (True,) * 3, 3.0, 0.5)
    assert sorted(pairs_of(a, x_ic, r_max)) == sorted(pairs_of(b, x_ic + jump_ic, r_max))
    x_ec = b.extended_positions(x_ic + jump_ic)
    s_ic = x_ec[b.primary_i] @ np.linalg.inv(cell)
    assert np.all((s_ic > -1e-9) & (s_ic < 1 + 1e-9)), "primaries are wrapped into the cell"


def test_errors():
    with pytest.raises(GeometryError):
        built(np.zeros((2, 3)), np.diag([1.0, 1.0, 0.0]), (True,) * 3, 2.0)
    with pytest.raises(GeometryError):
        built(np.array([[0, 0, np.nan]]), np.eye(3), (False,) * 3, 2.0)
    with pytest.raises(GeometryError):
        built(np.zeros((1, 3)), np.diag([5.0, 5.0, 0.01]), (True,) * 3, 2.0)
    with pytest.raises(ValueError):
        NeighborList(0.0)


# -- rebuild logic ---------------------------------------------------------------
def test_rebuild_on_displacement_and_cell_change():
    rng = np.random.default_rng(4)
    cell, pbc = np.eye(3) * 9.0, (True,) * 3
    x_ic = random_positions(rng, cell, 50, outside=0.0)
    nl = NeighborList(3.0, skin=1.0)
    assert nl.update(x_ic, cell, pbc) and nl.n_builds == 1
    assert not nl.update(x_ic, cell, pbc)
    small = x_ic.copy()
    small[7] += [0.49, 0.0, 0.0]
    assert not nl.update(small, cell, pbc) and nl.n_builds == 1
    large = x_ic.copy()
    large[7] += [0.3, 0.3, 0.3]  # 0.52 > skin / 2
    assert nl.update(large, cell, pbc) and nl.n_builds == 2
    assert not nl.update(large, cell, pbc)
    assert nl.update(large, cell * 1.01, pbc) and nl.n_builds == 3
    assert nl.update(large, cell * 1.01, (True, True, False)) and nl.n_builds == 4
    assert nl.update(large[:-1], cell * 1.01, (True, True, False)) and nl.n_builds == 5


def test_rebuilds_of_one_list_reuse_storage_safely():
    """Sparse, dense, then sparse again through the same list: each build is exact."""
    rng = np.random.default_rng(13)
    nl = NeighborList(3.0, 0.5)
    # same n twice in a row: the second build visits sites in the first's bin order
    for n, size in [(30, 12.0), (400, 9.0), (20, 15.0), (300, 8.0), (300, 8.5)]:
        cell = random_cell(rng, (size, size + 1.0), True)
        x_ic = random_positions(rng, cell, n)
        nl.build(x_ic, cell, (True,) * 3)
        assert_layout(nl, x_ic)
        ref = twin.pair_set(x_ic, *twin.build(x_ic, cell, (True,) * 3, 3.5), 3.5 * (1 - 1e-9))
        assert sorted(pairs_of(nl, x_ic, 3.5 * (1 - 1e-9))) == sorted(ref)


def test_list_stays_valid_under_skin():
    """Every pair within the cutoff is still listed after moves below skin / 2."""
    rng = np.random.default_rng(8)
    cell, pbc = random_cell(rng, (7.0, 9.0), True), (True, True, False)
    x_ic = random_positions(rng, cell, 60)
    nl = NeighborList(3.0, skin=0.8)
    nl.update(x_ic, cell, pbc)
    step = rng.normal(size=x_ic.shape)
    x2 = x_ic + 0.399 * step / np.linalg.norm(step, axis=1, keepdims=True)
    assert not nl.update(x2, cell, pbc)
    ref = twin.pair_set(x2, *twin.build(x2, cell, pbc, 3.0), 3.0 * (1 - 1e-9))
    assert sorted(pairs_of(nl, x2, 3.0 * (1 - 1e-9))) == sorted(ref)


# -- gather / fold / extended positions -----------------------------------------
def test_gather_fold_extended_positions():
    rng = np.random.default_rng(9)
    cell = random_cell(rng, (3.0, 6.0), True)
    x_ic = random_positions(rng, cell, 25)
    nl = built(x_ic, cell, (True, False, True), 3.0, 0.5)
    x2 = x_ic + rng.normal(scale=0.1, size=x_ic.shape)
    np.testing.assert_array_equal(nl.extended_positions(x2),
                                  twin.gather_positions(x2, nl.owner_e, nl.shift_ec))
    out = np.empty((nl.n_ext, 3))
    assert nl.extended_positions(x2, out=out) is out
    a_i = rng.normal(size=(25, 2))
    np.testing.assert_array_equal(nl.gather(a_i), a_i[nl.owner_e])
    for shape in [(nl.n_ext,), (nl.n_ext, 3), (nl.n_ext, 5)]:
        a_e = rng.normal(size=shape)
        np.testing.assert_allclose(nl.fold(a_e), twin.fold(a_e, nl.owner_e, 25), atol=1e-12)
    a_e = rng.integers(0, 9, size=nl.n_ext)
    np.testing.assert_array_equal(nl.fold(a_e), twin.fold(a_e, nl.owner_e, 25))
    out = np.full((25, 3), 7.0)
    a_e = rng.normal(size=(nl.n_ext, 3))
    assert nl.fold(a_e, out=out) is out
    np.testing.assert_allclose(out, twin.fold(a_e, nl.owner_e, 25), atol=1e-12)
    np.testing.assert_allclose(nl.fold(np.ones(nl.n_ext)).sum(), nl.n_ext)


def test_min_distance_of_bins():
    """The stencil's exact bin-to-bin distance against dense sampling."""
    rng = np.random.default_rng(1)
    m_cc = random_cell(rng, (0.5, 1.5), True)
    k_kc = rng.integers(-3, 4, size=(40, 3)).astype(float)
    t_tc = rng.uniform(-1, 1, size=(20000, 3))
    t_tc = np.vstack([t_tc, np.array(list(itertools.product([-1, 1], repeat=3)))])
    exact = _min_distance(k_kc, m_cc)
    for k_c, d in zip(k_kc, exact):
        sampled = np.linalg.norm((k_c + t_tc) @ m_cc, axis=1).min()
        assert d <= sampled + 1e-12
        assert sampled - d < 0.2


@pytest.mark.parametrize("seed", range(4))
def test_exclusion_drops_exactly_the_pairs_between_two_groups(seed):
    rng = np.random.default_rng(seed)
    cell = random_cell(rng)
    pbc = rng.integers(0, 2, size=3).astype(bool)
    x = random_positions(rng, cell, 150)
    group = rng.integers(0, 4, size=len(x))
    full = built(x, cell, pbc, 3.0, 0.5)
    cut = NeighborList(3.0, 0.5)
    cut.exclude_between(group, 1, 2)
    cut.update(x, cell, pbc)
    assert_layout(cut, x)
    r_max = 3.5 * (1 - 1e-9)

    def across(p):
        return {group[p[0]], group[p[1]]} == {1, 2}

    expected = sorted(p for p in pairs_of(full, x, r_max) if not across(p))
    assert sorted(pairs_of(cut, x, r_max)) == expected
    assert len(expected) < len(pairs_of(full, x, r_max))  # something was cut
    cut.exclude_between(None)  # lifting the exclusion forces a rebuild with every pair
    assert cut.update(x, cell, pbc)
    assert sorted(pairs_of(cut, x, r_max)) == sorted(pairs_of(full, x, r_max))


@pytest.mark.parametrize("seed", range(4))
def test_pairs_across_a_cut_are_kept_on_exactly_one_side(seed):
    """Two ranks' lists of the same atoms (each its own atoms, the other's as ghosts):
    every pair of the whole list is in exactly one of them."""
    rng = np.random.default_rng(seed)
    cell = random_cell(rng)
    pbc = rng.integers(0, 2, size=3).astype(bool)
    x = random_positions(rng, cell, 150)
    side = rng.integers(0, 2, size=len(x)).astype(np.int32)
    key = rng.permutation(len(x)).astype(np.uint64)
    full = sorted(pairs_of(built(x, cell, pbc, 3.0, 0.5), x, 3.5 * (1 - 1e-9)))
    seen = []
    for ghost in (side, 1 - side):
        nl = NeighborList(3.0, 0.5)
        nl.keep_one_side(ghost, key)  # no pair of two ghosts, and one side of a cut
        nl.update(x, cell, pbc)
        assert_layout(nl, x)
        mine = pairs_of(nl, x, 3.5 * (1 - 1e-9))
        for a, b, *_ in mine:  # a pair across the cut: the owned atom has the smaller key
            if ghost[a] != ghost[b]:
                own, other = (a, b) if ghost[a] == 0 else (b, a)
                assert key[own] < key[other]
        seen += mine
    assert sorted(seen) == full
    assert any(side[a] != side[b] for a, b, *_ in full)  # there is a cut
