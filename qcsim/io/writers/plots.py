"""Writer ``plots``: crack_tip.png (tip advance, dislocation distance and energy
against K), crack_atoms.png (the last frame's atoms by local structure) and
mesh.png (the mesh and the atoms by region)."""
from __future__ import annotations

import logging
import time

import numpy as np

from qcsim.driver.operations import Writer, register_writer
from qcsim.driver.triggers import Always
from qcsim.units import mpa_sqrt_m

__all__ = ["CrackPlots", "PLOT_INTERVAL"]

log = logging.getLogger(__name__)

# Plots take ~1 s; they are refreshed at most this often (and always when forced:
# the end of the run, a failed or stopped step).
PLOT_INTERVAL = 30.0


@register_writer("plots")
class CrackPlots(Writer):
    """Needs ``outputs.constants`` K_G (GPa*sqrt(A)), tip_x0 (the initial tip, A),
    zoom (half width of mesh.png's close-up, A) and title."""

    def __init__(self, outputs, trigger=Always()):
        self.outputs, self.trigger = outputs, trigger
        self._plotted = -np.inf

    def write(self, step) -> None:
        """Draw the snapshot if ``step.force`` or if PLOT_INTERVAL has passed."""
        out = self.outputs
        due = out.n_rows and time.monotonic() - self._plotted > PLOT_INTERVAL
        if step.snapshot is not None and (step.force or due):
            self.draw(step.snapshot)

    def draw(self, snap) -> None:
        from qcsim.io.crack_plots import StudyCurves, plot_atoms, plot_mesh, plot_study

        t = time.perf_counter()
        out = self.outputs
        K_G = mpa_sqrt_m(out.constants["K_G"])
        title = out.constants.get("title") or ""
        steps = out.h5["steps"] if "steps" in out.h5 else None
        if steps is not None and out.n_rows:
            n = out.n_rows
            col = lambda name: np.asarray(steps[name][:n])  # noqa: E731
            curves = StudyCurves(K=col("K"), K_G=K_G,
                                 tip_advance=col("crack_tip_x") - out.constants["tip_x0"],
                                 dislocation_distance=col("dislocation_distance"),
                                 energy=col("energy"), n_dof=col("n_dof"),
                                 converged=col("converged"), emitted=col("emitted"),
                                 advanced=col("advanced"))
            plot_study(out.stage_path("crack_tip.png"), curves, title=title)
        p = getattr(out, "picture", None)
        if p is not None:
            far = max((np.hypot(c[0] - p["tip"][0], c[1] - p["tip"][1]) for c in p["cores"]),
                      default=0.0)
            reach = np.abs(p["xy"] - np.asarray(p["tip"])).max() if len(p["xy"]) else 40.0
            half = float(min(max(40.0, 1.15 * far + 10.0), reach))
            plot_atoms(out.stage_path("crack_atoms.png"), p["xy"], p["structure"], p["tip"],
                       p["cores"], half_width=half,
                       title=f"step {p['step']}: K = {p['K']:.4g} MPa*sqrt(m) "
                             f"({p['K'] / K_G:.3f} K_G); atoms by local structure")
        st = snap.state
        plot_mesh(out.stage_path("mesh.png"), snap.X_nc, st["U_nc"], snap.elements_ta,
                  snap.flag_n, snap.atoms_n, (st["tip_x"], st["cores"][0][1]),
                  zoom=out.constants["zoom"],
                  title=f"step {st['step_index']}: K = {mpa_sqrt_m(st['K']):.4g} MPa*sqrt(m)")
        self._plotted = time.monotonic()
        log.debug("plots written (%.2f s)", time.perf_counter() - t)
