"""Embedded-atom potentials: LAMMPS styles ``eam``, ``eam/alloy`` and ``eam/fs``.

    E_i = F_a(rho_i) + 1/2 sum_j phi_ab(r_ij),   rho_i = sum_j rho_(a<-b)(r_ij)

(Daw & Baskes, Phys. Rev. B 29, 6443 (1984)), tabulated and interpolated
exactly as LAMMPS's pair_eam.cpp (see :mod:`qcsim.potentials.eam_files`).

One evaluation of the weighted energy ``sum_i w_i E_i``: density pass over the
half list -> fold densities onto sites -> embedding energies on sites ->
gather ``w_i F'_i`` to entries -> force pass (pair terms carry
``(w_i + w_j) / 2``) -> fold forces and per-site pair energies.
"""
from __future__ import annotations

import os

import numpy as np

from qcsim._kernels import eam as _kernel
from qcsim.errors import PotentialFileError
from qcsim.potentials._evaluate import Workspace, gather, prepare, virial_matrix
from qcsim.potentials.base import Evaluation, register
from qcsim.potentials.eam_files import read_fs, read_funcfl, read_setfl
from qcsim.potentials.eam_tables import EAMTables, tabulate_fs, tabulate_funcfl, tabulate_setfl

__all__ = ["EAM", "EAMAlloy", "EAMFS", "EAMBase", "pack_tables"]


