"""Anisotropic elasticity and the Stroh near-tip field of a straight crack.

Frames and conventions
----------------------
The crack lies in the lab plane y = 0, behind the tip (x < 0); it propagates
along +x and its front is the z axis.  Displacements do not depend on z
(generalised plane strain) but have all three components, so in-plane and
anti-plane modes couple wherever the crystal orientation couples them.

The stress intensity vector is ordered by the traction components on the
crack plane ahead of the tip, ``K = (K_II, K_I, K_III)``::

    sigma_2j(r, theta = 0) = K_j / sqrt(2 pi r),   j = x, y, z

A rotation matrix has as rows the unit vectors of the lab x, y, z axes in
crystal (cube) coordinates, the convention of ``qcsim.lattice.Crystal``:
``v_lab = rotation @ v_crystal``.

Stroh formalism (Stroh 1958, 1962; Ting 1996): with
``Q_ik = C_i1k1``, ``R_ik = C_i1k2``, ``T_ik = C_i2k2`` the eigenvalues p_a
(Im p_a > 0) and eigenvectors (a_a, b_a) of the sextic matrix::

    N = [[-T^-1 R^T,           T^-1    ],
         [R T^-1 R^T - Q,   -R T^-1    ]]

give the near-tip field (Ting 1996, the chapter on cracks)::

    u = sqrt(2 r / pi) Re[A diag(sqrt(cos theta + p_a sin theta)) B^-1] K

with theta in (-pi, pi]: the square root's branch cut lies along the crack
faces, so the field is continuous everywhere except across the crack.  The
field is the plain Stroh formula: u = 0 at the tip, no rigid translation.

The Barnett-Lothe matrices (real; Ting's normalisation 2 a_a.b_a = 1) are
``S = i(2 A B^T - I)``, ``H = 2i A A^T``, ``L = -2i B B^T``; L is symmetric
positive definite and the energy release rate is G = K^T L^-1 K / 2.

Implementation: instead of eigenvectors the fields use an orthonormal Schur
basis Z of the invariant subspace of N belonging to the eigenvalues with
Im p > 0 (``[A; B] = Z W`` for some invertible W, so
``A f(P) B^-1 = Z_a f(T_11) Z_b^-1`` with T_11 upper triangular).  This stays
exact for degenerate (isotropic, non-semisimple) materials, where A and B do
not exist, and needs no normalisation: ``A B^-1 = Z_a Z_b^-1 = -(S + iI) L^-1``.

References
----------
A. N. Stroh, Phil. Mag. 3, 625 (1958); J. Math. Phys. 41, 77 (1962).
T. C. T. Ting, Anisotropic Elasticity, Oxford University Press (1996).
J. P. Hirth and J. Lothe, Theory of Dislocations, 2nd ed. (1982), anisotropic elasticity.
A. Bjorck and S. Hammarling, Linear Algebra Appl. 52/53, 127 (1983) (Schur square root).
"""
from __future__ import annotations

import numpy as np
import scipy.linalg

from qcsim.errors import QCSimError

__all__ = ["ElasticityError", "VOIGT_PAIRS", "voigt_to_tensor", "tensor_to_voigt",
           "cubic_stiffness", "isotropic_stiffness", "as_stiffness_tensor",
           "rotate_stiffness", "stroh_matrix", "StrohCrack"]

# Voigt index I -> tensor pair (i, j), 0-based: xx, yy, zz, yz, xz, xy
VOIGT_PAIRS = ((0, 0), (1, 1), (2, 2), (1, 2), (0, 2), (0, 1))
_VOIGT_OF_PAIR = np.array([[0, 5, 4], [5, 1, 3], [4, 3, 2]])
_MANDEL = np.array([1.0, 1.0, 1.0, np.sqrt(2.0), np.sqrt(2.0), np.sqrt(2.0)])


class ElasticityError(QCSimError, ValueError):
    """Elastic constants or a crystal orientation that cannot be used."""


def voigt_to_tensor(C_IJ) -> np.ndarray:
    """(6, 6) Voigt stiffness -> (3, 3, 3, 3) tensor C_ijkl (same units)."""
    C_IJ = np.asarray(C_IJ, dtype=float)
    v = _VOIGT_OF_PAIR
    return C_IJ[v[:, :, None, None], v[None, None, :, :]]


