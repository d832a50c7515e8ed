"""The ``crystal`` section: an oriented cubic crystal for the QC tasks.

Example (the (111)[-110] orientation used for cracks in fcc metals)::

    crystal:
      lattice: fcc
      a: 3.615          # optional: default the potential's equilibrium value
      orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]]   # Miller directions of x, y, z
      element: Cu

The model is periodic along z with the shortest lattice period along
``orient[2]`` (slab mode).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from qcsim.deck.schema import param, section
from qcsim.deck.types import Bool, Choice, Float, Int, ListOf, Str

__all__ = ["CrystalSettings", "LATTICES"]

LATTICES = ("fcc", "bcc")
_CUBIC = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
# A longer period along z means fewer, denser site columns and a huge number
# of sites per unit area: a guard against typos such as [1, 1, 100].
MAX_PERIOD_IN_A = 12.0


def lattice_constant_param():
    """The ``a`` key of a section that builds a reference crystal (crystal, structure)."""
    return param(Float(gt=0), None,
                 doc="cubic lattice constant; default: the potential's own zero-pressure "
                     "value, computed (a value that leaves the crystal under more than 0.5 "
                     "GPa is an error)", units="A")


def allow_strained_param():
    """The ``allow_strained`` key that goes with :func:`lattice_constant_param`."""
    return param(Bool(), False,
                 doc="accept an 'a' that is not the potential's equilibrium value (a "
                     "deliberately strained reference crystal)")


@section("crystal", doc="An oriented cubic crystal (QC tasks).")
@dataclass(frozen=True, kw_only=True)
class CrystalSettings:
    """Lattice, lattice constant, orientation and element of the crystal."""

    lattice: str = param(Choice(LATTICES), doc="crystal structure")
    a: float | None = lattice_constant_param()
    allow_strained: bool = allow_strained_param()
    orient: tuple[tuple[int, int, int], ...] = param(
        ListOf(ListOf(Int(), length=3), length=3), _CUBIC,
        doc="Miller directions [h, k, l] of the lab x, y and z axes: mutually orthogonal "
            "and right-handed (x cross y along z); z is the periodic direction")
    element: str = param(Str(), doc="chemical symbol of the atoms")

    def build(self):
        """The :class:`qcsim.lattice.Crystal` (raises GeometryError when impossible)."""
        from qcsim.lattice import Crystal

        return Crystal(self.lattice, self.a, self.orient, self.element)

    def slab(self):
        """The crystal's :class:`qcsim.lattice.SlabLattice` (periodic along z)."""
        from qcsim.lattice import SlabLattice

        return SlabLattice.of(self.build())

    @classmethod
    def check(cls, cfg, ctx, path):
        from ase.data import chemical_symbols

        from qcsim.errors import GeometryError

        if cfg.element not in chemical_symbols[1:]:
            hint = ctx.suggest(cfg.element, chemical_symbols[1:])
            raise ctx.error(f"expected a chemical symbol such as 'Cu', got {cfg.element!r}{hint}",
                            path + ("element",))
        for k, d in enumerate(cfg.orient):
            if not any(d):
                raise ctx.error(f"direction {k} ({'xyz'[k]}) is [0, 0, 0]", path + ("orient", k))
        # The geometry does not depend on a, which the task may only compute later.
        probe = replace(cfg, a=1.0)
        try:
            period = probe.build().period_along(2)
        except GeometryError as exc:
            raise ctx.error(str(exc), path + ("orient",)) from None
        if period > MAX_PERIOD_IN_A:
            raise ctx.error(f"the lattice period along z = {list(cfg.orient[2])} is "
                            f"{period:.3g} a; slab mode allows at most {MAX_PERIOD_IN_A:g} a "
                            "(choose a low-index z direction)", path + ("orient", 2))
        try:
            probe.slab()
        except GeometryError as exc:
            raise ctx.error(str(exc), path + ("orient",)) from None
        return cfg
