"""qcsim's units and every conversion out of them, one name each.

The engine works in LAMMPS *metal* units for atoms (A, eV, eV/A, eV/A^3) and,
for continuum mechanics, in GPa for stresses and elastic constants, so that
lengths stay in A: a stress intensity is then in GPa*sqrt(A) and a surface
energy (or energy release rate) in GPa*A.  Users read K in MPa*sqrt(m) and
surface energies in J/m^2; the conversions::

    1 eV/A^3      = 160.21766208 GPa
    1 eV/A^2      = 16.021766208 J/m^2 = 160.21766208 GPa*A
    1 GPa*A       = 1e9 N/m^2 * 1e-10 m = 0.1 J/m^2
    1 MPa*sqrt(m) = 1e6 Pa * 1e5 sqrt(A) = 100 GPa*sqrt(A)

Nothing else in the package writes these factors.
"""
from __future__ import annotations

__all__ = ["EV_PER_A3_IN_GPA", "EV_PER_A2_IN_J_PER_M2", "EV_PER_A2_IN_MJ_PER_M2",
           "GPA_A_PER_J_PER_M2", "MJ_PER_J", "GPA_SQRT_A_PER_MPA_SQRT_M", "SURFACE_ENERGY_UNITS",
           "STRESS_INTENSITY_UNITS", "K_UNIT", "mpa_sqrt_m", "gpa_sqrt_a"]

EV_PER_A3_IN_GPA = 160.21766208
"""1 eV/A^3 in GPa."""
EV_PER_A2_IN_J_PER_M2 = 16.021766208
"""1 eV/A^2 in J/m^2."""
EV_PER_A2_IN_MJ_PER_M2 = 16021.766208
"""1 eV/A^2 in mJ/m^2."""
MJ_PER_J = 1000.0
"""mJ per J (surface energies in mJ/m^2 and J/m^2)."""
GPA_A_PER_J_PER_M2 = 10.0
"""1 J/m^2 in GPa*A (the engine's surface-energy unit)."""
GPA_SQRT_A_PER_MPA_SQRT_M = 100.0
"""1 MPa*sqrt(m) in GPa*sqrt(A) (the engine's stress-intensity unit)."""
K_UNIT = "MPa*sqrt(m)"
"""How a stress intensity is written in every output (tables, logs, plots)."""

# the value of one unit in the engine's units
SURFACE_ENERGY_UNITS = {"GPa*A": 1.0, "J/m^2": GPA_A_PER_J_PER_M2,
                        "mJ/m^2": 1e-2,
                        "eV/A^2": EV_PER_A3_IN_GPA}
STRESS_INTENSITY_UNITS = {"GPa*sqrt(A)": 1.0, "MPa*sqrt(m)": GPA_SQRT_A_PER_MPA_SQRT_M,
                          "Pa*sqrt(m)": 1e-4,
                          "eV/A^2.5": EV_PER_A3_IN_GPA}


def mpa_sqrt_m(K):
    """A stress intensity in the engine's GPa*sqrt(A), in MPa*sqrt(m)."""
    return K / GPA_SQRT_A_PER_MPA_SQRT_M


def gpa_sqrt_a(K):
    """A stress intensity in MPa*sqrt(m), in the engine's GPa*sqrt(A)."""
    return K * GPA_SQRT_A_PER_MPA_SQRT_M
