"""The ``adapt`` section: how a crack study's model follows the crack.

Example (task ``crack``)::

    adapt:
      follow: 10.0        # A: add an atomistic disk at the tip once it has run this far
      refine_tol: 0.01    # curvature above which coarse elements are refined; null: off
      atomistic_tol: 1.0e-3 # curvature above which atomic-size elements become atomistic
      slip_strain: 0.1    # an atomistic disk where an element holds slip; null: off
      max_passes: 10      # adapt-and-relax passes per load step
"""
from __future__ import annotations

from dataclasses import dataclass

from qcsim.deck.schema import param, section
from qcsim.deck.sections._nested import OrNull
from qcsim.deck.types import Float, Int

__all__ = ["AdaptSettings"]


@section("adapt", doc="Adaptivity of the crack study's model (task crack).")
@dataclass(frozen=True, kw_only=True)
class AdaptSettings:
    """When the atomistic region follows the tip and where the mesh is refined."""

    follow: float | None = param(OrNull(Float(gt=0)), None,
                                 doc="a new atomistic disk (radius r_core) is added at the tip "
                                     "once it has run this far past the newest disk; default "
                                     "r_core / 2", units="A")
    refine_tol: float | None = param(OrNull(Float(gt=0)), 0.01,
                                     doc="curvature indicator (the strain mismatch eta_T between an "
                                         "element's deformation gradient and the recovered one) "
                                         "above which a coarse element is refined to the "
                                         "lattice (the continuum's interpolation error); null: off")
    atomistic_tol: float | None = param(OrNull(Float(gt=0)), 1e-3,
                                        doc="curvature indicator above which an element of "
                                            "atomic size (outside the core and handshake) becomes "
                                            "atomistic: the deformation varies too much within "
                                            "an interaction range for Cauchy-Born; the atomistic "
                                            "region grows with K until its edge is below it; "
                                            "null: off")
    slip_strain: float | None = param(OrNull(Float(gt=0)), 0.1,
                                      doc="Green-Lagrange strain (norm) above which an element "
                                          "that carries continuum energy is taken to hold slip "
                                          "(an emitted dislocation reaching the handshake): the "
                                          "crystal there becomes atomistic; null: off")
    max_passes: int = param(Int(ge=0), 10,
                            doc="adapt-and-relax passes per load step (0: never adapt)")
