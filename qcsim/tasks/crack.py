"""Task ``crack``: a straight crack loaded step by step by the anisotropic K-field.

Deck sections: ``potential``, ``crystal``, ``qc``, ``crack`` (required);
``adapt``, ``relax``, ``output`` (optional).  The study
(:class:`qcsim.fracture.CrackStudy`) holds the ring ``r > r_outer -
boundary_width`` at the Stroh K-field of the model's own elastic constants,
centred at the initial tip, relaxes, tracks the tip from broken bonds, looks for
emitted dislocations and lets the atomistic region follow the tip.  The loads
are given in MPa*sqrt(m) or in multiples of the Griffith load
``K_G = sqrt(4 gamma / (L^-1)_22)`` (gamma from the deck, or computed from the
potential for the crack plane).

Outputs (docs/crack.md): ``results.h5`` (per-step table ``/steps``, mesh frames
``/frames``, ``/checkpoint``), ``results.xdmf``, ``atoms.extxyz``,
``crack_tip.png``, ``mesh.png``, ``run.log``.  They appear at the first
checkpoint and are updated at every one; a load step that does not converge
ends the run (exit code 3) unless ``crack.on_failure: continue``; SIGTERM
writes a checkpoint of the last completed step, keeps the outputs and exits
with code 143; ``qcsim run DECK --restart results.h5`` continues.
"""
from __future__ import annotations

import logging
import math
import time

from qcsim.deck.sections.qc import widths
from qcsim.errors import DeckError, GeometryError, QCSimError
from qcsim.tasks._qc import MAX_ATOMS, check_potential_and_crystal, make_potential
from qcsim.tasks.base import TaskOutcome, TaskSpec, register_task
from qcsim.units import MJ_PER_J, mpa_sqrt_m

log = logging.getLogger(__name__)

# The relax section's fmax default (1e-4 eV/A) is tighter than a crack study needs.
DEFAULT_FMAX = 1e-3


# -- deck checks ----------------------------------------------------------------------
def fmax_of(deck) -> float:
    """``relax.fmax`` if the deck gives it, else 1e-3 eV/A."""
    return deck["relax"].fmax if ("relax", "fmax") in deck.lines.lines else DEFAULT_FMAX


def method_of(deck) -> str:
    """``relax.method``, except that qcf (no energy) needs FIRE."""
    if deck["qc"].scheme == "qcf" and ("relax", "method") not in deck.lines.lines:
        return "fire"
    return deck["relax"].method


def boundary_width_of(deck, cutoff: float) -> float:
    """Width of the held ring: ``crack.boundary_width`` or two cutoffs."""
    width = deck["crack"].boundary_width
    return 2.0 * cutoff if width is None else width


def check(deck, ctx):
    """Solver and scheme agree, the crack plane is a lattice plane, the model fits;
    returns the deck with its lattice constant resolved."""
    qc, crack, crystal_cfg = deck["qc"], deck["crack"], deck["crystal"]
    if qc.scheme == "qcf" and method_of(deck) != "fire":
        raise ctx.error("scheme qcf has no energy, so it needs a force-based solver: "
                        "use method: fire", ("relax", "method"))
    if qc.fixed_width:
        raise ctx.error("task crack holds the ring given by crack.boundary_width (at the "
                        "K-field); remove qc.fixed_width", ("qc", "fixed_width"))
    skin = deck["relax"].skin
    deck, pot, slab = check_potential_and_crystal(deck, ctx, skin)
    if abs(abs(slab.b_kc[1, 1]) - slab.row_spacing) > 1e-9:
        raise ctx.error(f"the crack plane must be a lattice plane normal to y: the rows of "
                        f"orient[1] = {list(crystal_cfg.orient[1])} are not (choose y along a "
                        "low-index plane normal, with x in that plane)", ("crystal", "orient", 1))
    width = boundary_width_of(deck, pot.cutoff)
    where = ("crack", "boundary_width") if crack.boundary_width is not None else ("qc", "r_outer")
    if qc.atomistic_only:
        if width >= qc.r_outer:
            raise ctx.error(f"the held ring ({width:.2f} A wide) would hold the whole domain "
                            f"(r_outer = {qc.r_outer:g} A)", where)
        inner = qc.r_outer
    else:
        h, p = widths(qc.scheme, pot.cutoff, skin, qc.handshake, qc.pad)
        need = qc.r_core + h + p + slab.row_spacing + width
        if need >= qc.r_outer:
            raise ctx.error(f"the core ({qc.r_core:g} A), handshake ({h:.2f} A), pad ({p:.2f} A), "
                            f"one atomic row ({slab.row_spacing:.2f} A) and the held ring "
                            f"({width:.2f} A) need r_outer > {need:.2f} A; r_outer = "
                            f"{qc.r_outer:g} A (or make r_core >= r_outer: fully atomistic)",
                            ("qc", "r_outer"))
        inner = qc.r_core + h + p
    n_atoms = math.pi * inner ** 2 / slab.area
    if n_atoms > MAX_ATOMS:
        raise ctx.error(f"the atomistic region would hold about {n_atoms:,.0f} atoms, more "
                        f"than the limit of {MAX_ATOMS:,}", ("qc", "r_core"))
    return deck


