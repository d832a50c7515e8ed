"""Compiled Cython kernels (built from cython_kernels/*.pyx). See docs/kernels.md."""
