"""The ``structure`` section: the atoms a task starts from, built with ase.build.

Variants by ``kind``: ``bulk`` (the default; a block of cubic unit cells,
periodic in x, y, z) and ``slab`` (a free-surface slab, periodic in-plane,
vacuum along z).  Both can remove sites (``vacancy``) and displace every atom
at random (``rattle``, ``seed``).
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from qcsim.deck.schema import define_section, param, variant
from qcsim.deck.sections.crystal import allow_strained_param, lattice_constant_param
from qcsim.deck.types import Bool, Choice, Float, Int, ListOf, OneOf, Str

__all__ = ["BulkStructure", "SlabStructure", "NAMED_SURFACES"]

define_section("structure", discriminator="kind", default_variant="bulk",
               doc="The starting structure.")

LATTICES = ("fcc", "bcc")
NAMED_SURFACES = ("fcc100", "fcc110", "fcc111", "bcc100", "bcc110", "bcc111")
_ORTHO_NEEDS_EVEN_NY = ("fcc111", "bcc110", "bcc111")

# A guard against typos such as size: [500, 500, 500]; relax is for atomistic systems.
MAX_SITES = 10_000_000
SITES_PER_CUBIC_CELL = {"fcc": 4, "bcc": 2}

_VACANCY = OneOf(((bool, Bool()), (list, ListOf(Int(ge=0), min_length=1))))


def _check_element(cfg, ctx, path) -> None:
    from ase.data import chemical_symbols

    if cfg.element not in chemical_symbols[1:]:
        hint = ctx.suggest(cfg.element, chemical_symbols[1:])
        raise ctx.error(f"expected a chemical symbol such as 'Cu', got {cfg.element!r}{hint}",
                        path + ("element",))


class _Common:
    """Vacancies, rattling and the final checks shared by every kind."""

    def sites(self):  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def crystal(self) -> str:
        """The lattice of the reference crystal."""
        return self.lattice

    def build(self):
        """The structure as ``ase.Atoms`` (perfect sites, minus vacancies, rattled)."""
        atoms = self.sites()
        if self.vacancy is True:
            centre = atoms.cell.sum(axis=0) / 2
            del atoms[int(np.argmin(np.linalg.norm(atoms.positions - centre, axis=1)))]
        elif self.vacancy:
            del atoms[list(self.vacancy)]
        if self.rattle > 0:
            atoms.rattle(stdev=self.rattle, seed=self.seed)
        return atoms

    @classmethod
    def check(cls, cfg, ctx, path):
        _check_element(cfg, ctx, path)
        cfg.check_geometry(ctx, path)
        # Site counts do not depend on a, which the task may only compute later.
        probe = cfg if cfg.a is not None else replace(cfg, a=1.0)
        estimate = probe.site_count_estimate()
        if estimate > MAX_SITES:
            raise ctx.error(f"this structure would have {estimate:,} sites, more than the "
                            f"limit of {MAX_SITES:,}", path + ("size",))
        try:
            n = len(probe.sites())
        except (ValueError, AssertionError) as exc:
            raise ctx.error(f"ase.build cannot make this structure: {exc}", path) from None
        if isinstance(cfg.vacancy, tuple):
            seen = set()
            for k, site in enumerate(cfg.vacancy):
                if site >= n:
                    raise ctx.error(f"vacancy site index {site} is out of range "
                                    f"(the structure has {n} sites, 0..{n - 1})",
                                    path + ("vacancy", k))
                if site in seen:
                    raise ctx.error(f"vacancy site {site} given twice", path + ("vacancy", k))
                seen.add(site)
            if len(seen) >= n:
                raise ctx.error("the vacancies remove every site", path + ("vacancy",))
        elif cfg.vacancy is True and n < 2:
            raise ctx.error("a vacancy in a one-site structure leaves nothing", path + ("vacancy",))
        return cfg

    def check_geometry(self, ctx, path) -> None:
        """Kind-specific consistency checks (override)."""

    def site_count_estimate(self) -> int:
        """Number of sites, computed without building them (override)."""
        raise NotImplementedError

    def crystal_density(self) -> float:
        """Sites per cubic angstrom of the perfect crystal."""
        lattice = getattr(self, "crystal", None) or self.lattice
        return SITES_PER_CUBIC_CELL[lattice] / self.a ** 3


@variant("structure", "bulk")
@dataclass(frozen=True, kw_only=True)
class BulkStructure(_Common):
    """``kind: bulk``: ``size`` cubic unit cells of a cubic crystal, periodic along x, y, z."""

    element: str = param(Str(), doc="chemical symbol of the atoms")
    lattice: str = param(Choice(LATTICES), doc="crystal structure")
    a: float | None = lattice_constant_param()
    allow_strained: bool = allow_strained_param()
    size: tuple[int, int, int] = param(ListOf(Int(ge=1), length=3),
                                       doc="number of cubic unit cells along x, y, z")
    vacancy: bool | tuple[int, ...] = param(_VACANCY, False,
                                            doc="true: remove the site nearest the cell centre; "
                                                "a list: remove these site indices (0-based)")
    rattle: float = param(Float(ge=0), 0.0, doc="std. dev. of random displacements", units="A")
    seed: int = param(Int(ge=0), 0, doc="seed of the random displacements")

    def site_count_estimate(self) -> int:
        return SITES_PER_CUBIC_CELL[self.lattice] * int(np.prod(self.size, dtype=object))

    def sites(self):
        from ase.build import bulk

        return bulk(self.element, self.lattice, a=self.a, cubic=True).repeat(self.size)


@variant("structure", "slab")
@dataclass(frozen=True, kw_only=True)
class SlabStructure(_Common):
    """``kind: slab``: a free-surface slab, periodic in-plane, with vacuum along z."""

    element: str = param(Str(), doc="chemical symbol of the atoms")
    lattice: str | None = param(Choice(LATTICES), None,
                                doc="crystal structure (implied by a named surface)")
    a: float | None = lattice_constant_param()
    allow_strained: bool = allow_strained_param()
    surface: str | tuple[int, int, int] = param(
        OneOf(((str, Choice(NAMED_SURFACES)), (list, ListOf(Int(), length=3)))),
        doc="a named surface (orthogonal cell, ase.build.fcc111 etc.) or Miller indices "
            "[h, k, l] of the conventional cubic cell (ase.build.surface)")
    layers: int = param(Int(ge=1), doc="layers along the normal: atomic planes for a named "
                                       "surface, repeats of the surface cell for Miller indices")
    size: tuple[int, int] = param(ListOf(Int(ge=1), length=2),
                                  doc="repeats of the surface cell along x and y")
    vacuum: float = param(Float(gt=0), 10.0, doc="vacuum on each side of the slab", units="A")
    vacancy: bool | tuple[int, ...] = param(_VACANCY, False,
                                            doc="as for kind bulk")
    rattle: float = param(Float(ge=0), 0.0, doc="std. dev. of random displacements", units="A")
    seed: int = param(Int(ge=0), 0, doc="seed of the random displacements")

    @property
    def crystal(self) -> str:
        """The lattice, given or implied by the surface name."""
        if self.lattice is not None:
            return self.lattice
        return self.surface[:3]

    def check_geometry(self, ctx, path) -> None:
        if isinstance(self.surface, str):
            if self.lattice is not None and self.lattice != self.surface[:3]:
                raise ctx.error(f"surface {self.surface!r} needs lattice {self.surface[:3]!r}, "
                                f"got {self.lattice!r}", path + ("lattice",))
            if self.surface in _ORTHO_NEEDS_EVEN_NY and self.size[1] % 2:
                raise ctx.error(f"surface {self.surface} in an orthogonal cell needs an even "
                                f"number of repeats along y, got {self.size[1]}",
                                path + ("size", 1))
        else:
            if not any(self.surface):
                raise ctx.error("Miller indices [0, 0, 0] name no plane", path + ("surface",))
            if self.lattice is None:
                raise ctx.error("missing required key 'lattice' in section 'structure' "
                                "(needed with Miller indices; expected one of fcc, bcc)", path)

    def site_count_estimate(self) -> int:
        repeats = int(np.prod(self.size, dtype=object)) * self.layers
        if isinstance(self.surface, str):
            return repeats  # ase's named surfaces: one site per in-plane repeat and plane
        import ase.build

        cubic = ase.build.bulk(self.element, self.crystal, a=self.a, cubic=True)
        return repeats * len(ase.build.surface(cubic, tuple(self.surface), 1, vacuum=1.0))

    def sites(self):
        import ase.build

        if isinstance(self.surface, str):
            make = getattr(ase.build, self.surface)
            return make(self.element, size=(*self.size, self.layers), a=self.a,
                        vacuum=self.vacuum, orthogonal=True)
        cubic = ase.build.bulk(self.element, self.crystal, a=self.a, cubic=True)
        slab = ase.build.surface(cubic, tuple(self.surface), self.layers, vacuum=self.vacuum)
        return slab.repeat((*self.size, 1))
