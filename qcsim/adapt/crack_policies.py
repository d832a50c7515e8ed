"""How a crack study's model adapts after a load step: three adapters.

Each is a :class:`qcsim.driver.Adapter` that adds atomistic disks or resolved
disks to the study's ``cores`` / ``refined`` lists; the load-step driver then
rebuilds the model and transfers the state:

* :class:`FollowTip` -- the atomistic core follows the tip (a new disk once
  the tip has run ``follow`` past the newest disk at the tip);
* :class:`FollowDislocations` -- the atomistic region follows a dislocation
  along its glide ray (slip entering an element that carries continuum
  energy, or a core in the handshake), the reach doubling with each pass, out
  to the held ring;
* :class:`RefineByCurvature` -- coarse elements above ``refine_tol`` are
  resolved to every site, atomic-size ones above ``atomistic_tol`` become
  atomistic (it waits for the next pass when slip was followed in this one).

The study (:class:`qcsim.fracture.CrackStudy`) holds the state they change:
``spec``, ``model``, ``cores``, ``refined``, ``slit_x``, the tip.
"""
from __future__ import annotations

import logging

import numpy as np

from qcsim.adapt.indicator import curvature_indicator
from qcsim.coupling.regions import CORE, HANDSHAKE
from qcsim.driver.operations import Adapter

__all__ = ["FollowTip", "FollowDislocations", "RefineByCurvature", "SLIP_CHECK_EVERY"]

log = logging.getLogger("qcsim.fracture")

SLIP_CHECK_EVERY = 5  # iterations between checks for slip entering the continuum


class FollowTip(Adapter):
    """A new atomistic disk at the tip once it has run ``follow`` (default
    r_core / 2) past the newest disk placed at the tip; the slit follows."""

    name = "follow_tip"

    def adapt(self, study, results) -> bool:
        s, tip = study.spec, results["tip"]
        follow = s.follow if s.follow is not None else 0.5 * s.r_core
        # the newest disk placed at the tip (on the crack plane): disks that follow
        # a dislocation or curvature do not count, or a tip that has not moved
        # would get a new disk after each of them
        tip_disk_x = max(x for x, y, _ in study.cores if y == study.y_plane)
        if np.isfinite(tip.tip_x) and tip.tip_x - tip_disk_x > follow:
            study.cores.append((float(tip.tip_x), study.y_plane, s.r_core))
            study.slit_x = max(study.slit_x, float(tip.tip_x) - s.r_core / 2)
            log.info("tip at x = %.2f A: atomistic disk added there", tip.tip_x)
            return True
        return False


