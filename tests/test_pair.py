"""Pair styles lj/cut and morse: kernel against its NumPy twin, exact gradients, shifts."""
from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from hypothesis import given, settings
from hypothesis import strategies as st

from qcsim._kernels import pair as kernel
from qcsim.neighbors import NeighborList
from qcsim.potentials import make_potential
from qcsim.potentials.pair import LJCut, Morse
from potential_helpers import fd_gradient, random_list
from twins import pair as twin


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_ext=st.integers(1, 40), nt=st.integers(1, 3),
       kind=st.sampled_from([0, 1]), weighted=st.booleans(), want_epair=st.booleans())
def test_kernel_matches_twin(seed, n_ext, nt, kind, weighted, want_epair):
    rng = np.random.default_rng(seed)
    x_ec, offsets_e, j_n = random_list(rng, n_ext, 5.0)
    type_e = rng.integers(0, nt, n_ext).astype(np.int32)
    params = rng.uniform(0.5, 2.0, (nt, nt, 8))
    params[..., 6] = rng.uniform(2.0, 4.0, (nt, nt)) ** 2  # per-pair squared cutoffs
    params = np.ascontiguousarray(params.reshape(-1))
    cutsq_max = params.reshape(nt, nt, 8)[..., 6].max()
    w_e = rng.uniform(0.0, 1.0, n_ext)
    outs = []
    for impl in (kernel, twin):
        f_ec, ep, vir = np.zeros((n_ext, 3)), np.zeros(n_ext), np.zeros(6)
        energy = impl.pair_forces(x_ec, type_e, offsets_e, j_n, w_e, weighted, params, nt,
                                  kind, cutsq_max, f_ec, ep, want_epair, vir)
        outs.append((energy, f_ec, ep, vir))
    for a, b in zip(outs[0], outs[1]):
        b = np.asarray(b)
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-11 * (1 + abs(b).max()))


def crystal(pbc=True, seed=1):
    atoms = bulk("Cu", "fcc", a=3.6, cubic=True).repeat((2, 2, 2))
    atoms.rattle(0.1, seed=seed)
    if pbc is not True:
        atoms.center(vacuum=4.0, axis=2)
        atoms.pbc = pbc
    return atoms


POTENTIALS = {
    "lj": lambda: LJCut(epsilon=0.4, sigma=2.3, cutoff=6.0),
    "lj-shift": lambda: LJCut(epsilon=0.4, sigma=2.3, cutoff=6.0, shift=True),
    "morse-shift": lambda: Morse(D0=0.34, alpha=1.36, r0=2.87, cutoff=5.5, shift=True),
    "lj-2types": lambda: LJCut(epsilon=[[0.4, 0.3], [0.3, 0.2]], sigma=[[2.3, 2.4], [2.4, 2.5]],
                               cutoff=[[6.0, 5.0], [5.0, 5.5]]),
}


@pytest.mark.parametrize("name", POTENTIALS)
@pytest.mark.parametrize("pbc", [True, (True, False, True)])
def test_forces_are_minus_gradient_of_weighted_energy(name, pbc):
    pot = POTENTIALS[name]()
    atoms = crystal(pbc)
    rng = np.random.default_rng(4)
    types = rng.integers(0, pot.ntypes, len(atoms)).astype(np.int32)
    nl = NeighborList(pot.cutoff, 0.5)
    nl.update(atoms.positions, atoms.cell.array, atoms.pbc)
    coords = [(i, c) for i in rng.choice(len(atoms), 5, replace=False) for c in range(3)]
    for weights in (None, rng.uniform(0.0, 1.0, len(atoms))):
        ev = pot.compute(nl, atoms.positions, types, weights)

        def energy(x):
            nl.update(x, atoms.cell.array, atoms.pbc)
            return pot.compute(nl, x, types, weights, energies=False).energy

        fd = fd_gradient(energy, atoms.positions, coords)
        got = np.array([-ev.forces_ic[i, c] for i, c in coords])
        np.testing.assert_allclose(got, fd, atol=2e-6, rtol=1e-6)
        w = np.ones(len(atoms)) if weights is None else weights
        assert ev.energy == pytest.approx(w @ ev.energies_i, rel=1e-13, abs=1e-11)


@pytest.mark.parametrize("name", ["lj-shift", "morse-shift"])
def test_virial_is_minus_strain_derivative(name):
    pot = POTENTIALS[name]()
    atoms = crystal()
    weights = np.random.default_rng(0).uniform(0.2, 1.0, len(atoms))

    def energy(a):
        nl = NeighborList(pot.cutoff, 0.5)
        nl.update(a.positions, a.cell.array, a.pbc)
        return pot.compute(nl, a.positions, None, weights)

    ev = energy(atoms)
    assert np.allclose(ev.virial_cc, ev.virial_cc.T, atol=1e-12)
    h = 1e-6
    for a, b in [(0, 0), (1, 1), (2, 2), (0, 1), (0, 2), (1, 2)]:
        eps = np.zeros((3, 3))
        eps[a, b] = eps[b, a] = h if a == b else h / 2
        es = []
        for sign in (1, -1):
            strained = atoms.copy()
            strained.set_cell(atoms.cell.array @ (np.eye(3) + sign * eps).T, scale_atoms=True)
            es.append(energy(strained).energy)
        assert -ev.virial_cc[a, b] == pytest.approx((es[0] - es[1]) / (2 * h), abs=1e-5)


