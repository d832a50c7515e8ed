"""extxyz snapshots (for OVITO and ASE) with per-atom energies and forces."""
from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["write_extxyz"]


def write_extxyz(path: str | Path, atoms, energy: float | None = None,
                 forces: np.ndarray | None = None, energies: np.ndarray | None = None,
                 append: bool = False) -> None:
    """Write ``atoms`` with the given results attached (a copy; ``atoms`` is untouched).

    ``append``: add it as the next frame of a multi-frame file (read all frames
    back with ``ase.io.read(path, index=":")``).

    Columns: species, pos (A), forces (eV/A), energies (eV); ``energy`` in the
    comment line.  ``ase.io.read`` gives them back as ``atoms.calc.results``.
    Scalars, texts and short numeric vectors of ``atoms.info`` (such as
    ``Origin``, the cell's corner, which OVITO reads) go on the comment line.
    """
    import ase.io
    from ase.calculators.singlepoint import SinglePointCalculator

    copy = atoms.copy()
    # Only plain values fit on the comment line (ase.build adds dicts to info).
    copy.info = {k: v for k, v in copy.info.items()
                 if isinstance(v, (str, int, float, bool, np.integer, np.floating))
                 or (isinstance(v, np.ndarray) and v.ndim == 1 and v.dtype.kind in "if")}
    results = {}
    if energy is not None:
        results["energy"] = float(energy)
    if forces is not None:
        results["forces"] = np.asarray(forces, dtype=float)
    if energies is not None:
        results["energies"] = np.asarray(energies, dtype=float)
    copy.calc = SinglePointCalculator(copy, **results)
    ase.io.write(str(path), copy, format="extxyz", append=append)
