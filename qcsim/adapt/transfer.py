"""State transfer between meshes whose nodes are lattice sites (simplices of any dimension).

Nodes that are the same site in both meshes keep their displacement exactly;
new nodes take the P1 interpolant of the old field at their reference
position.  Near a cut (the pre-crack, :class:`qcsim.geometry.Slit`) a new
node is interpolated only from old elements on its own side of the crack
plane, or from elements that straddle the plane ahead of the tip.
"""
from __future__ import annotations

import numpy as np

from qcsim.geometry import site_index

__all__ = ["transfer_displacements"]


def transfer_displacements(old_mesh, old_U_nc: np.ndarray, new_mesh, cut=None) -> np.ndarray:
    """Displacements (n_new, 3) on ``new_mesh`` from ``old_U_nc`` on ``old_mesh``;
    ``cut``: the crack whose faces the interpolation must not mix (or None)."""
    new_U = np.zeros((new_mesh.n_nodes, 3))
    index = site_index(old_mesh.site_nk)
    missing = []
    for n, v in enumerate(new_mesh.site_nk.tolist()):
        k = index.get(tuple(v))
        if k is None:
            missing.append(n)
        else:
            new_U[n] = old_U_nc[k]
    if not missing:
        return new_U
    missing = np.array(missing)
    pts = new_mesh.X_nc[missing, : old_mesh.dim]
    side = None if cut is None else cut.above(new_mesh.site_nk[missing])
    new_U[missing] = _interpolate(old_mesh, old_U_nc, pts, side, cut)
    return new_U


def _locate(X, T, pts):
    """The element (or -1) that contains each point: exact point location."""
    d = X.shape[1]
    if d == 2:
        # a trapezoid map: graded meshes of sheared lattices have elements far longer
        # than their centroid spacing, so the nearest centroids need not include the
        # right one
        from matplotlib.tri import Triangulation

        tri = Triangulation(X[:, 0], X[:, 1], T)
        return tri.get_trifinder()(pts[:, 0], pts[:, 1])
    # any dimension: the elements whose centroid lies within the largest element
    # radius (centroid to vertex) of the point include the one containing it
    from scipy.spatial import cKDTree

    centroid = X[T].mean(axis=1)
    reach = float(np.linalg.norm(X[T] - centroid[:, None, :], axis=2).max())
    x0 = X[T[:, 0]]
    Jinv = np.linalg.inv(np.stack([X[T[:, a]] - x0 for a in range(1, d + 1)], axis=2))
    found = np.full(len(pts), -1, dtype=np.int64)
    for p, cand in enumerate(cKDTree(centroid).query_ball_point(pts, r=reach * (1 + 1e-9))):
        cand = np.asarray(cand, dtype=np.int64)
        if not len(cand):
            continue
        lam = np.einsum("tij,tj->ti", Jinv[cand], pts[p] - x0[cand])
        lam_min = np.minimum(1.0 - lam.sum(axis=1), lam.min(axis=1))
        best = int(np.argmax(lam_min))
        if lam_min[best] >= -1e-12:
            found[p] = cand[best]
    return found


def _interpolate(mesh, U, pts, side, cut):
    """P1 interpolation at points (k, d): the containing element, else (on or just
    outside the boundary, or across the cut) the element with the largest
    smallest barycentric coordinate among the nearest."""
    d = mesh.dim
    X = mesh.X_nc[:, :d]
    T = mesh.elements_ta
    x0 = X[T[:, 0]]
    J = np.stack([X[T[:, a]] - x0 for a in range(1, d + 1)], axis=2)  # (t, d, d)
    Jinv = np.linalg.inv(J)
    centroid = X[T].mean(axis=1)
    size = sum(np.linalg.norm(X[T[:, a]] - x0, axis=1) for a in range(1, d + 1))
    from scipy.spatial import cKDTree

    tree = cKDTree(centroid)
    k_near = min(32, len(T))
    out = np.zeros((len(pts), 3))
    if cut is not None:
        above_ta = cut.above(mesh.site_nk[T])
        upper_t, lower_t = above_ta.all(axis=1), ~above_ta.any(axis=1)
    found = _locate(X, T, pts)
    for p, x in enumerate(pts):
        t = found[p]
        if t >= 0 and (cut is None or (upper_t[t] if side[p] else lower_t[t])
                       or not (upper_t[t] or lower_t[t])):
            lam = Jinv[t] @ (x - x0[t])
            l = np.clip(np.concatenate([[1 - lam.sum()], lam]), 0.0, None)
            out[p] = (l / l.sum()) @ U[T[t]]
            continue
        cand = np.array(tree.query(x, k=k_near)[1]).ravel()
        if cut is not None:
            ok = upper_t[cand] if side[p] else lower_t[cand]
            # elements straddling the plane (ahead of the tip) serve both sides
            ok |= ~(upper_t[cand] | lower_t[cand])
            cand = cand[ok] if ok.any() else cand
        lam = np.einsum("tij,tj->ti", Jinv[cand], x - x0[cand])
        lam = np.column_stack([1 - lam.sum(axis=1), lam])
        best = np.argmax(lam.min(axis=1) - 1e-12 * size[cand])
        t = cand[best]
        l = np.clip(lam[best], 0.0, None)
        l /= l.sum()
        out[p] = l @ U[T[t]]
    return out
