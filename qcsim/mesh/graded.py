"""Lattice-conforming graded meshes in slab mode.

Every lattice site within ``r_fine`` of the centre is a node (the atomistic
core, handshake and pad live there).  Outside, nodes are the sites of the
coarser sub-lattices ``m Z^2`` of the site lattice, with ``m`` a power of two
growing with the distance so that element sizes grow geometrically with ratio
``growth`` per element layer.  Nested sub-lattices make the transitions
regular.  An optional slit (a pre-crack between two atomic rows behind a tip)
is honoured by a constrained Delaunay triangulation (Shewchuk's Triangle):
no element bridges it.
"""
from __future__ import annotations

import numpy as np

from qcsim.errors import GeometryError
from qcsim.geometry import Slit, balls, site_keys, unique_sites  # noqa: F401 - re-exported
from qcsim.lattice.slab import SlabLattice
from qcsim.mesh.mesh import Mesh

__all__ = ["Slit", "graded_disk_mesh", "graded_mesh", "triangulate_sites", "cut_slit_bridges",
           "spacing_level", "distance_to_disks", "site_keys", "unique_sites"]


def spacing_level(r: np.ndarray, r_fine: float, h0: float, growth: float) -> np.ndarray:
    """Sub-lattice multiplier m (a power of two) for sites at distance r from the centre.

    The target element size is h(r) = h0 + (growth - 1)(r - r_fine) beyond
    r_fine, which makes consecutive element layers grow by ``growth``.
    """
    h = h0 + (growth - 1.0) * np.maximum(np.asarray(r, dtype=float) - r_fine, 0.0)
    k = np.floor(np.log2(np.maximum(h / h0, 1.0))).astype(np.int64)
    return np.left_shift(np.int64(1), k)


def distance_to_disks(xy_n: np.ndarray, disks) -> np.ndarray:
    """Distance of points (n, 2) from a union of disks [(cx, cy, r), ...] (0 inside)."""
    return balls(disks).distance(np.asarray(xy_n, dtype=float).reshape(-1, 2))


def graded_disk_mesh(slab: SlabLattice, center, r_fine: float, r_outer: float,
                     growth: float = 1.25, slit: Slit | None = None,
                     row0: int | None = None) -> Mesh:
    """Graded triangulation of the sites of a disk, fully resolved within ``r_fine``
    of ``center`` (see :func:`graded_mesh`)."""
    if not (0 < r_fine < r_outer):
        raise GeometryError(f"need 0 < r_fine < r_outer, got r_fine={r_fine}, r_outer={r_outer}")
    c = np.asarray(center, dtype=float)
    return graded_mesh(slab, [(c[0], c[1], r_fine)], c, r_outer, growth, slit, row0)


def graded_mesh(slab: SlabLattice, resolved, center, r_outer: float, growth: float = 1.25,
                slit: Slit | None = None, row0: int | None = None) -> Mesh:
    """Graded triangulation of the sites of a disk of radius ``r_outer`` about ``center``.

    Parameters
    ----------
    slab : the site lattice.
    resolved : disks [(cx, cy, r), ...]: every site inside one (and inside the
        domain) is a node (A).  A disk may reach beyond ``r_outer``: the crystal
        is then resolved out to the boundary there (an atomistic region that
        has followed a dislocation to the held ring).
    center : (x, y) of the domain (A); r_outer : its radius (A).
    growth : ratio between the sizes of consecutive element layers (> 1),
        away from the resolved disks.
    slit : optional pre-crack; no element crosses it.
    row0 : row index the coarse sub-lattices are anchored to (default: the
        slit's row, else the row through the first resolved disk's centre).
        Rows ``row0`` and ``row0 - 1`` carry nodes at every level, so a crack
        plane between them is resolved by a row of nodes on each face.
    """
    resolved = np.asarray(resolved, dtype=float).reshape(-1, 3)
    if len(resolved) == 0 or np.any(resolved[:, 2] <= 0):
        raise GeometryError("need at least one resolved disk of positive radius")
    if not growth > 1.0:
        raise GeometryError(f"growth ratio must exceed 1, got {growth}")
    center = np.asarray(center, dtype=float)
    if np.any(np.hypot(*(resolved[:, :2] - center).T) >= r_outer):
        raise GeometryError(f"a resolved disk is centred outside r_outer = {r_outer} A")
    if row0 is None:
        row0 = slit.row if slit is not None else int(round(slab.coordinates(resolved[:1, :2])[0, 1]))
    h0 = np.sqrt(slab.area)
    tip_x = slit.tip_x if slit is not None else -np.inf
    ij = _node_sites(slab, resolved, center, r_outer, h0, growth, row0, tip_x)
    xy = ij @ slab.b_kc
    elements = triangulate_sites(xy, ij, slit)
    if slit is not None:
        ij, elements = cut_slit_bridges(ij, xy, elements, slit)
    mesh = Mesh(slab.positions(ij), elements, dim=2, thickness=slab.Lz, site_nk=ij)
    q = mesh.quality()
    if q.n_inverted or q.min_measure <= 1e-9 * slab.area:
        raise GeometryError(f"mesh generation produced degenerate elements: {q.summary()}")
    return mesh


