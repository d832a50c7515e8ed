"""qcsim trapping: one K ramp per tip position within a row period, and the band."""
import csv

import h5py
import numpy as np
import pytest

from qcsim.cli import main
from qcsim.tasks import load_deck
from qcsim.tasks.trapping import TipResult, band_message, deck_at_tip, tip_positions

DECK = """\
task: crack
potential: {style: eam/alloy, file: Cu_mishin1.eam.alloy, elements: [Cu]}
crystal: {lattice: fcc, a: 3.6149, orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]], element: Cu}
qc: {scheme: bgfc, r_core: 15.0, r_outer: 60.0}
crack:
  gamma: 1.2395
  K: {start: 0.38, end: 0.40, step: 0.02, unit: K_G}
relax: {fmax: 1.0e-3}
"""


def test_tip_positions_span_one_row_period(tmp_path):
    path = tmp_path / "d.yaml"
    path.write_text(DECK)
    deck = load_deck(path)
    tips = tip_positions(deck, 4)
    # [11-2] rows of fcc (111): sites a*sqrt(6)/4 apart along x
    np.testing.assert_allclose(np.diff(tips), 3.6149 * np.sqrt(6) / 4 / 4, rtol=1e-9)
    sub = deck_at_tip(deck, tips[2])
    assert sub["crack"].tip_x == pytest.approx(tips[2])
    assert sub["potential"] == deck["potential"] and sub["qc"] == deck["qc"]


def test_trapping_runs_each_tip_and_writes_the_table(tmp_path, capsys):
    path = tmp_path / "d.yaml"
    path.write_text(DECK)
    assert main(["trapping", str(path), "--tips", "2", "-o", str(tmp_path / "out"), "-q"]) == 0
    rows = list(csv.DictReader(open(tmp_path / "out" / "trapping.csv")))
    assert [r["folder"] for r in rows] == ["tip_0", "tip_1"]
    assert float(rows[1]["tip_x_A"]) == pytest.approx(3.6149 * np.sqrt(6) / 8, abs=1e-6)
    for r in rows:
        with h5py.File(tmp_path / "out" / r["folder"] / "results.h5") as h5:
            assert h5["steps/converged"][:].all()
            assert h5["steps/advanced"][:].dtype == bool
        assert r["event"] == "none"  # 0.40 K_G: far below any event
    assert "no event at any of the 2 tip positions" in capsys.readouterr().out
    # the same scan again is refused before anything runs, and nothing changes
    before = (tmp_path / "out" / "tip_1" / "results.h5").read_bytes()
    assert main(["trapping", str(path), "--tips", "2", "-o", str(tmp_path / "out"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "tip_0 already holds a crack study of 2 load steps" in err and "--overwrite" in err
    assert (tmp_path / "out" / "tip_1" / "results.h5").read_bytes() == before


def test_band_message_gives_the_range():
    res = [TipResult(0.0, 0.414, 0.66, "emission", None),
           TipResult(1.1, 0.514, 0.82, "emission", None)]
    msg = band_message(res)
    assert "0.6600 to 0.8200 K_G" in msg and "tip_x = 1.1000 A" in msg


def test_trapping_needs_a_crack_deck(tmp_path, capsys):
    path = tmp_path / "v.yaml"
    path.write_text(DECK.replace("task: crack", "task: qc-relax"))
    assert main(["trapping", str(path)]) != 0
    assert "error" in capsys.readouterr().err
