"""Crystals, orientations and the lattice sites of a region."""
from qcsim.lattice.crystal import PRIMITIVE, Crystal  # noqa: F401
from qcsim.lattice.slab import SlabLattice  # noqa: F401
from qcsim.lattice.bulk import BulkLattice  # noqa: F401
