"""The result every solver returns."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class SolveResult:
    """Outcome of a minimisation.

    Attributes
    ----------
    x : final degrees of freedom (flat array).
    energy : final energy (eV).
    converged : True only when the largest force met the tolerance.
    iterations : number of iterations taken.
    n_evals : number of energy/force evaluations.
    energy_k, max_force_k : energy (eV) and largest force (eV/A) at each iterate,
        starting with the initial state.
    message : why the solver stopped.
    """

    x: np.ndarray
    energy: float
    converged: bool
    iterations: int
    n_evals: int
    energy_k: np.ndarray = field(repr=False)
    max_force_k: np.ndarray = field(repr=False)
    message: str = ""

    @property
    def max_force(self) -> float:
        return float(self.max_force_k[-1])


def max_site_force(g: np.ndarray) -> float:
    """Largest Euclidean norm of a 3-vector block of a flat gradient (eV/A)."""
    g3 = g.reshape(-1, 3)
    if g3.size == 0:
        return 0.0
    return float(np.sqrt(np.einsum("ic,ic->i", g3, g3).max()))
