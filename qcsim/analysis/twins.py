"""Deformation twins at a crack tip, from the bonds that cross one plane.

Deformation twins ({112}<111> in bcc, {111}<112> in fcc) are reported by
:func:`qcsim.analysis.dislocations.find_dislocations` as :class:`Dislocation`
objects of ``kind`` "twin".  A twin is a band of
m successive planes each sheared by the twinning partial p (bcc 1/6<111>, fcc
1/6<112>): relative to the reference it is the homogeneous shear F = 1 + p n / h
(h the interplanar spacing; |p| / h = 1/sqrt 2 in both lattices), so every bond
that crosses one plane of the band (``dX . n = +-h``) carries p, wherever it is
in the band.  The slip vector does not show it (inside the band the bonds on the
two sides of an atom cancel; only the boundaries carry a slip vector, 1.2-1.4 A in
a bcc Fe twin, short of any Burgers vector), so twins are found from those
one-plane bonds directly:

* the *twinning partials* of a plane are its in-plane members of the family whose
  shear, followed by the mirror in the plane, maps the lattice onto itself (the
  twin is the mirror image of the matrix): per normal n one of the two 1/6<111> in
  bcc, three of the six 1/6<112> in fcc (those that make an intrinsic stacking
  fault); the opposite, anti-twinning sense makes no lattice and is no twin;
* a one-plane bond is *twinned* when its disregistry D = u(+n side) - u(-n side)
  is within ``twin_tol`` = 0.35 |p| of a twinning partial: an elastic strain e
  moves a bond by e |dX|, 0.25 A at e = 0.1, which leaves it 0.7 |p| from p in bcc
  Fe (|p| = 0.82 A) and 0.8 |p| in fcc Cu (|p| = 1.48 A), while the layers of a
  lamella short enough to be elastically accommodated by 25 % (isotropic: four
  bcc planes over 20 A between two walls of partials, 0.75 p per plane) pass;
* atoms joined by twinned bonds form a region (at least ``min_size`` atoms); a
  plane of it is a twinned *layer* when its twinned bonds run along the trace for
  2 first-neighbour distances or more (the core of a dislocation, where the
  disregistry passes through p on its way to b, and the step of a rigidly opened
  crack face, which crosses many planes for a bond or two each, have no plateau);
* per layer the disregistry (running mean over one first-neighbour distance)
  falls from p to 0 at that layer's twinning partial; its core is where it is
  p/2, as for a dislocation.  The *front* of the twin is the core farthest from
  the tip; just behind it the mean disregistry must still be within ``twin_tol``
  |p| of p (behind the core of a dislocation it is b, not p);
* per section of the band (a point of the trace, from the tip to the front) the
  *twinned planes* are the planes whose disregistry (running mean over 2
  first-neighbour distances) is within ``twin_tol`` |p| of p, and the *shear across
  the band* is the sum of the per-plane disregistries over its layers and one plane
  either side, less the elastic shear of the crystal around the band (the mean of two
  planes beyond either side: the back stress of a lamella shears its surroundings by
  0.1-0.25 |p| per plane).  A section fits when it has a twinned plane, its shear is
  parallel to p within ``twin_angle`` = 15 degrees (an elastic shear e of the band
  normal to p turns it by atan(e h / |p|) = atan(1.41 e), 8 degrees at e = 0.1; the
  other twinning partials of a plane are 120 degrees away) and exceeds its twinned
  planes times |p| by -``twin_tol`` to 1 + ``twin_tol`` |p|: each boundary of a
  relaxed bcc {112} twin may shift the twin rigidly by up to p/2 (the isosceles
  boundary; in Fe_mm the flat boundary of a crack-tip twin carries 1.13 p on the last
  twinned plane and 0.5 p on the next, constant along the band, so a band of m planes
  shears by (m + 0.5-0.65) p), and a section may cut the core of a partial, worth 0
  to p.  The ``thickness`` m is the most twinned planes of a fitting section (the
  thickest, not counting the boundaries' shifts).  A twin that grows from the tip is a
  wedge: its newest partials, near the tip, give the sections there a fraction of p
  more, so the shear of the thickest section is m + 0.5 + that fraction (6.5 |p| for
  5 planes, 8.5 |p| for 7 in the Fe twin of tests/twins/fe_crack_twin.npz), no
  integer multiple of |p| that a tolerance about one could test;
* a single layer whose partial is itself a lattice Burgers vector (the stacking
  fault behind an fcc Shockley partial) is a dislocation, not a twin; three bcc
  layers carry 3 p = 1/2<111>, but spread over three planes, so they are a twin
  (a 1/2<111> dislocation slips one plane);
* the tip exclusion, complete neighbourhood and face cut are those of the
  dislocations, and the front must be farther from the tip than ``leave_distance``
  (default tip_radius + 3 |b|, |b| the smallest lattice Burgers vector).  A slipped
  region found as a dislocation whose atoms lie mostly in a twin (the boundaries
  of the band) is part of that twin, not a dislocation.
"""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from qcsim.analysis.dislocations import (TWINS, Dislocation, _fraction, _last_crossing,
                                         crystal_vectors, miller)

