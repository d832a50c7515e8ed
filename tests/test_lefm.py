"""Anisotropic LEFM: Stroh fields, energy release rate, Griffith loads, units.

Reference numbers from docs VALIDATION.md (Cu_mishin1: C11/C12/C44 =
169.88/122.59/76.21 GPa, gamma(111) = 1.2395 J/m^2, gamma(100) = 1.3453 J/m^2).
"""
import numpy as np
import pytest

from qcsim.lattice import Crystal
from qcsim.loading import (
    ElasticityError,
    StrohCrack,
    convert_stress_intensity,
    convert_surface_energy,
    cubic_stiffness,
    energy_release_rate,
    griffith_K,
    griffith_ratio,
    isotropic_displacement,
    isotropic_energy_release_rate,
    isotropic_griffith_K,
    isotropic_stiffness,
    modes_decouple,
    rotate_stiffness,
    sih_paris_irwin_displacement,
    sih_paris_irwin_energy_release_rate,
    sih_paris_irwin_griffith_K,
    tensor_to_voigt,
    voigt_to_tensor,
)

CU = (169.88, 122.59, 76.21)
GAMMA_111 = convert_surface_energy(1.2395, "J/m^2")  # GPa*A
GAMMA_100 = convert_surface_energy(1.3453, "J/m^2")
# right-handed (propagation x, plane normal y, front z)
AXES_111_M110 = ((1, 1, -2), (1, 1, 1), (1, -1, 0))   # (111)[-110]: no I/III coupling
AXES_100_010 = ((0, 0, 1), (1, 0, 0), (0, 1, 0))      # (100)[010]: cube frame, orthotropic
AXES_111_11M2 = ((-1, 1, 0), (1, 1, 1), (1, 1, -2))   # (111)[11-2]: modes I and III couple


def cu_crack(axes):
    return StrohCrack(cubic_stiffness(*CU), axes)


def triclinic_stiffness(seed=3):
    rng = np.random.default_rng(seed)
    M = rng.normal(size=(6, 6))
    mandel = M @ M.T + 6.0 * np.eye(6)
    w = np.array([1, 1, 1, np.sqrt(2), np.sqrt(2), np.sqrt(2)])
    return 50.0 * mandel / np.outer(w, w)


def ring(radius, n, eps=0.0):
    theta = np.linspace(-np.pi + eps, np.pi - eps, n)
    return radius * np.c_[np.cos(theta), np.sin(theta)], theta


# ---- elastic tensors ------------------------------------------------------------------

def test_voigt_round_trip_and_symmetries():
    C_IJ = tensor_to_voigt(voigt_to_tensor(triclinic_stiffness()))
    assert np.array_equal(C_IJ, triclinic_stiffness())
    C = voigt_to_tensor(C_IJ)
    for perm in ((1, 0, 2, 3), (0, 1, 3, 2), (2, 3, 0, 1)):
        assert np.array_equal(C, C.transpose(perm))


def test_rotation_matches_closed_form_for_cubic():
    C11, C12, C44 = CU
    R = np.array(AXES_111_11M2, float)
    R /= np.linalg.norm(R, axis=1)[:, None]
    d = np.eye(3)
    expected = (C12 * np.einsum("ij,kl->ijkl", d, d)
                + C44 * (np.einsum("ik,jl->ijkl", d, d) + np.einsum("il,jk->ijkl", d, d))
                + (C11 - C12 - 2 * C44) * np.einsum("im,jm,km,lm->ijkl", R, R, R, R))
    assert np.allclose(rotate_stiffness(cubic_stiffness(*CU), AXES_111_11M2), expected, atol=1e-10)
    # qcsim's Crystal gives the same frame
    crystal = Crystal("fcc", 3.6149, orient=AXES_111_11M2)
    from_crystal = StrohCrack(cubic_stiffness(*CU), crystal.rotation)
    assert np.allclose(from_crystal.L, cu_crack(AXES_111_11M2).L)


