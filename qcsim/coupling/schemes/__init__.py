"""Coupling schemes, one file each, registered by their deck names.

A scheme decides how the atomistic and continuum energies are combined: the
weights of atoms and elements, how wide the handshake and the pad are, whether
the ghost-force correction applies, whether there is an energy at all, and
whether its patch test is exact.  The model, the builders, the deck and the
patch test ask the scheme; none of them names one.

A new scheme is one new file: a :class:`~qcsim.coupling.schemes.base.Scheme`
subclass (or instance) passed to :func:`register_scheme` at import.  Every
module of this package is imported here, so a new file in it needs no edit
elsewhere; a scheme defined outside the package (a test, a plug-in) is
registered the same way and is then a valid ``qc.scheme`` of a deck.
"""
from __future__ import annotations

import importlib
import pkgutil

from qcsim.coupling.schemes.base import (SCHEMES, GhostForceCorrected, Scheme,  # noqa: F401
                                         get_scheme, register_scheme, scheme_names)

__all__ = ["Scheme", "GhostForceCorrected", "SCHEMES", "get_scheme", "register_scheme",
           "scheme_names"]

# the built-in schemes in the order the docs and the patch test list them, then any other
_BUILT_IN = ("bgfc", "bqce", "qce_gfc", "qcf", "qce")
for _name in _BUILT_IN + tuple(sorted(m.name for m in pkgutil.iter_modules(__path__))):
    if _name != "base":
        importlib.import_module(f"{__name__}.{_name}")
