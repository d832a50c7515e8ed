"""Cross-check of :mod:`qcsim.analysis.dislocations` with OVITO's dislocation extraction.

The dislocation extraction algorithm (DXA; Stukowski, Bulatov & Arsenlis,
Modelling Simul. Mater. Sci. Eng. 20, 085007 (2012)) maps Burgers circuits
of the atoms onto the ideal lattice and needs neither a reference state nor
thresholds on the slip, so it tests the slip-vector method independently.
The one-period slab is repeated ``n_repeat`` times along z (trial circuits
need a cell several atoms long along the periodic axis) and handed to
``ovito.modifiers.DislocationAnalysisModifier`` with free boundaries in x, y.

OVITO is optional: ``pip install "qcsim[dxa]"``.

Burgers vector sign: each line is oriented along +z and its Burgers vector is
given in the convention of :mod:`qcsim.analysis.dislocations` (FS/RH of Hirth
& Lothe: u = b theta / 2 pi about a line along +z), which is minus OVITO's
spatial Burgers vector for a line whose points run along +z.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qcsim.analysis.dislocations import crystal_vectors, miller

__all__ = ["DXALine", "dxa_dislocations", "import_ovito"]


def import_ovito():
    """The ``ovito`` modules (data, pipeline, modifiers), or an ImportError that says
    how to install them."""
    try:
        from ovito import data, modifiers, pipeline
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError('the DXA cross-check needs OVITO: pip install "qcsim[dxa]" '
                          f"(or pip install ovito); import failed with: {exc}") from exc
    return data, pipeline, modifiers


@dataclass(frozen=True)
class DXALine:
    """One dislocation line found by the DXA (oriented along +z).

    core_xy : (2,) length-weighted mean of the line's points projected on x, y (A).
    burgers_c : (3,) ideal Burgers vector, lab frame (A), sign as in
        :mod:`qcsim.analysis.dislocations`; burgers : the same in the crystal's
        Miller notation, e.g. "1/6[112]".
    spatial_burgers_c : (3,) OVITO's spatial Burgers vector (with the elastic
        strain of the crystal around it), same sign convention as burgers_c (A).
    true_burgers : OVITO's true Burgers vector in its own lattice frame (units of a).
    distance : |core - tip| (A); angle : direction tip -> core from +x (degrees).
    length : line length in the repeated cell (A); infinite : the line is straight
        through the periodic z boundary.
    """

    core_xy: np.ndarray
    burgers_c: np.ndarray
    burgers: str
    spatial_burgers_c: np.ndarray
    true_burgers: np.ndarray
    distance: float
    angle: float
    length: float
    infinite: bool


def _ideal(crystal, true_c, spatial_c):
    """The member of the true vector's family nearest the spatial vector: (lab, Miller)."""
    true_c = np.asarray(true_c, dtype=float)
    nz = np.abs(true_c[np.abs(true_c) > 1e-4])
    if len(nz) == 0:
        return np.zeros(3), "[000]"
    den = int(round(1.0 / nz.min()))
    idx = np.sort(np.rint(np.abs(true_c) * den).astype(int))[::-1]
    family = (f"1/{den}" if den > 1 else "") + "<" + "".join(str(v) for v in idx) + ">"
    hkl, dens, lab, _ = crystal_vectors(crystal, (family,))
    k = int(np.argmin(np.linalg.norm(lab - spatial_c, axis=1)))
    return lab[k], miller(hkl[k], dens[k])


def dxa_dislocations(x_ic, cell_cc, pbc_c, crystal, tip_xy, n_repeat: int = 6,
                     **modifier_kw) -> list[DXALine]:
    """Dislocation lines of a slab found by OVITO's DXA, nearest to the tip first.

    Parameters
    ----------
    x_ic : (n, 3) current positions (A) of one period of the slab.
    cell_cc, pbc_c : the slab's cell (``diag(0, 0, Lz)``, periodic along z only).
    crystal : the host :class:`qcsim.lattice.Crystal` ("fcc" or "bcc").
    tip_xy : (2,) crack tip (A), for distances and angles.
    n_repeat : periods stacked along z for the analysis.
    modifier_kw : more settings of ``DislocationAnalysisModifier`` (e.g.
        ``trial_circuit_length``).
    """
    data_mod, pipeline_mod, modifiers = import_ovito()
    Lattice = modifiers.DislocationAnalysisModifier.Lattice
    structure = {"fcc": Lattice.FCC, "bcc": Lattice.BCC}.get(crystal.lattice)
    if structure is None:
        raise ValueError(f"the DXA needs an fcc or bcc host, not {crystal.lattice!r}")
    pbc = np.asarray(pbc_c, dtype=bool)
    cell = np.asarray(cell_cc, dtype=float)
    if not (pbc[2] and not pbc[0] and not pbc[1]):
        raise ValueError("dxa_dislocations expects a slab periodic along z only")
    Lz = float(cell[2, 2])
    x = np.array(x_ic, dtype=float)
    x[:, 2] = np.mod(x[:, 2], Lz)
    pos = np.concatenate([x + [0.0, 0.0, k * Lz] for k in range(n_repeat)])
    margin = 5.0 * crystal.a
    lo, hi = pos[:, :2].min(axis=0) - margin, pos[:, :2].max(axis=0) + margin
    M = np.zeros((3, 4))
    M[0, 0], M[1, 1], M[2, 2] = hi[0] - lo[0], hi[1] - lo[1], n_repeat * Lz
    M[:2, 3] = lo
    data = data_mod.DataCollection()
    data.create_cell(M, pbc=(False, False, True))
    particles = data.create_particles(count=len(pos))
    particles.create_property("Position", data=pos)
    pipe = pipeline_mod.Pipeline(source=pipeline_mod.StaticSource(data=data))
    pipe.modifiers.append(modifiers.DislocationAnalysisModifier(
        input_crystal_structure=structure, **modifier_kw))
    out = pipe.compute()
    tip = np.asarray(tip_xy, dtype=float)[:2]
    lines = []
    for line in out.dislocations.lines:
        P = np.asarray(line.points, dtype=float)
        seg = np.linalg.norm(np.diff(P, axis=0), axis=1)
        mids = 0.5 * (P[1:] + P[:-1])
        core = (seg @ mids[:, :2]) / seg.sum() if seg.sum() > 0 else P[:, :2].mean(axis=0)
        sign = -1.0 if P[-1, 2] >= P[0, 2] else 1.0  # orient along +z, FS/RH sign
        spatial = sign * np.asarray(line.spatial_burgers_vector, dtype=float)
        true = np.asarray(line.true_burgers_vector, dtype=float)
        b_lab, b_str = _ideal(crystal, true, spatial)
        rel = core - tip
        lines.append(DXALine(core_xy=core, burgers_c=b_lab, burgers=b_str,
                             spatial_burgers_c=spatial, true_burgers=true,
                             distance=float(np.hypot(*rel)),
                             angle=float(np.degrees(np.arctan2(rel[1], rel[0]))),
                             length=float(line.length), infinite=bool(line.is_infinite_line)))
    lines.sort(key=lambda d: d.distance)
    return lines
