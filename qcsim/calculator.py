"""Every qcsim potential as an ASE calculator.

>>> from qcsim import Calculator
>>> atoms.calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])

The calculator keeps its neighbour list between calls (a Verlet list with a
skin), so an optimiser's repeated calls only rebuild it when some atom has
moved more than half the skin.  A call costs what the kernels cost: the type
of every atom is looked up from its atomic number in one vectorised step and
kept while the numbers do not change, and "did the atoms change" is an exact
array comparison that stops at the first differing row (ASE's default check
is a tolerance comparison of every array, several times slower).

On several ranks (``comm``, an :class:`~qcsim.parallel.MPIComm`), every rank
holds the same ``Atoms`` and calls the calculator together; each evaluates the
atoms it owns with their halo (:class:`qcsim.parallel.atoms.AtomShare`) and the
ranks' results are summed, so every rank gets the same energy, forces and
stresses, equal to a one-process evaluation to round-off.
"""
from __future__ import annotations

import numpy as np
from ase.calculators.calculator import Calculator as ASECalculator
from ase.calculators.calculator import all_changes
from ase.data import atomic_numbers, chemical_symbols

from qcsim.errors import GeometryError
from qcsim.neighbors import NeighborList
from qcsim.parallel import SERIAL
from qcsim.potentials import make_potential
from qcsim.potentials.files import resolve_potential_file

__all__ = ["Calculator"]

# per-atom arrays whose change invalidates the results ("weights" is read by calculate)
_CHECKED_ARRAYS = ("positions", "numbers", "initial_charges", "initial_magmoms", "weights")
_VOIGT = [0, 1, 2, 5, 4, 3]  # (xx, yy, zz, xy, xz, yz) -> ASE's (xx, yy, zz, yz, xz, xy)


