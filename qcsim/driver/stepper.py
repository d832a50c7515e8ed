"""One load step built from operations: load, relax, analyse, adapt, record.

::

    apply the load (old value -> new value)
    relax (the solver policy; the adapters' watches may end it early)
    analyses of stage "relax"
    up to max_passes times: run the adapters in order; if any changed the
        system, rebuild its model, transfer the state, relax, analyse again
    analyses of stage "step"
    the system turns the step into its record (a row of the table)

The *system* holds the state and the model: ``model``, ``load_value`` (the
current load), ``step_index``, ``adaptive`` (False: never adapt, e.g. a fully
atomistic model), ``rebuild()`` (a new model of its regions, the state
transferred) and ``record(...)``.
"""
from __future__ import annotations

import logging
import time

from qcsim.driver.records import StepRecord

__all__ = ["LoadStepper", "StepRecord"]

log = logging.getLogger("qcsim.fracture")


class LoadStepper:
    """Runs load steps on ``system`` with the given operations (see module doc).

    ``describe(value)`` names a load value in log lines ("K = 0.6 MPa*sqrt(m)").
    """

    def __init__(self, system, load, solver, analyses=(), adapters=(), max_passes: int = 10,
                 describe=None):
        self.system, self.load, self.solver = system, load, solver
        self.analyses, self.adapters = list(analyses), list(adapters)
        self.max_passes = max_passes
        self.describe = describe or (lambda v: f"load {v:g}")

    # -- the pieces ----------------------------------------------------------------------
    def relax(self):
        system = self.system
        watches = [w for w in (a.watch(system) for a in self.adapters) if w is not None] \
            if system.adaptive else []
        def any_watch(k, e, f):
            return any(w(k, e, f) for w in watches)
        return self.solver.relax(system.model, any_watch if watches else None,
                                 where=self.describe(system.load_value))

    def analyse(self, stage: str, results: dict | None = None) -> dict:
        results = {} if results is None else results
        for a in self.analyses:
            if a.stage == stage:
                results[a.name] = a.run(self.system, results)
        return results

    def adapt(self, results: dict) -> bool:
        """One pass of the adapters; rebuilds the system's model if any changed it."""
        changed: set[str] = set()
        for a in self.adapters:
            if changed.intersection(a.skip_after):
                continue
            if a.adapt(self.system, results):
                changed.add(a.name)
        if changed:
            self.system.rebuild()
        return bool(changed)

    # -- one step -------------------------------------------------------------------------
    def step(self, value: float) -> StepRecord:
        """Apply ``value``, relax, analyse, adapt; return the system's record."""
        t0 = time.perf_counter()
        system = self.system
        model = system.model
        # every load step starts from its displacements alone, as a restarted run's
        # first step does: the two then agree bit for bit
        model.reset_neighbour_lists()
        self.load.apply(model, system.load_value, value)
        system.load_value = value
        res = self.relax()
        iterations, n_adapt = res.iterations, 0
        results = self.analyse("relax")
        if system.adaptive:
            for _ in range(self.max_passes):
                if not self.adapt(results):
                    break
                if not res.converged:  # e.g. slip reached the handshake: what adapting repairs
                    why = ("slip entered the continuum" if res.message.startswith("stopped by")
                           else res.message)
                    log.info("%s: relaxation stopped after %d iterations (%s); the model adapts",
                             self.describe(value), res.iterations, why)
                n_adapt += 1
                res = self.relax()
                iterations += res.iterations
                results = self.analyse("relax")
        if not res.converged:
            log.warning("%s: relaxation not converged: %s", self.describe(value), res.message)
        self.analyse("step", results)
        system.step_index += 1
        return system.record(value, res, iterations, n_adapt, results,
                             time.perf_counter() - t0)
