"""Writer ``extxyz``: the atoms of every frame in atoms.extxyz (OVITO, ASE)."""
from __future__ import annotations

import logging

import numpy as np

from qcsim.driver.operations import Writer, register_writer
from qcsim.driver.triggers import Always
from qcsim.units import mpa_sqrt_m

__all__ = ["AtomFrames", "atoms_of"]

log = logging.getLogger(__name__)


def atoms_of(model, slab, element: str, U_nc, forces_nc):
    """The atoms present in the model (core, handshake, pad) as ``ase.Atoms``.

    Positions are reference + displacement, in the model's frame (the crack tip
    or the defect near x = y = 0); the cell encloses the atoms with 5 A to spare
    in x and y and is periodic along z with the slab period; its corner is
    ``info["Origin"]`` (OVITO reads it, so the box drawn encloses the atoms).
    Per-atom arrays: forces (the model's nodal forces), region, beta, node (mesh
    node index), energies (per-site energies of the atoms present; pad atoms
    miss their outer neighbours, so theirs are not bulk-like).
    """
    from ase import Atoms

    from qcsim.neighbors import NeighborList

    idx = model.regions.atoms
    x = model.mesh.X_nc[idx] + U_nc[idx]
    margin = 5.0
    lo = x[:, :2].min(axis=0) - margin if len(x) else np.zeros(2)
    span = np.ptp(x[:, :2], axis=0) + 2 * margin if len(x) else np.ones(2)
    cell = np.diag([span[0], span[1], slab.Lz])
    nlist = NeighborList(model.potential.cutoff, 1.0)
    nlist.update(x, model.cell_cc, model.pbc_c)
    ev = model.potential.compute(nlist, x, model.types_n[idx], None, energies=True)
    atoms = Atoms([element] * len(idx), positions=x, cell=cell, pbc=(False, False, True))
    atoms.info["Origin"] = np.array([lo[0], lo[1], 0.0])
    atoms.arrays["region"] = model.regions.flag_n[idx].astype(np.int32)
    atoms.arrays["beta"] = model.regions.beta_n[idx].astype(float)
    atoms.arrays["node"] = idx.astype(np.int32)
    return atoms, ev.energies_i, forces_nc[idx]


@register_writer("extxyz")
class AtomFrames(Writer):
    """One extxyz frame per selected step: positions, forces, per-atom energies,
    region, beta, structure and CSP (the step's own analysis), slip vectors; the
    dislocations in the frame's info line."""

    def __init__(self, outputs, trigger=Always()):
        self.outputs, self.trigger = outputs, trigger
        self.started = False

    def write(self, step) -> None:
        from qcsim.io.extxyz import write_extxyz

        rec, system = step.record, step.system
        model = system.model
        U = model.U_nc
        atoms, energies, forces = atoms_of(model, system.slab, system.crystal.element, U,
                                           model.forces(U))
        report = rec.extra.get("defect_report")
        if report is not None and np.array_equal(report.index_i, atoms.arrays["node"]):
            atoms.arrays["csp"] = report.csp_i
            atoms.arrays["structure"] = report.structure_i.astype(np.int32)
        # Two energies, named for what they are: the whole model's (= /steps/energy) and
        # the sum of the per-atom energies of the atoms written (computed on them alone).
        atoms.info.update({"frame": step.frame, "step": step.event.step,
                           "K": mpa_sqrt_m(rec.K),
                           "K_over_K_G": rec.K / self.outputs.constants["K_G"],
                           "crack_tip_x": rec.crack_tip_x,
                           "model_energy": float(rec.energy),
                           "atoms_energy": float(energies.sum()),
                           "units": "A, eV, eV/A, K in MPa*sqrt(m)"})
        for k, d in enumerate(sorted(rec.extra.get("dislocations", []),
                                     key=lambda d: -d.distance)):
            # dislocation k (0: farthest from the tip): core (A), Burgers vector, plane
            atoms.info.update({f"dislocation{k}_core": f"{d.core_xy[0]:.3f} {d.core_xy[1]:.3f}",
                               f"dislocation{k}_distance": round(float(d.distance), 3),
                               f"dislocation{k}_burgers": d.burgers,
                               f"dislocation{k}_plane": d.plane,
                               f"dislocation{k}_kind": d.kind})
        slip = rec.extra.get("slip_vectors")
        if slip is not None:  # from the step's own dislocation analysis
            atoms.arrays["slip"] = slip
        write_extxyz(self.outputs.target("atoms.extxyz"), atoms, forces=forces,
                     energies=energies, append=self.started)
        self.started = True

    def resume(self, ckpt) -> None:
        """The frames of the checkpoint's run up to its last frame."""
        import ase.io

        old = ckpt.path.parent / "atoms.extxyz"
        if not ckpt.n_frames:
            return
        if not old.is_file():
            log.warning("no atoms.extxyz next to %s: atoms.extxyz starts at this run's "
                        "first frame", ckpt.path)
            return
        frames = [a for a in ase.io.read(old, index=":")
                  if int(a.info.get("frame", ckpt.n_frames)) < ckpt.n_frames]
        if frames:
            ase.io.write(self.outputs.target("atoms.extxyz"), frames, format="extxyz")
            self.started = True
