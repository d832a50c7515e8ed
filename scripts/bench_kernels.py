#!/usr/bin/env python
"""qcsim's EAM kernels against LAMMPS eam/alloy and eam/alloy/opt, in the same run.

fcc Cu (Cu_mishin1.eam.alloy, a = 3.615 A) rattled by 0.01 A (normal, seeded),
periodic cubic box, one core, skin 1 A.  For each code and size, in a fresh
subprocess:

* force evaluation: microseconds per atom-step, list not rebuilt (atoms fixed);
* neighbour build: microseconds per atom, ghosts/borders included
  (LAMMPS: time of steps that rebuild minus steps that do not);
* memory: peak resident-set increase per atom from just before the system is
  created to after the first force evaluation (the same measurement for both).

Usage:  python scripts/bench_kernels.py [--sizes 32000 256000] [--steps 20]
Needs the `bench` or `test` extra (lammps[mpi]).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

A0 = 3.615
SKIN = 1.0
POTENTIAL = "Cu_mishin1.eam.alloy"


def fcc_positions(n_atoms: int, seed: int = 12345):
    cells = round((n_atoms / 4) ** (1 / 3))
    if 4 * cells**3 != n_atoms:
        raise SystemExit(f"{n_atoms} is not 4 n^3")
    basis = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    grid = np.stack(np.meshgrid(*[np.arange(cells)] * 3, indexing="ij"), -1).reshape(-1, 1, 3)
    x = ((grid + basis).reshape(-1, 3) * A0).astype(np.float64)
    x += np.random.default_rng(seed).normal(scale=0.01, size=x.shape)
    return x, cells * A0


def rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return rss_now()


def child_qcsim(n_atoms: int, steps: int) -> dict:
    from qcsim.neighbors import NeighborList
    from qcsim.potentials import make_potential
    from qcsim.potentials.files import resolve_potential_file

    pot_file = str(resolve_potential_file(POTENTIAL))
    x, box = fcc_positions(n_atoms)
    cell, pbc = np.eye(3) * box, np.array([True] * 3)
    types = np.zeros(n_atoms, dtype=np.int32)
    reset_peak()
    base = rss_now()
    pot = make_potential("eam/alloy", file=pot_file, elements=["Cu"])
    nl = NeighborList(pot.cutoff, SKIN)
    nl.build(x, cell, pbc)
    ev = pot.compute(nl, x, types, None, energies=False)
    mem = peak_rss() - base
    builds = max(3, steps // 4)
    t0 = time.perf_counter()
    for _ in range(builds):
        nl.build(x, cell, pbc)
    t_build = (time.perf_counter() - t0) / builds
    pot.compute(nl, x, types, None, energies=False)
    t0 = time.perf_counter()
    for _ in range(steps):
        ev = pot.compute(nl, x, types, None, energies=False)
    t_force = (time.perf_counter() - t0) / steps
    return {"force_us": t_force / n_atoms * 1e6, "neigh_us": t_build / n_atoms * 1e6,
            "mem_bytes_per_atom": mem / n_atoms, "energy_per_atom": ev.energy / n_atoms,
            "pairs_per_atom": nl.n_pairs / n_atoms}


def child_lammps(n_atoms: int, steps: int, style: str) -> dict:
    from qcsim.potentials.files import resolve_potential_file
    from qcsim.testing.lammps import import_lammps

    lammps = import_lammps()
    pot_file = str(resolve_potential_file(POTENTIAL))
    x, box = fcc_positions(n_atoms)
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "cu.data")
        write_lammps_data(data, x, box)
        del x
        lmp = lammps.lammps(cmdargs=["-log", os.path.join(tmp, "log.lammps"), "-screen", "none",
                                     "-nocite"])
        reset_peak()
        base = rss_now()
        lmp.commands_list(["units metal", "atom_style atomic", "atom_modify map array",
                           "boundary p p p", f"read_data {data}",
                           "mass 1 63.546", f"pair_style {style}", f"pair_coeff * * {pot_file} Cu",
                           f"neighbor {SKIN} bin", "neigh_modify every 1 delay 0 check yes",
                           "thermo_style custom step pe", "run 0"])
        mem = peak_rss() - base
        energy = lmp.get_thermo("pe")
        lmp.command("run 2 pre no post no")
        t0 = time.perf_counter()
        lmp.command(f"run {steps} pre no post no")
        t_force = (time.perf_counter() - t0) / steps
        lmp.command("neigh_modify every 1 delay 0 check no")
        lmp.command("run 2 pre yes post no")
        t0 = time.perf_counter()
        lmp.command(f"run {steps} pre no post no")
        t_both = (time.perf_counter() - t0) / steps
        lmp.close()
    return {"force_us": t_force / n_atoms * 1e6, "neigh_us": (t_both - t_force) / n_atoms * 1e6,
            "mem_bytes_per_atom": mem / n_atoms, "energy_per_atom": energy / n_atoms}


def write_lammps_data(path: str, x: np.ndarray, box: float) -> None:
    with open(path, "w") as f:
        f.write(f"fcc Cu\n\n{len(x)} atoms\n1 atom types\n\n")
        for c in "xyz":
            f.write(f"0.0 {box!r} {c}lo {c}hi\n")
        f.write("\nAtoms # atomic\n\n")
        ids = np.arange(1, len(x) + 1)
        np.savetxt(f, np.column_stack([ids, np.ones_like(ids), x]),
                   fmt=["%d", "%d", "%.17g", "%.17g", "%.17g"])


def run_child(code: str, n_atoms: int, steps: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--child", code, "--sizes", str(n_atoms),
                          "--steps", str(steps)], capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{code} at {n_atoms} atoms failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[32000, 256000])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        n = args.sizes[0]
        res = child_qcsim(n, args.steps) if args.child == "qcsim" else \
            child_lammps(n, args.steps, args.child)
        print(json.dumps(res))
        return
    codes = ["qcsim", "eam/alloy", "eam/alloy/opt"]
    table = {}
    for n in args.sizes:
        table[n] = {c: run_child(c, n, args.steps) for c in codes}
    print(f"fcc Cu, {POTENTIAL}, rattled 0.01 A, skin {SKIN} A, one core")
    print(f"{'atoms':>8} {'code':>14} {'force us/atom-step':>19} {'neigh us/atom':>14} "
          f"{'mem B/atom':>11} {'E/atom eV':>12}")
    for n, row in table.items():
        for c, r in row.items():
            print(f"{n:8d} {c:>14} {r['force_us']:19.3f} {r['neigh_us']:14.3f} "
                  f"{r['mem_bytes_per_atom']:11.0f} {r['energy_per_atom']:12.6f}")
    print("\nratios qcsim / LAMMPS (<= 1.0 means qcsim is at least as fast / as lean)")
    for n, row in table.items():
        q = row["qcsim"]
        for c in codes[1:]:
            r = row[c]
            print(f"{n:8d} vs {c:>14}: force {q['force_us'] / r['force_us']:.3f}  "
                  f"neigh {q['neigh_us'] / r['neigh_us']:.3f}  "
                  f"memory {q['mem_bytes_per_atom'] / r['mem_bytes_per_atom']:.3f}")
        de = abs(q["energy_per_atom"] - row["eam/alloy"]["energy_per_atom"])
        print(f"{n:8d} |E/atom qcsim - LAMMPS| = {de:.2e} eV")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({str(k): v for k, v in table.items()}, f, indent=2)


if __name__ == "__main__":
    main()
