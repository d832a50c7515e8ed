"""The MPI communicator (mpi4py) behind the communicator seam, and the world of this process.

mpi4py is optional: it is imported only by :func:`world` when an MPI launcher
started this process on several ranks (read from the launcher's environment,
:mod:`qcsim.launcher`), and by :class:`MPIComm` itself.  ``import qcsim``
never imports it.

Besides the collective operations of :class:`qcsim.parallel.Communicator`,
an :class:`MPIComm` can

- :meth:`~MPIComm.split` itself into groups of ranks (one per color);
- wait without spinning (:meth:`~MPIComm.idle_barrier`): a rank with nothing
  to do leaves its core to the ranks that compute (MPICH's blocking calls poll
  the network at full speed);
- raise and watch **alerts** (:meth:`~MPIComm.alert`, :meth:`~MPIComm.watch`):
  a message one rank sends to every other at any time (an error that ends the
  job), received by a thread of each rank while its main thread computes;
- :meth:`~MPIComm.abort` the whole job (the last resort against a hang).
"""
from __future__ import annotations

import threading
import time
from typing import Any, Callable

import numpy as np

from qcsim.errors import QCSimError
from qcsim.launcher import launch_of
from qcsim.parallel.comm import SERIAL, Communicator

__all__ = ["MPIComm", "world", "MPIUnavailable"]

_ALERT_TAG = 7301
_POLL = 0.05  # s between two looks of a waiting rank or of the alert watcher


class MPIUnavailable(QCSimError):
    """Started by an MPI launcher on several ranks, but mpi4py cannot be imported."""


def _mpi():
    from mpi4py import MPI

    return MPI


