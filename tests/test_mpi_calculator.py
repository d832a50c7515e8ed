"""The ASE calculator shared by several ranks (mpiexec -n 2 and -n 3): each rank
evaluates the atoms it owns with their halo, periodic images included, and every
rank gets the energy, forces, stress and per-atom energies and stresses of a
one-process evaluation to round-off.  A relaxation runs on distributed atoms
(each rank its own and their ghosts, qcsim.parallel.domain) and vectors, and
repeats the serial one: the same iterations, the same positions to round-off."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="mpi4py is not installed (pip install -e '.[mpi]')")

from mpi_helpers import run_script  # noqa: E402

SCRIPT = Path(__file__).parent / "mpi" / "distributed_calculator.py"


def test_the_halo_is_every_atom_within_reach_of_an_owned_one():
    from ase.build import bulk

    from qcsim.parallel.atoms import AtomShare

    class Rank:  # rank r of 4 (only rank and size are read)
        size = 4

        def __init__(self, rank):
            self.rank = rank

    atoms = bulk("Cu", "fcc", a=3.615).repeat((12, 10, 8))  # triclinic, periodic
    atoms.rattle(0.05, seed=2)
    x, cell, pbc = atoms.positions, atoms.cell.array, atoms.pbc
    reach = 5.0 + 1.0
    d = atoms.get_all_distances(mic=True)
    for r in range(4):
        local, owned, _ = AtomShare(Rank(r), 5.0, 1.0).local(x, cell, pbc)
        share = AtomShare(Rank(r), 5.0, 1.0)
        share.local(x, cell, pbc)
        mine = share.owner_i == r
        expect = mine | (d[mine] < reach).any(axis=0)
        assert np.array_equal(np.sort(local), np.nonzero(expect)[0])
        assert np.array_equal(owned, mine[local])
        assert len(local) < len(atoms)  # the halo is not everything


def test_the_halo_is_found_again_once_an_atom_moved_half_the_skin():
    """The Verlet criterion is a distance: an atom moved 0.35 skin along each axis (0.61
    skin in all) is past skin / 2, though no single coordinate is."""
    from ase.build import bulk

    from qcsim.parallel.atoms import AtomShare

    class Rank:
        size, rank = 2, 0

    atoms = bulk("Cu", "fcc", a=3.615).repeat((6, 6, 6))
    x, cell, pbc = atoms.positions, atoms.cell.array, atoms.pbc
    share = AtomShare(Rank(), 5.0, 1.0)
    first = share.local(x, cell, pbc)[2]
    y = x.copy()
    y[7] += 0.35  # the same halo may no longer hold every pair
    assert share.local(x + 0.0, cell, pbc)[2] is first  # not moved: kept
    assert share.local(y, cell, pbc)[2] is not first


@pytest.mark.parametrize("ranks", [2, 3])
def test_calculator_on_several_ranks_equals_one_process(ranks, tmp_path):
    out = run_script(SCRIPT, ranks, tmp_path)
    for name, case in out["cases"].items():
        for prop in ("energy", "forces", "energies", "stress", "stresses"):
            if prop in case:
                assert case[prop] < 1e-13, (name, prop, case[prop])
        assert sum(case["owned"]) == case["n"], name
        assert min(case["owned"]) >= max(case["owned"]) - 1, name  # one atom's cost apart
    from qcsim.testing.lammps import potentials_dir

    if potentials_dir() is not None:  # two atom types: the densities and embedding
        assert "Al-Fe alloy, two types" in out["domain"]  # derivatives of ghosts exchanged
    for name, case in out["domain"].items():  # the atoms of a distributed relaxation
        assert case["rel"] < 1e-13, (name, case["rel"])
        assert case["builds"] == 2, name  # the ghosts found again after a large move
        assert sum(case["own"]) == case["n"], name
    slab = out["domain"]["slab, periodic in x and y"]
    assert min(o + g for o, g in zip(slab["own"], slab["ghosts"])) < slab["n"]
    for name, case in out["relax_more"].items():
        assert case["it"][0] == case["it"][1] and case["E_rel"] < 1e-12, name
        assert case["x_max"] < 1e-10, name
    rel = out["relax"]
    assert rel["conv"] == [True, True] and rel["it"][0] == rel["it"][1]
    assert abs(rel["E"][0] - rel["E"][1]) < 1e-12 * abs(rel["E"][0])
    assert rel["x_max"] < 1e-10
    assert out["replicas_identical"]
