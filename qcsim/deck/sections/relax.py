"""The ``relax`` section: how to minimise the energy over atom positions."""
from __future__ import annotations

from dataclasses import dataclass

from qcsim.deck.schema import param, section
from qcsim.deck.types import Choice, Float, Int

__all__ = ["RelaxSettings"]

# The solver names; kept literal so that reading a deck never imports solvers.
METHODS = ("fire", "lbfgs")


@section("relax", doc="Energy minimisation settings.")
@dataclass(frozen=True, kw_only=True)
class RelaxSettings:
    """Energy minimisation: method, force tolerance, step budget, neighbour skin."""

    method: str = param(Choice(METHODS), "lbfgs",
                        doc="fire (Bitzek et al. 2006) or lbfgs (limited-memory BFGS)")
    fmax: float = param(Float(gt=0), 1e-4,
                        doc="converged when the largest per-atom force norm is <= fmax",
                        units="eV/A")
    max_steps: int = param(Int(ge=1), 10000, doc="iterations allowed before giving up")
    skin: float = param(Float(ge=0), 1.0, doc="neighbour-list skin", units="A")
    log_every: int = param(Int(ge=1), 50, doc="log progress every this many iterations")
