"""Surface excess energy of continuum crack faces (a surface Cauchy-Born term).

Cauchy-Born gives the energy of bulk crystal; a free surface of the same
crystal carries an excess, the surface energy gamma, and that excess changes
with the stretch of the surface (the surface stress f = dG/dlambda).  In a
QC model of a crack the atomistic faces near the tip carry both; the
continuum faces farther out would carry neither, and the missing surface
stress acts like a pair of forces on the faces where the atomistic faces
end.  For Cu (111) that opens the crack tip about 1-2 % more than in the
fully atomistic model of the same domain (docs/crack.md).

This module computes, from the potential, the excess energy per reference
area G(lambda) of a face stretched by lambda along x (slab mode: z periodic
and unstretched) and adds sum_e w_e G(lambda_e) L_e Lz over the boundary
edges e of the mesh that lie on the crack faces, weighted by the continuum
share w_e (the mean beta of the edge's nodes) so that atomistic faces are
not counted twice.

G(lambda) = (E_slab(lambda) - N Omega W_0(lambda)) / (2 A): a slab of
``layers`` site rows, periodic along x and z, free along y, stretched by
lambda along x and relaxed, against N sites of bulk at the same stretch with
the stress on y-planes relaxed (W_0 minimised over the second column of F).
G(1) is the relaxed surface energy.
"""
from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.optimize import minimize

from qcsim.continuum.cauchy_born import CauchyBorn
from qcsim.errors import ConvergenceError
from qcsim.lattice import SlabLattice
from qcsim.neighbors import NeighborList

__all__ = ["SurfaceExcess", "FaceTerm", "surface_excess", "face_edges"]

_CACHE: dict = {}


class SurfaceExcess:
    """G(lambda) (eV/A^2 of reference area) from a table, cubic spline inside
    ``[lambda_0, lambda_1]`` and linear beyond.

    Attributes: ``stretch_k``, ``G_k`` (the table); ``gamma`` = G(1);
    ``stress`` = dG/dlambda at 1 (the surface stress along x, eV/A^2).
    """

    def __init__(self, stretch_k, G_k):
        self.stretch_k = np.asarray(stretch_k, dtype=float)
        self.G_k = np.asarray(G_k, dtype=float)
        self._spline = CubicSpline(self.stretch_k, self.G_k)
        self._slope = self._spline.derivative()
        self.gamma, self.stress = (float(v[0]) for v in self(np.array([1.0])))

    def __call__(self, lam):
        """(G, dG/dlambda) at the stretches ``lam`` (arrays)."""
        lam = np.asarray(lam, dtype=float)
        lo, hi = self.stretch_k[0], self.stretch_k[-1]
        c = np.clip(lam, lo, hi)
        G, dG = self._spline(c), self._slope(c)
        return G + dG * (lam - c), dG


def surface_excess(potential, crystal, species: int = 0, layers: int = 12,
                   stretches=np.linspace(0.92, 1.08, 17), fmax: float = 1e-6) -> SurfaceExcess:
    """G(lambda) of the faces normal to y of ``crystal`` (slab mode; cached per
    potential, crystal and settings)."""
    key = (id(potential), crystal.lattice, crystal.a, np.asarray(crystal.orient).tobytes(),
           species, layers, np.asarray(stretches).tobytes(), fmax)
    if key not in _CACHE:
        _CACHE[key] = (potential, _compute(potential, crystal, species, layers,
                                           np.asarray(stretches, float), fmax))
    return _CACHE[key][1]