def tensor_to_voigt(C_ijkl) -> np.ndarray:
    """(3, 3, 3, 3) stiffness tensor -> (6, 6) Voigt matrix (same units).

    ``inv(tensor_to_voigt(C))`` is the Voigt compliance with engineering
    shear strains (s_44 = 1/C_44 for a cubic crystal).
    """
    C_ijkl = np.asarray(C_ijkl, dtype=float)
    i, j = np.array(VOIGT_PAIRS).T
    return C_ijkl[i[:, None], j[:, None], i[None, :], j[None, :]]


def cubic_stiffness(C11: float, C12: float, C44: float) -> np.ndarray:
    """(3, 3, 3, 3) stiffness of a cubic crystal in its cube frame."""
    C_IJ = np.zeros((6, 6))
    C_IJ[:3, :3] = C12
    C_IJ[[0, 1, 2], [0, 1, 2]] = C11
    C_IJ[[3, 4, 5], [3, 4, 5]] = C44
    return voigt_to_tensor(C_IJ)


def isotropic_stiffness(E: float, nu: float) -> np.ndarray:
    """(3, 3, 3, 3) stiffness of an isotropic solid (Young's modulus, Poisson ratio)."""
    mu = E / (2.0 * (1.0 + nu))
    lam = E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu))
    return cubic_stiffness(lam + 2.0 * mu, lam, mu)


def as_stiffness_tensor(C, rtol: float = 1e-8) -> np.ndarray:
    """Validate a (6, 6) Voigt or (3, 3, 3, 3) stiffness; return the tensor.

    Raises :class:`ElasticityError` unless C has the major and minor
    symmetries and is positive definite (a stable crystal).
    """
    C = np.asarray(C, dtype=float)
    if C.shape == (6, 6):
        C = voigt_to_tensor(C)
    elif C.shape != (3, 3, 3, 3):
        raise ElasticityError(f"stiffness must be (6, 6) Voigt or (3, 3, 3, 3), got {C.shape}")
    scale = np.abs(C).max()
    if not np.all(np.isfinite(C)) or scale == 0:
        raise ElasticityError("stiffness must be finite and non-zero")
    for perm in ((1, 0, 2, 3), (0, 1, 3, 2), (2, 3, 0, 1)):
        if np.abs(C - C.transpose(perm)).max() > rtol * scale:
            raise ElasticityError(f"stiffness lacks the symmetry C_ijkl = C_{perm}")
    mandel = _MANDEL[:, None] * tensor_to_voigt(C) * _MANDEL[None, :]
    if np.linalg.eigvalsh(mandel).min() <= rtol * scale:
        raise ElasticityError("stiffness is not positive definite (mechanically unstable)")
    return C


def rotate_stiffness(C, rotation) -> np.ndarray:
    """Stiffness tensor in the lab frame, C'_ijkl = R_ip R_jq R_kr R_ls C_pqrs.

    Parameters
    ----------
    C : (6, 6) or (3, 3, 3, 3) stiffness in the crystal frame.
    rotation : (3, 3), rows = lab x, y, z axes in crystal coordinates
        (normalised here, so Miller indices such as [[1,1,-2],[1,1,1],[1,-1,0]]
        work too); must be orthogonal and right-handed.
    """
    C = as_stiffness_tensor(C)
    R = np.asarray(rotation, dtype=float)
    if R.shape != (3, 3) or np.any(np.linalg.norm(R, axis=1) == 0):
        raise ElasticityError(f"rotation must be (3, 3) with non-zero rows, got {R.shape}")
    R = R / np.linalg.norm(R, axis=1)[:, None]
    if np.abs(R @ R.T - np.eye(3)).max() > 1e-9:
        raise ElasticityError("rotation rows are not mutually orthogonal")
    if np.linalg.det(R) < 0:
        raise ElasticityError("rotation is left-handed (x cross y must point along z)")
    return np.einsum("ip,jq,kr,ls,pqrs->ijkl", R, R, R, R, C, optimize=True)


def stroh_matrix(C_ijkl) -> np.ndarray:
    """(6, 6) real Stroh matrix N of a lab-frame stiffness (crack plane y = 0)."""
    C = np.asarray(C_ijkl, dtype=float)
    Q, R, T = C[:, 0, :, 0], C[:, 0, :, 1], C[:, 1, :, 1]
    Tinv = np.linalg.inv(T)
    return np.block([[-Tinv @ R.T, Tinv], [R @ Tinv @ R.T - Q, -R @ Tinv]])


