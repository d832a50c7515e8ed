"""Crack-tip position from the broken bonds across the crack plane (slab mode).

The crack plane lies between the atomic rows ``row - 1`` and ``row`` (rows of
constant lattice coordinate j, planes normal to y).  The bonds across it are
the pairs (one site in each row, with a fixed periodic image along z) that are
first neighbours in the *reference* lattice; they are found once
(:func:`plane_bonds`) and then measured in any current configuration.  A bond
is broken when its current length exceeds a threshold, by default midway
between the first- and second-neighbour distances of the perfect lattice.

The bonds are sorted into columns of equal reference midpoint x.  The crack is
the run of columns, starting from the -x side (the crack mouth), in which some
bond is broken (or lies behind a given pre-crack tip); the tip is the largest
midpoint x of such a bond in that run.
Broken bonds beyond the first intact column (a dislocation core that cut the
plane, the far side of a bridged ligament) are reported as isolated and do not
move the tip.

Current positions must be continuous with the reference ones (``x = X + u``,
not wrapped back into the period along z), as QC models give them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcsim.analysis.defects import Shells
from qcsim.neighbors import NeighborList

__all__ = ["PlaneBonds", "CrackTip", "plane_bonds", "bond_lengths", "crack_tip",
           "find_crack_tip", "bond_threshold", "model_crack_tip"]

_COLUMN_TOL = 1e-3  # A: reference midpoints closer than this along x share a column


def bond_threshold(crystal) -> float:
    """Default broken-bond length (A): midway between the first- and
    second-neighbour distances of the perfect crystal."""
    return Shells.of(crystal).bond_threshold


@dataclass(frozen=True)
class PlaneBonds:
    """First-neighbour bonds across a crack plane, fixed in the reference lattice.

    Bond b joins atom ``lower_b[b]`` (row - 1) to the image of atom
    ``upper_b[b]`` (row) displaced by ``kz_b[b] * Lz`` along z; indices refer to
    the arrays given to :func:`plane_bonds`.

    Attributes
    ----------
    lower_b, upper_b : (n_b,) int atom indices.
    kz_b : (n_b,) int image of the upper atom along z.
    x_b : (n_b,) reference x of the bond midpoints (A).
    length0_b : (n_b,) reference bond lengths (A).
    Lz : period along z (A); y_plane : reference y of the crack plane (A).
    d12 : (first, second) neighbour distances found among the reference rows (A).
    """

    lower_b: np.ndarray
    upper_b: np.ndarray
    kz_b: np.ndarray
    x_b: np.ndarray
    length0_b: np.ndarray
    Lz: float
    y_plane: float
    d12: tuple

    @property
    def n_bonds(self) -> int:
        return len(self.lower_b)


def plane_bonds(X_ic, site_ik, Lz: float, row: int = 0) -> PlaneBonds:
    """The reference first-neighbour bonds between rows ``row - 1`` and ``row``.

    Parameters
    ----------
    X_ic : (n, 3) reference positions (A); any atoms, those off the two rows are ignored.
    site_ik : (n, 2) integer lattice coordinates (i, j) of the atoms.
    Lz : period along z (A).
    row : index j of the first row above the crack plane.
    """
    X_ic = np.asarray(X_ic, dtype=float)
    j_i = np.asarray(site_ik)[:, 1]
    sel = np.nonzero((j_i == row - 1) | (j_i == row))[0]
    X = X_ic[sel]
    # every first and second neighbour lies within 1.5 Lz (Lz is a lattice
    # translation, so Lz >= d1, and d2 <= sqrt(2) d1 in cubic lattices)
    r = 1.5 * Lz
    nl = NeighborList(r, 0.0)
    nl.build(X, np.diag([0.0, 0.0, Lz]), (False, False, True))
    a, b, dr = nl.pairs(X, r)
    d = np.linalg.norm(dr, axis=1)
    d1, d2 = _two_shortest(d)
    kz = np.rint((dr[:, 2] - (X[b, 2] - X[a, 2])) / Lz).astype(np.int64)
    across = (j_i[sel[a]] != j_i[sel[b]]) & (d < 0.5 * (d1 + d2))
    a, b, kz, d = a[across], b[across], kz[across], d[across]
    flip = j_i[sel[a]] == row  # orient every bond from the lower row to the upper one
    a, b, kz = np.where(flip, b, a), np.where(flip, a, b), np.where(flip, -kz, kz)
    order = np.lexsort((sel[b], sel[a], X[a, 0] + X[b, 0]))
    a, b, kz, d = a[order], b[order], kz[order], d[order]
    y_plane = 0.5 * (X[a, 1].mean() + X[b, 1].mean()) if len(a) else float("nan")
    return PlaneBonds(sel[a], sel[b], kz, 0.5 * (X[a, 0] + X[b, 0]), d, float(Lz),
                      float(y_plane), (d1, d2))


def _two_shortest(d) -> tuple[float, float]:
    """The two smallest distinct distances (relative tolerance 1e-3)."""
    if len(d) == 0:
        return float("nan"), float("nan")
    d1 = float(d.min())
    rest = d[d > d1 * (1.0 + 1e-3)]
    return d1, float(rest.min()) if len(rest) else np.sqrt(2.0) * d1


def bond_lengths(bonds: PlaneBonds, x_ic) -> np.ndarray:
    """Current lengths (n_b,) of the bonds (A), positions ``x_ic`` numbered as the
    reference ones given to :func:`plane_bonds`."""
    x_ic = np.asarray(x_ic, dtype=float)
    dr = x_ic[bonds.upper_b] - x_ic[bonds.lower_b]
    dr[:, 2] += bonds.kz_b * bonds.Lz
    return np.linalg.norm(dr, axis=1)


@dataclass(frozen=True)
class CrackTip:
    """Crack-tip position and the state of the bonds across the plane.

    tip_x : reference x of the tip (A): the largest midpoint x of a broken bond
        in the run from the mouth; NaN when the first column is intact.
    y_plane : reference y of the crack plane (A); threshold : broken-bond length (A).
    length_b, broken_b : (n_b,) current lengths, and whether longer than the threshold.
    crack_b : (n_b,) part of the crack: broken (or behind ``precrack_x``) and
        connected to the mouth.
    bonds : the :class:`PlaneBonds`.
    """

    tip_x: float
    y_plane: float
    threshold: float
    length_b: np.ndarray
    broken_b: np.ndarray
    crack_b: np.ndarray
    bonds: PlaneBonds

    @property
    def isolated_b(self) -> np.ndarray:
        """(n_b,) bool: broken bonds not part of the crack."""
        return self.broken_b & ~self.crack_b

    @property
    def isolated_x(self) -> np.ndarray:
        """Reference midpoint x of the isolated broken bonds, increasing (A)."""
        return np.sort(self.bonds.x_b[self.isolated_b])

    def summary(self) -> dict:
        """Scalars and short lists for a per-step results table."""
        return {"tip_x": float(self.tip_x), "n_broken": int(self.broken_b.sum()),
                "n_crack_bonds": int((self.crack_b & self.broken_b).sum()),
                "n_isolated": int(self.isolated_b.sum()),
                "isolated_x": [float(v) for v in self.isolated_x]}


def crack_tip(bonds: PlaneBonds, x_ic, threshold: float | None = None,
              precrack_x: float | None = None) -> CrackTip:
    """Tip position from the current positions ``x_ic`` (numbered as the reference).

    ``threshold`` defaults to midway between the first- and second-neighbour
    distances found in the reference rows (:func:`bond_threshold` gives it from
    the crystal).  ``precrack_x``: bonds with a midpoint at or behind it belong
    to the pre-existing crack whatever their length, so a pre-crack opened less
    than the threshold (low K) still has its tip there rather than NaN.
    """
    if threshold is None:
        threshold = 0.5 * (bonds.d12[0] + bonds.d12[1])
    length = bond_lengths(bonds, x_ic)
    broken = length > threshold
    crack = np.zeros_like(broken)
    tip = float("nan")
    if bonds.n_bonds:
        x = bonds.x_b  # sorted increasing by plane_bonds
        cracked = broken | (x <= precrack_x) if precrack_x is not None else broken
        column = np.concatenate([[0], np.cumsum(np.diff(x) > _COLUMN_TOL)])
        col_cracked = np.zeros(column[-1] + 1, dtype=bool)
        np.logical_or.at(col_cracked, column, cracked)
        intact = np.nonzero(~col_cracked)[0]
        n_run = intact[0] if len(intact) else len(col_cracked)  # columns in the run
        crack = cracked & (column < n_run)
        if crack.any():
            tip = float(x[crack].max())
    return CrackTip(tip, bonds.y_plane, float(threshold), length, broken, crack, bonds)


def find_crack_tip(X_ic, x_ic, site_ik, Lz: float, row: int = 0,
                   threshold: float | None = None, precrack_x: float | None = None) -> CrackTip:
    """:func:`plane_bonds` then :func:`crack_tip` in one call (see both)."""
    return crack_tip(plane_bonds(X_ic, site_ik, Lz, row), x_ic, threshold, precrack_x)


def model_crack_tip(model, slab, row: int = 0, threshold: float | None = None,
                    all_nodes: bool = False, precrack_x: float | None = None) -> CrackTip:
    """Crack tip of a QC model (:mod:`qcsim.model`) in its current state ``model.U_nc``.

    Uses the atoms (``model.regions.atoms``), or every node when ``all_nodes``
    (bonds then exist wherever nodes sit on neighbouring sites of both rows).
    Bond indices (``bonds.lower_b`` ...) are node indices.  ``threshold``
    defaults to :func:`bond_threshold` of ``slab.crystal``; ``precrack_x`` (e.g.
    the slit's ``tip_x``): see :func:`crack_tip`.
    """
    mesh = model.mesh
    nodes = np.arange(mesh.n_nodes) if all_nodes else np.asarray(model.regions.atoms)
    if threshold is None:
        threshold = bond_threshold(slab.crystal)
    X = mesh.X_nc[nodes]
    b = plane_bonds(X, mesh.site_nk[nodes], slab.Lz, row)
    b = PlaneBonds(nodes[b.lower_b], nodes[b.upper_b], b.kz_b, b.x_b, b.length0_b, b.Lz,
                   b.y_plane, b.d12)
    return crack_tip(b, mesh.X_nc + model.U_nc, threshold, precrack_x)
