"""The ``potential`` section: one variant per LAMMPS pair style.

Example::

    potential:
      style: eam/alloy
      file: Cu_mishin1.eam.alloy      # deck folder, cwd, $QCSIM_POTENTIALS, qcsim/data/potentials
      elements: [Cu]
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from qcsim.deck.schema import REQUIRED, define_section, param, variant
from qcsim.deck.types import Bool, Float, ListOf, PotentialFile, Str

__all__ = ["EAM", "EAMAlloy", "EAMFS", "LJCut", "Morse", "setfl_elements", "import_styles"]

define_section("potential", discriminator="style",
               doc="The interatomic potential, named by its LAMMPS pair style.")

_FILE = PotentialFile()


class _PotentialBase:
    """What every potential variant offers the tasks."""

    deck_variant: str = ""

    @property
    def style(self) -> str:
        return self.deck_variant

    def kwargs(self) -> dict[str, Any]:
        """Parameters for ``make_potential(style, **kwargs)`` / ``Calculator``."""
        out = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            out[f.name] = str(value) if isinstance(value, Path) else (
                list(value) if isinstance(value, tuple) else value)
        return out

    @property
    def species(self) -> tuple[str, ...] | None:
        """Element names the potential covers, or None when it is untyped."""
        return getattr(self, "elements", None)

    @classmethod
    def check(cls, cfg, ctx, path):
        _check_loadable(cfg, ctx, path)
        return cfg


def setfl_elements(path: Path) -> list[str] | None:
    """Element names on line 4 of a setfl (eam/alloy, eam/fs) file, or None if unreadable.

    Only the header is read; the file's reader checks the rest.
    """
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = [fh.readline() for _ in range(4)]
        words = head[3].split()
        n = int(words[0])
    except (OSError, IndexError, ValueError):
        return None
    return words[1:1 + n] if len(words) >= 1 + n else None


def _check_elements_in_file(cfg, ctx, path) -> None:
    names = setfl_elements(cfg.file)
    seen = set()
    for k, el in enumerate(cfg.elements):
        if el in seen:
            raise ctx.error(f"element {el!r} given twice", path + ("elements", k))
        seen.add(el)
        if names is not None and el not in names:
            raise ctx.error(f"element {el!r} is not in {cfg.file.name} "
                            f"(it has: {', '.join(names)})", path + ("elements", k))


def _check_loadable(cfg, ctx, path) -> None:
    """Read the potential with its own reader (file errors propagate as they are)."""
    import qcsim.potentials as potentials_pkg
    from qcsim.potentials import STYLES, make_potential

    import_styles(potentials_pkg)
    if cfg.style not in STYLES:
        raise ctx.error(f"potential style {cfg.style!r} is not available in this build "
                        f"(available: {', '.join(sorted(STYLES)) or 'none'})", path + ("style",))
    try:
        make_potential(cfg.style, **cfg.kwargs())
    except (ValueError, KeyError, TypeError) as exc:
        raise ctx.error(f"the {cfg.style} potential refused these parameters: {exc}",
                        path) from None


def import_styles(pkg) -> None:
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(pkg.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{pkg.__name__}.{mod.name}")


@variant("potential", "eam")
@dataclass(frozen=True, kw_only=True)
class EAM(_PotentialBase):
    """``eam``: a DYNAMO funcfl file (one element)."""

    file: Path = param(_FILE, doc="funcfl potential file")
    elements: tuple[str, ...] | None = param(ListOf(Str(), length=1), None,
                                             doc="name of the one element (the file gives only "
                                                 "its atomic number)")


@variant("potential", "eam/alloy")
@dataclass(frozen=True, kw_only=True)
class EAMAlloy(_PotentialBase):
    """``eam/alloy``: a DYNAMO setfl file."""

    file: Path = param(_FILE, doc="setfl potential file")
    elements: tuple[str, ...] = param(ListOf(Str(), min_length=1), REQUIRED,
                                      doc="elements used, each named in the file's header")

    @classmethod
    def check(cls, cfg, ctx, path):
        _check_elements_in_file(cfg, ctx, path)
        _check_loadable(cfg, ctx, path)
        return cfg


@variant("potential", "eam/fs")
@dataclass(frozen=True, kw_only=True)
class EAMFS(EAMAlloy):
    """``eam/fs``: a Finnis-Sinclair setfl file."""


@variant("potential", "lj/cut")
@dataclass(frozen=True, kw_only=True)
class LJCut(_PotentialBase):
    """``lj/cut``: 12-6 Lennard-Jones, truncated at ``cutoff``."""

    epsilon: float = param(Float(gt=0), doc="well depth", units="eV")
    sigma: float = param(Float(gt=0), doc="zero-crossing distance", units="A")
    cutoff: float = param(Float(gt=0), doc="cutoff radius", units="A")
    shift: bool = param(Bool(), False, doc="shift the energy to zero at the cutoff")


@variant("potential", "morse")
@dataclass(frozen=True, kw_only=True)
class Morse(_PotentialBase):
    """``morse``: ``D0 [exp(-2 alpha (r - r0)) - 2 exp(-alpha (r - r0))]``."""

    D0: float = param(Float(gt=0), doc="well depth", units="eV")
    alpha: float = param(Float(gt=0), doc="stiffness", units="1/A")
    r0: float = param(Float(gt=0), doc="equilibrium distance", units="A")
    cutoff: float = param(Float(gt=0), doc="cutoff radius", units="A")
    shift: bool = param(Bool(), False, doc="shift the energy to zero at the cutoff")
