"""Cauchy-Born: kernel vs NumPy twin, derivatives vs finite differences, and the
elastic constants equal to the atomistic ones (same potential, simple lattice)."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twins.cauchy_born import eam_cauchy_born as twin

from qcsim import Calculator
from qcsim.analysis import cubic_constants
from qcsim.analysis.bulk import EV_PER_A3_IN_GPA
from qcsim.continuum.cauchy_born import CauchyBorn
from qcsim.lattice import Crystal


@pytest.fixture(scope="module")
def cu():
    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    crystal = Crystal("fcc", 3.6149, ((1, 1, -2), (1, 1, 1), (1, -1, 0)))
    return calc, crystal, CauchyBorn.of_crystal(calc.potential, crystal)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), amp=st.floats(0.0, 0.08))
def test_kernel_matches_numpy_twin(cu, seed, amp):
    _, _, cb = cu
    F = np.eye(3) + amp * np.random.default_rng(seed).uniform(-1, 1, size=(4, 3, 3))
    W, P, C = cb.evaluate(F, tangent=True)
    t = cb.potential.tables
    Wt, Pt, Ct = twin(F, cb.R_kc, t.rhor_spline[t.type2rhor[0, 0]], t.z2r_spline[t.type2z2r[0, 0]],
                      t.frho_spline[t.type2frho[0]], t.rdr, t.nr, t.rdrho, t.nrho, t.rhomax,
                      t.cut**2, cb.volume)
    assert np.allclose(W, Wt, rtol=0, atol=1e-14)
    assert np.allclose(P, Pt, rtol=0, atol=1e-14)
    assert np.allclose(C, Ct, rtol=0, atol=1e-13)


def test_stress_and_tangent_are_derivatives(cu):
    _, _, cb = cu
    F = np.eye(3) + 0.02 * np.random.default_rng(0).normal(size=(5, 3, 3))
    W, P, C = cb.evaluate(F, tangent=True)
    h = 1e-6
    for i in range(3):
        for J in range(3):
            dF = np.zeros((3, 3))
            dF[i, J] = h
            Wp, Pp, _ = cb.evaluate(F + dF)
            Wm, Pm, _ = cb.evaluate(F - dF)
            assert np.abs((Wp - Wm) / (2 * h) - P[:, i, J]).max() < 1e-9
            assert np.abs((Pp - Pm) / (2 * h) - C[:, :, :, i, J]).max() < 1e-8


def test_energy_is_the_cohesive_energy_and_rotation_invariant(cu):
    calc, crystal, cb = cu
    W, P, _ = cb.evaluate(np.eye(3)[None])
    assert abs(W[0] * crystal.atomic_volume + 3.5402) < 1e-4
    # frame indifference: W(QF) = W(F)
    F = np.eye(3) + 0.03 * np.random.default_rng(2).normal(size=(3, 3))
    th = 0.7
    Q = np.array([[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0], [0, 0, 1]])
    assert abs(cb.evaluate(F[None])[0][0] - cb.evaluate((Q @ F)[None])[0][0]) < 1e-13


def test_elastic_constants_equal_atomistic(cu):
    """Cubic frame: C from the tangent at the relaxed lattice vs the atomistic stress derivatives."""
    calc, _, _ = cu
    atomistic = cubic_constants(calc, "Cu", "fcc", guess=3.6)
    cubic = Crystal("fcc", atomistic.a0)
    cb = CauchyBorn.of_crystal(calc.potential, cubic)
    _, _, C = cb.evaluate(np.eye(3)[None], tangent=True)
    C = C[0] * EV_PER_A3_IN_GPA
    for cb_value, at_value in [(C[0, 0, 0, 0], atomistic.C11), (C[0, 0, 1, 1], atomistic.C12),
                               (C[0, 1, 0, 1], atomistic.C44)]:
        assert abs(cb_value - at_value) / at_value < 1e-3


def test_large_shear_and_rotation_match_twin(cu):
    """The kernel stops at sigma_min(F) |R| >= cutoff: check it on strongly non-uniform F."""
    _, _, cb = cu
    th = 0.9
    Q = np.array([[np.cos(th), -np.sin(th), 0], [np.sin(th), np.cos(th), 0], [0, 0, 1]])
    Fs = np.array([Q @ (np.eye(3) + np.diag([0.12, -0.1, 0.05])),
                   np.eye(3) + np.array([[0, 0.22, 0], [0, 0, 0], [0.15, 0, 0]]),
                   np.diag([0.9, 1.1, 1.0])])
    W, P, C = cb.evaluate(Fs, tangent=True)
    t = cb.potential.tables
    Wt, Pt, Ct = twin(Fs, cb.R_kc, t.rhor_spline[t.type2rhor[0, 0]], t.z2r_spline[t.type2z2r[0, 0]],
                      t.frho_spline[t.type2frho[0]], t.rdr, t.nr, t.rdrho, t.nrho, t.rhomax,
                      t.cut**2, cb.volume)
    assert np.allclose(W, Wt, rtol=0, atol=1e-14) and np.allclose(P, Pt, rtol=0, atol=1e-14)
    assert np.allclose(C, Ct, rtol=0, atol=1e-13)


def test_too_large_deformation_is_refused(cu):
    from qcsim.errors import GeometryError
    _, _, cb = cu
    with pytest.raises(GeometryError, match="too large"):
        cb.evaluate(np.diag([0.5, 1.0, 1.0])[None])


def test_a_deformation_within_round_off_of_the_identity(cu):
    """C diagonal to within 1e-268: the closed-form smallest eigenvalue underflows; the
    kernel's lower bound must still find every neighbour."""
    _, _, cb = cu
    rng = np.random.default_rng(1)
    F = np.eye(3)[None] + 1e-134 * rng.standard_normal((4, 3, 3))
    W0, P0, _ = cb.evaluate(np.eye(3)[None])
    W, P, _ = cb.evaluate(F)
    np.testing.assert_allclose(W, W0[0], rtol=0, atol=1e-14)
    np.testing.assert_allclose(P, np.broadcast_to(P0, P.shape), rtol=0, atol=1e-12)


def test_each_potential_supplies_its_own_cauchy_born_evaluator():
    """No dispatch on attributes: a new style is evaluated by its own cauchy_born, even
    if it happens to carry a ``tables`` attribute as EAM does."""
    from qcsim.potentials import make_potential

    lj = make_potential("lj/cut", epsilon=0.4093, sigma=2.338, cutoff=5.845)

    class NewStyle:
        style, cutoff, species, tables = "new", lj.cutoff, None, object()
        calls = 0

        def cauchy_born(self, F, shell, W, P, C, tangent):
            NewStyle.calls += 1
            return lj.cauchy_born(F, shell, W, P, C, tangent)

    crystal = Crystal("fcc", 3.6149, ((1, 1, -2), (1, 1, 1), (1, -1, 0)))
    F = np.eye(3)[None] + 0.01 * np.random.default_rng(3).standard_normal((5, 3, 3))
    W_new, P_new, _ = CauchyBorn.of_crystal(NewStyle(), crystal).evaluate(F)
    W_lj, P_lj, _ = CauchyBorn.of_crystal(lj, crystal).evaluate(F)
    assert NewStyle.calls == 1
    np.testing.assert_array_equal(W_new, W_lj)
    np.testing.assert_array_equal(P_new, P_lj)
