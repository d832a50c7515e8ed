#!/usr/bin/env python
"""Profile the QC crack model's load steps (no fully atomistic run).

Cu_mishin1 (111) crack as in bench_crack.py: QC (bgfc, --core) at domain radius
--R, load steps --K (fractions of K_G; the first from K = 0).  Prints each step's
wall time, iterations and adaptivity passes, and (--profile) a cProfile of the
step --profile-step (default: the last) sorted by internal time.

Usage: python scripts/prof_qc_emission.py --R 1000 --K 0.65 0.66 --profile
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import time

import numpy as np

from qcsim import Calculator
from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal
from qcsim.loading import convert_surface_energy, griffith_K

ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))
GAMMA_111 = 1.2395


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--R", type=float, default=1000.0)
    ap.add_argument("--core", type=float, default=25.0)
    ap.add_argument("--K", type=float, nargs="+", default=[0.65, 0.66])
    ap.add_argument("--fmax", type=float, default=1e-4)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--profile-step", type=int, default=-1)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--out", default=None, help="write the profile's stats to this file")
    args = ap.parse_args()
    pot = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"]).potential
    crystal = Crystal("fcc", 3.6149, ORIENT, "Cu")
    t = time.perf_counter()
    study = CrackStudy(pot, crystal, CrackSpec(r_core=args.core, r_outer=args.R,
                                               fmax=args.fmax, max_steps=20000))
    print(f"built in {time.perf_counter() - t:.2f} s, {study.model.n_dof} dof", flush=True)
    KG = griffith_K(study.stroh, convert_surface_energy(GAMMA_111, "J/m^2"))
    prof_step = args.profile_step % len(args.K)
    for i, f in enumerate(args.K):
        pr = cProfile.Profile() if args.profile and i == prof_step else None
        if pr:
            pr.enable()
        rec = study.step(f * KG)
        if pr:
            pr.disable()
        print(f"K/K_G={f:.4f} dof={rec.n_dof} it={rec.iterations} {rec.wall_time:.2f} s "
              f"E={rec.energy!r} converged={rec.converged} emitted={rec.emitted} "
              f"adapt={rec.n_adapt} elements={study.model.mesh.n_elements} "
              f"active={len(study.model._active_t)}", flush=True)
        if pr:
            st = pstats.Stats(pr)
            if args.out:
                st.dump_stats(args.out)
            st.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