class Calculator(ASECalculator):
    """ASE calculator for a potential named by its LAMMPS style.

    Parameters
    ----------
    style : ``eam``, ``eam/alloy``, ``eam/fs``, ``lj/cut`` or ``morse``.
    skin : neighbour-list skin (A).
    **params : the style's parameters (``file``, ``elements``, ``epsilon``...).
        A ``file`` that does not exist as given is looked up among the
        potentials shipped with qcsim.
    comm : the ranks that share each evaluation (default: this process alone).

    Per-site weights (energy ``sum_i w_i E_i``) are read from the per-atom
    array ``atoms.arrays["weights"]`` when present; the forces are then the
    exact gradient of the weighted energy.

    Properties: ``energy``, ``free_energy``, ``forces``, ``energies`` (per
    atom, eV), ``stress`` and ``stresses`` (periodic cells; eV/A^3, Voigt
    order xx, yy, zz, yz, xz, xy).  ``stresses[i]`` is atom i's share of the
    virial (half of every pair ``r_ij (x) f_ij``, as LAMMPS's ``compute
    stress/atom``) divided by minus the cell volume, ASE's convention: they sum
    to ``stress``.  Per-atom virials cost about half a force evaluation more
    and are only computed when ``stresses`` is asked for.
    """

    implemented_properties = ["energy", "free_energy", "forces", "stress", "energies",
                              "stresses"]
    nolabel = True

    def __init__(self, style: str, skin: float = 1.0, comm=SERIAL, **params):
        super().__init__()
        if "file" in params:
            if isinstance(params["file"], (list, tuple)):
                params["file"] = [str(resolve_potential_file(f)) for f in params["file"]]
            else:
                params["file"] = str(resolve_potential_file(params["file"]))
        self.style = style
        self.potential = make_potential(style, **params)
        self.nlist = NeighborList(self.potential.cutoff, skin)
        self.comm = comm
        self.share = None
        if comm.size > 1:
            from qcsim.parallel.atoms import AtomShare

            self.share = AtomShare(comm, self.potential.cutoff, skin)
        self.last_evaluation = None
        self._type_of_z = _type_table(self.potential.species)
        self._types = (None, None)  # (atomic numbers, type indices) of the last look-up

    def types_of(self, atoms) -> np.ndarray:
        """Type index of every atom (its element's position in ``species``), (n,) int32.

        Kept while ``atoms.numbers`` stays the same (one comparison per call).
        """
        numbers = atoms.arrays["numbers"]
        if self._type_of_z is None:
            return np.zeros(len(numbers), dtype=np.int32)
        known, types_i = self._types
        if known is not None and _same(known, numbers):
            return types_i
        table = self._type_of_z
        valid = (numbers >= 0) & (numbers < len(table))
        types_i = table[np.where(valid, numbers, 0)]
        if not (valid.all() and types_i.min(initial=0) >= 0):
            species = self.potential.species
            missing = sorted({chemical_symbols[z] if 0 <= z < len(chemical_symbols) else str(z)
                              for z in np.unique(numbers[~valid | (types_i < 0)])})
            raise GeometryError(f"element(s) {', '.join(missing)} not covered by the "
                                f"{self.style} potential (it has {', '.join(species)})")
        self._types = (numbers.copy(), types_i)
        return types_i

    def check_state(self, atoms, tol=1e-15):
        """What changed since the last calculation: exact comparison, first rows first.

        Stricter than ASE's ``1e-15`` tolerance (a change below it triggers a
        new evaluation, whose results are right), and it also watches
        ``atoms.arrays["weights"]``.
        """
        old = self.atoms
        if old is None:
            return list(all_changes) + ["weights"]
        changes = []
        if not _same(old.cell.array, atoms.cell.array):
            changes.append("cell")
        if not _same(old.pbc, atoms.pbc):
            changes.append("pbc")
        for name in _CHECKED_ARRAYS:
            a, b = old.arrays.get(name), atoms.arrays.get(name)
            if (a is None) != (b is None) or (a is not None and not _same(a, b)):
                changes.append(name)
        return changes

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        atoms = self.atoms
        x_ic = np.ascontiguousarray(atoms.positions, dtype=np.float64)
        cell_cc = atoms.cell.array
        volume = abs(atoms.cell.volume)
        energies = "energies" in properties
        virials = bool("stresses" in properties and volume > 0)
        if self.share is None:
            self.nlist.update(x_ic, cell_cc, atoms.pbc)
            ev = self.potential.compute(self.nlist, x_ic, self.types_of(atoms),
                                        atoms.arrays.get("weights"), energies=energies,
                                        virials=virials)
            energy, forces, virial = ev.energy, ev.forces_ic, ev.virial_cc
            energies_i, virial_i6 = ev.energies_i, ev.virial_i6
        else:
            energy, forces, virial, energies_i, virial_i6, ev = self._shared(
                atoms, x_ic, cell_cc, energies, virials)
        self.last_evaluation = ev
        self.results["energy"] = energy
        self.results["free_energy"] = energy
        self.results["forces"] = forces
        if energies_i is not None:
            self.results["energies"] = energies_i
        if volume > 0:
            s = -virial / volume
            self.results["stress"] = np.array([s[0, 0], s[1, 1], s[2, 2],
                                               s[1, 2], s[0, 2], s[0, 1]])
            if virial_i6 is not None:
                self.results["stresses"] = virial_i6[:, _VOIGT] * (-1.0 / volume)

    def _shared(self, atoms, x_ic, cell_cc, energies: bool, virials: bool):
        """This rank's share of the evaluation, summed over the ranks: (energy, forces,
        virial, per-atom energies or None, per-atom virials or None, this rank's
        evaluation).  Each atom's energy is counted on its owner only (its halo
        copies weigh nothing), so each sum is the whole system's."""
        local, owned, nlist = self.share.local(x_ic, cell_cc, atoms.pbc)
        xl = np.ascontiguousarray(x_ic[local])
        nlist.update(xl, cell_cc, atoms.pbc)
        w = atoms.arrays.get("weights")
        w_local = np.where(owned, 1.0 if w is None else np.asarray(w, float)[local], 0.0)
        ev = self.potential.compute(nlist, xl, self.types_of(atoms)[local], w_local,
                                    energies=energies, virials=virials)
        n = len(x_ic)
        energy, forces, virial = np.array([ev.energy]), np.zeros((n, 3)), ev.virial_cc
        forces[local] = ev.forces_ic
        parts = [energy, forces, virial]
        if energies:
            parts.append(np.zeros(n))
            parts[-1][local[owned]] = ev.energies_i[owned]
        if virials:
            parts.append(np.zeros((n, 6)))
            parts[-1][local] = ev.virial_i6
        summed = self.comm.replicated_sum(np.concatenate([a.ravel() for a in parts]))
        ends = np.cumsum([a.size for a in parts])[:-1]
        parts = [b.reshape(a.shape) for a, b in zip(parts, np.split(summed, ends))]
        return (float(parts[0][0]), parts[1], parts[2], parts[3] if energies else None,
                parts[-1] if virials else None, ev)


def _type_table(species) -> np.ndarray | None:
    """Atomic number -> type index (-1: not a species of the potential); None if untyped.

    A species named twice maps to its last type, as a name -> index dict would.
    """
    if species is None:
        return None
    table = np.full(len(chemical_symbols), -1, dtype=np.int32)
    for k, name in enumerate(species):
        z = atomic_numbers.get(name)
        if z is not None:
            table[z] = k
    return table


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Exactly equal arrays; the first rows are compared alone first (an MD step
    moves every atom, so a change is usually seen there at no cost)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.ndim and len(a) > 64 and not np.array_equal(a[:16], b[:16]):
        return False
    return bool(np.array_equal(a, b))
