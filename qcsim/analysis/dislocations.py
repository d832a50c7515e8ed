"""Emitted dislocations from the slip vector of labelled atoms (slab mode).

Every atom has a reference site X_ic and a current position x_ic, so each
first-shell bond of the reference keeps its identity and no neighbour matching
is needed.  Per bond, the relative displacement ``d_ij = (x_j - x_i) - (X_j - X_i)``
(A); per atom the slip vector (Zimmerman, Kelchner, Klein, Hamilton & Foiles,
PRL 87, 165507 (2001)), in the variant that sums only the slipped bonds::

    s_i = -(1 / n_s) sum_{j : |d_ij| > slip_min} d_ij

so that an atom next to a slipped plane has |s_i| = |b| whatever the number of
bonds that cross it, and elastic bonds add nothing.  Bonds cut by a pre-crack
(``face_i`` 1 with 2) are not bonds; atoms whose reference shell is
incomplete (free surfaces, the edge of the atoms) and atoms near the tip are
never slipped.

A connected group of slipped atoms is a dislocation's slipped region when its
slipped bonds all cross one low-index plane that contains the front z (their
midpoints lie on it) and their mean disregistry just behind the core lies
within ``burgers_tol`` |b| of a lattice Burgers vector in that plane (the
opening of a crack, normal to its plane, or a broken bond never does).  Along
the plane's trace the disregistry of the bonds across it (running mean over
one first-neighbour distance) falls from b to 0 across the core; the core is
where it is b/2 (the disregistry of an isotropic Volterra dislocation is
exactly b/2 at the line, for bonds of any tilt), taken at the end of the
region farthest from the tip: the leading partial of an fcc stacking-fault
ribbon.  The region counts as emitted when that core is farther from the tip
than ``leave_distance``.

Conventions: ``t`` is the in-plane unit vector from the tip towards the core
(normal to z), the plane normal is ``n = z x t`` and the Burgers vector is the
displacement of the material on the +n side relative to the -n side within the
slipped region, i.e. the Volterra field of a line along +z whose cut runs from
the core back towards the tip (u = b theta / 2 pi about the line: the FS/RH
convention of Hirth & Lothe).

Deformation twins ({112}<111> in bcc, {111}<112> in fcc) are found too and
reported as :class:`Dislocation` objects of ``kind`` "twin".  A twin is a band of
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

import itertools
import re
from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from qcsim.analysis.defects import Shells
from qcsim.neighbors import NeighborList

__all__ = ["Dislocation", "FAMILIES", "PLANES", "TWINS", "crystal_vectors", "miller",
           "reference_pairs", "slip_vectors", "twinning_partials", "find_dislocations",
           "model_dislocations", "summary"]

#: Burgers vector families per lattice (crystal Miller notation, units of a)
FAMILIES = {"fcc": ("1/6<112>", "1/2<110>"), "bcc": ("1/2<111>",), "sc": ("<100>",)}
#: slip plane families per lattice
PLANES = {"fcc": ("{111}",), "bcc": ("{110}", "{112}"), "sc": ("{100}", "{110}")}
#: twinning systems per lattice: (twin plane family, twinning partial family)
TWINS = {"fcc": (("{111}", "1/6<112>"),), "bcc": (("{112}", "1/6<111>"),), "sc": ()}


@dataclass(frozen=True)
class Dislocation:
    """One emitted dislocation (its line along z), conventions in the module docstring.

    core_xy : (2,) core of the outermost dislocation (A): the leading partial of an
        fcc ribbon.
    burgers_c : (3,) its Burgers vector, lab frame (A); burgers : the same in crystal
        Miller notation, e.g. "1/6[-1-12]".
    plane_normal_c : (3,) lab unit normal n = z x t of the slip plane; plane : its
        Miller indices, e.g. "(11-1)".
    distance : |core - tip| (A); angle : direction tip -> core from +x (degrees).
    n_slipped : slipped atoms in the region.
    total_burgers_c, total_burgers : slip next to the tip (lab, A; Miller): the
        full vector when a trailing partial has followed, else ``burgers``.
    trailing_distance : distance of the trailing partial's core from the tip (A),
        NaN without one.
    kind : "dislocation", or "twin" for a deformation twin (module docstring): then
        core_xy is the twin's front (the twinning partial farthest from the tip),
        burgers_c / burgers the twinning partial p (e.g. "1/6[111]"), plane the twin
        plane, n_slipped the atoms of the band, total_burgers_c / total_burgers the
        twinned shear m p (e.g. "2/3[111]", m the thickness) and trailing_distance NaN.
    thickness : twinned planes m of a twin (those carrying p in its thickest section,
        the boundaries' rigid shifts not counted); NaN for a dislocation.
    """

    core_xy: np.ndarray
    burgers_c: np.ndarray
    burgers: str
    plane_normal_c: np.ndarray
    plane: str
    distance: float
    angle: float
    n_slipped: int
    total_burgers_c: np.ndarray
    total_burgers: str
    trailing_distance: float = float("nan")
    kind: str = "dislocation"
    thickness: float = float("nan")

    def row(self) -> dict:
        """Plain values for a results table."""
        return {"core_x": float(self.core_xy[0]), "core_y": float(self.core_xy[1]),
                "distance": float(self.distance), "angle": float(self.angle),
                "burgers": self.burgers, "plane": self.plane, "n_slipped": int(self.n_slipped),
                "total_burgers": self.total_burgers,
                "trailing_distance": float(self.trailing_distance), "kind": self.kind,
                "thickness": float(self.thickness)}


def summary(dislocations) -> dict:
    """Per-step table entries: ``emitted`` (a dislocation or a twin), ``n_dislocations``
    (all of them, twins included), ``n_twins`` and parallel lists (core_x, core_y,
    distance, angle, burgers, plane, ..., kind, thickness) of the dislocations."""
    rows = [d.row() for d in dislocations]
    keys = ("core_x", "core_y", "distance", "angle", "burgers", "plane", "n_slipped",
            "total_burgers", "trailing_distance", "kind", "thickness")
    out = {"emitted": bool(rows), "n_dislocations": len(rows),
           "n_twins": sum(r["kind"] == "twin" for r in rows)}
    out.update({k: [r[k] for r in rows] for k in keys})
    return out


# -- crystallography ---------------------------------------------------------------
def miller(hkl, den: int = 1, brackets: str = "[]") -> str:
    """Miller notation of integer indices: ``miller((-1, -1, 2), 6) == "1/6[-1-12]"``."""
    body = "".join(str(int(v)) for v in hkl)
    return (f"1/{den}" if den > 1 else "") + brackets[0] + body + brackets[1]


def crystal_vectors(crystal, families):
    """Every member of the families, e.g. ``("1/6<112>", "{111}")``.

    Returns
    -------
    hkl_kc : (k, 3) int Miller indices; den_k : (k,) int denominators (1 for planes);
    lab_kc : (k, 3) lab-frame vectors: den-scaled directions (A), unit plane normals;
    plane_k : (k,) bool, the entry is a plane normal.
    """
    hkl, den, plane = [], [], []
    for fam in families:
        m = re.fullmatch(r"(?:1/(\d+))?([<{])(\d)(\d)(\d)[>}]", fam.replace(" ", ""))
        if m is None:
            raise ValueError(f"cannot parse the family {fam!r} (e.g. '1/6<112>', '{{111}}')")
        base = [int(v) for v in m.group(3, 4, 5)]
        members = {tuple(int(p * s) for p, s in zip(perm, sign))
                   for perm in itertools.permutations(base)
                   for sign in itertools.product((1, -1), repeat=3)}
        members.discard((0, 0, 0))
        for v in sorted(members):
            hkl.append(v)
            den.append(int(m.group(1) or 1))
            plane.append(m.group(2) == "{")
    hkl_kc, den_k, plane_k = np.array(hkl, int), np.array(den), np.array(plane)
    lab = crystal.to_lab(hkl_kc / den_k[:, None])
    lab[plane_k] /= np.linalg.norm(lab[plane_k], axis=1)[:, None]
    return hkl_kc, den_k, lab, plane_k


def _fraction(num: int, den: int) -> str:
    """'2/3' style prefix of a Miller vector (empty for 1)."""
    g = int(np.gcd(num, den))
    num, den = num // g, den // g
    return "" if num == den == 1 else (f"{num}" if den == 1 else f"{num}/{den}")


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
def reference_pairs(X_ic, cell_cc, pbc_c, r: float, face_i=None):
    """Each bond shorter than ``r`` in the reference once: (i_p, j_p, dX_pc = X_j - X_i,
    images included); bonds between face labels 1 and 2 are left out."""
    X_ic = np.asarray(X_ic, dtype=float)
    nl = NeighborList(r, 0.0)
    nl.build(X_ic, cell_cc, pbc_c)
    i_p, j_p, dX_pc = nl.pairs(X_ic, r)
    if face_i is not None:
        f = np.asarray(face_i)
        cut = ((f[i_p] == 1) & (f[j_p] == 2)) | ((f[i_p] == 2) & (f[j_p] == 1))
        i_p, j_p, dX_pc = i_p[~cut], j_p[~cut], dX_pc[~cut]
    return i_p, j_p, dX_pc


def slip_vectors(d_pc, i_p, j_p, n: int, slip_min: float) -> np.ndarray:
    """Slip vectors s_ic (n, 3) (A) from the bond disregistries d_pc = u_j - u_i of the
    half list (i_p, j_p): -(1/n_s) times the sum over the n_s bonds with |d| > slip_min
    (zero for atoms without one)."""
    big = np.einsum("pc,pc->p", d_pc, d_pc) > slip_min * slip_min
    i, j, d = i_p[big], j_p[big], d_pc[big]
    s = np.column_stack([np.bincount(j, d[:, c], n) - np.bincount(i, d[:, c], n)
                         for c in range(3)])
    n_s = np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    return s / np.maximum(n_s, 1)[:, None]


def _last_crossing(xi, sigma, level: float, width: float) -> float:
    """Largest xi where the running mean (window ``width``) of sigma(xi) falls to level."""
    order = np.argsort(xi, kind="stable")
    xi, sigma = xi[order], sigma[order]
    c = np.concatenate([[0.0], np.cumsum(sigma)])
    lo = np.searchsorted(xi, xi - 0.5 * width, "left")
    hi = np.searchsorted(xi, xi + 0.5 * width, "right")
    avg = (c[hi] - c[lo]) / (hi - lo)
    above = np.nonzero(avg >= level)[0]
    if len(above) == 0:
        return float(xi[0])
    k = above[-1]
    if k == len(xi) - 1:
        return float(xi[k])
    f = (avg[k] - level) / (avg[k] - avg[k + 1])
    return float(xi[k] + f * (xi[k + 1] - xi[k]))


# -- finding the dislocations ------------------------------------------------------
def find_dislocations(x_ic, X_ic, cell_cc, pbc_c, crystal, tip_xy, *, face_i=None,
                      exclude_i=None, families=None, planes=None, slip_min=None,
                      tip_radius=None, leave_distance=None, burgers_tol: float = 0.35,
                      min_size: int = 4, twins=None, twin_tol: float = 0.35,
                      twin_angle: float = 15.0):
    """Dislocations emitted from a crack tip: slipped regions that carry a Burgers vector.

    Parameters
    ----------
    x_ic, X_ic : (n, 3) current and reference positions (A); x - X must be the
        displacement (not wrapped into the periodic cell).
    cell_cc, pbc_c : periodic cell (slab mode: ``diag(0, 0, Lz)``, z periodic).
    crystal : the host :class:`qcsim.lattice.Crystal` (lab frame: z = front).
    tip_xy : (2,) crack tip (A).
    face_i : optional (n,) int, 1 above the pre-crack, 2 below, 0 elsewhere: bonds
        between 1 and 2 do not exist.
    exclude_i : optional (n,) bool, atoms that are never slipped.
    families, planes : Burgers vector and slip plane families (default
        :data:`FAMILIES`, :data:`PLANES` of the lattice).
    slip_min : disregistry (A) above which a bond, and slip vector above which an
        atom, is slipped; default half the smallest Burgers vector (fcc a/(2 sqrt 6) =
        0.74 A in Cu, bcc a sqrt(3)/4 = 1.24 A in Fe): a strain of 0.29 (fcc) or 0.5
        (bcc) of a first-neighbour bond, beyond any elastic state away from the tip,
        and the b/2 that places the region's edge at the core.
    tip_radius : atoms closer than this to the tip (reference, A) are never slipped
        (the opening there is the crack's own); default 2 first-neighbour distances.
    leave_distance : a core (a twin's front) counts as emitted beyond this distance from
        the tip (A); default tip_radius + 3 |b|: past the tip's disturbed zone by a few
        core widths (for a twin, |b| the smallest lattice Burgers vector).
    burgers_tol : the mean disregistry behind the core must lie within
        burgers_tol * |b| of a lattice Burgers vector in the slip plane.
    min_size : fewest slipped atoms of a region (a slab of one period holds about one
        slipped atom per A of trace in fcc: 4 is a ribbon of a few |b|).
    twins : twinning systems ((plane family, partial family), ...) looked for, default
        :data:`TWINS` of the lattice; ``()`` looks for dislocations only.
    twin_tol : a one-plane bond is twinned within twin_tol |p| of a twinning partial
        p, and so is a plane of a section of the band; the shear across a section
        may exceed its m twinned planes' m |p| by -twin_tol to 1 + twin_tol |p|.
    twin_angle : the shear across a section of a twin must be parallel to p within this
        (degrees).

    Returns
    -------
    dislocations : list of :class:`Dislocation` (twins of ``kind`` "twin" included),
        nearest to the tip first.
    slip_ic : (n, 3) slip vectors (A) of all atoms (excluded ones included).
    """
    x_ic, X_ic = np.asarray(x_ic, dtype=float), np.asarray(X_ic, dtype=float)
    n = len(X_ic)
    tip = np.asarray(tip_xy, dtype=float)[:2]
    shells = Shells.of(crystal)
    r_coord, n_coord = shells.coordination
    d_nn = float(shells.d_s[0])
    families = tuple(families or FAMILIES[crystal.lattice])
    hkl, den, lab, is_plane = crystal_vectors(
        crystal, families + tuple(planes or PLANES[crystal.lattice]))
    along_z = np.abs(lab[:, 2]) < 1e-9 * crystal.a
    bv = (hkl[~is_plane], den[~is_plane], lab[~is_plane])
    pl = (hkl[is_plane & along_z], lab[is_plane & along_z])
    b_min = float(np.linalg.norm(bv[2], axis=1).min())
    slip_min = 0.5 * b_min if slip_min is None else float(slip_min)
    tip_radius = 2.0 * d_nn if tip_radius is None else float(tip_radius)

    i_p, j_p, dX_pc = reference_pairs(X_ic, cell_cc, pbc_c, r_coord, face_i)
    u_ic = x_ic - X_ic
    d_pc = u_ic[j_p] - u_ic[i_p]
    slip_ic = slip_vectors(d_pc, i_p, j_p, n, slip_min)
    ok = (np.bincount(i_p, minlength=n) + np.bincount(j_p, minlength=n)) == n_coord
    ok &= np.hypot(*(X_ic[:, :2] - tip).T) >= tip_radius
    if exclude_i is not None:
        ok &= ~np.asarray(exclude_i, dtype=bool)
    slipped = ok & (np.linalg.norm(slip_ic, axis=1) > slip_min)
    good_p = ok[i_p] & ok[j_p]
    bond_slipped = good_p & (np.einsum("pc,pc->p", d_pc, d_pc) > slip_min * slip_min)
    link = slipped[i_p] & slipped[j_p]
    graph = coo_matrix((np.ones(int(link.sum())), (i_p[link], j_p[link])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    label = np.where(slipped, label, -1)
    sizes = np.bincount(label[slipped], minlength=1)
    mid_pc = X_ic[i_p] + 0.5 * dX_pc
    ctx = dict(X=X_ic, i=i_p, tip=tip, d=d_pc, dX=dX_pc, mid=mid_pc, good=good_p, d_nn=d_nn,
               bv=bv, pl=pl, tol=burgers_tol, leave=leave_distance, r_tip=tip_radius)
    out, regions = [], []
    for lab_k in np.nonzero(sizes >= min_size)[0]:
        in_region = label == lab_k
        mine = bond_slipped & in_region[i_p] & in_region[j_p]
        found = _region(mine, int(sizes[lab_k]), ctx)
        if found is not None:
            out.append(found)
            regions.append(in_region)
    systems = twinning_partials(crystal, twins)
    if systems:
        ctx.update(j=j_p, n=n, b_min=b_min, ttol=float(twin_tol), tangle=float(twin_angle),
                   min_size=min_size)
        twinned = _twins(systems, ctx)
        if twinned:
            # the boundaries of a twin band carry slip vectors too: part of the twin
            in_twin = np.zeros(n, bool)
            for _, atoms in twinned:
                in_twin[atoms] = True
            out = [d for d, r in zip(out, regions) if in_twin[r].mean() < 0.5]
            out += [t for t, _ in twinned]
    out.sort(key=lambda d: d.distance)
    return out, slip_ic


def _nearest(D_c, bv, n_c):
    """Index of the in-plane Burgers vector nearest to D_c, and its misfit |D - b| / |b|."""
    b = bv[2]
    inplane = np.nonzero(np.abs(b @ n_c) < 1e-6 * np.linalg.norm(b, axis=1))[0]
    if len(inplane) == 0:
        return None, np.inf
    dist = np.linalg.norm(b[inplane] - D_c, axis=1)
    k = inplane[np.argmin(dist)]
    return k, float(dist.min() / np.linalg.norm(b[k]))


def _plane(dX_pc, mid_pc, hkl_k, n_kc, d_nn):
    """The candidate plane that the slipped bonds all cross with their midpoints on it:
    (Miller indices, lab normal), or None."""
    if len(n_kc) == 0:  # no slip plane of the crystal contains the front
        return None
    crosses = np.mean(np.abs(dX_pc @ n_kc.T) > 0.05 * d_nn, axis=0)
    spread = np.std(mid_pc @ n_kc.T, axis=0)
    k = int(np.argmin((1.0 - crosses) * 10.0 + spread / d_nn))
    return None if crosses[k] < 0.9 else (hkl_k[k].copy(), n_kc[k].copy())


def _region(mine, n_slipped, ctx):
    """The Dislocation of one slipped region (its slipped bonds: mask ``mine``), or None."""
    d_nn, tip, bv = ctx["d_nn"], ctx["tip"], ctx["bv"]
    dX, mid, d = ctx["dX"][mine], ctx["mid"][mine], ctx["d"][mine]
    plane = _plane(dX, mid, *ctx["pl"], d_nn) if len(dX) >= 2 else None
    if plane is None:
        return None
    hkl_n, n_c = plane
    t_c = np.array([n_c[1], -n_c[0], 0.0])  # n x z, so that n = z x t
    if np.mean((mid[:, :2] - tip) @ t_c[:2]) < 0:  # t from the tip towards the region
        hkl_n, n_c, t_c = -hkl_n, -n_c, -t_c
    m0 = float(np.mean(mid @ n_c))  # the slip plane: n . r = m0
    D = np.sign(dX @ n_c)[:, None] * d  # slip of the +n side relative to the -n side
    xi = (mid[:, :2] - tip) @ t_c[:2]
    # the disregistry profile: every bond across the plane along the region and past it
    h_p = (ctx["X"] @ n_c - m0)[ctx["i"]]
    across = ctx["good"] & (h_p * (h_p + ctx["dX"] @ n_c) < 0)
    xi_all = (ctx["mid"][across, :2] - tip) @ t_c[:2]
    D_all = np.sign(ctx["dX"][across] @ n_c)[:, None] * ctx["d"][across]
    near = (xi_all > xi.min() - d_nn) & (xi_all < xi.max() + 3.0 * d_nn)
    xi_all, D_all = xi_all[near], D_all[near]
    if len(xi_all) == 0:
        return None

    def core(b_c, behind_c=None, upto=np.inf):
        """Farthest xi where the disregistry along b - behind has fallen to half of it."""
        jump = b_c if behind_c is None else b_c - behind_c
        base = np.zeros(3) if behind_c is None else behind_c
        sel = xi_all <= upto
        e = jump / np.linalg.norm(jump)
        return _last_crossing(xi_all[sel], (D_all[sel] - base) @ e,
                              0.5 * np.linalg.norm(jump), d_nn)

    kb, _ = _nearest(D.mean(axis=0), bv, n_c)
    if kb is None:
        return None
    xi_c = core(bv[2][kb])
    for _ in range(2):  # the Burgers vector is the slip of the plateau just behind the core
        behind = (xi > xi_c - 4.0 * d_nn) & (xi < xi_c - 0.5 * d_nn)
        kb2, misfit = _nearest(D[behind].mean(axis=0) if behind.sum() >= 2 else D.mean(axis=0),
                               bv, n_c)
        if kb2 is None or misfit > ctx["tol"]:
            return None
        if kb2 == kb:
            break
        kb, xi_c = kb2, core(bv[2][kb2])
    b_c = bv[2][kb]
    offset_xy = (m0 - tip @ n_c[:2]) * n_c[:2]  # from the tip to the plane
    core_xy = tip + offset_xy + xi_c * t_c[:2]
    dist = float(np.hypot(*(core_xy - tip)))
    leave = ctx["r_tip"] + 3.0 * np.linalg.norm(b_c) if ctx["leave"] is None else ctx["leave"]
    if dist < leave:
        return None
    # the slip next to the tip: the full vector once a trailing partial has left too
    kt, misfit = _nearest(D[xi < xi.min() + 3.0 * d_nn].mean(axis=0), bv, n_c)
    trailing = float("nan")
    if kt is None or misfit > ctx["tol"] or kt == kb:
        kt = kb
    else:
        xi_t = core(bv[2][kt], b_c, upto=xi_c - 0.5 * d_nn)
        trailing = float(np.hypot(*(offset_xy + xi_t * t_c[:2])))
    return Dislocation(
        core_xy=core_xy, burgers_c=b_c.copy(), burgers=miller(bv[0][kb], bv[1][kb]),
        plane_normal_c=n_c, plane=miller(hkl_n, 1, "()"), distance=dist,
        angle=float(np.degrees(np.arctan2(core_xy[1] - tip[1], core_xy[0] - tip[0]))),
        n_slipped=n_slipped, total_burgers_c=bv[2][kt].copy(),
        total_burgers=miller(bv[0][kt], bv[1][kt]), trailing_distance=trailing)


def _twins(systems, ctx):
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


def model_dislocations(model, crystal, tip_xy, **kw):
    """:func:`find_dislocations` over the atoms of a QC model (``model.regions.atoms``),
    the pre-crack faces ``model.faces_n`` cutting their bonds.  Returns the
    dislocations and the slip vectors (n_atoms, 3) in the order of the atoms."""
    atoms = model.regions.atoms
    X = model.mesh.X_nc[atoms]
    faces = None if model.faces_n is None else model.faces_n[atoms]
    return find_dislocations(X + model.U_nc[atoms], X, model.cell_cc, model.pbc_c, crystal,
                             tip_xy, face_i=faces, **kw)
