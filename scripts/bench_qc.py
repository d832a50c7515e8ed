#!/usr/bin/env python
"""QC against fully atomistic on the same domain: degrees of freedom and evaluation cost.

Cu_mishin1, slab mode (x=[11-2], y=[111], z=[1-10], period Lz = 2.556 A), a
disk of radius R = 1,000 nearest-neighbour spacings (2,556 A) by default.

* QC (bgfc, atomistic core of radius --core): number of degrees of freedom,
  lattice sites represented, ratio; time of one energy-and-gradient
  evaluation (mean of --repeat after a warm-up).
* Fully atomistic: every site of the same disk (one period along z, periodic),
  one energy-and-force evaluation with a built neighbour list (and the build
  time, reported separately), same process, same run.

Usage: python scripts/bench_qc.py [--spacings 1000] [--core 20] [--repeat 5]
"""
from __future__ import annotations

import argparse
import time

import numpy as np

from qcsim import Calculator
from qcsim.build import SlabSetup, build_slab_model
from qcsim.lattice import Crystal
from qcsim.neighbors import NeighborList

ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--spacings", type=float, default=1000.0)
    ap.add_argument("--core", type=float, default=20.0)
    ap.add_argument("--scheme", default="bgfc")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    pot = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"]).potential
    crystal = Crystal("fcc", 3.6149, ORIENT, "Cu")
    nn = crystal.a / np.sqrt(2)
    R = args.spacings * nn

    t = time.perf_counter()
    model, slab = build_slab_model(pot, crystal, SlabSetup(r_core=args.core, r_outer=R,
                                                           scheme=args.scheme))
    t_build = time.perf_counter() - t
    model.update_correction()
    rng = np.random.default_rng(0)
    U = 0.01 * rng.normal(size=model.U_nc.shape)
    model.energy_gradient(U)
    t = time.perf_counter()
    for _ in range(args.repeat):
        model.energy_gradient(U)
    t_qc = (time.perf_counter() - t) / args.repeat
    sites = slab.sites_in_disk((0.0, 0.0), R)
    n_sites = len(sites)
    q = model.mesh.quality()

    x = slab.positions(sites)
    x += 0.01 * rng.normal(size=x.shape)
    types = np.zeros(n_sites, dtype=np.int32)
    cell, pbc = np.diag([0.0, 0.0, slab.Lz]), (False, False, True)
    nl = NeighborList(pot.cutoff, 1.0)
    t = time.perf_counter()
    nl.build(x, cell, pbc)
    t_nl = time.perf_counter() - t
    pot.compute(nl, x, types, None, energies=False)
    reps = max(1, args.repeat // 2)
    t = time.perf_counter()
    for _ in range(reps):
        pot.compute(nl, x, types, None, energies=False)
    t_atom = (time.perf_counter() - t) / reps

    print(f"domain: radius {R:.1f} A = {args.spacings:.0f} nearest-neighbour spacings, "
          f"period {slab.Lz:.4f} A, {n_sites:,} lattice sites")
    print(f"QC ({args.scheme}, core {args.core} A): {model.mesh.n_nodes:,} nodes, "
          f"{model.n_dof:,} degrees of freedom, {len(model.regions.atoms):,} atoms evaluated, "
          f"{model.mesh.n_elements:,} elements; mesh: {q.summary()}; built in {t_build:.2f} s")
    print(f"sites represented per degree of freedom: {n_sites / model.n_dof:,.0f} "
          f"(per node: {n_sites / model.mesh.n_nodes:,.0f}); "
          f"atomistic dof / QC dof = {3 * n_sites / model.n_dof:,.0f}")
    print(f"one energy+gradient evaluation: QC {t_qc * 1e3:.2f} ms, fully atomistic "
          f"{t_atom * 1e3:.1f} ms (neighbour build {t_nl * 1e3:.0f} ms, not included)")
    print(f"evaluation cost ratio atomistic / QC = {t_atom / t_qc:,.0f}")


if __name__ == "__main__":
    main()