def test_rotated_stiffness_matches_atomistic_lab_frame():
    # the engine's frame convention: Cu_mishin1 elastic constants computed by
    # qcsim's own EAM in a periodic cell of Crystal(orient=...) equal the rotated
    # cubic tensor, including the sign of C16 = C_xxxy (+24.78 GPa here)
    from ase import Atoms

    from qcsim import Calculator
    from qcsim.analysis.bulk import elastic_constants

    crystal = Crystal("fcc", 3.6149, orient=AXES_111_M110)
    cell = crystal.to_lab(np.array(AXES_111_M110, float))
    sites = np.vstack([np.zeros(3), crystal.lattice_vectors(12.0)])
    frac = np.linalg.solve(cell.T, sites.T).T
    inside = np.all((frac > -1e-8) & (frac < 1 - 1e-8), axis=1)
    atoms = Atoms(f"Cu{inside.sum()}", positions=sites[inside], cell=cell, pbc=True)
    calc = Calculator(style="eam/alloy", file="Cu_mishin1.eam.alloy", elements=["Cu"])
    C_atomistic = elastic_constants(atoms, calc)
    C_IJ = tensor_to_voigt(rotate_stiffness(cubic_stiffness(*CU), crystal.rotation))
    assert C_IJ[0, 5] == pytest.approx(24.78, abs=0.01)
    assert np.allclose(C_atomistic, C_IJ, atol=0.5)


def test_bad_inputs_raise():
    with pytest.raises(ElasticityError):
        StrohCrack(cubic_stiffness(100.0, 120.0, 50.0))  # C11 < C12: unstable
    with pytest.raises(ElasticityError):
        StrohCrack(cubic_stiffness(*CU), ((1, 1, -2), (1, 1, 1), (-1, 1, 0)))  # left-handed
    with pytest.raises(ElasticityError):
        StrohCrack(cubic_stiffness(*CU), ((1, 0, 0), (1, 1, 0), (0, 0, 1)))
    with pytest.raises(ElasticityError):
        StrohCrack(np.ones((3, 3)))


# ---- Stroh matrices -------------------------------------------------------------------

@pytest.mark.parametrize("axes", [AXES_111_M110, AXES_111_11M2, None])
def test_eigenvectors_normalisation_and_barnett_lothe_identities(axes):
    crack = cu_crack(axes) if axes else StrohCrack(triclinic_stiffness())
    p, A, B = crack.eigenvectors()
    assert np.all(p.imag > 0)
    assert np.allclose(A.T @ B + B.T @ A, np.eye(3), atol=1e-12)
    assert np.allclose(-2j * B @ B.T, crack.L, rtol=1e-10)
    assert np.allclose(1j * (2 * A @ B.T - np.eye(3)), crack.S, atol=1e-10)
    assert np.allclose(2j * A @ A.T, crack.H, rtol=1e-10)
    assert np.allclose(crack.H @ crack.L - crack.S @ crack.S, np.eye(3), atol=1e-12)
    assert np.allclose(crack.L, crack.L.T) and np.linalg.eigvalsh(crack.L).min() > 0
    assert np.allclose(np.sort_complex(p), np.sort_complex(crack.p), atol=1e-12)
    # the Schur-based field equals the eigenvector formula
    xy, theta = ring(2.0, 9, eps=1e-3)
    K = np.array([0.3, 1.0, -0.4])
    M = A[None] * np.sqrt(np.cos(theta)[:, None] + p[None] * np.sin(theta)[:, None])[:, None, :]
    u = np.sqrt(2 * 2.0 / np.pi) * (M @ np.linalg.solve(B, K)).real
    assert np.allclose(crack.displacement(xy, K), u, atol=1e-13)


