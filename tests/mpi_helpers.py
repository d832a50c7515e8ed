"""Starting ``mpiexec`` from the tests: the launcher of the MPI that mpi4py uses, and an
environment free of an outer launcher's variables."""
from __future__ import annotations

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
