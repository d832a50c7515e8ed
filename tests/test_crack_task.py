"""Task crack end to end: outputs, restart equals an uninterrupted run, SIGTERM, bad decks."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import h5py
import numpy as np
import pytest

from qcsim.cli import main

ROOT = Path(__file__).parent.parent
DECKS = ROOT / "input_decks"

# A small bgfc model (r_outer 60 A, core 15 A); gamma is given (1.2395 J/m^2, the
# potential's relaxed (111) value) except where the test computes it.
SMALL = """\
task: crack
title: small (111) crack
potential: {style: eam/alloy, file: Cu_mishin1.eam.alloy, elements: [Cu]}
crystal: {lattice: fcc, a: 3.615, orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]], element: Cu}
qc: {scheme: bgfc, r_core: 15.0, r_outer: 60.0}
crack:
  gamma: 1.2395
  K: {start: 0.40, end: 0.44, step: 0.02, unit: K_G}
"""
COLUMNS = ("K", "energy", "crack_tip_x", "n_dof", "n_atomistic", "n_represented", "iterations",
           "max_force", "wall_time", "converged", "emitted", "n_adapt")


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    """The three-step deck run without interruption (gamma from the potential)."""
    folder = tmp_path_factory.mktemp("crack")
    deck = write(folder, "small.yaml", SMALL.replace("  gamma: 1.2395\n", ""))
    out = folder / "out"
    code = main(["run", "-q", str(deck), "-o", str(out)])
    assert code == 0
    return deck, out


# -- end to end ------------------------------------------------------------------------
def test_outputs_of_a_crack_run(full_run):
    import ase.io

    _, out = full_run
    names = {p.name for p in out.iterdir()}
    assert names == {"results.h5", "results.xdmf", "atoms.extxyz", "crack_tip.png",
                     "crack_atoms.png", "mesh.png", "run.log"}
    with h5py.File(out / "results.h5") as h5:
        assert h5.attrs["task"] == "crack"
        K_G = h5.attrs["K_G"]
        assert 0.60 < K_G < 0.65  # MPa*sqrt(m): Cu (111), gamma 1.24 J/m^2
        assert h5.attrs["gamma"] == pytest.approx(1.2395, abs=2e-3)
        steps = h5["steps"]
        for name in COLUMNS:
            assert steps[name].shape == (3,), name
        assert steps["K"].attrs["units"] == "MPa*sqrt(m)"
        np.testing.assert_allclose(steps["K"][:], np.array([0.40, 0.42, 0.44]) * K_G, rtol=1e-12)
        np.testing.assert_allclose(steps["K_over_K_G"][:], [0.40, 0.42, 0.44], rtol=1e-12)
        assert steps["converged"][:].all() and np.all(steps["max_force"][:] <= 1e-3)
        assert list(steps["step"][:]) == [1, 2, 3] and list(steps["frame"][:]) == [0, 1, 2]
        # the load does work on the boundary: the energy rises from step to step
        # while the model stays the same (adaptivity changes what it contains)
        same = np.diff(steps["n_dof"][:]) == 0
        assert np.all(np.diff(steps["energy"][:])[same] > 0)
        for k in ("atomistic", "continuum", "faces", "correction"):
            assert steps[f"energy_{k}"].attrs["units"] == "eV"
        parts = sum(steps[f"energy_{k}"][:] for k in ("atomistic", "continuum", "faces",
                                                     "correction"))
        np.testing.assert_allclose(parts, steps["energy"][:], rtol=1e-10)
        assert not steps["emitted"][:].any() and steps["n_dislocations"][:].max() == 0
        assert sorted(h5["frames"], key=int) == ["00000", "00001", "00002"]
        ck = h5["checkpoint"]
        assert ck.attrs["valid"] and ck.attrs["step_index"] == 3 and ck.attrs["n_steps"] == 3
        assert ck["U_nc"].shape == h5["frames/00002/displacement"].shape
        np.testing.assert_array_equal(ck["U_nc"][:], h5["frames/00002/displacement"][:])
        assert "crack" in ck["deck_text"][()].decode()
        for k, g in enumerate(h5["frames"].values()):  # listed by name = in step order
            assert g.attrs["step"] == k + 1 and g.attrs["K_units"] == "MPa*sqrt(m)"
            assert g.attrs["crack_tip_x_units"] == "A" and g.attrs["energy_units"] == "eV"
        model_energy = steps["energy"][:]
        assert h5["run"].attrs["a"] == 3.615
        assert h5["run"].attrs["a_equilibrium"] == pytest.approx(3.6149, abs=1e-4)
    grids = ET.parse(out / "results.xdmf").getroot().findall(".//Grid[@GridType='Uniform']")
    assert len(grids) == 3
    times = [float(g.find("Time").get("Value")) for g in grids]
    np.testing.assert_allclose(times, np.array([0.40, 0.42, 0.44]) * K_G, rtol=1e-12)
    for item in grids[0].iter("DataItem"):
        fname, dataset = item.text.strip().split(":")
        assert fname == "results.h5"
        with h5py.File(out / fname) as h5:
            assert dataset in h5
    frames = ase.io.read(out / "atoms.extxyz", index=":")
    assert len(frames) == 3
    assert [a.info["step"] for a in frames] == [1, 2, 3]
    assert {"csp", "structure", "region", "beta", "slip"} <= set(frames[0].arrays)
    assert frames[0].arrays["slip"].shape == (len(frames[0]), 3)
    assert frames[0].get_forces().shape == (len(frames[0]), 3)
    for a, E in zip(frames, model_energy):
        # each energy says what it is: the model's (the table's) and the atoms' share
        assert "energy" not in a.info and a.info["model_energy"] == pytest.approx(E, rel=1e-12)
        assert a.info["atoms_energy"] == pytest.approx(a.get_potential_energies().sum())
        # the box OVITO draws (cell from Origin) encloses every atom
        lo = np.asarray(a.info["Origin"])
        rel = a.positions - lo
        assert np.all(rel[:, :2] > 0) and np.all(rel[:, :2] < a.cell.lengths()[:2])
        assert np.all(rel[:, 2] > -1e-9) and np.all(rel[:, 2] < a.cell[2, 2])
        assert a.positions[:, 0].min() < 0  # the model's frame: the tip near x = 0
    assert "Griffith load K_G" in (out / "run.log").read_text()


def test_ovito_draws_a_box_around_the_atoms(full_run):
    pytest.importorskip("ovito")
    from ovito.io import import_file

    _, out = full_run
    data = import_file(str(out / "atoms.extxyz")).compute(2)
    corner, edges = data.cell[:, 3], np.diag(data.cell[:, :3])
    x = np.asarray(data.particles.positions)
    assert np.all(x[:, :2] > corner[:2]) and np.all(x[:, :2] < corner[:2] + edges[:2])


def test_validate_shows_the_load_steps(tmp_path, capsys):
    code, out, err = run_cli(["validate", write(tmp_path, "d.yaml", SMALL)], capsys)
    assert code == 0 and err == ""
    assert "K from 0.4 to 0.44 K_G in 3 steps" in out and "fmax 0.001" in out


@pytest.mark.parametrize("name", ["cu_crack_111.yaml", "cu_crack_100.yaml", "fe_crack.yaml"])
def test_shipped_crack_decks_validate(capsys, name):
    code, out, err = run_cli(["validate", DECKS / name], capsys)
    assert code == 0 and "OK (task crack" in out, err


def test_K_in_MPa_sqrt_m(tmp_path, capsys):
    text = SMALL.replace("{start: 0.40, end: 0.44, step: 0.02, unit: K_G}",
                         "{start: 0.25, end: 0.27, step: 0.01, unit: MPa*sqrt(m)}")
    text += "output: {every: 2, checkpoint_every: 5, extxyz: false}\n"
    code, _, err = run_cli(["run", "-q", write(tmp_path, "d.yaml", text), "-o", tmp_path / "o"],
                           capsys)
    assert code == 0, err
    assert not (tmp_path / "o" / "atoms.extxyz").exists()
    with h5py.File(tmp_path / "o" / "results.h5") as h5:
        np.testing.assert_allclose(h5["steps/K"][:], [0.25, 0.26, 0.27], rtol=1e-12)
        assert list(h5["steps/frame"][:]) == [-1, 0, 1]  # every 2nd step, and the last
        assert h5["checkpoint"].attrs["step_index"] == 3  # the last step is checkpointed


def test_restart_drops_rows_after_the_checkpoint(full_run, tmp_path):
    from qcsim.io.checkpoint import copy_history

    _, out = full_run
    with h5py.File(tmp_path / "new.h5", "w") as h5:
        copy_history(out / "results.h5", h5, n_steps=2, n_frames=1)
        assert all(len(ds) == 2 for ds in h5["steps"].values())
        assert list(h5["frames"]) == ["00000"]
        assert h5["steps/K"].attrs["units"] == "MPa*sqrt(m)"


# -- restart -------------------------------------------------------------------------
def test_restart_equals_an_uninterrupted_run(full_run, tmp_path, capsys):
    deck3, out3 = full_run
    deck2 = write(tmp_path, "two.yaml", deck3.read_text().replace("end: 0.44", "end: 0.42"))
    out = tmp_path / "out"
    assert run_cli(["run", "-q", deck2, "-o", out], capsys)[0] == 0
    with h5py.File(out / "results.h5") as h5:
        assert h5["checkpoint"].attrs["step_index"] == 2
    code, _, err = run_cli(["run", "-q", deck3, "-o", out, "--restart", out / "results.h5"],
                           capsys)
    assert code == 0, err
    with h5py.File(out3 / "results.h5") as a, h5py.File(out / "results.h5") as b:
        # bit for bit: every load step starts from its displacements alone
        for name in a["steps"]:
            if a["steps"][name].dtype.kind == "O":  # text columns (Burgers vector, plane)
                assert list(b["steps"][name][:]) == list(a["steps"][name][:]), name
            elif name != "wall_time":
                np.testing.assert_array_equal(b["steps"][name][:], a["steps"][name][:],
                                              err_msg=name)
        np.testing.assert_array_equal(b["checkpoint/U_nc"][:], a["checkpoint/U_nc"][:])
        np.testing.assert_array_equal(b["checkpoint/site_nk"][:], a["checkpoint/site_nk"][:])
        assert sorted(b["frames"], key=int) == ["00000", "00001", "00002"]
        assert b["run"].attrs["restart_step"] == 2
    import ase.io

    assert [f.info["step"] for f in ase.io.read(out / "atoms.extxyz", index=":")] == [1, 2, 3]


def test_restart_refuses_another_study(full_run, tmp_path, capsys):
    deck3, out3 = full_run
    other = write(tmp_path, "other.yaml", deck3.read_text().replace("r_core: 15.0", "r_core: 14.0"))
    code, _, err = run_cli(["run", other, "-o", tmp_path / "o", "--restart",
                            out3 / "results.h5"], capsys)
    assert code == 2 and "qc differ" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "o").exists()


def test_a_finished_study_is_never_overwritten_silently(full_run, tmp_path, capsys):
    import hashlib
    import shutil

    deck3, out3 = full_run
    out = tmp_path / "out"
    shutil.copytree(out3, out)
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    code, _, err = run_cli(["run", "-q", deck3, "-o", out], capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "already holds a crack study of 3 load steps" in err
    assert f"--restart {out / 'results.h5'}" in err and "--overwrite" in err
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()} == before
    code, _, err = run_cli(["run", "-q", deck3, "-o", out, "--overwrite"], capsys)
    assert code == 0, err
    with h5py.File(out / "results.h5") as h5:
        assert len(h5["steps/K"]) == 3 and "restart_step" not in h5["run"].attrs
    # a restart from the folder's own results is not an overwrite
    code, _, err = run_cli(["run", "-q", deck3, "-o", out, "--restart", out / "results.h5"],
                           capsys)
    assert code == 0, err


def test_restart_needs_a_checkpoint(tmp_path, capsys):
    deck = write(tmp_path, "d.yaml", SMALL)
    code, _, err = run_cli(["run", deck, "--restart", tmp_path / "nothing.h5"], capsys)
    assert code == 2 and "no such restart file" in err
    code, _, err = run_cli(["run", DECKS / "cu_vacancy.yaml", "-o", tmp_path / "o",
                            "--restart", tmp_path / "nothing.h5"], capsys)
    assert code == 2 and "cannot be restarted" in err and len(err.splitlines()) == 1


def test_a_failed_step_stops_the_run_and_keeps_the_results(tmp_path, capsys):
    text = SMALL.replace("  gamma: 1.2395\n", "  gamma: 1.2395\n  precon: false\n") + \
        "relax: {max_steps: 3}\n"
    code, out, err = run_cli(["run", "-q", write(tmp_path, "d.yaml", text), "-o", tmp_path / "o"],
                             capsys)
    assert code == 3 and "did not converge" in err and "--restart" in err
    with h5py.File(tmp_path / "o" / "results.h5") as h5:
        assert list(h5["steps/converged"][:]) == [False]
        assert h5["checkpoint"].attrs["step_index"] == 0  # the last converged state
    assert (tmp_path / "o" / "crack_tip.png").is_file()


# -- SIGTERM and Ctrl-C ----------------------------------------------------------------
@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
@pytest.mark.parametrize("signum, code, reason", [
    (signal.SIGTERM, 143, "terminated by SIGTERM"), (signal.SIGINT, 130, "interrupted (Ctrl-C)")])
def test_a_stopped_study_keeps_a_checkpoint_to_continue_from(tmp_path, capsys, signum, code,
                                                            reason):
    text = SMALL.replace("{start: 0.40, end: 0.44, step: 0.02, unit: K_G}",
                         "{start: 0.400, end: 0.450, step: 0.001, unit: K_G}")
    deck = write(tmp_path, "long.yaml", text)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "qcsim", "run", str(deck), "-o", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            if line.startswith("step 1/") or time.monotonic() > deadline:
                break
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"qcsim: error: {reason} after load step ")
    assert f"--restart {out / 'results.h5'}" in lines[0]
    assert reason not in rest  # said once, on stderr
    log_lines = (out / "run.log").read_text().splitlines()
    assert f"{reason} after load step" in log_lines[-1] and "--restart" in log_lines[-1]
    with h5py.File(out / "results.h5") as h5:
        ck = h5["checkpoint"]
        done = int(ck.attrs["step_index"])
        assert ck.attrs["valid"] and 1 <= done < 51
        assert ck.attrs["n_steps"] == done == len(h5["steps/K"])
    assert not list(out.glob(".partial-*"))
    end = f"end: {0.4 + 0.001 * (done + 1):.3f}"  # two more load steps
    short = write(tmp_path, "long.yaml", text.replace("end: 0.450", end))
    code, _, err = run_cli(["run", "-q", short, "-o", out, "--restart", out / "results.h5"],
                           capsys)
    assert code == 0, err
    with h5py.File(out / "results.h5") as h5:
        steps = h5["steps"]
        assert list(steps["step"][:]) == list(range(1, done + 3))
        np.testing.assert_allclose(steps["K_over_K_G"][:], 0.4 + 0.001 * np.arange(done + 2),
                                   rtol=1e-12)
        assert steps["converged"][:].all()


# -- malformed decks -----------------------------------------------------------------
BAD = [
    ("K-range", "end: 0.44", "end: 0.30", "crack.K.end", "must be larger than start"),
    ("K-step", "step: 0.02", "step: 0", "crack.K.step", "expected a positive number"),
    ("K-unit", "unit: K_G", "unit: MPa*sqrt(mm)", "crack.K.unit", "did you mean 'MPa*sqrt(m)'"),
    ("K-missing", "  K: {start: 0.40, end: 0.44, step: 0.02, unit: K_G}\n", "  plane_row: 0\n",
     "crack", "missing required key 'K'"),
    ("K-not-mapping", "{start: 0.40, end: 0.44, step: 0.02, unit: K_G}", "0.5", "crack.K",
     "expected a mapping with keys start, end, step, unit"),
    ("core-does-not-fit", "r_outer: 60.0", "r_outer: 40.0", "qc.r_outer", "need r_outer >"),
    ("fixed-width", "r_outer: 60.0}", "r_outer: 60.0, fixed_width: 5.0}", "qc.fixed_width",
     "crack.boundary_width"),
    ("on-failure", "  gamma: 1.2395\n", "  gamma: 1.2395\n  on_failure: ignore\n",
     "crack.on_failure", "expected one of stop, continue"),
]


@pytest.mark.parametrize("case", BAD, ids=lambda c: c[0])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_malformed_crack_decks(tmp_path, capsys, monkeypatch, case, command):
    monkeypatch.chdir(tmp_path)
    _, old, new, key, message = case
    assert old in SMALL
    deck = write(tmp_path, "bad.yaml", SMALL.replace(old, new))
    code, out, err = run_cli([command, deck], capsys)
    lines = err.splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith(f"qcsim: error: {deck}:"), err
    assert "Traceback" not in err
    assert f"[{key}]" in lines[0] and message in lines[0], lines[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_cleavage_crack_whose_front_lies_in_no_slip_plane(tmp_path, capsys):
    """The (100)[010] crack (no {111} plane contains the front) runs through its
    first advance: the dislocation analysis finds nothing to report and fails
    on nothing."""
    text = SMALL.replace("orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]]",
                         "orient: [[1, 0, 0], [0, 1, 0], [0, 0, 1]]")
    text = text.replace("  gamma: 1.2395\n", "  gamma: 1.3453\n").replace(
        "{start: 0.40, end: 0.44, step: 0.02, unit: K_G}",
        "{start: 0.90, end: 1.10, step: 0.1, unit: K_G}")
    out = tmp_path / "o"
    code, _, err = run_cli(["run", "-q", write(tmp_path, "c.yaml", text), "-o", out], capsys)
    assert code == 0, err
    with h5py.File(out / "results.h5") as h5:
        steps = h5["steps"]
        assert steps["converged"][:].all() and steps["advanced"][:].any()
        assert not steps["emitted"][:].any()


def test_resume_takes_every_deck_up_where_it_was_left(tmp_path, capsys):
    """A resubmitted batch job: the same decks with --resume continue a stopped study
    from its checkpoint, keep a finished run, start a deck that had not started and one
    whose run left only its log; without --resume the job is refused."""
    relax = (Path(__file__).parent.parent / "input_decks" / "cu_vacancy.yaml").read_text()
    study = write(tmp_path, "study.yaml", SMALL.replace("end: 0.44", "end: 0.42"))
    done = write(tmp_path, "done.yaml", relax)
    out = tmp_path / "camp"
    code, _, err = run_cli(["run", "-q", study, done, "-o", out], capsys)
    assert code == 0, err
    finished = (out / "done" / "results.h5").stat().st_mtime_ns
    write(tmp_path, "study.yaml", SMALL)  # the rest of the study: one more load step
    new = write(tmp_path, "new.yaml", relax)
    halted = write(tmp_path, "halted.yaml", relax)
    (out / "halted").mkdir()
    (out / "halted" / "run.log").write_text("a run stopped before its outputs appeared\n")
    decks = [study, done, new, halted]
    code, _, err = run_cli(["run", "-q", *decks, "-o", out], capsys)
    assert code == 2 and "--resume" in err
    code, _, err = run_cli(["run", "-q", study, "-o", out / "study", "--resume", "--restart",
                            out / "study" / "results.h5"], capsys)
    assert code == 2 and "leave out --restart" in err
    code, text, err = run_cli(["run", "-q", *decks, "-o", out, "--resume"], capsys)
    assert code == 0, err
    with h5py.File(out / "study" / "results.h5") as h5:
        assert list(h5["steps/step"][:]) == [1, 2, 3]
        assert h5["run"].attrs["restart_step"] == 2
    log_text = (out / "study" / "run.log").read_text()  # the first run's lines, then these
    assert log_text.index("step 2/2") < log_text.index("restarted from") < \
        log_text.index("step 3/3")
    assert (out / "done" / "results.h5").stat().st_mtime_ns == finished  # kept, not rerun
    for name in ("new", "halted"):
        with h5py.File(out / name / "results.h5") as h5:
            assert h5.attrs["task"] == "relax"
    rows = [line.split("\t") for line in (out / "summary.tsv").read_text().splitlines()]
    status = {Path(r[0]).stem: r[rows[0].index("status")] for r in rows[1:]}
    assert status == {"study": "ok", "done": "done earlier", "new": "ok", "halted": "ok"}
