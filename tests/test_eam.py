"""EAM styles: kernels against their NumPy twin, exact gradients, LAMMPS tabulation, physics."""
from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from ase.neighborlist import neighbor_list
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import eam_synthetic as syn
from potential_helpers import fd_gradient, random_list
from qcsim._kernels import eam as kernel
from qcsim.neighbors import NeighborList
from qcsim.potentials import make_potential
from qcsim.potentials.eam import EAM, EAMFS, EAMAlloy
from qcsim.potentials.eam_files import read_funcfl, read_setfl
from qcsim.potentials.eam_tables import interpolate, spline_eval
from qcsim.potentials.files import PACKAGE_POTENTIALS
from twins import eam as twin

CU_U3 = PACKAGE_POTENTIALS / "Cu_u3.eam"
CU_MISHIN = PACKAGE_POTENTIALS / "Cu_mishin1.eam.alloy"
AL_MM = PACKAGE_POTENTIALS / "Al_mm.eam.fs"


# -- kernels == NumPy twin ------------------------------------------------------
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_ext=st.integers(1, 40), nt=st.integers(1, 3),
       nr=st.integers(5, 40), weighted=st.booleans(), want_epair=st.booleans())
def test_kernels_match_twin(seed, n_ext, nt, nr, weighted, want_epair):
    rng = np.random.default_rng(seed)
    box, cut = 6.0, 5.0
    x_ec, offsets_e, j_n = random_list(rng, n_ext, box)
    type_e = rng.integers(0, nt, n_ext).astype(np.int32)
    rdr = (nr - 1) / 4.0  # the table ends at 4 A: pairs beyond use its last interval
    dens_tab = rng.normal(size=nt * nt * (nr + 1) * 8)
    force_tab = rng.normal(size=nt * nt * (nr + 1) * 16)

    outs = []
    for impl in (kernel, twin):
        rho_e = np.zeros(n_ext)
        impl.density(x_ec, type_e, offsets_e, j_n, dens_tab, nt, nr, rdr, cut * cut, rho_e)
        outs.append(rho_e)
    rho_k, rho_t = outs
    np.testing.assert_allclose(rho_k, rho_t, rtol=1e-12, atol=1e-12 * (1 + abs(rho_t).max()))

    wfp_e = rng.normal(size=n_ext)
    w_e = rng.uniform(0.0, 1.0, n_ext)
    outs = []
    for impl in (kernel, twin):
        f_ec, ep, vir = np.zeros((n_ext, 3)), np.zeros(n_ext), np.zeros(6)
        energy = impl.forces(x_ec, type_e, offsets_e, j_n, cut * cut, wfp_e, w_e, weighted,
                             force_tab,
                             nt, nr, rdr, f_ec, ep, want_epair, vir)
        outs.append((energy, f_ec, ep, vir))
    for a, b in zip(outs[0], outs[1]):
        b = np.asarray(b)
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11 * (1 + abs(b).max()))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 50), nt=st.integers(1, 3),
       nrho=st.integers(5, 30))
