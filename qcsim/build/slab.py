"""Assemble a slab-mode QC model from a crystal, a potential and a few radii.

This is the one place that composes lattice -> mesh -> regions -> Cauchy-Born
-> model; tasks and scripts call it rather than repeating the wiring.  A
fully atomistic model of the same domain is the same call with
``r_core >= r_outer`` (every site a node and an atom).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcsim.build.domain import Domain
from qcsim.continuum.cauchy_born import CauchyBorn
from qcsim.continuum.surface import FaceTerm, face_edges, surface_excess
from qcsim.coupling.regions import check_fully_resolved, union_regions
from qcsim.coupling.schemes import get_scheme
from qcsim.errors import GeometryError
from qcsim.lattice import Crystal, SlabLattice
from qcsim.geometry import Ball, Slit, balls
from qcsim.mesh.generators import GradedSlabMesher, ResolvedSlabMesher
from qcsim.model import QCModel
from qcsim.parallel import SERIAL

__all__ = ["SlabSetup", "build_slab_model", "slit_faces"]


@dataclass(frozen=True)
class SlabSetup:
    """Geometry and coupling of a slab-mode QC model (lengths in A).

    center : (x, y) of the atomistic core; r_core : its radius.
    r_outer : radius of the whole domain; fixed_width : nodes farther than
        ``r_outer - fixed_width`` from the centre are held by the boundary condition.
    handshake, pad : widths; None = the scheme's defaults (2 cutoffs of
        handshake for blended schemes, ``pad_cutoffs`` cutoffs plus the skin of pad).
    growth : element size ratio between layers; profile : blending function.
    slit : optional pre-crack through the mesh; voids : integer site
        coordinates (k, 2) that carry no atom (inside the core).
    cores : more atomistic disks ((cx, cy, r), ...) besides the one at
        ``center``: where adaptivity has made the crystal atomistic.
    refined : disks ((cx, cy, r), ...) resolved to every site without being
        atomistic (where the curvature indicator asked for refinement).
    domain_center : centre of the outer disk (default: ``center``).
    slit_cohesion : whether atoms on the two faces of the slit behind its tip
        interact.  False (default): they do not, so the atomistic region sees
        the same cohesionless pre-crack as the continuum, whose slit no element
        bridges.  True: they do, and atomistic faces can re-bond where the
        continuum faces cannot.
    face_energy : whether the continuum faces of the slit carry the surface
        excess energy of the potential (:mod:`qcsim.continuum.surface`); with
        it the surface stress of the faces is the same everywhere, atomistic
        or continuum.
    """

    center: tuple = (0.0, 0.0)
    r_core: float = 10.0
    r_outer: float = 100.0
    scheme: str = "bgfc"
    handshake: float | None = None
    pad: float | None = None
    growth: float = 1.25
    profile: str = "cubic"
    fixed_width: float = 0.0
    skin: float = 1.0
    slit: Slit | None = None
    voids: tuple = ()
    cores: tuple = ()
    refined: tuple = ()
    domain_center: tuple | None = None
    slit_cohesion: bool = False
    face_energy: bool = True


def slit_faces(site_nk, X_nc, slit) -> np.ndarray:
    """Labels (n,) of the sites on either side of a slit behind its tip: 1 above the
    plane, 2 below, 0 elsewhere (:meth:`qcsim.geometry.Slit.face_labels`)."""
    return slit.face_labels(site_nk, X_nc)


def build_slab_model(potential, crystal: Crystal, setup: SlabSetup, species: int = 0,
                     comm=SERIAL):
    """Build the model; returns ``(model, slab_lattice)``.  ``comm``: the ranks that
    share the model's evaluation (:class:`qcsim.model.QCModel`)."""
    scheme = get_scheme(setup.scheme)
    slab = SlabLattice.of(crystal)
    rc = potential.cutoff
    handshake, pad = scheme.widths(rc, setup.skin, setup.handshake, setup.pad)
    center = np.asarray(setup.center, dtype=float)
    dom = center if setup.domain_center is None else np.asarray(setup.domain_center, dtype=float)
    cores = [(center[0], center[1], setup.r_core)] + [tuple(c) for c in setup.cores]
    atomistic_only = setup.r_core >= setup.r_outer
    grow = handshake + pad + slab.row_spacing
    domain_ball = Ball(tuple(dom), setup.r_outer)
    if atomistic_only:
        mesh = ResolvedSlabMesher().generate(slab, None, domain_ball, setup.slit)
    else:
        resolved = [(cx, cy, r + grow) for cx, cy, r in cores] + [tuple(c) for c in setup.refined]
        # the first core must fit (a QC model has continuum around its core); disks
        # added later may reach the boundary, where the crystal is then atomistic
        cx, cy, r = resolved[0]
        if np.hypot(cx - dom[0], cy - dom[1]) + r >= setup.r_outer:
            raise GeometryError(
                f"core ({r - grow:g} A) + handshake ({handshake:.2f} A) + pad ({pad:.2f} A) "
                f"does not fit inside r_outer = {setup.r_outer} A")
        for cx, cy, _ in resolved[1:]:
            if np.hypot(cx - dom[0], cy - dom[1]) >= setup.r_outer:
                raise GeometryError(f"a resolved disk centred at ({cx:.1f}, {cy:.1f}) A lies "
                                    f"outside r_outer = {setup.r_outer} A")
        mesh = GradedSlabMesher(setup.growth).generate(slab, balls(resolved), domain_ball,
                                                       setup.slit)
    regions = union_regions(mesh, cores, handshake, pad, setup.profile)
    sites = np.concatenate([slab.sites_in_disk((cx, cy), r + handshake + pad)
                            for cx, cy, r in cores])
    sites = sites[np.linalg.norm(sites @ slab.b_kc - dom, axis=1) <= setup.r_outer]
    check_fully_resolved(mesh, regions, sites)
    fixed = np.linalg.norm(mesh.X_nc[:, :2] - dom, axis=1) > setup.r_outer - setup.fixed_width
    if setup.fixed_width <= 0:
        fixed = np.zeros(mesh.n_nodes, dtype=bool)
        fixed[mesh.boundary_nodes()] = True
        if setup.slit is not None:  # the crack faces are free surfaces, not boundary
            on_face = setup.slit.on_face_planes(mesh.site_nk) & \
                setup.slit.behind(mesh.X_nc, tol=0.0)
            inside = np.linalg.norm(mesh.X_nc[:, :2] - dom, axis=1) < setup.r_outer - 2 * np.sqrt(
                slab.area)
            fixed &= ~(on_face & inside)
    if len(setup.voids):
        index = {tuple(v): n for n, v in enumerate(mesh.site_nk.tolist())}
        try:
            void_n = np.array([index[tuple(v)] for v in np.asarray(setup.voids).tolist()])
        except KeyError as e:
            raise GeometryError(f"void site {e.args[0]} is not inside the domain") from None
        regions = regions.with_voids(void_n)
        fixed[void_n] = True
    cb = CauchyBorn.of_crystal(potential, crystal, species=species)
    faces_n, face_term = None, None
    if setup.slit is not None and not setup.slit_cohesion:
        faces_n = slit_faces(mesh.site_nk, mesh.X_nc, setup.slit)
    if setup.slit is not None and setup.face_energy and not atomistic_only:
        edges = face_edges(mesh, setup.slit)
        w_e = scheme.face_weights(regions.beta_n[edges].mean(axis=1))
        if len(edges) and np.any(w_e > 0):
            excess = surface_excess(potential, crystal, species=species)
            face_term = FaceTerm(mesh.X_nc, edges, np.broadcast_to(w_e, len(edges)), slab.Lz,
                                 excess)
    domain = Domain.slab(slab.Lz)
    model = QCModel(mesh, regions, potential, cb, scheme, cell_cc=domain.cell_cc,
                    pbc_c=domain.pbc_c, fixed_n=fixed, skin=setup.skin,
                    faces_n=faces_n, faces=face_term, comm=comm)
    return model, slab