def test_isotropic_stroh_equals_williams_and_griffith():
    E, nu = 100.0, 0.3
    crack = StrohCrack(isotropic_stiffness(E, nu))
    with pytest.raises(ElasticityError):
        crack.eigenvectors()  # triple eigenvalue p = i, a Jordan block
    Ep, mu = E / (1 - nu**2), E / (2 * (1 + nu))
    assert np.allclose(crack.L, np.diag([Ep / 2, Ep / 2, mu]), rtol=1e-9)
    assert isotropic_griffith_K(E, nu, 1.0) == pytest.approx(14.825, abs=5e-4)
    assert griffith_K(crack, 1.0) == pytest.approx(isotropic_griffith_K(E, nu, 1.0), rel=1e-10)
    K = np.array([0.7, 1.3, -0.5])
    G_iso = isotropic_energy_release_rate(E, nu, K)
    assert crack.energy_release_rate(K) == pytest.approx(G_iso, rel=1e-10)
    xy, _ = ring(5.0, 25)
    xy = np.vstack([xy, [[-3.0, 0.0], [-3.0, 0.0], [4.0, 0.0]]])
    side = np.r_[np.zeros(25), 1, -1, 0]
    scale = np.abs(isotropic_displacement(xy, K, E, nu, side)).max()
    assert np.allclose(crack.displacement(xy, K, side), isotropic_displacement(xy, K, E, nu, side),
                       atol=1e-8 * scale)


def test_nearly_isotropic_crystal_is_continuous():
    E, nu = 100.0, 0.3
    mu = E / (2 * (1 + nu))
    lam = 2 * mu * nu / (1 - 2 * nu)
    xy, _ = ring(3.0, 17)
    K = np.array([0.2, 1.0, 0.6])
    u_iso = isotropic_displacement(xy, K, E, nu)
    for a in (1e-9, 1e-6):
        crack = StrohCrack(cubic_stiffness(lam + 2 * mu, lam, mu * (1 + a)), AXES_111_11M2)
        u = crack.displacement(xy, K)
        assert np.abs(u - u_iso).max() < 10 * a * np.abs(u_iso).max() + 1e-10


# ---- Griffith loads, Cu_mishin1 -----------------------------------------------------------

def test_griffith_K_cu_mishin1():
    K_111 = griffith_K(cu_crack(AXES_111_M110), GAMMA_111)
    K_100 = griffith_K(cu_crack(AXES_100_010), GAMMA_100)
    assert K_111 == pytest.approx(62.674, abs=1e-3)  # GPa*sqrt(A)
    to_si = 0.01  # GPa*sqrt(A) -> MPa*sqrt(m)
    K_si = convert_stress_intensity(K_111, "GPa*sqrt(A)", "MPa*sqrt(m)")
    assert K_si == pytest.approx(to_si * K_111)
    assert to_si * K_111 == pytest.approx(0.6267, abs=5e-5)
    assert to_si * K_100 == pytest.approx(0.5862, abs=5e-5)
    # same in SI: K = sqrt(4 gamma [J/m^2] / (L^-1)_22 [1/Pa]) in Pa*sqrt(m)
    L_pa = cu_crack(AXES_111_M110).L * 1e9
    assert np.sqrt(4 * 1.2395 / np.linalg.inv(L_pa)[1, 1]) / 1e6 == pytest.approx(0.62674, abs=1e-5)
    crack = cu_crack(AXES_111_M110)
    assert griffith_ratio(crack, [0.0, K_111, 0.0], GAMMA_111) == pytest.approx(1.0, rel=1e-12)
    assert energy_release_rate(crack.L, [0, K_111, 0]) == pytest.approx(2 * GAMMA_111, rel=1e-12)


def test_griffith_K_general_direction():
    crack = cu_crack(AXES_111_11M2)
    d = np.array([0.3, 1.0, 0.5])
    k = griffith_K(crack, GAMMA_111, d)
    G = crack.energy_release_rate(k * d / np.linalg.norm(d))
    assert G == pytest.approx(2 * GAMMA_111, rel=1e-12)


