"""Curvature indicator of the continuum solution.

eta_T = sqrt( (1/|T|) integral_T |Fbar - F_T|^2 ), where Fbar is the recovered
(nodally averaged, volume-weighted) deformation gradient interpolated with the
P1 shape functions and F_T the element's own.  Large where the deformation
bends within a few elements: a dislocation, the crack-tip field.
"""
from __future__ import annotations

import numpy as np

__all__ = ["recovered_gradient", "curvature_indicator"]


def recovered_gradient(mesh, F_tcc: np.ndarray) -> np.ndarray:
    """Nodal averages (n_nodes, 3, 3) of element gradients, weighted by element volume."""
    w = np.abs(mesh.measures_t)
    acc = np.zeros((mesh.n_nodes, 9))
    wsum = np.zeros(mesh.n_nodes)
    for a in range(mesh.dim + 1):
        np.add.at(acc, mesh.elements_ta[:, a], w[:, None] * F_tcc.reshape(-1, 9))
        np.add.at(wsum, mesh.elements_ta[:, a], w)
    return (acc / np.maximum(wsum, 1e-300)[:, None]).reshape(-1, 3, 3)


def curvature_indicator(mesh, U_nc: np.ndarray) -> np.ndarray:
    """eta_T (dimensionless strain mismatch) for every element.

    The integral of a P1 field g over a simplex is exact with
    ``integral_T g_a g_b lambda_a lambda_b = |T| (1 + delta_ab) / ((d+1)(d+2))``.
    """
    F = mesh.deformation_gradients(U_nc)
    Fbar = recovered_gradient(mesh, F)
    g = (Fbar[mesh.elements_ta] - F[:, None]).reshape(mesh.n_elements, mesh.dim + 1, 9)
    d = mesh.dim
    gram = np.einsum("tac,tbc->tab", g, g)
    mean_sq = (np.einsum("taa->t", gram) + gram.sum(axis=(1, 2))) / ((d + 1) * (d + 2))
    return np.sqrt(np.maximum(mean_sq, 0.0))
