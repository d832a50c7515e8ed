"""Builders: from a configuration to a QCModel (mesh, regions, cuts, the domain).

The layer above the model: ``slab`` builds today's slab-mode models (a graded
mesh in the x-y plane, one lattice period along z); a bulk 3-D builder will sit
beside it.  The model does not import this package, so there is no cycle
between building a model and the model itself.
"""
from qcsim.build.domain import Domain  # noqa: F401
from qcsim.build.slab import SlabSetup, build_slab_model, slit_faces  # noqa: F401

__all__ = ["Domain", "SlabSetup", "build_slab_model", "slit_faces"]
