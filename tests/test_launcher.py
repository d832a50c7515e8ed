"""A run under an MPI launcher with several ranks stops before doing anything (issue 9.8),
and two processes never write one output folder at once."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qcsim.launcher import Launch, launch_of

DECK = Path(__file__).parent.parent / "input_decks" / "cu_vacancy.yaml"


@pytest.mark.parametrize("env, expected", [
    ({}, Launch()),
    ({"OMPI_COMM_WORLD_SIZE": "4", "OMPI_COMM_WORLD_RANK": "3"},
     Launch(4, 3, "OMPI_COMM_WORLD_SIZE")),
    ({"PMI_SIZE": "2", "PMI_RANK": "1"}, Launch(2, 1, "PMI_SIZE")),
    ({"PMI_SIZE": "1", "PMI_RANK": "0"}, Launch(1, 0, "PMI_SIZE")),
    ({"MV2_COMM_WORLD_SIZE": "8"}, Launch(8, 0, "MV2_COMM_WORLD_SIZE")),
    ({"PMI_SIZE": "junk"}, Launch()),
])
def test_launch_from_the_environment(env, expected):
    assert launch_of(env) == expected


def _run(tmp_path, env, decks=(DECK,), extra=()):
    full = {k: v for k, v in os.environ.items()
            if not k.startswith(("PMI_", "OMPI_", "PMIX_", "MV2_", "MPI_LOCAL"))}
    full.update(env)
    # an mpi4py that fails when imported: the refusal must not need MPI
    trap = tmp_path / "trap" / "mpi4py"
    trap.mkdir(parents=True, exist_ok=True)
    (trap / "__init__.py").write_text("raise ImportError('qcsim imported mpi4py')\n")
    full["PYTHONPATH"] = os.pathsep.join(filter(None, [str(trap.parent),
                                                       full.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "qcsim", "run", *map(str, decks), "-o", "out",
                           *extra], cwd=tmp_path, env=full, capture_output=True, text=True,
                          timeout=120)


def test_several_ranks_are_refused_without_mpi4py(tmp_path):
    rank0 = _run(tmp_path, {"PMI_SIZE": "2", "PMI_RANK": "0"})
    assert rank0.returncode == 2 and rank0.stdout == ""
    assert rank0.stderr.count("\n") == 1 and "MPI launcher on 2 ranks" in rank0.stderr
    rank1 = _run(tmp_path, {"PMI_SIZE": "2", "PMI_RANK": "1"})
    assert rank1.returncode == 2 and rank1.stderr == ""  # one line for the whole job
    assert not (tmp_path / "out").exists()


def test_several_decks_on_several_ranks_need_mpi4py(tmp_path):
    # the trap is found but cannot be imported: as when mpi4py is absent, refused at once
    deck2 = tmp_path / "b.yaml"
    deck2.write_text(DECK.read_text().replace("results/cu_vacancy", "results/b"))
    rank0 = _run(tmp_path, {"PMI_SIZE": "2", "PMI_RANK": "0"}, decks=(DECK, deck2))
    assert rank0.returncode == 2 and rank0.stdout == ""
    assert rank0.stderr.count("\n") == 1 and "MPI launcher on 2 ranks" in rank0.stderr
    assert "mpi4py cannot be imported" in rank0.stderr and "Traceback" not in rank0.stderr
    rank1 = _run(tmp_path, {"PMI_SIZE": "2", "PMI_RANK": "1"}, decks=(DECK, deck2))
    assert rank1.returncode == 2 and rank1.stderr == ""
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("decks, extra, message", [
    (1, ("--ranks-per-run", "2"), "for one deck with --ranks-per-run 2: only one of the 2 "
                                  "groups would have a deck"),
    (2, (), "4 groups of 1 rank(s) for 2 decks, so a group would have nothing to do"),
    (2, ("--ranks-per-run", "3"), "--ranks-per-run 3 does not divide them into groups")])
def test_rank_groups_without_a_deck_are_refused(tmp_path, decks, extra, message):
    env = {"PMI_SIZE": "4", "PMI_RANK": "0"}
    proc = _run(tmp_path, env, decks=(DECK,) * decks, extra=extra)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "out").exists()


def test_one_rank_runs_as_usual(tmp_path):
    proc = _run(tmp_path, {"PMI_SIZE": "1", "PMI_RANK": "0"})
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "out" / "results.h5").is_file()


@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="no mpiexec")
def test_mpiexec_with_two_ranks_runs_one_simulation(tmp_path):
    """One relax deck started on two ranks: one simulation shared by both ranks, its
    outputs written once."""
    pytest.importorskip("mpi4py")
    proc = subprocess.run(["mpiexec", "-n", "2", sys.executable, "-m", "qcsim", "run", str(DECK),
                           "-o", "out"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("wrote run.log, results.h5") == 1
    log = (tmp_path / "out" / "run.log").read_text()
    assert "this deck runs on the 2 ranks of its group together" in log
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- one writer per output folder ------------------------------------------------------
def test_a_second_writer_of_a_folder_is_refused(tmp_path):
    from qcsim.io.staging import LOCK_NAME, OutputBusy, OutputStage

    with OutputStage(tmp_path / "out") as first:
        first.path("a.txt").write_text("1")
        assert (tmp_path / "out" / LOCK_NAME).is_file()
        with pytest.raises(OutputBusy, match=f"process {os.getpid()} on"):
            with OutputStage(tmp_path / "out"):
                pass
        first.commit()
    assert (tmp_path / "out" / "a.txt").read_text() == "1"
    assert not (tmp_path / "out" / LOCK_NAME).exists()


def test_the_lock_of_a_dead_run_is_taken_over(tmp_path):
    import socket

    from qcsim.io.staging import LOCK_NAME, OutputStage

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    (tmp_path / LOCK_NAME).write_text(f"{dead}\n{socket.gethostname()}\n2026-01-01 00:00:00\n")
    with OutputStage(tmp_path) as stage:
        stage.path("b.txt").write_text("2")
        stage.commit()
    assert (tmp_path / "b.txt").is_file() and not (tmp_path / LOCK_NAME).exists()


def test_a_busy_folder_is_one_line_from_the_command_line(tmp_path):
    import socket

    from qcsim.io.staging import LOCK_NAME

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / LOCK_NAME).write_text(f"{os.getpid()}\n{socket.gethostname()}\nnow\n")
    proc = _run(tmp_path, {})
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1
    assert "is being written by process" in proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [LOCK_NAME]


@pytest.mark.skipif(shutil.which("mpiexec") is None, reason="no mpiexec")
def test_validate_under_mpiexec_answers_once(tmp_path):
    proc = subprocess.run(["mpiexec", "-n", "2", sys.executable, "-m", "qcsim", "validate",
                           str(DECK)], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count(": OK (task relax") == 1, proc.stdout
