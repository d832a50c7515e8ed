"""The solver policy of a load step: preconditioned L-BFGS, FIRE where it must.

Energy-based schemes relax with L-BFGS, preconditioned by the model's elastic
stiffness (factorised once per model); when its line search fails, FIRE
continues from where it stopped (it needs no descent direction and steps back
from invalid states).  Force-based schemes (no energy) and ``method="fire"``
use FIRE alone.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from qcsim.solvers import fire, lbfgs
from qcsim.solvers.precon import ElasticPreconditioner

__all__ = ["RelaxPolicy"]

log = logging.getLogger("qcsim.fracture")


@dataclass
class RelaxPolicy:
    """How a model is relaxed: ``fmax`` (eV/A), ``max_steps`` per solver,
    ``method`` ("lbfgs" or "fire"), ``precon`` (the elastic preconditioner),
    ``fallback`` (FIRE after a failed L-BFGS line search), ``reject_invalid``
    (a trial state outside the Cauchy-Born range counts as infinite energy, so
    that the line search shortens the step instead of the run ending)."""

    fmax: float = 1e-3
    max_steps: int = 5000
    method: str = "lbfgs"
    precon: bool = True
    parallel_precon: str = "elastic"
    fallback: bool = True
    reject_invalid: bool = False

    def __post_init__(self):
        self._model = None
        self._precon = None

    def preconditioner(self, model):
        """The elastic preconditioner of ``model`` (built at its first use, kept while
        the model is the same object)."""
        if self._model is not model:
            self._model, self._precon = model, None
        if self._precon is None:
            K = model.reference_stiffness()
            if model.comm.size > 1 and self.parallel_precon == "schwarz":
                from qcsim.solvers.schwarz import SchwarzPreconditioner

                free = ~model.fixed_n
                self._precon = SchwarzPreconditioner(K, model.mesh.X_nc[free, :model.mesh.dim],
                                                     model.comm)
            else:
                self._precon = ElasticPreconditioner(K)
        return self._precon

    def relax(self, model, callback=None, where: str = ""):
        """Relax ``model`` in place from its displacements; the solver's result.

        ``callback(k, energy, forces) -> stop?`` may end it early; ``where``
        prefixes the log line of a fallback ("K = ... MPa*sqrt(m)")."""
        fun = model.objective()
        if self.reject_invalid:
            fun = _rejecting_invalid(fun, model.n_dof)
        if model.scheme.force_based or self.method == "fire":
            res = fire(fun, model.get_dofs(), fmax=self.fmax, max_steps=self.max_steps,
                       callback=callback, comm=model.vector_comm)
        else:
            precon = self.preconditioner(model) if self.precon else None
            res = lbfgs(fun, model.get_dofs(), fmax=self.fmax, max_steps=self.max_steps,
                        precon=precon, callback=callback, comm=model.vector_comm)
            if self.fallback and not res.converged and \
                    res.message.startswith("line search failed"):
                log.info("%sL-BFGS stopped (%s); FIRE continues", f"{where}: " if where else "",
                         res.message)
                first = res
                res = fire(fun, res.x, fmax=self.fmax, max_steps=self.max_steps,
                           callback=callback, comm=model.vector_comm)
                res.iterations += first.iterations
        model.set_dofs(res.x)
        return res


def _rejecting_invalid(fun, n_dof: int):
    """``fun`` that reports a state outside the Cauchy-Born range as infinite energy.

    A trial step of a line search may distort an element beyond the neighbour
    shell of the Cauchy-Born model (a GeometryError); an infinite energy makes
    the line search shorten the step instead of ending the run.
    """
    from qcsim.errors import GeometryError

    def f(u):
        try:
            return fun(u)
        except GeometryError:
            log.debug("trial state outside the Cauchy-Born range; step rejected")
            return float("inf"), np.zeros(n_dof)
    return f
