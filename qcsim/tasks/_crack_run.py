"""The load-step loop of task ``crack``: steps, outputs, checkpoints, SIGTERM, restarts.

Operations and their triggers: every load step appends a row to ``/steps``;
every ``output.every`` steps (and the last, and a step that fails) a frame is
written; every ``output.checkpoint_every`` steps (and the last) a checkpoint,
the XDMF index and (at most every 30 s) the plots, after which the outputs are
committed to their final names.  SIGTERM and Ctrl-C are held while anything
is being written; otherwise they stop the step in progress at once, and the
checkpoint of the last completed step is written before the run ends (exit
code 143, or 130 for Ctrl-C) with the command that continues it, on the
terminal and in run.log.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from qcsim.driver import Failed, Final, Periodic, RunLoop, Snapshot, get_writer
from qcsim.errors import QCSimError
from qcsim.tasks._progress import progress_bar
from qcsim.tasks.base import TaskOutcome
from qcsim.units import K_UNIT, gpa_sqrt_a, mpa_sqrt_m

__all__ = ["check_restart", "step_loop", "continue_command"]

log = logging.getLogger(__name__)

# Sections (and keys of crack) that define the study: a restart must not change them.
SAME_STUDY = ("crystal", "qc")
SAME_CRACK = ("plane_row", "tip_x", "boundary_width", "gamma")


# -- restart -------------------------------------------------------------------------
def check_restart(deck, ckpt) -> None:
    """The deck describes the study of the checkpoint (QCSimError otherwise); settings
    that may change between runs (load steps, solver, adaptivity, output) are logged."""
    from qcsim.tasks import parse_deck
    from qcsim.io.results import sha256_of

    try:
        old = parse_deck(ckpt.deck_text, file=f"{ckpt.path} (its deck)", base_dir=deck.base_dir)
    except QCSimError as exc:
        raise QCSimError(f"{ckpt.path}: the deck stored with its checkpoint cannot be read "
                         f"here ({exc})") from None
    if old.task != "crack":
        raise QCSimError(f"{ckpt.path}: written by task {old.task!r}, not crack")
    differ = [name for name in SAME_STUDY if old[name] != deck[name]]
    differ += [f"crack.{k}" for k in SAME_CRACK if getattr(old["crack"], k) !=
               getattr(deck["crack"], k)]
    new_pot, old_pot = deck["potential"], old["potential"]
    if {k: v for k, v in new_pot.kwargs().items() if k != "file"} != \
            {k: v for k, v in old_pot.kwargs().items() if k != "file"}:
        differ.append("potential")
    path = getattr(new_pot, "file", None)
    if path is not None and ckpt.potential_sha256 and sha256_of(path) != ckpt.potential_sha256:
        differ.append(f"potential file {Path(path).name} (its contents)")
    if differ:
        raise QCSimError(f"{deck.file} does not describe the study of the checkpoint in "
                         f"{ckpt.path}: {', '.join(differ)} differ(s); a restart may change "
                         "only crack.K, crack.precon, crack.parallel_precon, crack.on_failure, "
                         "adapt, relax and output")
    changed = [name for name in ("adapt", "relax", "output") if old[name] != deck[name]]
    changed += [f"crack.{k}" for k in ("K", "precon", "parallel_precon", "on_failure")
                if getattr(old["crack"], k) != getattr(deck["crack"], k)]
    if changed:
        log.warning("the deck changes %s from the run that wrote the checkpoint",
                    ", ".join(changed))


def continue_command(deck, stage) -> str:
    """The command that continues this run from its checkpoint."""
    from qcsim.tasks.runner import output_dir_for

    folder = Path(stage.final_dir)
    out = "" if folder == output_dir_for(deck) else f" -o {folder}"
    return f"qcsim run {deck.file}{out} --restart {folder / 'results.h5'}"


# -- progress ------------------------------------------------------------------------
def log_step(study, rec, K_G: float, total: int) -> None:
    log.info("step %d/%d  K = %.5g MPa*sqrt(m) (%.4f K_G)  tip x = %.2f A  E = %.6f eV  "
             "%d iterations  max force %.2e eV/A  %d atoms  %d dof  adapt %d  %s%s(%.2f s)",
             study.step_index, total, mpa_sqrt_m(rec.K), rec.K / K_G, rec.crack_tip_x, rec.energy,
             rec.iterations, rec.max_force, rec.n_atomistic, rec.n_dof, rec.n_adapt,
             "EMITTED  " if rec.emitted else "", "" if rec.converged else "NOT CONVERGED  ",
             rec.wall_time)


# -- the outputs ---------------------------------------------------------------------
def open_outputs(deck, stage, study, K_G: float, gamma: float, ckpt):
    """The run's outputs and writers, compiled from the deck: (outputs, writers,
    checkpointer, publishers, frame trigger, checkpoint trigger)."""
    import qcsim.io.writers  # noqa: F401 - registers the writers
    from qcsim.io.checkpoint import copy_history
    from qcsim.io.writers import RunInfo, RunOutputs

    pot, settings = deck["potential"], deck["output"]
    info = RunInfo(task="crack", deck_text=deck.text, deck_file=deck.file, title=deck.title,
                   potential_style=pot.style, potential_file=getattr(pot, "file", None),
                   derived=dict(deck.derived))
    qc = deck["qc"]
    out = RunOutputs(stage, info, constants={
        "K_G": K_G, "gamma": gamma, "tip_x0": deck["crack"].tip_x, "title": deck.title or "",
        "zoom": 1.5 * min(qc.r_core, qc.r_outer)})
    out.h5.attrs.update({"K_G": mpa_sqrt_m(K_G), "K_G_units": "MPa*sqrt(m)",
                         "gamma": gamma, "gamma_units": "J/m^2"})
    frames = Periodic(settings.every) | Final() | Failed()
    checkpoints = Periodic(settings.checkpoint_every) | Final()
    names = ["table", "frames"] + (["extxyz"] if settings.extxyz else []) + list(settings.writers)
    writers = [get_writer(n)(out, frames if n != "table" else Periodic(1)) for n in names]
    checkpointer = get_writer("checkpoint")(out)
    publishers = [get_writer("xdmf")(out), get_writer("plots")(out)]
    if ckpt is not None:
        copy_history(ckpt.path, out.h5, ckpt.n_steps, ckpt.n_frames, table="steps")
        for w in writers:
            resume = getattr(w, "resume", None)
            if resume is not None:
                resume(ckpt)
        out.n_rows, out.n_frames = ckpt.n_steps, ckpt.n_frames
        out.h5["run"].attrs.update({"restarted_from": str(ckpt.path),
                                    "restart_step": int(ckpt.state["step_index"])})
    return out, writers, checkpointer, publishers, frames, checkpoints


# -- the loop ------------------------------------------------------------------------
def step_loop(deck, stage, options, study, K_G: float, gamma: float, ckpt) -> TaskOutcome:
    """Run the remaining load steps of ``study``; see the module docstring."""
    from qcsim.tasks.runner import RunStopped, StopGuard, StopRequested

    loads = deck["crack"].K_values(K_G)
    tol = 1e-9 * max(abs(v) for v in loads)
    todo = [K for K in loads if K > study.K + tol]
    if not todo:
        log.info("nothing to do: the checkpoint is at K = %.6g MPa*sqrt(m), the deck's last "
                 "load is %.6g", mpa_sqrt_m(study.K), mpa_sqrt_m(loads[-1]))
    out, writers, checkpointer, publishers, frames, checkpoints = open_outputs(
        deck, stage, study, K_G, gamma, ckpt)
    total = study.step_index + len(todo)
    loop = RunLoop(study.stepper, out, writers, frames=frames, checkpoints=checkpoints,
                   checkpointer=checkpointer, publishers=publishers,
                   snapshot=lambda: Snapshot.of(study, out.n_rows, out.n_frames),
                   stop_on_failure=deck["crack"].on_failure == "stop")
    try:
        with StopGuard() as guard:
            try:
                with progress_bar(options, total, study.step_index, desc="crack",
                                  unit="step") as bar:
                    def on_step(rec, event):
                        log_step(study, rec, K_G, total)
                        if bar is not None:
                            bar.update(1)
                            bar.set_postfix_str(f"K/K_G={rec.K / K_G:.3f} "
                                                f"tip={rec.crack_tip_x:.1f}A")
                    loop.on_step = on_step
                    if not loop.run(todo, guard):
                        return _failed(deck, stage, study, loop.failed, loop.last, K_G)
                return _finished(out, study, K_G)
            except StopRequested as stop:
                if loop.saved is None:  # nothing published yet: as the other tasks do
                    raise RunStopped(f"{stop.reason}; outputs of this run removed",
                                     exit_code=stop.exit_code, keep_outputs=False) from None
                with guard.critical():
                    if loop.saved is not loop.last:
                        loop.checkpoint(loop.last)
                    loop.publish(loop.last, force=True)
                st = loop.last.state
                raise RunStopped(f"{stop.reason} after load step {st['step_index']} of "
                                 f"{total} (K = {mpa_sqrt_m(st['K']):.5g} {K_UNIT}); "
                                 f"outputs and a checkpoint kept in {stage.final_dir}; "
                                 f"continue with: "
                                 f"{continue_command(deck, stage)}",
                                 exit_code=stop.exit_code) from None
    finally:
        loop.close()
        out.close()


def _failed(deck, stage, study, rec, last, K_G) -> TaskOutcome:
    st = last.state
    return TaskOutcome(False, f"load step {study.step_index} (K = {mpa_sqrt_m(rec.K):.5g} "
                              f"{K_UNIT}, "
                              f"{rec.K / K_G:.4f} K_G) did not converge: max force "
                              f"{rec.max_force:.3e} eV/A > fmax {study.spec.fmax:g} after "
                              f"{rec.iterations} iterations; results written up to it, the "
                              f"checkpoint is step {st['step_index']} (K = "
                              f"{mpa_sqrt_m(st['K']):.5g} {K_UNIT}); change the relax settings "
                              f"and "
                              f"continue with: {continue_command(deck, stage)}, or set "
                              "crack.on_failure: continue")


def _finished(out, study, K_G) -> TaskOutcome:
    steps = out.h5["steps"] if "steps" in out.h5 else None
    if steps is None or not out.n_rows:
        return TaskOutcome(True, "no load steps")
    n = out.n_rows
    K = steps["K"][:n]
    tip = steps["crack_tip_x"][:n]
    emitted = steps["emitted"][:n]
    conv = steps["converged"][:n]
    adv = np.nonzero(tip > study.first_bond_x + 1e-6)[0]
    what = [f"{n} load steps to K = {K[-1]:.5g} MPa*sqrt(m) ({gpa_sqrt_a(K[-1]) / K_G:.4f} K_G)",
            f"crack tip at x = {tip[-1]:.2f} A"]
    what.append(f"first advance at K = {K[adv[0]]:.5g} MPa*sqrt(m)" if len(adv) else
                "no advance")
    em = np.nonzero(emitted)[0]
    what.append(f"dislocation emitted from K = {K[em[0]]:.5g} MPa*sqrt(m)" if len(em) else
                "no emission")
    if not conv.all():
        what.append(f"{int((~conv).sum())} step(s) not converged (on_failure: continue)")
    return TaskOutcome(True, "; ".join(what))

