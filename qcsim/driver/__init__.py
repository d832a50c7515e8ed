"""The load-step driver: a run built from operations (loads, a solver policy,
analyses, adapters, writers), each writer with a trigger.

* :mod:`~qcsim.driver.triggers` -- when an operation runs (``Periodic``,
  ``Final``, ``Failed``, ``|``);
* :mod:`~qcsim.driver.operations` -- the kinds of operation and the
  registries of loads and writers;
* :mod:`~qcsim.driver.loads` -- the K-field and a homogeneous deformation;
* :mod:`~qcsim.driver.solver` -- L-BFGS with the elastic preconditioner and
  the FIRE fallback;
* :mod:`~qcsim.driver.stepper` -- one load step (load, relax, analyse, adapt);
* :mod:`~qcsim.driver.loop` -- the steps of a run and their writers.

The crack study (:mod:`qcsim.fracture`), task qc-relax and the patch test are
built from these pieces; the writers are in :mod:`qcsim.io.writers`.
"""
from qcsim.driver.loads import AffineLoad, KFieldLoad  # noqa: F401
from qcsim.driver.loop import RunLoop  # noqa: F401
from qcsim.driver.operations import (  # noqa: F401
    Adapter, Analysis, Load, Writer, get_load, get_writer, load_names, register_load,
    register_writer, writer_names)
from qcsim.driver.records import CompletedStep, Snapshot, StepRecord  # noqa: F401
from qcsim.driver.solver import RelaxPolicy  # noqa: F401
from qcsim.driver.stepper import LoadStepper  # noqa: F401
from qcsim.driver.triggers import Always, Failed, Final, Periodic, StepEvent, Trigger  # noqa: F401
