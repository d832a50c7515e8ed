"""The ``crack`` section: the straight crack, its load steps and what to do on failure.

Example (task ``crack``)::

    crack:
      plane_row: 0          # the crack plane lies below site row 0 (between rows -1 and 0)
      tip_x: 0.0            # A, initial tip; the slit runs from the boundary to here
      gamma: 1.24           # J/m^2 (default: computed from the potential)
      K: {start: 0.4, end: 0.6, step: 0.02, unit: K_G}

The load steps are ``start, start + step, ...`` up to ``end`` (included when
it falls on a step, within 1e-9 of a step).  ``unit: K_G`` counts them in
multiples of the Griffith load of the model's own elastic constants and
``gamma``; ``unit: MPa*sqrt(m)`` gives them directly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from qcsim.deck.schema import param, section
from qcsim.deck.sections._nested import Mapping, OrNull
from qcsim.deck.types import Bool, Choice, Float, Int
from qcsim.units import GPA_SQRT_A_PER_MPA_SQRT_M

__all__ = ["CrackSettings", "KSteps", "K_UNITS", "ON_FAILURE", "MAX_LOAD_STEPS"]

K_UNITS = ("MPa*sqrt(m)", "K_G")
ON_FAILURE = ("stop", "continue")
# A guard against typos such as step: 1e-6 (each step is a relaxation).
MAX_LOAD_STEPS = 100_000


@dataclass(frozen=True, kw_only=True)
class KSteps:
    """The load steps: ``start``, ``start + step``, ... up to ``end``."""

    start: float = param(Float(ge=0), doc="first load of the study")
    end: float = param(Float(gt=0), doc="last load (included when it falls on a step)")
    step: float = param(Float(gt=0), doc="load increment between steps")
    unit: str = param(Choice(K_UNITS), "K_G",
                      doc="MPa*sqrt(m), or K_G: multiples of the Griffith load of the model's "
                          "elastic constants and gamma")

    @property
    def count(self) -> int:
        """Number of load steps."""
        return int(math.floor((self.end - self.start) / self.step + 1e-9)) + 1

    def values(self) -> list[float]:
        """The loads in the deck's unit, increasing."""
        return [self.start + k * self.step for k in range(self.count)]

    @classmethod
    def check(cls, cfg, ctx, path):
        if not cfg.end > cfg.start:
            raise ctx.error(f"end = {cfg.end:g} must be larger than start = {cfg.start:g} "
                            "(the load increases from step to step)", path + ("end",))
        if (cfg.end - cfg.start) / cfg.step > MAX_LOAD_STEPS:
            raise ctx.error(f"start {cfg.start:g} to end {cfg.end:g} in steps of {cfg.step:g} "
                            f"makes more than {MAX_LOAD_STEPS:,} load steps",
                            path + ("step",))
        return cfg


@section("crack", doc="The straight crack and its load steps (task crack).")
@dataclass(frozen=True, kw_only=True)
class CrackSettings:
    """Crack plane, initial tip, held boundary ring, surface energy, load steps, failures."""

    plane_row: int = param(Int(), 0,
                           doc="the crack plane lies between site rows plane_row - 1 and "
                               "plane_row (rows are atomic planes normal to y)")
    tip_x: float = param(Float(), 0.0,
                         doc="initial crack tip: the slit runs from the outer boundary (x < 0) "
                             "to here, and the sites with x <= tip_x on the two rows next to "
                             "the plane are its faces; the atomistic core and the domain are "
                             "centred on it. In lattice terms: 0 puts the tip on a site of the "
                             "row above the plane; half the site period of that row along x "
                             "puts it between two sites (the other termination; see docs/crack.md "
                             "and qcsim trapping)",
                         units="A")
    boundary_width: float | None = param(OrNull(Float(gt=0)), None,
                                         doc="the ring r > r_outer - boundary_width is held at "
                                             "the K-field (default 2 cutoffs)", units="A")
    gamma: float | None = param(OrNull(Float(gt=0)), None,
                                doc="surface energy of the cleavage plane (normal y); default: "
                                    "computed from the potential (relaxed slab)",
                                units="J/m^2")
    K: KSteps = param(Mapping(KSteps, "crack.K"), doc="the load steps: start, end, step, unit")
    precon: bool = param(Bool(), True,
                         doc="precondition L-BFGS with the elastic stiffness of the mesh")
    parallel_precon: str = param(Choice(("elastic", "schwarz")), "elastic",
                                 doc="the preconditioner on several ranks: elastic (the whole "
                                     "stiffness factorised on every rank: the path of a "
                                     "one-process run) or schwarz (each rank its part plus a "
                                     "coarse problem: scales with the ranks; see "
                                     "docs/parallel.md)")
    precrack_cohesion: bool = param(Bool(), False,
                                    doc="whether atoms on the two faces of the pre-crack "
                                        "(behind the tip) interact; false: they do not, as the "
                                        "continuum faces of the slit do not, so the pre-crack is "
                                        "the same in atomistic and QC models")
    face_energy: bool = param(Bool(), True,
                              doc="continuum crack faces carry the surface excess energy (and "
                                  "surface stress) of the potential, as atomistic faces do")
    on_failure: str = param(Choice(ON_FAILURE), "stop",
                            doc="a load step whose relaxation does not converge: stop (exit "
                                "code 3, results so far kept) or continue with the next load")

    def K_values(self, K_G: float) -> list[float]:
        """The loads in GPa*sqrt(A), given the Griffith load ``K_G`` (GPa*sqrt(A))."""
        scale = K_G if self.K.unit == "K_G" else GPA_SQRT_A_PER_MPA_SQRT_M
        return [v * scale for v in self.K.values()]
