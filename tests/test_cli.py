"""The qcsim command: one-line errors, exit codes, all-or-nothing outputs, a real run."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from qcsim.cli import main
from qcsim.errors import GeometryError

HERE = Path(__file__).parent
ROOT = HERE.parent
DECKS = ROOT / "input_decks"
_spec = importlib.util.spec_from_file_location("malformed_cases",
                                               HERE / "decks" / "malformed_cases.py")
cases = sys.modules.setdefault("malformed_cases", importlib.util.module_from_spec(_spec))
if not hasattr(cases, "CASES"):
    _spec.loader.exec_module(cases)


def write_case(folder: Path, case) -> Path:
    for name, text in case.files.items():
        (folder / name).write_text(text)
    deck = folder / f"{case.id}.yaml"
    deck.write_text(case.text)
    return deck


def assert_one_error_line(stderr: str, case, deck: Path) -> None:
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    line = lines[0]
    assert line.startswith("qcsim: error: "), line
    assert "Traceback" not in stderr
    if case.potential_error:  # the reader names the potential file and its line
        assert case.message in line and ".alloy:" in line, line
        return
    assert f"{deck}:{case.line}" in line, line
    if case.key:
        assert f"[{case.key}]" in line, line


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


# -- malformed decks through main() -------------------------------------------------
@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.id)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_malformed_deck_is_one_line_and_leaves_nothing(tmp_path, capsys, monkeypatch, case,
                                                       command):
    monkeypatch.chdir(tmp_path)
    deck = write_case(tmp_path, case)
    before = sorted(tmp_path.iterdir())
    argv = [command, deck] + (["-o", tmp_path / "out"] if command == "run" else [])
    code, out, err = run_cli(argv, capsys)
    assert code == 2
    assert_one_error_line(err, case, deck)
    assert sorted(tmp_path.iterdir()) == before  # no results/, no out/, nothing half-written


# -- the same through a real process -----------------------------------------------
SUBPROCESS_CASES = ["unknown-key", "tab-indent", "vacancy-out-of-range", "missing-potential-file"]


@pytest.mark.parametrize("case_id", SUBPROCESS_CASES)
def test_malformed_deck_in_a_subprocess(tmp_path, case_id):
    case = next(c for c in cases.CASES if c.id == case_id)
    deck = write_case(tmp_path, case)
    proc = subprocess.run([sys.executable, "-m", "qcsim.cli", "run", str(deck)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert_one_error_line(proc.stderr, case, deck)
    assert not (tmp_path / "results").exists()


def test_alias_bomb_in_a_subprocess(tmp_path):
    deck = tmp_path / "bomb.yaml"
    deck.write_text("task: relax\nl0: &l0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]\n" for k in range(1, 9)))
    proc = subprocess.run([sys.executable, "-m", "qcsim", "run", str(deck)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "alias bomb" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "results").exists()


@pytest.mark.skipif(shutil.which("qcsim") is None, reason="qcsim script not installed")
def test_console_script(tmp_path):
    case = next(c for c in cases.CASES if c.id == "wrong-type-text")
    deck = write_case(tmp_path, case)
    proc = subprocess.run(["qcsim", "validate", str(deck)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == (f"qcsim: error: {deck}:15 [relax.fmax]: expected a positive "
                                   "number, got 'abc'")


def test_python_dash_m_qcsim(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "qcsim", "validate", str(tmp_path / "no.yaml")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"qcsim: error: {tmp_path / 'no.yaml'}: no such deck file"


# -- files that are not decks ------------------------------------------------------------
def test_missing_directory_and_binary_decks(tmp_path, capsys):
    code, _, err = run_cli(["run", tmp_path / "missing.yaml"], capsys)
    assert code == 2 and err.strip().endswith("missing.yaml: no such deck file")
    code, _, err = run_cli(["validate", tmp_path], capsys)
    assert code == 2 and "is a directory" in err and len(err.splitlines()) == 1
    (tmp_path / "bin.yaml").write_bytes(b"task: relax\n\xff\xfe\x00")
    code, _, err = run_cli(["validate", tmp_path / "bin.yaml"], capsys)
    assert code == 2 and "not a UTF-8 text file" in err


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_unreadable_deck(tmp_path, capsys):
    deck = tmp_path / "d.yaml"
    deck.write_text(cases.BASE)
    deck.chmod(0)
    code, _, err = run_cli(["validate", deck], capsys)
    assert code == 2 and "cannot read deck" in err


# -- help, info, validate ------------------------------------------------------------------
def test_help_documents_the_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for word in ("run", "validate", "info", "exit codes"):
        assert word in text
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "OUTDIR" in capsys.readouterr().out


def test_info(capsys):
    code, out, _ = run_cli(["info"], capsys)
    assert code == 0
    assert "qcsim 0." in out and "relax" in out and "eam/alloy" in out
    assert "Cu_mishin1.eam.alloy" in out


@pytest.mark.parametrize("name", ["cu_vacancy.yaml", "cu_surface_111.yaml"])
def test_validate_shipped_decks(capsys, name):
    code, out, err = run_cli(["validate", DECKS / name], capsys)
    assert code == 0 and err == ""
    assert "OK (task relax: " in out
    assert ("499 Cu atoms (bulk)" if name == "cu_vacancy.yaml" else "128 Cu atoms (slab)") in out


# -- running ----------------------------------------------------------------------------
def test_run_cu_vacancy_end_to_end(tmp_path, capsys):
    out_dir = tmp_path / "out"
    code, out, err = run_cli(["run", DECKS / "cu_vacancy.yaml", "-o", out_dir], capsys)
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["final.extxyz", "results.h5", "run.log"]
    with h5py.File(out_dir / "results.h5") as f:
        assert f.attrs["task"] == "relax" and f.attrs["qcsim_version"]
        assert "cu_vacancy.yaml" in f["run/deck_text"].asstr()[()]
        assert f["run"].attrs["potential_style"] == "eam/alloy"
        assert f["run"].attrs["potential_file"] == "Cu_mishin1.eam.alloy"
        assert len(f["run"].attrs["potential_sha256"]) == 64
        relax = f["relax"]
        assert bool(relax.attrs["converged"])
        energy, max_force = relax["energy"][:], relax["max_force"][:]
        assert len(energy) == len(max_force) == relax.attrs["iterations"] + 1
        assert max_force[-1] <= 1e-4
        assert energy[-1] < energy[0]
        n = 499
        assert f["final/positions"].shape == (n, 3) and f["final/energies"].shape == (n,)
        assert f["final/numbers"][:].tolist() == [29] * n
        assert f["final/pbc"][:].all() and f["final/cell"].shape == (3, 3)
        assert f["final"].attrs["energy"] == pytest.approx(f["final/energies"][:].sum())
        assert energy[-1] == pytest.approx(f["final"].attrs["energy"])
        positions = f["final/positions"][:]
    import ase.io

    atoms = ase.io.read(out_dir / "final.extxyz")
    assert len(atoms) == n
    assert np.allclose(atoms.positions, positions, atol=1e-6)
    assert atoms.calc.results["energies"].shape == (n,)
    assert np.abs(atoms.calc.results["forces"]).max() <= 1e-4
    assert "converged" in (out_dir / "run.log").read_text()


def test_not_converged_is_written_and_fails(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = cases.edit(cases.BASE, "max_steps: 500", "max_steps: 2")
    text = cases.edit(text, "  extxyz: true\n", "  extxyz: false\n  dir: out\n")
    text = cases.edit(text, "  size: [3, 3, 3]\n", "  size: [3, 3, 3]\n  vacancy: true\n")
    deck = tmp_path / "short.yaml"
    deck.write_text(text)
    code, _, err = run_cli(["run", deck], capsys)
    assert code == 3
    assert len(err.splitlines()) == 1 and "did not converge" in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["results.h5", "run.log"]
    with h5py.File(tmp_path / "out" / "results.h5") as f:
        assert not f["relax"].attrs["converged"]
        assert f["relax/max_force"][-1] > 1e-4


def test_failure_mid_run_leaves_nothing_and_keeps_old_results(tmp_path, capsys, monkeypatch):
    import qcsim.io.extxyz

    def broken(*args, **kwargs):
        Path(args[0]).write_text("half")
        raise GeometryError("simulated failure while writing")

    monkeypatch.setattr(qcsim.io.extxyz, "write_extxyz", broken)
    new = tmp_path / "new" / "deeper"
    code, _, err = run_cli(["run", DECKS / "cu_vacancy.yaml", "-o", new], capsys)
    assert code == 2 and err.strip() == "qcsim: error: simulated failure while writing"
    assert not (tmp_path / "new").exists()

    old = tmp_path / "old"
    old.mkdir()
    (old / "results.h5").write_text("previous run")
    code, _, _ = run_cli(["run", DECKS / "cu_vacancy.yaml", "-o", old], capsys)
    assert code == 2
    assert [p.name for p in old.iterdir()] == ["results.h5"]
    assert (old / "results.h5").read_text() == "previous run"


def test_default_output_folder_and_unwritable_output(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    deck = tmp_path / "small.yaml"
    deck.write_text(cases.BASE)
    code, out, _ = run_cli(["run", "-q", deck], capsys)
    assert code == 0
    assert (tmp_path / "results" / "small" / "results.h5").is_file()
    (tmp_path / "afile").write_text("")
    code, _, err = run_cli(["run", deck, "-o", tmp_path / "afile"], capsys)
    assert code == 1 and err.startswith("qcsim: error: cannot write outputs") and \
        len(err.splitlines()) == 1


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_sigterm_removes_staged_outputs(tmp_path):
    import signal
    import time

    text = cases.edit(cases.BASE, "max_steps: 500", "max_steps: 1000000")
    text = cases.edit(text, "fmax: 1.0e-4", "fmax: 1.0e-30")
    text = cases.edit(text, "  size: [3, 3, 3]\n", "  size: [3, 3, 3]\n  rattle: 0.1\n")
    deck = tmp_path / "long.yaml"
    deck.write_text(text)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "qcsim", "run", str(deck), "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not any(out.glob(".partial-*")) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(0.05)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=60)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 143
    assert err.strip() == "qcsim: error: terminated by SIGTERM; outputs of this run removed"
    assert not out.exists()


PAIR_POTENTIALS = {
    "lj/cut": "  style: lj/cut\n  epsilon: 0.4093\n  sigma: 2.338\n  cutoff: 5.845\n  shift: true\n",
    "morse": "  style: morse\n  D0: 0.3429\n  alpha: 1.3588\n  r0: 2.866\n  cutoff: 6.0\n",
}


@pytest.mark.parametrize("style", sorted(PAIR_POTENTIALS))
def test_run_with_pair_styles(tmp_path, capsys, style):
    text = cases.edit(cases.BASE, "  style: eam/alloy\n  file: Cu_mishin1.eam.alloy\n"
                                  "  elements: [Cu]\n", PAIR_POTENTIALS[style])
    text = cases.edit(text, "  a: 3.615\n", "")  # the pair potential's own lattice constant
    deck = tmp_path / "pair.yaml"
    deck.write_text(cases.edit(text, "  size: [3, 3, 3]\n", "  size: [3, 3, 3]\n  vacancy: true\n"))
    code, _, err = run_cli(["run", deck, "-o", tmp_path / "out", "-q"], capsys)
    assert code == 0, err
    with h5py.File(tmp_path / "out" / "results.h5") as f:
        assert f["run"].attrs["potential_style"] == style and "potential_file" not in f["run"].attrs
        assert f["run"].attrs["a"] == f["run"].attrs["a_equilibrium"]
        assert abs(f["run"].attrs["reference_pressure"]) < 1e-9
        assert bool(f["relax"].attrs["converged"]) and f["final/positions"].shape == (107, 3)


def test_run_surface_deck(tmp_path, capsys):
    code, _, err = run_cli(["run", DECKS / "cu_surface_111.yaml", "-o", tmp_path, "-q"], capsys)
    assert code == 0, err
    with h5py.File(tmp_path / "results.h5") as f:
        assert f["final/pbc"][:].tolist() == [True, True, False]
        n, energy = f["final"].attrs["n_atoms"], f["final"].attrs["energy"]
        area = np.linalg.norm(np.cross(f["final/cell"][0], f["final/cell"][1]))
    gamma = (energy - n * -3.5402) / (2 * area) * 16021.766  # mJ/m^2
    assert gamma == pytest.approx(1239.5, rel=0.01)  # VALIDATION.md, Cu_mishin1 (111)


@pytest.mark.parametrize("deck, desc", [("cu_vacancy.yaml", "relax"),
                                        ("cu_qc_vacancy.yaml", "qc-relax")])
def test_relaxations_show_a_progress_bar_on_a_terminal(tmp_path, capsys, monkeypatch, deck,
                                                       desc):
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, out, err = run_cli(["run", DECKS / deck, "-o", tmp_path / "a"], capsys)
    assert code == 0, err
    assert f"{desc}: " in err and "decades above fmax" in err and "it/s" in err
    code, out, err = run_cli(["run", DECKS / deck, "-o", tmp_path / "b", "-q"], capsys)
    assert code == 0 and err == ""  # --quiet: no bar


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_sigterm_inside_a_logging_handler_still_stops_the_run():
    """A signal that lands inside a library's ``except Exception`` (here a logging
    handler's emit) must not be swallowed: the CI once saw a run go on after SIGTERM."""
    import logging
    import signal

    from qcsim.tasks import console

    class Emitting(logging.Handler):
        def emit(self, record):
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                sum(range(1000))  # the handler runs between bytecodes, here
            except Exception:
                self.handleError(record)

    logger = logging.getLogger("qcsim.test_sigterm")
    handler = Emitting()
    logger.addHandler(handler)
    old = console.raise_on_sigterm()
    try:
        with pytest.raises(console.Terminated):
            logger.warning("a line written while SIGTERM arrives")
    finally:
        signal.signal(signal.SIGTERM, old)
        logger.removeHandler(handler)
