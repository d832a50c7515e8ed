"""Linear elastic fracture mechanics: energy release rate, Griffith load, units.

The anisotropic fields themselves are in :mod:`qcsim.loading.stroh`; this
module turns them into the numbers a crack study needs and keeps the
classical closed forms used to check them.

Conventions
-----------
K = (K_II, K_I, K_III) is ordered by the tractions sigma_2j ahead of the tip
(j = x propagation, y plane normal, z front).  All formulas work in any
consistent unit set; qcsim's is C in GPa and lengths in A, so K is in
GPa*sqrt(A), and G and the surface energy gamma in GPa*A.  Conversions::

    1 GPa*sqrt(A) = 1e9 Pa * 1e-5 sqrt(m) = 0.01 MPa*sqrt(m)
    1 GPa*A       = 1e9 N/m^2 * 1e-10 m   = 0.1 J/m^2
    1 eV/A^2      = 16.021766 J/m^2       = 160.21766 GPa*A
    1 eV/A^2.5    = 160.21766 GPa*sqrt(A)  (K with stresses in eV/A^3)

Energy release rate (Ting's normalisation of L): G = K^T L^-1 K / 2.  The
Griffith condition for cleavage, which creates two surfaces, is G = 2 gamma,
so for a pure mode-I load ``K_G = sqrt(4 gamma / (L^-1)_22)``; for an
isotropic solid ``(L^-1)_22 = 2 (1 - nu^2) / E`` and this is the familiar
``sqrt(2 gamma E / (1 - nu^2))``.  Written with Lambda = L^-1 / 2
(G = K^T Lambda K, as VALIDATION.md does) the same load is
``sqrt(2 gamma / Lambda_22)``; with Ting's L, ``sqrt(2 gamma / (L^-1)_22)``
would be too small by sqrt(2).

References
----------
A. A. Griffith, Phil. Trans. R. Soc. A 221, 163 (1921).
G. C. Sih, P. C. Paris and G. R. Irwin, Int. J. Fract. Mech. 1, 189 (1965).
S. G. Lekhnitskii, Theory of Elasticity of an Anisotropic Body (1963).
T. C. T. Ting, Anisotropic Elasticity, Oxford University Press (1996).
J. P. Hirth and J. Lothe, Theory of Dislocations, 2nd ed. (1982).
M. L. Williams, J. Appl. Mech. 24, 109 (1957) (isotropic near-tip field).
"""
from __future__ import annotations

import numpy as np

from qcsim.units import STRESS_INTENSITY_UNITS, SURFACE_ENERGY_UNITS

from qcsim.loading.stroh import ElasticityError, StrohCrack, as_stiffness_tensor, tensor_to_voigt

__all__ = [
    "SURFACE_ENERGY_UNITS", "STRESS_INTENSITY_UNITS", "convert_surface_energy",
    "convert_stress_intensity", "energy_release_rate", "griffith_K", "griffith_ratio",
    "plane_strain_modulus", "isotropic_energy_release_rate", "isotropic_griffith_K",
    "isotropic_displacement", "modes_decouple", "reduced_compliance", "lekhnitskii_roots",
    "sih_paris_irwin_energy_release_rate", "sih_paris_irwin_griffith_K",
    "sih_paris_irwin_displacement",
]



def convert_surface_energy(value, from_unit: str, to_unit: str = "GPa*A"):
    """Convert a surface energy (or G) between GPa*A, J/m^2, mJ/m^2 and eV/A^2."""
    return _convert(value, from_unit, to_unit, SURFACE_ENERGY_UNITS)


def convert_stress_intensity(value, from_unit: str, to_unit: str = "GPa*sqrt(A)"):
    """Convert a stress intensity between GPa*sqrt(A), MPa*sqrt(m), Pa*sqrt(m), eV/A^2.5."""
    return _convert(value, from_unit, to_unit, STRESS_INTENSITY_UNITS)


def _convert(value, from_unit, to_unit, table):
    for unit in (from_unit, to_unit):
        if unit not in table:
            raise ValueError(f"unknown unit {unit!r}; known: {', '.join(table)}")
    factor = table[from_unit] / table[to_unit]
    if np.ndim(value) == 0:
        return float(value) * factor
    return np.asarray(value, dtype=float) * factor


# ---- anisotropic (Stroh) -------------------------------------------------------------

def _L_of(crack_or_L) -> np.ndarray:
    if isinstance(crack_or_L, StrohCrack):
        return crack_or_L.L
    L = np.asarray(crack_or_L, dtype=float)
    if L.shape != (3, 3):
        raise ValueError(f"need a StrohCrack or a (3, 3) L matrix, got shape {L.shape}")
    return L


def energy_release_rate(crack_or_L, K) -> float:
    """G = K^T L^-1 K / 2 (GPa*A for L in GPa and K in GPa*sqrt(A))."""
    K = np.asarray(K, dtype=float)
    return float(0.5 * K @ np.linalg.solve(_L_of(crack_or_L), K))


