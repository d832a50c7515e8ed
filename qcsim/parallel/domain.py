"""Atoms distributed over ranks: each rank holds its own atoms and their ghosts only.

A :class:`AtomDomain` is what a rank keeps of a system of atoms during a solve:
the positions, types and weights of the atoms it owns (a part of the recursive
coordinate bisection, :func:`qcsim.parallel.partition.bisect`) and copies of
the *ghosts*, the atoms of other ranks within cutoff + skin of its part.  No
rank holds an array over all atoms; the whole set exists only when the domain
is made (from the positions every rank starts with) and when
:meth:`~AtomDomain.gather` collects it to write.

One evaluation (:meth:`~AtomDomain.energy_gradient`), as LAMMPS does it with
``newton on``:

1. *forward*: every rank sends the current positions of the atoms that are
   ghosts elsewhere to the ranks that hold them (one ``Alltoallv``);
2. the unchanged kernels run on owned + ghost atoms, and every pair is counted
   on one rank only: the neighbour list leaves out the pairs of two ghosts, and
   of a pair of an owned atom and a ghost it keeps only those whose owned atom
   comes first in a fixed scrambled order of the atoms (the rank that owns the
   ghost keeps the others), which shares the pairs across a cut evenly;
3. for EAM, the ghosts' partial densities go back to their owners (reverse),
   which complete their own and compute the embedding; the embedding
   derivatives go out to the ghosts (forward); the pair forces follow;
4. *reverse*: the forces on ghosts go back to their owners, which add them to
   their own (one ``Alltoallv``); the energy is summed over the ranks.

The ghosts are found again, collectively, once any atom has moved more than
skin / 2 since they were last found (a Verlet criterion): each rank's part lies
in the box of its atoms, and every rank sends the atoms within cutoff + skin of
another rank's box, periodic images included, to that rank.  The atoms stay
with their first owner (a relaxation moves them little; a part whose atoms
spread only gets a larger box and more ghosts).
"""
from __future__ import annotations

import itertools

import numpy as np

from qcsim.neighbors import NeighborList, moved_beyond
from qcsim.parallel.dofs import RowSums
from qcsim.parallel.partition import bisect, near_other_boxes, wrapped_positions

__all__ = ["AtomDomain"]


