"""Atomistic core, handshake, pad and continuum: beta per node and weights.

With ``d`` the distance of a node from the atomistic core (0 inside it) and
``L_h`` the handshake width, the blending function is beta = s(d / L_h) with
a smooth step s (cubic by default); a sharp interface (L_h = 0) has beta = 0
in the core and 1 elsewhere.  Atom weights are ``1 - beta``; element weights
are ``w_T = integral_T beta = |T| mean(beta at vertices) * thickness``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcsim.errors import GeometryError
from qcsim.geometry import Ball, Shape, balls, site_keys

__all__ = ["Regions", "regions_around", "disk_regions", "union_regions", "PROFILES", "CORE",
           "HANDSHAKE", "PAD", "CONTINUUM", "VOID"]

CORE, HANDSHAKE, PAD, CONTINUUM, VOID = 0, 1, 2, 3, 4

PROFILES = {
    "linear": lambda t: t,
    "cubic": lambda t: t * t * (3.0 - 2.0 * t),
    "quintic": lambda t: t**3 * (10.0 - 15.0 * t + 6.0 * t * t),
}


@dataclass(frozen=True, eq=False)
class Regions:
    """Region data of a mesh's nodes.

    Attributes
    ----------
    beta_n : (n_nodes,) blending function at the nodes.
    flag_n : (n_nodes,) CORE, HANDSHAKE, PAD, CONTINUUM, or VOID (a site of
        the core that carries no atom: a vacancy, the inside of a microcrack).
    atoms : indices of the nodes evaluated atomistically (core, handshake, pad).
    """

    beta_n: np.ndarray
    flag_n: np.ndarray

    @property
    def atoms(self) -> np.ndarray:
        return np.nonzero(self.flag_n <= PAD)[0]

    def count(self, flag: int) -> int:
        return int(np.sum(self.flag_n == flag))

    def with_voids(self, void_n: np.ndarray) -> "Regions":
        """The same regions with the nodes ``void_n`` emptied (they must be in the core)."""
        void_n = np.asarray(void_n, dtype=np.int64)
        if np.any(self.flag_n[void_n] != CORE):
            raise GeometryError("defect sites must lie inside the atomistic core")
        flag = self.flag_n.copy()
        flag[void_n] = VOID
        return Regions(self.beta_n, flag)

    def element_weights(self, mesh) -> np.ndarray:
        """w_T = integral over T of beta (A^3)."""
        return mesh.volumes_t * self.beta_n[mesh.elements_ta].mean(axis=1)


def regions_around(mesh, core: Shape, handshake: float, pad: float,
                   profile: str = "cubic") -> Regions:
    """Regions around the atomistic ``core``, a shape in the mesh's dimension
    (:mod:`qcsim.geometry.shapes`): the core, then handshake and pad as bands of
    the distance from it, measured in the mesh coordinates (the first ``d``
    axes)."""
    if core.dim != mesh.dim:
        raise GeometryError(f"a {core.dim}-D core for a {mesh.dim}-D mesh")
    dist = core.distance(mesh.X_nc[:, : mesh.dim])
    return _regions_from_distance(dist, handshake, pad, profile, f"{core}")


def disk_regions(mesh, center, r_core: float, handshake: float, pad: float,
                 profile: str = "cubic") -> Regions:
    """Regions around a ball (a disk in slab mode, an interval in 1-D) of radius
    ``r_core`` about ``center``."""
    if r_core < 0:
        raise GeometryError("core radius must be non-negative")
    c = np.asarray(center, dtype=float).ravel()[: mesh.dim]
    return regions_around(mesh, Ball(tuple(c), r_core), handshake, pad, profile)


def union_regions(mesh, core_disks, handshake: float, pad: float,
                  profile: str = "cubic") -> Regions:
    """Regions around a union of core disks [(cx, cy, r), ...] (slab mode)."""
    return regions_around(mesh, balls(core_disks, dim=mesh.dim), handshake, pad, profile)


def _regions_from_distance(dist, handshake, pad, profile, what) -> Regions:
    if profile not in PROFILES:
        raise GeometryError(f"unknown blending profile {profile!r}; known: {', '.join(PROFILES)}")
    if handshake < 0 or pad < 0:
        raise GeometryError("handshake and pad widths must be non-negative")
    if handshake > 0:
        beta = PROFILES[profile](np.clip(dist / handshake, 0.0, 1.0))
    else:
        beta = (dist > 0).astype(float)
    flag = np.full(len(dist), CONTINUUM, dtype=np.int8)
    flag[dist < handshake + pad] = PAD
    flag[beta < 1.0] = HANDSHAKE
    flag[beta == 0.0] = CORE
    if not np.any(flag == CORE):
        raise GeometryError(f"the atomistic core ({what}) contains no lattice site")
    return Regions(beta, flag)


def check_fully_resolved(mesh, regions: Regions, sites_nk: np.ndarray) -> None:
    """Every lattice site in ``sites_nk`` (integer coordinates of all sites within the
    pad's outer radius) must be a node, or the atomistic sums would miss atoms."""
    if mesh.site_nk is None:
        return
    sites_nk = np.asarray(sites_nk, dtype=np.int64).reshape(-1, mesh.site_nk.shape[1])
    missing = sites_nk[~np.isin(site_keys(sites_nk), site_keys(mesh.site_nk))]
    if len(missing):
        raise GeometryError(f"{len(missing)} lattice sites inside the pad are not mesh nodes "
                            f"(e.g. {tuple(missing[0].tolist())}): enlarge the fully resolved "
                            f"radius")
