"""Independent jobs (the decks of one command line) run side by side on groups of ranks.

:func:`run_jobs` splits the world into groups of ``ranks_per_group``
consecutive ranks: group ``g`` of ``G`` runs jobs ``g, g + G, g + 2G, ...``
(round robin), one after the other, on its first rank, the group's *leader*.
One job on several ranks needs the spatial domain decomposition, which is not
there yet: the other ranks of a group wait without using their core
(:meth:`~qcsim.parallel.MPIComm.idle_barrier`), and the job's communicator is
the group's (the caller decides what to run on it).

Stopping, with one rule for the whole job:

- SIGTERM (or Ctrl-C) reaches every rank (``mpiexec``/``srun`` forward it): a
  running job stops as it would alone (a crack study at its next safe point,
  with a checkpoint) and no rank starts another one;
- a job that *fails* (any result whose status is not ``ok`` or ``stopped``)
  ends the whole job, unless ``keep_going``: its rank sends an alert to every
  other rank, whose watcher thread stops the job running there at once
  (SIGTERM to its own process, so the job stops exactly as under a batch
  system's SIGTERM); if the world has not met at the final barrier
  ``abort_after`` seconds later (a rank stuck in a long computation), the
  failing rank aborts the job (MPI_Abort).  A rank that breaks inside a job
  run by all the ranks of the world together leaves the others waiting for it
  in a collective operation, where no signal reaches them: it aborts the job
  after ``STUCK_AFTER`` seconds instead.

Every rank returns the exit code of the whole job; rank 0 also gets every
job's :class:`JobResult`, in job order.
"""
from __future__ import annotations

import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Sequence

from qcsim.parallel.comm import Communicator

__all__ = ["JobResult", "JobState", "run_jobs", "job_exit_code"]

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
#: seconds a rank that broke inside a simulation run by the whole world waits for the
#: others before it aborts the job (they cannot stop: they wait for it in a collective)
STUCK_AFTER = 3.0


@dataclass
class JobResult:
    """How one job ended: ``code`` is its exit code (None: not started), ``status``
    one of ``ok``, ``done earlier`` (nothing left to do), ``stopped`` (a signal, or
    another job's failure), ``not started``, or a failure (``not converged``,
    ``failed``, ...)."""

    index: int
    code: int | None
    status: str
    message: str
    wall: float = 0.0
    rank: int = 0  # the world rank that ran it
    group: int = 0
    info: dict = field(default_factory=dict)  # what the caller adds (the task, ...)

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "done earlier", "stopped", "not started")


class JobState:
    """What the ranks of the job know about stopping; written from signal handlers
    and the alert watcher, read between jobs."""

    def __init__(self):
        self.signum: int | None = None  # a stop signal this rank received
        self.failure: tuple[int, int, str] | None = None  # (rank, job index, message)
        self.busy = False  # a job runs on this rank now
        self._lock = threading.Lock()

    @property
    def stopping(self) -> bool:
        return self.signum is not None or self.failure is not None

    def reason(self, names: Sequence[str]) -> str:
        if self.failure is not None:
            rank, index, _ = self.failure
            return f"job ended because {names[index]} failed on rank {rank}"
        return ("interrupted (Ctrl-C)" if self.signum == signal.SIGINT else
                "terminated by SIGTERM")

    def on_signal(self, signum, frame) -> None:
        if self.signum is None:
            self.signum = signum

    def on_alert(self, message) -> None:
        """Another rank failed: stop the job running here (from the watcher thread)."""
        with self._lock:
            first = self.failure is None
            if first:
                self.failure = tuple(message)
            busy = self.busy
        if first and busy:
            os.kill(os.getpid(), signal.SIGTERM)


def job_exit_code(results: Sequence[JobResult], state_failure=None, signum=None) -> int:
    """The exit code of a job of ``results``: the code of the job that failed first
    (the one that ended the job when known), else 128 + the stop signal when a job
    was stopped or not started, else 0."""
    if state_failure is not None:
        _, index, _ = state_failure
        for r in results:
            if r.index == index and r.failed:
                return int(r.code or 1)
    failed = [r for r in results if r.failed]
    if failed:
        return int(failed[0].code or 1)
    stopped = [r for r in results if r.status in ("stopped", "not started")]
    if stopped:
        codes = [r.code for r in stopped if r.code in (130, 143)]
        if codes:
            return codes[0]
        return 130 if signum == signal.SIGINT else 143
    return 0