class AtomDomain:
    """This rank's atoms of a system spread over ``comm``'s ranks.

    Parameters
    ----------
    comm : the ranks; potential : a qcsim potential (``cutoff``, ``compute``).
    x_ic, types_i : positions (n, 3) and type indices (n,) of every atom (the same
        on every rank; only this rank's part is kept).
    cell_cc, pbc_c : the cell and its periodicity.
    skin : neighbour-list skin (A); weights_i : optional energy weights (n,).

    Attributes: ``ids`` (global indices of the owned atoms, ascending) and ``x``
    (their positions, (n_own, 3)).
    """

    def __init__(self, comm, potential, x_ic, types_i, cell_cc, pbc_c, skin: float = 1.0,
                 weights_i=None):
        x = np.asarray(x_ic, dtype=float)
        self.comm, self.potential = comm, potential
        self.cell, self.pbc = np.asarray(cell_cc, float), np.asarray(pbc_c, bool)
        self.skin = float(skin)
        self.reach = potential.cutoff + self.skin
        self.n_atoms = len(x)
        owner = bisect(wrapped_positions(x, self.cell, self.pbc), np.ones(len(x)), comm.size)
        self.ids = np.nonzero(owner == comm.rank)[0]
        self.x = x[self.ids].copy()
        self.types = np.asarray(types_i, dtype=np.int32)[self.ids]
        w = np.ones(len(x)) if weights_i is None else np.asarray(weights_i, float)
        self.w = w[self.ids]
        self.n_builds = 0
        self._find_ghosts()

    # -- ghosts ----------------------------------------------------------------------
    def _find_ghosts(self) -> None:
        """Send every rank the owned atoms within reach of its box (collective)."""
        comm, n_own = self.comm, len(self.x)
        send_idx = near_other_boxes(comm, wrapped_positions(self.x, self.cell, self.pbc),
                                    self.reach, _image_shifts(self.cell, self.pbc))
        got = comm.alltoall([(self.ids[i], self.types[i], self.w[i]) for i in send_idx])
        self._send_all = np.concatenate(send_idx)
        self._back = RowSums(self._send_all)  # an atom may be a ghost of several ranks
        self._send_counts = np.array([len(i) for i in send_idx], dtype=np.int64)
        self._recv_counts = np.array([len(g[0]) for g in got], dtype=np.int64)
        self.ghost_ids = np.concatenate([g[0] for g in got]).astype(np.int64)
        self.types_local = np.concatenate([self.types] + [g[1] for g in got]).astype(np.int32)
        self.w_local = np.concatenate([self.w] + [g[2] for g in got])
        self.nlist = NeighborList(self.potential.cutoff, self.skin)
        ghost = np.concatenate([np.zeros(n_own, np.int32), np.ones(len(self.ghost_ids), np.int32)])
        self.nlist.keep_one_side(ghost, _scrambled(np.concatenate([self.ids, self.ghost_ids])))
        self.xg = self._forward()
        self._x_found = self.x.copy()
        self.n_builds += 1

    def _forward(self) -> np.ndarray:
        """The current positions of this rank's ghosts, from their owners."""
        return self.comm.alltoallv(self.x[self._send_all], self._send_counts, self._recv_counts)

    @property
    def n_ghosts(self) -> int:
        return len(self.ghost_ids)

    # -- evaluation ------------------------------------------------------------------
    def energy_gradient(self, x_own) -> tuple[float, np.ndarray]:
        """The whole system's energy and this rank's part of its gradient (n_own, 3)
        at owned positions ``x_own`` (every rank calls it together)."""
        self.x = np.ascontiguousarray(x_own, dtype=float).reshape(-1, 3)
        if self.comm.any(moved_beyond(self.x, self._x_found, 0.5 * self.skin)):
            self._find_ghosts()
        else:
            self.xg = self._forward()
        xl = np.concatenate([self.x, self.xg])
        self.nlist.update(xl, self.cell, self.pbc)
        ev = self.potential.compute(self.nlist, xl, self.types_local, self.w_local,
                                    energies=False, halo=self)
        f = ev.forces_ic[:self.n_own].copy()
        self.complete(ev.forces_ic, f)
        return self.comm.sum(float(ev.energy)), -f

    # -- the exchanges a potential asks for (the ``halo`` of its compute) --------------
    @property
    def n_own(self) -> int:
        return len(self.x)

    def complete(self, values_l, out=None) -> None:
        """Add the ghosts' rows of ``values_l`` (owned rows, then ghosts) to their
        owners' rows, in ``values_l`` or in ``out`` (reverse exchange, collective)."""
        out = values_l if out is None else out
        self._back.add(out, self.comm.alltoallv(np.ascontiguousarray(values_l[self.n_own:]),
                                                self._recv_counts, self._send_counts))

    def share(self, values_l) -> None:
        """Set the ghosts' rows of ``values_l`` to their owners' values (forward
        exchange, collective)."""
        values_l[self.n_own:] = self.comm.alltoallv(
            np.ascontiguousarray(values_l[:self.n_own][self._send_all]),
            self._send_counts, self._recv_counts)

    def gather(self, values_i=None) -> np.ndarray:
        """Per-atom rows of every rank, (n_atoms, ...), on every rank (default: the
        positions): to write, never during a solve."""
        v = self.x if values_i is None else np.asarray(values_i)
        parts = self.comm.allgather((self.ids, v))
        out = np.empty((self.n_atoms,) + v.shape[1:], dtype=v.dtype)
        for ids, rows in parts:
            out[ids] = rows
        return out




def _scrambled(ids) -> np.ndarray:
    """A fixed order of the atoms unrelated to their positions: the global index times
    an odd constant, modulo 2^64 (a bijection, so no two atoms tie)."""
    return np.asarray(ids, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)


def _image_shifts(cell, pbc) -> np.ndarray:
    """Cartesian shifts (k, 3) of the periodic images next to the cell, itself first."""
    axes = [(-1, 0, 1) if p else (0,) for p in pbc]
    n = np.array(sorted(itertools.product(*axes), key=lambda t: sum(map(abs, t))), dtype=float)
    return n @ cell
