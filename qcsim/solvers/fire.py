"""FIRE: the fast inertial relaxation engine.

Bitzek, Koskinen, Gaehler, Moseler and Gumbsch, Phys. Rev. Lett. 97, 170201
(2006), with unit masses and a cap on the largest per-site step, as in ASE.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from qcsim.parallel import SERIAL
from qcsim.parallel.threads import one_blas_thread
from qcsim.solvers.result import SolveResult, max_site_force


@dataclass(frozen=True)
class FIREParams:
    dt: float = 0.1
    dt_max: float = 1.0
    max_step: float = 0.2  # A, largest displacement of a site in one step
    n_min: int = 5
    f_inc: float = 1.1
    f_dec: float = 0.5
    alpha_start: float = 0.1
    f_alpha: float = 0.99


@one_blas_thread()
def fire(fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, *,
         fmax: float = 1e-4, max_steps: int = 10000, params: FIREParams = FIREParams(),
         callback: Callable[[int, float, float], None] | None = None,
         comm=SERIAL) -> SolveResult:
    """Minimise ``fun`` with FIRE.

    Parameters
    ----------
    fun : x -> (energy, gradient); x and gradient are flat, 3 entries per site.
    x0 : starting point (not modified).
    fmax : convergence when the largest per-site force norm is <= fmax (eV/A).
    max_steps : iterations allowed.
    callback : called as ``callback(k, energy, max_force)`` at every iterate (the
        last ``fun`` evaluation was at that iterate); a true return value stops
        the minimisation (not converged, "stopped by the caller").
    comm : the communicator of a distributed x (power, norms and the largest
        force are reduced over it; :data:`qcsim.parallel.SERIAL` for one process).
    """
    p = params
    fmax_of = lambda v: comm.max(max_site_force(v))  # noqa: E731
    x = np.array(x0, dtype=np.float64)
    v = np.zeros_like(x)
    e, g = fun(x)
    n_evals = 1
    e_k, f_k = [e], [fmax_of(g)]
    if not np.all(np.isfinite(g)):  # an invalid starting state: nowhere to go
        return SolveResult(x, e, False, 0, n_evals, np.array(e_k), np.array(f_k),
                           "invalid starting state (forces not finite)")
    if callback:
        callback(0, e, f_k[-1])
    dt, alpha, n_pos = p.dt, p.alpha_start, 0
    for k in range(1, max_steps + 1):
        if f_k[-1] <= fmax:
            return SolveResult(x, e, True, k - 1, n_evals, np.array(e_k), np.array(f_k),
                               "largest force below tolerance")
        f = -g
        power = comm.dot(f, v)
        if power > 0.0:
            fn, vn = comm.norm(f), comm.norm(v)
            v = (1.0 - alpha) * v + alpha * vn * f / max(fn, 1e-300)
            n_pos += 1
            if n_pos > p.n_min:
                dt = min(dt * p.f_inc, p.dt_max)
                alpha *= p.f_alpha
        else:
            v[:] = 0.0
            dt *= p.f_dec
            alpha = p.alpha_start
            n_pos = 0
        v += dt * f
        dx = dt * v
        step = fmax_of(dx)
        if step > p.max_step:
            dx *= p.max_step / step
        x_new = x + dx
        e_new, g_new = fun(x_new)
        n_evals += 1
        if not (np.isfinite(e_new) or np.isnan(e_new)) or not np.all(np.isfinite(g_new)):
            # an invalid trial state (e.g. outside the Cauchy-Born range): step
            # back, stop the motion and shorten the time step
            v[:] = 0.0
            dt *= p.f_dec
            alpha = p.alpha_start
            n_pos = 0
            e_k.append(e)
            f_k.append(f_k[-1])
            if dt < 1e-8 * p.dt:
                return SolveResult(x, e, False, k, n_evals, np.array(e_k), np.array(f_k),
                                   "FIRE stalled on invalid states (time step vanished)")
            continue
        x, e, g = x_new, e_new, g_new
        e_k.append(e)
        f_k.append(fmax_of(g))
        if callback and callback(k, e, f_k[-1]):
            converged = f_k[-1] <= fmax
            return SolveResult(x, e, converged, k, n_evals, np.array(e_k), np.array(f_k),
                               "largest force below tolerance" if converged
                               else "stopped by the caller")
    converged = f_k[-1] <= fmax
    return SolveResult(x, e, converged, max_steps, n_evals, np.array(e_k), np.array(f_k),
                       "largest force below tolerance" if converged
                       else f"not converged after {max_steps} steps (max force {f_k[-1]:.3e} eV/A)")