def griffith_K(crack_or_L, gamma: float, direction=(0.0, 1.0, 0.0)) -> float:
    """Magnitude k of the load K = k d / |d| at which G = 2 gamma.

    Parameters
    ----------
    crack_or_L : a :class:`StrohCrack` or its (3, 3) L matrix (GPa).
    gamma : surface energy of the cleavage plane (GPa*A; see
        :func:`convert_surface_energy`).
    direction : (3,) load direction in (K_II, K_I, K_III); the default, pure
        mode I, gives K_G = sqrt(4 gamma / (L^-1)_22).

    Returns k in GPa*sqrt(A).
    """
    d = np.asarray(direction, dtype=float)
    d = d / np.linalg.norm(d)
    return float(np.sqrt(2.0 * gamma / energy_release_rate(crack_or_L, d)))


def griffith_ratio(crack_or_L, K, gamma: float) -> float:
    """G(K) / (2 gamma): the Griffith condition for cleavage is a ratio of 1."""
    return energy_release_rate(crack_or_L, K) / (2.0 * gamma)


# ---- isotropic -----------------------------------------------------------------------

def plane_strain_modulus(E: float, nu: float) -> float:
    """E' = E / (1 - nu^2)."""
    return E / (1.0 - nu * nu)


def isotropic_energy_release_rate(E: float, nu: float, K) -> float:
    """G = (K_I^2 + K_II^2) / E' + K_III^2 / (2 mu), K = (K_II, K_I, K_III)."""
    K_II, K_I, K_III = np.asarray(K, dtype=float)
    return float((K_I**2 + K_II**2) / plane_strain_modulus(E, nu) + K_III**2 * (1.0 + nu) / E)


def isotropic_griffith_K(E: float, nu: float, gamma: float) -> float:
    """Mode-I Griffith load K_G = sqrt(2 gamma E / (1 - nu^2)), plane strain."""
    return float(np.sqrt(2.0 * gamma * plane_strain_modulus(E, nu)))


def isotropic_displacement(xy_n, K, E: float, nu: float, side=None) -> np.ndarray:
    """Williams' plane-strain near-tip displacements, shape (n, 3).

    Same frame, K ordering, face convention (``side``) and zero translation
    as :meth:`StrohCrack.displacement`; kappa = 3 - 4 nu.
    """
    r, theta = _polar(xy_n, side)
    K_II, K_I, K_III = np.asarray(K, dtype=float)
    mu = E / (2.0 * (1.0 + nu))
    kappa = 3.0 - 4.0 * nu
    f = np.sqrt(r / (2.0 * np.pi)) / (2.0 * mu)
    c, s = np.cos(theta / 2.0), np.sin(theta / 2.0)
    u = np.empty((len(r), 3))
    u[:, 0] = f * (K_I * c * (kappa - 1.0 + 2.0 * s * s) + K_II * s * (kappa + 1.0 + 2.0 * c * c))
    u[:, 1] = f * (K_I * s * (kappa + 1.0 - 2.0 * c * c) - K_II * c * (kappa - 1.0 - 2.0 * s * s))
    u[:, 2] = 4.0 * f * K_III * s
    return u


