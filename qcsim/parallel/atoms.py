"""One rank's share of a set of atoms evaluated on several ranks.

The atoms are split over the ranks of a communicator once, by recursive
coordinate bisection of their positions (:func:`qcsim.parallel.partition.bisect`,
each atom one unit of cost).  A rank evaluates the energy of the atoms it owns
with a halo of the atoms within cutoff + skin of them, periodic images
included, which carry no energy of their own (so their neighbour list leaves
out the pairs of two halo atoms, which would add zeros); each atom's energy and its
derivatives are then computed on exactly one rank, and the sum of the ranks'
results is the whole system's (:meth:`qcsim.parallel.comm.Communicator.replicated_sum`).

The halo is found from a neighbour list of every atom at the reach cutoff +
skin (the Cython list, so triclinic cells and any periodicity work) and kept
until an atom has moved more than skin / 2 since, as a Verlet list is: a pair
within the cutoff now was within cutoff + skin then.  Finding it is the one
step that looks at every atom on every rank.
"""
from __future__ import annotations

import numpy as np

from qcsim.neighbors import NeighborList, moved_beyond
from qcsim.parallel.partition import bisect, wrapped_positions

__all__ = ["AtomShare"]

# pairs looked at per chunk while the halo is found (bounds the scratch memory)
_CHUNK = 4_000_000


class AtomShare:
    """This rank's atoms of a system evaluated on ``comm``'s ranks.

    :meth:`local` gives the indices of the local atoms (owned, then the halo in
    index order), which of them this rank owns, and a neighbour list kept for
    them.  The owners are chosen at the first call and kept while the number of
    atoms is the same.
    """

    def __init__(self, comm, cutoff: float, skin: float):
        self.comm = comm
        self.cutoff, self.skin = float(cutoff), float(skin)
        self.owner_i: np.ndarray | None = None
        self._state = None  # (positions, cell, pbc, local, owned, nlist) of the last halo

    def local(self, x_ic, cell_cc, pbc_c):
        """(local indices (k,), owned mask (k,), neighbour list) for positions ``x_ic``."""
        x = np.asarray(x_ic, dtype=float)
        cell, pbc = np.asarray(cell_cc, dtype=float), np.asarray(pbc_c, dtype=bool)
        if self.owner_i is None or len(self.owner_i) != len(x):
            self.owner_i = bisect(wrapped_positions(x, cell, pbc), np.ones(len(x)), self.comm.size)
            self._state = None
        s = self._state
        if s is not None and len(s[0]) == len(x) and np.array_equal(s[1], cell) and \
                np.array_equal(s[2], pbc) and \
                not moved_beyond(x, s[0], 0.5 * self.skin):
            return s[3:]
        mine = self.owner_i == self.comm.rank
        near = self._halo(x, cell, pbc, mine)
        local = np.nonzero(mine | near)[0]
        nlist = NeighborList(self.cutoff, self.skin)
        nlist.exclude_within((~mine[local]).astype(np.int32), 1)  # no halo-halo pairs
        self._state = (x.copy(), cell.copy(), pbc.copy(), local, mine[local], nlist)
        return self._state[3:]

    def _halo(self, x, cell, pbc, mine) -> np.ndarray:
        """Mask of the atoms not owned here within cutoff + skin of one owned here."""
        near = np.zeros(len(x), dtype=bool)
        if not mine.any() or mine.all():
            return near
        reach = NeighborList(self.cutoff + self.skin, 0.0)
        reach.build(x, cell, pbc)
        site_e, j_n, offsets = reach.owner_e, reach.j_n, reach.offsets_e
        for e0 in range(0, reach.n_ext, max(1, _CHUNK // 64)):
            e1 = min(e0 + max(1, _CHUNK // 64), reach.n_ext)
            lo, hi = offsets[e0], offsets[e1]
            if hi == lo:
                continue
            i = site_e[np.repeat(np.arange(e0, e1), np.diff(offsets[e0:e1 + 1]))]
            j = site_e[j_n[lo:hi]]
            near[j[mine[i]]] = True
            near[i[mine[j]]] = True
        near &= ~mine
        return near
