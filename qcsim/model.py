"""QCModel: nodal displacements -> energy and gradient (or forces): all solvers see.

Reference sites X, nodes on lattice sites, P1 interpolation.  With weights
from :mod:`qcsim.coupling.regions`, the blended energy is

    E_beta(U) = sum_i (1 - beta_i) E_i(x)  +  sum_T w_T W(F_T)

(atomistic sum over the core, handshake and pad nodes; Cauchy-Born sum over
the elements).  Corrected schemes subtract the ghost forces of a homogeneous
state U0 as a dead load, E_gfc(U) = E_beta(U) - g0 . (U - U0),
g0 = grad E_beta(U0) (Shenoy et al. 1999).  The force-based scheme qcf has no
energy: atoms take the forces of the full atomistic energy, other nodes those
of the full Cauchy-Born energy.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from qcsim._kernels.cauchy_born import gather_deformation_gradients, scatter_stresses
from qcsim.coupling.regions import PAD, VOID, Regions
from qcsim.continuum.cauchy_born import OutOfRangeError
from qcsim.coupling.schemes import Scheme, get_scheme
from qcsim.neighbors import NeighborList
from qcsim.parallel import SERIAL
from qcsim.parallel.shared import RankShare

__all__ = ["QCModel", "gradient_operator"]


def gradient_operator(mesh) -> sp.csr_matrix:
    """Sparse D with ``(D @ U.ravel()).reshape(n_el, 3, d) = F_T - I`` (first d columns)."""
    t_n, a_n, c_n, k_n = np.meshgrid(np.arange(mesh.n_elements), np.arange(mesh.dim + 1),
                                     np.arange(3), np.arange(mesh.dim), indexing="ij")
    rows = (t_n * 3 + c_n) * mesh.dim + k_n
    cols = mesh.elements_ta[t_n, a_n] * 3 + c_n
    vals = mesh.grad_tad[t_n, a_n, k_n]
    shape = (mesh.n_elements * 3 * mesh.dim, mesh.n_nodes * 3)
    return sp.csr_matrix((vals.ravel(), (rows.ravel(), cols.ravel())), shape=shape)


class QCModel(RankShare):
    """Energy and forces of a coupled atomistic/continuum model.

    Parameters
    ----------
    mesh : the mesh (nodes on lattice sites).
    regions : beta and region flags of the nodes.
    potential : the interatomic potential.
    cauchy_born : the continuum energy density (same potential).
    scheme : coupling scheme name or :class:`Scheme`.
    cell_cc, pbc_c : periodic cell of the atomistic evaluation (slab: z only).
    types_n : type index of each node's site (default 0).
    fixed_n : (n_nodes,) bool, nodes whose displacement is prescribed.
    skin : neighbour-list skin (A).
    faces_n : optional (n_nodes,) int labels of a cut: atoms labelled 1 do not
        interact with atoms labelled 2 (the two faces of a pre-crack behind its
        tip, where the mesh has a slit).  The defect-free lattice of the
        ghost-force correction has no cut.
    faces : optional :class:`qcsim.continuum.surface.FaceTerm`, the surface
        excess energy of continuum crack faces (not part of the defect-free
        lattice either).
    comm : the ranks that share the model (:class:`qcsim.parallel.shared.RankShare`
        says how it is split over them).
    """

    def __init__(self, mesh, regions: Regions, potential, cauchy_born, scheme="bgfc", *,
                 cell_cc=None, pbc_c=(False, False, False), types_n=None, fixed_n=None,
                 skin: float = 1.0, faces_n=None, faces=None, comm=SERIAL):
        self.mesh, self.regions = mesh, regions
        self.potential, self.cb = potential, cauchy_born
        self.comm = comm  # energy sums are reduced over it (qcsim.parallel)
        self.scheme: Scheme = get_scheme(scheme) if isinstance(scheme, str) else scheme
        self.cell_cc = np.zeros((3, 3)) if cell_cc is None else np.asarray(cell_cc, float)
        self.pbc_c = np.asarray(pbc_c, dtype=bool)
        n = mesh.n_nodes
        self.types_n = np.zeros(n, dtype=np.int32) if types_n is None else np.asarray(types_n, np.int32)
        self.fixed_n = np.zeros(n, dtype=bool) if fixed_n is None else np.asarray(fixed_n, bool)
        self.U_nc = np.zeros((n, 3))  # current displacements, fixed values included
        self._D = gradient_operator(mesh)
        # the atoms present, and the defect-free set (voids filled) that the
        # ghost-force correction is computed on: a correction taken with the
        # defect present would cancel the defect's own forces
        self._atoms = regions.atoms
        self._atoms_perfect = np.nonzero((regions.flag_n <= PAD) | (regions.flag_n == VOID))[0]
        self._nlist = NeighborList(potential.cutoff, skin)
        self._nlist_perfect = NeighborList(potential.cutoff, skin)
        self.faces = faces
        self.faces_n = None if faces_n is None else np.asarray(faces_n, dtype=np.int32)
        if self.faces_n is not None:
            self._nlist.exclude_between(self.faces_n[self._atoms], 1, 2)
        self._w_atoms, self._w_t = self.scheme.weights(regions, mesh, self._atoms)
        self._active_t = np.nonzero(self._w_t > 0)[0]
        self._active_cache = (None, None, None)  # see _active_elements
        self.g0_nc = np.zeros((n, 3))
        self.U0_nc = np.zeros((n, 3))
        self.n_evals = 0
        self._skin = skin
        self._owner_n = None  # the rank that owns each atom (several ranks only)
        self._halo = {}  # per atom set: the local atoms and their neighbour list
        self._own_atoms = {}  # per atom set: this rank's atoms (positions in the set)
        self._own_load = (None, None, None)  # g0, this rank's nodes, -g0 on them (see below)
        self.node_owner_n = None  # the rank that owns each node's unknowns (several ranks)
        self._own_n = None  # this rank's nodes, while it evaluates its part (see objective)
        self._exchange = (None, None)  # (local atoms, NodeExchange) of an evaluation on parts
        self._scattered = False  # U current only on the nodes this rank reads (a solve on parts)
        self._invalid = False
        if comm.size > 1:
            self._partition()

    @property
    def continuum_weights_t(self) -> np.ndarray:
        """w_T (n_elements,) (A^3): the continuum weight of each element (zero where
        the crystal is atomistic)."""
        return self._w_t

    # -- degrees of freedom ----------------------------------------------------
    @property
    def free_dofs(self) -> np.ndarray:
        """Flat indices (into U.ravel()) of the unknowns."""
        return np.nonzero(np.repeat(~self.fixed_n, 3))[0]

    @property
    def n_dof(self) -> int:
        return 3 * int(np.sum(~self.fixed_n))

    def get_dofs(self) -> np.ndarray:
        return self.U_nc.ravel()[self.free_dofs].copy()

    def set_dofs(self, u) -> None:
        flat = self.U_nc.reshape(-1)
        flat[self.free_dofs] = u
        self._scattered = False

    def homogeneous(self, F0) -> np.ndarray:
        """Nodal displacements (n_nodes, 3) of the homogeneous deformation F0."""
        F0 = np.asarray(F0, dtype=float)
        return self.mesh.X_nc @ (F0 - np.eye(3)).T

    def reset_neighbour_lists(self) -> None:
        """Forget the neighbour lists' build history (:meth:`NeighborList.reset`): the
        next evaluation builds them as a new model would, so that what follows
        depends on the displacements alone."""
        self._nlist.reset()
        self._nlist_perfect.reset()
        self._halo.clear()

    # -- physics -----------------------------------------------------------------
    def atomistic(self, U_nc, perfect: bool = False):
        """Weighted atomistic energy and its gradient (n_nodes, 3) over the atom nodes
        (``perfect``: over the defect-free lattice, voids filled)."""
        idx = self._atoms_perfect if perfect else self._atoms
        w = 1.0 - self.regions.beta_n[idx] if perfect else self._w_atoms
        if self._owner_n is not None:  # several ranks: this rank's atoms, the halo weightless
            if self._own_n is not None and not perfect:  # on parts: found before the exchange
                local, owned, nlist = self._halo[False][1:]
            else:
                local, owned, nlist = self._local_atoms(idx, U_nc, perfect)
            xl = self.mesh.X_nc[idx[local]] + U_nc[idx[local]]
            nlist.update(xl, self.cell_cc, self.pbc_c)
            ev = self.potential.compute(nlist, xl, self.types_n[idx[local]],
                                        np.where(owned, w[local], 0.0), energies=False)
            G = np.zeros_like(U_nc)
            G[idx[local]] = -ev.forces_ic
            if self._own_n is not None:
                return float(ev.energy), G
            return self._replicated(float(ev.energy), G)
        x = self.mesh.X_nc[idx] + U_nc[idx]
        nlist = self._nlist_perfect if perfect else self._nlist
        nlist.update(x, self.cell_cc, self.pbc_c)
        ev = self.potential.compute(nlist, x, self.types_n[idx], w, energies=False)
        G = np.zeros_like(U_nc)
        G[idx] = -ev.forces_ic
        return self.comm.sum(ev.energy), G

    def continuum(self, U_nc):
        """Cauchy-Born energy sum_T w_T W(F_T) and its gradient (n_nodes, 3), over the
        elements that carry continuum energy (gathered and scattered in the kernel)."""
        T_ta, grad_tad, w = self._active_elements()
        F = np.empty((len(w), 3, 3))
        gather_deformation_gradients(np.ascontiguousarray(U_nc, dtype=np.float64), T_ta,
                                     grad_tad, F)
        G = np.zeros((self.mesh.n_nodes, 3))
        if self._owner_n is not None:  # several ranks: this rank's elements
            if not self._any_continuum:  # fully atomistic: nothing to sum
                return 0.0, G
            try:
                W, P, _ = self.cb.evaluate(F)
            except OutOfRangeError:  # the others wait in the sum: a NaN tells them
                if self._own_n is not None:
                    self._invalid = True
                    return 0.0, G
                self._replicated(float("nan"), G)
                raise
            scatter_stresses(P, w, T_ta, grad_tad, G)
            if self._own_n is not None:
                return float(w @ W), G
            E, G = self._replicated(float(w @ W), G)
            if np.isnan(E):
                raise OutOfRangeError("a deformation gradient outside the Cauchy-Born range "
                                      "(an element of another rank)")
            return E, G
        W, P, _ = self.cb.evaluate(F)
        scatter_stresses(P, w, T_ta, grad_tad, G)
        return self.comm.sum(float(w @ W)), G

    def _active_elements(self):
        """Nodes (k, d + 1), shape-function gradients (k, d + 1, d) and weights (k,) of
        the elements that carry continuum energy, gathered once per active set."""
        t, w_t, data = self._active_cache
        if t is not self._active_t or w_t is not self._w_t:
            t, w_t = self._active_t, self._w_t
            data = (np.ascontiguousarray(self.mesh.elements_ta[t], dtype=np.int64),
                    self.mesh.grad_tad[t], w_t[t])
            self._active_cache = (t, w_t, data)
        return data

    def energy_gradient(self, U_nc):
        """Energy (eV) and gradient (n_nodes, 3) (eV/A) of an energy-based scheme."""
        if not self.scheme.has_energy:
            raise TypeError(f"scheme {self.scheme.name} has no energy; use forces()")
        try:
            return self.scheme.energy_gradient(self, U_nc)
        except OutOfRangeError:
            # a trial state that distorts an element beyond the Cauchy-Born shell:
            # infinite energy makes line searches step back, and a NaN gradient
            # can never pass for a converged state
            return float("inf"), np.full_like(U_nc, np.nan)

    def energy_terms(self, U_nc) -> dict:
        """The parts of the energy of an energy-based scheme at ``U_nc`` (eV).

        ``atomistic``: sum_i (1 - beta_i) E_i over the atoms; ``continuum``:
        sum_T w_T W(F_T); ``faces``: the surface excess energy of continuum crack
        faces; ``correction``: the ghost-force dead load -g0 . (U - U0) (zero for
        uncorrected schemes and models without continuum).  They add up to
        :meth:`energy_gradient`'s energy.
        """
        ea, _ = self.atomistic(U_nc)
        ec, _ = self.continuum(U_nc)
        es = self.faces.energy_gradient(U_nc)[0] if self.evaluates_faces else 0.0
        corr = self.scheme.correction_energy(self, U_nc)
        return {"atomistic": float(ea), "continuum": float(ec), "faces": float(es),
                "correction": corr}

    def blended_energy_gradient(self, U_nc, perfect: bool = False):
        """E_beta and its gradient, without the ghost-force correction."""
        self.n_evals += 1
        ea, Ga = self.atomistic(U_nc, perfect)
        ec, Gc = self.continuum(U_nc)
        if self.evaluates_faces and not perfect:
            es, Gs = self.faces.energy_gradient(U_nc)
            ec, Gc = ec + es, Gc + Gs
        Ga += Gc
        return ea + ec, Ga

    @property
    def evaluates_faces(self) -> bool:
        """This rank adds the continuum crack faces' term: always, but while the ranks
        evaluate their parts only rank 0 does."""
        return self.faces is not None and (self._own_n is None or self.comm.rank == 0)

    def forces(self, U_nc) -> np.ndarray:
        """Nodal forces (n_nodes, 3): minus the gradient, or the scheme's own forces."""
        return self.scheme.forces(self, U_nc)

    def ghost_force_load(self, U_nc):
        """The ghost-force dead load -g0 . (U - U0) and its gradient -g0 (of this rank's
        nodes while it evaluates its part)."""
        if self._own_n is None:
            return -float(np.sum(self.g0_nc * (U_nc - self.U0_nc))), -self.g0_nc
        if self._own_load[0] is not self.g0_nc:  # kept while g0 is the same
            own = np.nonzero(self._own_n)[0]
            minus_g0 = np.where(self._own_n[:, None], -self.g0_nc, 0.0)
            self._own_load = (self.g0_nc, own, minus_g0)
        _, own, minus_g0 = self._own_load
        return -float(np.sum(self.g0_nc[own] * (U_nc[own] - self.U0_nc[own]))), minus_g0

    def update_correction(self, F0=np.eye(3), U0_nc=None) -> None:
        """The scheme's ghost-force correction at the homogeneous state F0 (or the
        state U0), computed on the defect-free lattice (nothing for uncorrected
        schemes)."""
        U0 = self.homogeneous(F0) if U0_nc is None else np.asarray(U0_nc, float)
        self.scheme.update_correction(self, U0)

    # -- the solver contract --------------------------------------------------------
    def objective(self, split=None):
        """``fun(u_free) -> (energy, gradient)`` for the solvers (energy NaN for qcf);
        with ``split`` (a :class:`~qcsim.parallel.dofs.DofSplit` of the unknowns by
        :attr:`node_owner_n`), of this rank's part of the unknowns and gradient."""
        if split is not None:
            return self._objective_on_parts(split)
        free = self.free_dofs

        def fun(u):
            self.set_dofs(u)
            E, G = self.scheme.objective(self, self.U_nc)
            return E, G.ravel()[free]

        return fun

    def residual(self, U_nc=None) -> np.ndarray:
        """Largest-norm force per free node (n_free_nodes,) at U (default: current)."""
        U = self.U_nc if U_nc is None else U_nc
        f = self.forces(U)[~self.fixed_n]
        return np.linalg.norm(f, axis=1)

    def reference_stiffness(self, free_only: bool = True) -> sp.csr_matrix:
        """Linear-elastic stiffness of the whole mesh (eV/A^2).

        The Cauchy-Born tangent at the reference state, assembled with full
        weight on every element, fine ones included: the preconditioner that
        makes iteration counts independent of the mesh size.
        """
        d = self.mesh.dim
        _, _, C = self.cb.evaluate(np.eye(3)[None], tangent=True)
        C_red = C[0][:, :d, :, :d].reshape(3 * d, 3 * d)
        C_red = 0.5 * (C_red + C_red.T)
        M = sp.kron(sp.diags(self.mesh.volumes_t), sp.csr_matrix(C_red), format="csr")
        K = (self._D.T @ M @ self._D).tocsr()
        if free_only:
            free = self.free_dofs
            K = K[free][:, free]
        return K

    # -- bookkeeping -----------------------------------------------------------------
    def volume_check(self, atomic_volume: float) -> tuple[float, float]:
        """(sum_i (1 - beta_i) V_atom + sum_T w_T, total mesh volume): equal when every
        node with beta < 1 has the lumped volume of one atom."""
        beta = self.regions.beta_n[self.regions.flag_n != VOID]
        return (float(np.sum(1.0 - beta) * atomic_volume + self.regions.element_weights(self.mesh).sum()),
                float(self.mesh.volumes_t.sum()))
