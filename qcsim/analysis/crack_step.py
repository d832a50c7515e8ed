"""The analyses of a crack study's load step, as operations of the load-step driver.

Each runs once per relaxation (stage "relax": the tip and the dislocations,
which the adapters read) or once per step (stage "step": the local structure
and the energy terms, which the writers read), and is shared by everything
that needs it: nothing downstream recomputes them.
"""
from __future__ import annotations

import logging

import numpy as np

from qcsim.units import mpa_sqrt_m

__all__ = ["CrackTipAnalysis", "DislocationAnalysis", "StructureAnalysis", "EnergyTerms"]

log = logging.getLogger("qcsim.fracture")


class CrackTipAnalysis:
    """The crack tip from the bonds broken across the plane
    (:func:`qcsim.analysis.crack_tip.model_crack_tip`)."""

    name, stage = "tip", "relax"

    def run(self, study, results):
        from qcsim.analysis.crack_tip import model_crack_tip

        return model_crack_tip(study.model, study.slab, row=study.spec.crack_row,
                               precrack_x=study.slit_x)


class DislocationAnalysis:
    """The dislocations that have left the tip, farthest last
    (:func:`qcsim.analysis.dislocations.model_dislocations`); their slip vectors
    (n_atoms, 3), in the order of the model's atoms, are kept as the study's
    ``slip_ic`` (None if the analysis failed: then no dislocation is reported
    for the step, with a warning)."""

    name, stage = "dislocations", "relax"

    def run(self, study, results):
        from qcsim.analysis.dislocations import model_dislocations

        tip = results.get("tip")
        x = study.tip_x if tip is None or not np.isfinite(tip.tip_x) else max(study.tip_x,
                                                                               tip.tip_x)
        try:
            found, study.slip_ic = model_dislocations(study.model, study.crystal,
                                                      (x, study.y_plane))
            return found
        except Exception as exc:  # noqa: BLE001 - the analysis must not sink a load step
            log.warning("K = %.5g MPa*sqrt(m): dislocation analysis failed (%s: %s); no "
                        "dislocation reported for this step", mpa_sqrt_m(study.K),
                        type(exc).__name__, exc)
            study.slip_ic = None
            return []


class StructureAnalysis:
    """The local structure of every atom (:func:`qcsim.analysis.defects.model_defects`):
    the per-atom report (None if it failed) and its counts."""

    name, stage = "defect_report", "step"

    def run(self, study, results):
        try:
            from qcsim.analysis.defects import model_defects

            return model_defects(study.model, study.crystal)
        except Exception as exc:  # noqa: BLE001 - the structure counts must never sink a step
            log.warning("structure analysis failed: %s", exc)
            return None


class EnergyTerms:
    """The model's energy by term (atomistic, continuum, faces, correction); None for
    a force-based scheme (no energy)."""

    name, stage = "energy_terms", "step"

    def run(self, study, results):
        model = study.model
        return None if model.scheme.force_based else model.energy_terms(model.U_nc)
