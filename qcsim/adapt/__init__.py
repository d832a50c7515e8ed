"""Adaptivity: error indicators (pure functions), marking, state transfer."""
from qcsim.adapt.indicator import curvature_indicator, recovered_gradient  # noqa: F401
from qcsim.adapt.transfer import transfer_displacements  # noqa: F401
