"""Writers: results.h5, extxyz snapshots, all-or-nothing output folders."""
from qcsim.io.staging import OutputStage  # noqa: F401
