"""Run under mpiexec: a crack model evaluated on every rank of the world against the
same model on one process (each rank builds both), and a crack study's load steps.

Prints one JSON line on rank 0 with the largest differences.
"""
import json
import sys

import numpy as np
from mpi4py import MPI

from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal
from qcsim.parallel.mpi import MPIComm
from qcsim.potentials import make_potential
from qcsim.potentials.files import resolve_potential_file


world = MPIComm(MPI.COMM_WORLD)
pot = make_potential("eam/alloy", file=str(resolve_potential_file("Cu_mishin1.eam.alloy")),
                     elements=["Cu"])
crystal = Crystal("fcc", 3.615, ((1, 1, -2), (1, 1, 1), (1, -1, 0)), "Cu")
spec = CrackSpec(r_core=15.0, r_outer=60.0)
serial = CrackStudy(pot, crystal, spec)
shared = CrackStudy(pot, crystal, spec, comm=world)
out = {"ranks": world.size}

# one evaluation at a disturbed state, with the ghost-force correction of the model
rng = np.random.default_rng(3)
U = 0.05 * rng.normal(size=serial.model.U_nc.shape)
E1, G1 = serial.model.energy_gradient(U)
E2, G2 = shared.model.energy_gradient(U)
out["energy_rel"] = abs(E1 - E2) / abs(E1)
out["gradient_max"] = float(np.abs(G1 - G2).max())
out["gradient_scale"] = float(np.abs(G1).max())
out["n_owned_atoms"] = world.comm.gather(int(np.sum(shared.model._owner_n == world.rank)))

# load steps to and past the first emission of this small crack (the model adapts)
from qcsim.loading import convert_surface_energy, griffith_K  # noqa: E402

K_G = griffith_K(serial.stroh, convert_surface_energy(1.2395, "J/m^2"))
recs = [(serial.step(f * K_G), shared.step(f * K_G)) for f in (0.6, 0.7, 0.8, 0.9)]
out["steps"] = [{"E": [a.energy, b.energy], "it": [a.iterations, b.iterations],
                 "conv": [a.converged, b.converged], "n_adapt": [a.n_adapt, b.n_adapt],
                 "emitted": [a.emitted, b.emitted], "atoms": [a.n_atomistic, b.n_atomistic]}
                for a, b in recs]
out["U_max"] = float(np.abs(serial.model.U_nc - shared.model.U_nc).max())
# the same steps with the two-level Schwarz preconditioner (each rank its part + coarse)
from dataclasses import replace  # noqa: E402

schwarz = CrackStudy(pot, crystal, replace(spec, parallel_precon="schwarz"), comm=world)
recs_s = [schwarz.step(f * K_G) for f in (0.6, 0.7, 0.8, 0.9)]
out["schwarz"] = [{"E": [a.energy, c.energy], "it": [a.iterations, c.iterations],
                   "emitted": [a.emitted, c.emitted], "conv": c.converged}
                  for (a, _), c in zip(recs, recs_s)]
M = schwarz.solver.preconditioner(schwarz.model)
g1, g2 = rng.normal(size=M.n), rng.normal(size=M.n)
out["schwarz_spd"] = [float(g1 @ M(g2)), float(g2 @ M(g1)), float(g1 @ M(g1))]
# applied to this rank's part only (what the solver does): this rank's part of M^-1 g
split = schwarz.solver.split(schwarz.model)
whole = M(g1)
out["schwarz_part"] = world.comm.gather(float(
    np.abs(M.apply_part(split.part(g1)) - split.part(whole)).max() / np.abs(whole).max()))
