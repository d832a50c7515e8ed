"""Time the neighbor list on fcc Cu: build, gather and fold, per site.

    python scripts/bench_neighbors.py [--reps 4 20 40] [--shuffle]

The configuration is the product bar of the architecture document: fcc Cu
(a = 3.615 A), cutoff 5.50679 A + skin 1.0 A, every site rattled by 0.01 A,
periodic cube of reps^3 conventional cells (32,000 sites at reps = 20,
256,000 at reps = 40).  Times are the best of a few repeats of CPU time
(process time: robust to other processes on the machine), on one core.
The peak is what one build allocates on top of the list it replaces.
"""
from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from qcsim.neighbors import NeighborList

A_CU, CUTOFF, SKIN = 3.615, 5.50679, 1.0


def fcc_cu(reps: int, rng, shuffle: bool):
    """Rattled fcc Cu sites in lattice order (or shuffled), and the cube's cell."""
    base = A_CU * np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
    cells = A_CU * np.stack(np.meshgrid(*[np.arange(reps)] * 3, indexing="ij"), -1)
    x_ic = (cells.reshape(-1, 1, 3) + base).reshape(-1, 3)
    x_ic += rng.normal(scale=0.01, size=x_ic.shape)
    if shuffle:
        x_ic = x_ic[rng.permutation(len(x_ic))]
    return np.ascontiguousarray(x_ic), np.eye(3) * A_CU * reps


def best_time(fn, repeats: int) -> float:
    best = np.inf
    for _ in range(repeats):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def bench(reps: int, shuffle: bool, repeats: int) -> None:
    rng = np.random.default_rng(0)
    x_ic, cell = fcc_cu(reps, rng, shuffle)
    n = len(x_ic)
    nl = NeighborList(CUTOFF, SKIN)
    nl.build(x_ic, cell, (True,) * 3)
    t_build = best_time(lambda: nl.build(x_ic, cell, (True,) * 3), repeats)
    x_ec = np.empty((nl.n_ext, 3))
    f_ic = np.empty((n, 3))
    t_gather = best_time(lambda: nl.extended_positions(x_ic, out=x_ec), 5 * repeats)
    t_fold = best_time(lambda: nl.fold(x_ec, out=f_ic), 5 * repeats)
    t_check = best_time(lambda: nl.update(x_ic, cell, (True,) * 3), 5 * repeats)
    # what the list keeps between builds (j_n's storage may be a little larger than j_n)
    kept = (nl._j_buffer, nl.offsets_e, nl.owner_e, nl.shift_ec, nl.primary_i, nl._x_built,
            nl._order_i)
    list_bytes = sum(a.nbytes for a in kept)
    tracemalloc.start()
    nl.build(x_ic, cell, (True,) * 3)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    order = "shuffled" if shuffle else "lattice order"
    print(f"{n:8d} sites ({order}): n_ext/n = {nl.n_ext / n:.3f}, pairs/site = "
          f"{nl.n_pairs / n:.2f}, list = {list_bytes / n:.0f} B/site, "
          f"build peak = {peak / n:.0f} B/site")
    print(f"    build {1e6 * t_build / n:.3f} us/site   gather {1e6 * t_gather / n:.4f}   "
          f"fold {1e6 * t_fold / n:.4f}   update check {1e6 * t_check / n:.4f} us/site")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, nargs="+", default=[20, 40])
    parser.add_argument("--shuffle", action="store_true", help="random site order too")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for reps in args.reps:
        bench(reps, False, args.repeats)
        if args.shuffle:
            bench(reps, True, args.repeats)


if __name__ == "__main__":
    main()
