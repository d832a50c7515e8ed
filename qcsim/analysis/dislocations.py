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

Deformation twins are found as well (:mod:`qcsim.analysis.twins`) and reported
as :class:`Dislocation` objects of ``kind`` "twin".
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
           "reference_pairs", "slip_vectors", "find_dislocations", "model_dislocations",
           "summary"]

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
    from qcsim.analysis.twins import find_twins, twinning_partials

    systems = twinning_partials(crystal, twins)
    if systems:
        ctx.update(j=j_p, n=n, b_min=b_min, ttol=float(twin_tol), tangle=float(twin_angle),
                   min_size=min_size)
        twinned = find_twins(systems, ctx)
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


def model_dislocations(model, crystal, tip_xy, **kw):
    """:func:`find_dislocations` over the atoms of a QC model (``model.regions.atoms``),
    the pre-crack faces ``model.faces_n`` cutting their bonds.  Returns the
    dislocations and the slip vectors (n_atoms, 3) in the order of the atoms."""
    atoms = model.regions.atoms
    X = model.mesh.X_nc[atoms]
    faces = None if model.faces_n is None else model.faces_n[atoms]
    return find_dislocations(X + model.U_nc[atoms], X, model.cell_cc, model.pbc_c, crystal,
                             tip_xy, face_i=faces, **kw)
