"""Plain NumPy twin of the pair-potential kernel (tests only): same inputs, same outputs.

See ``cython_kernels/pair.pyx`` for the parameter layout.
"""
from __future__ import annotations

import numpy as np


def pair_forces(x_ec, type_e, offsets_e, j_n, w_e, weighted, params, ntypes, kind,
                cutsq_max, f_ec, epair_e, want_epair, virial_6):
    e_n = np.repeat(np.arange(len(x_ec)), np.diff(offsets_e))
    d_nc = x_ec[e_n] - x_ec[j_n]
    rsq = d_nc[:, 0] * d_nc[:, 0] + d_nc[:, 1] * d_nc[:, 1] + d_nc[:, 2] * d_nc[:, 2]
    c = params.reshape(ntypes, ntypes, 8)[type_e[e_n], type_e[j_n]]
    keep = (rsq < cutsq_max) & (rsq < c[:, 6])
    e_n, j_n, d_nc, rsq, c = e_n[keep], j_n[keep], d_nc[keep], rsq[keep], c[keep]
    if kind == 0:
        r6inv = 1.0 / rsq ** 3
        fpair = r6inv * (c[:, 0] * r6inv - c[:, 1]) / rsq
        phi = r6inv * (c[:, 2] * r6inv - c[:, 3]) - c[:, 7]
    elif kind == 1:
        r = np.sqrt(rsq)
        dexp = np.exp(-c[:, 1] * (r - c[:, 2]))
        fpair = c[:, 3] * (dexp * dexp - dexp) / r
        phi = c[:, 0] * (dexp * dexp - 2.0 * dexp) - c[:, 7]
    else:
        raise ValueError(f"unknown pair kind {kind}")
    w_n = 0.5 * (w_e[e_n] + w_e[j_n]) if weighted else np.ones(len(e_n))
    f_nc = d_nc * (w_n * fpair)[:, None]
    np.add.at(f_ec, e_n, f_nc)
    np.add.at(f_ec, j_n, -f_nc)
    if want_epair:
        np.add.at(epair_e, e_n, 0.5 * phi)
        np.add.at(epair_e, j_n, 0.5 * phi)
    v = np.einsum("na,nb->ab", d_nc, f_nc)
    virial_6 += [v[0, 0], v[1, 1], v[2, 2], v[0, 1], v[0, 2], v[1, 2]]
    return float(np.sum(w_n * phi))
