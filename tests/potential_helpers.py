"""Helpers shared by the potential tests."""
from __future__ import annotations

import numpy as np


def random_list(rng, n_ext, box):
    """Random CSR rows over random entries (no self pairs); kernels need no physics."""
    x_ec = rng.uniform(0.0, box, (n_ext, 3))
    rows = []
    for e in range(n_ext):
        others = np.delete(np.arange(n_ext), e)
        k = rng.integers(0, len(others) + 1) if rng.random() < 0.8 else 0
        rows.append(np.sort(rng.choice(others, size=k, replace=False)))
    offsets_e = np.zeros(n_ext + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=offsets_e[1:])
    j_n = np.concatenate(rows + [np.zeros(0)]).astype(np.int32)
    return x_ec, offsets_e, j_n


def fd_gradient(energy, x, coords, h=1e-5):
    g = []
    for i, c in coords:
        xp, xm = x.copy(), x.copy()
        xp[i, c] += h
        xm[i, c] -= h
        g.append((energy(xp) - energy(xm)) / (2 * h))
    return np.array(g)
