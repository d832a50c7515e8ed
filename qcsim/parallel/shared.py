"""The part of a QC model that splits it over the ranks of a communicator.

:class:`RankShare` is a base of :class:`qcsim.model.QCModel`: with a
communicator of several ranks the model splits its atoms and the elements that
carry continuum energy over the ranks by recursive coordinate bisection of
their cost, and gives every node an owner.  Each rank evaluates its own atoms,
with the atoms of other ranks within cutoff + skin of its box as a weightless
halo, and its own elements.  Between solves the model's state is whole on
every rank, and its energy and gradient are reduced on rank 0 and broadcast
(the same bits everywhere).  In a solve (:meth:`QCModel.objective` with a
:class:`~qcsim.parallel.dofs.DofSplit`) each rank holds its own nodes'
unknowns, reads the displacements of the other nodes it needs from their
owners and sends their gradient back (:class:`~qcsim.parallel.dofs.NodeExchange`).
"""
from __future__ import annotations

import numpy as np

from qcsim.neighbors import NeighborList, moved_beyond
from qcsim.parallel.dofs import NodeExchange
from qcsim.parallel.partition import bisect, near_other_boxes

__all__ = ["RankShare"]


class RankShare:
    """What a model does on several ranks (a base of QCModel; its attributes are set
    in QCModel.__init__)."""

    #: relative cost of an atom (EAM, with its neighbours) and of an element (Cauchy-Born)
    #: in the partition: 5.4 against 0.75 microseconds per evaluation, R = 1000 A crack
    ATOM_COST, ELEMENT_COST = 1.0, 0.15

    def _partition(self) -> None:
        """Split the atoms (the defect-free set) and the elements that carry continuum
        energy over the ranks by recursive coordinate bisection of their cost, and give
        every node an owner: an atom's rank, else the lowest rank of the elements
        around it, else (a node of no atom and no such element) a bisection."""
        mesh, d, size = self.mesh, self.mesh.dim, self.comm.size
        atoms, active = self._atoms_perfect, self._active_t
        elements = mesh.elements_ta[active]
        points = np.concatenate([mesh.X_nc[atoms, :d], mesh.X_nc[elements, :d].mean(axis=1)])
        cost = np.concatenate([np.full(len(atoms), self.ATOM_COST),
                               np.full(len(active), self.ELEMENT_COST)])
        part = bisect(points, cost, size)
        self._owner_n = np.full(mesh.n_nodes, -1, dtype=np.int64)
        self._owner_n[atoms] = part[: len(atoms)]
        self._active_t = active[part[len(atoms):] == self.comm.rank]
        self._any_continuum = len(active) > 0  # on any rank
        owner = self._owner_n.copy()
        lowest = np.full(mesh.n_nodes, size, dtype=np.int64)
        np.minimum.at(lowest, elements.ravel(), np.repeat(part[len(atoms):], d + 1))
        take = (owner < 0) & (lowest < size)
        owner[take] = lowest[take]
        rest = np.nonzero(owner < 0)[0]
        owner[rest] = bisect(mesh.X_nc[rest, :d], np.ones(len(rest)), size)
        self.node_owner_n = owner

    def _local_atoms(self, idx, U_nc, perfect: bool):
        """This rank's atoms of ``idx`` and the halo, the atoms of other ranks within
        cutoff + skin of the box of its own (periodic axes left out), as (positions in
        idx of the local atoms, owned mask, neighbour list).  Found again, collectively,
        once any atom has moved more than skin / 2 since (a pair within the cutoff now
        was within cutoff + skin then): each rank reads only its own atoms' positions,
        so that an evaluation on parts needs nothing else."""
        own = self._own_atoms.get(perfect)
        if own is None:
            own = self._own_atoms[perfect] = np.nonzero(self._owner_n[idx] == self.comm.rank)[0]
        x_own = self.mesh.X_nc[idx[own]] + U_nc[idx[own]]
        state = self._halo.get(perfect)
        moved = state is None or moved_beyond(x_own, state[0], 0.5 * self._skin)
        if not self.comm.any(moved):
            return state[1:]
        axes = [k for k in range(3) if not self.pbc_c[k]]
        sent = near_other_boxes(self.comm, x_own[:, axes], self.potential.cutoff + self._skin)
        halo = self.comm.alltoall([own[i] for i in sent])
        local = np.union1d(own, np.concatenate(halo).astype(np.int64))
        owned = self._owner_n[idx[local]] == self.comm.rank
        nlist = NeighborList(self.potential.cutoff, self._skin)
        if self.faces_n is not None and not perfect:
            nlist.exclude_between(self.faces_n[idx[local]], 1, 2)
        nlist.exclude_within((~owned).astype(np.int32), 1)  # halo pairs add zeros
        self._halo[perfect] = (x_own, local, owned, nlist)
        return local, owned, nlist

    def _replicated(self, energy: float, G):
        """The sums over the ranks of the energies and gradients, the same bits on every
        rank (reduced on rank 0 and broadcast, in one message)."""
        buf = np.empty(G.size + 1)
        buf[:-1] = G.ravel()
        buf[-1] = energy
        buf = self.comm.replicated_sum(buf)
        return float(buf[-1]), buf[:-1].reshape(G.shape)

    @property
    def scattered(self) -> bool:
        """True while evaluations on parts (:meth:`objective` with a split) leave the
        displacements current only on the nodes this rank reads: its own, the halo of
        its atoms and the nodes of its elements (:attr:`local_elements`)."""
        return self._scattered

    @property
    def local_elements(self) -> np.ndarray:
        """The elements that carry continuum energy and that this rank evaluates."""
        return self._active_t

    def _objective_on_parts(self, split):
        """Each rank holds the displacements of its own nodes and reads those of the
        nodes it evaluates from their owners; the gradient on them goes back (one
        exchange each way, :class:`~qcsim.parallel.dofs.NodeExchange`).  The energy
        is summed over the ranks with a flag for an invalid state on any rank."""
        mine = self.free_dofs[split.mine]  # this rank's unknowns in U.ravel()
        own_n = self.node_owner_n == self.comm.rank

        def fun(u):
            self.U_nc.reshape(-1)[mine] = u
            self._scattered = True
            exchange = self._exchange_on_parts()
            exchange.forward(self.U_nc)
            self._own_n, self._invalid = own_n, False
            try:
                E, G = self.scheme.objective(self, self.U_nc)
            finally:
                self._own_n = None
            E, invalid = self.comm.replicated_sum(np.array([E, float(self._invalid)]))
            exchange.reverse(G)
            if invalid:  # a state outside the Cauchy-Born range on some rank
                return (float("inf") if self.scheme.has_energy else float("nan"),
                        np.full(len(u), np.nan))
            return float(E), G.reshape(-1)[mine]

        return fun

    def _exchange_on_parts(self):
        """The node exchange of an evaluation on parts, made again whenever the halo of
        this rank's atoms is found again (collective)."""
        idx = self._atoms
        local = self._local_atoms(idx, self.U_nc, False)[0]
        if self._exchange[0] is not local:
            read = [idx[local], self.mesh.elements_ta[self._active_t].ravel()]
            if self.faces is not None and self.comm.rank == 0:
                read.append(self.faces.nodes)
            read = np.concatenate(read)
            self._exchange = (local, NodeExchange(self.comm, self.node_owner_n,
                                                  read[~self.fixed_n[read]]))
        return self._exchange[1]