class FollowDislocations(Adapter):
    """Atomistic disks along the glide path of what the continuum cannot carry:
    slip entering an element that carries continuum energy (a dislocation
    emitted from the tip reaching the handshake, ``slip_strain``), and a
    dislocation core that sits where the crystal is not fully atomistic (beta >
    0 at the nearest atom), so that no core ever rests in the handshake at
    convergence.  Its watch ends a relaxation early once slip enters the
    continuum: the model must adapt, and pushing the dislocation on into the
    continuum only spends iterations until the line search fails."""

    name = "follow_dislocations"

    def __init__(self):
        self._watch = (None, None, None)  # model, slit and elements of slip_watch

    def adapt(self, study, results) -> bool:
        added = self.slip_disks(study)
        reg, mesh = study.model.regions, study.model.mesh
        atoms = reg.atoms
        cores = [d.core_xy for d in results["dislocations"]
                 if reg.beta_n[atoms[np.argmin(np.linalg.norm(mesh.X_nc[atoms, :2] - d.core_xy,
                                                              axis=1))]] > 0]
        added += self.disks_towards(study, cores, added)
        if added:
            log.info("slip or a dislocation core outside the atomistic core: atomistic disks "
                     "added along %s", ", ".join(f"({a[0]:.1f}, {a[1]:.1f}) A" for a in added))
            study.cores.extend(added)
        return bool(added)

    def watch(self, study):
        if study.spec.slip_strain is None:
            return None

        def slip_entered(k, e, f):
            return k % SLIP_CHECK_EVERY == 0 and bool(self.slip_disks(study))
        return slip_entered

    def slip_disks(self, study) -> list:
        """The atomistic disks that slip in the continuum asks for (none when off)."""
        if study.spec.slip_strain is None:
            return []
        centroids, strain = self.slip_sites(study)
        return self.disks_towards(study, centroids[np.argsort(-strain)])

    def disks_towards(self, study, points_k2, planned=()) -> list:
        """Atomistic disks along the glide path through each of ``points_k2`` (k, 2).

        A dislocation that has left the tip glides on along the ray from the
        tip through where it was seen.  Disks of radius r_core, r_core apart,
        cover that ray from the point seen out to twice its distance from the
        tip (at least 2 r_core beyond it), as far as the held ring: each pass
        doubles the reach, so a dislocation gliding a distance L costs about
        log2(L / r_core) passes, not L / r_core.  Points already inside an
        atomistic disk (more than half its radius in), of the model or of
        ``planned``, are skipped.
        """
        s = study.spec
        r = s.r_core
        tip = np.array([study.tip_x, study.y_plane])
        added: list[tuple] = []
        for c in np.asarray(points_k2, dtype=float).reshape(-1, 2):
            have = study.cores + list(planned) + added
            if any(np.hypot(c[0] - x, c[1] - y) < 0.5 * rr for x, y, rr in have):
                continue
            out = c - tip
            d = float(np.hypot(*out))
            if d < 1e-9:
                continue
            u = out / d
            # the centre of the last disk: its edge reaches the outer boundary
            d_max = self.ray_exit(study, tip, u) - r
            if d_max <= 0:
                continue
            reach = min(max(2.0 * d, d + 2.0 * r), d_max)
            ts = [d_max] if d >= d_max else list(np.arange(d, reach, r)) + [reach]
            added += [(float(tip[0] + t * u[0]), float(tip[1] + t * u[1]), r) for t in ts]
        return added

    def ray_exit(self, study, start, u) -> float:
        """Distance from ``start`` along the unit vector ``u`` to the outer circle."""
        p = np.asarray(start, float) - study.tip0
        b = float(p @ u)
        return -b + float(np.sqrt(max(b * b - (p @ p - study.spec.r_outer ** 2), 0.0)))

    def slip_sites(self, study):
        """Centroids (k, 2) and strains (k,) of the elements that carry continuum energy
        and are strained beyond ``slip_strain``, away from the crack faces (whose
        surface relaxation strains thin face elements without any slip); in a solve on
        several ranks, each rank's own elements' and then every rank's (collective)."""
        m = study.model
        watched, centroid = self.slip_watch(study)
        if m.comm.size > 1 and m.scattered:  # in a solve on several ranks: each rank
            mine = np.isin(watched, m.local_elements)  # its own elements, then all ranks'
            sites = m.comm.allgather(self._hot(study, watched[mine], centroid[mine]))
            return (np.concatenate([c for c, _ in sites]).reshape(-1, 2),
                    np.concatenate([s for _, s in sites]))
        return self._hot(study, watched, centroid)

    @staticmethod
    def _hot(study, elements, centroid):
        m = study.model
        F = m.mesh.deformation_gradients(m.U_nc, elements)
        E = 0.5 * (np.einsum("tki,tkj->tij", F, F) - np.eye(3))
        strain = np.linalg.norm(E, axis=(1, 2))
        hot = np.nonzero(strain > study.spec.slip_strain)[0]
        return centroid[hot], strain[hot]

    def slip_watch(self, study):
        """The elements :meth:`slip_sites` looks at (those that carry continuum
        energy, off the crack faces) and their centroids (k, 2); fixed for a model
        and slit, so kept with them (the check runs every few iterations)."""
        m = study.model
        model, slit_x, watch = self._watch
        if model is not m or slit_x != study.slit_x:
            centroid = m.mesh.X_nc[m.mesh.elements_ta, :2].mean(axis=1)
            watched = np.nonzero((m.continuum_weights_t > 0) & ~study.along_faces(centroid))[0]
            watch = (watched, centroid[watched])
            self._watch = (m, study.slit_x, watch)
        return watch


