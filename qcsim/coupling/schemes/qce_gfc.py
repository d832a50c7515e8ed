"""``qce-gfc``: sharp interface plus the dead-load ghost-force correction (Shenoy et
al., J. Mech. Phys. Solids 47, 611 (1999))."""
from qcsim.coupling.schemes.base import GhostForceCorrected, register_scheme


@register_scheme
class QCEGFC(GhostForceCorrected):
    name = "qce-gfc"
    summary = "sharp, corrected"
