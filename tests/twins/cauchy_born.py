"""NumPy twin of cython_kernels/cauchy_born.pyx (tests only).

Vectorised over elements and lattice vectors; the second derivatives come
from the same spline coefficients, written out independently.
"""
import numpy as np


def _spline(s, x, rdx, n, clamp_low):
    p = x * rdx + 1.0
    m = p.astype(np.int64)
    if clamp_low:
        m = np.maximum(m, 1)
    m = np.minimum(m, n - 1)
    p = p - m
    beyond = p > 1.0
    p = np.minimum(p, 1.0)
    c = s[m]
    v = ((c[..., 3] * p + c[..., 4]) * p + c[..., 5]) * p + c[..., 6]
    d = (c[..., 0] * p + c[..., 1]) * p + c[..., 2]
    dd = np.where(beyond, 0.0, (2 * c[..., 0] * p + c[..., 1]) * rdx)
    return v, d, dd


def eam_cauchy_born(F, R, rhor, z2r, frho, rdr, nr, rdrho, nrho, rhomax, cutsq, volume):
    r_tkc = np.einsum("tij,kj->tki", F, R)
    rsq = np.einsum("tkc,tkc->tk", r_tkc, r_tkc)
    inside = rsq < cutsq
    r = np.sqrt(np.where(inside, rsq, 1.0))
    rho, rho_d, rho_dd = (np.where(inside, a, 0.0) for a in _spline(rhor, r, rdr, nr, False))
    z2, z2d, z2dd = (np.where(inside, a, 0.0) for a in _spline(z2r, r, rdr, nr, False))
    rho_t = rho.sum(axis=1)
    Femb, Fp, Fpp = _spline(frho, rho_t, rdrho, nrho, True)
    Femb = Femb + np.where(rho_t > rhomax, Fp * (rho_t - rhomax), 0.0)
    phi = z2 / r
    phid = (z2d - phi) / r
    phidd = z2dd / r - 2 * z2d / r**2 + 2 * z2 / r**3
    W = (Femb + 0.5 * phi.sum(axis=1)) / volume
    h = Fp[:, None] * rho_d + 0.5 * phid
    u = r_tkc / r[..., None]  # unit vectors
    P = np.einsum("tk,tki,kj->tij", h, u, R) / volume
    A = np.einsum("tk,tki,kj->tij", rho_d, u, R)
    hp = Fp[:, None] * rho_dd + 0.5 * phidd
    C = Fpp[:, None, None, None, None] * np.einsum("tij,tkl->tijkl", A, A)
    C += np.einsum("tk,tki,tkm,kj,kl->tijml", hp - h / r, u, u, R, R)
    C += np.einsum("tk,im,kj,kl->tijml", h / r, np.eye(3), R, R)
    return W, P, C / volume
