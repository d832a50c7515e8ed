"""Geometry that does not assume a dimension: regions as shapes, the pre-crack as a cut.

* :mod:`~qcsim.geometry.shapes` -- predicates on points in d dimensions with a
  distance: :class:`Ball` (a disk in 2-D), :class:`Box`, :class:`HalfSpace`,
  :class:`Union`; the atomistic region of a model is the set of sites within
  a shape, the handshake and pad are bands of its distance;
* :mod:`~qcsim.geometry.cuts` -- :class:`Slit`, a planar cut between two
  lattice planes from the boundary to a tip: which side of it a site lies on,
  which elements would bridge it, which sites are its faces;
* :mod:`~qcsim.geometry.sites` -- integer site coordinates of any dimension
  (keys for set operations and lookups).
"""
from qcsim.geometry.cuts import Slit  # noqa: F401
from qcsim.geometry.shapes import Ball, Box, HalfSpace, Shape, Union, balls  # noqa: F401
from qcsim.geometry.sites import site_index, site_keys, unique_sites  # noqa: F401

__all__ = ["Shape", "Ball", "Box", "HalfSpace", "Union", "balls", "Slit", "site_keys",
           "unique_sites", "site_index"]
