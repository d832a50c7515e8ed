"""Lattice-conforming meshes (data), their generation and quality."""
from qcsim.mesh.graded import Slit, graded_disk_mesh  # noqa: F401
from qcsim.mesh.mesh import Mesh, MeshQuality  # noqa: F401