def _node_sites(slab, resolved, center, r_outer, h0, growth, row0, tip_x):
    """Integer coordinates of the nodes: all sites in the resolved disks, nested
    sub-lattices m Z^2 further out (m from the distance to the disks)."""
    chunks = [_in_domain(slab, slab.sites_in_disk(c[:2], c[2]), center, r_outer)
              for c in resolved]
    d_far = r_outer + np.hypot(*(resolved[:, :2] - center).T).max()
    m_max = int(spacing_level(d_far, 0.0, h0, growth))
    m = 2
    while m <= m_max:
        lo, hi = _level_ring(m, 0.0, h0, growth)
        lo, hi = max(lo - m * h0, 0.0), hi + m * h0
        cand = np.concatenate([_sublattice_in_annulus(slab, c[:2], m, row0, c[2] + lo, c[2] + hi,
                                                      tip_x) for c in resolved])
        cand = unique_sites(cand)
        xy = cand @ slab.b_kc
        d = distance_to_disks(xy, resolved)
        lev = spacing_level(d, 0.0, h0, growth)
        ok = (d > 0) & (lev == m) & (np.hypot(*(xy - center).T) <= r_outer - 0.5 * m * h0)
        chunks.append(cand[ok])
        m *= 2
    # the first level (m = 1) beyond the disks: sites with spacing_level == 1
    lo, hi = _level_ring(1, 0.0, h0, growth)
    cand = unique_sites(np.concatenate([slab.sites_in_disk(c[:2], c[2] + hi + h0)
                                        for c in resolved]))
    xy = cand @ slab.b_kc
    ok = (spacing_level(distance_to_disks(xy, resolved), 0.0, h0, growth) == 1) & \
        (np.hypot(*(xy - center).T) <= r_outer - 0.5 * h0)
    chunks.append(cand[ok])
    # the ring's spacing: the level one element layer inside the ring where it is
    # closest to the resolved disks, so it is never coarser than the nodes next to it
    d_ring = r_outer - np.max(np.hypot(*(resolved[:, :2] - center).T) + resolved[:, 2])
    d_ring = max(d_ring - (h0 + (growth - 1.0) * max(d_ring, 0.0)), 0.0)
    m_ring = int(spacing_level(d_ring, 0.0, h0, growth))
    ring = _boundary_ring(slab, center, r_outer, h0 * m_ring)
    if np.isfinite(tip_x):  # both crack faces reach the outer boundary
        ends = np.concatenate([_row_end(slab, center, r_outer, row) for row in (row0, row0 - 1)])
        gap = np.linalg.norm((ring @ slab.b_kc)[:, None] - (ends @ slab.b_kc)[None], axis=2)
        ring = np.concatenate([ring[gap.min(axis=1) > 0.5 * m_ring * h0], ends])
    inner = unique_sites(np.concatenate(chunks))
    inner = _clear_of_ring(slab, inner, ring, resolved, h0, growth)
    return unique_sites(np.concatenate([inner, ring]))


def _in_domain(slab, ij, center, r_outer):
    """The sites of ``ij`` (n, 2) within ``r_outer`` of ``center``."""
    return ij[np.linalg.norm(ij @ slab.b_kc - center, axis=1) <= r_outer]


