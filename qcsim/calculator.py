"""Every qcsim potential as an ASE calculator.

>>> from qcsim import Calculator
>>> atoms.calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])

The calculator keeps its neighbour list between calls (a Verlet list with a
skin), so an optimiser's repeated calls only rebuild it when some atom has
moved more than half the skin.
"""
from __future__ import annotations

import numpy as np
from ase.calculators.calculator import Calculator as ASECalculator
from ase.calculators.calculator import all_changes

from qcsim.errors import GeometryError
from qcsim.neighbors import NeighborList
from qcsim.potentials import make_potential
from qcsim.potentials.files import resolve_potential_file

__all__ = ["Calculator"]


class Calculator(ASECalculator):
    """ASE calculator for a potential named by its LAMMPS style.

    Parameters
    ----------
    style : ``eam``, ``eam/alloy``, ``eam/fs``, ``lj/cut`` or ``morse``.
    skin : neighbour-list skin (A).
    **params : the style's parameters (``file``, ``elements``, ``epsilon``...).
        A ``file`` that does not exist as given is looked up among the
        potentials shipped with qcsim.

    Per-site weights (energy ``sum_i w_i E_i``) are read from the per-atom
    array ``atoms.arrays["weights"]`` when present; the forces are then the
    exact gradient of the weighted energy.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies"]
    nolabel = True

    def __init__(self, style: str, skin: float = 1.0, **params):
        super().__init__()
        if "file" in params:
            if isinstance(params["file"], (list, tuple)):
                params["file"] = [str(resolve_potential_file(f)) for f in params["file"]]
            else:
                params["file"] = str(resolve_potential_file(params["file"]))
        self.style = style
        self.potential = make_potential(style, **params)
        self.nlist = NeighborList(self.potential.cutoff, skin)
        self.last_evaluation = None

    def types_of(self, atoms) -> np.ndarray:
        """Type index of every atom (its element's position in ``species``)."""
        species = self.potential.species
        if species is None:
            return np.zeros(len(atoms), dtype=np.int32)
        index = {name: k for k, name in enumerate(species)}
        symbols = atoms.get_chemical_symbols()
        missing = sorted(set(symbols) - set(index))
        if missing:
            raise GeometryError(f"element(s) {', '.join(missing)} not covered by the "
                                f"{self.style} potential (it has {', '.join(species)})")
        return np.fromiter((index[s] for s in symbols), dtype=np.int32, count=len(symbols))

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        x_ic = np.ascontiguousarray(atoms.positions, dtype=np.float64)
        self.nlist.update(x_ic, atoms.cell.array, atoms.pbc)
        weights = atoms.arrays.get("weights")
        ev = self.potential.compute(self.nlist, x_ic, self.types_of(atoms), weights,
                                    energies="energies" in properties)
        self.last_evaluation = ev
        self.results["energy"] = ev.energy
        self.results["free_energy"] = ev.energy
        self.results["forces"] = ev.forces_ic
        if ev.energies_i is not None:
            self.results["energies"] = ev.energies_i
        volume = abs(atoms.cell.volume)
        if volume > 0:
            s = -ev.virial_cc / volume
            self.results["stress"] = np.array([s[0, 0], s[1, 1], s[2, 2],
                                               s[1, 2], s[0, 2], s[0, 1]])
