"""LAMMPS's tabulation of EAM files (``file2array`` and ``interpolate`` in pair_eam.cpp).

:func:`tabulate_funcfl`, :func:`tabulate_setfl` and :func:`tabulate_fs` turn
the raw tables of :mod:`qcsim.potentials.eam_files` into the arrays that
LAMMPS's ``pair_style eam``, ``eam/alloy`` and ``eam/fs`` evaluate, so
energies and forces agree with LAMMPS to round-off on the same file.

Layout of the tables (1-based like LAMMPS; row 0 of every table is unused):

* ``frho_spline[k, m, :]`` 7 spline coefficients of embedding function k at
  knot ``m = 1..nrho``; ``rhor_spline`` and ``z2r_spline`` likewise on the r
  grid (``m = 1..nr``).  Coefficient 6 is the value, 5 the scaled slope, 4 and
  3 the quadratic and cubic terms; 2, 1, 0 the derivative's coefficients.
* ``type2frho[a]`` embedding function of type a; ``type2rhor[a, b]`` as in
  LAMMPS (the density at a site of type b from a neighbour of type a is
  ``rhor_spline[type2rhor[a, b]]``); ``type2z2r[a, b]`` the ``r * phi``
  function of the pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from qcsim.potentials.eam_files import Funcfl, Setfl

__all__ = ["EAMTables", "tabulate_funcfl", "tabulate_setfl", "tabulate_fs", "interpolate",
           "spline_eval"]


def interpolate(f, delta) -> np.ndarray:
    """LAMMPS's 7-coefficient cubic spline through the knots ``f`` (spacing ``delta``).

    Returns (n + 1, 7), 1-based: row m holds the coefficients of the interval
    starting at knot m; row 0 is unused.
    """
    f = np.asarray(f, dtype=np.float64)
    n = len(f)
    s = np.zeros((n + 1, 7))
    v = np.concatenate(([0.0], f))  # 1-based values
    s[1:, 6] = f
    c5 = s[:, 5]
    c5[1] = v[2] - v[1]
    c5[2] = 0.5 * (v[3] - v[1])
    c5[n - 1] = 0.5 * (v[n] - v[n - 2])
    c5[n] = v[n] - v[n - 1]
    m = np.arange(3, n - 1)
    c5[m] = ((v[m - 2] - v[m + 2]) + 8.0 * (v[m + 1] - v[m - 1])) / 12.0
    m = np.arange(1, n)
    s[m, 4] = 3.0 * (v[m + 1] - v[m]) - 2.0 * c5[m] - c5[m + 1]
    s[m, 3] = c5[m] + c5[m + 1] - 2.0 * (v[m + 1] - v[m])
    s[n, 4] = 0.0
    s[n, 3] = 0.0
    s[1:, 2] = s[1:, 5] / delta
    s[1:, 1] = 2.0 * s[1:, 4] / delta
    s[1:, 0] = 3.0 * s[1:, 3] / delta
    return s


def spline_eval(spline, x, rdelta, n, clamp_low=False):
    """Value and derivative of a LAMMPS spline at ``x`` (vectorised).

    ``p = x * rdelta + 1``, ``m = int(p)`` limited to ``n - 1`` (and to at
    least 1 when ``clamp_low``, as for the embedding function), ``p -= m``,
    ``p = min(p, 1)``.
    """
    p = np.asarray(x, dtype=np.float64) * rdelta + 1.0
    m = np.minimum(np.trunc(p), n - 1).astype(np.int64)
    if clamp_low:
        m = np.maximum(m, 1)
    p = np.minimum(p - m, 1.0)
    c = spline[m]
    value = ((c[..., 3] * p + c[..., 4]) * p + c[..., 5]) * p + c[..., 6]
    deriv = (c[..., 0] * p + c[..., 1]) * p + c[..., 2]
    return value, deriv


def _resample(values, d_file, n_new, d_new):
    """4-point Lagrange resampling of a 1-based file array onto a new grid (file2array)."""
    sixth = 1.0 / 6.0
    f = np.concatenate(([0.0], np.asarray(values, dtype=np.float64)))
    n_file = len(values)
    out = np.zeros(n_new + 1)
    x = np.arange(n_new) * d_new  # (m - 1) * d for m = 1..n_new
    p = x / d_file + 1.0
    k = np.trunc(p).astype(np.int64)
    k = np.maximum(np.minimum(k, n_file - 2), 2)
    p = np.minimum(p - k, 2.0)
    cof1 = -sixth * p * (p - 1.0) * (p - 2.0)
    cof2 = 0.5 * (p * p - 1.0) * (p - 2.0)
    cof3 = -0.5 * p * (p + 1.0) * (p - 2.0)
    cof4 = sixth * p * (p * p - 1.0)
    out[1:] = cof1 * f[k - 1] + cof2 * f[k] + cof3 * f[k + 1] + cof4 * f[k + 2]
    return out


@dataclass(frozen=True)
class EAMTables:
    """The arrays LAMMPS evaluates, for ``ntypes`` atom types (see module docstring)."""

    nr: int
    dr: float
    nrho: int
    drho: float
    rhomax: float
    cut: float
    frho_spline: np.ndarray  # (nfrho, nrho + 1, 7)
    rhor_spline: np.ndarray  # (nrhor, nr + 1, 7)
    z2r_spline: np.ndarray   # (nz2r, nr + 1, 7)
    type2frho: np.ndarray    # (ntypes,)
    type2rhor: np.ndarray    # (ntypes, ntypes)
    type2z2r: np.ndarray     # (ntypes, ntypes)

    @property
    def rdr(self) -> float:
        return 1.0 / self.dr

    @property
    def rdrho(self) -> float:
        return 1.0 / self.drho

    @property
    def ntypes(self) -> int:
        return len(self.type2frho)

    def embedding(self, a, rho):
        """F and F' of type ``a`` at density ``rho``, with LAMMPS's linear extension."""
        rho = np.asarray(rho, dtype=np.float64)
        f, fp = spline_eval(self.frho_spline[self.type2frho[a]], rho, self.rdrho,
                            self.nrho, clamp_low=True)
        return np.where(rho > self.rhomax, f + fp * (rho - self.rhomax), f), fp

    def density(self, a, b, r):
        """Density (and d/dr) at a site of type ``a`` from a neighbour of type ``b``."""
        return spline_eval(self.rhor_spline[self.type2rhor[b, a]], r, self.rdr, self.nr)

    def pair(self, a, b, r):
        """Pair energy phi and phi' of types ``a``, ``b`` at distance ``r``."""
        r = np.asarray(r, dtype=np.float64)
        z2, z2p = spline_eval(self.z2r_spline[self.type2z2r[a, b]], r, self.rdr, self.nr)
        recip = 1.0 / r
        phi = z2 * recip
        return phi, z2p * recip - phi * recip


