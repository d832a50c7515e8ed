"""Writer ``checkpoint``: ``/checkpoint`` of results.h5 (qcsim.io.checkpoint), from
the step's snapshot; a restart continues from it."""
from __future__ import annotations

from qcsim.driver.operations import Writer, register_writer
from qcsim.driver.triggers import Always

__all__ = ["Checkpoints"]


@register_writer("checkpoint")
class Checkpoints(Writer):
    """Needs ``outputs.constants`` K_G (GPa*sqrt(A)) and gamma (J/m^2)."""

    def __init__(self, outputs, trigger=Always()):
        self.outputs, self.trigger = outputs, trigger

    def write(self, step) -> None:
        from qcsim.io.checkpoint import write_checkpoint

        out, snap = self.outputs, step.snapshot
        write_checkpoint(out.h5, snap.state, snap.X_nc, n_steps=snap.n_rows,
                         n_frames=snap.n_frames, K_G=out.constants["K_G"],
                         gamma=out.constants["gamma"], deck_text=out.info.deck_text)
