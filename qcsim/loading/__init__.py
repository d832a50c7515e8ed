"""Loads for crack studies: the anisotropic linear-elastic K-field and the Griffith load.

:mod:`qcsim.loading.stroh` holds the elastic tensors and the Stroh near-tip
fields; :mod:`qcsim.loading.lefm` the energy release rate, the Griffith
condition, unit conversions and the classical closed forms (isotropic;
Sih, Paris and Irwin) used to check them.
"""
from qcsim.loading.lefm import (  # noqa: F401
    STRESS_INTENSITY_UNITS,
    SURFACE_ENERGY_UNITS,
    convert_stress_intensity,
    convert_surface_energy,
    energy_release_rate,
    griffith_K,
    griffith_ratio,
    isotropic_displacement,
    isotropic_energy_release_rate,
    isotropic_griffith_K,
    lekhnitskii_roots,
    modes_decouple,
    plane_strain_modulus,
    reduced_compliance,
    sih_paris_irwin_displacement,
    sih_paris_irwin_energy_release_rate,
    sih_paris_irwin_griffith_K,
)
from qcsim.loading.stroh import (  # noqa: F401
    VOIGT_PAIRS,
    ElasticityError,
    StrohCrack,
    as_stiffness_tensor,
    cubic_stiffness,
    isotropic_stiffness,
    rotate_stiffness,
    stroh_matrix,
    tensor_to_voigt,
    voigt_to_tensor,
)