def test_sih_paris_irwin():
    # cube frame: orthotropic, modes decoupled -> exact, fields included
    crack = cu_crack(AXES_100_010)
    C = crack.stiffness
    assert modes_decouple(C)
    K_G = griffith_K(crack, GAMMA_100)
    assert sih_paris_irwin_griffith_K(C, GAMMA_100) == pytest.approx(K_G, rel=1e-12)
    xy, _ = ring(4.0, 13)
    xy = np.vstack([xy, [[-2.0, 0.0], [-2.0, -0.0]]])
    u = crack.displacement(xy, [0.4, 1.0, 0.0])
    assert np.allclose(u[:, :2], sih_paris_irwin_displacement(C, xy, 1.0, 0.4), atol=1e-14)
    assert np.abs(u[:, 2]).max() < 1e-15
    # anti-plane: p = i, Williams' mode III with mu = C44
    u3 = crack.displacement(xy, [0.0, 0.0, 1.0])[:, 2]
    u3_iso = isotropic_displacement(xy, [0, 0, 1.0], 2 * CU[2], 0.0)[:, 2]
    assert np.allclose(u3, u3_iso, atol=1e-14)
    # (111)[-110]: decoupled but monoclinic (b16 != 0): general form exact, orthotropic one -0.34 %
    crack = cu_crack(AXES_111_M110)
    C = crack.stiffness
    assert modes_decouple(C)
    K_exact = griffith_K(crack, GAMMA_111)
    K_lekhnitskii = sih_paris_irwin_griffith_K(C, GAMMA_111, orthotropic=False)
    assert K_lekhnitskii == pytest.approx(K_exact, rel=1e-12)
    K_orthotropic = sih_paris_irwin_griffith_K(C, GAMMA_111)
    assert K_orthotropic / K_exact - 1 == pytest.approx(-0.0034, abs=2e-4)
    K = np.array([0.6, 1.0, 0.0])
    assert sih_paris_irwin_energy_release_rate(C, K[1], K[0], orthotropic=False) == pytest.approx(
        crack.energy_release_rate(K), rel=1e-12)
    u_spi = sih_paris_irwin_displacement(C, xy, 1.0, 0.6)
    assert np.allclose(crack.displacement(xy, K)[:, :2], u_spi, atol=1e-14)
    # (111)[11-2]: modes I and III couple; plane strain understates K_G by 1.1 %
    crack = cu_crack(AXES_111_11M2)
    assert not modes_decouple(crack.stiffness)
    with pytest.raises(ElasticityError):
        sih_paris_irwin_griffith_K(crack.stiffness, GAMMA_111)
    K_plane_strain = sih_paris_irwin_griffith_K(crack.stiffness, GAMMA_111, check=False)
    ratio = K_plane_strain / griffith_K(crack, GAMMA_111)
    assert ratio == pytest.approx(0.9885, abs=5e-4)


# ---- the K-field ---------------------------------------------------------------------------

def test_k_field_displacements_validation_values():
    crack = cu_crack(AXES_111_M110)
    K = [0.0, 62.674, 0.0]
    pts = 10.0 * np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
    u = crack.displacement(pts, K)
    assert np.allclose(u[0], [0.49887, 0.0, 0.0], atol=1e-5)
    # in the stated frame (x=[11-2], y=[111], z=[1-10]; C16 = +24.78 GPa)
    assert np.allclose(u[1], [0.73869, 0.77941, 0.0], atol=1e-5)
    assert np.allclose(u[2], [-0.12954, 1.99599, 0.0], atol=1e-5)
    # VALIDATION.md's theta = pi/2 and theta -> pi values are those of the crystal
    # mirrored through the crack plane (C16 -> -C16), e.g. x=[-1-12], y=[111], z=[-110]:
    # u_mirror(x, y) = (u_x, -u_y)(x, -y)
    assert np.allclose(u[3, :2] * [1, -1], [0.90989, 0.85314], atol=1e-5)
    mirror = StrohCrack(cubic_stiffness(*CU), ((-1, -1, 2), (1, 1, 1), (-1, 1, 0)))
    um = mirror.displacement(pts[:3], K)
    validation = [[0.49887, 0.0], [0.90989, 0.85314], [0.12955, 1.99599]]
    assert np.allclose(um[:, :2], validation, atol=1e-5)


