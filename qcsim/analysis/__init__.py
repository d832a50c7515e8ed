"""Analysis: bulk and surface properties, crack-tip tracking, defects, dislocations, twins."""
from qcsim.analysis.bulk import (CubicConstants, cohesive_energy, cubic_constants,  # noqa: F401
                                 elastic_constants, lattice_constant, surface_energy)
from qcsim.analysis import crack_tip, defects  # noqa: F401
