"""Task ``qc-relax``: relax a QC model with a defect in its core under a far-field F.

Deck sections: ``potential``, ``crystal``, ``qc``, ``defect`` (required);
``load``, ``relax``, ``output`` (optional).  The model of the ``qc`` section is
built with the defect's sites emptied, its outer boundary nodes held at the
homogeneous displacement (F - I) X, the ghost-force correction taken at F on
the defect-free lattice (bgfc, qce-gfc), and relaxed from the homogeneous
state: L-BFGS for the energy-based schemes, FIRE for qcf (no energy).

Writes ``results.h5`` (``/relax`` table, ``/model``, ``/final``, mesh frame
``/frames/00000``), ``results.xdmf`` (ParaView), ``final.extxyz`` (the atoms of
the model) and ``run.log``; see docs/decks.md.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from qcsim.errors import GeometryError
from qcsim.io.writers.atoms import atoms_of
from qcsim.io.writers.frames import mesh_frame
from qcsim.tasks._qc import (build_model, check_qc, log_model, make_potential,
                             mesh_quality_attrs, sites_in_core)
from qcsim.tasks.base import TaskOutcome, TaskSpec, register_task

log = logging.getLogger(__name__)


def method_of(deck) -> str:
    """The solver: the deck's ``relax.method``, except that qcf needs FIRE."""
    method = deck["relax"].method
    if deck["qc"].scheme == "qcf" and ("relax", "method") not in deck.lines.lines:
        return "fire"
    return method


def check(deck, ctx):
    """The solver suits the scheme, the model fits, the defect lies in the core;
    returns the deck with its lattice constant resolved."""
    qc, defect, settings = deck["qc"], deck["defect"], deck["relax"]
    if qc.scheme == "qcf" and method_of(deck) != "fire":
        raise ctx.error("scheme qcf has no energy, so it needs a force-based solver: "
                        "use method: fire", ("relax", "method"))
    deck = check_qc(deck, ctx, (qc.scheme,), settings.skin)
    slab = deck["crystal"].slab()
    sites = defect.site_list()
    if defect.deck_variant == "microcrack":
        b1 = float(np.linalg.norm(slab.b_kc[0]))
        ends = [(-defect.half_length, 0), (defect.half_length, 0)]
        reach = max(np.linalg.norm(np.asarray(s, float) @ slab.b_kc) for s in ends)
        if reach > qc.r_core:
            fits = int(np.floor(qc.r_core / b1))
            raise ctx.error(f"a microcrack of half_length {defect.half_length} reaches "
                            f"{reach:.2f} A from the centre, outside the atomistic core "
                            f"(r_core = {qc.r_core:g} A; at most half_length {fits} fits)",
                            ("defect", "half_length"))
    else:
        sites_in_core(slab, qc, sites, ctx, lambda k: ("defect", "sites", k))
    return deck


def summary(deck) -> str:
    """One line for ``qcsim validate``."""
    qc, defect, settings = deck["qc"], deck["defect"], deck["relax"]
    what = {"vacancy": f"{len(defect.site_list())} vacant site(s)",
            "microcrack": f"microcrack of {len(defect.site_list())} empty sites",
            "none": "no defect"}[defect.deck_variant]
    return (f"{qc.scheme} model, core {qc.r_core:g} A in a disk of {qc.r_outer:g} A, {what}, "
            f"{method_of(deck)} to fmax {settings.fmax:g} eV/A")


def run(deck, stage, options) -> TaskOutcome:
    """Build, correct, relax; write results.h5, results.xdmf, final.extxyz."""
    from qcsim.driver import AffineLoad, RelaxPolicy
    from qcsim.tasks._progress import relaxation_progress

    qc, defect, settings, pot_cfg = deck["qc"], deck["defect"], deck["relax"], deck["potential"]
    F = np.array(deck["load"].F, dtype=float)
    potential = make_potential(pot_cfg)
    voids = defect.site_list()
    model, slab = build_model(deck, potential, qc.scheme, settings.skin, voids)
    log_model(model, slab, qc, qc.scheme)
    log.info("defect: %s, %d empty site(s); load F = %s", defect.deck_variant, len(voids),
             np.array2string(F, separator=", ").replace("\n", ""))
    model.update_correction(F)
    AffineLoad(F).apply(model, 0.0, 1.0)  # every node at (F - I) X, the outer ring held there
    method = method_of(deck)
    # L-BFGS unpreconditioned and without the FIRE fallback; a trial state outside
    # the Cauchy-Born range shortens the line search (FIRE has none: it cannot step back)
    policy = RelaxPolicy(fmax=settings.fmax, max_steps=settings.max_steps, method=method,
                         precon=False, fallback=False, reject_invalid=method == "lbfgs")
    log.info("relaxing %d DOFs with %s to fmax = %g eV/A (at most %d iterations)", model.n_dof,
             method, settings.fmax, settings.max_steps)
    t0 = time.perf_counter()
    try:
        with relaxation_progress(options, "qc-relax", settings.fmax, settings.log_every,
                                 log) as progress:
            result = policy.relax(model, progress)
    except GeometryError as exc:
        raise GeometryError(f"the relaxation left the range of the Cauchy-Born model ({exc}): "
                            "the load may exceed what the crystal sustains around the defect; "
                            "try a smaller load F") from None
    seconds = time.perf_counter() - t0
    U = model.U_nc.copy()
    forces = model.forces(U)
    energy = float(result.energy_k[-1])
    _write(deck, stage, model, slab, F, U, forces, result, method, seconds)
    if np.isfinite(energy):
        said = f"energy {energy:.6f} eV"
        log.info("final energy %.10f eV (relaxation %.6f eV), max force %.3e eV/A after %d "
                 "iterations (%.2f s)", energy, energy - result.energy_k[0], result.max_force,
                 result.iterations, seconds)
    else:  # a force-based scheme (qcf) has no energy: say so rather than print nan
        said = f"no energy (scheme {model.scheme.name} is force-based)"
        log.info("final: %s, max force %.3e eV/A after %d iterations (%.2f s)", said,
                 result.max_force, result.iterations, seconds)
    if not result.converged:
        return TaskOutcome(False, f"relaxation did not converge: max force "
                                  f"{result.max_force:.3e} eV/A > fmax {settings.fmax:g} after "
                                  f"{result.iterations} iterations ({result.message}); results "
                                  f"written with converged = False")
    return TaskOutcome(True, f"converged in {result.iterations} iterations, {said}, "
                             f"max force {result.max_force:.2e} eV/A")


