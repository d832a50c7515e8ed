#!/usr/bin/env python
"""One crack model evaluated on P ranks against one process, in the same job.

Run under mpiexec (``mpiexec -n 2 python scripts/bench_mpi.py --R 250``): every
rank builds the same fully atomistic (``--fa``) or QC crack model of radius R
(Cu_mishin1, (111)[-110], K = 0.6 K_G applied), then the energy and gradient
are evaluated ``--reps`` times on all ranks together and, interleaved, on rank
0 alone (a model with the serial communicator).  Rank 0 prints the time per
evaluation of both, the speed-up, the partition's balance and the largest
difference between the two gradients.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from mpi4py import MPI

from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal
from qcsim.parallel.mpi import MPIComm
from qcsim.loading import convert_surface_energy, griffith_K
from qcsim.potentials import make_potential
from qcsim.potentials.files import resolve_potential_file


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--R", type=float, default=250.0)
    ap.add_argument("--core", type=float, default=25.0)
    ap.add_argument("--fa", action="store_true", help="fully atomistic (r_core = R)")
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
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
    t_shared, t_serial = [], []
    for _ in range(a.reps):
        world.comm.Barrier()
        t = time.perf_counter()
        E, G = shared.model.energy_gradient(U)
        world.comm.Barrier()
        t_shared.append(time.perf_counter() - t)
        if world.rank == 0:
            t = time.perf_counter()
            E1, G1 = serial.model.energy_gradient(U)
            t_serial.append(time.perf_counter() - t)
        world.comm.Barrier()
    owned = world.comm.gather(int(np.sum(shared.model._owner_n == world.rank)))
    if world.rank == 0:
        s, p = min(t_serial), min(t_shared)
        print(f"R = {a.R:g} A, {'fully atomistic' if a.fa else 'QC'}, {shared.model.n_dof:,} dof, "
              f"{world.size} ranks (atoms owned: {owned})")
        print(f"energy + gradient: one process {s * 1e3:.1f} ms, {world.size} ranks "
              f"{p * 1e3:.1f} ms: speed-up {s / p:.2f} (best of {a.reps})")
        print(f"|E - E1| / |E| = {abs(E - E1) / abs(E):.1e}, max |G - G1| = "
              f"{np.abs(G - G1).max():.1e} eV/A")


if __name__ == "__main__":
    main()
