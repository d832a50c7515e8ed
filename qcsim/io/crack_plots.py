"""PNG plots of a crack study (matplotlib, Agg backend: no display needed).

* :func:`plot_tip_vs_K`: crack-tip position against the load, with the Griffith
  load marked and the steps that emitted a dislocation or did not converge;
* :func:`plot_mesh`: the deformed mesh with the atoms coloured by region (core,
  handshake, pad), the whole domain and a close-up of the tip.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["plot_tip_vs_K", "plot_mesh"]

_REGION_STYLE = ((0, "core", "tab:red"), (1, "handshake", "tab:orange"), (2, "pad", "tab:blue"))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def plot_tip_vs_K(path: str | Path, K, tip_x, K_G: float | None = None, converged=None,
                  emitted=None, title: str = "") -> None:
    """Crack-tip position (A) against K (MPa*sqrt(m)).

    Parameters
    ----------
    K, tip_x : (s,) per load step.
    K_G : the Griffith load (MPa*sqrt(m)), drawn as a dashed line.
    converged, emitted : (s,) bool per step (not converged: red crosses;
        a dislocation emitted: triangles).
    """
    plt = _pyplot()
    K, tip = np.asarray(K, float), np.asarray(tip_x, float)
    fig, ax = plt.subplots(figsize=(6.0, 4.0), dpi=110)
    ax.plot(K, tip, "o-", ms=3.5, lw=1.2, color="tab:blue", label="crack tip")
    if emitted is not None and np.any(emitted):
        e = np.asarray(emitted, bool)
        ax.plot(K[e], tip[e], "^", ms=7, mfc="none", color="tab:green",
                label="dislocation emitted")
    if converged is not None and not np.all(converged):
        c = ~np.asarray(converged, bool)
        ax.plot(K[c], tip[c], "x", ms=8, color="tab:red", label="not converged")
    if K_G is not None and np.isfinite(K_G):
        ax.axvline(K_G, ls="--", color="0.4", lw=1.0, label=f"K_G = {K_G:.4g}")
    ax.set_xlabel("K_I (MPa m$^{1/2}$)")
    ax.set_ylabel("crack-tip position x (Å)")
    ax.set_title(title or "crack tip vs load")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_mesh(path: str | Path, X_nc, U_nc, elements_ta, flag_n, atoms_n, tip_xy,
              zoom: float, title: str = "", scale: float = 1.0) -> None:
    """The mesh at X + scale * U with the atoms marked by region.

    Parameters
    ----------
    X_nc, U_nc : (n, 3) reference positions and displacements (A).
    elements_ta : (t, 3) triangles; flag_n : (n,) region flags; atoms_n : node indices
        of the atoms.
    tip_xy : the crack tip (reference, A), centre of the close-up.
    zoom : half-width of the close-up (A).
    """
    plt = _pyplot()
    from matplotlib.tri import Triangulation

    x = np.asarray(X_nc, float)[:, :2] + scale * np.asarray(U_nc, float)[:, :2]
    tri = Triangulation(x[:, 0], x[:, 1], np.asarray(elements_ta))
    fig, axes = plt.subplots(1, 2, figsize=(11.0, 5.2), dpi=110)
    for ax, close in zip(axes, (False, True)):
        ax.triplot(tri, lw=0.25 if not close else 0.4, color="0.55")
        size = 0.6 if not close else 6.0
        for flag, name, color in _REGION_STYLE:
            sel = atoms_n[flag_n[atoms_n] == flag]
            if len(sel):
                ax.plot(x[sel, 0], x[sel, 1], ".", ms=size ** 0.5 * 2, color=color,
                        label=name if close else None)
        ax.plot([tip_xy[0]], [tip_xy[1]], "k+", ms=12, mew=1.5)
        ax.set_aspect("equal")
        if close:
            ax.set_xlim(tip_xy[0] - zoom, tip_xy[0] + zoom)
            ax.set_ylim(tip_xy[1] - zoom, tip_xy[1] + zoom)
            ax.legend(loc="upper right", fontsize=8, markerscale=2)
            ax.set_title("close-up of the tip (+)")
        else:
            ax.set_title(title or "mesh and atomistic region")
        ax.set_xlabel("x (Å)")
        ax.set_ylabel("y (Å)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
