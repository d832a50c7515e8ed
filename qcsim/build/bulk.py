"""Assemble a 3-D QC model: a ball of crystal, atomistic about a shape, continuum beyond.

The 3-D pieces composed as the slab builder composes the 2-D ones: the
crystal's :class:`~qcsim.lattice.BulkLattice`, a mesh generator (today
:class:`~qcsim.mesh.generators.DelaunayMesher`: every site of the ball a node,
tetrahedra), the regions around the atomistic shape
(:func:`~qcsim.coupling.regions.regions_around`), the Cauchy-Born continuum
and the scheme.  The outer shell ``r > r_outer - fixed_width`` is held.  With
every site a node the continuum's only saving is the energy sum (no fewer
degrees of freedom): a graded 3-D mesh generator is what full 3-D QC adds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcsim.build.domain import Domain
from qcsim.continuum.cauchy_born import CauchyBorn
from qcsim.coupling.regions import regions_around
from qcsim.coupling.schemes import get_scheme
from qcsim.geometry import Ball, Shape
from qcsim.lattice import BulkLattice, Crystal
from qcsim.mesh.generators import DelaunayMesher
from qcsim.model import QCModel
from qcsim.parallel import SERIAL

__all__ = ["BulkSetup", "build_bulk_model"]


@dataclass(frozen=True)
class BulkSetup:
    """A ball of radius ``r_outer`` about ``center`` (A), atomistic within ``core`` (a
    3-D shape), coupled by ``scheme``; ``fixed_width`` of the outer shell held;
    ``handshake`` / ``pad`` as in :class:`qcsim.build.SlabSetup`."""

    core: Shape
    r_outer: float
    center: tuple = (0.0, 0.0, 0.0)
    scheme: str = "bgfc"
    handshake: float | None = None
    pad: float | None = None
    profile: str = "cubic"
    fixed_width: float = 0.0
    skin: float = 1.0
    mesher: object = DelaunayMesher()


def build_bulk_model(potential, crystal: Crystal, setup: BulkSetup, species: int = 0,
                     comm=SERIAL):
    """Build the model; returns ``(model, lattice)``.  ``comm``: the ranks that share
    the model's evaluation."""
    scheme = get_scheme(setup.scheme)
    lattice = BulkLattice.of(crystal)
    handshake, pad = scheme.widths(potential.cutoff, setup.skin, setup.handshake, setup.pad)
    domain_ball = Ball(tuple(setup.center), setup.r_outer)
    mesh = setup.mesher.generate(lattice, setup.core, domain_ball)
    regions = regions_around(mesh, setup.core, handshake, pad, setup.profile)
    r = np.linalg.norm(mesh.X_nc - np.asarray(setup.center, dtype=float), axis=1)
    fixed = r > setup.r_outer - setup.fixed_width
    if setup.fixed_width <= 0:
        fixed = np.zeros(mesh.n_nodes, dtype=bool)
        fixed[mesh.boundary_nodes()] = True
    domain = Domain.bulk()
    model = QCModel(mesh, regions, potential, CauchyBorn.of_crystal(potential, crystal, species=species),
                    scheme, cell_cc=domain.cell_cc, pbc_c=domain.pbc_c, fixed_n=fixed,
                    skin=setup.skin, comm=comm)
    return model, lattice
