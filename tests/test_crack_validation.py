"""The Cu (111)[-110] crack: QC emits at the same K as the fully atomistic disk.

Slow (about a minute): run with ``python -m pytest -m slow``.  The numbers
are in docs/crack.md ("Validation"); scripts/crack_vs_lammps.py checks the
atomistic one with LAMMPS.
"""
import numpy as np
import pytest

from qcsim import Calculator
from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal
from qcsim.loading import convert_surface_energy, griffith_K

pytestmark = pytest.mark.slow

ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))
STEP = 0.0025  # K_G


def first_event(r_core, K0=0.65, n=12):
    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    study = CrackStudy(calc.potential, Crystal("fcc", 3.6149, ORIENT, "Cu"),
                       CrackSpec(r_core=r_core, r_outer=150.0, fmax=1e-4))
    KG = griffith_K(study.stroh, convert_surface_energy(1.2395, "J/m^2"))
    for k in range(n):
        f = K0 + k * STEP
        rec = study.step(f * KG)
        if rec.emitted or rec.crack_tip_x > study.first_bond_x + 1e-6:
            return f, rec
    return np.nan, None


def test_qc_and_atomistic_emit_within_one_load_step():
    K_qc, rec_qc = first_event(25.0)
    K_at, rec_at = first_event(150.0)
    assert rec_qc is not None and rec_at is not None
    assert rec_qc.emitted and rec_at.emitted  # the (111) crack emits; it does not cleave
    assert rec_qc.converged  # the atomistic region followed the dislocation
    assert abs(K_qc - K_at) <= STEP + 1e-9