def _lower_triangle(i, j):
    """Index of function (i, j) in lower-triangular storage (swap so that i >= j)."""
    i, j = max(i, j), min(i, j)
    return i * (i + 1) // 2 + j


def tabulate_funcfl(files: list[Funcfl]) -> EAMTables:
    """LAMMPS's ``file2array`` for one funcfl file per type, then its splines.

    Type a uses ``files[a]``; all files are resampled onto one grid:
    dr = max dr, drho = max drho, the grid lengths from the largest extents.
    """
    dr = max(f.dr for f in files)
    drho = max(f.drho for f in files)
    rmax = max((f.nr - 1) * f.dr for f in files)
    rhomax = max((f.nrho - 1) * f.drho for f in files)
    nr = int(rmax / dr + 0.5)
    nrho = int(rhomax / drho + 0.5)
    nt = len(files)
    frho = [_resample(f.frho, f.drho, nrho, drho)[1:] for f in files]
    rhor = [_resample(f.rhor, f.dr, nr, dr)[1:] for f in files]
    zr = [_resample(f.zr, f.dr, nr, dr)[1:] for f in files]
    z2r = []
    for a in range(nt):
        for b in range(a + 1):
            z2r.append(27.2 * 0.529 * zr[a] * zr[b])
    type2rhor = np.repeat(np.arange(nt)[:, None], nt, axis=1)  # density from a's file
    type2z2r = np.array([[_lower_triangle(a, b) for b in range(nt)] for a in range(nt)])
    return _splined(nr, dr, nrho, drho, rhomax, max(f.cut for f in files),
                    frho, rhor, z2r, np.arange(nt), type2rhor, type2z2r)


def tabulate_setfl(data: Setfl, elements: list[str]) -> EAMTables:
    """Tables for an eam/alloy file; type a is element ``elements[a]``."""
    emap = [data.elements.index(e) for e in elements]
    nt = len(elements)
    type2rhor = np.array([[emap[a]] * nt for a in range(nt)])
    return _setfl_tables(data, emap, list(data.rhor), type2rhor)


def tabulate_fs(data: Setfl, elements: list[str]) -> EAMTables:
    """Tables for an eam/fs file; ``type2rhor[a, b] = map[a] * nel + map[b]``."""
    emap = [data.elements.index(e) for e in elements]
    nel, nt = len(data.elements), len(elements)
    rhor = [data.rhor[a, b] for a in range(nel) for b in range(nel)]
    type2rhor = np.array([[emap[a] * nel + emap[b] for b in range(nt)] for a in range(nt)])
    return _setfl_tables(data, emap, rhor, type2rhor)


def _setfl_tables(data, emap, rhor, type2rhor):
    nt = len(emap)
    type2z2r = np.array([[_lower_triangle(emap[a], emap[b]) for b in range(nt)]
                         for a in range(nt)])
    return _splined(data.nr, data.dr, data.nrho, data.drho, (data.nrho - 1) * data.drho,
                    data.cut, list(data.frho), rhor, list(data.z2r), np.array(emap),
                    type2rhor, type2z2r)


def _splined(nr, dr, nrho, drho, rhomax, cut, frho, rhor, z2r, type2frho, type2rhor, type2z2r):
    return EAMTables(
        nr=nr, dr=dr, nrho=nrho, drho=drho, rhomax=rhomax, cut=cut,
        frho_spline=np.array([interpolate(f, drho) for f in frho]),
        rhor_spline=np.array([interpolate(f, dr) for f in rhor]),
        z2r_spline=np.array([interpolate(f, dr) for f in z2r]),
        type2frho=np.asarray(type2frho, dtype=np.int64),
        type2rhor=np.asarray(type2rhor, dtype=np.int64),
        type2z2r=np.asarray(type2z2r, dtype=np.int64),
    )
