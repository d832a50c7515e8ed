"""Analysis: bulk and surface properties (later: crack-tip tracking, defects)."""
from qcsim.analysis.bulk import (CubicConstants, cohesive_energy, cubic_constants,  # noqa: F401
                                 elastic_constants, lattice_constant, surface_energy)
from qcsim.analysis import crack, defects  # noqa: F401
