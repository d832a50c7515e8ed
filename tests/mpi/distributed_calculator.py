"""Run under mpiexec: the ASE calculator shared by every rank of the world against the
same calculator on one process (each rank evaluates both), on periodic and
non-periodic systems, and a relaxation run both ways.

Prints one JSON line on rank 0 with the largest differences.
"""
import json

import numpy as np
from ase.build import bulk
from ase.constraints import FixAtoms
from mpi4py import MPI

from qcsim import Calculator
from qcsim.parallel.mpi import MPIComm
from qcsim.testing.lammps import potentials_dir
from qcsim.solvers import relax

world = MPIComm(MPI.COMM_WORLD)
PROPS = ("energy", "forces", "stress", "energies", "stresses")


def calc(comm=None, style="eam/alloy"):
    if style == "eam/fs two types":  # Al-Fe (Mendelev), from the LAMMPS package
        return Calculator(style="eam/fs", file=str(potentials_dir() / "AlFe_mm.eam.fs"),
                          elements=["Al", "Fe"], comm=comm or MPIComm(MPI.COMM_SELF))
    if style == "lj/cut":
        return Calculator(style="lj/cut", epsilon=0.4, sigma=2.3, cutoff=5.0, comm=comm or
                          MPIComm(MPI.COMM_SELF))
    return Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"],
                      comm=comm or MPIComm(MPI.COMM_SELF))


def systems():
    rng = np.random.default_rng(7)
    box = bulk("Cu", "fcc", a=3.615, cubic=True).repeat((6, 5, 4))  # periodic, 480 atoms
    del box[17]  # a vacancy
    box.rattle(0.05, seed=1)
    yield "periodic box with a vacancy", box, "eam/alloy"
    tri = bulk("Cu", "fcc", a=3.615).repeat((7, 6, 5))  # primitive cell: triclinic
    tri.positions += 0.04 * rng.normal(size=tri.positions.shape)
    yield "triclinic cell", tri, "eam/alloy"
    slab = bulk("Cu", "fcc", a=3.615, cubic=True).repeat((5, 5, 6))
    slab.pbc = (True, True, False)  # free surfaces along z
    slab.positions += 0.04 * rng.normal(size=slab.positions.shape)
    yield "slab, periodic in x and y", slab, "eam/alloy"
    cluster = slab.copy()
    cluster.pbc = False
    cluster.arrays["weights"] = rng.uniform(0.0, 1.0, len(cluster))
    yield "weighted cluster", cluster, "eam/alloy"
    yield "pair potential, periodic", box.copy(), "lj/cut"
    if potentials_dir() is not None and (potentials_dir() / "AlFe_mm.eam.fs").is_file():
        alloy = bulk("Fe", "bcc", a=2.87, cubic=True).repeat((7, 6, 5))
        alloy.symbols[rng.random(len(alloy)) < 0.3] = "Al"
        alloy.rattle(0.05, seed=3)
        yield "Al-Fe alloy, two types", alloy, "eam/fs two types"


out = {"ranks": world.size, "cases": {}}
for name, atoms, style in systems():
    one, shared = atoms.copy(), atoms.copy()
    one.calc, shared.calc = calc(style=style), calc(world, style)
    case = {}
    for prop in PROPS:
        if prop in ("stress", "stresses") and not atoms.pbc.all():
            continue
        a, b = one.calc.get_property(prop, one), shared.calc.get_property(prop, shared)
        scale = max(float(np.abs(a).max()), 1e-300)
        case[prop] = float(np.abs(np.asarray(a) - np.asarray(b)).max()) / scale
    owned = int(np.sum(shared.calc.share.owner_i == world.rank))
    case["owned"] = world.comm.gather(owned)
    case["local"] = world.comm.gather(len(shared.calc.share.local(
        shared.positions, shared.cell.array, shared.pbc)[0]))
    case["n"] = len(atoms)
    out["cases"][name] = case

# a whole relaxation, one process against the shared calculator
box = bulk("Cu", "fcc", a=3.615, cubic=True).repeat((5, 5, 5))
del box[0]
box.set_constraint(FixAtoms(indices=[10]))
one, shared = box.copy(), box.copy()
one.calc, shared.calc = calc(), calc(world)
r1 = relax(one, fmax=1e-5)
r2 = relax(shared, fmax=1e-5)
out["relax"] = {"it": [r1.iterations, r2.iterations], "conv": [r1.converged, r2.converged],
                "E": [r1.energy, r2.energy],
                "x_max": float(np.abs(one.positions - shared.positions).max())}
# the distributed atoms of a relaxation: owned atoms and ghosts only, the ghosts found
# again after a move of more than skin / 2, every system kind
from qcsim.parallel.domain import AtomDomain  # noqa: E402

out["domain"] = {}
for name, atoms, style in systems():
    ref = calc(style=style)
    dom = AtomDomain(world, ref.potential, atoms.positions, ref.types_of(atoms),
                     atoms.cell.array, atoms.pbc, skin=1.0,
                     weights_i=atoms.arrays.get("weights"))
    x0 = atoms.positions.copy()
    worst = 0.0
    for k, step in enumerate((0.0, 0.2, 0.9)):  # the last one moves atoms beyond skin / 2
        x = x0 + step * np.random.default_rng(k).uniform(-1, 1, size=x0.shape) / np.sqrt(3)
        probe = atoms.copy()
        probe.positions = x
        probe.calc = calc(style=style)
        E1, F1 = probe.get_potential_energy(), probe.get_forces()
        E2, G2 = dom.energy_gradient(x[dom.ids])
        F2 = -dom.gather(G2)
        worst = max(worst, abs(E1 - E2) / abs(E1), float(np.abs(F1 - F2).max()) /
                    float(np.abs(F1).max()))
    out["domain"][name] = {"rel": worst, "builds": dom.n_builds,
                           "own": world.comm.gather(len(dom.ids)),
                           "ghosts": world.comm.gather(dom.n_ghosts), "n": len(atoms)}

# distributed relaxations of a non-periodic and a triclinic system
out["relax_more"] = {}
for name, atoms, style in list(systems())[1:3]:
    one, shared = atoms.copy(), atoms.copy()
    one.calc, shared.calc = calc(style=style), calc(world, style)
    r1, r2 = relax(one, fmax=1e-4), relax(shared, fmax=1e-4)
    out["relax_more"][name] = {"it": [r1.iterations, r2.iterations],
                               "E_rel": abs(r1.energy - r2.energy) / abs(r1.energy),
                               "x_max": float(np.abs(one.positions - shared.positions).max())}

same = world.comm.allgather(float(np.abs(shared.positions).sum()))
out["replicas_identical"] = len(set(same)) == 1
if world.rank == 0:
    print(json.dumps(out))