class MPIComm:
    """A :class:`~qcsim.parallel.Communicator` over an mpi4py communicator ``comm``.

    Scalars are reduced in float64 (``int`` stays ``int``); arrays element by
    element.  The order of a reduction is fixed for a given number of ranks,
    so a result is reproducible from one run to the next on the same ranks.
    """

    def __init__(self, comm):
        self.MPI = _mpi()
        self.comm = comm
        self.rank = comm.Get_rank()
        self.size = comm.Get_size()
        self._alerts = None  # a duplicate of comm, for alerts only (see watch)
        self._sent: list = []
        self._watcher: threading.Thread | None = None
        self._watching = False

    # -- reductions ------------------------------------------------------------------
    def _reduce(self, value, op):
        if isinstance(value, np.ndarray):
            out = np.empty_like(value)
            self.comm.Allreduce(np.ascontiguousarray(value), out, op=op)
            return out
        if isinstance(value, (bool, np.bool_)):
            raise TypeError("reduce a flag with any(), not sum() or max()")
        if isinstance(value, (int, np.integer)):
            return int(self.comm.allreduce(int(value), op=op))
        if op is self.MPI.SUM:  # the same bits on every rank (see replicated_sum)
            return float(self.replicated_sum(np.array([value], dtype=np.float64))[0])
        buf = np.array([value], dtype=np.float64)
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=op)
        return float(buf[0])

    def sum(self, value):
        """The sum; a float is reduced on rank 0 and broadcast, so that every rank
        gets the same bits (the solvers of distributed vectors branch on it)."""
        return self._reduce(value, self.MPI.SUM)

    def max(self, value):
        return self._reduce(value, self.MPI.MAX)

    def any(self, flag: bool) -> bool:
        return bool(self.comm.allreduce(bool(flag), op=self.MPI.LOR))

    def dot(self, a, b) -> float:
        return self.sum(float(np.dot(np.ravel(a), np.ravel(b))))

    def norm(self, a) -> float:
        a = np.ravel(a)
        return float(np.sqrt(self.sum(float(a @ a))))

    def replicated_sum(self, a):
        """Reduce to rank 0, then broadcast (an Allreduce may leave the ranks with
        different last bits when the order of its sums differs between them)."""
        a = np.ascontiguousarray(a, dtype=np.float64)
        out = np.empty_like(a)
        self.comm.Reduce(a, out, op=self.MPI.SUM, root=0)
        self.comm.Bcast(out, root=0)
        return out

    # -- exchanges -------------------------------------------------------------------
    def barrier(self) -> None:
        self.comm.Barrier()

    def bcast(self, obj: Any, root: int = 0) -> Any:
        return self.comm.bcast(obj, root=root)

    def gather(self, obj: Any, root: int = 0) -> list | None:
        return self.comm.gather(obj, root=root)

    def allgather(self, obj: Any) -> list:
        return self.comm.allgather(obj)

    def alltoall(self, objs: list) -> list:
        """Object ``objs[q]`` to rank q; returns what each rank sent here, in rank order."""
        return self.comm.alltoall(objs)

    def allgatherv(self, part, counts) -> np.ndarray:
        """Every rank's float64 ``part`` (``counts[q]`` entries from rank q), joined in
        rank order, on every rank."""
        part = np.ascontiguousarray(part, dtype=np.float64)
        counts = np.asarray(counts, dtype=np.int64)
        out = np.empty(int(counts.sum()))
        displs = np.concatenate([[0], np.cumsum(counts)[:-1]])
        self.comm.Allgatherv(part, [out, (counts, displs), self.MPI.DOUBLE])
        return out

    def alltoallv(self, send, send_counts, recv_counts) -> np.ndarray:
        """float64 rows: the first ``send_counts[0]`` rows of ``send`` (k, m) to rank 0,
        the next ``send_counts[1]`` to rank 1, ...; returns the rows received, in rank
        order (``recv_counts`` from each)."""
        send = np.ascontiguousarray(send, dtype=np.float64)
        m = int(np.prod(send.shape[1:]))
        sc = np.asarray(send_counts, dtype=np.int64) * m
        rc = np.asarray(recv_counts, dtype=np.int64) * m
        recv = np.empty((int(np.sum(recv_counts)),) + send.shape[1:])
        sd = np.concatenate([[0], np.cumsum(sc)[:-1]])
        rd = np.concatenate([[0], np.cumsum(rc)[:-1]])
        self.comm.Alltoallv([send, (sc, sd), self.MPI.DOUBLE], [recv, (rc, rd), self.MPI.DOUBLE])
        return recv

    def split(self, color: int, key: int | None = None) -> "MPIComm":
        """The group of the ranks that give the same ``color`` (ranked by ``key``,
        default: their rank here); every rank calls it."""
        return MPIComm(self.comm.Split(int(color), self.rank if key is None else int(key)))

    # -- waiting, alerts, abort ---------------------------------------------------------
    def idle_barrier(self, timeout: float | None = None) -> bool:
        """A barrier that sleeps between looks instead of spinning; False if
        ``timeout`` seconds passed before every rank arrived (the barrier is then
        still pending: call :meth:`abort`)."""
        request = self.comm.Ibarrier()
        end = None if timeout is None else time.monotonic() + timeout
        while not request.Test():
            if end is not None and time.monotonic() > end:
                return False
            time.sleep(_POLL)
        return True

    def _alert_comm(self):
        if self._alerts is None:
            self._alerts = self.comm.Dup()
        return self._alerts

    def alert(self, message: Any) -> None:
        """Send ``message`` to every other rank's watcher (returns at once)."""
        comm = self._alert_comm()
        for dest in range(self.size):
            if dest != self.rank:
                self._sent.append(comm.isend(message, dest=dest, tag=_ALERT_TAG))

    def watch(self, callback: Callable[[Any], None]) -> bool:
        """Call ``callback(message)`` from a thread for every alert that reaches this
        rank, until :meth:`unwatch`; False (nothing watched) when the MPI library
        does not allow calls from several threads."""
        if self.MPI.Query_thread() < self.MPI.THREAD_MULTIPLE:
            return False
        comm = self._alert_comm()
        self._watching = True

        def loop():
            while self._watching:
                if comm.Iprobe(source=self.MPI.ANY_SOURCE, tag=_ALERT_TAG):
                    callback(comm.recv(source=self.MPI.ANY_SOURCE, tag=_ALERT_TAG))
                else:
                    time.sleep(_POLL)

        self._watcher = threading.Thread(target=loop, name="qcsim-alerts", daemon=True)
        self._watcher.start()
        return True

    def pending_alerts(self) -> list:
        """The alerts that reached this rank and that no watcher took (from the
        main thread, when nothing is watched)."""
        comm, found = self._alert_comm(), []
        while comm.Iprobe(source=self.MPI.ANY_SOURCE, tag=_ALERT_TAG):
            found.append(comm.recv(source=self.MPI.ANY_SOURCE, tag=_ALERT_TAG))
        return found

    def unwatch(self) -> None:
        """Stop the watcher and complete the alerts this rank sent."""
        self._watching = False
        if self._watcher is not None:
            self._watcher.join()
            self._watcher = None
        if self._sent:
            self.MPI.Request.waitall(self._sent)
            self._sent = []

    def abort(self, code: int = 1) -> None:
        """End every rank of the job now (MPI_Abort), with exit code ``code``, a second
        after flushing this rank's output (the launcher forwards it meanwhile: an
        abort can drop what is still on its way)."""
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        time.sleep(1.0)
        self.comm.Abort(int(code))

    def __repr__(self) -> str:
        return f"<MPI communicator: rank {self.rank} of {self.size}>"


def world(environ=None) -> Communicator:
    """The communicator of every process of this job.

    :data:`~qcsim.parallel.SERIAL` unless an MPI launcher started this process on
    several ranks (then mpi4py is imported here, and only here); raises
    :class:`MPIUnavailable` when it did and mpi4py cannot be imported.
    """
    launch = launch_of(environ)
    if not launch.parallel:
        return SERIAL
    try:
        MPI = _mpi()
    except ImportError as exc:
        raise MPIUnavailable(
            f"started by an MPI launcher on {launch.size} ranks ({launch.variable}="
            f"{launch.size}), but mpi4py cannot be imported ({exc}); install it with "
            "pip install -e \".[mpi]\" (or build it against the cluster's MPI, "
            "docs/parallel.md)") from None
    comm = MPIComm(MPI.COMM_WORLD)
    if comm.size == 1:
        return SERIAL
    _ase_on_one_process()
    return comm


def _ase_on_one_process() -> None:
    """Keep ASE's file functions local to each rank.

    Once mpi4py is imported, ASE makes ``ase.io.write``/``read`` collective over
    MPI.COMM_WORLD (rank 0 writes, every rank must call): ranks that write
    different files at different times would write each other's files or wait
    for ever.  Every qcsim process writes its own outputs, so ASE gets its
    one-process world.
    """
    try:
        import ase.parallel
    except ImportError:
        return
    ase.parallel.world.comm = ase.parallel.DummyMPI()