def test_embed_matches_twin(seed, n, nt, nrho):
    rng = np.random.default_rng(seed)
    drho = 0.1
    rhomax = (nrho - 1) * drho
    rho_i = rng.uniform(-0.5, 1.5 * rhomax, n)  # below 0 and above rhomax too
    type_i = rng.integers(0, nt, n).astype(np.int32)
    frho_tab = rng.normal(size=nt * (nrho + 1) * 7)
    got = [np.empty(n) for _ in range(4)]
    kernel.embed(rho_i, type_i, frho_tab, nrho, 1.0 / drho, rhomax, got[0], got[1])
    twin.embed(rho_i, type_i, frho_tab, nrho, 1.0 / drho, rhomax, got[2], got[3])
    np.testing.assert_allclose(got[0], got[2], rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(got[1], got[3], rtol=1e-13, atol=1e-13)


# -- systems ------------------------------------------------------------------
def crystal(symbol="Cu", a=3.615, reps=(2, 2, 2), amp=0.08, seed=1, pbc=True, lattice="fcc"):
    atoms = bulk(symbol, lattice, a=a, cubic=True).repeat(reps)
    atoms.rattle(amp, seed=seed)
    if pbc is not True:
        atoms.center(vacuum=4.0, axis=2)
        atoms.pbc = pbc
    return atoms


def evaluate(pot, atoms, types=None, weights=None, skin=0.5):
    nl = NeighborList(pot.cutoff, skin)
    nl.update(atoms.positions, atoms.cell.array, atoms.pbc)
    if types is None:
        types = np.zeros(len(atoms), dtype=np.int32)
    return pot.compute(nl, atoms.positions, types, weights)


def synthetic(tmp_path, style):
    if style == "eam/alloy":
        return EAMAlloy(syn.write_setfl(tmp_path / "AB.eam.alloy"), elements=["A", "B"])
    if style == "eam/fs":
        return EAMFS(syn.write_setfl(tmp_path / "AB.eam.fs", fs=True), elements=["A", "B"])
    files = [syn.write_funcfl(tmp_path / "a.eam"),
             syn.write_funcfl(tmp_path / "b.eam", z_scale=1.7, dr=0.005, nr=1001, drho=0.012)]
    return EAM(files, elements=["A", "B"])


SYSTEMS = {
    "Cu_u3-bulk": (lambda tmp: EAM(CU_U3), lambda: crystal(), 1),
    "mishin-slab": (lambda tmp: EAMAlloy(CU_MISHIN, ["Cu"]), lambda: crystal(pbc=(True, True, False)), 1),
    "Al_mm-bulk": (lambda tmp: EAMFS(AL_MM, ["Al"]), lambda: crystal("Al", 4.05), 1),
    "AB-alloy": (lambda tmp: synthetic(tmp, "eam/alloy"), lambda: crystal(a=3.5), 2),
    "AB-fs": (lambda tmp: synthetic(tmp, "eam/fs"), lambda: crystal(a=3.5, pbc=(True, False, True)), 2),
    "AB-funcfl": (lambda tmp: synthetic(tmp, "eam"), lambda: crystal(a=3.5), 2),
}


@pytest.mark.parametrize("name", SYSTEMS)
def test_forces_are_minus_gradient_of_weighted_energy(tmp_path, name):
    make_pot, make_atoms, nt = SYSTEMS[name]
    pot, atoms = make_pot(tmp_path), make_atoms()
    rng = np.random.default_rng(5)
    types = rng.integers(0, nt, len(atoms)).astype(np.int32)
    nl = NeighborList(pot.cutoff, 0.5)
    nl.update(atoms.positions, atoms.cell.array, atoms.pbc)
    coords = [(i, c) for i in rng.choice(len(atoms), 6, replace=False) for c in range(3)]
    for weights in (None, rng.uniform(0.0, 1.0, len(atoms))):
        ev = pot.compute(nl, atoms.positions, types, weights)

        def energy(x):
            assert not nl.update(x, atoms.cell.array, atoms.pbc)
            return pot.compute(nl, x, types, weights, energies=False).energy

        fd = fd_gradient(energy, atoms.positions, coords)
        got = np.array([-ev.forces_ic[i, c] for i, c in coords])
        np.testing.assert_allclose(got, fd, atol=2e-6, rtol=1e-6)
        if weights is None:
            assert ev.energy == pytest.approx(ev.energies_i.sum(), rel=1e-13, abs=1e-11)
        else:
            assert ev.energy == pytest.approx(weights @ ev.energies_i, rel=1e-13, abs=1e-11)
        assert np.allclose(ev.virial_cc, ev.virial_cc.T, atol=1e-12)


@pytest.mark.parametrize("name", ["Cu_u3-bulk", "AB-fs"])
def test_virial_is_minus_strain_derivative(tmp_path, name):
    make_pot, make_atoms, nt = SYSTEMS[name]
    pot, atoms = make_pot(tmp_path), make_atoms()
    atoms.pbc = True
    rng = np.random.default_rng(2)
    types = rng.integers(0, nt, len(atoms)).astype(np.int32)
    weights = rng.uniform(0.2, 1.0, len(atoms))
    ev = evaluate(pot, atoms, types, weights)
    h = 1e-6
    for a, b in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]:
        eps = np.zeros((3, 3))
        eps[a, b] = eps[b, a] = h / 2 if a != b else h
        es = []
        for sign in (1, -1):
            strained = atoms.copy()
            strained.set_cell(atoms.cell.array @ (np.eye(3) + sign * eps).T, scale_atoms=True)
            es.append(evaluate(pot, strained, types, weights).energy)
        dE = (es[0] - es[1]) / (2 * h)  # symmetric strain: dE/d eps_ab (+ d eps_ba)
        assert -ev.virial_cc[a, b] == pytest.approx(dE, abs=2e-5)


