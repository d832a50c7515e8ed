"""What a load step produces: its record, the snapshot of the state after it, and
what a writer is given."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["StepRecord", "Snapshot", "CompletedStep"]


@dataclass
class StepRecord:
    """One row of the per-step table (the load in the load's internal unit)."""

    K: float  # the load value: K in GPa*sqrt(A) for the K-field
    energy: float
    crack_tip_x: float
    n_dof: int
    n_atomistic: int
    n_represented: int
    iterations: int
    max_force: float
    wall_time: float
    converged: bool
    emitted: bool = False
    n_adapt: int = 0
    extra: dict = field(default_factory=dict)


@dataclass
class Snapshot:
    """A completed step's state (the system's ``state()``) and what a checkpoint and
    the plots need of its model."""

    state: dict
    X_nc: Any
    elements_ta: Any
    flag_n: Any
    atoms_n: Any
    n_rows: int
    n_frames: int

    @classmethod
    def of(cls, system, n_rows: int, n_frames: int) -> "Snapshot":
        """The snapshot of ``system`` now (``state()`` and its model's mesh and regions)."""
        m = system.model
        return cls(system.state(), m.mesh.X_nc.copy(), m.mesh.elements_ta, m.regions.flag_n,
                   np.asarray(m.regions.atoms), n_rows, n_frames)


@dataclass
class CompletedStep:
    """A completed load step as the writers see it: its record (a
    :class:`qcsim.driver.StepRecord`), the system after it, the trigger event
    (step index, final, converged) and its frame number (None: no frame)."""

    record: Any
    system: Any
    event: Any
    frame: int | None
    snapshot: Snapshot | None = None
    force: bool = False  # publish now whatever a writer's own pacing says (end, failure, stop)
