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

from qcsim.parallel import SERIAL
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
        self._model = None  # what follows is kept for this model
        self._precon = None
        self._split = None

    def _for(self, model) -> None:
        if self._model is not model:
            self._model, self._precon, self._split = model, None, None

    def preconditioner(self, model):
        """The elastic preconditioner of ``model`` (built at its first use, kept while
        the model is the same object)."""
        self._for(model)
        if self._precon is None:
            K = model.reference_stiffness()
            if model.comm.size > 1 and self.parallel_precon == "schwarz":
                from qcsim.solvers.schwarz import SchwarzPreconditioner

                free = ~model.fixed_n
                self._precon = SchwarzPreconditioner(K, model.mesh.X_nc[free, :model.mesh.dim],
                                                     self.split(model))
            else:
                self._precon = ElasticPreconditioner(K)
        return self._precon

    def split(self, model):
        """This rank's part of the unknowns of a model shared by several ranks (kept while
        the model is the same object), or None on one rank."""
        if model.comm.size == 1:
            return None
        self._for(model)
        if self._split is None:
            from qcsim.parallel.dofs import DofSplit

            free = ~model.fixed_n
            self._split = DofSplit(model.comm, owner_p=model.node_owner_n[free])
        return self._split

    def relax(self, model, callback=None, where: str = ""):
        """Relax ``model`` in place from its displacements; the solver's result.

        ``callback(k, energy, forces) -> stop?`` may end it early; ``where``
        prefixes the log line of a fallback ("K = ... MPa*sqrt(m)").  On several
        ranks the solver holds this rank's part of every vector (:meth:`split`,
        the model's own nodes), and the model evaluates on the parts."""
        fun, x0, comm = model.objective(), model.get_dofs(), SERIAL
        precon = self.preconditioner(model) if self.precon and not (
            model.scheme.force_based or self.method == "fire") else None
        split = self.split(model)
        if split is not None:
            fun, x0, comm = model.objective(split), split.part(x0), model.comm
            if hasattr(precon, "apply_part"):  # Schwarz, on the split's parts
                precon = precon.apply_part
            elif precon is not None:
                whole = precon
                precon = lambda g: split.part(whole(split.full(g)))  # noqa: E731
        if self.reject_invalid:
            fun = _rejecting_invalid(fun, len(x0))
        if model.scheme.force_based or self.method == "fire":
            res = fire(fun, x0, fmax=self.fmax, max_steps=self.max_steps,
                       callback=callback, comm=comm)
        else:
            res = lbfgs(fun, x0, fmax=self.fmax, max_steps=self.max_steps,
                        precon=precon, callback=callback, comm=comm)
            if self.fallback and not res.converged and \
                    res.message.startswith("line search failed"):
                log.info("%sL-BFGS stopped (%s); FIRE continues", f"{where}: " if where else "",
                         res.message)
                first = res
                res = fire(fun, res.x, fmax=self.fmax, max_steps=self.max_steps,
                           callback=callback, comm=comm)
                res.iterations += first.iterations
        model.set_dofs(res.x if split is None else split.full(res.x))
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
