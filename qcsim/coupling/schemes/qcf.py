"""``qcf``: force-based: the atoms (core and handshake) take the forces of the full
atomistic energy, the other nodes those of the full Cauchy-Born energy; there is no
energy, and the patch test is exact by construction."""
import numpy as np

from qcsim.coupling.schemes.base import Scheme, register_scheme


@register_scheme
class QCF(Scheme):
    name = "qcf"
    summary = "force-based"
    has_energy = False
    pad_cutoffs = 2
    patch_test_exact = True

    def weights(self, regions, mesh, atoms_i):
        # each energy in full: all atoms, all of every element
        return np.ones(len(atoms_i)), mesh.volumes_t.copy()

    def face_weights(self, beta_e):
        return 1.0

    def forces(self, model, U_nc):
        from qcsim.continuum.cauchy_born import OutOfRangeError
        from qcsim.coupling.regions import CORE, HANDSHAKE

        model.n_evals += 1
        try:
            _, Ga = model.atomistic(U_nc)
            _, Gc = model.continuum(U_nc)
            if model.evaluates_faces:
                Gc = Gc + model.faces.energy_gradient(U_nc)[1]
        except OutOfRangeError:  # an invalid trial state: NaN forces, never "converged"
            return np.full_like(U_nc, np.nan)
        atom = np.isin(model.regions.flag_n, (CORE, HANDSHAKE))
        return -np.where(atom[:, None], Ga, Gc)
