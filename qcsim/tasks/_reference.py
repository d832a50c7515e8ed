"""The reference crystal of a deck: its lattice constant is the potential's own.

Every model in qcsim is built on a perfect reference crystal that is meant to
be stress free (the continuum's reference state, the K-field's origin, the
surface energy behind K_G).  A lattice constant that is not the potential's
equilibrium value gives a plausible run with wrong physics, so:

* without ``a`` in the deck, the potential's zero-pressure lattice constant
  is computed (a fraction of a second) and used;
* a deck ``a`` that leaves the reference crystal under more than
  :data:`MAX_REFERENCE_PRESSURE`, or that is more than
  :data:`MAX_MISMATCH` away from the equilibrium value (a crystal too dilute
  to bind has no stress at all), is an error naming the key, the pressure and
  the equilibrium value, unless ``allow_strained: true``.

The values are recorded in ``deck.derived`` and written to ``results.h5``
(``/run`` attributes ``a``, ``a_equilibrium``, ``reference_pressure``).
"""
from __future__ import annotations

import logging
from dataclasses import replace

from qcsim.errors import ConvergenceError

log = logging.getLogger(__name__)

__all__ = ["resolve_lattice_constant", "MAX_REFERENCE_PRESSURE", "MAX_MISMATCH"]

MAX_REFERENCE_PRESSURE = 0.5
"""Largest pressure (GPa) of the reference crystal accepted without ``allow_strained``."""
MAX_MISMATCH = 0.02
"""Largest relative difference from the equilibrium lattice constant accepted."""


def resolve_lattice_constant(deck, ctx, section: str, lattice: str):
    """``deck`` with section ``section``'s ``a`` set and checked (see the module doc)."""
    from qcsim.analysis.bulk import equilibrium_lattice_constant, pressure
    from qcsim.calculator import Calculator

    cfg, pot = deck[section], deck["potential"]
    calc = Calculator(style=pot.style, **pot.kwargs())
    try:
        a0 = equilibrium_lattice_constant(calc, cfg.element, lattice, calc.potential.cutoff)
    except ConvergenceError as exc:
        if cfg.a is None:
            raise ctx.error(f"cannot find the potential's lattice constant ({exc}); give "
                            "it as 'a'", (section, "element")) from None
        log.warning("%s: the potential's lattice constant was not found (%s); the reference "
                    "crystal with a = %g A is not checked", ctx.file, exc, cfg.a)
        return deck.resolved(section, cfg, a=cfg.a, a_equilibrium=float("nan"),
                             reference_pressure=float("nan"))
    a = a0 if cfg.a is None else cfg.a
    near = abs(a / a0 - 1.0) <= 0.2  # farther, the pressure is meaningless or costly
    p = pressure(calc, cfg.element, lattice, a) if near else float("nan")
    if cfg.a is not None and not cfg.allow_strained:
        if not near or abs(a / a0 - 1.0) > MAX_MISMATCH or abs(p) > MAX_REFERENCE_PRESSURE:
            under = f"under a pressure of {p:.3g} GPa" if near else "far from equilibrium"
            raise ctx.error(
                f"a = {a:g} A leaves the reference {lattice} {cfg.element} crystal {under}; "
                f"this potential's equilibrium lattice constant is {a0:.6f} A (leave 'a' "
                f"out to use it, or set allow_strained: true for a deliberately strained "
                f"reference)", (section, "a"))
    return deck.resolved(section, replace(cfg, a=a), a=a, a_equilibrium=a0,
                         reference_pressure=p)
