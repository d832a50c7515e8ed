"""Interatomic potentials, registered under their LAMMPS style names."""
from qcsim.potentials.base import STYLES, Evaluation, Potential, make_potential, register  # noqa: F401
