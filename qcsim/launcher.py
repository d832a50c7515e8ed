"""What an MPI launcher tells a process through its environment, read without MPI.

``mpirun``/``mpiexec``/``srun`` start every process with variables that give
the number of processes and the process's rank.  qcsim reads them before it
imports anything MPI-related, so that a run started under a launcher with
several ranks can be refused at once (until domain decomposition arrives,
every rank would run the whole problem and write the same files), whether
mpi4py is installed or not.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

__all__ = ["Launch", "launch_of"]

# (size, rank) variables of the common launchers, the most specific first
_VARIABLES = (
    ("OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK"),  # Open MPI
    ("PMI_SIZE", "PMI_RANK"),  # MPICH (Hydra), Intel MPI, srun --mpi=pmi2
    ("PMIX_SIZE", "PMIX_RANK"),  # PMIx launchers
    ("MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK"),  # MVAPICH2
    ("MPI_LOCALNRANKS", "MPI_LOCALRANKID"),  # MPICH, ranks on this node
)


@dataclass(frozen=True)
class Launch:
    """The launcher's view of this process: ``size`` ranks, this one is ``rank``;
    ``variable`` names where the size was read (None: not under a launcher)."""

    size: int = 1
    rank: int = 0
    variable: str | None = None

    @property
    def parallel(self) -> bool:
        return self.size > 1


def launch_of(environ: Mapping[str, str] | None = None) -> Launch:
    """The :class:`Launch` of this process from ``environ`` (default ``os.environ``)."""
    env = os.environ if environ is None else environ
    for size_name, rank_name in _VARIABLES:
        try:
            size = int(env[size_name])
        except (KeyError, ValueError):
            continue
        try:
            rank = int(env.get(rank_name, "0"))
        except ValueError:
            rank = 0
        return Launch(size=size, rank=rank, variable=size_name)
    return Launch()
