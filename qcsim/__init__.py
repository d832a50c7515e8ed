"""qcsim: a quasicontinuum engine with Cython kernels that match LAMMPS."""
from __future__ import annotations

__version__ = "0.1.0"

from qcsim.errors import (ConvergenceError, DeckError, GeometryError,  # noqa: F401
                          PotentialFileError, QCSimError)


def __getattr__(name):
    # Lazy so that `import qcsim` stays cheap for the CLI and never needs the
    # compiled kernels just to report a deck error.
    if name == "Calculator":
        from qcsim.calculator import Calculator
        return Calculator
    raise AttributeError(f"module 'qcsim' has no attribute {name!r}")
