"""Task ``relax``: build an atomistic structure and minimise its energy.

Deck sections: ``potential`` and ``structure`` (required), ``relax`` and
``output`` (optional).  Writes ``results.h5`` (``/relax`` table per
iteration, ``/final`` frame), ``final.extxyz`` and ``run.log``.  A relaxation
that stops before ``fmax`` is met still writes its results, marked
``converged = False``, and the run ends with a non-zero exit.
"""
from __future__ import annotations

import logging
import math
import time

from qcsim.tasks.base import TaskOutcome, TaskSpec, register_task

log = logging.getLogger(__name__)


# More neighbours than this within cutoff + skin means the lattice constant is
# off by a large factor (a typo, or not in angstrom).
MAX_NEIGHBOURS = 1000


def check(deck, ctx):
    """Cross-section checks: the element is covered, the lattice constant is the
    potential's (computed when left out), the density is plausible; returns the
    deck with its lattice constant resolved."""
    from qcsim.potentials import make_potential
    from qcsim.tasks._reference import resolve_lattice_constant

    potential, structure = deck["potential"], deck["structure"]
    loaded = make_potential(potential.style, **potential.kwargs())
    species = potential.species if potential.species is not None else loaded.species
    if species is not None and structure.element not in species:
        raise ctx.error(f"element {structure.element!r} is not covered by the potential "
                        f"(it has: {', '.join(species)})", ("structure", "element"))
    deck = resolve_lattice_constant(deck, ctx, "structure", structure.crystal)
    structure = deck["structure"]
    per_volume = structure.crystal_density()
    reach = loaded.cutoff + deck["relax"].skin
    neighbours = per_volume * 4.0 / 3.0 * math.pi * reach ** 3
    if neighbours > MAX_NEIGHBOURS:
        raise ctx.error(f"a = {structure.a:g} A puts about {neighbours:,.0f} atoms within "
                        f"cutoff + skin = {reach:.3g} A of each atom (expected at most "
                        f"{MAX_NEIGHBOURS}); is a in angstrom?", ("structure", "a"))
    return deck


def summary(deck) -> str:
    """One line for ``qcsim validate``."""
    structure, potential, settings = deck["structure"], deck["potential"], deck["relax"]
    n = structure.site_count_estimate()
    if structure.vacancy is True:
        n -= 1
    elif structure.vacancy:
        n -= len(structure.vacancy)
    source = getattr(potential, "file", None)
    pot = f"{potential.style} {source.name}" if source is not None else potential.style
    return (f"{n} {structure.element} atoms ({structure.deck_variant}), {pot}, "
            f"{settings.method} to fmax {settings.fmax:g} eV/A")


def make_calculator(potential, skin: float):
    """The qcsim ASE calculator for a ``potential`` section (a seam for tests), shared
    by the ranks of the run (:func:`qcsim.tasks.runner.run_comm`)."""
    from qcsim.calculator import Calculator
    from qcsim.tasks.runner import run_comm

    return Calculator(style=potential.style, skin=skin, comm=run_comm(), **potential.kwargs())


def minimise(atoms, settings, callback):
    """Run the solver named in the ``relax`` section (a seam for tests)."""
    from qcsim.solvers import relax

    return relax(atoms, method=settings.method, fmax=settings.fmax,
                 max_steps=settings.max_steps, callback=callback)


def run(deck, stage, options) -> TaskOutcome:
    """Relax the deck's structure; write results into ``stage``."""
    from qcsim.io.extxyz import write_extxyz
    from qcsim.io.results import ResultsWriter
    from qcsim.tasks._progress import relaxation_progress

    pot, settings, out = deck["potential"], deck["relax"], deck["output"]
    atoms = deck["structure"].build()
    log.info("structure: %d atoms, cell lengths %s A, pbc %s", len(atoms),
             " x ".join(f"{x:.4f}" for x in atoms.cell.lengths()), atoms.pbc.tolist())
    atoms.calc = make_calculator(pot, settings.skin)
    log.info("potential: %s %s", pot.style, getattr(pot, "file", ""))

    t0 = time.perf_counter()
    log.info("relaxing with %s to fmax = %g eV/A (at most %d iterations)", settings.method,
             settings.fmax, settings.max_steps)
    with relaxation_progress(options, "relax", settings.fmax, settings.log_every, log) as progress:
        result = minimise(atoms, settings, progress)
    seconds = time.perf_counter() - t0

    energies = atoms.get_potential_energies()
    forces = atoms.get_forces()
    energy = atoms.get_potential_energy()
    with ResultsWriter(stage.path("results.h5"), task="relax") as w:
        w.write_run(deck.text, deck.file, deck.title, pot.style, getattr(pot, "file", None),
                    derived=deck.derived)
        w.append("relax", units={"energy": "eV", "max_force": "eV/A"},
                 energy=result.energy_k, max_force=result.max_force_k)
        w.set_attrs("relax", converged=bool(result.converged), iterations=int(result.iterations),
                    n_evals=int(result.n_evals), method=settings.method, fmax=settings.fmax,
                    message=result.message, seconds=seconds)
        w.write_frame("final", atoms, energies=energies, forces=forces, energy=energy)
        w.set_attrs("final", n_atoms=len(atoms))
    if out.extxyz:
        write_extxyz(stage.path("final.extxyz"), atoms, energy=energy, forces=forces,
                     energies=energies)
    log.info("final energy %.10f eV (%.6f eV/atom), max force %.3e eV/A after %d iterations "
             "(%.2f s)", energy, energy / len(atoms), result.max_force, result.iterations, seconds)
    if not result.converged:
        return TaskOutcome(False, f"relaxation did not converge: max force "
                                  f"{result.max_force:.3e} eV/A > fmax {settings.fmax:g} after "
                                  f"{result.iterations} iterations ({result.message}); results "
                                  f"written with converged = False")
    return TaskOutcome(True, f"converged in {result.iterations} iterations, energy "
                             f"{energy:.6f} eV, max force {result.max_force:.2e} eV/A")


register_task(TaskSpec(name="relax", run=run, sections=("potential", "structure"),
                       takes_options=True, distributed=True,
                       optional=("relax", "output"), check=check, summary=summary,
                       doc="relax an atomistic structure (bulk or slab) to a force tolerance"))
