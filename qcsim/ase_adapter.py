"""A QC model as an ASE ``Optimizable``, so ASE's optimizers can relax it.

>>> from ase.optimize import FIRE
>>> FIRE(QCOptimizable(model)).run(fmax=1e-3)

The coordinates are the model's free degrees of freedom (three per free
node); the gradient is the model's (for the force-based scheme qcf, minus
its forces: use a force-only optimizer such as FIRE there).  ``iterimages``
yields an ``ase.Atoms`` of the atomistic region, for trajectories.
"""
from __future__ import annotations

import numpy as np
from ase import Atoms
from ase.optimize.optimize import Optimizable

__all__ = ["QCOptimizable"]


class QCOptimizable(Optimizable):
    """ASE's view of a :class:`~qcsim.model.QCModel`."""

    def __init__(self, model, symbol: str = "Cu"):
        self.model = model
        self.symbol = symbol
        self._fun = model.objective()
        self._x = None
        self._cache = None

    def ndofs(self) -> int:
        return self.model.n_dof

    def get_x(self) -> np.ndarray:
        return self.model.get_dofs()

    def set_x(self, x: np.ndarray) -> None:
        self.model.set_dofs(np.asarray(x, dtype=float))
        self._cache = None

    def _evaluate(self):
        if self._cache is None:
            self._cache = self._fun(self.model.get_dofs())
        return self._cache

    def get_gradient(self) -> np.ndarray:
        return self._evaluate()[1].copy()

    def get_value(self) -> float:
        return float(self._evaluate()[0])

    def iterimages(self):
        m = self.model
        idx = m.regions.atoms
        yield Atoms(self.symbol * len(idx), positions=m.mesh.X_nc[idx] + m.U_nc[idx],
                    cell=m.cell_cc, pbc=m.pbc_c)