class StrohCrack:
    """Near-tip fields of a straight crack in a generally anisotropic crystal.

    Parameters
    ----------
    stiffness : (6, 6) Voigt or (3, 3, 3, 3) elastic constants, any unit
        (GPa in qcsim); in the crystal frame when ``rotation`` is given,
        otherwise already in the lab (crack) frame.
    rotation : optional (3, 3), rows = lab axes in crystal coordinates.

    Attributes
    ----------
    stiffness : (3, 3, 3, 3) lab-frame stiffness.
    p : (3,) complex Stroh eigenvalues, Im p > 0, sorted by real part.
    L, S, H : (3, 3) Barnett-Lothe matrices (L in the unit of C, H in its
        inverse, S dimensionless).

    With C in GPa and lengths in A, K is in GPa*sqrt(A), displacements in A,
    stresses in GPa and G in GPa*A (= 0.1 J/m^2).
    """

    def __init__(self, stiffness, rotation=None):
        C = as_stiffness_tensor(stiffness)
        if rotation is not None:
            C = rotate_stiffness(C, rotation)
        self.stiffness = C
        # a dimensionless N keeps the Schur decomposition well balanced
        self._scale = float(np.trace(tensor_to_voigt(C)) / 6.0)
        N = stroh_matrix(C / self._scale)
        T, Z, n_upper = scipy.linalg.schur(N, output="complex", sort=lambda z: z.imag > 0)
        if n_upper != 3:
            raise ElasticityError("Stroh eigenvalues are not in complex-conjugate pairs")
        self._T = T[:3, :3]
        self._Za = Z[:3, :3]
        self._Zb_inv = np.linalg.inv(Z[3:, :3])
        AB_inv = self._Za @ self._Zb_inv  # = A B^-1 = -(S + iI) L^-1, for C / scale
        L_scaled = np.linalg.inv(_symmetric(-AB_inv.imag))
        self.L = self._scale * _symmetric(L_scaled)
        self.S = -AB_inv.real @ L_scaled
        self.H = -(AB_inv @ L_scaled @ AB_inv.T).real / self._scale
        p = np.diag(self._T).copy()
        self.p = p[np.lexsort((p.imag, p.real))]

    @property
    def L_inv(self) -> np.ndarray:
        """(3, 3) inverse of L; G = K^T L^-1 K / 2."""
        return np.linalg.inv(self.L)

    def energy_release_rate(self, K) -> float:
        """G = K^T L^-1 K / 2 for K = (K_II, K_I, K_III) (GPa*A for GPa*sqrt(A))."""
        K = _as_K(K)
        return float(0.5 * K @ np.linalg.solve(self.L, K))

    def displacement(self, xy_n, K, side=None) -> np.ndarray:
        """Near-tip displacements u_nc, shape (n, 3).

        Parameters
        ----------
        xy_n : (n, 2) positions relative to the tip (x propagation, y normal).
        K : (3,) stress intensities (K_II, K_I, K_III).
        side : optional (n,) or scalar; on the crack faces (y == 0, x < 0) +1
            selects the upper face (theta = pi), -1 the lower one
            (theta = -pi).  Without it (or where it is 0) a face point is on
            the upper face unless its y is -0.0.  Ignored off the faces.
        """
        r, w, _ = self._factors(xy_n, K, side, need_inverse=False)
        return np.sqrt(2.0 * r / np.pi)[:, None] * (w @ self._Za.T).real

    def displacement_gradient(self, xy_n, K, side=None) -> np.ndarray:
        """du_i/dx_j, shape (n, 3, 3); the z column is zero.  Singular at the tip."""
        r, _, w_inv = self._factors(xy_n, K, side, need_inverse=True)
        grad = np.zeros((len(r), 3, 3))
        scale = 1.0 / np.sqrt(2.0 * np.pi * r)[:, None]
        grad[:, :, 0] = scale * (w_inv @ self._Za.T).real
        grad[:, :, 1] = scale * (w_inv @ self._T.T @ self._Za.T).real
        return grad

    def stress(self, xy_n, K, side=None) -> np.ndarray:
        """Near-tip stresses sigma_ncc = C : grad u, shape (n, 3, 3), unit of C."""
        return np.einsum("ijkl,nkl->nij", self.stiffness, self.displacement_gradient(xy_n, K, side))

    def opening(self, distance_n, K) -> np.ndarray:
        """Crack-face displacement jump u(upper) - u(lower), shape (n, 3).

        ``distance_n`` (n,) behind the tip; equals 2 sqrt(2 s / pi) L^-1 K.
        """
        s = np.asarray(distance_n, dtype=float).reshape(-1)
        return 2.0 * np.sqrt(2.0 * s / np.pi)[:, None] * np.linalg.solve(self.L, _as_K(K))[None, :]

    def eigenvectors(self, rtol: float = 1e-6):
        """Stroh eigenvalues and eigenvectors with Ting's normalisation.

        Returns ``p (3,), A (3, 3), B (3, 3)`` (columns a_a, b_a) with
        A^T B + B^T A = I and L = -2i B B^T.  Raises :class:`ElasticityError`
        when eigenvalues (nearly) coincide, as for an isotropic solid, where
        A and B are undefined or ill-conditioned; the fields of this class do
        not need them.
        """
        vals, vecs = np.linalg.eig(stroh_matrix(self.stiffness / self._scale))
        upper = np.argsort(-vals.imag)[:3]
        p = vals[upper]
        gaps = np.abs(p[:, None] - p[None, :])[np.triu_indices(3, 1)]
        if gaps.min() < rtol * np.abs(p).max():
            raise ElasticityError("degenerate Stroh eigenvalues: A and B are not defined")
        A, B = vecs[:3, upper], vecs[3:, upper] * self._scale
        norm = np.sqrt(2.0 * np.sum(A * B, axis=0))
        A, B = A / norm, B / norm
        if np.abs(A.T @ B + B.T @ A - np.eye(3)).max() > 1e-6:
            raise ElasticityError("Stroh eigenvectors are not bi-orthogonal (near-degenerate)")
        order = np.lexsort((p.imag, p.real))
        return p[order], A[:, order], B[:, order]

    def _factors(self, xy_n, K, side, need_inverse):
        """r (n,) and the rows of U(theta) v and U(theta)^-1 v, v = Z_b^-1 K.

        U = sqrt(cos theta I + sin theta T_11) by the upper-triangular
        square-root recurrence (Bjorck and Hammarling 1983), exact also for
        Jordan blocks; the diagonal uses the principal root, whose cut is
        reached only on the crack faces, where it is set to +-i explicitly.
        """
        xy = np.asarray(xy_n, dtype=float)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise ValueError(f"xy_n must have shape (n, 2), got {xy.shape}")
        x, y = xy[:, 0], xy[:, 1]
        r = np.hypot(x, y)
        theta = np.arctan2(y, x)
        face = (y == 0) & (x < 0)
        if side is not None:
            side = np.broadcast_to(np.asarray(side, dtype=float), x.shape)
            theta = np.where(face & (side > 0), np.pi, theta)
            theta = np.where(face & (side < 0), -np.pi, theta)
        c, s = np.cos(theta), np.sin(theta)
        c[face], s[face] = -1.0, 0.0
        T = self._T
        q = np.sqrt(c[:, None] + s[:, None] * np.diag(T)[None, :])
        q[face] = 1j * np.sign(theta[face])[:, None]
        u01 = s * T[0, 1] / (q[:, 0] + q[:, 1])
        u12 = s * T[1, 2] / (q[:, 1] + q[:, 2])
        u02 = (s * T[0, 2] - u01 * u12) / (q[:, 0] + q[:, 2])
        v = self._Zb_inv @ _as_K(K) / self._scale
        w = np.stack([q[:, 0] * v[0] + u01 * v[1] + u02 * v[2],
                      q[:, 1] * v[1] + u12 * v[2],
                      q[:, 2] * v[2]], axis=1)
        if not need_inverse:
            return r, w, None
        with np.errstate(divide="ignore", invalid="ignore"):
            i00, i11, i22 = 1.0 / q[:, 0], 1.0 / q[:, 1], 1.0 / q[:, 2]
            i01 = -u01 * i00 * i11
            i12 = -u12 * i11 * i22
            i02 = (u01 * u12 - u02 * q[:, 1]) * i00 * i11 * i22
        w_inv = np.stack([i00 * v[0] + i01 * v[1] + i02 * v[2],
                          i11 * v[1] + i12 * v[2],
                          i22 * v[2]], axis=1)
        return r, None, w_inv


def _symmetric(M):
    return 0.5 * (M + M.T)


def _as_K(K) -> np.ndarray:
    K = np.asarray(K, dtype=float)
    if K.shape != (3,):
        raise ValueError(f"K must be (K_II, K_I, K_III), shape (3,), got {K.shape}")
    return K