# a trial state outside the Cauchy-Born range in an element of rank 1 only: every rank
# gets the infinite energy of an invalid state (no rank left waiting in the sum)
m = shared.model
t = world.bcast(int(m._active_t[len(m._active_t) // 2]) if world.rank == 1 else None, root=1)
bad = m.U_nc.copy()
a, b = m.mesh.elements_ta[t][:2]
bad[a] = m.mesh.X_nc[b] - m.mesh.X_nc[a] + bad[b]  # node a onto node b: a flat element
E_bad, G_bad = m.energy_gradient(bad)
out["invalid_state"] = world.comm.gather([E_bad, bool(np.isnan(G_bad).all())])
# the same on parts, as the solver evaluates it
split, saved = shared.solver.split(m), m.U_nc.copy()
m.U_nc[:] = bad
E_bad, g_bad = m.objective(split)(split.part(bad.ravel()[m.free_dofs]))
out["invalid_state_parts"] = world.comm.gather([E_bad, bool(np.isnan(g_bad).all())])
m.U_nc[:] = saved
m.set_dofs(saved.ravel()[m.free_dofs])
# the decomposition of the model the adaptivity rebuilt, by cost
m = shared.model
out["costs_after"] = world.comm.gather(float(
    m.ATOM_COST * np.sum(m._owner_n == world.rank) + m.ELEMENT_COST * len(m._active_t)))
same = world.comm.allgather(float(np.abs(shared.model.U_nc).sum()))
out["replicas_identical"] = len(set(same)) == 1
# every coupling scheme on a model with a pre-crack (faces, no bonds across it),
# periodic z and three atomistic disks, at a disturbed state, corrected at F = I
from qcsim.build import SlabSetup, build_slab_model  # noqa: E402
from qcsim.coupling.schemes import get_scheme, scheme_names  # noqa: E402
from qcsim.geometry import Slit  # noqa: E402
from qcsim.parallel.dofs import DofSplit  # noqa: E402

out["schemes"] = {}
y0 = 0.5 * serial.slab.b_kc[1, 1]
for name in scheme_names():
    setup = SlabSetup(center=(0.0, y0), r_core=10.0, r_outer=70.0, scheme=name,
                      slit=Slit(0.0, 1), cores=((16.0, -18.0, 7.0), (-20.0, 20.0, 6.0)),
                      fixed_width=8.0)
    one = build_slab_model(pot, crystal, setup)[0]
    many = build_slab_model(pot, crystal, setup, comm=world)[0]
    U = 0.03 * rng.normal(size=one.U_nc.shape)
    for m in (one, many):
        m.update_correction(np.eye(3))
    if get_scheme(name).has_energy:
        (Ea, Ga), (Eb, Gb) = one.energy_gradient(U), many.energy_gradient(U)
        e_rel = abs(Ea - Eb) / abs(Ea)
    else:
        Ga, Gb, e_rel = -one.forces(U), -many.forces(U), 0.0
    # on parts, as the solver evaluates it: this rank's nodes and the exchange of the
    # others it reads; twice, the second far enough to find the halo again
    split = DofSplit(world, owner_p=many.node_owner_n[~many.fixed_n])
    fun, free, parts = many.objective(split), one.free_dofs, []
    for V in (U, U + 0.4 * rng.normal(size=U.shape)):
        many.U_nc[:] = V  # the fixed nodes' values (every rank sets them)
        Ep, gp = fun(split.part(V.ravel()[free]))
        if get_scheme(name).has_energy:
            Es, Gs = one.energy_gradient(V)
            e_part = abs(Ep - Es) / abs(Es)
        else:
            Gs, e_part = -one.forces(V), 0.0
        parts.append(max(e_part, float(
            np.abs(gp - split.part(Gs.ravel()[free])).max(initial=0.0) / np.abs(Gs).max())))
    out["schemes"][name] = {"energy_rel": e_rel, "parts_rel": world.comm.gather(max(parts)),
                            "gradient_rel": float(np.abs(Ga - Gb).max() / np.abs(Ga).max()),
                            "disks": 3, "faces": int(np.sum(one.faces_n > 0)),
                            "owned": world.comm.gather(int(np.sum(many._owner_n == world.rank)))}
if world.rank == 0:
    print(json.dumps(out))
sys.stdout.flush()
