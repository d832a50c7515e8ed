"""Small analytic EAM potentials written as setfl / fs / funcfl files (tests only).

The functions are smooth and vanish at the cutoff, so finite differences are
clean, and they differ per element (and per density sub-function for fs), so
a mixed-up convention changes the energy.
"""
from __future__ import annotations

import numpy as np

CUT = 5.0
NR, DR = 801, 0.00625      # r grid up to 5.0 A
NRHO, DRHO = 601, 0.01     # rho grid up to 6.0


def smooth(r, rc=CUT):
    return np.where(r < rc, (1.0 - np.minimum(r, rc) / rc) ** 3, 0.0)


def rho_fn(scale, beta=1.3):
    return lambda r: scale * np.exp(-beta * (r - 2.5)) * smooth(r)


def embed_fn(depth):
    return lambda rho: -depth * np.sqrt(rho + 0.2) + 0.04 * rho * rho


def phi_fn(d0, alpha=1.4, r0=2.6):
    return lambda r: d0 * (np.exp(-2 * alpha * (r - r0)) - 2 * np.exp(-alpha * (r - r0))) * smooth(r)


ELEMENTS = {"A": dict(depth=2.0, scale=1.0, d0=0.15), "B": dict(depth=3.0, scale=0.6, d0=0.25)}


def _block(fh, values):
    values = np.asarray(values)
    for k in range(0, len(values), 5):
        fh.write(" ".join(f"{v:.16e}" for v in values[k:k + 5]) + "\n")


def grids():
    return np.arange(NR) * DR, np.arange(NRHO) * DRHO


def functions(names, fs=False):
    """Analytic F_a, rho (per element, or per (block a, sub-function b) for fs), phi_ab."""
    F = {a: embed_fn(ELEMENTS[a]["depth"]) for a in names}
    if fs:
        rho = {(a, b): rho_fn(ELEMENTS[a]["scale"] * (1.0 + 0.5 * i + 0.2 * k), 1.1 + 0.2 * k)
               for i, a in enumerate(names) for k, b in enumerate(names)}
    else:
        rho = {a: rho_fn(ELEMENTS[a]["scale"]) for a in names}
    phi = {}
    for a in names:
        for b in names:
            phi[a, b] = phi_fn(np.sqrt(ELEMENTS[a]["d0"] * ELEMENTS[b]["d0"]))
    return F, rho, phi


def write_setfl(path, names=("A", "B"), fs=False):
    """Write a setfl (or fs) file with the analytic functions of ``names``."""
    r, rho_grid = grids()
    F, rho, phi = functions(names, fs)
    with open(path, "w") as fh:
        fh.write("synthetic test potential\nline two\nline three\n")
        fh.write(f"{len(names)} {' '.join(names)}\n")
        fh.write(f"{NRHO} {DRHO!r} {NR} {DR!r} {CUT!r}\n")
        for k, a in enumerate(names):
            fh.write(f"{k + 1} {10.0 * (k + 1):.3f} 3.6 fcc\n")
            _block(fh, F[a](rho_grid))
            if fs:
                for b in names:
                    _block(fh, rho[a, b](r))
            else:
                _block(fh, rho[a](r))
        for i, a in enumerate(names):
            for b in names[:i + 1]:
                _block(fh, r * phi[a, b](r))
    return path


def write_funcfl(path, z_scale=1.0, dr=DR, nr=NR, drho=DRHO, nrho=NRHO):
    """Write a funcfl file: F, effective charge Z(r), rho(r)."""
    r = np.arange(nr) * dr
    rho_grid = np.arange(nrho) * drho
    with open(path, "w") as fh:
        fh.write("synthetic funcfl\n")
        fh.write("29 63.55 3.615 FCC\n")
        fh.write(f"{nrho} {drho!r} {nr} {dr!r} {CUT!r}\n")
        _block(fh, embed_fn(2.0)(rho_grid))
        _block(fh, z_scale * np.exp(-r) * smooth(r))
        _block(fh, rho_fn(1.0)(r))
    return path
