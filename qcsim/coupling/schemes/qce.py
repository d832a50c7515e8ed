"""``qce``: sharp interface, uncorrected: the control that shows ghost forces."""
from qcsim.coupling.schemes.base import Scheme, register_scheme


@register_scheme
class QCE(Scheme):
    name = "qce"
    summary = "sharp, uncorrected"
