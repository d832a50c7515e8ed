"""Plain NumPy twin of the EAM kernels (tests only): same inputs, same outputs.

See ``cython_kernels/eam.pyx`` for the table layout and the meaning of the
arguments.  Everything is vectorised over pairs; accumulation uses
``np.add.at``, so sums differ from the kernels only by round-off.
"""
from __future__ import annotations

import numpy as np


def _pair_arrays(x_ec, offsets_e, j_n):
    e_n = np.repeat(np.arange(len(offsets_e) - 1), np.diff(offsets_e))
    d_nc = x_ec[e_n] - x_ec[j_n]
    return e_n, d_nc, d_nc[:, 0] * d_nc[:, 0] + d_nc[:, 1] * d_nc[:, 1] + d_nc[:, 2] * d_nc[:, 2]


def _knots(r, rdr, nr):
    p = r * rdr + 1.0
    m = np.minimum(p.astype(np.int64), nr - 1)
    return m, np.minimum(p - m, 1.0)


def density(x_ec, type_e, offsets_e, j_n, dens_tab, ntypes, nr, rdr, cutsq,
            rho_e):
    e_n, _, rsq = _pair_arrays(x_ec, offsets_e, j_n)
    keep = rsq < cutsq
    e_k, j_k = e_n[keep], j_n[keep]
    r = np.sqrt(rsq[keep])
    m, p = _knots(r, rdr, nr)
    c = dens_tab.reshape(ntypes, ntypes, nr + 1, 8)[type_e[e_k], type_e[j_k], m]
    np.add.at(rho_e, e_k, ((c[:, 0] * p + c[:, 1]) * p + c[:, 2]) * p + c[:, 3])
    np.add.at(rho_e, j_k, ((c[:, 4] * p + c[:, 5]) * p + c[:, 6]) * p + c[:, 7])


def embed(rho_i, type_i, frho_tab, nrho, rdrho, rhomax, F_i, Fp_i):
    p = rho_i * rdrho + 1.0
    m = np.clip(np.trunc(p).astype(np.int64), 1, nrho - 1)
    p = np.minimum(p - m, 1.0)
    c = frho_tab.reshape(-1, nrho + 1, 7)[type_i, m]
    Fp_i[:] = (c[:, 0] * p + c[:, 1]) * p + c[:, 2]
    phi = ((c[:, 3] * p + c[:, 4]) * p + c[:, 5]) * p + c[:, 6]
    F_i[:] = np.where(rho_i > rhomax, phi + Fp_i * (rho_i - rhomax), phi)


def forces(x_ec, type_e, offsets_e, j_n, cutsq, wfp_e, w_e, weighted,
           force_tab, ntypes, nr, rdr, f_ec, epair_e, want_epair, virial_6):
    e_n, _, rsq = _pair_arrays(x_ec, offsets_e, j_n)
    keep = rsq < cutsq
    e_k, j_k = e_n[keep], j_n[keep]
    n_k = len(e_k)
    d_kc = x_ec[e_k] - x_ec[j_k]
    r = np.sqrt(rsq[keep])
    m, p = _knots(r, rdr, nr)
    c = force_tab.reshape(ntypes, ntypes, nr + 1, 16)[type_e[e_k], type_e[j_k], m]
    rhojp = (c[:, 0] * p + c[:, 1]) * p + c[:, 2]
    rhoip = (c[:, 3] * p + c[:, 4]) * p + c[:, 5]
    z2p = (c[:, 6] * p + c[:, 7]) * p + c[:, 8]
    z2 = ((c[:, 9] * p + c[:, 10]) * p + c[:, 11]) * p + c[:, 12]
    phi = z2 / r
    phip = z2p / r - phi / r
    w_k = 0.5 * (w_e[e_k] + w_e[j_k]) if weighted else np.ones(n_k)
    psip = wfp_e[e_k] * rhojp + wfp_e[j_k] * rhoip + w_k * phip
    f_kc = d_kc * (-psip / r)[:, None]
    np.add.at(f_ec, e_k, f_kc)
    np.add.at(f_ec, j_k, -f_kc)
    if want_epair:
        np.add.at(epair_e, e_k, 0.5 * phi)
        np.add.at(epair_e, j_k, 0.5 * phi)
    v = np.einsum("ka,kb->ab", d_kc, f_kc)
    virial_6 += [v[0, 0], v[1, 1], v[2, 2], v[0, 1], v[0, 2], v[1, 2]]
    return float(np.sum(w_k * phi))
