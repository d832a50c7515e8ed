"""PNG plots of a crack study (matplotlib, Agg backend: no display needed).

* :func:`plot_study`: what happened against the load: the tip's advance and
  the leading dislocation's distance from the tip, the energy, and the energy
  less its elastic K^2 trend (where an event shows as a drop), with the
  Griffith load and the first event marked once;
* :func:`plot_atoms`: the atoms near the tip coloured by local structure
  (fcc, hcp, bcc, other: the colours OVITO uses), so that a stacking fault,
  a dislocation core or a twin can be seen;
* :func:`plot_mesh`: the deformed mesh with the atoms coloured by region (core,
  handshake, pad), the whole domain and a close-up of the tip.

Units are written one way everywhere: A, eV, and K in MPa*sqrt(m).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["plot_study", "plot_atoms", "plot_mesh", "study_figure", "atoms_figure",
           "StudyCurves", "elastic_trend", "K_UNIT"]

K_UNIT = "MPa*sqrt(m)"
_REGION_STYLE = ((0, "core", "tab:red"), (1, "handshake", "tab:orange"), (2, "pad", "tab:blue"))
# adaptive CNA codes of qcsim.analysis.defects -> name, colour (OVITO's)
_STRUCTURE_STYLE = ((1, "fcc", "#66cc66"), (2, "hcp", "#ff4d4d"), (3, "bcc", "#6680ff"),
                    (0, "other", "#d9d9d9"))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


@dataclass(frozen=True)
class StudyCurves:
    """The per-step columns :func:`plot_study` draws (one entry per load step).

    K : load (MPa*sqrt(m)); K_G : the Griffith load (MPa*sqrt(m));
    tip_advance : the tip's position less its initial position (A);
    dislocation_distance : the leading dislocation's distance from the tip
        (A; NaN while there is none); energy : the model's energy (eV);
    n_dof : the model's size (a change means the energy is another model's);
    converged, emitted, advanced : bool per step.
    """

    K: np.ndarray
    K_G: float
    tip_advance: np.ndarray
    dislocation_distance: np.ndarray
    energy: np.ndarray
    n_dof: np.ndarray
    converged: np.ndarray
    emitted: np.ndarray
    advanced: np.ndarray

    def first_event(self) -> tuple[int, str] | None:
        """(index, "emission" / "advance" / "emission + advance") of the first event."""
        em, adv = np.asarray(self.emitted, bool), np.asarray(self.advanced, bool)
        hit = np.nonzero(em | adv)[0]
        if not len(hit):
            return None
        i = int(hit[0])
        kinds = [name for name, flag in (("emission", em[i]), ("advance", adv[i])) if flag]
        return i, " + ".join(kinds)


def elastic_trend(K, energy, before: int) -> np.ndarray | None:
    """a + b K^2 fitted to the first ``before`` steps (the linear-elastic energy of a
    K-loaded body), evaluated at every K; None with fewer than two such steps."""
    K, E = np.asarray(K, float), np.asarray(energy, float)
    if before < 2 or np.ptp(K[:before]) == 0:
        return None
    A = np.column_stack([np.ones(before), K[:before] ** 2])
    coef = np.linalg.lstsq(A, E[:before], rcond=None)[0]
    return coef[0] + coef[1] * K ** 2


def plot_study(path: str | Path, c: StudyCurves, title: str = "") -> None:
    """Three panels against K: distances, energy, energy less its elastic trend."""
    _save(study_figure(c, title), path)


def _save(fig, path) -> None:
    fig.savefig(path)
    _pyplot().close(fig)


def study_figure(c: StudyCurves, title: str = ""):
    """The matplotlib Figure of :func:`plot_study` (the caller closes it)."""
    plt = _pyplot()
    K = np.asarray(c.K, float)
    fig, axes = plt.subplots(3, 1, figsize=(6.4, 8.4), dpi=110, sharex=True,
                             gridspec_kw={"height_ratios": (1.3, 1.0, 1.0)})
    ax_d, ax_e, ax_r = axes
    event = c.first_event()
    # (a) where things are
    ax_d.plot(K, c.tip_advance, "o-", ms=3.5, lw=1.2, color="tab:blue",
              label="crack-tip advance")
    dist = np.asarray(c.dislocation_distance, float)
    if np.isfinite(dist).any():
        ax_d.plot(K, dist, "s-", ms=3.5, lw=1.2, color="tab:green",
                  label="leading dislocation: distance from the tip")
    top = np.nanmax(np.concatenate([np.abs(c.tip_advance), np.nan_to_num(dist)]))
    ax_d.set_ylim(-0.05 * max(top, 5.0), 1.1 * max(top, 5.0))  # a flat line looks flat
    ax_d.set_ylabel("distance (A)")
    # (b) the energy and (c) its departure from the elastic trend
    E = np.asarray(c.energy, float)
    ax_e.plot(K, E, "o-", ms=3.5, lw=1.2, color="tab:purple", label="model energy")
    ax_e.set_ylabel("energy (eV)")
    before = event[0] if event is not None else len(K)
    trend = elastic_trend(K, E, before)
    # where the model adapted, its energy is another (larger) model's: a jump there is
    # not an energy release
    changed = np.concatenate([[False], np.diff(np.asarray(c.n_dof)) != 0])
    adapted = "model adapted (the energy of a larger model)"
    if changed.any():
        ax_e.plot(K[changed], E[changed], "o", ms=7, mfc="none", color="tab:orange",
                  label=adapted)
    if trend is not None:
        ax_e.plot(K, trend, "--", lw=1.0, color="0.5",
                  label="elastic trend a + b K^2 (steps before the event)")
        ax_r.plot(K, E - trend, "o-", ms=3.5, lw=1.2, color="tab:purple")
        if changed.any():
            ax_r.plot(K[changed], (E - trend)[changed], "o", ms=7, mfc="none", color="tab:orange",
                      label=adapted)
            ax_r.legend(loc="best", fontsize=8)
    else:
        ax_r.text(0.5, 0.5, "too few steps before the event for an elastic trend",
                  ha="center", va="center", transform=ax_r.transAxes, fontsize=9, color="0.4")
    ax_r.set_ylabel("energy - elastic trend (eV)")
    ax_r.set_xlabel(f"K_I ({K_UNIT})")
    # marks shared by the three panels: K_G, the first event once, failed steps
    failed = ~np.asarray(c.converged, bool)
    pad = 0.04 * max(np.ptp(K), 1e-3 * max(abs(K).max(), 1e-12))
    lo, hi = K.min() - pad, K.max() + pad
    show_KG = np.isfinite(c.K_G) and lo <= c.K_G <= hi
    for k, ax in enumerate(axes):
        if show_KG:
            ax.axvline(c.K_G, ls="--", color="0.4", lw=1.0,
                       label=f"K_G = {c.K_G:.4g} {K_UNIT}" if k == 0 else None)
        if event is not None:
            i, kind = event
            ax.axvline(K[i], ls=":", color="tab:red", lw=1.4,
                       label=f"first event: {kind} at K = {K[i]:.4g} {K_UNIT} "
                             f"({K[i] / c.K_G:.3f} K_G)" if k == 0 else None)
        if failed.any():
            y = {0: np.asarray(c.tip_advance, float), 1: E}.get(k, np.zeros_like(K))
            if k == 2 and trend is not None:
                y = E - trend
            ax.plot(K[failed], y[failed], "x", ms=8, color="tab:red",
                    label="not converged" if k == 0 else None)
        ax.grid(alpha=0.3)
    ax_r.set_xlim(lo, hi)
    ax_d.legend(loc="best", fontsize=7.5)
    ax_e.legend(loc="best", fontsize=8)
    if np.isfinite(c.K_G) and c.K_G > 0:
        sec = ax_d.secondary_xaxis("top", functions=(lambda k: k / c.K_G, lambda f: f * c.K_G))
        sec.set_xlabel("K / K_G")
    where = "" if show_KG or not np.isfinite(c.K_G) else f" (K_G = {c.K_G:.4g} {K_UNIT})"
    ax_d.set_title((title or "crack study") + where, fontsize=10)
    fig.tight_layout()
    return fig


def plot_atoms(path: str | Path, xy, structure, tip_xy, cores=(), half_width: float = 40.0,
               title: str = "") -> None:
    """The atoms near the tip (projected along z), coloured by local structure.

    Parameters
    ----------
    xy : (n, 2) atom positions (A); structure : (n,) adaptive-CNA codes (0 other,
        1 fcc, 2 hcp, 3 bcc).
    tip_xy : the crack tip (A), marked with a black +; cores : (x, y) of
        dislocation cores, marked with a black symbol.
    half_width : half the side of the square shown, around the tip (A).
    """
    _save(atoms_figure(xy, structure, tip_xy, cores, half_width, title), path)


def atoms_figure(xy, structure, tip_xy, cores=(), half_width: float = 40.0, title: str = ""):
    """The matplotlib Figure of :func:`plot_atoms` (the caller closes it)."""
    plt = _pyplot()
    xy, structure = np.asarray(xy, float), np.asarray(structure)
    cx, cy = tip_xy
    box = (np.abs(xy[:, 0] - cx) <= half_width) & (np.abs(xy[:, 1] - cy) <= half_width)
    fig, ax = plt.subplots(figsize=(6.4, 6.4), dpi=110)
    size = float(np.clip(1.2e5 / max(half_width, 1.0) ** 2, 1.0, 40.0))
    for code, name, color in _STRUCTURE_STYLE:
        sel = box & (structure == code)
        if sel.any():
            ax.scatter(xy[sel, 0], xy[sel, 1], s=size, c=color, edgecolors="none",
                       label=f"{name} ({int(sel.sum())})", zorder=2 if code else 1)
    ax.plot([cx], [cy], "k+", ms=14, mew=1.8, label="crack tip", zorder=3)
    if len(cores):
        c = np.asarray(cores, float).reshape(-1, 2)
        ax.plot(c[:, 0], c[:, 1], "k^", ms=9, mfc="none", mew=1.5, label="dislocation core",
                zorder=3)
    ax.set_xlim(cx - half_width, cx + half_width)
    ax.set_ylim(cy - half_width, cy + half_width)
    ax.set_aspect("equal")
    ax.set_xlabel("x (A)")
    ax.set_ylabel("y (A)")
    ax.legend(loc="upper right", fontsize=8, markerscale=1.5, framealpha=0.9)
    ax.set_title(title or "atoms near the tip by local structure", fontsize=10)
    fig.tight_layout()
    return fig


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
        ax.set_xlabel("x (A)")
        ax.set_ylabel("y (A)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
