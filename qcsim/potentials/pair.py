"""Pair potentials: LAMMPS styles ``lj/cut`` and ``morse``.

    E_i = 1/2 sum_j phi(r_ij),   E = sum_i w_i E_i

so pair (i, j) carries ``(w_i + w_j) / 2``.  Each parameter is a number (one
untyped species) or a symmetric (ntypes, ntypes) table indexed by the type
indices passed to ``compute``.  ``shift=True`` subtracts phi(cutoff), like
LAMMPS's ``pair_modify shift yes``.
"""
from __future__ import annotations

import numpy as np

from qcsim._kernels import pair as _kernel
from qcsim.potentials._evaluate import Workspace, gather, prepare, virial_matrix
from qcsim.potentials.base import Evaluation, register

__all__ = ["PairPotential", "LJCut", "Morse"]


def _tables(**values):
    """Broadcast scalar / (nt, nt) parameters to common symmetric (nt, nt) float tables."""
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in values.items()}
    shapes = {a.shape for a in arrays.values() if a.ndim}
    if len(shapes) > 1:
        raise ValueError(f"parameter tables have different shapes: {sorted(shapes)}")
    shape = shapes.pop() if shapes else (1, 1)
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"a parameter table must be (ntypes, ntypes), got {shape}")
    out = {}
    for k, a in arrays.items():
        t = np.broadcast_to(a, shape).copy()
        if not np.allclose(t, t.T, rtol=0, atol=0):
            raise ValueError(f"the {k} table must be symmetric")
        if not np.all(np.isfinite(t)):
            raise ValueError(f"{k} must be finite")
        out[k] = t
    return out


class PairPotential:
    """Evaluation shared by the pair styles (one kernel, a kind switch).

    Attributes
    ----------
    style : LAMMPS style name.
    cutoff : largest cutoff (A); a pair counts when ``r^2 < cutoff_ab^2``.
    species : None (untyped; type indices select rows of the parameter tables).
    ntypes : number of types of the parameter tables.

    An object keeps work arrays between evaluations: one evaluation at a time
    per object (use one object per thread).
    """

    style = ""
    kind = -1
    species = None

    def __init__(self, params_abk: np.ndarray, cutoff_ab: np.ndarray):
        self.ntypes = params_abk.shape[0]
        self.cutoff_ab = cutoff_ab
        self.cutoff = float(cutoff_ab.max())
        self._params = np.ascontiguousarray(params_abk.reshape(-1))
        self._ws = Workspace()

    def pair_terms(self, r, a: int = 0, b: int = 0):
        """phi (with the shift, if any), phi' and phi'' of types ``a``, ``b`` at ``r``.

        Zero at and beyond the pair's cutoff.  Used by the Cauchy-Born continuum.
        """
        p = self._params.reshape(self.ntypes, self.ntypes, 8)[a, b]
        r = np.asarray(r, dtype=np.float64)
        inside = r * r < p[6]
        rr = np.where(inside, r, 1.0)
        value, d1, d2 = self._terms(p, rr)
        return (np.where(inside, value - p[7], 0.0), np.where(inside, d1, 0.0),
                np.where(inside, d2, 0.0))

    def cauchy_born(self, F_tcc, shell, W_t, P_tcc, C_tcccc, tangent: bool) -> float:
        """Cauchy-Born energy density (see :class:`qcsim.potentials.base.Potential`):
        W = sum_k phi(|F R_k|) / (2 Omega), vectorised over elements."""
        F, R = F_tcc, shell.R_kc
        smin = float(np.linalg.svd(F, compute_uv=False)[:, -1].min()) if len(F) else 1.0
        r_tkc = np.einsum("tij,kj->tki", F, R)
        r = np.linalg.norm(r_tkc, axis=2)
        inside = r < self.cutoff
        rr = np.where(inside, r, 1.0)
        phi, dphi, ddphi = self.pair_terms(rr)
        phi, dphi, ddphi = (np.where(inside, v, 0.0) for v in (phi, dphi, ddphi))
        W_t[:] = 0.5 * phi.sum(axis=1) / shell.volume
        h = 0.5 * dphi / rr
        P_tcc[:] = np.einsum("tk,tki,kj->tij", h, r_tkc, R) / shell.volume
        if tangent:
            # d(h r_i R_j)/dF_kl with h = phi'(r) / (2 r): (h' / r) r_i r_k R_j R_l + h d_ik R_j R_l
            hp = 0.5 * ddphi
            a = (hp - h * rr) / rr**3
            C_tcccc[:] = (np.einsum("tk,tki,tkm,kj,kl->tijml", a, r_tkc, r_tkc, R, R)
                          + np.einsum("tk,im,kj,kl->tijml", h, np.eye(3), R, R)) / shell.volume
        return smin

    def compute(self, nlist, x_ic, types_i=None, weights_i=None, energies=True,
                virials=False, halo=None) -> Evaluation:
        """Weighted energy, forces, virial and (optionally) per-site energies and virials.

        Parameters
        ----------
        nlist : up-to-date :class:`~qcsim.neighbors.NeighborList` for ``x_ic``.
        x_ic : (n, 3) positions (A).
        types_i : (n,) type indices, or None (all type 0).
        weights_i : (n,) weights w_i, or None for all ones.
        energies : also return the unweighted per-site energies E_i.
        virials : also return the per-site virials of the weighted energy.
        halo : this rank's share of a distributed system, every listed pair its own
            (see :meth:`qcsim.potentials.eam.EAMBase.compute`); a pair potential
            needs nothing from the other ranks.
        """
        if self.ntypes == 1:
            types_i = None
        x_ic, types_i, weights_i, offsets_e, j_n = prepare(
            nlist, x_ic, types_i, weights_i, self.cutoff, self.ntypes)
        n, n_ext, ws = len(x_ic), nlist.n_ext, self._ws
        x_ec = nlist.extended_positions(x_ic, out=ws.get("x_ec", (n_ext, 3)))
        type_e = gather(nlist, types_i, ws.get("type_e", n_ext, np.int32))
        weighted = weights_i is not None
        w_e = gather(nlist, weights_i, ws.get("w_e", n_ext)) if weighted else np.zeros(1)
        f_ec = ws.get("f_ec", (n_ext, 3), zero=True)
        epair_e = ws.get("epair_e", n_ext if energies else 1, zero=True)
        virial_6 = np.zeros(6)
        virial_e6 = ws.get("virial_e6", (n_ext, 6), zero=True) if virials else None
        energy = 0.0
        if n:
            energy = _kernel.pair_forces(x_ec, type_e, offsets_e, j_n, w_e, weighted,
                                         self._params, self.ntypes, self.kind,
                                         self.cutoff * self.cutoff, f_ec, epair_e, energies,
                                         virial_6, virial_e6)
        f_ic = nlist.fold(f_ec, out=np.empty((n, 3)))
        return Evaluation(energy=float(energy), forces_ic=f_ic,
                          virial_cc=virial_matrix(virial_6),
                          energies_i=nlist.fold(epair_e, out=np.empty(n)) if energies else None,
                          virial_i6=(nlist.fold(virial_e6, out=np.empty((n, 6)))
                                     if virials else None))


