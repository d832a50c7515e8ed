"""The ``load`` section: the homogeneous deformation held on the outer boundary."""
from __future__ import annotations

from dataclasses import dataclass

from qcsim.deck.schema import param, section
from qcsim.deck.sections._deformation import IDENTITY, Matrix3, check_deformation

__all__ = ["LoadSettings"]


@section("load", doc="Far-field load of a QC model (task qc-relax).")
@dataclass(frozen=True, kw_only=True)
class LoadSettings:
    """The boundary nodes are held at the displacement (F - I) X of a homogeneous F."""

    F: tuple = param(Matrix3(), IDENTITY,
                     doc="deformation gradient held on the outer boundary, row by row "
                         "(F[i][j] = dx_i/dX_j), det F > 0, third column (0, 0, 1); the "
                         "ghost-force correction is taken at this F")

    @classmethod
    def check(cls, cfg, ctx, path):
        check_deformation(cfg.F, ctx, path + ("F",))
        return cfg
