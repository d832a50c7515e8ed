"""qcsim under mpiexec: the MPI communicator, several decks side by side on groups of
ranks, and the batch behaviour of the whole job (a bad deck, a failure on one rank,
SIGTERM).  Every test starts ``mpiexec`` in a subprocess, with a timeout, so that a
hang fails the test instead of the suite (docs/parallel.md)."""
from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

pytest.importorskip("mpi4py", reason="mpi4py is not installed: the MPI tests need it "
                                     "(pip install -e \".[test]\" brings mpi4py and mpich)")

from mpi_helpers import ROOT, environment, mpiexec  # noqa: E402


def qcsim(n: int | None, *args, cwd: Path, timeout: float = 240, **kw):
    """``[mpiexec -n N] python -m qcsim ARGS`` in ``cwd``."""
    cmd = (mpiexec(n) if n else []) + [sys.executable, "-m", "qcsim", *map(str, args)]
    return subprocess.run(cmd, cwd=cwd, env=environment(), capture_output=True, text=True,
                          timeout=timeout, **kw)


RELAX = """\
task: relax
potential: {style: eam/alloy, file: Cu_mishin1.eam.alloy, elements: [Cu]}
structure: {kind: bulk, element: Cu, lattice: fcc, a: 3.615, size: [3, 3, 3], vacancy: true}
relax: {method: lbfgs, fmax: 1.0e-4, max_steps: 2000}
"""
CRACK = """\
task: crack
title: small (111) crack
potential: {style: eam/alloy, file: Cu_mishin1.eam.alloy, elements: [Cu]}
crystal: {lattice: fcc, a: 3.615, orient: [[1, 1, -2], [1, 1, 1], [1, -1, 0]], element: Cu}
qc: {scheme: bgfc, r_core: 15.0, r_outer: 60.0}
crack:
  gamma: 1.2395
  K: {start: 0.40, end: 0.42, step: 0.02, unit: K_G}
"""
LONG = CRACK.replace("{start: 0.40, end: 0.42, step: 0.02, unit: K_G}",
                     "{start: 0.4000, end: 0.5000, step: 0.0005, unit: K_G}")  # 201 steps


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def summary(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def terminate_when(cmd, cwd: Path, ready, timeout: float = 120):
    """Start ``cmd``, send it SIGTERM once ``ready(stdout so far)`` (or after
    ``timeout`` s); (the finished process, its stdout, its stderr)."""
    proc = subprocess.Popen(cmd, cwd=cwd, env=environment(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    out = []
    reader = threading.Thread(target=lambda: out.extend(iter(proc.stdout.readline, "")))
    reader.start()
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None and not ready("".join(out)):
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        err = proc.stderr.read()
        proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join()
    return proc, "".join(out), err


def assert_no_traceback(proc):
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr


# -- the communicator ------------------------------------------------------------------
COLLECTIVES = """\
import sys
import numpy as np
from qcsim.parallel import MPIComm, world

comm = world()
assert isinstance(comm, MPIComm) and comm.size == 3, comm
r = comm.rank
assert comm.sum(r + 1) == 6 and isinstance(comm.sum(r + 1), int)
assert comm.sum(0.5 * r) == 1.5 and comm.max(float(r)) == 2.0
np.testing.assert_array_equal(comm.sum(np.arange(3.0) * r), [0.0, 3.0, 6.0])
assert comm.any(r == 1) and not comm.any(False)
a = np.arange(4.0) + 4 * r  # a distributed vector, 4 entries per rank
full = np.arange(12.0)
assert comm.dot(a, a) == full @ full
assert abs(comm.norm(a) - np.linalg.norm(full)) < 1e-12 * np.linalg.norm(full)
assert comm.bcast({"x": r}, root=2) == {"x": 2}
gathered = comm.gather(r * 10, root=1)
assert gathered == ([0, 10, 20] if r == 1 else None), gathered
group = comm.split(r // 2)  # ranks {0, 1} and {2}
assert (group.size, group.rank) == ((2, r) if r < 2 else (1, 0)), (group.size, group.rank)
assert group.sum(1.0) == group.size
assert comm.allgather(r * r) == [0, 1, 4]
assert comm.alltoall([(r, q) for q in range(3)]) == [(q, r) for q in range(3)]
send = np.repeat(np.arange(3.0)[:, None], [1, 2, 3], axis=0) + 10 * r  # q + 1 rows to q
got = comm.alltoallv(np.column_stack([send, -send]), [1, 2, 3], [r + 1] * 3)
want = np.repeat(r + 10.0 * np.arange(3), r + 1)
np.testing.assert_array_equal(got, np.column_stack([want, -want]))
tiny = comm.sum(1e-17 * (r + 1) + [1.0, 0.0, -1.0][r])  # the same bits on every rank
assert len(set(comm.allgather(tiny.hex()))) == 1
assert comm.idle_barrier(timeout=30)
import ase.parallel
assert ase.parallel.world.size == 1  # ASE's file functions stay local to each rank
print(f"rank {r} ok", flush=True)
"""


def test_mpi_communicator_collectives(tmp_path):
    script = write(tmp_path, "collectives.py", COLLECTIVES)
    proc = subprocess.run(mpiexec(3) + [sys.executable, str(script)], cwd=tmp_path,
                          env=environment(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # (the launcher forwards the ranks' output in pieces that may interleave)
    assert [proc.stdout.count(f"rank {r} ok") for r in range(3)] == [1, 1, 1], proc.stdout


STUCK = """\
import signal, sys, time
from qcsim.parallel import world
from qcsim.parallel.jobs import JobResult, run_jobs

comm = world()

def job(index, group, stopping):
    if index == 0:
        return JobResult(index, 2, "failed", "job 0 fails at once")
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a rank that does not stop
    time.sleep(120)
    return JobResult(index, 0, "ok", "late")

results, code = run_jobs(comm, ["a", "b"], 1, job, abort_after=2.0)
print("returned", code, flush=True)
"""


def test_a_rank_that_does_not_stop_is_aborted(tmp_path):
    script = write(tmp_path, "stuck.py", STUCK)
    start = time.monotonic()
    proc = subprocess.run(mpiexec(2) + [sys.executable, str(script)], cwd=tmp_path,
                          env=environment(), capture_output=True, text=True, timeout=100)
    assert time.monotonic() - start < 60
    assert proc.returncode != 0 and "returned" not in proc.stdout
    assert ("qcsim: error: rank 0: the other ranks did not stop within 2 s of the failure; "
            "aborting the job") in proc.stderr


# -- several decks side by side --------------------------------------------------------
def h5_tables(path: Path) -> dict:
    """Every dataset of results.h5 but the timings and the run's metadata."""
    out = {}
    with h5py.File(path) as h5:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset) and not name.startswith("run/") \
                    and "wall_time" not in name:
                out[name] = obj[()]
        h5.visititems(visit)
    return out


def test_decks_side_by_side_equal_serial_runs(tmp_path):
    decks = [write(tmp_path, "vacancy.yaml", RELAX),
             write(tmp_path, "crack.yaml", CRACK),
             write(tmp_path, "fire.yaml", RELAX.replace("method: lbfgs", "method: fire"))]
    par = qcsim(2, "run", "-q", *decks, "-o", "par", cwd=tmp_path)
    assert par.returncode == 0, par.stderr
    assert par.stderr == ""
    ser = qcsim(None, "run", "-q", *decks, "-o", "ser", cwd=tmp_path)
    assert ser.returncode == 0, ser.stderr
    for deck in decks:
        a, b = h5_tables(tmp_path / "par" / deck.stem / "results.h5"), \
            h5_tables(tmp_path / "ser" / deck.stem / "results.h5")
        key = "steps/energy" if deck.stem == "crack" else "relax/energy"
        assert key in a and sorted(a) == sorted(b), deck
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=f"{deck.name}: {name}")
    rows = summary(tmp_path / "par" / "summary.tsv")
    assert [r["deck"] for r in rows] == [str(d) for d in decks]
    assert [r["task"] for r in rows] == ["relax", "crack", "relax"]
    assert [r["rank"] for r in rows] == ["0", "1", "0"]  # round robin over two groups
    assert all(r["exit"] == "0" and r["status"] == "ok" for r in rows)
    assert rows[1]["outcome"].startswith("2 load steps to K = ")
    assert all(float(r["wall_s"]) > 0 for r in rows)
    table = par.stdout[par.stdout.index("summary: 3 deck(s) on 2 ranks: 2 group(s) of 1 "
                                        "rank(s)"):]  # printed by rank 0 alone, at the end
    for deck in decks:  # one line per deck
        assert sum(line.lstrip().startswith(f"{deck}  ") for line in table.splitlines()) == 1
    assert [r["rank"] for r in summary(tmp_path / "ser" / "summary.tsv")] == ["0"] * 3


def test_every_task_runs_on_the_ranks_of_its_group_together(tmp_path):
    """relax, qc-relax and patch-test on one group of 2 ranks: each deck is one simulation
    whose evaluations are shared by both ranks, with the results of a serial run to
    round-off (the unpreconditioned QC relaxation amplifies the round-off of the sums
    into a different iteration count; its final energy is the same)."""
    decks = [write(tmp_path, "vacancy.yaml", RELAX),
             ROOT / "input_decks" / "cu_qc_vacancy.yaml",
             ROOT / "input_decks" / "cu_patch_test.yaml"]
    par = qcsim(2, "run", "-q", *decks, "--ranks-per-run", "2", "-o", "par", cwd=tmp_path)
    assert par.returncode == 0, par.stderr
    assert "1 group(s) of 2 rank(s)" in par.stdout
    ser = qcsim(None, "run", "-q", *decks, "-o", "ser", cwd=tmp_path)
    assert ser.returncode == 0, ser.stderr
    for deck in decks:
        log = (tmp_path / "par" / deck.stem / "run.log").read_text()
        assert "this deck runs on the 2 ranks of its group together" in log, deck
        a, b = h5_tables(tmp_path / "ser" / deck.stem / "results.h5"), \
            h5_tables(tmp_path / "par" / deck.stem / "results.h5")
        if "relax/energy" in a:
            assert abs(a["relax/energy"][-1] - b["relax/energy"][-1]) < \
                1e-10 * abs(a["relax/energy"][-1]), deck
            assert b["relax/max_force"][-1] < 1e-4
        else:
            np.testing.assert_allclose(b["patch_test/max_residual"],
                                       a["patch_test/max_residual"], rtol=1e-9, atol=1e-12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["par", "ser", "vacancy.yaml"]


def test_a_bad_deck_is_refused_before_any_work(tmp_path):
    good = write(tmp_path, "good.yaml", RELAX)
    bad = write(tmp_path, "typo.yaml", RELAX.replace("fmax:", "fmaxx:"))
    crack = write(tmp_path, "crack.yaml", CRACK)
    before = sorted(tmp_path.iterdir())
    proc = qcsim(2, "run", good, bad, crack, cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"qcsim: error: {bad}:4 [relax.fmaxx]: unknown key 'fmaxx'")
    assert lines[0].endswith("no deck was run")
    assert sorted(tmp_path.iterdir()) == before  # no results/, no summary


def test_a_failure_on_one_rank_ends_the_whole_job(tmp_path):
    # rank 0: the long study, then the vacancy; rank 1: a short study, then a relaxation
    # that fails (not converged) while the long study runs
    long = write(tmp_path, "long.yaml", LONG)
    short = write(tmp_path, "short.yaml", CRACK)
    vacancy = write(tmp_path, "vacancy.yaml", RELAX)
    bad = write(tmp_path, "bad.yaml", RELAX.replace("max_steps: 2000", "max_steps: 1"))
    start = time.monotonic()
    proc = qcsim(2, "run", "-q", long, short, vacancy, bad, cwd=tmp_path, timeout=180)
    elapsed = time.monotonic() - start
    assert proc.returncode == 3, proc.stderr  # the failed deck's code: not converged
    assert_no_traceback(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"qcsim: error: rank 1, {bad}: relaxation did not converge"), proc.stderr
    rows = summary(tmp_path / "results" / "summary.tsv")
    assert [(r["status"], r["exit"], r["rank"]) for r in rows] == [
        ("stopped", "143", "0"), ("ok", "0", "1"), ("not started", "", ""),
        ("not converged", "3", "1")]
    assert rows[0]["outcome"].startswith(f"job ended because {bad} failed on rank 1: ")
    assert rows[0]["outcome"].endswith(f"--restart results/long/results.h5")
    assert rows[2]["outcome"] == f"not started: job ended because {bad} failed on rank 1"
    out = tmp_path / "results" / "long"
    with h5py.File(out / "results.h5") as h5:  # stopped early, with a usable checkpoint
        ck = h5["checkpoint"]
        done = int(ck.attrs["step_index"])
        assert ck.attrs["valid"] and ck.attrs["n_steps"] == done == len(h5["steps/K"])
        assert done < 150
    assert not list(out.glob(".partial-*")) and not (out / ".qcsim-lock").exists()
    assert not (tmp_path / "results" / "vacancy").exists()
    assert elapsed < 150


BREAK_RANK_2 = """\
import os
import time
if "2" in (os.environ.get("PMI_RANK"), os.environ.get("OMPI_COMM_WORLD_RANK")):
    import qcsim.model as model
    original, calls = model.QCModel._replicated, [0]

    def broken(self, *args):
        calls[0] += 1
        if calls[0] == 40:  # inside the first relaxation: the others wait in a collective
            with open("failed_at", "w") as fh:
                fh.write(repr(time.time()))
            raise RuntimeError("injected failure")
        return original(self, *args)

    model.QCModel._replicated = broken
"""


def test_an_exception_on_one_rank_of_a_simulation_ends_a_3_rank_job(tmp_path):
    """One crack deck on 3 ranks; rank 2 raises in the middle of an evaluation, while
    ranks 0 and 1 wait for it in a collective: the job ends within seconds with
    one line naming the rank (and the traceback of the bug), not after minutes."""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(BREAK_RANK_2)
    deck = write(tmp_path, "a.yaml", LONG)
    env = environment()
    env["PYTHONPATH"] = os.pathsep.join([str(hook), env["PYTHONPATH"]])
    proc = subprocess.run(mpiexec(3) + [sys.executable, "-m", "qcsim", "run", "-q", str(deck)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    ended = time.time()
    failed_at = float((tmp_path / "failed_at").read_text())
    assert proc.returncode != 0
    assert ended - failed_at < 10.0, ended - failed_at
    lines = [x for x in proc.stderr.splitlines() if x.startswith("qcsim: error:")]
    assert lines[0] == (f"qcsim: error: rank 2, {deck}: internal error: RuntimeError: "
                        "injected failure (traceback above)"), proc.stderr[-2000:]
    assert "aborting the job" in lines[-1]
    # nothing half-written: the steps committed before the failure, with their checkpoint
    folder = tmp_path / "results" / "a"
    assert not list(folder.glob(".partial-*"))
    if (folder / "results.h5").exists():  # (a killed rank may still be exiting: no lock)
        with h5py.File(folder / "results.h5", "r", locking=False) as h5:
            ck = h5["checkpoint"]
            assert ck.attrs["valid"] and ck.attrs["step_index"] == len(h5["steps/K"])


def test_a_busy_output_folder_on_one_rank_ends_the_job(tmp_path):
    import socket

    long = write(tmp_path, "long.yaml", LONG)
    relax = write(tmp_path, "vacancy.yaml", RELAX)
    busy = tmp_path / "results" / "vacancy"
    busy.mkdir(parents=True)
    (busy / ".qcsim-lock").write_text(f"{os.getpid()}\n{socket.gethostname()}\nnow\n")
    proc = qcsim(2, "run", "-q", relax, long, cwd=tmp_path, timeout=180)
    assert proc.returncode == 2, proc.stderr
    assert_no_traceback(proc)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"qcsim: error: rank 0, {relax}: ")
    assert "is being written by process" in lines[0]
    rows = summary(tmp_path / "results" / "summary.tsv")
    assert [(r["status"], r["exit"]) for r in rows] == [("failed", "2"), ("stopped", "143")]
    assert sorted(p.name for p in busy.iterdir()) == [".qcsim-lock"]  # left as it was
    out = tmp_path / "results" / "long"  # removed, or kept with its checkpoint
    if out.exists():
        assert not list(out.glob(".partial-*")) and not (out / ".qcsim-lock").exists()
        with h5py.File(out / "results.h5") as h5:
            assert h5["checkpoint"].attrs["valid"]


@pytest.mark.skipif(os.name != "posix", reason="SIGTERM")
def test_sigterm_to_mpiexec_stops_every_deck_with_a_checkpoint(tmp_path):
    decks = [write(tmp_path, "a.yaml", LONG), write(tmp_path, "b.yaml", LONG)]
    cmd = mpiexec(2) + [sys.executable, "-m", "qcsim", "run", *map(str, decks)]
    proc, text, err = terminate_when(
        cmd, tmp_path, lambda text: all(f"[{deck}] step 1/" in text for deck in decks))
    assert all(f"[{deck}] step 1/" in text for deck in decks)
    assert proc.returncode == 143, err
    assert err.splitlines() == ["qcsim: error: terminated by SIGTERM: 2 deck(s) stopped, 0 not "
                                "started; continue them all with the same command and "
                                "--resume (the summary says how to continue each alone)"]
    rows = summary(tmp_path / "results" / "summary.tsv")
    assert [(r["status"], r["exit"]) for r in rows] == [("stopped", "143")] * 2
    done_at = {}
    for deck, row in zip(decks, rows):
        out = tmp_path / "results" / deck.stem
        assert row["outcome"].startswith("terminated by SIGTERM after load step ")
        assert row["outcome"].endswith(f"continue with: qcsim run {deck} --restart "
                                       f"results/{deck.stem}/results.h5")
        with h5py.File(out / "results.h5") as h5:
            ck = h5["checkpoint"]
            done = int(ck.attrs["step_index"])
            assert ck.attrs["valid"] and 1 <= done < 201 and ck.attrs["n_steps"] == done
        assert not list(out.glob(".partial-*")) and not (out / ".qcsim-lock").exists()
        done_at[deck.stem] = done
    # the checkpoint continues, serially: two more load steps
    end = f"end: {0.4 + 0.0005 * (done + 1):.4f}"
    write(tmp_path, "b.yaml", LONG.replace("end: 0.5000", end))
    again = qcsim(None, "run", "-q", decks[1], "--restart", f"results/b/results.h5",
                  cwd=tmp_path, timeout=120)
    assert again.returncode == 0, again.stderr
    with h5py.File(tmp_path / "results" / "b" / "results.h5") as h5:
        assert list(h5["steps/step"][:]) == list(range(1, done + 3))
        assert h5["steps/converged"][:].all()
    # the job resubmitted with --resume: a continues from its checkpoint (two more steps),
    # b is at the end of its (shortened) deck already
    end = f"end: {0.4 + 0.0005 * (done_at['a'] + 1):.4f}"
    write(tmp_path, "a.yaml", LONG.replace("end: 0.5000", end))
    resumed = qcsim(2, "run", "-q", *map(str, decks), "--resume", cwd=tmp_path, timeout=180)
    assert resumed.returncode == 0, resumed.stderr
    with h5py.File(tmp_path / "results" / "a" / "results.h5") as h5:
        assert list(h5["steps/step"][:]) == list(range(1, done_at["a"] + 3))
        assert h5["run"].attrs["restart_step"] == done_at["a"]
    rows = summary(tmp_path / "results" / "summary.tsv")  # the resumed job's table
    assert [(r["status"], r["exit"]) for r in rows] == [("ok", "0")] * 2


def test_sigterm_stops_one_deck_run_on_two_ranks_at_one_point(tmp_path):
    """One crack deck on both ranks (one model): SIGTERM to mpiexec, the ranks agree on
    one stopping point, one checkpoint is written (by rank 0), exit 143; the
    checkpoint continues on one process."""
    deck = write(tmp_path, "a.yaml", LONG)
    proc, text, err = terminate_when(mpiexec(2) + [sys.executable, "-m", "qcsim", "run",
                                                   str(deck)],
                                     tmp_path, lambda text: f"[{deck}] step 2/" in text)
    assert f"[{deck}] step 2/" in text and "2 ranks of its group together" in text
    assert proc.returncode == 143, err
    assert "Traceback" not in err + text, err
    assert "continue with: qcsim run" in err + text
    folder = tmp_path / "results" / "a"
    with h5py.File(folder / "results.h5") as h5:
        ck = h5["checkpoint"]
        done = int(ck.attrs["step_index"])
        assert ck.attrs["valid"] and 2 <= done < 201 and ck.attrs["n_steps"] == done
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "results"]
    assert not list(folder.glob(".partial-*")) and not (folder / ".qcsim-lock").exists()
    # the checkpoint of 2 ranks continues on 3 (and would on one)
    end = f"end: {0.4 + 0.0005 * (done + 1):.4f}"
    write(tmp_path, "a.yaml", LONG.replace("end: 0.5000", end))
    again = qcsim(3, "run", "-q", deck, "--restart", "results/a/results.h5", cwd=tmp_path,
                  timeout=180)
    assert again.returncode == 0, again.stderr
    with h5py.File(folder / "results.h5") as h5:
        assert list(h5["steps/step"][:]) == list(range(1, done + 3))
        assert h5["run"].attrs["restart_step"] == done and h5["steps/converged"][:].all()
    assert "3 ranks of its group together" in (folder / "run.log").read_text()
    # the uninterrupted run, on one process, reaches the same final state
    whole = qcsim(None, "run", "-q", deck, "-o", "whole", cwd=tmp_path, timeout=180)
    assert whole.returncode == 0, whole.stderr
    with h5py.File(folder / "results.h5") as a, h5py.File(tmp_path / "whole" / "results.h5") as b:
        np.testing.assert_allclose(a["steps/energy"][:], b["steps/energy"][:], rtol=1e-10)
        np.testing.assert_array_equal(a["steps/iterations"][:], b["steps/iterations"][:])
        np.testing.assert_allclose(a["checkpoint/U_nc"][:], b["checkpoint/U_nc"][:], atol=1e-8)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "results", "whole"]
