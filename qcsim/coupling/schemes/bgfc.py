"""``bgfc``: blended handshake (beta rises smoothly across it) plus the ghost-force
correction as a dead load; the default scheme."""
from qcsim.coupling.schemes.base import GhostForceCorrected, register_scheme


@register_scheme
class BGFC(GhostForceCorrected):
    name = "bgfc"
    summary = "blended, ghost-force corrected"
    blended = True