@register("lj/cut")
class LJCut(PairPotential):
    """``pair_style lj/cut``: phi = 4 eps ((s/r)^12 - (s/r)^6) for r < cutoff.

    Parameters
    ----------
    epsilon : well depth (eV); sigma : zero-crossing distance (A);
    cutoff : cutoff (A); shift : subtract phi(cutoff).
    """

    style = "lj/cut"
    kind = 0

    def __init__(self, epsilon, sigma, cutoff, shift: bool = False):
        t = _tables(epsilon=epsilon, sigma=sigma, cutoff=cutoff)
        eps, sig, rc = t["epsilon"], t["sigma"], t["cutoff"]
        if np.any(sig <= 0) or np.any(rc <= 0):
            raise ValueError("sigma and cutoff must be positive")
        params = np.zeros(eps.shape + (8,))
        params[..., 0] = 48.0 * eps * sig ** 12
        params[..., 1] = 24.0 * eps * sig ** 6
        params[..., 2] = 4.0 * eps * sig ** 12
        params[..., 3] = 4.0 * eps * sig ** 6
        params[..., 6] = rc * rc
        if shift:
            ratio = sig / rc
            params[..., 7] = 4.0 * eps * (ratio ** 12 - ratio ** 6)
        self.epsilon, self.sigma, self.shift = eps, sig, bool(shift)
        super().__init__(params, rc)

    @staticmethod
    def _terms(p, r):
        r6inv = 1.0 / r ** 6
        lj3, lj4 = p[2], p[3]
        return (r6inv * (lj3 * r6inv - lj4), r6inv * (-12.0 * lj3 * r6inv + 6.0 * lj4) / r,
                r6inv * (156.0 * lj3 * r6inv - 42.0 * lj4) / (r * r))


@register("morse")
class Morse(PairPotential):
    """``pair_style morse``: phi = D0 (exp(-2 a (r - r0)) - 2 exp(-a (r - r0))).

    Parameters
    ----------
    D0 : well depth (eV); alpha : stiffness (1/A); r0 : equilibrium distance (A);
    cutoff : cutoff (A); shift : subtract phi(cutoff).
    """

    style = "morse"
    kind = 1

    def __init__(self, D0, alpha, r0, cutoff, shift: bool = False):
        t = _tables(D0=D0, alpha=alpha, r0=r0, cutoff=cutoff)
        d0, alpha_, r0_, rc = t["D0"], t["alpha"], t["r0"], t["cutoff"]
        if np.any(rc <= 0):
            raise ValueError("cutoff must be positive")
        params = np.zeros(d0.shape + (8,))
        params[..., 0] = d0
        params[..., 1] = alpha_
        params[..., 2] = r0_
        params[..., 3] = 2.0 * d0 * alpha_
        params[..., 6] = rc * rc
        if shift:
            alpha_dr = -alpha_ * (rc - r0_)
            params[..., 7] = d0 * (np.exp(2.0 * alpha_dr) - 2.0 * np.exp(alpha_dr))
        self.D0, self.alpha, self.r0, self.shift = d0, alpha_, r0_, bool(shift)
        super().__init__(params, rc)

    @staticmethod
    def _terms(p, r):
        d0, alpha = p[0], p[1]
        dexp = np.exp(-alpha * (r - p[2]))
        return (d0 * (dexp * dexp - 2.0 * dexp), -p[3] * (dexp * dexp - dexp),
                2.0 * alpha * alpha * d0 * (2.0 * dexp * dexp - dexp))
