"""The loads of the load-step driver: the crack's K-field and a homogeneous deformation.

Each is a :class:`qcsim.driver.operations.Load` registered by name; a new load
is one more class with ``@register_load("name")`` (in a new file, imported by
the task that uses it).
"""
from __future__ import annotations

import numpy as np

from qcsim.driver.operations import Load, register_load

__all__ = ["KFieldLoad", "AffineLoad"]


@register_load("kfield")
class KFieldLoad(Load):
    """Mode-I K-field of a straight crack (Stroh, anisotropic): the value is K in
    GPa*sqrt(A).

    ``stroh`` : :class:`qcsim.loading.StrohCrack` of the model's elastic
    constants; ``tip`` : (x, y) the field is centred on; ``cut`` : the crack
    (:class:`qcsim.geometry.Slit`): nodes below it take the lower face's branch
    of the field.  The held nodes get the field of the new K, the others its
    increment.
    """

    unit = "GPa*sqrt(A)"

    def __init__(self, stroh, tip, cut):
        self.stroh, self.tip, self.cut = stroh, np.asarray(tip, float), cut

    def displacement(self, mesh, K: float, nodes=None) -> np.ndarray:
        """The field's displacements (n, 3) of the nodes (all by default) at ``K``."""
        idx = slice(None) if nodes is None else nodes
        xy = mesh.X_nc[idx, :2] - self.tip
        side = np.where(self.cut.above(mesh.site_nk[idx]), 1, -1)
        return self.stroh.displacement(xy, (0.0, K, 0.0), side=side)

    def apply(self, model, old, new):
        mesh = model.mesh
        model.U_nc += self.displacement(mesh, new) - self.displacement(mesh, old)
        fixed = model.fixed_n
        model.U_nc[fixed] = self.displacement(mesh, new, fixed)


@register_load("affine")
class AffineLoad(Load):
    """A homogeneous deformation ``F(s) = I + s (F - I)``: the value ``s`` puts
    every node at ``s (F - I) X`` (the held ones stay there while the rest relax;
    ``s = 1`` is ``F`` itself)."""

    unit = ""

    def __init__(self, F):
        self.F = np.asarray(F, dtype=float).reshape(3, 3)

    def apply(self, model, old, new):
        model.U_nc[:] = new * model.homogeneous(self.F)