def dimer(pot, r):
    atoms = np.array([[0.0, 0.0, 0.0], [r, 0.0, 0.0]])
    nl = NeighborList(pot.cutoff, 0.3)
    nl.update(atoms, np.eye(3) * 30.0, [False] * 3)
    return pot.compute(nl, atoms, None)


def test_lj_dimer_and_shift():
    eps, sig, rc = 0.4, 2.3, 6.0
    for r in (2.2, 2.3 * 2 ** (1 / 6), 4.0, 5.99):
        e = 4 * eps * ((sig / r) ** 12 - (sig / r) ** 6)
        e_rc = 4 * eps * ((sig / rc) ** 12 - (sig / rc) ** 6)
        assert dimer(LJCut(eps, sig, rc), r).energy == pytest.approx(e, rel=1e-13)
        assert dimer(LJCut(eps, sig, rc, shift=True), r).energy == pytest.approx(e - e_rc, rel=1e-12)
    ev = dimer(LJCut(eps, sig, rc), 2.3 * 2 ** (1 / 6))
    assert np.abs(ev.forces_ic).max() < 1e-12
    assert dimer(LJCut(eps, sig, rc), 6.01).energy == 0.0
    assert dimer(LJCut(eps, sig, rc, shift=True), 6.0 - 1e-9).energy == pytest.approx(0.0, abs=1e-9)


def test_morse_dimer_and_shift():
    d0, alpha, r0, rc = 0.34, 1.36, 2.87, 7.0
    morse = Morse(d0, alpha, r0, rc)
    ev = dimer(morse, r0)
    assert ev.energy == pytest.approx(-d0, rel=1e-14)
    assert np.abs(ev.forces_ic).max() < 1e-14
    assert np.allclose(ev.energies_i, -d0 / 2)
    shifted = Morse(d0, alpha, r0, rc, shift=True)
    assert dimer(shifted, rc - 1e-9).energy == pytest.approx(0.0, abs=1e-9)
    value, d1, d2 = shifted.pair_terms(np.array([3.0, 7.5]))
    assert value[1] == 0.0 and d1[1] == 0.0 and d2[1] == 0.0
    assert value[0] == pytest.approx(dimer(shifted, 3.0).energy, rel=1e-14)


@pytest.mark.parametrize("name", POTENTIALS)
def test_pair_terms_derivatives(name):
    pot = POTENTIALS[name]()
    r = np.linspace(2.0, pot.cutoff_ab.min() - 0.1, 9)
    h = 1e-6
    for a, b in [(0, 0), (pot.ntypes - 1, 0)]:
        phi, d1, d2 = pot.pair_terms(r, a, b)
        up, dn = pot.pair_terms(r + h, a, b), pot.pair_terms(r - h, a, b)
        np.testing.assert_allclose(d1, (up[0] - dn[0]) / (2 * h), rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(d2, (up[1] - dn[1]) / (2 * h), rtol=1e-6, atol=1e-7)


def test_per_type_tables_reduce_to_single_type():
    """A 2-type table with equal entries is the single-type potential."""
    single = Morse(0.34, 1.36, 2.87, 5.5)
    double = Morse(np.full((2, 2), 0.34), 1.36, 2.87, 5.5)
    atoms = crystal()
    types = np.random.default_rng(1).integers(0, 2, len(atoms)).astype(np.int32)
    nl = NeighborList(5.5, 0.5)
    nl.update(atoms.positions, atoms.cell.array, atoms.pbc)
    a = single.compute(nl, atoms.positions, None)
    b = double.compute(nl, atoms.positions, types)
    assert a.energy == pytest.approx(b.energy, rel=1e-14)
    np.testing.assert_allclose(a.forces_ic, b.forces_ic, atol=1e-13)


def test_registry_and_parameter_checks():
    assert make_potential("lj/cut", epsilon=1.0, sigma=1.0, cutoff=2.5).style == "lj/cut"
    assert make_potential("morse", D0=1.0, alpha=1.0, r0=1.0, cutoff=3.0).species is None
    with pytest.raises(ValueError, match="symmetric"):
        LJCut(epsilon=[[1.0, 2.0], [1.0, 1.0]], sigma=1.0, cutoff=2.5)
    with pytest.raises(ValueError, match="positive"):
        LJCut(epsilon=1.0, sigma=-1.0, cutoff=2.5)


def test_kernel_checks_array_lengths():
    rng = np.random.default_rng(0)
    x_ec, offsets_e, j_n = random_list(rng, 6, 4.0)
    args = (np.zeros(6, dtype=np.int32), offsets_e, j_n, np.zeros(6), True, np.zeros(8), 1, 0,
            4.0, np.zeros((5, 3)), np.zeros(6), True, np.zeros(6))
    with pytest.raises(ValueError, match="per-entry"):
        kernel.pair_forces(x_ec, *args)
    with pytest.raises(ValueError, match="kind"):
        kernel.pair_forces(x_ec, *args[:7], 7, *args[8:])
