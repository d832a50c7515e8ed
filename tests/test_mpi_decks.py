"""Several decks in one command without MPI (one after the other), and the checks made
before any deck runs; the same code runs them on groups of MPI ranks (tests/test_mpi.py)."""
from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from qcsim.cli import main

RELAX = """\
task: relax
potential: {style: eam/alloy, file: Cu_mishin1.eam.alloy, elements: [Cu]}
structure: {kind: bulk, element: Cu, lattice: fcc, a: 3.615, size: [3, 3, 3], vacancy: true}
relax: {method: lbfgs, fmax: 1.0e-4, max_steps: 2000}
"""


def write(folder: Path, name: str, text: str = RELAX) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def run_cli(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def rows(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_several_decks_one_after_the_other(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a, b = write(tmp_path, "a.yaml"), write(tmp_path, "b.yaml",
                                             RELAX.replace("lbfgs", "fire"))
    code, out, err = run_cli(["run", "-q", a, b], capsys)
    assert code == 0 and err == ""
    assert (tmp_path / "results" / "a" / "results.h5").is_file()
    assert (tmp_path / "results" / "b" / "results.h5").is_file()
    table = rows(tmp_path / "results" / "summary.tsv")
    assert [(r["deck"], r["task"], r["output"], r["exit"], r["status"]) for r in table] == [
        (str(a), "relax", "results/a", "0", "ok"), (str(b), "relax", "results/b", "0", "ok")]
    assert all(r["outcome"].startswith("converged in ") for r in table)
    assert "summary: 2 deck(s) one after the other" in out
    assert out.count("  ok  ") == 2


def test_the_first_failure_ends_the_others(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    bad = write(tmp_path, "bad.yaml", RELAX.replace("max_steps: 2000", "max_steps: 1"))
    good = write(tmp_path, "good.yaml")
    code, out, err = run_cli(["run", "-q", bad, good, "-o", "out"], capsys)
    assert code == 3
    assert err.splitlines() == [f"qcsim: error: {bad}: " + err.split(f"{bad}: ", 1)[1].strip()]
    assert "relaxation did not converge" in err
    table = rows(tmp_path / "out" / "summary.tsv")
    assert [(r["status"], r["exit"]) for r in table] == [("not converged", "3"),
                                                         ("not started", "")]
    assert table[1]["outcome"] == f"not started: job ended because {bad} failed on rank 0"
    assert not (tmp_path / "out" / "good").exists()
    # --keep-going runs the others and still ends with the failure's code
    code, out, err = run_cli(["run", "-q", bad, good, "-o", "out2", "--keep-going"], capsys)
    assert code == 3
    assert [r["status"] for r in rows(tmp_path / "out2" / "summary.tsv")] == \
        ["not converged", "ok"]


@pytest.mark.parametrize("case", ["same-folder", "earlier-results", "summary-exists",
                                  "restart", "ranks-per-run", "bad-decks"])
def test_what_is_refused_before_any_deck_runs(tmp_path, capsys, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    a = write(tmp_path, "a.yaml")
    (tmp_path / "sub").mkdir()
    argv, expected = ["run", a], None
    if case == "same-folder":
        argv.append(write(tmp_path / "sub", "a.yaml"))
        expected = f"decks {a} and {tmp_path / 'sub' / 'a.yaml'} would both write results/a"
    elif case == "earlier-results":
        argv.append(write(tmp_path, "b.yaml"))
        (tmp_path / "results" / "b").mkdir(parents=True)
        (tmp_path / "results" / "b" / "run.log").write_text("x")
        expected = f"{tmp_path / 'b.yaml'}: results/b already holds the log of an earlier run"
    elif case == "summary-exists":
        argv += [write(tmp_path, "b.yaml"), "--summary", "s.tsv"]
        (tmp_path / "s.tsv").write_text("x")
        expected = "the summary file s.tsv exists"
    elif case == "restart":
        argv += [write(tmp_path, "b.yaml"), "--restart", "x.h5"]
        expected = "--restart continues one deck"
    elif case == "ranks-per-run":
        argv += ["--ranks-per-run", "2"]
        expected = "--ranks-per-run 2 needs a job of as many MPI ranks"
    elif case == "bad-decks":
        argv += [write(tmp_path, "b.yaml", RELAX.replace("fmax:", "fmaxx:")),
                 write(tmp_path, "c.yaml", RELAX.replace("3, 3, 3", "3, 3")),
                 tmp_path / "missing.yaml"]
        expected = (f"{tmp_path / 'b.yaml'}:4 [relax.fmaxx]: unknown key 'fmaxx'")
    before = sorted(p for p in tmp_path.rglob("*"))
    code, out, err = run_cli(argv, capsys)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith(f"qcsim: error: {expected}"), err
    if case == "bad-decks":
        assert err.rstrip().endswith(f"(also bad: {tmp_path / 'c.yaml'}, "
                                     f"{tmp_path / 'missing.yaml'}; check them with qcsim "
                                     "validate); no deck was run")
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_the_one_deck_command_is_unchanged(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    a = write(tmp_path, "a.yaml")
    code, out, err = run_cli(["run", "-q", a, "-o", "out"], capsys)
    assert code == 0 and out.startswith(f"{a}: converged in ")
    assert "summary" not in out and not (tmp_path / "results").exists()


def test_importing_qcsim_does_not_import_mpi4py():
    code = ("import sys, qcsim, qcsim.cli, qcsim.parallel, qcsim.parallel.jobs, "
            "qcsim.tasks.campaign\n"
            "from qcsim.parallel import SERIAL, world\n"
            "assert world() is SERIAL and world({'PMI_SIZE': '1'}) is SERIAL\n"
            "assert 'mpi4py' not in sys.modules, 'mpi4py imported'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert proc.returncode == 0, proc.stderr