__all__ = ["twinning_partials", "find_twins"]


def twinning_partials(crystal, systems=None):
    """The twin planes that contain z and their twinning partials.

    A partial p in the plane (normal n, interplanar spacing h) twins when the shear
    1 + p n / h of every plane by p, followed by the mirror in the plane, maps the
    lattice onto itself (the twin is the mirror image of the matrix).

    Returns a list of (hkl_n, n_c, h, hkl_pk, den_pk, lab_pkc) per plane, one of each
    +-n pair: Miller indices and lab unit normal, spacing (A), and the twinning
    partials of the +n side relative to the -n side (Miller, denominators, lab A).
    """
    systems = TWINS[crystal.lattice] if systems is None else systems
    prim = crystal.primitive_vectors
    prim_inv = np.linalg.inv(prim)
    R_kc = crystal.lattice_vectors(2.0 * crystal.a)
    out = []
    for plane_family, partial_family in systems:
        hkl, den, lab, is_plane = crystal_vectors(crystal, (plane_family, partial_family))
        for kp in np.nonzero(is_plane & (np.abs(lab[:, 2]) < 1e-9 * crystal.a))[0]:
            if kp != min(kp, int(np.nonzero((hkl == -hkl[kp]).all(axis=1))[0][0])):
                continue  # -n: the same plane
            n_c = lab[kp]
            proj = np.abs(R_kc @ n_c)
            h = float(proj[proj > 1e-6 * crystal.a].min())
            mirror = np.eye(3) - 2.0 * np.outer(n_c, n_c)
            keep = []
            for kv in np.nonzero(~is_plane)[0]:
                if abs(lab[kv] @ n_c) > 1e-9 * crystal.a:
                    continue
                G = mirror @ (np.eye(3) + np.outer(lab[kv], n_c) / h)
                C = prim @ G.T @ prim_inv  # the lattice in primitive coordinates
                if np.abs(C - np.round(C)).max() < 1e-6:
                    keep.append(kv)
            if keep:
                out.append((hkl[kp].copy(), n_c.copy(), h, hkl[keep], den[keep], lab[keep]))
    return out


# -- bonds and slip vectors --------------------------------------------------------


def find_twins(systems, ctx):
    """The twins (module docstring): [(Dislocation of kind "twin", its atom indices)]."""
    tol = ctx["ttol"]
    X, i_p, j_p, dX, d, mid, good = (ctx[k] for k in ("X", "i", "j", "dX", "d", "mid", "good"))
    out = []
    for hkl_n0, n0, h, hkl_p0, den_p, p0 in systems:
        ell = dX @ n0 / h
        one = np.nonzero(good & (np.abs(np.abs(ell) - 1.0) < 0.05))[0]  # bonds across one plane
        if len(one) == 0:
            continue
        D0 = np.sign(ell[one])[:, None] * d[one]  # the +n0 side relative to the -n0 side
        c0 = float(X[0] @ n0) + 0.5 * h
        gap = np.rint((mid[one] @ n0 - c0) / h).astype(int)
        p_len = float(np.linalg.norm(p0[0]))
        miss = np.linalg.norm(D0[:, None, :] - p0[None], axis=2)
        kp_b = np.argmin(miss, axis=1)
        tw = miss[np.arange(len(one)), kp_b] < tol * p_len
        if tw.sum() < 2:
            continue
        bi, bj = i_p[one[tw]], j_p[one[tw]]
        graph = coo_matrix((np.ones(len(bi)), (bi, bj)), shape=(ctx["n"], ctx["n"]))
        _, comp = connected_components(graph, directed=False)
        comp_b = comp[bi]
        for c in np.unique(comp_b):
            sel = np.nonzero(tw)[0][comp_b == c]
            atoms = np.unique(np.concatenate([i_p[one[sel]], j_p[one[sel]]]))
            if len(atoms) < ctx["min_size"]:
                continue
            kp = int(np.bincount(kp_b[sel]).argmax())  # the region's partial
            sel = sel[kp_b[sel] == kp]
            found = _twin_region(one, sel, D0, gap, hkl_n0, n0, hkl_p0[kp], den_p[kp], p0[kp],
                                 len(atoms), ctx)
            if found is not None:
                out.append((found, atoms))
    return out