def _clear_of_ring(slab, ij, ring, resolved, h0, growth):
    """Drop nodes outside the ring polygon or closer to one of its edges than half
    their own spacing (they would make slivers with a long ring edge); nodes of
    the resolved disks stay."""
    xy = ij @ slab.b_kc
    r_xy = ring @ slab.b_kc
    c = r_xy.mean(axis=0)
    order = np.argsort(np.arctan2(r_xy[:, 1] - c[1], r_xy[:, 0] - c[0]))
    a = r_xy[order]
    b = np.roll(a, -1, axis=0)
    ab = b - a
    d = distance_to_disks(xy, resolved)
    half = 0.5 * spacing_level(d, 0.0, h0, growth) * h0
    # a node within the largest disk about c that the polygon contains, by more than
    # its half spacing, is inside and clear of every edge: test only the others
    # (a few percent of them)
    r_in = np.min(np.abs(ab[:, 0] * (c[1] - a[:, 1]) - ab[:, 1] * (c[0] - a[:, 0]))
                  / np.linalg.norm(ab, axis=1))
    near = np.nonzero(np.hypot(*(xy - c).T) + half >= r_in)[0]
    p = xy[near]
    t = np.clip(np.einsum("nec,ec->ne", p[:, None] - a[None], ab) / np.einsum("ec,ec->e", ab, ab),
                0.0, 1.0)
    dist = np.linalg.norm(p[:, None] - (a[None] + t[..., None] * ab[None]), axis=2).min(axis=1)
    cross = ab[None, :, 0] * (p[:, None, 1] - a[None, :, 1]) - ab[None, :, 1] * (p[:, None, 0] - a[None, :, 0])
    inside = np.all(cross >= -1e-9, axis=1) | np.all(cross <= 1e-9, axis=1)
    keep = np.ones(len(ij), dtype=bool)
    keep[near] = (d[near] <= 0) | (inside & (dist > half[near]))
    return ij[keep]


def _row_end(slab, center, r_outer, row):
    """The site of row ``row`` furthest along -x inside the outer circle, (1, 2)."""
    b = slab.b_kc
    y = row * b[1, 1]
    half = np.sqrt(max(r_outer**2 - (y - center[1]) ** 2, 0.0))
    i = np.ceil((center[0] - half - row * b[1, 0]) / b[0, 0])
    while np.linalg.norm(np.array([i, row]) @ b - center) > r_outer:
        i += 1
    return np.array([[i, row]], dtype=np.int64)


def _boundary_ring(slab, center, r_outer, h):
    """The lattice sites just inside the outer circle, about ``h`` apart."""
    n = max(8, int(np.ceil(2 * np.pi * r_outer / h)))
    phi = 2 * np.pi * (np.arange(n) + 0.5) / n
    pts = center + r_outer * np.column_stack([np.cos(phi), np.sin(phi)])
    c = slab.coordinates(pts)
    best = []
    for base in np.floor(c).astype(np.int64):
        cand = base + np.array([[0, 0], [1, 0], [0, 1], [1, 1], [-1, 0], [0, -1], [-1, -1],
                                [2, 0], [0, 2], [-1, 1], [1, -1]])
        d = np.linalg.norm(cand @ slab.b_kc - center, axis=1)
        inside = cand[d <= r_outer]
        best.append(inside[np.argmax(d[d <= r_outer])])
    ring = unique_sites(np.array(best, dtype=np.int64))
    # keep the strictly convex ones: a site dented inside the chord of its
    # neighbours would make a sliver
    from scipy.spatial import ConvexHull
    return ring[ConvexHull(ring @ slab.b_kc).vertices]


def _level_ring(m, r_fine, h0, growth):
    """Radii between which spacing_level equals m."""
    r_lo = r_fine + (m - 1) * h0 / (growth - 1.0)
    r_hi = r_fine + (2 * m - 1) * h0 / (growth - 1.0)
    return r_lo, r_hi


def _sublattice_in_annulus(slab, center, m, row0, r_lo, r_hi, tip_x=-np.inf):
    """Sites with i = 0 mod m and (j - row0) = 0 mod m, within the annulus.

    Behind ``tip_x`` (along a slit) the lower half is anchored to row
    ``row0 - 1`` instead, (row0 - 1 - j) = 0 mod m, so that both crack faces
    carry nodes at every level; ahead of the tip one anchor serves both halves.
    """
    c = slab.coordinates(np.array([center]))[0]
    span = r_hi / np.min(np.linalg.svd(slab.b_kc, compute_uv=False)) + 2 * m
    i = np.arange(np.floor((c[0] - span) / m) * m, np.ceil((c[0] + span) / m) * m + 1, m)
    j_up = np.arange(row0, np.ceil(c[1] + span) + 1, m)
    j_dn_slit = np.arange(row0 - 1, np.floor(c[1] - span) - 1, -m)
    j_dn = np.arange(row0 - m, np.floor(c[1] - span) - 1, -m)
    out = []
    for j, behind in ((np.concatenate([j_dn_slit[::-1], j_up]), True),
                      (np.concatenate([j_dn[::-1], j_up]), False)):
        ii, jj = np.meshgrid(i, j, indexing="ij")
        ij = np.column_stack([ii.ravel(), jj.ravel()]).astype(np.int64)
        xy = ij @ slab.b_kc
        d = np.linalg.norm(xy - center, axis=1)
        side = (xy[:, 0] <= tip_x) if behind else (xy[:, 0] > tip_x)
        out.append(ij[(d >= r_lo) & (d <= r_hi) & side])
    return np.concatenate(out)


