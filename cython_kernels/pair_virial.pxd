# Shared by eam.pyx and pair.pyx (cimported): one pair's share of the per-site virials.

cdef inline void add_pair_virial(double* sv, Py_ssize_t e, Py_ssize_t j, double dx, double dy,
                                 double dz, double fx, double fy, double fz) noexcept nogil:
    """Half of the pair's r (x) f on each of its sites e and j, rows of sv (n, 6) in the
    order xx, yy, zz, xy, xz, yz (LAMMPS's compute stress/atom split)."""
    cdef double h0 = 0.5 * dx * fx, h1 = 0.5 * dy * fy, h2 = 0.5 * dz * fz
    cdef double h3 = 0.5 * dx * fy, h4 = 0.5 * dx * fz, h5 = 0.5 * dy * fz
    sv[6 * e] += h0
    sv[6 * e + 1] += h1
    sv[6 * e + 2] += h2
    sv[6 * e + 3] += h3
    sv[6 * e + 4] += h4
    sv[6 * e + 5] += h5
    sv[6 * j] += h0
    sv[6 * j + 1] += h1
    sv[6 * j + 2] += h2
    sv[6 * j + 3] += h3
    sv[6 * j + 4] += h4
    sv[6 * j + 5] += h5
