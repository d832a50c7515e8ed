"""How a crack study's model adapts after a load step (a mixin of CrackStudy).

Three policies, each adding atomistic disks or resolved disks to the study's
``cores`` / ``refined`` lists, after which the study rebuilds its model and
transfers the state:

* the atomistic core follows the tip (a new disk once the tip has run
  ``follow`` past the newest disk at the tip);
* the atomistic region follows a dislocation along its glide ray (slip
  entering an element that carries continuum energy, or a core in the
  handshake), the reach doubling with each pass, out to the held ring;
* curvature refinement: coarse elements above ``refine_tol`` are resolved to
  every site, atomic-size ones above ``atomistic_tol`` become atomistic.
"""
from __future__ import annotations

import logging

import numpy as np

from qcsim.adapt.indicator import curvature_indicator
from qcsim.coupling.regions import CORE, HANDSHAKE

__all__ = ["CrackAdaptivity"]

log = logging.getLogger("qcsim.fracture")


class CrackAdaptivity:
    """The adaptivity of :class:`qcsim.fracture.CrackStudy` (which holds the state:
    ``spec``, ``model``, ``cores``, ``refined``, ``slit_x``, the tip)."""

    def _adapt(self, tip, dislocations=()) -> bool:
        """Grow the atomistic / resolved zones where needed; rebuild. True if changed."""
        s, changed = self.spec, False
        follow = s.follow if s.follow is not None else 0.5 * s.r_core
        # the newest disk placed at the tip (on the crack plane): disks that follow
        # a dislocation or curvature do not count, or a tip that has not moved
        # would get a new disk after each of them
        tip_disk_x = max(x for x, y, _ in self.cores if y == self.y_plane)
        if np.isfinite(tip.tip_x) and tip.tip_x - tip_disk_x > follow:
            self.cores.append((float(tip.tip_x), self.y_plane, s.r_core))
            self.slit_x = max(self.slit_x, float(tip.tip_x) - s.r_core / 2)
            log.info("tip at x = %.2f A: atomistic disk added there", tip.tip_x)
            changed = True
        slip = self._follow_defects(dislocations)
        if (s.refine_tol is not None or s.atomistic_tol is not None) and not slip:
            # slip first: its disks along the glide ray replace the many small
            # curvature disks the dislocation core would otherwise ask for
            changed |= self._refine_by_curvature()
        changed |= slip
        if changed:
            self._build(old=self.model)
        return changed

    def _follow_defects(self, dislocations) -> bool:
        """Atomistic disks along the glide path of what the continuum cannot carry:
        slip entering an element that carries continuum energy (a dislocation
        emitted from the tip reaching the handshake), and a dislocation core that
        sits where the crystal is not fully atomistic (beta > 0 at the nearest
        atom), so that no core ever rests in the handshake at convergence."""
        added = self._slip_disks()
        reg, mesh = self.model.regions, self.model.mesh
        atoms = reg.atoms
        cores = [d.core_xy for d in dislocations
                 if reg.beta_n[atoms[np.argmin(np.linalg.norm(mesh.X_nc[atoms, :2] - d.core_xy,
                                                              axis=1))]] > 0]
        added += self._disks_towards(cores, added)
        if added:
            log.info("slip or a dislocation core outside the atomistic core: atomistic disks "
                     "added along %s", ", ".join(f"({a[0]:.1f}, {a[1]:.1f}) A" for a in added))
            self.cores.extend(added)
        return bool(added)

    def _slip_disks(self) -> list:
        """The atomistic disks that slip in the continuum asks for (none when off)."""
        if self.spec.slip_strain is None:
            return []
        centroids, strain = self._slip_sites()
        return self._disks_towards(centroids[np.argsort(-strain)])

    def _disks_towards(self, points_k2, planned=()) -> list:
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
        s = self.spec
        r = s.r_core
        tip = np.array([self.tip_x, self.y_plane])
        added: list[tuple] = []
        for c in np.asarray(points_k2, dtype=float).reshape(-1, 2):
            have = self.cores + list(planned) + added
            if any(np.hypot(c[0] - x, c[1] - y) < 0.5 * rr for x, y, rr in have):
                continue
            out = c - tip
            d = float(np.hypot(*out))
            if d < 1e-9:
                continue
            u = out / d
            # the centre of the last disk: its edge reaches the outer boundary
            d_max = self._ray_exit(tip, u) - r
            if d_max <= 0:
                continue
            reach = min(max(2.0 * d, d + 2.0 * r), d_max)
            ts = [d_max] if d >= d_max else list(np.arange(d, reach, r)) + [reach]
            added += [(float(tip[0] + t * u[0]), float(tip[1] + t * u[1]), r) for t in ts]
        return added

    def _ray_exit(self, start, u) -> float:
        """Distance from ``start`` along the unit vector ``u`` to the outer circle."""
        p = np.asarray(start, float) - self.tip0
        b = float(p @ u)
        return -b + float(np.sqrt(max(b * b - (p @ p - self.spec.r_outer ** 2), 0.0)))

    def _slip_sites(self):
        """Centroids (k, 2) and strains (k,) of the elements that carry continuum energy
        and are strained beyond ``slip_strain``, away from the crack faces (whose
        surface relaxation strains thin face elements without any slip)."""
        m = self.model
        watched, centroid = self._slip_watch()
        F = m.mesh.deformation_gradients(m.U_nc, watched)
        E = 0.5 * (np.einsum("tki,tkj->tij", F, F) - np.eye(3))
        strain = np.linalg.norm(E, axis=(1, 2))
        hot = np.nonzero(strain > self.spec.slip_strain)[0]
        return centroid[hot], strain[hot]

    def _slip_watch(self):
        """The elements :meth:`_slip_sites` looks at (those that carry continuum
        energy, off the crack faces) and their centroids (k, 2); fixed for a model
        and slit, so kept with them (the check runs every few iterations)."""
        m = self.model
        model, slit_x, watch = self._watch
        if model is not m or slit_x != self.slit_x:
            centroid = m.mesh.X_nc[m.mesh.elements_ta, :2].mean(axis=1)
            watched = np.nonzero((m.continuum_weights_t > 0) & ~self._along_faces(centroid))[0]
            watch = (watched, centroid[watched])
            self._watch = (m, self.slit_x, watch)
        return watch

    def _along_faces(self, xy_t) -> np.ndarray:
        """(t,) bool: points within two first-neighbour distances of the crack plane,
        behind the tip of the slit (the crack faces)."""
        d_nn = float(np.min(np.linalg.norm(self.crystal.primitive_vectors, axis=1)))
        return (np.abs(xy_t[:, 1] - self.y_plane) < 2.0 * d_nn) & (xy_t[:, 0] < self.slit_x)

    def _refine_by_curvature(self) -> bool:
        """Refine where the curvature indicator exceeds ``refine_tol``.

        Coarse elements above it are resolved to every site (a disk of 1.5
        element sizes); elements already of atomic size (outside the core and
        handshake) above it become atomistic (disks of r_core / 2, the most
        curved first, none closer than half a radius to another).  Near a loaded
        tip the indicator falls off as K r^-3/2 on atomic elements, so the
        atomistic region grows with K until its edge is below the tolerance.
        """
        mesh, reg = self.model.mesh, self.model.regions
        eta = curvature_indicator(mesh, self.model.U_nc)
        h = np.sqrt(2 * np.abs(mesh.measures_t))
        h0 = np.sqrt(2 * self.slab.area)
        atomic = h <= 1.01 * h0
        in_core = np.isin(reg.flag_n[mesh.elements_ta], (CORE, HANDSHAKE)).any(axis=1)
        # next to the held ring the solution bends because the ring is held, not
        # because Cauchy-Born fails: atoms there would change nothing
        centroids = mesh.X_nc[mesh.elements_ta, :2].mean(axis=1)
        r_t = np.hypot(*(centroids - self.tip0).T)
        in_core |= r_t > self.spec.r_outer - self.ring_width - 2 * self.potential.cutoff
        # nor along the crack faces behind the tip, where the surface relaxation
        # bends the solution on the atomic scale (the face energy term carries it)
        in_core |= self._along_faces(centroids)
        tol_t = np.where(atomic, np.inf if self.spec.atomistic_tol is None else self.spec.atomistic_tol,
                         np.inf if self.spec.refine_tol is None else self.spec.refine_tol)
        marked = (eta > tol_t) & ~in_core
        if not marked.any():
            return False
        changed = False
        for t in np.nonzero(marked & ~atomic)[0]:
            self.refined.append((*centroids[t], 1.5 * h[t]))
            changed = True
        r_new = 0.5 * self.spec.r_core
        n_cores = len(self.cores)
        for t in np.nonzero(marked & atomic)[0][np.argsort(-eta[marked & atomic])]:
            c = centroids[t]
            if all(np.hypot(c[0] - x, c[1] - y) > 0.5 * r for x, y, r in self.cores):
                self.cores.append((float(c[0]), float(c[1]), r_new))
                changed = True
        self.refined = _merge_disks(self.refined)
        if changed:
            log.info("curvature indicator above tolerance on %d coarse elements (resolved) and "
                     "%d atomic ones (%d atomistic disks added)",
                     int(np.sum(marked & ~atomic)), int(np.sum(marked & atomic)),
                     len(self.cores) - n_cores)
        return changed


def _merge_disks(disks, tol=0.5):
    """Drop disks contained in others (keeps the list short as refinement repeats)."""
    out = []
    for d in sorted(disks, key=lambda d: -d[2]):
        if not any(np.hypot(d[0] - o[0], d[1] - o[1]) + d[2] <= o[2] + tol for o in out):
            out.append(tuple(float(v) for v in d))
    return out