@pytest.mark.parametrize("axes", [AXES_111_M110, AXES_100_010, AXES_111_11M2, None])
def test_stress_ahead_of_tip_and_traction_free_faces(axes):
    crack = cu_crack(axes) if axes else StrohCrack(triclinic_stiffness())
    K = np.array([0.4, 1.0, -0.7])
    r = np.array([0.5, 2.0, 7.0])
    ahead = crack.stress(np.c_[r, np.zeros(3)], K)
    assert np.allclose(ahead[:, 1, :], K[None, :] / np.sqrt(2 * np.pi * r)[:, None], rtol=1e-12)
    faces = np.c_[-r, np.zeros(3)]
    for side in (1, -1):
        t = crack.stress(faces, K, side=side)[:, 1, :]
        assert np.abs(t).max() < 1e-12 * np.abs(K).max()
    sig = crack.stress(ring(1.0, 11, eps=0.1)[0], K)
    assert np.allclose(sig, sig.transpose(0, 2, 1), atol=1e-14)


@pytest.mark.parametrize("axes", [AXES_111_11M2, None])
def test_gradient_and_equilibrium_by_finite_differences(axes):
    crack = cu_crack(axes) if axes else StrohCrack(triclinic_stiffness())
    C = crack.stiffness
    K = np.array([0.5, 1.0, 0.8])
    h = 1e-3

    def grad_fd(xy):
        g = np.zeros((len(xy), 3, 3))
        for j in range(2):
            dx = np.zeros(2)
            dx[j] = h
            g[:, :, j] = (crack.displacement(xy + dx, K) - crack.displacement(xy - dx, K)) / (2 * h)
        return g

    xy = np.array([[1.0, 0.3], [-0.8, 0.9], [-1.2, -0.4], [0.5, -1.1], [2.0, 2.0]])
    g = crack.displacement_gradient(xy, K)
    assert np.allclose(grad_fd(xy), g, atol=1e-6 * np.abs(g).max())
    div = np.zeros((len(xy), 3))
    for j in range(2):
        dx = np.zeros(2)
        dx[j] = h
        sig_p = np.einsum("ijkl,nkl->nij", C, grad_fd(xy + dx))
        sig_m = np.einsum("ijkl,nkl->nij", C, grad_fd(xy - dx))
        div += (sig_p[:, :, j] - sig_m[:, :, j]) / (2 * h)
    scale = np.abs(crack.stress(xy, K)).max(axis=(1, 2)) / np.hypot(*xy.T)
    assert np.all(np.abs(div).max(axis=1) < 1e-5 * scale)


@pytest.mark.parametrize("axes", [AXES_111_11M2, None])
def test_continuity_and_crack_opening(axes):
    crack = cu_crack(axes) if axes else StrohCrack(triclinic_stiffness())
    K = np.array([0.3, 1.0, 0.6])
    s = np.array([0.5, 3.0])
    eps = 1e-12
    upper = crack.displacement(np.c_[-s, np.zeros(2)], K, side=1)
    lower = crack.displacement(np.c_[-s, np.zeros(2)], K, side=-1)
    assert np.allclose(upper, crack.displacement(np.c_[-s, eps * s], K), atol=1e-9)
    assert np.allclose(lower, crack.displacement(np.c_[-s, -eps * s], K), atol=1e-9)
    assert np.allclose(lower, crack.displacement(np.c_[-s, -0.0 * s], K), atol=0)
    assert np.allclose(upper - lower, crack.opening(s, K), rtol=1e-12)
    ahead = crack.displacement(np.c_[s, np.zeros(2)], K)
    assert np.allclose(ahead, crack.displacement(np.c_[s, -eps * s], K), atol=1e-9)


