"""The ``qc`` section: geometry and coupling of a slab-mode QC model.

Example::

    qc:
      scheme: bgfc        # a registered coupling scheme (qcsim.coupling.schemes)
      r_core: 10.0        # A, radius of the atomistic core
      r_outer: 60.0       # A, radius of the whole domain
      growth: 1.3         # element size ratio between layers of the coarse mesh

The core is centred on the lattice site (0, 0).  Around it come the handshake
(blended schemes), the pad and the graded continuum mesh; see docs/qc.md.
"""
from __future__ import annotations

from dataclasses import dataclass

from qcsim.coupling.schemes import get_scheme, scheme_names
from qcsim.deck.schema import param, section
from qcsim.deck.types import Choice, Float

__all__ = ["QCSettings", "PROFILE_NAMES", "widths", "scheme_names"]

# Literal so that reading a deck does not import the model; a test checks them
# against qcsim.coupling.
PROFILE_NAMES = ("linear", "cubic", "quintic")


def widths(scheme: str, cutoff: float, skin: float, handshake: float | None,
           pad: float | None) -> tuple[float, float]:
    """Handshake and pad widths (A) of ``scheme`` (:meth:`Scheme.widths`), as
    :func:`qcsim.build.build_slab_model` makes them."""
    return get_scheme(scheme).widths(cutoff, skin, handshake, pad)


def _scheme_doc() -> str:
    return ", ".join(f"{n} ({get_scheme(n).summary})" for n in scheme_names())


@section("qc", doc="Geometry and coupling of the QC model (slab mode, a disk around a core).")
@dataclass(frozen=True, kw_only=True)
class QCSettings:
    """Coupling scheme, region radii and widths, mesh grading, blending profile."""

    scheme: str = param(Choice(scheme_names), "bgfc",
                        doc=f"coupling scheme: {_scheme_doc()}; not used by task patch-test")
    r_core: float = param(Float(gt=0), doc="radius of the atomistic core around the site "
                                           "(0, 0)", units="A")
    r_outer: float = param(Float(gt=0), doc="radius of the domain; the nodes on its "
                                            "boundary are held", units="A")
    handshake: float | None = param(Float(ge=0), None,
                                    doc="width of the handshake (blended schemes only; default "
                                        "2 cutoffs)", units="A")
    pad: float | None = param(Float(ge=0), None,
                              doc="width of the pad (default 1 cutoff + skin; 2 cutoffs + skin "
                                  "for qcf)", units="A")
    growth: float = param(Float(gt=1), 1.25, doc="size ratio of consecutive element layers "
                                                 "of the coarse mesh")
    profile: str = param(Choice(PROFILE_NAMES), "cubic",
                         doc="blending function across the handshake")
    fixed_width: float = param(Float(ge=0), 0.0,
                               doc="nodes farther than r_outer - fixed_width from the centre "
                                   "are held; 0: the nodes on the outer boundary", units="A")

    @property
    def center(self) -> tuple[float, float]:
        """(x, y) of the core: the lattice site (0, 0)."""
        return (0.0, 0.0)

    def setup(self, scheme: str | None = None, skin: float = 1.0, voids=()):
        """The :class:`qcsim.build.SlabSetup` of this section."""
        from qcsim.build import SlabSetup

        return SlabSetup(center=self.center, r_core=self.r_core, r_outer=self.r_outer,
                         scheme=scheme or self.scheme, handshake=self.handshake, pad=self.pad,
                         growth=self.growth, profile=self.profile,
                         fixed_width=self.fixed_width, skin=skin, voids=tuple(voids))

    @property
    def atomistic_only(self) -> bool:
        """r_core >= r_outer: no continuum (task crack allows it; the others refuse it)."""
        return self.r_core >= self.r_outer

    @classmethod
    def check(cls, cfg, ctx, path):
        if cfg.fixed_width >= cfg.r_outer:
            raise ctx.error(f"fixed_width = {cfg.fixed_width:g} A would hold the whole domain "
                            f"(r_outer = {cfg.r_outer:g} A)", path + ("fixed_width",))
        return cfg