def _write(deck, stage, model, slab, F, U, forces, result, method, seconds) -> None:
    from qcsim.io.extxyz import write_extxyz
    from qcsim.io.results import ResultsWriter
    from qcsim.io.xdmf import write_xdmf
    from qcsim.tasks._qc import resolved_radius, sites_represented

    qc, defect, settings, pot_cfg = deck["qc"], deck["defect"], deck["relax"], deck["potential"]
    mesh, regions = model.mesh, model.regions
    h, p, _ = resolved_radius(qc, qc.scheme, model.potential.cutoff, settings.skin, slab)
    with ResultsWriter(stage.path("results.h5"), task="qc-relax") as w:
        w.write_run(deck.text, deck.file, deck.title, pot_cfg.style, getattr(pot_cfg, "file", None),
                    derived=deck.derived)
        w.append("relax", units={"energy": "eV", "max_force": "eV/A"},
                 energy=result.energy_k, max_force=result.max_force_k)
        w.set_attrs("relax", converged=bool(result.converged), iterations=int(result.iterations),
                    n_evals=int(result.n_evals), method=method, fmax=settings.fmax,
                    message=result.message, seconds=seconds)
        m = w.h5.require_group("model")
        m.attrs.update({"scheme": qc.scheme, "n_dof": model.n_dof, "n_nodes": mesh.n_nodes,
                        "n_atoms": len(regions.atoms),
                        "n_sites": sites_represented(slab, qc.center, qc.r_outer),
                        "r_core": qc.r_core, "r_outer": qc.r_outer, "handshake": h, "pad": p,
                        "Lz": slab.Lz, "defect": defect.deck_variant,
                        "n_voids": len(defect.site_list())})
        m.attrs.update(mesh_quality_attrs(mesh))
        for name, data in (("X", mesh.X_nc), ("site_ij", mesh.site_nk), ("elements",
                           mesh.elements_ta), ("beta", regions.beta_n),
                           ("region", regions.flag_n.astype(np.int32)),
                           ("fixed", model.fixed_n), ("F", F), ("b", slab.b_kc),
                           ("voids", np.array(defect.site_list(), dtype=np.int64).reshape(-1, 2))):
            m.create_dataset(name, data=data)
        m["region"].attrs["legend"] = "0 core, 1 handshake, 2 pad, 3 continuum, 4 void"
        fin = w.h5.require_group("final")
        fin.create_dataset("displacement", data=U).attrs["units"] = "A"
        fin.create_dataset("forces", data=forces).attrs["units"] = "eV/A"
        fin.attrs.update({"energy": float(result.energy_k[-1]), "max_force": result.max_force,
                          "converged": bool(result.converged)})
        mesh_frame(w.h5, 0, model, time=0.0, node_data={"force": forces})
        write_xdmf(stage.path("results.xdmf"), w.h5, h5_name="results.h5")
    if deck["output"].extxyz:
        atoms, energies, f_atoms = atoms_of(model, slab, deck["crystal"].element, U, forces)
        atoms.info.update(model_energy=float(result.energy_k[-1]),
                          atoms_energy=float(energies.sum()))
        write_extxyz(stage.path("final.extxyz"), atoms, forces=f_atoms, energies=energies)


register_task(TaskSpec(name="qc-relax", run=run, sections=("potential", "crystal", "qc", "defect"),
                       takes_options=True, distributed=True,
                       optional=("load", "relax", "output"), check=check, summary=summary,
                       doc="relax a QC model (slab mode) with a vacancy or microcrack under "
                           "a far-field F"))
