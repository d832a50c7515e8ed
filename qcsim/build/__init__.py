"""Builders: from a configuration to a QCModel (mesh, regions, cuts, the domain).

The layer above the model: ``slab`` builds the slab-mode models (a graded
mesh in the x-y plane, one lattice period along z); ``bulk`` builds 3-D
models of a ball of crystal (tetrahedra; every site a node until a graded 3-D
mesh generator comes).  The model does not import this package, so there is no cycle
between building a model and the model itself.
"""
from qcsim.build.domain import Domain  # noqa: F401
from qcsim.build.bulk import BulkSetup, build_bulk_model  # noqa: F401
from qcsim.build.slab import SlabSetup, build_slab_model, slit_faces  # noqa: F401

__all__ = ["Domain", "SlabSetup", "build_slab_model", "slit_faces", "BulkSetup",
           "build_bulk_model"]