def _twin_region(one, sel, D0, gap, hkl_n, n_c, hkl_p, den_p, p_c, n_atoms, ctx):
    """The twin of one region, or None.  ``one``: the one-plane bonds, D0 (their
    disregistries across n_c) and gap (their plane indices) per bond; ``one[sel]``: the
    region's twinned bonds; p_c: its twinning partial (lab, A) on the +n_c side."""
    d_nn, tip, tol, mid = ctx["d_nn"], ctx["tip"], ctx["ttol"], ctx["mid"]
    p_len = float(np.linalg.norm(p_c))
    t_c = np.array([n_c[1], -n_c[0], 0.0])  # n x z, so that n = z x t
    D = D0
    if np.mean((mid[one[sel], :2] - tip) @ t_c[:2]) < 0:  # t from the tip towards the twin
        hkl_n, n_c, t_c, hkl_p, p_c, D = -hkl_n, -n_c, -t_c, -hkl_p, -p_c, -D0
    e_p = p_c / p_len
    xi = (mid[one, :2] - tip) @ t_c[:2]
    # the layers: planes whose twinned bonds run along the trace for 2 neighbour distances
    layers = []
    for k in np.unique(gap[sel]):
        xs = xi[sel][gap[sel] == k]
        if len(xs) >= 2 and xs.max() - xs.min() >= 2.0 * d_nn:
            layers.append((int(k), float(xs.min()), float(xs.max())))
    if not layers:
        return None
    bv_lab = ctx["bv"][2]
    if len(layers) == 1 and np.min(np.linalg.norm(bv_lab - p_c, axis=1)) < 1e-6 * p_len:
        return None  # one plane slipped by a lattice partial: a dislocation's fault
    fronts = []
    for k, lo, hi in layers:
        on = (gap == k) & (xi > lo - d_nn) & (xi < hi + 3.0 * d_nn)
        fronts.append(_last_crossing(xi[on], D[on] @ e_p, 0.5 * p_len, d_nn))
    f = int(np.argmax(fronts))
    k_f, front = layers[f][0], fronts[f]
    behind = (gap == k_f) & (xi > front - 4.0 * d_nn) & (xi < front - 0.5 * d_nn)
    if behind.sum() < 2 or np.linalg.norm(D[behind].mean(axis=0) - p_c) > tol * p_len:
        return None
    # the plateau across the band: the layers and a plane either side, less the elastic
    # shear of the crystal around it (two planes beyond either side), thickest section
    k_lo, k_hi = min(k for k, _, _ in layers), max(k for k, _, _ in layers)
    grid = np.arange(min(lo for _, lo, _ in layers), front, 0.25 * d_nn)
    if len(grid) == 0:
        return None

    def profile(k):
        """Running mean (window 2 d_nn) of the disregistry of plane k on the grid, and
        where it has bonds."""
        on = np.nonzero(gap == k)[0]
        o = on[np.argsort(xi[on], kind="stable")]
        c = np.vstack([np.zeros(3), np.cumsum(D[o], axis=0)])
        lo = np.searchsorted(xi[o], grid - d_nn, "left")
        hi = np.searchsorted(xi[o], grid + d_nn, "right")
        cnt = hi - lo
        return (c[hi] - c[lo]) / np.maximum(cnt, 1)[:, None], cnt > 0

    band = [profile(k) for k in range(k_lo - 1, k_hi + 2)]
    around = [profile(k) for k in (k_lo - 3, k_lo - 2, k_hi + 2, k_hi + 3)]
    n_bg = sum(has for _, has in around).astype(float)
    background = sum(np.where(has[:, None], v, 0.0) for v, has in around)
    background = np.where(n_bg[:, None] > 0, background / np.maximum(n_bg, 1)[:, None], 0.0)
    total = sum(np.where(has[:, None], v - background, 0.0) for v, has in band)
    # per section: the twinned planes (running mean within tol |p| of p) and the shear
    # beyond them, which the boundaries' rigid shifts (up to p/2 each) may add
    count = sum(has & (np.linalg.norm(v - p_c, axis=1) < tol * p_len) for v, has in band)
    along = total @ e_p / p_len
    excess = along - count
    cos = along * p_len / np.maximum(np.linalg.norm(total, axis=1), 1e-12)
    fits = ((count >= 1) & (excess > -tol) & (excess < 1.0 + tol)
            & (cos > np.cos(np.radians(ctx["tangle"]))))
    if not fits.any():
        return None
    m = int(count[fits].max())  # the thickest section whose shear fits
    m0 = float(np.mean(mid[one[gap == k_f]] @ n_c))  # the front's plane: n . r = m0
    core_xy = tip + (m0 - tip @ n_c[:2]) * n_c[:2] + front * t_c[:2]
    dist = float(np.hypot(*(core_xy - tip)))
    leave = ctx["r_tip"] + 3.0 * ctx["b_min"] if ctx["leave"] is None else ctx["leave"]
    if dist < leave:
        return None
    total_hkl = m * np.asarray(hkl_p)
    g = int(np.gcd.reduce(np.abs(total_hkl[total_hkl != 0])))
    total_name = _fraction(g, int(den_p)) + miller(total_hkl // g)
    return Dislocation(
        core_xy=core_xy, burgers_c=p_c.copy(), burgers=miller(hkl_p, int(den_p)),
        plane_normal_c=n_c.copy(), plane=miller(hkl_n, 1, "()"), distance=dist,
        angle=float(np.degrees(np.arctan2(core_xy[1] - tip[1], core_xy[0] - tip[0]))),
        n_slipped=int(n_atoms), total_burgers_c=m * p_c, total_burgers=total_name,
        kind="twin", thickness=float(m))