# -- conventions: compare with the analytic functions written into the files ----
def direct_energy(atoms, types, names, style, cutoff=syn.CUT):
    """Brute force over all image pairs with the analytic functions."""
    F, rho, phi = syn.functions(names, fs=style == "eam/fs")
    el = [names[t] for t in types]
    i_n, j_n, d_n = neighbor_list("ijd", atoms, cutoff)
    rho_i = np.zeros(len(atoms))
    e_pair = np.zeros(len(atoms))
    for i, j, d in zip(i_n, j_n, d_n):
        key = (el[j], el[i]) if style == "eam/fs" else el[j]  # block of j, sub-function of i
        rho_i[i] += rho[key](d)
        e_pair[i] += 0.5 * phi[el[i], el[j]](d)
    return sum(F[el[i]](rho_i[i]) for i in range(len(atoms))) + e_pair.sum()


@pytest.mark.parametrize("style", ["eam/alloy", "eam/fs"])
def test_multi_element_convention(tmp_path, style):
    pot = synthetic(tmp_path, style)
    atoms = crystal(a=3.5, amp=0.1)
    types = np.random.default_rng(3).integers(0, 2, len(atoms)).astype(np.int32)
    ev = evaluate(pot, atoms, types)
    assert ev.energy == pytest.approx(direct_energy(atoms, types, ["A", "B"], style), abs=1e-6)
    # the same physics with the element order of the types swapped
    swapped = type(pot)(pot.files[0], elements=["B", "A"])
    assert evaluate(swapped, atoms, 1 - types).energy == pytest.approx(ev.energy, abs=1e-10)


def test_fs_convention_is_visible(tmp_path):
    """The two cross densities differ, so the test above sees a transposed convention."""
    pot = synthetic(tmp_path, "eam/fs")
    F, rho, phi = syn.functions(["A", "B"], fs=True)
    t = pot.tables
    assert not np.array_equal(t.rhor_spline[t.type2rhor[0, 1]], t.rhor_spline[t.type2rhor[1, 0]])
    r = 2.7
    assert t.density(0, 1, r)[0] == pytest.approx(rho["B", "A"](r), rel=1e-8)
    assert t.density(1, 0, r)[0] == pytest.approx(rho["A", "B"](r), rel=1e-8)


