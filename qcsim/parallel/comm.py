"""The communicator interface and its one-process implementation."""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np

__all__ = ["Communicator", "SerialComm", "SERIAL", "StopFlag"]


class Communicator(Protocol):
    """Collective operations over the processes of one simulation (every process
    calls each of them, in the same order)."""

    rank: int
    size: int

    def sum(self, value: float) -> float:
        """The sum of ``value`` over the processes."""

    def max(self, value: float) -> float:
        """The largest ``value`` of any process."""

    def any(self, flag: bool) -> bool:
        """True on every process if ``flag`` is true on any."""

    def dot(self, a: np.ndarray, b: np.ndarray) -> float:
        """a . b of two vectors distributed alike (each process holds its part)."""

    def norm(self, a: np.ndarray) -> float:
        """The 2-norm of a distributed vector."""

    def replicated_sum(self, a: np.ndarray) -> np.ndarray:
        """The sum over the processes of the float64 arrays ``a`` (same shape on every
        process), computed once and broadcast: every process gets the same bits."""

    def barrier(self) -> None:
        """Wait for every process."""

    def bcast(self, obj: Any, root: int = 0) -> Any:
        """``obj`` of process ``root``, on every process."""

    def gather(self, obj: Any, root: int = 0) -> list | None:
        """The ``obj`` of every process, in rank order, on ``root`` (None elsewhere)."""

    def split(self, color: int, key: int | None = None) -> "Communicator":
        """The group of the processes that give the same ``color`` (every process calls it)."""

    def allgather(self, obj: Any) -> list:
        """The ``obj`` of every process, in rank order, on every process."""

    def alltoall(self, objs: list) -> list:
        """``objs[q]`` to process q; what every process sent here, in rank order."""

    def allgatherv(self, part: np.ndarray, counts) -> np.ndarray:
        """Every process's ``part`` (``counts[q]`` entries from process q), joined in
        rank order, on every process."""

    def alltoallv(self, send: np.ndarray, send_counts, recv_counts) -> np.ndarray:
        """Rows of ``send`` to each process (``send_counts`` rows each, in rank
        order); the rows received (``recv_counts`` from each), in rank order."""


class SerialComm:
    """One process: every reduction is the value itself, every exchange a no-op."""

    rank = 0
    size = 1

    def sum(self, value):
        return value

    def max(self, value):
        return value

    def any(self, flag: bool) -> bool:
        return bool(flag)

    def dot(self, a, b) -> float:
        return float(a @ b)

    def norm(self, a) -> float:
        return float(np.linalg.norm(a))

    def replicated_sum(self, a):
        return a

    def barrier(self) -> None:
        return None

    def bcast(self, obj, root: int = 0):
        return obj

    def gather(self, obj, root: int = 0):
        return [obj]

    def allgather(self, obj):
        return [obj]

    def alltoall(self, objs):
        return list(objs)

    def allgatherv(self, part, counts):
        return np.array(part, dtype=np.float64)

    def alltoallv(self, send, send_counts, recv_counts):
        return np.array(send, dtype=np.float64)

    def split(self, color: int, key: int | None = None) -> "SerialComm":
        return self

    def __repr__(self) -> str:
        return "<serial communicator>"


SERIAL = SerialComm()
"""The communicator of a single process."""


class StopFlag:
    """A stop request (a signal) that the processes agree on at a safe point.

    The signal handler of one process calls :meth:`request`; every process then
    asks :meth:`agreed` at the same point of the step loop and stops there
    together (with one process the request is seen at once).
    """

    def __init__(self, comm: Communicator = SERIAL):
        self.comm = comm
        self.requested: int | None = None  # the signal number asked for

    def request(self, signum: int) -> None:
        self.requested = self.requested or signum

    def agreed(self) -> bool:
        return self.comm.any(self.requested is not None)
