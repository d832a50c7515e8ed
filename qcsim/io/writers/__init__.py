"""Writers of a load-step run: one class per output, each registered by name.

A writer (:class:`qcsim.driver.operations.Writer`) is made by its registered
factory as ``factory(outputs, trigger)`` from the run's open
:class:`~qcsim.io.writers.outputs.RunOutputs` and the trigger that selects its
steps; ``write(step)`` gets a :class:`~qcsim.driver.records.CompletedStep`.
A new output format is one new module here (or anywhere imported before the
run) with ``@register_writer("name")``; ``output.writers`` in a deck names
extra writers to run at every frame.

Registered here: ``table`` (/steps and /dislocations), ``frames`` (mesh
frames in results.h5), ``extxyz`` (atoms.extxyz), ``checkpoint``
(/checkpoint), ``xdmf`` (results.xdmf), ``plots`` (crack_tip.png,
crack_atoms.png, mesh.png).
"""
from qcsim.io.writers import atoms, checkpoint, frames, plots, table  # noqa: F401
from qcsim.io.writers.outputs import RunInfo, RunOutputs  # noqa: F401

__all__ = ["RunInfo", "RunOutputs"]