def _aligned_zeros(n: int, align: int = 64) -> np.ndarray:
    """A zeroed float64 array of length n whose data starts on an ``align``-byte boundary."""
    buf = np.zeros(n + align // 8, dtype=np.float64)
    start = (-buf.ctypes.data % align) // 8
    return buf[start:start + n]


def pack_tables(t: EAMTables):
    """Pack the splines per ordered type pair for the kernels (layout in eam.pyx).

    Returns ``dens_tab``, ``force_tab``, ``frho_tab`` (flat float64 arrays).
    """
    nt, rows = t.ntypes, t.nr + 1
    dens = _aligned_zeros(nt * nt * rows * 8).reshape(nt, nt, rows, 8)
    force = _aligned_zeros(nt * nt * rows * 16).reshape(nt, nt, rows, 16)
    for a in range(nt):
        for b in range(nt):
            at_a = t.rhor_spline[t.type2rhor[b, a]]  # density at a from b
            at_b = t.rhor_spline[t.type2rhor[a, b]]  # density at b from a
            z2 = t.z2r_spline[t.type2z2r[a, b]]
            dens[a, b, :, 0:4] = at_a[:, 3:7]
            dens[a, b, :, 4:8] = at_b[:, 3:7]
            force[a, b, :, 0:3] = at_a[:, 0:3]
            force[a, b, :, 3:6] = at_b[:, 0:3]
            force[a, b, :, 6:13] = z2
    frho = np.ascontiguousarray(t.frho_spline[t.type2frho]).reshape(-1)
    return dens.reshape(-1), force.reshape(-1), frho


class EAMBase:
    """Evaluation shared by the three EAM styles.

    Attributes
    ----------
    style : LAMMPS style name.
    cutoff : interaction cutoff (A); pairs count when ``r^2 < cutoff^2``.
    species : element of each type index.
    tables : the LAMMPS tables (:class:`~qcsim.potentials.eam_tables.EAMTables`).
    masses : atomic mass of each type (g/mol).

    An object keeps work arrays between evaluations: one evaluation at a time
    per object (use one object per thread).
    """

    style = "eam"

    def __init__(self, tables: EAMTables, species: list[str], masses: list[float]):
        self.tables = tables
        self.species = list(species)
        self.masses = list(masses)
        self.cutoff = float(tables.cut)
        self._dens_tab, self._force_tab, self._frho_tab = pack_tables(tables)
        self._ws = Workspace()
        self._cb_pair = {}  # species -> spline_pair_table of its rho and z2r (Cauchy-Born)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(style={self.style!r}, species={self.species})"

    def cauchy_born(self, F_tcc, shell, W_t, P_tcc, C_tcccc, tangent: bool) -> float:
        """Cauchy-Born energy density (see :class:`qcsim.potentials.base.Potential`):
        the kernel on the same LAMMPS tables as :meth:`compute`."""
        from qcsim._kernels.cauchy_born import eam_cauchy_born, spline_pair_table

        t, a = self.tables, shell.species
        rhor, z2r = t.rhor_spline[t.type2rhor[a, a]], t.z2r_spline[t.type2z2r[a, a]]
        pair = self._cb_pair.get(a)
        if pair is None:  # rho and z2r side by side, made once per species
            pair = self._cb_pair[a] = spline_pair_table(rhor, z2r)
        return eam_cauchy_born(F_tcc, shell.R_half, shell.Rlen_half, rhor, z2r,
                               t.frho_spline[t.type2frho[a]], t.rdr, t.nr, t.rdrho, t.nrho,
                               t.rhomax, t.cut**2, shell.volume, W_t, P_tcc, C_tcccc, tangent,
                               pair)

    def compute(self, nlist, x_ic, types_i, weights_i=None, energies=True,
                virials=False, halo=None) -> Evaluation:
        """Weighted energy, forces, virial and (optionally) per-site energies and virials.

        Parameters
        ----------
        nlist : up-to-date :class:`~qcsim.neighbors.NeighborList` for ``x_ic``.
        x_ic : (n, 3) positions (A).
        types_i : (n,) type index of each site (into ``species``).
        weights_i : (n,) weights w_i, or None for all ones.
        energies : also return the unweighted per-site energies E_i.
        virials : also return the per-site virials of the weighted energy.
        halo : this rank's share of a distributed system (see
            :class:`qcsim.parallel.domain.AtomDomain`): the sites after ``halo.n_own``
            are ghosts, every listed pair is this rank's alone, and the densities
            and embedding derivatives are completed across the ranks, as LAMMPS
            does (``halo.complete(rho_i)`` adds the ghosts' partial densities to
            their owners', ``halo.share(values_i)`` gives the ghosts their owners'
            values).  The energy is then this rank's part of the whole.
        """
        if halo is not None and (energies or virials):
            raise ValueError("per-site energies and virials of a distributed system "
                             "are not computed")
        t, ws = self.tables, self._ws
        x_ic, types_i, weights_i, offsets_e, j_n = prepare(
            nlist, x_ic, types_i, weights_i, self.cutoff, t.ntypes)
        n, n_ext = len(x_ic), nlist.n_ext
        x_ec = nlist.extended_positions(x_ic, out=ws.get("x_ec", (n_ext, 3)))
        type_e = gather(nlist, types_i, ws.get("type_e", n_ext, np.int32))
        cutsq = self.cutoff * self.cutoff
        rdr = 1.0 / t.dr

        rho_e = ws.get("rho_e", n_ext, zero=True)
        if n:
            _kernel.density(x_ec, type_e, offsets_e, j_n, self._dens_tab, t.ntypes, t.nr,
                            rdr, cutsq, rho_e)
        rho_i = nlist.fold(rho_e, out=ws.get("rho_i", n))
        m = n if halo is None else halo.n_own  # the sites whose embedding is computed here
        if halo is not None:
            halo.complete(rho_i)
        F_i, Fp_i = np.empty(n), ws.get("Fp_i", n)
        F_i[m:] = 0.0  # a ghost's embedding is its owner's
        if m:
            _kernel.embed(rho_i[:m], types_i[:m], self._frho_tab, t.nrho, 1.0 / t.drho,
                          t.rhomax, F_i[:m], Fp_i[:m])
        if halo is not None:
            halo.share(Fp_i)

        weighted = weights_i is not None
        if weighted:
            Fp_i = np.multiply(Fp_i, weights_i, out=ws.get("wFp_i", n))
        wfp_e = gather(nlist, Fp_i, ws.get("wfp_e", n_ext))
        w_e = gather(nlist, weights_i, ws.get("w_e", n_ext)) if weighted else wfp_e
        f_ec = ws.get("f_ec", (n_ext, 3), zero=True)
        epair_e = ws.get("epair_e", n_ext if energies else 1, zero=True)
        virial_6 = np.zeros(6)
        virial_e6 = ws.get("virial_e6", (n_ext, 6), zero=True) if virials else None
        e_pair = 0.0
        if n:
            e_pair = _kernel.forces(x_ec, type_e, offsets_e, j_n, cutsq, wfp_e,
                                    w_e, weighted, self._force_tab, t.ntypes, t.nr, rdr,
                                    f_ec, epair_e, energies, virial_6, virial_e6)
        f_ic = nlist.fold(f_ec, out=np.empty((n, 3)))
        e_embed = float(np.dot(weights_i, F_i)) if weighted else float(F_i.sum())
        if energies:
            F_i += nlist.fold(epair_e, out=ws.get("epair_i", n))
        return Evaluation(energy=e_embed + e_pair, forces_ic=f_ic,
                          virial_cc=virial_matrix(virial_6),
                          energies_i=F_i if energies else None,
                          virial_i6=(nlist.fold(virial_e6, out=np.empty((n, 6)))
                                     if virials else None))


def _file_list(file):
    if isinstance(file, (str, os.PathLike)):
        return [os.fspath(file)]
    return [os.fspath(f) for f in file]


def _element_list(elements):
    """``"Cu Ni"`` or ``["Cu", "Ni"]`` -> ``["Cu", "Ni"]``; None stays None."""
    if elements is None:
        return None
    if isinstance(elements, str):
        return elements.split()
    return [str(e) for e in elements]


def _symbol(atomic_number: int) -> str:
    from ase.data import chemical_symbols

    if 0 < atomic_number < len(chemical_symbols):
        return chemical_symbols[atomic_number]
    return f"Z{atomic_number}"


@register("eam")
class EAM(EAMBase):
    """``pair_style eam``: one DYNAMO funcfl file per type.

    Parameters
    ----------
    file : path, or list of paths (type a uses ``file[a]``).
    elements : element name of each type; default from the files' atomic numbers.
    """

    style = "eam"

    def __init__(self, file, elements: list[str] | None = None):
        files = _file_list(file)
        elements = _element_list(elements)
        if not files:
            raise PotentialFileError("eam needs at least one funcfl file")
        if elements is not None and len(elements) != len(files):
            raise PotentialFileError(f"eam: {len(files)} funcfl file(s) for "
                                     f"{len(elements)} element(s); give one file per element",
                                     file=files[0])
        data = [read_funcfl(f) for f in files]
        species = list(elements) if elements is not None else [_symbol(d.atomic_number)
                                                                for d in data]
        super().__init__(tabulate_funcfl(data), species, [d.mass for d in data])
        self.files = files


class _SetflStyle(EAMBase):
    _reader = staticmethod(read_setfl)
    _tabulate = staticmethod(tabulate_setfl)

    def __init__(self, file, elements: list[str] | None = None):
        path = os.fspath(file)
        elements = _element_list(elements)
        data = self._reader(path, elements)
        species = list(data.elements) if elements is None else list(elements)
        if not species:
            raise PotentialFileError(f"{self.style}: no elements given", file=path)
        masses = [data.masses[data.elements.index(e)] for e in species]
        super().__init__(self._tabulate(data, species), species, masses)
        self.files = [path]


@register("eam/alloy")
class EAMAlloy(_SetflStyle):
    """``pair_style eam/alloy``: a setfl file; ``elements`` name the types (default: all)."""

    style = "eam/alloy"


@register("eam/fs")
class EAMFS(_SetflStyle):
    """``pair_style eam/fs``: a Finnis-Sinclair file; ``elements`` name the types."""

    style = "eam/fs"
    _reader = staticmethod(read_fs)
    _tabulate = staticmethod(tabulate_fs)