class RefineByCurvature(Adapter):
    """Curvature refinement (``refine_tol``, ``atomistic_tol``); it waits for the
    next pass when slip was followed in this one (the disks along the glide ray
    replace the many small curvature disks a dislocation core would ask for)."""

    name = "refine_by_curvature"
    skip_after = ("follow_dislocations",)

    def adapt(self, study, results) -> bool:
        """Refine where the curvature indicator exceeds ``refine_tol``.

        Coarse elements above it are resolved to every site (a disk of 1.5
        element sizes); elements already of atomic size (outside the core and
        handshake) above it become atomistic (disks of r_core / 2, the most
        curved first, none closer than half a radius to another).  Near a loaded
        tip the indicator falls off as K r^-3/2 on atomic elements, so the
        atomistic region grows with K until its edge is below the tolerance.
        """
        mesh, reg = study.model.mesh, study.model.regions
        eta = curvature_indicator(mesh, study.model.U_nc)
        h = np.sqrt(2 * np.abs(mesh.measures_t))
        h0 = np.sqrt(2 * study.slab.area)
        atomic = h <= 1.01 * h0
        in_core = np.isin(reg.flag_n[mesh.elements_ta], (CORE, HANDSHAKE)).any(axis=1)
        # next to the held ring the solution bends because the ring is held, not
        # because Cauchy-Born fails: atoms there would change nothing
        centroids = mesh.X_nc[mesh.elements_ta, :2].mean(axis=1)
        r_t = np.hypot(*(centroids - study.tip0).T)
        in_core |= r_t > study.spec.r_outer - study.ring_width - 2 * study.potential.cutoff
        # nor along the crack faces behind the tip, where the surface relaxation
        # bends the solution on the atomic scale (the face energy term carries it)
        in_core |= study.along_faces(centroids)
        s = study.spec
        tol_t = np.where(atomic, np.inf if s.atomistic_tol is None else s.atomistic_tol,
                         np.inf if s.refine_tol is None else s.refine_tol)
        marked = (eta > tol_t) & ~in_core
        if not marked.any():
            return False
        changed = False
        for t in np.nonzero(marked & ~atomic)[0]:
            study.refined.append((*centroids[t], 1.5 * h[t]))
            changed = True
        r_new = 0.5 * study.spec.r_core
        n_cores = len(study.cores)
        for t in np.nonzero(marked & atomic)[0][np.argsort(-eta[marked & atomic])]:
            c = centroids[t]
            if all(np.hypot(c[0] - x, c[1] - y) > 0.5 * r for x, y, r in study.cores):
                study.cores.append((float(c[0]), float(c[1]), r_new))
                changed = True
        study.refined = _merge_disks(study.refined)
        if changed:
            log.info("curvature indicator above tolerance on %d coarse elements (resolved) and "
                     "%d atomic ones (%d atomistic disks added)",
                     int(np.sum(marked & ~atomic)), int(np.sum(marked & atomic)),
                     len(study.cores) - n_cores)
        return changed


def _merge_disks(disks, tol=0.5):
    """Drop disks contained in others (keeps the list short as refinement repeats)."""
    out = []
    for d in sorted(disks, key=lambda d: -d[2]):
        if not any(np.hypot(d[0] - o[0], d[1] - o[1]) + d[2] <= o[2] + tol for o in out):
            out.append(tuple(float(v) for v in d))
    return out
