"""The ``defect`` section: sites of the atomistic core that carry no atom.

Variants by ``kind``: ``vacancy`` (listed sites, default the core's centre
site), ``microcrack`` (a row of missing sites, a slit cavity) and ``none``.
Sites are integer coordinates (i, j) of the slab lattice: the site at
``i b1 + j b2`` (docs/qc.md); rows of constant j are atomic planes normal to y
when a lattice vector lies along x.  Every site must lie inside the core,
which the task checks once the crystal and the radii are known.
"""
from __future__ import annotations

from dataclasses import dataclass

from qcsim.deck.schema import define_section, param, variant
from qcsim.deck.types import Int, ListOf

__all__ = ["Vacancy", "Microcrack", "NoDefect"]

define_section("defect", discriminator="kind",
               doc="A defect in the atomistic core (task qc-relax).")


@variant("defect", "vacancy")
@dataclass(frozen=True, kw_only=True)
class Vacancy:
    """``kind: vacancy``: one or more empty lattice sites."""

    sites: tuple[tuple[int, int], ...] | None = param(
        ListOf(ListOf(Int(), length=2), min_length=1), None,
        doc="lattice coordinates [i, j] of the empty sites; default the site (0, 0) at the "
            "centre of the core")

    def site_list(self) -> list[tuple[int, int]]:
        """The empty sites as (i, j) pairs."""
        return [tuple(s) for s in self.sites] if self.sites else [(0, 0)]

    @classmethod
    def check(cls, cfg, ctx, path):
        seen = set()
        for k, s in enumerate(cfg.sites or ()):
            if tuple(s) in seen:
                raise ctx.error(f"vacancy site {list(s)} given twice", path + ("sites", k))
            seen.add(tuple(s))
        return cfg


@variant("defect", "microcrack")
@dataclass(frozen=True, kw_only=True)
class Microcrack:
    """``kind: microcrack``: the sites (i, 0) with |i| <= half_length are empty, a slit
    cavity one atomic row thick through the centre of the core."""

    half_length: int = param(Int(ge=0), doc="the row of empty sites runs from i = -half_length "
                                            "to i = half_length")

    def site_list(self) -> list[tuple[int, int]]:
        return [(i, 0) for i in range(-self.half_length, self.half_length + 1)]


@variant("defect", "none")
@dataclass(frozen=True, kw_only=True)
class NoDefect:
    """``kind: none``: the perfect crystal (a check of the model: nothing should move)."""

    def site_list(self) -> list[tuple[int, int]]:
        return []