def _compute(potential, crystal, species, layers, stretches, fmax):
    from qcsim.solvers import lbfgs

    slab = SlabLattice.of(crystal)
    u0 = slab.u_kc[0]
    if abs(u0[1]) > 1e-9 * crystal.a:
        raise ValueError("the faces must be lattice planes normal to y")
    nx = max(1, int(np.ceil(2 * potential.cutoff / u0[0])))
    ii, jj = np.meshgrid(np.arange(nx), np.arange(layers), indexing="ij")
    X = slab.positions(np.column_stack([ii.ravel(), jj.ravel()]))
    n = len(X)
    types = np.full(n, species, dtype=np.int32)
    w = np.ones(n)
    cb = CauchyBorn.of_crystal(potential, crystal, species=species)
    area = nx * u0[0] * slab.Lz
    G = []
    for lam in stretches:
        stretch = np.diag([lam, 1.0, 1.0])
        cell = np.array([nx * u0, [0.0, 0.0, 0.0], [0.0, 0.0, slab.Lz]]) @ stretch
        nlist = NeighborList(potential.cutoff, 1.0)
        x0 = X @ stretch

        def fun(v):
            x = v.reshape(-1, 3)
            nlist.update(x, cell, (True, False, True))
            ev = potential.compute(nlist, x, types, w, energies=False)
            return ev.energy, -ev.forces_ic.ravel()

        res = lbfgs(fun, x0.ravel(), fmax=fmax, max_steps=5000)
        if not res.converged:
            raise ConvergenceError(f"surface slab at stretch {lam:g} did not relax: {res.message}")
        G.append((res.energy - n * crystal.atomic_volume * _bulk(cb, lam)) / (2 * area))
    return SurfaceExcess(stretches, G)


def _bulk(cb, lam):
    """Least W(F) over F = [[lam, a, 0], [0, b, 0], [0, c, 1]] (y-planes traction-free)."""

    def F_of(v):
        return np.array([[lam, v[0], 0.0], [0.0, v[1], 0.0], [0.0, v[2], 1.0]])

    def fun(v):
        W, P, _ = cb.evaluate(F_of(v)[None])
        return float(W[0]), P[0][:, 1].copy()

    res = minimize(fun, np.array([0.0, 1.0, 0.0]), jac=True, method="BFGS",
                   options={"gtol": 1e-12, "maxiter": 200})
    return float(fun(res.x)[0])


def face_edges(mesh, cut) -> np.ndarray:
    """Boundary edges (k, 2) of a slab mesh on the faces of ``cut`` (a
    :class:`qcsim.geometry.Slit`): both nodes on one of its two face planes,
    behind its tip."""
    e = mesh.boundary_facets()
    j = mesh.site_nk[e, cut.normal]
    same_face = (j[:, 0] == j[:, 1]) & cut.on_face_planes(mesh.site_nk[e[:, 0]])
    behind = cut.behind(mesh.X_nc[e]).all(axis=1)
    return e[same_face & behind]


class FaceTerm:
    """Energy sum_e w_e Lz L_e G(lambda_e) of the continuum crack faces.

    edges_e2 : node pairs; w_e : continuum share of each edge; thickness : Lz;
    excess : :class:`SurfaceExcess`.  Reference lengths are in-plane (the z
    offsets of lattice sites are not a continuum length).
    """

    def __init__(self, X_nc, edges_e2, w_e, thickness: float, excess: SurfaceExcess):
        self.edges = np.asarray(edges_e2, dtype=np.int64).reshape(-1, 2)
        a, b = self.edges.T
        self._dX = X_nc[b, :2] - X_nc[a, :2]
        self.L_e = np.linalg.norm(self._dX, axis=1)
        self.w_e = np.asarray(w_e, dtype=float)
        self.thickness = float(thickness)
        self.excess = excess

    @property
    def nodes(self) -> np.ndarray:
        """The nodes of the face edges (the displacements the term reads)."""
        return np.unique(self.edges)

    def energy_gradient(self, U_nc):
        a, b = self.edges.T
        d = np.empty((len(a), 3))
        d[:, :2] = self._dX + U_nc[b, :2] - U_nc[a, :2]
        d[:, 2] = U_nc[b, 2] - U_nc[a, 2]
        length = np.linalg.norm(d, axis=1)
        G, dG = self.excess(length / self.L_e)
        c = self.w_e * self.thickness
        E = float(np.sum(c * self.L_e * G))
        g = (c * dG / length)[:, None] * d
        grad = np.zeros_like(U_nc)
        np.add.at(grad, b, g)
        np.add.at(grad, a, -g)
        return E, grad
