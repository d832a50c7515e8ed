"""Coupling schemes, registered by their deck names.

A scheme is a handful of facts that the model reads; adding one is adding an
entry here (and, if it needs new mechanics, a method on the model).

* ``bgfc``: blended handshake (beta rises smoothly across it) plus the
  ghost-force correction as a dead load (the default).
* ``bqce``: blended, uncorrected.
* ``qce-gfc``: sharp interface plus the dead-load correction (Shenoy et al.,
  J. Mech. Phys. Solids 47, 611 (1999)).
* ``qcf``: force-based: atoms take the forces of the full atomistic energy,
  nodes those of the full Cauchy-Born energy; there is no energy.
* ``qce``: sharp interface, uncorrected: the control that shows ghost forces.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Scheme", "SCHEMES", "get_scheme"]


@dataclass(frozen=True)
class Scheme:
    name: str
    blended: bool  # beta rises across a handshake zone (else a sharp step)
    corrected: bool  # ghost-force dead-load correction
    force_based: bool  # no energy: forces from two different energies
    pad_cutoffs: int  # pad width in cutoffs (+ skin) so every needed site exists

    @property
    def has_energy(self) -> bool:
        return not self.force_based


SCHEMES = {s.name: s for s in [
    Scheme("bgfc", blended=True, corrected=True, force_based=False, pad_cutoffs=1),
    Scheme("bqce", blended=True, corrected=False, force_based=False, pad_cutoffs=1),
    Scheme("qce-gfc", blended=False, corrected=True, force_based=False, pad_cutoffs=1),
    Scheme("qcf", blended=False, corrected=False, force_based=True, pad_cutoffs=2),
    Scheme("qce", blended=False, corrected=False, force_based=False, pad_cutoffs=1),
]}


def get_scheme(name: str) -> Scheme:
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown coupling scheme {name!r}; known: {', '.join(SCHEMES)}") from None
