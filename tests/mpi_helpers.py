"""Starting ``mpiexec`` from the tests: the launcher of the MPI that mpi4py uses, and an
environment free of an outer launcher's variables."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def find_mpiexec() -> str | None:
    """The mpiexec of the MPI that mpi4py uses: the mpich wheel's, next to the Python
    interpreter, else the first on PATH."""
    for folder in (Path(sys.executable).parent, Path(sys.prefix) / "bin"):
        if (folder / "mpiexec").is_file():
            return str(folder / "mpiexec")
    return shutil.which("mpiexec") or shutil.which("mpirun")


MPIEXEC = find_mpiexec()


def mpiexec(n: int) -> list[str]:
    """``[mpiexec, -n, N]``, oversubscribed under Open MPI (CI has 2 cores)."""
    assert MPIEXEC is not None, "mpi4py is installed but no mpiexec was found"
    cmd = [MPIEXEC, "-n", str(n)]
    version = subprocess.run([MPIEXEC, "--version"], capture_output=True, text=True).stdout
    if "Open MPI" in version or "OpenRTE" in version:
        cmd.append("--oversubscribe")
    return cmd


def environment(**extra) -> dict:
    """This environment without a launcher's variables, with this tree's qcsim first."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PMI_", "OMPI_", "PMIX_", "MV2_", "MPI_LOCAL"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.pop("QCSIM_ABORT_AFTER", None)
    env.update(extra)
    return env


def run_script(script, ranks: int, cwd) -> dict:
    """Run ``script`` under ``mpiexec -n ranks``; the JSON line rank 0 printed last."""
    proc = subprocess.run(mpiexec(ranks) + [sys.executable, str(script)], capture_output=True,
                          text=True, timeout=600, cwd=cwd, env=environment(OMP_NUM_THREADS="1"))
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["ranks"] == ranks
    return out
