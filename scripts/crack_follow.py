#!/usr/bin/env python
"""A crack study through and past its first event: QC against the fully atomistic disk.

Cu_mishin1 (111)[11-2] crack of the main example (x = [11-2], y = [111],
z = [1-10], R = --R), or bcc Fe_mm with the same orientation (--metal Fe),
ramped from --K0 to --K1 in steps of --dK (fractions of K_G) with the default
adaptivity, once as QC (core --core) and once fully atomistic, with the tip at
--tip-x.  Prints per load step: converged, iterations, atoms, and the leading
dislocation (its core's distance from the tip, Burgers vector, plane) in both
models, and the first event of each.

Usage: python scripts/crack_follow.py --tip-x 0 --K0 0.60 --K1 0.90
       python scripts/crack_follow.py --tip-x 1.10683
       python scripts/crack_follow.py --core 10 --no-atomistic --K1 0.70
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from qcsim import Calculator
from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal
from qcsim.loading import convert_surface_energy, griffith_K

ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))
METALS = {"Cu": ("fcc", 3.6149, "eam/alloy", "Cu_mishin1.eam.alloy", 1.2395),
          "Fe": ("bcc", 2.8553, "eam/fs", "Fe_mm.eam.fs", 1.99793)}


def lead(rec):
    ds = rec.extra["dislocations"]
    return max(ds, key=lambda d: d.distance) if ds else None


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--metal", choices=sorted(METALS), default="Cu")
    ap.add_argument("--R", type=float, default=150.0)
    ap.add_argument("--core", type=float, default=25.0)
    ap.add_argument("--tip-x", type=float, default=0.0)
    ap.add_argument("--K0", type=float, default=0.60)
    ap.add_argument("--K1", type=float, default=0.90)
    ap.add_argument("--dK", type=float, default=0.01)
    ap.add_argument("--fmax", type=float, default=1e-4)
    ap.add_argument("--no-atomistic", action="store_true", help="QC only")
    args = ap.parse_args()
    lattice, a, style, file, gamma = METALS[args.metal]
    crystal = Crystal(lattice, a, ORIENT, args.metal)
    pot = Calculator(style=style, file=file, elements=[args.metal]).potential
    models = {"QC": args.core} if args.no_atomistic else {"QC": args.core, "atomistic": args.R}
    studies = {n: CrackStudy(pot, crystal, CrackSpec(r_core=c, r_outer=args.R, fmax=args.fmax,
                                                     tip_x=args.tip_x))
               for n, c in models.items()}
    KG = griffith_K(next(iter(studies.values())).stroh, convert_surface_energy(gamma, "J/m^2"))
    fractions = np.round(np.arange(args.K0, args.K1 + 1e-9, args.dK), 6)
    first, total = {}, {n: 0.0 for n in studies}
    print(f"{args.metal} R = {args.R} A, tip_x = {args.tip_x} A, K_G = {KG / 100:.5f} MPa*sqrt(m)")
    print("| K/K_G | " + " | ".join(f"{n}: conv, it (passes), atoms, s, lead core (A from tip), b, plane"
                                      for n in studies) + " |")
    for f in fractions:
        cells = []
        for n, st in studies.items():
            t = time.perf_counter()
            rec = st.step(f * KG)
            total[n] += time.perf_counter() - t
            d = lead(rec)
            if (rec.emitted or rec.extra.get("advanced")) and n not in first:
                first[n] = (f, "emission" if rec.emitted else "advance")
            where = (f"{d.distance:.1f}, {d.burgers}, {d.plane}"
                     + (f", twin of {d.thickness:.0f} layers" if d.kind == "twin" else "")
                     if d else "-")
            cells.append(f"{rec.converged}, {rec.iterations} ({rec.n_adapt} passes), "
                         f"{rec.n_atomistic}, "
                         f"{rec.wall_time:.1f}, {where}")
        print(f"| {f:.2f} | " + " | ".join(cells) + " |", flush=True)
    print("first event:", first)
    print("wall time:", {n: round(t, 1) for n, t in total.items()})


if __name__ == "__main__":
    main()
