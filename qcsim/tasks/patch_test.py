"""Task ``patch-test``: residual forces of QC models under homogeneous deformations.

Deck sections: ``potential``, ``crystal``, ``qc``, ``patch_test`` (required),
``output`` (optional).  For each scheme of ``patch_test.schemes`` the model of
the ``qc`` section is built (its outer boundary nodes held), and for each
deformation gradient F the ghost-force correction is taken at F (corrected
schemes; nothing happens for the others) and the largest nodal force over the
free nodes is evaluated at the homogeneous displacement U = (F - I) X.  bgfc,
qce-gfc and qcf must give zero to round-off; qce and bqce show their ghost
forces.  Writes ``results.h5``::

    /patch_test/max_residual   (n_schemes, n_F) eV/A; attr schemes
    /patch_test/F              (n_F, 3, 3)
    /patch_test/radius         (n_schemes, n_F) A, distance from the centre of the
                               node with the largest residual
    /patch_test/max_residual_correction_at_I   (n_schemes, n_F) eV/A, the same with
                               the correction taken once at F = I and not updated
    /patch_test/n_nodes, n_atoms, n_free_nodes   (n_schemes,)
    attrs of /patch_test: tolerance, passed, exact_schemes, r_core, r_outer

and ``run.log`` with the table.  If an exact scheme exceeds
``patch_test.tolerance`` the results are kept and the run ends with exit code 3.
"""
from __future__ import annotations

import logging
import time

import numpy as np

from qcsim.deck.sections.patch_test import exact_schemes
from qcsim.tasks._qc import build_model, check_qc, log_model, make_potential
from qcsim.tasks.base import TaskOutcome, TaskSpec, register_task

log = logging.getLogger(__name__)

# Neighbour-list skin: it only sets the pad width (the lists are built once per state).
SKIN = 1.0


def check(deck, ctx):
    """qc.scheme is not used here; the model of every scheme must fit; returns the deck
    with its lattice constant resolved."""
    if ("qc", "scheme") in deck.lines.lines:
        raise ctx.error("task patch-test tests every scheme listed in patch_test.schemes; "
                        "remove qc.scheme", ("qc", "scheme"))
    return check_qc(deck, ctx, deck["patch_test"].schemes, SKIN)


def summary(deck) -> str:
    """One line for ``qcsim validate``."""
    pt, qc = deck["patch_test"], deck["qc"]
    return (f"{len(pt.F)} deformations x {len(pt.schemes)} schemes ({', '.join(pt.schemes)}), "
            f"core {qc.r_core:g} A in a disk of {qc.r_outer:g} A")


def _matrix_text(F: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{x:g}" for x in row) + "]" for row in F) + "]"


def _table(schemes, residual: np.ndarray) -> list[str]:
    head = f"{'scheme':<9s}" + "".join(f"{'F' + str(k):>10s}" for k in range(residual.shape[1]))
    rows = [head] + [f"{s:<9s}" + "".join(f"{x:10.2e}" for x in r)
                     for s, r in zip(schemes, residual)]
    return rows


def run(deck, stage) -> TaskOutcome:
    """Run the patch test of every scheme at every F; write results.h5."""
    from qcsim.driver import AffineLoad
    from qcsim.io.results import ResultsWriter

    pt, qc, pot_cfg = deck["patch_test"], deck["qc"], deck["potential"]
    potential = make_potential(pot_cfg)
    F_k = np.array(pt.F, dtype=float).reshape(-1, 3, 3)
    for k, F in enumerate(F_k):
        log.info("F%d = %s  (|F - I| = %.3g)", k, _matrix_text(F), np.linalg.norm(F - np.eye(3)))
    shape = (len(pt.schemes), len(F_k))
    residual, radius, stale = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    n_nodes, n_atoms, n_free = (np.zeros(len(pt.schemes), dtype=np.int64) for _ in range(3))
    t0 = time.perf_counter()
    for s, scheme in enumerate(pt.schemes):
        model, slab = build_model(deck, potential, scheme, SKIN)
        log_model(model, slab, qc, scheme)
        n_nodes[s], n_atoms[s] = model.mesh.n_nodes, len(model.regions.atoms)
        n_free[s] = int(np.sum(~model.fixed_n))
        free_r = np.linalg.norm(model.mesh.X_nc[~model.fixed_n, :2] - np.asarray(qc.center),
                                axis=1)
        model.update_correction(np.eye(3))
        for k, F in enumerate(F_k):  # the correction kept from F = I: how stale it gets
            AffineLoad(F).apply(model, 0.0, 1.0)
            f = model.residual(model.U_nc)
            stale[s, k] = f.max() if f.size else 0.0
        for k, F in enumerate(F_k):
            model.update_correction(F)
            AffineLoad(F).apply(model, 0.0, 1.0)
            f = model.residual(model.U_nc)
            if f.size:
                residual[s, k] = f.max()
                radius[s, k] = free_r[int(np.argmax(f))]
    seconds = time.perf_counter() - t0

    log.info("patch test: largest residual force over the free nodes (eV/A)")
    for row in _table(pt.schemes, residual):
        log.info("  %s", row)
    log.info("the same with the correction taken once at F = I (not updated), eV/A")
    for row in _table(pt.schemes, stale):
        log.info("  %s", row)
    exact = list(exact_schemes(pt.schemes))
    worst = {s: float(residual[i].max()) for i, s in enumerate(pt.schemes)}
    failed = [s for s in exact if not worst[s] <= pt.tolerance]
    passed = not failed

    with ResultsWriter(stage.path("results.h5"), task="patch-test") as w:
        w.write_run(deck.text, deck.file, deck.title, pot_cfg.style, getattr(pot_cfg, "file", None),
                    derived=deck.derived)
        g = w.h5.create_group("patch_test")
        ds = g.create_dataset("max_residual", data=residual)
        ds.attrs["schemes"] = list(pt.schemes)
        ds.attrs["units"] = "eV/A"
        g.create_dataset("F", data=F_k)
        g.create_dataset("radius", data=radius).attrs["units"] = "A"
        g.create_dataset("max_residual_correction_at_I", data=stale).attrs["units"] = "eV/A"
        for name, values in (("n_nodes", n_nodes), ("n_atoms", n_atoms), ("n_free_nodes", n_free)):
            g.create_dataset(name, data=values)
        g.attrs.update({"schemes": list(pt.schemes), "exact_schemes": exact,
                        "tolerance": pt.tolerance, "passed": passed, "r_core": qc.r_core,
                        "r_outer": qc.r_outer, "crystal_orient": np.array(deck["crystal"].orient),
                        "seconds": seconds})

    others = ", ".join(f"{s} {worst[s]:.3g}" for s in pt.schemes if s not in exact)
    others = f"; uncorrected (ghost forces, eV/A): {others}" if others else ""
    if failed:
        bad = ", ".join(f"{s} {worst[s]:.3g} eV/A" for s in failed)
        return TaskOutcome(False, f"patch test FAILED: {bad} > tolerance {pt.tolerance:g} "
                                  f"eV/A{others}; results written with passed = False")
    largest = max((worst[s] for s in exact), default=0.0)
    what = f"{', '.join(exact)} exact (largest {largest:.2g} eV/A <= {pt.tolerance:g})" \
        if exact else "no exact scheme tested"
    return TaskOutcome(True, f"patch test passed: {what}{others}; {seconds:.1f} s")


register_task(TaskSpec(name="patch-test", run=run, distributed=True,
                       sections=("potential", "crystal", "qc", "patch_test"),
                       optional=("output",), check=check, summary=summary,
                       doc="residual forces of QC coupling schemes under homogeneous F"))
