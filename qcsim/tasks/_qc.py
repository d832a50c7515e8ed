"""What the QC tasks (patch-test, qc-relax) share: deck checks and the model build.

The checks here run at validation, so that a deck whose model cannot be built
(a core that does not fit, a crystal the potential does not cover) fails with
the deck's file, line and key before anything runs.
"""
from __future__ import annotations

import logging
import math

import numpy as np

from qcsim.deck.sections.qc import widths
from qcsim.errors import DeckError, GeometryError

__all__ = ["check_qc", "check_potential_and_crystal", "make_potential", "build_model",
           "log_model", "sites_in_core", "resolved_radius", "mesh_quality_attrs",
           "sites_represented"]

log = logging.getLogger(__name__)

# More neighbours than this within cutoff + skin means the lattice constant is
# off by a large factor (a typo, or not in angstrom).
MAX_NEIGHBOURS = 1000
# A guard against typos such as r_core: 10000 (every site in the core is an atom).
MAX_ATOMS = 2_000_000
# Disks with more sites than this are counted from their area (listing them would take GBs).
EXACT_COUNT = 5_000_000


def make_potential(potential):
    """The potential of a ``potential`` section."""
    from qcsim.potentials import make_potential as make

    return make(potential.style, **potential.kwargs())


def check_potential_and_crystal(deck, ctx, skin: float):
    """The potential covers the crystal's element and the lattice constant is the
    potential's own (computed when the deck leaves it out; see
    :mod:`qcsim.tasks._reference`) and not a neighbour density only a typo or a
    unit mistake gives; returns ``(deck, potential, slab)`` with the deck's
    lattice constant resolved."""
    from qcsim.tasks._reference import resolve_lattice_constant

    potential, crystal_cfg = deck["potential"], deck["crystal"]
    pot = make_potential(potential)
    species = potential.species if potential.species is not None else pot.species
    if species is not None and crystal_cfg.element not in species:
        raise ctx.error(f"element {crystal_cfg.element!r} is not covered by the potential "
                        f"(it has: {', '.join(species)})", ("crystal", "element"))
    deck = resolve_lattice_constant(deck, ctx, "crystal", crystal_cfg.lattice)
    crystal_cfg = deck["crystal"]
    crystal, slab = crystal_cfg.build(), crystal_cfg.slab()
    reach = pot.cutoff + skin
    neighbours = 4.0 / 3.0 * math.pi * reach ** 3 / crystal.atomic_volume
    if neighbours > MAX_NEIGHBOURS:
        raise ctx.error(f"a = {crystal_cfg.a:g} A puts about {neighbours:,.0f} atoms within "
                        f"cutoff + skin = {reach:.3g} A of each atom (expected at most "
                        f"{MAX_NEIGHBOURS}); is a in angstrom?", ("crystal", "a"))
    return deck, pot, slab


def resolved_radius(qc, scheme: str, cutoff: float, skin: float,
                    slab) -> tuple[float, float, float]:
    """(handshake, pad, radius of the fully resolved disk) as the builder makes them."""
    h, p = widths(scheme, cutoff, skin, qc.handshake, qc.pad)
    return h, p, qc.r_core + h + p + slab.row_spacing


