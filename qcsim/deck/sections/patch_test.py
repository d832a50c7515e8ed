"""The ``patch_test`` section: homogeneous deformations and the schemes to test.

Example::

    patch_test:
      F:
        - [[1, 0, 0], [0, 1, 0], [0, 0, 1]]
        - [[1, 0.03, 0], [0, 1, 0], [0, 0, 1]]
      schemes: [bgfc, qce-gfc, qcf, bqce, qce]
"""
from __future__ import annotations

from dataclasses import dataclass

from qcsim.coupling.schemes import get_scheme, scheme_names
from qcsim.deck.schema import param, section
from qcsim.deck.sections._deformation import Matrix3, check_deformation
from qcsim.deck.types import Choice, Float, ListOf

__all__ = ["PatchTestSettings", "exact_schemes"]


def exact_schemes(names=None) -> tuple[str, ...]:
    """The schemes (of ``names``, default all registered) whose patch test is exact:
    every residual force vanishes to round-off."""
    return tuple(n for n in (names or scheme_names()) if get_scheme(n).patch_test_exact)


@section("patch_test", doc="Deformations and schemes of the patch test (task patch-test).")
@dataclass(frozen=True, kw_only=True)
class PatchTestSettings:
    """Homogeneous deformation gradients, the coupling schemes, the pass tolerance."""

    F: tuple = param(ListOf(Matrix3(), min_length=1),
                     doc="deformation gradients, each a 3x3 matrix given row by row "
                         "(F[i][j] = dx_i/dX_j) with det F > 0 and third column (0, 0, 1)")
    schemes: tuple[str, ...] = param(ListOf(Choice(scheme_names), min_length=1), scheme_names(),
                                     doc="coupling schemes to test, each built on its own mesh")
    tolerance: float = param(Float(gt=0), 1e-9,
                             doc=f"largest residual force allowed for the schemes whose patch "
                                 f"test is exact ({', '.join(exact_schemes())}); a larger one "
                                 "fails the run (exit code 3, results kept)",
                             units="eV/A")

    @classmethod
    def check(cls, cfg, ctx, path):
        for k, F in enumerate(cfg.F):
            check_deformation(F, ctx, path + ("F", k))
        seen = set()
        for k, name in enumerate(cfg.schemes):
            if name in seen:
                raise ctx.error(f"scheme {name!r} given twice", path + ("schemes", k))
            seen.add(name)
        return cfg
