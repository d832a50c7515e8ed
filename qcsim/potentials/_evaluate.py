"""Input checks and array plumbing shared by the potentials' ``compute`` methods."""
from __future__ import annotations

import numpy as np

__all__ = ["prepare", "virial_matrix", "Workspace", "gather"]


def prepare(nlist, x_ic, types_i, weights_i, cutoff: float, ntypes: int):
    """Validate and convert the inputs of ``compute``.

    Returns
    -------
    x_ic : (n, 3) float64; types_i : (n,) int32; weights_i : (n,) float64 or None;
    offsets_e : (n_ext + 1,) int64; j_n : (n_pairs,) int32.
    """
    x_ic = np.ascontiguousarray(x_ic, dtype=np.float64)
    n = len(x_ic)
    if x_ic.shape != (n, 3):
        raise ValueError(f"x_ic must have shape (n, 3), got {x_ic.shape}")
    if nlist.n_sites != n:
        raise ValueError(f"neighbour list was built for {nlist.n_sites} sites, got {n}")
    if nlist.cutoff < cutoff * (1.0 - 1e-12):
        raise ValueError(f"neighbour list cutoff {nlist.cutoff} is below the potential's "
                         f"cutoff {cutoff}")
    if types_i is None:
        types_i = np.zeros(n, dtype=np.int32)
    else:
        types_i = np.ascontiguousarray(types_i, dtype=np.int32)
        if types_i.shape != (n,):
            raise ValueError(f"types_i must have shape ({n},), got {types_i.shape}")
        if n and (types_i.min() < 0 or types_i.max() >= ntypes):
            raise ValueError(f"type indices must lie in [0, {ntypes})")
    if weights_i is not None:
        weights_i = np.ascontiguousarray(weights_i, dtype=np.float64)
        if weights_i.shape != (n,):
            raise ValueError(f"weights_i must have shape ({n},), got {weights_i.shape}")
    offsets_e = np.ascontiguousarray(nlist.offsets_e, dtype=np.int64)
    j_n = np.ascontiguousarray(nlist.j_n, dtype=np.int32)
    return x_ic, types_i, weights_i, offsets_e, j_n


def virial_matrix(v6) -> np.ndarray:
    """(xx, yy, zz, xy, xz, yz) -> symmetric (3, 3)."""
    xx, yy, zz, xy, xz, yz = v6
    return np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])


class Workspace:
    """Arrays kept between evaluations, by name.

    Fresh memory is paid in page faults on first touch, and for per-entry
    arrays of a large system that costs a sizeable part of an evaluation.
    """

    def __init__(self):
        self._arrays: dict[str, np.ndarray] = {}

    def get(self, name: str, shape, dtype=np.float64, zero: bool = False) -> np.ndarray:
        shape = tuple(shape) if np.ndim(shape) else (int(shape),)
        a = self._arrays.get(name)
        if a is None or a.shape != shape or a.dtype != np.dtype(dtype):
            a = np.empty(shape, dtype=dtype)
            self._arrays[name] = a
        if zero:
            a.fill(0)
        return a


def gather(nlist, a_i: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``a_i[owner_e]`` written into ``out`` (the neighbour list's gather, without allocating)."""
    return np.take(a_i, nlist.owner_e, axis=0, out=out, mode="clip")
