"""The communicator seam: everything that would need other processes goes through here.

A :class:`Communicator` reduces values across the processes of one simulation
(sums of energies, dot products and norms of distributed vectors, the largest
force), broadcasts and gathers, and lets every process agree on a stop
request.  :data:`SERIAL` is the communicator of a single process, where every
operation is the identity; the model (energy sums) and the solvers (dot
products, norms, the largest force) take one and use nothing else, so that a
distributed run only needs a communicator of its own.

:class:`MPIComm` (:mod:`qcsim.parallel.mpi`) is the communicator of several
processes started by an MPI launcher, over mpi4py; :func:`world` gives the
communicator of every process of this job (SERIAL without a launcher, or with
one rank; mpi4py is imported only then).  :mod:`qcsim.parallel.jobs` runs
independent jobs (the decks of one command line) on groups of ranks.
"""
from qcsim.parallel.comm import SERIAL, Communicator, SerialComm, StopFlag  # noqa: F401
from qcsim.parallel.mpi import MPIComm, MPIUnavailable, world  # noqa: F401

__all__ = ["Communicator", "SerialComm", "SERIAL", "StopFlag", "MPIComm", "MPIUnavailable",
           "world"]