def run_jobs(world: Communicator, names: Sequence[str], ranks_per_group: int,
             run_job: Callable[[int, Communicator, Callable[[], bool]], JobResult], *,
             keep_going: bool = False,
             abort_after: float = 60.0,
             on_failure: Callable[[JobResult], None] | None = None,
             shared: Callable[[int], bool] | None = None
             ) -> tuple[list[JobResult] | None, int]:
    """Run ``run_job(index, group_comm, stopping)`` for every job ``names[index]``;
    see the module docstring.  A stop signal or an alert that arrives while a job
    runs but before it has put its own signal handlers in place is only recorded:
    the job asks ``stopping()`` once its handlers are in place, and stops if true.
    ``on_failure(result)`` is called on the failing rank as soon as a job fails
    (to print its one line).  ``shared(index)``: the job runs on every rank of its
    group together (one simulation over the group), not on the leader alone; the
    leader's result is the job's.  Returns (the results on world rank 0,
    None elsewhere; the exit code of the whole job, on every rank)."""
    size, rank = world.size, world.rank
    if ranks_per_group < 1 or size % ranks_per_group:
        raise ValueError(f"{size} ranks do not split into groups of {ranks_per_group}")
    n_groups = size // ranks_per_group
    color = rank // ranks_per_group
    group = world.split(color)
    state = JobState()
    watching = size > 1 and world.watch(state.on_alert)
    old = {}
    for signum in STOP_SIGNALS:
        try:
            old[signum] = signal.signal(signum, state.on_signal)
        except ValueError:  # not the main thread
            break
    mine: list[JobResult] = []
    stuck = False  # this rank broke in a job the whole world runs: the others wait for it
    try:
        for index in range(color, len(names), n_groups):
            together = group.size > 1 and shared is not None and shared(index)
            if group.rank != 0 and not together:
                continue
            if size > 1 and not watching:
                for message in world.pending_alerts():
                    state.on_alert(message)
            stopping = group.any(state.stopping) if together else state.stopping
            if stopping:
                if group.rank == 0:
                    mine.append(JobResult(index, None, "not started",
                                          f"not started: {state.reason(names)}",
                                          rank=rank, group=color))
                continue
            start = time.monotonic()
            state.busy = True
            try:
                result = run_job(index, group, lambda: state.stopping)
            finally:
                with state._lock:
                    state.busy = False
            result.wall, result.rank, result.group = time.monotonic() - start, rank, color
            if result.status == "stopped":
                if state.failure is not None:
                    result.message = f"{state.reason(names)}: {result.message}"
                elif state.signum is None:
                    state.signum = signal.SIGINT if result.code == 130 else signal.SIGTERM
            # in a job run together the leader speaks for the group; another rank only
            # if its own run broke (the leader may be waiting for it in a collective)
            speaks = group.rank == 0 or result.message.startswith("internal error")
            if result.status == "stopped":
                pass
            elif speaks and result.failed and not keep_going and state.failure is None:
                state.failure = (rank, index, result.message)
                stuck = together and n_groups == 1 and result.message.startswith("internal error")
                if size > 1:
                    world.alert(state.failure)
            if speaks and result.failed and on_failure is not None:
                on_failure(result)
            if group.rank == 0:
                mine.append(result)
        # every rank meets here; the rank whose job failed waits abort_after at most
        i_failed = state.failure is not None and state.failure[0] == rank
        wait = (min(abort_after, STUCK_AFTER) if stuck else abort_after) if i_failed else None
        if size > 1 and not world.idle_barrier(wait):
            print(f"qcsim: error: rank {rank}: the other ranks did not stop within "
                  f"{wait:g} s of the failure; aborting the job", file=sys.stderr,
                  flush=True)
            world.abort(job_exit_code(mine, state.failure) or 1)
    finally:
        for signum, handler in old.items():
            signal.signal(signum, handler)
        if size > 1:
            world.unwatch()
    if size > 1:
        for message in world.pending_alerts():  # a failure no watcher took
            state.on_alert(message)
    gathered = world.gather((mine, state.failure, state.signum))
    code = 0
    results = None
    if rank == 0:
        results = sorted((r for part, _, _ in gathered for r in part), key=lambda r: r.index)
        # a failure as the rank that failed saw it (the others heard of it by an alert)
        failures = [f for i, (_, f, _) in enumerate(gathered) if f is not None and f[0] == i]
        first = min(failures, key=lambda f: f[1]) if failures else None
        signums = [s for _, _, s in gathered if s is not None]
        code = job_exit_code(results, first, signums[0] if signums else None)
    code = world.bcast(code)
    return results, code

