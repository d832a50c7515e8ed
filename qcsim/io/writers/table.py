"""Writer ``table``: the per-step table ``/steps`` and the per-dislocation table
``/dislocations`` of results.h5 (one row per step, one per dislocation found)."""
from __future__ import annotations

import numpy as np

from qcsim.driver.operations import Writer, register_writer
from qcsim.driver.triggers import Always
from qcsim.units import mpa_sqrt_m

__all__ = ["StepTable", "step_row", "dislocation_rows", "TABLE", "UNITS", "DISLOCATIONS"]

TABLE = "steps"
UNITS = {"K": "MPa*sqrt(m)", "energy": "eV", "crack_tip_x": "A", "max_force": "eV/A",
         "wall_time": "s", "dislocation_x": "A", "dislocation_y": "A",
         "dislocation_distance": "A", "energy_atomistic": "eV", "energy_continuum": "eV",
         "energy_faces": "eV", "energy_correction": "eV"}
DISLOCATIONS = "dislocations"
DISLOCATION_UNITS = {"core_x": "A", "core_y": "A", "distance": "A", "angle": "degree",
                     "burgers_x": "A", "burgers_y": "A", "burgers_z": "A",
                     "trailing_distance": "A"}


def step_row(rec, K_G: float, step: int) -> dict:
    """The table row of load step ``step`` from its :class:`qcsim.driver.StepRecord`
    (K in MPa*sqrt(m))."""
    crack = rec.extra.get("crack", {})
    defects = rec.extra.get("defects", {})
    # the farthest dislocation from the tip: its core (the leading partial in fcc)
    lead = max(rec.extra.get("dislocations", []), key=lambda d: d.distance, default=None)
    terms = rec.extra.get("energy_terms", {})
    return {"step": step, "K": mpa_sqrt_m(rec.K),
            "K_over_K_G": rec.K / K_G, "energy": rec.energy, "crack_tip_x": rec.crack_tip_x,
            "n_dof": rec.n_dof, "n_atomistic": rec.n_atomistic,
            "n_represented": rec.n_represented, "iterations": rec.iterations,
            "max_force": rec.max_force, "wall_time": rec.wall_time,
            "converged": bool(rec.converged), "emitted": bool(rec.emitted),
            "advanced": bool(rec.extra.get("advanced", False)),
            "n_adapt": rec.n_adapt, "n_broken": int(crack.get("n_broken", -1)),
            "n_hcp": int(defects.get("n_hcp", -1)),
            "n_dislocations": len(rec.extra.get("dislocations", [])),
            "dislocation_x": float(lead.core_xy[0]) if lead else np.nan,
            "dislocation_y": float(lead.core_xy[1]) if lead else np.nan,
            "dislocation_distance": float(lead.distance) if lead else np.nan,
            "dislocation_burgers": lead.burgers if lead else "",
            "dislocation_plane": lead.plane if lead else "",
            "dislocation_kind": lead.kind if lead else "",
            "n_twins": sum(d.kind == "twin" for d in rec.extra.get("dislocations", [])),
            **{f"energy_{k}": float(terms.get(k, np.nan))
               for k in ("atomistic", "continuum", "faces", "correction")}}


def dislocation_rows(rec, step: int) -> dict:
    """Columns (one entry per dislocation) of the ``/dislocations`` table of a step."""
    ds = rec.extra.get("dislocations", [])
    return {"step": np.full(len(ds), step, dtype=np.int64),
            "core_x": np.array([d.core_xy[0] for d in ds], float),
            "core_y": np.array([d.core_xy[1] for d in ds], float),
            "distance": np.array([d.distance for d in ds], float),
            "angle": np.array([d.angle for d in ds], float),
            "burgers": np.array([d.burgers for d in ds], dtype=object),
            "plane": np.array([d.plane for d in ds], dtype=object),
            "burgers_x": np.array([d.burgers_c[0] for d in ds], float),
            "burgers_y": np.array([d.burgers_c[1] for d in ds], float),
            "burgers_z": np.array([d.burgers_c[2] for d in ds], float),
            "kind": np.array([d.kind for d in ds], dtype=object),
            "thickness": np.array([d.thickness for d in ds], float),
            "total_burgers": np.array([d.total_burgers for d in ds], dtype=object),
            "trailing_distance": np.array([d.trailing_distance for d in ds], float)}


@register_writer("table")
class StepTable(Writer):
    """``/steps`` (a row per step, its ``frame`` column the frame number or -1) and
    ``/dislocations``; needs ``outputs.constants["K_G"]`` (GPa*sqrt(A))."""

    def __init__(self, outputs, trigger=Always()):
        self.outputs, self.trigger = outputs, trigger

    def write(self, step) -> None:
        out, rec, index = self.outputs, step.record, step.event.step
        row = step_row(rec, out.constants["K_G"], index)
        row["frame"] = -1 if step.frame is None else step.frame
        out.writer.append(TABLE, units={k: v for k, v in UNITS.items() if k in row}, **row)
        drows = dislocation_rows(rec, index)
        if len(drows["step"]):
            out.writer.append(DISLOCATIONS, units=DISLOCATION_UNITS, **drows)
        out.n_rows += 1

    def resume(self, ckpt) -> None:
        """The ``/dislocations`` rows up to the checkpoint's step (``/steps`` itself is
        copied with the frames by :meth:`RunOutputs.resume`)."""
        import h5py

        last_step = int(ckpt.state["step_index"])
        with h5py.File(ckpt.path, "r") as old:
            if DISLOCATIONS not in old:
                return
            g = old[DISLOCATIONS]
            keep = np.asarray(g["step"][:]) <= last_step
            if keep.any():
                cols = {}
                for name, ds in g.items():
                    data = ds[:][keep]
                    if ds.dtype.kind == "O":
                        data = np.array([v.decode() if isinstance(v, bytes) else str(v)
                                         for v in data], dtype=object)
                    cols[name] = data
                self.outputs.writer.append(DISLOCATIONS, units=DISLOCATION_UNITS, **cols)