def _polar(xy_n, side):
    xy = np.asarray(xy_n, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise ValueError(f"xy_n must have shape (n, 2), got {xy.shape}")
    x, y = xy[:, 0], xy[:, 1]
    theta = np.arctan2(y, x)
    if side is not None:
        face = (y == 0) & (x < 0)
        side = np.broadcast_to(np.asarray(side, dtype=float), x.shape)
        theta = np.where(face & (side > 0), np.pi, np.where(face & (side < 0), -np.pi, theta))
    return np.hypot(x, y), theta


# ---- rectilinear anisotropy without mode coupling (Lekhnitskii; Sih, Paris, Irwin) ----

def modes_decouple(C, rtol: float = 1e-10) -> bool:
    """True when the in-plane (x, y) and anti-plane (z) problems separate.

    That needs C_abc3 = 0 for a, b, c in {x, y} (Voigt C14, C15, C24, C25,
    C34, C35, C46, C56), e.g. when the plane normal to the front is a mirror.
    """
    C_IJ = tensor_to_voigt(as_stiffness_tensor(C))
    return bool(np.abs(C_IJ[np.ix_([0, 1, 2, 5], [3, 4])]).max() <= rtol * np.abs(C_IJ).max())


def reduced_compliance(C) -> np.ndarray:
    """(3, 3) plane-strain compliance b_ij = s_ij - s_i3 s_j3 / s_33, i, j in (1, 2, 6).

    C is the lab-frame stiffness; s the engineering Voigt compliance.
    Exact for plane strain only when :func:`modes_decouple` holds.
    """
    s = np.linalg.inv(tensor_to_voigt(as_stiffness_tensor(C)))
    idx = [0, 1, 5]
    return s[np.ix_(idx, idx)] - np.outer(s[idx, 2], s[2, idx]) / s[2, 2]


def lekhnitskii_roots(C) -> np.ndarray:
    """mu_1, mu_2 (Im > 0) of b11 mu^4 - 2 b16 mu^3 + (2 b12 + b66) mu^2 - 2 b26 mu + b22."""
    b = reduced_compliance(C)
    roots = np.roots([b[0, 0], -2.0 * b[0, 2], 2.0 * b[0, 1] + b[2, 2], -2.0 * b[1, 2], b[1, 1]])
    return roots[roots.imag > 0]


def _checked(C, check: bool):
    if check and not modes_decouple(C):
        raise ElasticityError("in-plane and anti-plane modes couple in this orientation: "
                              "use StrohCrack (or check=False for the plane-strain approximation)")
    return reduced_compliance(C)


def sih_paris_irwin_energy_release_rate(C, K_I: float, K_II: float = 0.0,
                                        orthotropic: bool = True, check: bool = True) -> float:
    """In-plane G of Sih, Paris and Irwin (1965), plane strain.

    ``orthotropic=True``: their closed form for axes along the orthotropy
    axes (uses b11, b22, b12, b66 only; ignores b16, b26)::

        G = K_I^2 sqrt(b11 b22 / 2) X + K_II^2 b11 / sqrt(2) X,
        X = sqrt(sqrt(b22 / b11) + (2 b12 + b66) / (2 b11))

    ``orthotropic=False``: the general rectilinear form in the roots mu_j::

        G = -K_I/2 b22 Im[(K_I (mu1 + mu2) + K_II) / (mu1 mu2)]
            + K_II/2 b11 Im[K_II (mu1 + mu2) + K_I mu1 mu2]

    ``check`` raises :class:`ElasticityError` if the modes couple.
    """
    b = _checked(C, check)
    if orthotropic:
        X = np.sqrt(np.sqrt(b[1, 1] / b[0, 0]) + (2.0 * b[0, 1] + b[2, 2]) / (2.0 * b[0, 0]))
        c_I, c_II = np.sqrt(b[0, 0] * b[1, 1] / 2.0) * X, b[0, 0] / np.sqrt(2.0) * X
        return float(c_I * K_I**2 + c_II * K_II**2)
    m1, m2 = lekhnitskii_roots(C)
    return float(-0.5 * K_I * b[1, 1] * ((K_I * (m1 + m2) + K_II) / (m1 * m2)).imag
                 + 0.5 * K_II * b[0, 0] * (K_II * (m1 + m2) + K_I * m1 * m2).imag)


def sih_paris_irwin_griffith_K(C, gamma: float, orthotropic: bool = True,
                               check: bool = True) -> float:
    """Mode-I K at which the Sih-Paris-Irwin G equals 2 gamma (GPa*sqrt(A), gamma in GPa*A)."""
    return float(np.sqrt(2.0 * gamma / sih_paris_irwin_energy_release_rate(
        C, 1.0, 0.0, orthotropic=orthotropic, check=check)))


def sih_paris_irwin_displacement(C, xy_n, K_I: float, K_II: float = 0.0, side=None,
                                 check: bool = True) -> np.ndarray:
    """In-plane near-tip displacements (u_x, u_y), shape (n, 2), Sih, Paris and Irwin (1965).

    With z_j = cos theta + mu_j sin theta, p_j = b11 mu_j^2 + b12 - b16 mu_j,
    q_j = b12 mu_j + b22 / mu_j - b26::

        u_x = sqrt(2r/pi) Re{[K_I (mu1 p2 sqrt z2 - mu2 p1 sqrt z1)
                              + K_II (p2 sqrt z2 - p1 sqrt z1)] / (mu1 - mu2)}
        u_y = same with q in place of p

    Same frame, face convention and zero translation as :class:`StrohCrack`.
    """
    b = _checked(C, check)
    m1, m2 = lekhnitskii_roots(C)
    r, theta = _polar(xy_n, side)
    face = np.abs(theta) == np.pi
    c, s = np.cos(theta), np.where(face, 0.0, np.sin(theta))
    z1, z2 = np.sqrt(c + m1 * s + 0j), np.sqrt(c + m2 * s + 0j)
    z1[face] = z2[face] = 1j * np.sign(theta[face])
    p1, p2 = (b[0, 0] * m**2 + b[0, 1] - b[0, 2] * m for m in (m1, m2))
    q1, q2 = (b[0, 1] * m + b[1, 1] / m - b[1, 2] for m in (m1, m2))
    u = np.empty((len(r), 2))
    u[:, 0] = ((K_I * (m1 * p2 * z2 - m2 * p1 * z1) + K_II * (p2 * z2 - p1 * z1)) / (m1 - m2)).real
    u[:, 1] = ((K_I * (m1 * q2 * z2 - m2 * q1 * z1) + K_II * (q2 * z2 - q1 * z1)) / (m1 - m2)).real
    return np.sqrt(2.0 * r / np.pi)[:, None] * u
