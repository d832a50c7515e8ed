"""A pre-crack that is the same in atoms and continuum: no bonds across its
faces, and continuum faces that carry the surface excess energy."""
import numpy as np
import pytest

from qcsim import Calculator
from qcsim.analysis.bulk import EV_PER_A2_IN_MJ_PER_M2, surface_energy
from qcsim.continuum.surface import FaceTerm, SurfaceExcess, surface_excess
from qcsim.build import SlabSetup, build_slab_model
from qcsim.lattice import Crystal
from qcsim.mesh import Slit

ORIENT_111 = ((1, 1, -2), (1, 1, 1), (1, -1, 0))
ORIENT_100 = ((1, 0, 0), (0, 1, 0), (0, 0, 1))
A0 = 3.614925


@pytest.fixture(scope="module")
def calc():
    return Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])


@pytest.mark.parametrize("orient, miller", [(ORIENT_111, (1, 1, 1)), (ORIENT_100, (1, 0, 0))])
def test_excess_at_zero_stretch_is_the_relaxed_surface_energy(calc, orient, miller):
    """G(1) from the slab-lattice construction against ASE's slab of the same plane."""
    ex = surface_excess(calc.potential, Crystal("fcc", A0, orient, "Cu"))
    ref = surface_energy(calc, "Cu", "fcc", A0, miller, layers=12, fmax=1e-6)
    assert ex.gamma * EV_PER_A2_IN_MJ_PER_M2 == pytest.approx(ref, abs=0.05)
    # a stretched surface costs more per reference area: the surface stress is tensile
    assert ex.stress > 0


def test_excess_table_is_extended_linearly():
    ex = SurfaceExcess(np.linspace(0.9, 1.1, 5), [1.0, 1.1, 1.2, 1.3, 1.4])
    G, dG = ex(np.array([0.8, 1.0, 1.2]))
    np.testing.assert_allclose(G, [0.8, 1.2, 1.6], atol=1e-12)
    np.testing.assert_allclose(dG, [2.0, 2.0, 2.0], atol=1e-12)


def test_face_term_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    ex = SurfaceExcess(np.linspace(0.9, 1.1, 9), 0.08 + 0.05 * np.linspace(-0.1, 0.1, 9) ** 2
                       + 0.07 * np.linspace(-0.1, 0.1, 9))
    X = np.column_stack([np.arange(6) * 4.4, np.zeros(6), rng.uniform(0, 2.5, 6)])
    term = FaceTerm(X, np.array([[0, 1], [1, 2], [2, 3], [3, 4], [4, 5]]),
                    rng.uniform(0, 1, 5), 2.55, ex)
    U = 0.2 * rng.normal(size=X.shape)
    _, g = term.energy_gradient(U)
    h = 1e-6
    for n in range(6):
        for c in range(3):
            d = np.zeros_like(U)
            d[n, c] = h
            fd = (term.energy_gradient(U + d)[0] - term.energy_gradient(U - d)[0]) / (2 * h)
            assert fd == pytest.approx(g[n, c], abs=1e-8)


def _cracked(calc, **kw):
    crystal = Crystal("fcc", A0, ORIENT_111, "Cu")
    setup = SlabSetup(center=(0.0, -1.04), r_core=8.0, r_outer=45.0, fixed_width=8.0,
                      slit=Slit(0.0, 0), growth=1.3, **kw)
    model, _ = build_slab_model(calc.potential, crystal, setup)
    return model


def test_no_bonds_across_the_precrack_unless_asked(calc):
    for cohesion in (False, True):
        model = _cracked(calc, slit_cohesion=cohesion)
        atoms = model.regions.atoms
        X = model.mesh.X_nc[atoms]
        model.atomistic(model.U_nc)  # builds the list
        i, j, _ = model._nlist.pairs(X)
        row = model.mesh.site_nk[atoms, 1]
        behind = (X[i, 0] <= 0) & (X[j, 0] <= 0)
        across = behind & ((row[i] >= 0) != (row[j] >= 0))
        assert across.any() == cohesion


def test_cracked_model_gradient_matches_finite_differences(calc):
    model = _cracked(calc)
    assert model.faces is not None and len(model.faces.edges) > 0
    assert np.all((model.faces.w_e >= 0) & (model.faces.w_e <= 1))
    model.update_correction()
    rng = np.random.default_rng(2)
    model.U_nc[:] = 0.05 * rng.normal(size=model.U_nc.shape)
    fun = model.objective()
    u = model.get_dofs()
    _, g = fun(u)
    free_nodes = np.nonzero(~model.fixed_n)[0]
    face_nodes = np.intersect1d(np.unique(model.faces.edges), free_nodes)
    k_face = [3 * int(np.searchsorted(free_nodes, n)) + c for n in face_nodes[:6] for c in (0, 1)]
    h = 1e-5
    for k in list(rng.choice(len(u), 15, replace=False)) + k_face:
        e = np.zeros_like(u)
        e[k] = h
        fd = (fun(u + e)[0] - fun(u - e)[0]) / (2 * h)
        assert abs(fd - g[k]) < 5e-7
