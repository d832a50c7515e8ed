"""What a coupling scheme is, and the registry of schemes by deck name.

The defaults of :class:`Scheme` are an energy-based scheme without correction:
atom i carries the weight 1 - beta_i of its site energy, element T the weight
w_T (its volume not covered by atoms, as the regions compute it), and the
energy is E_beta = sum_i (1 - beta_i) E_i + sum_T w_T W(F_T) (+ the continuum
crack faces).  :class:`GhostForceCorrected` adds the ghost-force correction as
a dead load.  A force-based scheme overrides :meth:`Scheme.forces` and has no
energy.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Scheme", "GhostForceCorrected", "SCHEMES", "register_scheme", "get_scheme",
           "scheme_names"]


class Scheme:
    """A coupling scheme (subclass it; the class attributes are its facts).

    Attributes
    ----------
    name : the deck name (``qc.scheme``).
    summary : a few words for the deck reference ("blended, ghost-force corrected").
    blended : beta rises across a handshake zone (else a sharp step, no handshake).
    corrected : the ghost-force correction applies.
    has_energy : the forces are minus the gradient of an energy (else force-based).
    pad_cutoffs : pad width in cutoffs (plus the skin) so that every site an atom
        needs exists.
    patch_test_exact : every residual force of the patch test vanishes to round-off.
    """

    name: str = ""
    summary: str = ""
    blended: bool = False
    corrected: bool = False
    has_energy: bool = True
    pad_cutoffs: int = 1
    patch_test_exact: bool = False

    @property
    def force_based(self) -> bool:
        return not self.has_energy

    def __repr__(self) -> str:
        return f"<coupling scheme {self.name}>"

    # -- geometry -------------------------------------------------------------------
    def widths(self, cutoff: float, skin: float, handshake: float | None = None,
               pad: float | None = None) -> tuple[float, float]:
        """Handshake and pad widths (A): 2 cutoffs of handshake if blended (0
        otherwise), a pad of ``pad_cutoffs`` cutoffs plus the skin, unless given."""
        if not self.blended:
            h = 0.0
        else:
            h = 2.0 * cutoff if handshake is None else handshake
        p = self.pad_cutoffs * cutoff + skin if pad is None else pad
        return h, p

    # -- weights --------------------------------------------------------------------
    def weights(self, regions, mesh, atoms_i) -> tuple[np.ndarray, np.ndarray]:
        """(weight of each atom ``atoms_i``, weight w_T of each element) of the energy."""
        return 1.0 - regions.beta_n[atoms_i], regions.element_weights(mesh)

    def face_weights(self, beta_e) -> np.ndarray | float:
        """Weight of each continuum crack-face edge, from the mean beta of its ends."""
        return beta_e

    # -- mechanics (the model's primitives do the work) ------------------------------
    def energy_gradient(self, model, U_nc):
        """The scheme's energy and its gradient (eV, eV/A)."""
        if not self.has_energy:
            raise TypeError(f"scheme {self.name} has no energy; use forces()")
        return model.blended_energy_gradient(U_nc)

    def correction_energy(self, model, U_nc) -> float:
        """The part of :meth:`energy_gradient`'s energy that corrects ghost forces."""
        return 0.0

    def update_correction(self, model, U0_nc) -> None:
        """Recompute the correction at the state ``U0_nc`` (nothing to do here)."""

    def forces(self, model, U_nc) -> np.ndarray:
        """Nodal forces (n_nodes, 3)."""
        return -model.energy_gradient(U_nc)[1]

    def objective(self, model, U_nc):
        """What a solver minimises at U: (energy, gradient) (energy NaN without one)."""
        if not self.has_energy:
            return float("nan"), -model.forces(U_nc)
        return model.energy_gradient(U_nc)


class GhostForceCorrected(Scheme):
    """The ghost-force correction as a dead load: E = E_beta - g0 . (U - U0), with g0
    the gradient of E_beta at a homogeneous state U0 on the defect-free lattice, so
    that the homogeneous state is an exact equilibrium (the patch test)."""

    corrected = True
    patch_test_exact = True

    def energy_gradient(self, model, U_nc):
        E, G = super().energy_gradient(model, U_nc)
        dE, dG = model.ghost_force_load(U_nc)
        G += dG
        return E + dE, G

    def correction_energy(self, model, U_nc) -> float:
        return model.ghost_force_load(U_nc)[0]

    def update_correction(self, model, U0_nc) -> None:
        model.g0_nc = model.blended_energy_gradient(U0_nc, perfect=True)[1]
        model.U0_nc = U0_nc.copy()


SCHEMES: dict[str, Scheme] = {}


def register_scheme(scheme: Scheme | type) -> Scheme:
    """Make ``scheme`` (an instance, or a class to instantiate) available by its name."""
    if isinstance(scheme, type):
        scheme = scheme()
    if not scheme.name:
        raise ValueError("a coupling scheme needs a name")
    SCHEMES[scheme.name] = scheme
    return scheme


def get_scheme(name: str) -> Scheme:
    """The registered scheme called ``name`` (ValueError naming the known ones)."""
    try:
        return SCHEMES[name]
    except KeyError:
        raise ValueError(f"unknown coupling scheme {name!r}; known: {', '.join(SCHEMES)}") from None


def scheme_names() -> tuple[str, ...]:
    """The names of the registered schemes, in registration order."""
    import qcsim.coupling.schemes  # noqa: F401  (registers the built-in ones)

    return tuple(SCHEMES)
