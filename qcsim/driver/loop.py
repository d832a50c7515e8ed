"""The run loop: load steps, and the writers each step's triggers select.

For every load value: the stepper's step; then, with stop signals held
(``guard.critical()``): the step's frame number (when the ``frames`` trigger
fires), every writer whose trigger fires, the caller's ``on_step``; a failed
step (not converged) ends the loop when ``stop_on_failure``; when the
``checkpoints`` trigger fires, the checkpoint writer gets the step's snapshot
and the publishers (XDMF index, plots...) run, after which the outputs are
committed to their final names.  ``last`` is the snapshot of the last
completed step, ``saved`` the last one checkpointed (None before the first).
"""
from __future__ import annotations

import contextlib
from typing import Callable

from qcsim.driver.records import CompletedStep
from qcsim.driver.triggers import Always, StepEvent, Trigger

__all__ = ["RunLoop"]


class RunLoop:
    """See the module docstring.

    ``snapshot()`` returns the system's snapshot (the state and the model a
    checkpoint needs); ``checkpointer`` is a writer of snapshots (or None);
    ``publishers`` run after each checkpoint and on a failure or a stop.
    """

    def __init__(self, stepper, outputs, writers=(), *, frames: Trigger = Always(),
                 checkpoints: Trigger = Always(), checkpointer=None, publishers=(),
                 snapshot: Callable | None = None, on_step: Callable | None = None,
                 stop_on_failure: bool = True):
        self.stepper, self.outputs = stepper, outputs
        self.writers, self.publishers = list(writers), list(publishers)
        self.frames, self.checkpoints = frames, checkpoints
        self.checkpointer, self.snapshot = checkpointer, snapshot
        self.on_step, self.stop_on_failure = on_step, stop_on_failure
        self.last = self.saved = None
        self.failed = None  # the record of the step that ended the loop unconverged

    def _completed(self, snap=None, force=False, record=None, event=None, frame=None):
        return CompletedStep(record, self.stepper.system, event, frame, snap, force)

    def checkpoint(self, snap) -> None:
        """Write the checkpoint of ``snap``."""
        if self.checkpointer is not None:
            self.checkpointer.write(self._completed(snap))
        self.saved = snap

    def publish(self, snap, force: bool = False) -> None:
        """Run the publishers on ``snap`` and commit the outputs."""
        for p in self.publishers:
            p.write(self._completed(snap, force))
        self.outputs.commit()

    def run(self, values, guard=None) -> bool:
        """Step through ``values``; True if every step converged or the loop went on
        (``stop_on_failure`` False), False if a failed step ended it (``failed``)."""
        guard = guard or _NoGuard()
        system, out = self.stepper.system, self.outputs
        self.last = self.snapshot()
        with guard.critical():
            self.checkpoint(self.last)
            self.publish(self.last, force=not values)
        for i, value in enumerate(values):
            rec = self.stepper.step(value)
            event = StepEvent(system.step_index, final=i == len(values) - 1,
                              converged=rec.converged)
            with guard.critical():
                frame = out.n_frames if self.frames(event) else None
                done = self._completed(record=rec, event=event, frame=frame)
                for w in self.writers:
                    if w.trigger(event):
                        w.write(done)
                if frame is not None:
                    out.n_frames += 1
                out.h5.flush()
                if self.on_step is not None:
                    self.on_step(rec, event)
                if not rec.converged and self.stop_on_failure:
                    if self.saved is not self.last:
                        self.checkpoint(self.last)
                    self.publish(self.snapshot(), force=True)
                    self.failed = rec
                    return False
                self.last = self.snapshot()
                if self.checkpoints(event):
                    self.checkpoint(self.last)
                    self.publish(self.last, force=event.final)
        return True

    def close(self) -> None:
        for w in (*self.writers, *self.publishers, self.checkpointer):
            if w is not None:
                w.close()


class _NoGuard:
    @contextlib.contextmanager
    def critical(self):
        yield