def triangulate_sites(xy, ij, slit):
    """Constrained Delaunay triangulation of the nodes.

    The convex hull is given as segments through every node on it (lattice
    sites are often collinear there, where an unconstrained triangulation
    leaves zero-area slivers); a slit adds both faces and the tip bond.
    """
    import triangle

    segs = _hull_segments(xy)
    data = {"vertices": xy}
    if slit is not None:
        slit_segs, hole = _slit_constraints(xy, ij, slit)
        segs = np.concatenate([segs, slit_segs])
        data["holes"] = hole
    data["segments"] = segs
    out = triangle.triangulate(data, "pQ")
    if len(out["vertices"]) != len(xy):
        raise GeometryError("triangulation added points; nodes must be lattice sites")
    T = out["triangles"].astype(np.int64)
    X = xy[T]
    area2 = ((X[:, 1, 0] - X[:, 0, 0]) * (X[:, 2, 1] - X[:, 0, 1])
             - (X[:, 1, 1] - X[:, 0, 1]) * (X[:, 2, 0] - X[:, 0, 0]))
    T[area2 < 0] = T[area2 < 0][:, [0, 2, 1]]
    return T


def cut_slit_bridges(ij, xy, T, slit):
    """Drop elements that join the two crack faces behind the tip (only possible
    outside the closed mouth), then the nodes left without elements."""
    bridges = slit.straddles(ij[T])
    behind = slit.behind(xy[T]).all(axis=1)
    T = T[~(bridges & behind)]
    used = np.zeros(len(ij), dtype=bool)
    used[T.ravel()] = True
    new = np.cumsum(used) - 1
    return ij[used], new[T]


def _hull_segments(xy):
    """Boundary segments of the convex hull through all nodes lying on it."""
    from scipy.spatial import ConvexHull

    hull = ConvexHull(xy)
    segs = []
    scale = np.ptp(xy, axis=0).max()
    for a, b in hull.simplices:
        d = xy[b] - xy[a]
        L = np.linalg.norm(d)
        rel = xy - xy[a]
        dist = np.abs(rel[:, 0] * d[1] - rel[:, 1] * d[0]) / L
        t = rel @ d / L**2
        on = np.nonzero((dist < 1e-9 * scale) & (t > -1e-12) & (t < 1 + 1e-12))[0]
        on = on[np.argsort(t[on])]
        segs += [[p, q] for p, q in zip(on[:-1], on[1:])]
    return np.array(segs, dtype=np.int64)


def _slit_constraints(pts, ij, slit):
    """Segments along both crack faces up to the tip, closed by the tip bond, and a hole."""
    segs = []
    faces = []
    for row in (slit.row, slit.row - 1):
        on = np.nonzero(ij[:, slit.normal] == row)[0]
        on = on[np.argsort(pts[on, 0])]
        behind = on[pts[on, 0] <= slit.tip_x]
        if len(behind) < 2:
            raise GeometryError(f"slit tip x={slit.tip_x} leaves fewer than two nodes on row {row}")
        segs += [[a, b] for a, b in zip(behind[:-1], behind[1:])]
        faces.append(behind)
    up_tip, dn_tip = faces[0][-1], faces[1][-1]
    segs.append([up_tip, dn_tip])
    segs.append([faces[0][0], faces[1][0]])  # close the mouth so the hole cannot leak
    # hole point: between the faces, just behind the tip
    a, b = faces[0][-2:], faces[1][-2:]
    hole = 0.25 * (pts[a].sum(axis=0) + pts[b].sum(axis=0))
    return np.array(segs, dtype=np.int64), hole[None, :]
