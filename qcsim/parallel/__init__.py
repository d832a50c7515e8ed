"""The communicator seam: everything that would need other processes goes through here.

A :class:`Communicator` reduces values across the processes of one simulation
(sums of energies, dot products and norms of distributed vectors, the largest
force), broadcasts and gathers, and lets every process agree on a stop
request.  :data:`SERIAL` is the communicator of a single process, where every
operation is the identity; the model (energy sums) and the solvers (dot
products, norms, the largest force) take one and use nothing else, so that a
distributed run only needs a communicator of its own.
"""
from qcsim.parallel.comm import SERIAL, Communicator, SerialComm, StopFlag  # noqa: F401

__all__ = ["Communicator", "SerialComm", "SERIAL", "StopFlag"]
