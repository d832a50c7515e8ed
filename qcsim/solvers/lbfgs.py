"""Limited-memory BFGS with an optional preconditioner and a backtracking line search.

Nocedal, Math. Comp. 35, 773 (1980); Liu and Nocedal, Math. Prog. 45, 503
(1989).  The preconditioner ``precon(g) -> P^-1 g`` replaces the scaled
identity as the initial inverse Hessian of the two-loop recursion, which is how
the QC solvers later make the iteration count independent of mesh size.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy.linalg.blas import daxpy as _axpy

from qcsim.parallel import SERIAL
from qcsim.parallel.threads import one_blas_thread
from qcsim.solvers.result import SolveResult, max_site_force


@dataclass(frozen=True)
class LBFGSParams:
    memory: int = 20
    max_step: float = 0.2  # A, largest displacement of a site in one step
    c1: float = 1e-4  # Armijo constant
    shrink: float = 0.5  # backtracking factor
    max_backtracks: int = 30


@one_blas_thread()
def lbfgs(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, *,
          fmax: float = 1e-4, max_steps: int = 10000, params: LBFGSParams = LBFGSParams(),
          precon: Callable[[np.ndarray], np.ndarray] | None = None,
          callback: Callable[[int, float, float], None] | None = None,
          comm=SERIAL) -> SolveResult:
    """Minimise ``fun`` with L-BFGS.

    Parameters
    ----------
    fun : x -> (energy, gradient), flat arrays with 3 entries per site.
    x0 : starting point (not modified).
    fmax : convergence on the largest per-site force norm (eV/A).
    max_steps : iterations allowed.
    precon : optional map g -> P^-1 g (symmetric positive definite P).
    callback : called as ``callback(k, energy, max_force)`` at every iterate (the
        last ``fun`` evaluation was at that iterate); a true return value stops
        the minimisation (not converged, "stopped by the caller").
    comm : the communicator of a distributed x (dot products and the largest force
        are reduced over it; :data:`qcsim.parallel.SERIAL` for one process).
    """
    p = params
    fmax_of = lambda v: comm.max(max_site_force(v))  # noqa: E731
    x = np.array(x0, dtype=np.float64)
    e, g = fun(x)
    n_evals = 1
    e_k, f_k = [e], [fmax_of(g)]
    if not (np.isfinite(e) and np.all(np.isfinite(g))):
        # an invalid starting state (outside the Cauchy-Born range): no descent
        # direction exists; never step from it
        return SolveResult(x, e, False, 0, n_evals, np.array(e_k), np.array(f_k),
                           "invalid starting state (energy or gradient not finite)")
    if callback:
        callback(0, e, f_k[-1])
    pairs: deque = deque(maxlen=p.memory)
    failures = 0
    message = ""
    k = 0
    for k in range(1, max_steps + 1):
        if f_k[-1] <= fmax:
            return SolveResult(x, e, True, k - 1, n_evals, np.array(e_k), np.array(f_k),
                               "largest force below tolerance")
        d = -_two_loop(g, pairs, precon, comm)
        slope = comm.dot(g, d)
        if slope >= 0.0:  # not a descent direction: restart from the preconditioned gradient
            pairs.clear()
            d = -(precon(g) if precon else g)
            slope = comm.dot(g, d)
        step = fmax_of(d)
        alpha = min(1.0, p.max_step / step) if step > 0 else 1.0
        accepted = False
        # Energies near a minimum differ by amounts close to round-off; allow
        # that much slack so convergence is limited by the forces, not by eps.
        slack = 1e-14 * max(1.0, abs(e))
        for _ in range(p.max_backtracks):
            x_new = x + alpha * d
            e_new, g_new = fun(x_new)
            n_evals += 1
            if np.isfinite(e_new) and e_new <= e + p.c1 * alpha * slope + slack:
                accepted = True
                break
            alpha *= p.shrink
        if not accepted:
            failures += 1
            pairs.clear()
            if failures >= 3:
                message = "line search failed repeatedly (energy does not decrease)"
                k -= 1
                break
            continue
        failures = 0
        s, y = x_new - x, g_new - g
        sy = comm.dot(s, y)
        if sy > 1e-16 * comm.dot(y, y):
            pairs.append((s, y, 1.0 / sy))
        x, e, g = x_new, e_new, g_new
        e_k.append(e)
        f_k.append(fmax_of(g))
        if callback and callback(k, e, f_k[-1]):
            message = "stopped by the caller"
            break
    converged = f_k[-1] <= fmax
    if converged:
        message = "largest force below tolerance"
    elif not message:
        message = f"not converged after {max_steps} steps"
    if not converged:
        message += f" (max force {f_k[-1]:.3e} eV/A)"
    return SolveResult(x, e, converged, k, n_evals, np.array(e_k), np.array(f_k), message)


def _two_loop(g, pairs, precon, comm=SERIAL):
    """H g for the L-BFGS inverse Hessian H built on pairs (s, y, 1/s.y).

    The updates are in place (BLAS axpy): one pass over each vector instead of
    three, which matters at tens of thousands of unknowns and 20 pairs.
    """
    q = np.array(g, dtype=np.float64)
    alphas = []
    for s, y, rho in reversed(pairs):
        a = rho * comm.dot(s, q)
        q = _axpy(y, q, a=-a)
        alphas.append(a)
    if precon is not None:
        r = np.array(precon(q), dtype=np.float64)
    elif pairs:
        s, y, rho = pairs[-1]
        r = q * (comm.dot(s, y) / comm.dot(y, y))
    else:
        r = q * 0.01  # first step: a small steepest-descent step (A^2/eV)
    for (s, y, rho), a in zip(pairs, reversed(alphas)):
        b = rho * comm.dot(y, r)
        r = _axpy(s, r, a=a - b)
    return r
