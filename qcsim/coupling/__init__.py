"""Atomistic/continuum partition and the coupling schemes."""
from qcsim.coupling.regions import (CONTINUUM, CORE, HANDSHAKE, PAD, PROFILES,  # noqa: F401
                                    Regions, disk_regions)
from qcsim.coupling.schemes import (SCHEMES, Scheme, get_scheme, register_scheme,  # noqa: F401
                                    scheme_names)
