"""State transfer between meshes whose nodes are lattice sites.

Nodes that are the same site in both meshes keep their displacement exactly;
new nodes take the P1 interpolant of the old field at their reference
position.  Near a slit a new node is interpolated only from old elements on
its own side of the crack plane.
"""
from __future__ import annotations

import numpy as np

__all__ = ["transfer_displacements"]


def transfer_displacements(old_mesh, old_U_nc: np.ndarray, new_mesh,
                           crack_row: int | None = None) -> np.ndarray:
    """Displacements (n_new, 3) on ``new_mesh`` from ``old_U_nc`` on ``old_mesh``."""
    new_U = np.zeros((new_mesh.n_nodes, 3))
    index = {tuple(v): n for n, v in enumerate(old_mesh.site_nk.tolist())}
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
    pts = new_mesh.X_nc[missing, :2]
    side = None if crack_row is None else new_mesh.site_nk[missing, 1] >= crack_row
    new_U[missing] = _interpolate(old_mesh, old_U_nc, pts, side, crack_row)
    return new_U


def _interpolate(mesh, U, pts, side, crack_row):
    """P1 interpolation at points (k, 2): the element with the largest smallest
    barycentric coordinate (inside, or nearest when on/just outside the boundary)."""
    X = mesh.X_nc[:, :2]
    T = mesh.elements_ta
    x0 = X[T[:, 0]]
    J = np.stack([X[T[:, 1]] - x0, X[T[:, 2]] - x0], axis=2)  # (t, 2, 2)
    Jinv = np.linalg.inv(J)
    centroid = X[T].mean(axis=1)
    size = np.linalg.norm(X[T[:, 1]] - x0, axis=1) + np.linalg.norm(X[T[:, 2]] - x0, axis=1)
    from scipy.spatial import cKDTree

    tree = cKDTree(centroid)
    k_near = min(32, len(T))
    out = np.zeros((len(pts), 3))
    if crack_row is not None:
        upper_t = mesh.site_nk[T, 1].min(axis=1) >= crack_row
        lower_t = mesh.site_nk[T, 1].max(axis=1) < crack_row
    # the containing element by exact point location (a trapezoid map: graded
    # meshes of sheared lattices have elements far longer than their centroid
    # spacing, so the nearest centroids need not include the right one)
    from matplotlib.tri import Triangulation

    tri = Triangulation(X[:, 0], X[:, 1], T)
    found = tri.get_trifinder()(pts[:, 0], pts[:, 1])
    for p, x in enumerate(pts):
        t = found[p]
        if t >= 0 and (crack_row is None or (upper_t[t] if side[p] else lower_t[t])
                       or not (upper_t[t] or lower_t[t])):
            lam12 = Jinv[t] @ (x - x0[t])
            l = np.clip(np.concatenate([[1 - lam12.sum()], lam12]), 0.0, None)
            out[p] = (l / l.sum()) @ U[T[t]]
            continue
        cand = np.array(tree.query(x, k=k_near)[1]).ravel()
        if crack_row is not None:
            ok = upper_t[cand] if side[p] else lower_t[cand]
            # elements straddling the plane (ahead of the tip) serve both sides
            ok |= ~(upper_t[cand] | lower_t[cand])
            cand = cand[ok] if ok.any() else cand
        lam12 = np.einsum("tij,tj->ti", Jinv[cand], x - x0[cand])
        lam = np.column_stack([1 - lam12.sum(axis=1), lam12])
        best = np.argmax(lam.min(axis=1) - 1e-12 * size[cand])
        t = cand[best]
        l = np.clip(lam[best], 0.0, None)
        l /= l.sum()
        out[p] = l @ U[T[t]]
    return out
