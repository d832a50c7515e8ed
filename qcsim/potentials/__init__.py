"""Interatomic potentials, registered under their LAMMPS style names."""
from qcsim.potentials.base import STYLES, Evaluation, Potential, make_potential, register  # noqa: F401
from qcsim.potentials import eam  # noqa: F401,E402  (registers eam, eam/alloy, eam/fs)
from qcsim.potentials import pair  # noqa: F401,E402  (registers lj/cut, morse)