@pytest.mark.parametrize("axes", [AXES_111_M110, AXES_111_11M2, None])
def test_energy_release_rate_from_crack_closure_and_j_integral(axes):
    crack = cu_crack(axes) if axes else StrohCrack(triclinic_stiffness())
    K = np.array([0.4, 1.0, -0.6])
    G = crack.energy_release_rate(K)
    # Irwin's crack closure over [0, a], x = a sin^2 phi removes both end singularities
    a = 2.0
    t, w = np.polynomial.legendre.leggauss(40)
    phi, w = np.pi / 4 * (t + 1), np.pi / 4 * w
    x = a * np.sin(phi)**2
    sig = crack.stress(np.c_[x, np.zeros_like(x)], K)[:, 1, :]
    behind = np.c_[-(a - x), np.zeros_like(x)]
    du = crack.displacement(behind, K, side=1) - crack.displacement(behind, K, side=-1)
    integrand = np.sum(sig * du, axis=1) * 2 * a * np.sin(phi) * np.cos(phi)
    assert np.sum(w * integrand) / (2 * a) == pytest.approx(G, rel=1e-10)
    # J-integral on a circle through both faces
    r = 3.0
    t, w = np.polynomial.legendre.leggauss(80)
    theta, w = np.pi * t, np.pi * w
    xy = r * np.c_[np.cos(theta), np.sin(theta)]
    grad = crack.displacement_gradient(xy, K)
    sig = np.einsum("ijkl,nkl->nij", crack.stiffness, grad)
    W = 0.5 * np.einsum("nij,nij->n", sig, grad)
    n = np.c_[np.cos(theta), np.sin(theta), np.zeros_like(theta)]
    J = W * n[:, 0] - np.einsum("nij,nj,ni->n", sig, n, grad[:, :, 0])
    assert np.sum(w * J) * r == pytest.approx(G, rel=1e-10)


def test_mode_coupling():
    K_I = [0.0, 1.0, 0.0]
    xy = ring(3.0, 9, eps=0.2)[0]
    coupled = cu_crack(AXES_111_11M2)
    assert abs(coupled.L_inv[1, 2]) > 0.1 * coupled.L_inv[1, 1]
    u = coupled.displacement(xy, K_I)
    assert np.abs(u[:, 2]).max() > 0.05 * np.abs(u).max()
    for axes in (AXES_100_010, AXES_111_M110):
        crack = cu_crack(axes)
        assert np.abs(crack.L_inv[:2, 2]).max() < 1e-12 * crack.L_inv[1, 1]
        assert np.abs(crack.displacement(xy, K_I)[:, 2]).max() < 1e-14
    assert abs(cu_crack(AXES_111_M110).L_inv[0, 1]) > 0.05 * cu_crack(AXES_111_M110).L_inv[1, 1]
    assert abs(cu_crack(AXES_100_010).L_inv[0, 1]) < 1e-12


# ---- units ----------------------------------------------------------------------------------

def test_unit_conversions():
    assert convert_stress_intensity(1.0, "GPa*sqrt(A)", "MPa*sqrt(m)") == pytest.approx(0.01)
    assert convert_stress_intensity(1.0, "MPa*sqrt(m)", "Pa*sqrt(m)") == pytest.approx(1e6)
    assert convert_stress_intensity(1.0, "eV/A^2.5") == pytest.approx(160.21766208)
    assert convert_surface_energy(1.0, "eV/A^2", "J/m^2") == pytest.approx(16.021766, abs=1e-6)
    assert convert_surface_energy(1.0, "GPa*A", "J/m^2") == pytest.approx(0.1)
    assert convert_surface_energy(1239.5, "mJ/m^2") == pytest.approx(12.395)
    g = np.array([1.0, 2.0])
    back = convert_surface_energy(convert_surface_energy(g, "eV/A^2"), "GPa*A", "eV/A^2")
    assert np.allclose(back, g)
    with pytest.raises(ValueError):
        convert_surface_energy(1.0, "erg/cm^2")
