"""Minimisers that see only a function x -> (energy, gradient).

``relax`` adapts an ASE ``Atoms`` with a calculator to that contract.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from qcsim.solvers.fire import FIREParams, fire
from qcsim.solvers.lbfgs import LBFGSParams, lbfgs
from qcsim.solvers.result import SolveResult, max_site_force

__all__ = ["fire", "lbfgs", "relax", "SolveResult", "FIREParams", "LBFGSParams",
           "max_site_force", "METHODS", "RelaxResult"]

METHODS: dict[str, Callable[..., SolveResult]] = {"fire": fire, "lbfgs": lbfgs}

RelaxResult = SolveResult


def relax(atoms, method: str = "lbfgs", fmax: float = 1e-4, max_steps: int = 10000,
          callback: Callable[[int, float, float], None] | None = None,
          **options) -> SolveResult:
    """Relax the positions of ``atoms`` (in place) with its attached calculator.

    Constrained atoms (ase ``FixAtoms``) are held fixed.

    With a calculator shared by several ranks (``Calculator(comm=...)``), every
    rank calls ``relax`` with the same ``atoms`` and the relaxation runs on
    distributed vectors: each rank keeps its own atoms and their ghosts
    (:class:`qcsim.parallel.domain.AtomDomain`) and the solver its part of every
    vector; the positions are gathered into ``atoms`` on every rank at the end
    (``result.x`` is then this rank's part).

    Returns
    -------
    SolveResult with ``energy_k`` and ``max_force_k`` per iteration; the result
    has ``converged=False`` when the tolerance was not met.  Aliases:
    ``result.energy`` (final), ``result.max_force`` (final).
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {sorted(METHODS)}")
    free = np.ones(len(atoms), dtype=bool)
    for c in atoms.constraints:
        idx = c.get_indices() if hasattr(c, "get_indices") else []
        free[idx] = False
    comm = getattr(atoms.calc, "comm", None)
    if comm is not None and comm.size > 1:
        return _relax_distributed(atoms, free, METHODS[method], fmax, max_steps, callback,
                                  comm, options)
    x_ref = atoms.positions.copy()

    def fun(x):
        pos = x_ref.copy()
        pos[free] = x.reshape(-1, 3)
        atoms.set_positions(pos, apply_constraint=False)
        e = atoms.get_potential_energy()
        f = atoms.get_forces(apply_constraint=False)[free]
        return e, -f.ravel()

    result = METHODS[method](fun, x_ref[free].ravel(), fmax=fmax, max_steps=max_steps,
                             callback=callback, **options)
    pos = x_ref.copy()
    pos[free] = result.x.reshape(-1, 3)
    atoms.set_positions(pos, apply_constraint=False)
    return result


def _relax_distributed(atoms, free, solver, fmax, max_steps, callback, comm, options):
    """:func:`relax` on the ranks of ``comm``: distributed atoms and vectors."""
    from qcsim.parallel.domain import AtomDomain

    calc = atoms.calc
    domain = AtomDomain(comm, calc.potential, atoms.positions, calc.types_of(atoms),
                        atoms.cell.array, atoms.pbc, skin=calc.nlist.skin,
                        weights_i=atoms.arrays.get("weights"))
    mine = free[domain.ids]
    x_ref = domain.x.copy()

    def fun(x):
        pos = x_ref.copy()
        pos[mine] = x.reshape(-1, 3)
        e, g = domain.energy_gradient(pos)
        return e, g[mine].ravel()

    result = solver(fun, x_ref[mine].ravel(), fmax=fmax, max_steps=max_steps,
                    callback=callback, comm=comm, **options)
    pos = x_ref.copy()
    pos[mine] = result.x.reshape(-1, 3)
    domain.x = pos
    atoms.set_positions(domain.gather(), apply_constraint=False)
    return result
