#!/usr/bin/env python
"""Crack study cost: QC against fully atomistic, and QC scaling with the domain size.

Cu_mishin1, (111)[-110] crack (x=[11-2], y=[111], z=[1-10]), mode-I K-field
on the outer ring, K in steps of --dK (fraction of K_G) from --K0.

* ``--compare R``: the same crack and domain radius R (A), QC (bgfc, core
  --core) and fully atomistic (qcsim's own model with every site an atom),
  for --steps load steps each: degrees of freedom, wall time and iterations
  per load step, ratios, and the first K at which the tip advances or a
  dislocation is detected (if within the steps run).
* ``--scaling R1 R2 ...``: QC only, time and iterations per load step and
  sites represented for each outer radius.

Usage: python scripts/bench_crack.py --scaling 250 1000 4000
       python scripts/bench_crack.py --compare 1000 --steps 3
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
GAMMA_111 = 1.2395  # J/m^2, Cu_mishin1 (VALIDATION.md; qcsim reproduces 1.23953)


def run(pot, crystal, R, core, K0, dK, steps, fmax, stop_at_event=False):
    t = time.perf_counter()
    study = CrackStudy(pot, crystal, CrackSpec(r_core=core, r_outer=R, fmax=fmax,
                                               max_steps=20000))
    t_build = time.perf_counter() - t
    KG = griffith_K(study.stroh, convert_surface_energy(GAMMA_111, "J/m^2"))
    rows, event = [], None
    for k in range(steps):
        f = K0 + k * dK
        rec = study.step(f * KG)
        rows.append((f, rec))
        moved = np.isfinite(rec.crack_tip_x) and rec.crack_tip_x > study.first_bond_x + 1e-6
        if event is None and (rec.emitted or moved):
            event = (f, "emission" if rec.emitted else "advance")
        print(f"  R={R:6.0f} core={core:6.1f} K/K_G={f:.4f} dof={rec.n_dof:8d} "
              f"it={rec.iterations:5d} {rec.wall_time:8.2f} s converged={rec.converged} "
              f"tip={rec.crack_tip_x:.2f} emitted={rec.emitted} adapt={rec.n_adapt}", flush=True)
        if stop_at_event and event is not None:
            break
    return study, rows, event, t_build


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--compare", type=float, help="domain radius (A) for QC vs atomistic")
    ap.add_argument("--scaling", type=float, nargs="*", default=[])
    ap.add_argument("--core", type=float, default=25.0)
    ap.add_argument("--K0", type=float, default=0.56)
    ap.add_argument("--dK", type=float, default=0.01)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--fmax", type=float, default=1e-4)
    ap.add_argument("--refine-tol", type=float, default=None,
                    help="curvature tolerance of the QC model (default: the CrackSpec default)")
    ap.add_argument("--until-event", action="store_true",
                    help="--compare: load each model until its first event (at most --steps)")
    args = ap.parse_args()
    pot = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"]).potential
    crystal = Crystal("fcc", 3.6149, ORIENT, "Cu")
    if args.scaling:
        table = []
        for R in args.scaling:
            study, rows, event, tb = run(pot, crystal, R, args.core, args.K0, args.dK,
                                         args.steps, args.fmax)
            later = [r for _, r in rows[1:]] or [r for _, r in rows]
            table.append((R, study.n_represented, rows[-1][1].n_dof,
                          np.mean([r.wall_time for r in later]),
                          np.mean([r.iterations for r in later]), tb))
        print("\nQC scaling (load steps after the first):")
        print(f"{'R (A)':>8} {'sites represented':>18} {'dof':>8} {'s / step':>9} "
              f"{'iterations / step':>18} {'build (s)':>10}")
        for R, n, dof, t, it, tb in table:
            print(f"{R:8.0f} {n:18,d} {dof:8d} {t:9.2f} {it:18.1f} {tb:10.2f}")
        if len(table) > 1:
            print(f"time per step grows {table[-1][3] / table[0][3]:.2f}x while the sites "
                  f"represented grow {table[-1][1] / table[0][1]:.0f}x")
    if args.compare:
        compare(pot, crystal, args)


def compare(pot, crystal, args):
    """QC and fully atomistic on the same crack, interleaved load step by load step
    (QC step k, atomistic step k, ...) so that machine load hits both alike."""
    R = args.compare
    print(f"QC (core {args.core} A, default adaptivity) and fully atomistic, R = {R} A, "
          "interleaved:", flush=True)
    studies, KG = {}, None
    for name, core in (("qc", args.core), ("atomistic", R)):
        t = time.perf_counter()
        extra = {} if args.refine_tol is None else {"refine_tol": args.refine_tol}
        studies[name] = CrackStudy(pot, crystal, CrackSpec(
            r_core=core, r_outer=R, fmax=args.fmax, max_steps=20000, **extra))
        print(f"  {name}: built in {time.perf_counter() - t:.1f} s, "
              f"{studies[name].model.n_dof:,} dof", flush=True)
        KG = griffith_K(studies[name].stroh, convert_surface_energy(GAMMA_111, "J/m^2"))
    rows = {"qc": [], "atomistic": []}
    events = {}
    for k in range(args.steps):
        f = args.K0 + k * args.dK
        for name, study in studies.items():
            if args.until_event and name in events:
                continue
            rec = study.step(f * KG)
            rows[name].append((f, rec))
            moved = np.isfinite(rec.crack_tip_x) and rec.crack_tip_x > study.first_bond_x + 1e-6
            if name not in events and (rec.emitted or moved):
                events[name] = (f, "emission" if rec.emitted else "advance")
            print(f"  {name:9s} K/K_G={f:.4f} dof={rec.n_dof:9,d} it={rec.iterations:5d} "
                  f"{rec.wall_time:9.2f} s converged={rec.converged} tip={rec.crack_tip_x:.2f} "
                  f"emitted={rec.emitted} adapt={rec.n_adapt}", flush=True)
        if args.until_event and len(events) == 2:
            break
    n = min(len(rows["qc"]), len(rows["atomistic"]))
    print(f"\n| K / K_G | atomistic: iterations | atomistic: s | QC: iterations | QC: s | "
          "QC dof | ratio |")
    print("|---|---|---|---|---|---|---|")
    for (f, a), (_, q) in zip(rows["atomistic"][:n], rows["qc"][:n]):
        print(f"| {f:.2f} | {a.iterations} | {a.wall_time:.1f} | {q.iterations} "
              f"({q.n_adapt} adapt) | {q.wall_time:.2f} | {q.n_dof:,} | "
              f"{a.wall_time / q.wall_time:.0f} |")
    tq = np.array([r.wall_time for _, r in rows["qc"][:n]])
    ta = np.array([r.wall_time for _, r in rows["atomistic"][:n]])
    print(f"\ndegrees of freedom: atomistic {rows['atomistic'][0][1].n_dof:,} / QC "
          f"{rows['qc'][0][1].n_dof:,} = "
          f"{rows['atomistic'][0][1].n_dof / rows['qc'][0][1].n_dof:.0f} (QC after the last "
          f"step: {rows['qc'][n - 1][1].n_dof:,})")
    print(f"wall time per load step, mean of the {n} loads both ran: atomistic "
          f"{ta.mean():.1f} s / QC {tq.mean():.2f} s = {ta.mean() / tq.mean():.0f} "
          f"(total {ta.sum():.0f} s / {tq.sum():.1f} s)")
    ev = [i for i, (f, r) in enumerate(rows["qc"][:n]) if r.emitted]
    if ev:
        i = ev[0]
        print(f"QC emission step: atomistic {ta[i]:.1f} s / QC {tq[i]:.2f} s = "
              f"{ta[i] / tq[i]:.0f}")
    print(f"first event: QC {events.get('qc')}, atomistic {events.get('atomistic')}")

if __name__ == "__main__":
    main()
