"""Local structure of the atoms: centrosymmetry, adaptive CNA, emitted dislocations.

* Centrosymmetry parameter (Kelchner, Plimpton & Hamilton, PRB 58, 11085
  (1998)): with the N nearest neighbour vectors R_k of an atom (N = 12 in fcc,
  8 in bcc), P = sum of the N/2 smallest |R_k + R_l|^2 over the pairs k < l
  (A^2).  Zero in a perfect centrosymmetric lattice, small under elastic strain,
  of order (partial Burgers vector)^2 in a stacking fault and large at a surface.
* Adaptive common-neighbour analysis (Stukowski 2012): fcc, hcp, bcc or other
  from each atom's own nearest neighbours (:mod:`qcsim.analysis.cna`).

Both run over the atoms with their periodic images (slab mode: a short period
along z), through :class:`qcsim.neighbors.NeighborList`.  Atoms whose
*reference* neighbourhood is incomplete (the edge of the atomistic region, a
free surface present in the reference) score as defects for no physical
reason; :func:`complete_neighborhoods` gives the mask that excludes them.

:func:`analyse_defects` combines these into the per-step question "was a
dislocation emitted?": defect atoms (hcp in an fcc host) that form a cluster
away from the free surfaces (crack faces, tip) and the region edge.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from qcsim.analysis.cna import (BCC, FCC, HCP, OTHER, STRUCTURE_NAMES,  # noqa: F401
                                adaptive_cna_of_vectors)
from qcsim.neighbors import NeighborList

__all__ = ["OTHER", "FCC", "HCP", "BCC", "STRUCTURE_NAMES", "Shells", "nearest_neighbors",
           "centrosymmetry", "centrosymmetry_of_vectors", "adaptive_cna", "adaptive_cna_of_vectors",
           "complete_neighborhoods", "Cluster", "defect_clusters", "DefectReport",
           "analyse_defects", "model_defects"]

_CHUNK = 4096  # atoms per vectorised block (bounds the (m, k, k) temporaries)
_CSP_NEIGHBORS = {"fcc": 12, "bcc": 8, "sc": 6}
_HOST = {"fcc": FCC, "bcc": BCC}


@dataclass(frozen=True)
class Shells:
    """Neighbour shells of a perfect crystal and the radii the analyses use.

    Attributes
    ----------
    lattice : "fcc", "bcc" or "sc".
    d_s : (n_shells,) shell distances (A), increasing.
    count_s : (n_shells,) atoms per shell.
    """

    lattice: str
    d_s: np.ndarray
    count_s: np.ndarray

    @classmethod
    def of(cls, crystal, n_shells: int = 5) -> "Shells":
        r = np.linalg.norm(crystal.lattice_vectors(2.5 * crystal.a), axis=1)
        d, count = np.unique(np.round(r, 8), return_counts=True)
        return cls(crystal.lattice, d[:n_shells], count[:n_shells])

    @property
    def bond_threshold(self) -> float:
        """Midway between the first- and second-neighbour distances (A)."""
        return 0.5 * float(self.d_s[0] + self.d_s[1])

    @property
    def n_csp(self) -> int:
        """Neighbours in the centrosymmetry sum (12 fcc, 8 bcc, 6 sc)."""
        return _CSP_NEIGHBORS[self.lattice]

    def enclosing(self, n_atoms: int) -> tuple[float, int]:
        """(radius, count): the radius midway past the first shell at which at least
        ``n_atoms`` neighbours are enclosed, and how many it encloses."""
        cum = np.cumsum(self.count_s)
        s = int(np.searchsorted(cum, n_atoms))
        return 0.5 * float(self.d_s[s] + self.d_s[s + 1]), int(cum[s])

    @property
    def coordination(self) -> tuple[float, int]:
        """(radius, count) of the coordination shell: 12 in fcc (first shell),
        14 in bcc (first two shells, which strain easily mixes)."""
        return self.enclosing(12)

    @property
    def r_search(self) -> float:
        """Neighbour search radius of CSP and a-CNA: one shell past the coordination
        shell, so that surface atoms still find N neighbours."""
        return self.enclosing(self.coordination[1] + 1)[0]


# -- neighbours ------------------------------------------------------------------
def _full_pairs(x_ic, cell_cc, pbc_c, r):
    """Every ordered pair within r, images included: (i_p, j_p, dr_pc = x_j - x_i)."""
    nl = NeighborList(r, 0.0)
    nl.build(x_ic, cell_cc, pbc_c)
    i, j, dr = nl.pairs(x_ic, r)
    return np.concatenate([i, j]), np.concatenate([j, i]), np.concatenate([dr, -dr])


def _sorted_by_atom_and_distance(n, i_p, j_p, dr_pc):
    """Pairs sorted by atom, then distance; returns (i, j, dr, r2, rank within atom, counts)."""
    r2 = np.einsum("pc,pc->p", dr_pc, dr_pc)
    # one sort key: the atom index plus a fraction that increases with the distance
    order = np.argsort(i_p + r2 / (1.0001 * r2.max(initial=1.0)), kind="stable")
    i_p, j_p, dr_pc, r2 = i_p[order], j_p[order], dr_pc[order], r2[order]
    count_i = np.bincount(i_p, minlength=n)
    start_i = np.concatenate([[0], np.cumsum(count_i)[:-1]])
    return i_p, j_p, dr_pc, r2, np.arange(len(i_p)) - start_i[i_p], count_i


def nearest_neighbors(x_ic, cell_cc, pbc_c, k: int, r_search: float, pairs=None):
    """The ``k`` nearest neighbours of every atom within ``r_search``.

    Parameters
    ----------
    x_ic : (n, 3) positions (A); cell_cc, pbc_c : periodic cell (see NeighborList).
    pairs : optional ``(i_p, j_p, dr_pc)`` ordered pairs within at least
        ``r_search`` (from an earlier call), to avoid a second neighbour search.

    Returns
    -------
    R_ikc : (n, k, 3) vectors to the neighbours, nearest first; NaN past ``count_i``.
    j_ik : (n, k) neighbour site indices (-1 past ``count_i``).
    count_i : (n,) number of neighbours within ``r_search`` (not capped at k).
    """
    x_ic = np.asarray(x_ic, dtype=float)
    n = len(x_ic)
    i_p, j_p, dr_pc = _full_pairs(x_ic, cell_cc, pbc_c, r_search) if pairs is None else pairs
    i_p, j_p, dr_pc, r2, rank, _ = _sorted_by_atom_and_distance(n, i_p, j_p, dr_pc)
    within = r2 < r_search * r_search
    count_i = np.bincount(i_p[within], minlength=n)
    keep = within & (rank < k)
    R_ikc = np.full((n, k, 3), np.nan)
    j_ik = np.full((n, k), -1, dtype=np.int64)
    R_ikc[i_p[keep], rank[keep]] = dr_pc[keep]
    j_ik[i_p[keep], rank[keep]] = j_p[keep]
    return R_ikc, j_ik, count_i


# -- centrosymmetry --------------------------------------------------------------
def centrosymmetry_of_vectors(R_ikc, n_neighbors: int) -> np.ndarray:
    """CSP (A^2) from nearest-neighbour vectors (n, >= n_neighbors, 3), nearest first;
    atoms with fewer than ``n_neighbors`` (NaN rows) get +inf."""
    R = np.asarray(R_ikc, dtype=float)[:, :n_neighbors]
    k0, k1 = np.triu_indices(n_neighbors, 1)
    half = n_neighbors // 2
    P_i = np.empty(len(R))
    for s in range(0, len(R), _CHUNK):
        Rm = R[s:s + _CHUNK]
        G = Rm @ Rm.transpose(0, 2, 1)  # |R_k + R_l|^2 = G_kk + G_ll + 2 G_kl
        g = np.einsum("mkk->mk", G)
        S = g[:, k0] + g[:, k1] + 2.0 * G[:, k0, k1]
        P = np.partition(S, half - 1, axis=1)[:, :half].sum(axis=1)
        P_i[s:s + _CHUNK] = np.where(np.isnan(P), np.inf, np.maximum(P, 0.0))
    return P_i


def centrosymmetry(x_ic, cell_cc, pbc_c, n_neighbors: int, r_search: float) -> np.ndarray:
    """Centrosymmetry parameter (n,) in A^2 (Kelchner et al. 1998); +inf for atoms
    with fewer than ``n_neighbors`` neighbours within ``r_search``."""
    R, _, _ = nearest_neighbors(x_ic, cell_cc, pbc_c, n_neighbors, r_search)
    return centrosymmetry_of_vectors(R, n_neighbors)


# -- adaptive common-neighbour analysis (the vector part is in qcsim.analysis.cna) ----
def adaptive_cna(x_ic, cell_cc, pbc_c, r_search: float) -> np.ndarray:
    """a-CNA structure codes (n,) int8 (Stukowski 2012); ``r_search`` must reach the
    12th (fcc/hcp) or 14th (bcc) neighbour (see :attr:`Shells.r_search`)."""
    R, _, count = nearest_neighbors(x_ic, cell_cc, pbc_c, 14, r_search)
    return adaptive_cna_of_vectors(R, count)


# -- masks -----------------------------------------------------------------------
def complete_neighborhoods(X_ic, cell_cc, pbc_c, radius: float, n_expected: int,
                           depth: int = 1, pairs=None) -> np.ndarray:
    """Atoms (n,) bool whose reference neighbourhood is that of the perfect crystal.

    Depth 1: exactly ``n_expected`` reference neighbours within ``radius``
    (e.g. :attr:`Shells.coordination`).  Depth d: complete at depth d - 1 and so
    are all those neighbours, i.e. d - 1 more layers away from any edge.
    """
    X_ic = np.asarray(X_ic, dtype=float)
    n = len(X_ic)
    i_p, j_p, dr_pc = _full_pairs(X_ic, cell_cc, pbc_c, radius) if pairs is None else pairs
    within = np.einsum("pc,pc->p", dr_pc, dr_pc) < radius * radius
    i_p, j_p = i_p[within], j_p[within]
    ok = np.bincount(i_p, minlength=n) == n_expected
    for _ in range(depth - 1):
        bad = np.zeros(n, dtype=bool)
        bad[i_p[~ok[j_p]]] = True
        ok = ok & ~bad
    return ok


# -- clusters of defect atoms ---------------------------------------------------
@dataclass(frozen=True)
class Cluster:
    """A connected group of defect atoms.

    atoms : indices (into the analysed atoms); center_xy : (2,) mean x, y (A);
    lo_xy, hi_xy : (2,) bounding box (A); far_xy : (2,) the atom farthest from a
    given origin (the crack tip: the leading partial of a stacking-fault ribbon
    emitted from it), None without an origin.
    """

    atoms: np.ndarray
    center_xy: np.ndarray
    lo_xy: np.ndarray
    hi_xy: np.ndarray
    far_xy: np.ndarray | None = None

    @property
    def size(self) -> int:
        return len(self.atoms)


def defect_clusters(x_ic, defect_i, pairs, r_link: float, min_size: int = 3,
                    origin_xy=None) -> list[Cluster]:
    """Connected clusters (largest first, at least ``min_size`` atoms) of the atoms
    ``defect_i`` (n,) bool, linking atoms closer than ``r_link`` through the
    ordered ``pairs`` (i_p, j_p, dr_pc); ``origin_xy``: see :class:`Cluster`."""
    x_ic = np.asarray(x_ic, dtype=float)
    n = len(x_ic)
    if not np.any(defect_i):
        return []
    i_p, j_p, dr_pc = pairs
    link = (np.einsum("pc,pc->p", dr_pc, dr_pc) < r_link * r_link) & defect_i[i_p] & defect_i[j_p]
    graph = coo_matrix((np.ones(int(link.sum())), (i_p[link], j_p[link])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    label = np.where(defect_i, label, -1)
    sizes = np.bincount(label[defect_i])
    out = []
    for lab in np.argsort(-sizes, kind="stable"):
        if sizes[lab] < min_size:
            break
        atoms = np.nonzero(label == lab)[0]
        xy = x_ic[atoms, :2]
        far = None
        if origin_xy is not None:
            far = xy[np.argmax(np.linalg.norm(xy - np.asarray(origin_xy, float), axis=1))]
        out.append(Cluster(atoms, xy.mean(axis=0), xy.min(axis=0), xy.max(axis=0), far))
    return out


@dataclass(frozen=True)
class DefectReport:
    """Local structure of the analysed atoms and the emitted-dislocation verdict.

    Per-atom arrays have one entry per analysed atom (``index_i`` maps them to
    the caller's numbering, e.g. model nodes).  ``complete_i``: the reference
    neighbourhood is complete (the structure counts of :meth:`summary` run over
    these); ``surface_i``: lost two or more neighbours (free surfaces, crack
    faces, the tip); ``excluded_i``: surface atoms, incomplete ones, those the
    caller excluded, and defect candidates within ``margin`` of any of them;
    ``defect_i``: the defect atoms (hcp in fcc, non-host otherwise, or CSP above
    a threshold) outside the excluded set, which the clusters are made of.
    """

    index_i: np.ndarray
    structure_i: np.ndarray
    csp_i: np.ndarray
    complete_i: np.ndarray
    surface_i: np.ndarray
    excluded_i: np.ndarray
    defect_i: np.ndarray
    clusters: list

    @property
    def emitted(self) -> bool:
        return len(self.clusters) > 0

    def summary(self) -> dict:
        """Scalars and short lists for a per-step results table."""
        s = self.structure_i[self.complete_i]
        c0 = self.clusters[0] if self.clusters else None
        return {
            "n_fcc": int(np.sum(s == FCC)), "n_hcp": int(np.sum(s == HCP)),
            "n_bcc": int(np.sum(s == BCC)), "n_other": int(np.sum(s == OTHER)),
            "n_excluded": int(np.sum(self.excluded_i)), "emitted": self.emitted,
            "n_clusters": len(self.clusters),
            "cluster_sizes": [c.size for c in self.clusters],
            "positions": [[float(v) for v in c.center_xy] for c in self.clusters],
            "far_positions": [[float(v) for v in c.far_xy] for c in self.clusters
                              if c.far_xy is not None],
            "dislocation_x": float(c0.center_xy[0]) if c0 else float("nan"),
            "dislocation_y": float(c0.center_xy[1]) if c0 else float("nan"),
        }


def analyse_defects(x_ic, X_ic, cell_cc, pbc_c, crystal, *, criterion: str = "auto",
                    csp_threshold: float | None = None, margin: float | None = None,
                    depth: int = 2, min_size: int = 3, exclude_i=None, origin_xy=None,
                    index_i=None) -> DefectReport:
    """CSP, a-CNA and clusters of defect atoms away from surfaces and edges.

    Parameters
    ----------
    x_ic, X_ic : (n, 3) current and reference positions (A) of the atoms analysed.
    cell_cc, pbc_c : periodic cell (slab mode: ``diag(0, 0, Lz)``, z periodic).
    crystal : the host crystal (:class:`qcsim.lattice.Crystal`), for the shells.
    criterion : "hcp" (a-CNA hcp atoms), "non-host" (a-CNA anything but the host
        structure), "csp" (CSP above ``csp_threshold``, A^2), or "auto": "hcp" in
        fcc, "non-host" otherwise.
    margin : atoms within this distance (A) of a surface atom or of an atom whose
        reference neighbourhood is incomplete are excluded (default: 2 first-neighbour
        distances).
    depth : layers of reference completeness (see :func:`complete_neighborhoods`).
    min_size : atoms a cluster needs to count as an emitted dislocation.
    exclude_i : optional (n,) bool, more atoms to keep out of the clusters.
    origin_xy : optional (x, y) of the crack tip: each cluster then also reports
        its atom farthest from it (``far_xy``).
    index_i : optional (n,) caller's indices of the atoms (default 0..n-1).
    """
    shells = Shells.of(crystal)
    x_ic, X_ic = np.asarray(x_ic, dtype=float), np.asarray(X_ic, dtype=float)
    n = len(x_ic)
    r_coord, n_coord = shells.coordination
    r_search = shells.r_search
    margin = 2.0 * float(shells.d_s[0]) if margin is None else float(margin)
    if criterion == "auto":
        criterion = "hcp" if crystal.lattice == "fcc" else "non-host"
    if criterion == "csp" and csp_threshold is None:
        raise ValueError("criterion 'csp' needs csp_threshold")
    if criterion not in ("hcp", "non-host", "csp"):
        raise ValueError(f"unknown criterion {criterion!r}; known: auto, hcp, non-host, csp")
    pairs = _full_pairs(x_ic, cell_cc, pbc_c, r_search)
    R, _, count = nearest_neighbors(x_ic, cell_cc, pbc_c, 14, r_search, pairs=pairs)
    structure = adaptive_cna_of_vectors(R, count)
    csp = centrosymmetry_of_vectors(R, shells.n_csp)
    complete = complete_neighborhoods(X_ic, cell_cc, pbc_c, r_coord, n_coord, depth)
    i_p, _, dr_pc = pairs
    coord = np.bincount(i_p[np.einsum("pc,pc->p", dr_pc, dr_pc) < r_coord * r_coord],
                        minlength=n)
    surface = coord <= n_coord - 2
    seed = surface | ~complete
    if exclude_i is not None:
        seed = seed | np.asarray(exclude_i, dtype=bool)
    if criterion == "hcp":
        candidate = structure == HCP
    elif criterion == "non-host":
        candidate = structure != _HOST.get(crystal.lattice, OTHER)
    else:
        candidate = csp > csp_threshold
    candidate = candidate & ~seed
    near = _near(x_ic, candidate, seed, cell_cc, pbc_c, margin)
    defect = candidate & ~near
    excluded = seed | near
    clusters = defect_clusters(x_ic, defect, pairs, r_coord, min_size, origin_xy)
    index = np.arange(n) if index_i is None else np.asarray(index_i)
    return DefectReport(index, structure, csp, complete, surface, excluded, defect, clusters)


def _near(x_ic, probe_i, seed_i, cell_cc, pbc_c, r: float) -> np.ndarray:
    """(n,) bool: the ``probe_i`` atoms within ``r`` of a ``seed_i`` atom."""
    out = np.zeros(len(x_ic), dtype=bool)
    if not probe_i.any() or not seed_i.any() or r <= 0:
        return out
    sub = np.nonzero(probe_i | seed_i)[0]
    i, j, _ = _full_pairs(x_ic[sub], cell_cc, pbc_c, r)
    hit = probe_i[sub[i]] & seed_i[sub[j]]
    out[sub[i[hit]]] = True
    return out


def model_defects(model, crystal, **kw) -> DefectReport:
    """:func:`analyse_defects` over the atoms of a QC model (``model.regions.atoms``);
    ``index_i`` of the report holds their node indices."""
    atoms = model.regions.atoms
    X = model.mesh.X_nc[atoms]
    return analyse_defects(X + model.U_nc[atoms], X, model.cell_cc, model.pbc_c, crystal,
                           index_i=atoms, **kw)
