#!/usr/bin/env python
"""qcsim's EAM kernels and Calculator against LAMMPS eam/alloy and eam/alloy/opt.

fcc Cu (Cu_mishin1.eam.alloy, a = 3.615 A) rattled by 0.01 A (normal, seeded),
periodic cubic box, one core, skin 1 A.  For each size:

* force evaluation, microseconds per atom-step, all paths in one process and
  interleaved (round-robin rounds of ``--steps`` calls, best round of
  ``--rounds``, so that load on the machine hits every path alike):
  - qcsim kernel: ``potential.compute`` on an up-to-date neighbour list;
  - qcsim Calculator: what an ASE user's MD or relaxation loop pays per step,
    ``atoms.positions[:] = ...`` (positions alternate between two further
    rattles of 0.001 A, so every call is a new state but the list is not
    rebuilt) then ``atoms.get_forces()`` through :class:`qcsim.Calculator`;
  - LAMMPS: a ``run`` step with atoms fixed (no integrator; the neighbour
    check runs every step but never rebuilds);
* neighbour build, microseconds per atom, ghosts/borders included
  (LAMMPS: time of steps that rebuild minus steps that do not), and memory,
  peak resident-set increase per atom from just before the system is created
  to after the first force evaluation: each code in a fresh subprocess.

Usage:  python scripts/bench_kernels.py [--sizes 32000 256000] [--steps 20] [--rounds 5]
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
    """Neighbour build time and memory of qcsim (fresh process)."""
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
    return {"neigh_us": t_build / n_atoms * 1e6,
            "mem_bytes_per_atom": mem / n_atoms, "energy_per_atom": ev.energy / n_atoms,
            "pairs_per_atom": nl.n_pairs / n_atoms}


def child_lammps(n_atoms: int, steps: int, style: str) -> dict:
    """Neighbour build time and memory of LAMMPS (fresh process)."""
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
    return {"neigh_us": (t_both - t_force) / n_atoms * 1e6,
            "mem_bytes_per_atom": mem / n_atoms, "energy_per_atom": energy / n_atoms}


def lammps_instance(lammps, data: str, tmp: str, style: str, pot_file: str):
    """A LAMMPS instance on the data file with ``style``, list built and warmed up."""
    lmp = lammps.lammps(cmdargs=["-log", os.path.join(tmp, f"log.{style.replace('/', '_')}"),
                                 "-screen", "none", "-nocite"])
    lmp.commands_list(["units metal", "atom_style atomic", "atom_modify map array",
                       "boundary p p p", f"read_data {data}",
                       "mass 1 63.546", f"pair_style {style}", f"pair_coeff * * {pot_file} Cu",
                       f"neighbor {SKIN} bin", "neigh_modify every 1 delay 0 check yes",
                       "thermo_style custom step pe", "run 2 pre yes post no"])
    return lmp


def child_forces(n_atoms: int, steps: int, rounds: int) -> dict:
    """Force-call time of every path, interleaved in this one process."""
    from ase import Atoms

    from qcsim import Calculator
    from qcsim.potentials.files import resolve_potential_file
    from qcsim.testing.lammps import import_lammps

    lammps = import_lammps()
    pot_file = str(resolve_potential_file(POTENTIAL))
    x, box = fcc_positions(n_atoms)
    rng = np.random.default_rng(7)
    x_k = [x + rng.normal(scale=0.001, size=x.shape) for _ in range(2)]
    atoms = Atoms(numbers=np.full(n_atoms, 29), positions=x, cell=np.eye(3) * box, pbc=True)
    calc = Calculator(style="eam/alloy", file=pot_file, elements=["Cu"], skin=SKIN)
    atoms.calc = calc
    atoms.get_forces()
    pot, nl, types = calc.potential, calc.nlist, np.zeros(n_atoms, dtype=np.int32)
    builds = nl.n_builds

    def kernel():
        for _ in range(steps):
            pot.compute(nl, x, types, None, energies=False)

    def calculator():
        for k in range(steps):
            atoms.positions[:] = x_k[k % 2]
            atoms.get_forces()

    paths = {"qcsim kernel": kernel, "qcsim Calculator": calculator}
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "cu.data")
        write_lammps_data(data, x, box)
        lmps = [lammps_instance(lammps, data, tmp, style, pot_file)
                for style in ("eam/alloy", "eam/alloy/opt")]
        for style, lmp in zip(("eam/alloy", "eam/alloy/opt"), lmps):
            paths[style] = lambda lmp=lmp: lmp.command(f"run {steps} pre no post no")
        kernel()
        calculator()
        best = dict.fromkeys(paths, np.inf)
        for _ in range(rounds):
            for name, run in paths.items():
                t0 = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - t0)
        for lmp in lmps:
            lmp.close()
    if nl.n_builds != builds:
        raise SystemExit("the Calculator path rebuilt its neighbour list: not a force-only timing")
    return {name: t / steps / n_atoms * 1e6 for name, t in best.items()}


def write_lammps_data(path: str, x: np.ndarray, box: float) -> None:
    with open(path, "w") as f:
        f.write(f"fcc Cu\n\n{len(x)} atoms\n1 atom types\n\n")
        for c in "xyz":
            f.write(f"0.0 {box!r} {c}lo {c}hi\n")
        f.write("\nAtoms # atomic\n\n")
        ids = np.arange(1, len(x) + 1)
        np.savetxt(f, np.column_stack([ids, np.ones_like(ids), x]),
                   fmt=["%d", "%d", "%.17g", "%.17g", "%.17g"])


def run_child(code: str, n_atoms: int, steps: int, rounds: int = 1) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    out = subprocess.run([sys.executable, __file__, "--child", code, "--sizes", str(n_atoms),
                          "--steps", str(steps), "--rounds", str(rounds)],
                         capture_output=True, text=True, env=env)
    if out.returncode != 0:
        raise SystemExit(f"{code} at {n_atoms} atoms failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_main(args) -> dict:
    n = args.sizes[0]
    if args.child == "forces":
        return child_forces(n, args.steps, args.rounds)
    if args.child == "qcsim":
        return child_qcsim(n, args.steps)
    return child_lammps(n, args.steps, args.child)


def report(table: dict, steps: int, rounds: int) -> None:
    lmp_codes = ["eam/alloy", "eam/alloy/opt"]
    print(f"fcc Cu, {POTENTIAL}, rattled 0.01 A, skin {SKIN} A, one core")
    print(f"\nforce call, us/atom-step (one process, interleaved, best of {rounds} rounds "
          f"of {steps} calls)")
    paths = list(next(iter(table.values()))["forces"])
    print(f"{'atoms':>8} " + " ".join(f"{p:>17}" for p in paths))
    for n, row in table.items():
        print(f"{n:8d} " + " ".join(f"{row['forces'][p]:17.3f}" for p in paths))
    print("\nratios to LAMMPS (<= 1.0 means qcsim is at least as fast)")
    for n, row in table.items():
        f = row["forces"]
        for c in lmp_codes:
            print(f"{n:8d} vs {c:>14}: kernel {f['qcsim kernel'] / f[c]:.3f}  "
                  f"Calculator {f['qcsim Calculator'] / f[c]:.3f}")
    if "qcsim" not in next(iter(table.values())):
        return
    print(f"\n{'atoms':>8} {'code':>14} {'neigh us/atom':>14} {'mem B/atom':>11} "
          f"{'E/atom eV':>12}")
    for n, row in table.items():
        for c in ["qcsim"] + lmp_codes:
            r = row[c]
            print(f"{n:8d} {c:>14} {r['neigh_us']:14.3f} {r['mem_bytes_per_atom']:11.0f} "
                  f"{r['energy_per_atom']:12.6f}")
    print("\nratios qcsim / LAMMPS, neighbour build and memory")
    for n, row in table.items():
        q = row["qcsim"]
        for c in lmp_codes:
            r = row[c]
            print(f"{n:8d} vs {c:>14}: neigh {q['neigh_us'] / r['neigh_us']:.3f}  "
                  f"memory {q['mem_bytes_per_atom'] / r['mem_bytes_per_atom']:.3f}")
        de = abs(q["energy_per_atom"] - row["eam/alloy"]["energy_per_atom"])
        print(f"{n:8d} |E/atom qcsim - LAMMPS| = {de:.2e} eV")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[32000, 256000])
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--no-build-memory", action="store_true",
                    help="time the force calls only (skip the neighbour/memory children)")
    ap.add_argument("--json", help="also write the results to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child_main(args)))
        return
    table = {}
    for n in args.sizes:
        row = {"forces": run_child("forces", n, args.steps, args.rounds)}
        if not args.no_build_memory:
            row.update({c: run_child(c, n, args.steps)
                        for c in ("qcsim", "eam/alloy", "eam/alloy/opt")})
        table[n] = row
    report(table, args.steps, args.rounds)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({str(k): v for k, v in table.items()}, f, indent=2)


if __name__ == "__main__":
    main()
