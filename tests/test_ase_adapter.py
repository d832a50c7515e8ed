"""ASE's optimizers relax a QC model through the adapter to qcsim's own answer."""
import numpy as np
from ase.optimize import FIRE

from qcsim.ase_adapter import QCOptimizable
from qcsim.build import SlabSetup, build_slab_model
from qcsim.solvers import lbfgs


def test_ase_fire_relaxes_a_qc_vacancy_like_qcsim(cu_potential, cu_crystal):
    pot, crystal = cu_potential, cu_crystal
    setup = SlabSetup(r_core=8.0, r_outer=40.0, voids=((0, 0),))
    ours, _ = build_slab_model(pot, crystal, setup)
    ours.update_correction()
    res = lbfgs(ours.objective(), ours.get_dofs(), fmax=1e-5)
    assert res.converged
    theirs, _ = build_slab_model(pot, crystal, setup)
    theirs.update_correction()
    opt = QCOptimizable(theirs)
    assert FIRE(opt, logfile=None).run(fmax=1e-5, steps=5000)
    assert np.abs(theirs.get_dofs() - res.x).max() < 1e-3
    assert abs(opt.get_value() - res.energy) < 1e-6
    atoms = next(opt.iterimages())
    assert len(atoms) == len(theirs.regions.atoms)