def check_qc(deck, ctx, schemes, skin: float):
    """Cross-section checks of a QC deck for each scheme in ``schemes``; returns the
    deck with its lattice constant resolved.

    The element is covered by the potential, the lattice constant is the
    potential's, the core, handshake and pad fit inside ``r_outer``, the held
    zone lies outside the pad, and the number of atoms is within reason.
    """
    qc = deck["qc"]
    if qc.atomistic_only:
        raise ctx.error(f"r_core = {qc.r_core:g} A must be smaller than r_outer = "
                        f"{qc.r_outer:g} A (the core lies inside the domain)", ("qc", "r_core"))
    deck, pot, slab = check_potential_and_crystal(deck, ctx, skin)
    need = {s: resolved_radius(qc, s, pot.cutoff, skin, slab) for s in schemes}
    worst = max(need, key=lambda s: need[s][2])  # the scheme that needs the most room
    h, p, r_res = need[worst]
    where = f" for scheme {worst}" if len(schemes) > 1 else ""
    if r_res >= qc.r_outer:
        raise ctx.error(f"the core ({qc.r_core:g} A), handshake ({h:.2f} A), pad ({p:.2f} A) "
                        f"and one atomic row ({slab.row_spacing:.2f} A) need a radius of "
                        f"{r_res:.2f} A{where}; r_outer = {qc.r_outer:g} A must be larger",
                        ("qc", "r_outer"))
    for scheme in schemes:
        h, p, _ = need[scheme]
        if qc.fixed_width > 0 and qc.r_outer - qc.fixed_width < qc.r_core + h + p:
            raise ctx.error(f"fixed_width = {qc.fixed_width:g} A would hold atoms of the pad "
                            f"(they reach {qc.r_core + h + p:.2f} A from the centre"
                            f"{where and f' for scheme {scheme}'}; r_outer - fixed_width = "
                            f"{qc.r_outer - qc.fixed_width:.2f} A)", ("qc", "fixed_width"))
    n_atoms = math.pi * (r_res - slab.row_spacing) ** 2 / slab.area
    if n_atoms > MAX_ATOMS:
        raise ctx.error(f"the core, handshake and pad would hold about {n_atoms:,.0f} atoms, "
                        f"more than the limit of {MAX_ATOMS:,}", ("qc", "r_core"))
    return deck


def sites_in_core(slab, qc, sites, ctx, path) -> None:
    """Each (i, j) of ``sites`` must lie inside the core (a DeckError at ``path(k)``)."""
    c = np.asarray(qc.center)
    for k, s in enumerate(sites):
        r = float(np.linalg.norm(np.asarray(s, dtype=float) @ slab.b_kc - c))
        if r > qc.r_core:
            raise ctx.error(f"site {list(s)} lies {r:.2f} A from the centre, outside the "
                            f"atomistic core (r_core = {qc.r_core:g} A)", path(k))


def sites_represented(slab, center, radius: float) -> int:
    """Lattice sites (columns along z) inside the disk: counted exactly for disks of
    up to about ``EXACT_COUNT`` sites, estimated from the area beyond."""
    estimate = math.pi * radius * radius / slab.area
    if estimate > EXACT_COUNT:
        return int(round(estimate))
    return len(slab.sites_in_disk(center, radius))


def build_model(deck, potential, scheme: str, skin: float, voids=()):
    """``(model, slab)`` for the deck's crystal and qc sections with ``scheme``, its
    evaluation shared by the ranks of the run (:func:`qcsim.tasks.runner.run_comm`).

    A GeometryError of the builder (something the checks did not foresee)
    becomes a DeckError at the ``qc`` section.
    """
    from qcsim.build import build_slab_model
    from qcsim.tasks.runner import run_comm

    qc = deck["qc"]
    try:
        return build_slab_model(potential, deck["crystal"].build(),
                                qc.setup(scheme=scheme, skin=skin, voids=voids), comm=run_comm())
    except GeometryError as exc:
        raise DeckError(f"cannot build the {scheme} model: {exc}", file=deck.file,
                        line=deck.lines.line(("qc",)), key="qc") from None


def mesh_quality_attrs(mesh) -> dict:
    """Mesh quality as scalar attributes."""
    q = mesh.quality()
    return {"n_elements": q.n_elements, "min_measure": q.min_measure,
            "min_angle_deg": q.min_angle_deg, "max_aspect": q.max_aspect,
            "n_inverted": q.n_inverted}


def log_model(model, slab, qc, scheme: str) -> None:
    """One log line describing a built model."""
    from qcsim.coupling.regions import CONTINUUM, CORE, HANDSHAKE, PAD

    r = model.regions
    log.info("%s: %d nodes (%d core, %d handshake, %d pad, %d continuum), %d atoms, %d elements, "
             "%d DOFs; %d sites in the disk; mesh %s", scheme, model.mesh.n_nodes, r.count(CORE),
             r.count(HANDSHAKE), r.count(PAD), r.count(CONTINUUM), len(r.atoms),
             model.mesh.n_elements, model.n_dof,
             sites_represented(slab, qc.center, qc.r_outer), model.mesh.quality().summary())
