"""The load-step driver: triggers, and a new writer and a new load added from the test
suite alone (registered here, with no edit of the package)."""
from __future__ import annotations

import csv

import h5py
import numpy as np
import pytest

from qcsim.cli import main
from qcsim.driver import (Failed, Final, Load, Periodic, StepEvent, Writer, get_load,
                          register_load, register_writer)
from qcsim.fracture import CrackSpec, CrackStudy
from qcsim.lattice import Crystal

ORIENT = ((1, 1, -2), (1, 1, 1), (1, -1, 0))


def test_triggers():
    every3 = Periodic(3)
    assert [s for s in range(1, 10) if every3(StepEvent(s))] == [3, 6, 9]
    frames = Periodic(3) | Final() | Failed()
    assert frames(StepEvent(4, final=True)) and frames(StepEvent(5, converged=False))
    assert not frames(StepEvent(4)) and frames(StepEvent(6))
    assert Periodic(2, phase=1)(StepEvent(3)) and not Periodic(2, phase=1)(StepEvent(4))
    with pytest.raises(ValueError):
        Periodic(0)


# -- a new writer, registered from here ------------------------------------------------
@register_writer("steps_csv")
class StepsCsv(Writer):
    """K and energy of every frame as steps.csv (rewritten whole at each frame)."""

    def __init__(self, outputs, trigger):
        self.outputs, self.trigger, self.rows = outputs, trigger, []

    def write(self, step):
        self.rows.append((step.event.step, step.record.K, step.record.energy, step.frame))
        with open(self.outputs.stage_path("steps.csv"), "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["step", "K_GPa_sqrt_A", "energy_eV", "frame"])
            w.writerows(self.rows)


DECK_K = "{start: 0.40, end: 0.46, step: 0.02, unit: K_G}"
OUTPUT = "output: {writers: [steps_csv], every: 2, extxyz: false}\n"


def test_a_writer_registered_from_the_tests_runs_at_every_frame(tmp_path, capsys,
                                                                 small_crack_deck):
    from qcsim.units import gpa_sqrt_a

    deck = tmp_path / "small.yaml"
    deck.write_text(small_crack_deck(DECK_K, OUTPUT))
    out = tmp_path / "out"
    assert main(["run", "-q", str(deck), "-o", str(out)]) == 0, capsys.readouterr().err
    with open(out / "steps.csv") as fh:
        rows = list(csv.DictReader(fh))
    with h5py.File(out / "results.h5") as f:
        steps = {k: f["steps"][k][:] for k in ("step", "K", "energy", "frame")}
    framed = steps["frame"] >= 0
    assert [int(r["step"]) for r in rows] == list(steps["step"][framed]) == [2, 4]
    assert [int(r["frame"]) for r in rows] == list(steps["frame"][framed])
    np.testing.assert_array_equal([float(r["energy_eV"]) for r in rows], steps["energy"][framed])
    np.testing.assert_allclose([float(r["K_GPa_sqrt_A"]) for r in rows],
                               gpa_sqrt_a(steps["K"][framed]), rtol=1e-12)


def test_an_unknown_writer_is_a_deck_error(tmp_path, capsys, small_crack_deck):
    deck = tmp_path / "bad.yaml"
    deck.write_text(small_crack_deck(DECK_K, OUTPUT.replace("[steps_csv]", "[steps_cvs]")))
    assert main(["validate", str(deck)]) == 2
    err = capsys.readouterr().err
    assert "output.writers" in err and "steps_csv" in err and len(err.splitlines()) == 1


# -- a new load, registered from here --------------------------------------------------
@register_load("kfield_mode2")
class ModeIIKField(Load):
    """The in-plane shear (mode II) K-field of the same Stroh solution."""

    unit = "GPa*sqrt(A)"

    def __init__(self, stroh, tip, cut):
        self.stroh, self.tip, self.cut = stroh, np.asarray(tip, float), cut

    def displacement(self, mesh, K, nodes=None):
        idx = slice(None) if nodes is None else nodes
        side = np.where(self.cut.above(mesh.site_nk[idx]), 1, -1)
        return self.stroh.displacement(mesh.X_nc[idx, :2] - self.tip, (K, 0.0, 0.0), side=side)

    def apply(self, model, old, new):
        model.U_nc += self.displacement(model.mesh, new) - self.displacement(model.mesh, old)
        model.U_nc[model.fixed_n] = self.displacement(model.mesh, new, model.fixed_n)


def test_a_load_registered_from_the_tests_drives_a_crack_study(cu_potential):
    study = CrackStudy(cu_potential, Crystal("fcc", 3.615, ORIENT, "Cu"),
                       CrackSpec(r_core=15.0, r_outer=60.0))
    study.stepper.load = get_load("kfield_mode2")(study.stroh, study.tip0, study.load.cut)
    tip, row0 = study.tip0, study.spec.crack_row

    def jump():
        """Mean (slide, opening) of the face rows 8-20 A behind the tip."""
        m = study.model
        X, U, row = m.mesh.X_nc, m.U_nc, m.mesh.site_nk[:, 1]
        behind = (X[:, 0] < tip[0] - 8.0) & (X[:, 0] > tip[0] - 20.0)
        up, down = behind & (row == row0), behind & (row == row0 - 1)
        return U[up, :2].mean(axis=0) - U[down, :2].mean(axis=0)

    first = study.step(0.05)
    before = jump()
    second = study.step(0.10)
    slide, opening = jump() - before  # the load's own increment (not the faces' relaxation)
    assert first.converged and second.converged
    # the faces behind the tip slide (mode II) rather than open (mode I): about 4e-3 A
    # against 4e-4 here, where the mode-I field of the same K opens them by 4e-3 A
    assert abs(slide) > 5 * abs(opening) and abs(slide) > 2e-3