def test_funcfl_cross_pair_and_resampling(tmp_path):
    pot = synthetic(tmp_path, "eam")
    t = pot.tables
    # common grid: largest spacings, LAMMPS's rounding of the grid lengths
    assert t.dr == 0.00625 and t.drho == 0.012
    assert t.nr == int(5.0 / 0.00625 + 0.5) and t.nrho == int(7.2 / 0.012 + 0.5)
    r = np.linspace(1.0, 4.9, 7)
    za, zb = np.exp(-r) * syn.smooth(r), 1.7 * np.exp(-r) * syn.smooth(r)
    phi, _ = t.pair(0, 1, r)
    np.testing.assert_allclose(phi, 27.2 * 0.529 * za * zb / r, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(t.pair(1, 0, r)[0], phi, rtol=0, atol=0)


# -- LAMMPS tabulation ----------------------------------------------------------
def test_setfl_tabulation_reproduces_knots():
    data = read_setfl(CU_MISHIN)
    pot = EAMAlloy(CU_MISHIN, ["Cu"])
    t = pot.tables
    r = np.arange(data.nr) * data.dr
    np.testing.assert_allclose(t.density(0, 0, r)[0], data.rhor[0], rtol=1e-12, atol=1e-15)
    rho = np.arange(data.nrho) * data.drho
    np.testing.assert_allclose(t.embedding(0, rho)[0], data.frho[0], rtol=1e-12, atol=1e-14)
    z2 = spline_eval(t.z2r_spline[0], r, 1.0 / t.dr, t.nr)[0]
    np.testing.assert_allclose(z2, data.z2r[0], rtol=1e-12, atol=1e-14)


def test_funcfl_tabulation_reproduces_knots():
    data = read_funcfl(CU_U3)
    t = EAM(CU_U3).tables
    assert t.nr == data.nr - 1 and t.nrho == data.nrho - 1  # LAMMPS's int(rmax / dr + 0.5)
    r = np.arange(t.nr) * t.dr
    np.testing.assert_allclose(t.density(0, 0, r)[0], data.rhor[:t.nr], rtol=1e-12, atol=1e-15)
    z2 = spline_eval(t.z2r_spline[0], r, 1.0 / t.dr, t.nr)[0]
    np.testing.assert_allclose(z2, 27.2 * 0.529 * data.zr[:t.nr] ** 2, rtol=1e-12, atol=1e-13)
    rho = np.arange(t.nrho) * t.drho
    np.testing.assert_allclose(t.embedding(0, rho)[0], data.frho[:t.nrho], rtol=1e-12, atol=1e-14)


def test_interpolate_coefficients():
    """Spline value and slope are continuous at the knots; derivative = d(value)/dr."""
    f = np.sin(np.linspace(0.0, 3.0, 30))
    delta = 0.1
    s = interpolate(f, delta)
    m = np.arange(1, 30)
    end = s[m, 3] + s[m, 4] + s[m, 5] + s[m, 6]  # value at p = 1
    np.testing.assert_allclose(end, f[1:], rtol=0, atol=1e-15)
    slope_end = (s[m, 0] + s[m, 1] + s[m, 2]) * delta
    np.testing.assert_allclose(slope_end, s[m + 1, 5], atol=1e-14)
    x = np.linspace(0.05, 2.7, 50)
    v, d = spline_eval(s, x, 1.0 / delta, 30)
    fd = (spline_eval(s, x + 1e-7, 1.0 / delta, 30)[0] - spline_eval(s, x - 1e-7, 1.0 / delta, 30)[0]) / 2e-7
    np.testing.assert_allclose(d, fd, atol=1e-6)


def test_embedding_extended_linearly_above_rhomax():
    t = EAMAlloy(CU_MISHIN, ["Cu"]).tables
    rho = np.array([t.rhomax + 0.5, t.rhomax + 2.0])
    F, Fp = t.embedding(0, rho)
    F_end, Fp_end = t.embedding(0, t.rhomax)
    np.testing.assert_allclose(Fp, Fp_end)
    np.testing.assert_allclose(F, F_end + Fp_end * (rho - t.rhomax), rtol=1e-12)


# -- physics ----------------------------------------------------------------------
@pytest.mark.parametrize("style, file, elements, symbol, a, e_coh", [
    ("eam", CU_U3, None, "Cu", 3.615, -3.54),
    ("eam/alloy", CU_MISHIN, ["Cu"], "Cu", 3.615, -3.54),
    ("eam/fs", AL_MM, ["Al"], "Al", 4.045, -3.4107),  # the value LAMMPS gives for this file
])
def test_cohesive_energy(style, file, elements, symbol, a, e_coh):
    kw = {} if elements is None else {"elements": elements}
    pot = make_potential(style, file=str(file), **kw)
    assert pot.species == [symbol]
    atoms = bulk(symbol, "fcc", a=a, cubic=True).repeat((3, 3, 3))
    ev = evaluate(pot, atoms)
    assert ev.energy / len(atoms) == pytest.approx(e_coh, abs=5e-3)
    np.testing.assert_allclose(ev.energies_i, ev.energy / len(atoms), atol=1e-10)
    assert np.abs(ev.forces_ic).max() < 1e-10


def test_short_neighbor_list_cutoff_is_rejected():
    pot = EAM(CU_U3)
    atoms = crystal()
    nl = NeighborList(pot.cutoff - 0.5, 1.0)
    nl.update(atoms.positions, atoms.cell.array, atoms.pbc)
    with pytest.raises(ValueError, match="cutoff"):
        pot.compute(nl, atoms.positions, np.zeros(len(atoms), dtype=np.int32))


def test_kernels_check_array_lengths():
    rng = np.random.default_rng(0)
    x_ec, offsets_e, j_n = random_list(rng, 6, 4.0)
    type_e = np.zeros(6, dtype=np.int32)
    tab = np.zeros(1 * 1 * 11 * 8)
    with pytest.raises(ValueError, match="per-entry"):
        kernel.density(x_ec, type_e, offsets_e, j_n, tab, 1, 10, 1.0, 16.0, np.zeros(5))
    with pytest.raises(ValueError, match="table"):
        kernel.density(x_ec, type_e, offsets_e, j_n, tab, 2, 10, 1.0, 16.0, np.zeros(6))
    with pytest.raises(ValueError, match="wfp_e"):
        kernel.forces(x_ec, type_e, offsets_e, j_n, 16.0, np.zeros(3), np.zeros(6), True,
                      np.zeros(11 * 16),
                      1, 10, 1.0, np.zeros((6, 3)), np.zeros(6), True, np.zeros(6))