def summary(deck) -> str:
    """One line for ``qcsim validate``."""
    qc, crack = deck["qc"], deck["crack"]
    K = crack.K
    model = (f"fully atomistic disk of {qc.r_outer:g} A" if qc.atomistic_only else
             f"{qc.scheme} model, core {qc.r_core:g} A in a disk of {qc.r_outer:g} A")
    return (f"{model}; K from {K.start:g} to {K.end:g} {K.unit} in {K.count} steps; "
            f"{method_of(deck)} to fmax {fmax_of(deck):g} eV/A")


def crack_spec(deck, cutoff: float):
    """The :class:`qcsim.fracture.CrackSpec` of the deck."""
    from qcsim.fracture import CrackSpec

    qc, crack, adapt, relax = deck["qc"], deck["crack"], deck["adapt"], deck["relax"]
    return CrackSpec(r_core=qc.r_core, r_outer=qc.r_outer, scheme=qc.scheme, growth=qc.growth,
                     handshake=qc.handshake, pad=qc.pad, profile=qc.profile, skin=relax.skin,
                     boundary_width=boundary_width_of(deck, cutoff), tip_x=crack.tip_x,
                     crack_row=crack.plane_row, follow=adapt.follow,
                     refine_tol=adapt.refine_tol, atomistic_tol=adapt.atomistic_tol,
                     max_adapt=adapt.max_passes,
                     fmax=fmax_of(deck), max_steps=relax.max_steps, method=method_of(deck),
                     precon=crack.precon, parallel_precon=crack.parallel_precon,
                     slip_strain=adapt.slip_strain,
                     slit_cohesion=crack.precrack_cohesion, face_energy=crack.face_energy)


# -- the run --------------------------------------------------------------------------
def surface_energy_of(deck) -> float:
    """Relaxed surface energy (J/m^2) of the plane normal to y, from the potential."""
    from qcsim.analysis import surface_energy
    from qcsim.tasks.relax import make_calculator

    crystal, pot_cfg = deck["crystal"], deck["potential"]
    miller = tuple(int(v) for v in crystal.orient[1])
    t = time.perf_counter()
    try:
        gamma = surface_energy(make_calculator(pot_cfg, 1.0), crystal.element, crystal.lattice,
                               crystal.a, miller) / MJ_PER_J
    except QCSimError as exc:
        raise QCSimError(f"cannot compute the surface energy of the {miller} plane from the "
                         f"potential ({exc}); give it as crack.gamma (J/m^2)") from None
    log.info("surface energy of the %s plane from the potential (relaxed slab): gamma = %.5f "
             "J/m^2 (%.2f s)", miller, gamma, time.perf_counter() - t)
    return gamma


def make_study(deck, potential):
    """The :class:`qcsim.fracture.CrackStudy` (a GeometryError becomes a DeckError at qc)."""
    from qcsim.fracture import CrackStudy
    from qcsim.tasks.runner import run_comm

    try:
        return CrackStudy(potential, deck["crystal"].build(), crack_spec(deck, potential.cutoff),
                          comm=run_comm())
    except (GeometryError, ValueError) as exc:
        raise DeckError(f"cannot build the crack model: {exc}", file=deck.file,
                        line=deck.lines.line(("qc",)), key="qc") from None


def griffith_load(study, gamma: float) -> float:
    """K_G (GPa*sqrt(A)) of the study's elastic constants for gamma in J/m^2."""
    from qcsim.loading import convert_surface_energy, griffith_K

    return griffith_K(study.stroh, convert_surface_energy(gamma, "J/m^2"))


def run(deck, stage, options) -> TaskOutcome:
    """Step the load from crack.K.start to crack.K.end; write results, checkpoints, plots."""
    from qcsim.io.checkpoint import read_checkpoint
    from qcsim.tasks._crack_run import check_restart, step_loop

    potential = make_potential(deck["potential"])
    ckpt = None
    if options.restart is not None:
        ckpt = read_checkpoint(options.restart)
        check_restart(deck, ckpt)
    study = make_study(deck, potential)
    if ckpt is not None:
        gamma, K_G = ckpt.gamma, ckpt.K_G
        try:
            study.restore(ckpt.state)
        except ValueError as exc:
            raise QCSimError(f"{ckpt.path}: cannot continue from its checkpoint: {exc}") from None
        log.info("restarted from %s after load step %d: K = %.6g MPa*sqrt(m), tip x = %.2f A",
                 ckpt.path, study.step_index, mpa_sqrt_m(study.K), study.tip_x)
    else:
        gamma = deck["crack"].gamma
        if gamma is None:
            gamma = surface_energy_of(deck)
        K_G = griffith_load(study, gamma)
    log.info("Griffith load K_G = %.6g MPa*sqrt(m) (%.6g GPa*sqrt(A)) from gamma = %.5g J/m^2 "
             "and (L^-1)_22 = %.6g 1/GPa of the model's elastic constants", mpa_sqrt_m(K_G), K_G,
             gamma, study.stroh.L_inv[1, 1])
    # SIGTERM before the first checkpoint: the CLI's handler (outputs removed);
    # from the first checkpoint on, step_loop's (outputs and checkpoint kept)
    return step_loop(deck, stage, options, study, K_G, gamma, ckpt)


register_task(TaskSpec(name="crack", run=run, sections=("potential", "crystal", "qc", "crack"),
                       optional=("adapt", "relax", "output"), check=check, summary=summary,
                       takes_options=True, restartable=True, distributed=True,
                       doc="load a straight crack step by step by the anisotropic K-field "
                           "(checkpoints, --restart)"))
