"""``bqce``: blended handshake, uncorrected (the blended energy itself)."""
from qcsim.coupling.schemes.base import Scheme, register_scheme


@register_scheme
class BQCE(Scheme):
    name = "bqce"
    summary = "blended"
    blended = True
