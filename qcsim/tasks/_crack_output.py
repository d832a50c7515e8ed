"""What task ``crack`` writes: the per-step table, frames, atoms, plots, checkpoints.

Files (staged, then committed at each checkpoint so that they can be looked at
while the study runs and survive a stopped run)::

    results.h5      /steps (one row per load step), /frames/<k> (mesh frames),
                    /checkpoint (qcsim.io.checkpoint), /run; root attrs K_G, gamma...
    results.xdmf    the frames as a temporal collection for ParaView (time = K)
    atoms.extxyz    the atoms of every frame, one extxyz frame each
    crack_tip.png   tip advance, dislocation distance and energy against K
    crack_atoms.png the atoms near the tip by local structure (the last frame)
    mesh.png        the mesh and the atoms by region
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from qcsim.units import mpa_sqrt_m

log = logging.getLogger(__name__)

TABLE = "steps"
UNITS = {"K": "MPa*sqrt(m)", "energy": "eV", "crack_tip_x": "A", "max_force": "eV/A",
         "wall_time": "s", "dislocation_x": "A", "dislocation_y": "A",
         "dislocation_distance": "A", "energy_atomistic": "eV", "energy_continuum": "eV",
         "energy_faces": "eV", "energy_correction": "eV"}
DISLOCATIONS = "dislocations"
DISLOCATION_UNITS = {"core_x": "A", "core_y": "A", "distance": "A", "angle": "degree",
                     "burgers_x": "A", "burgers_y": "A", "burgers_z": "A",
                     "trailing_distance": "A"}
# Plots take ~1 s; at checkpoints they are refreshed at most this often (and always
# at the end of the run).
PLOT_INTERVAL = 30.0


@dataclass
class Snapshot:
    """A completed load step: its state and what a checkpoint and the plots need."""

    state: dict
    X_nc: np.ndarray
    elements_ta: np.ndarray
    flag_n: np.ndarray
    atoms_n: np.ndarray
    n_rows: int
    n_frames: int

    @classmethod
    def of(cls, study, n_rows: int, n_frames: int) -> "Snapshot":
        m = study.model
        return cls(study.state(), m.mesh.X_nc.copy(), m.mesh.elements_ta, m.regions.flag_n,
                   np.asarray(m.regions.atoms), n_rows, n_frames)


def step_row(rec, K_G: float, step: int) -> dict:
    """The table row of load step ``step`` from its :class:`qcsim.fracture.StepRecord`
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


class CrackOutput:
    """The open outputs of one run (``results.h5`` stays open until :meth:`close`)."""

    def __init__(self, deck, stage, K_G: float, gamma: float, ckpt=None):
        from qcsim.io.results import ResultsWriter

        self.deck, self.stage, self.K_G, self.gamma = deck, stage, K_G, gamma
        pot = deck["potential"]
        self.writer = ResultsWriter(stage.path("results.h5"), task="crack")
        self.h5 = self.writer.h5
        self.writer.write_run(deck.text, deck.file, deck.title, pot.style,
                              getattr(pot, "file", None), derived=deck.derived)
        self.h5.attrs.update({"K_G": mpa_sqrt_m(K_G), "K_G_units": "MPa*sqrt(m)",
                              "gamma": gamma, "gamma_units": "J/m^2"})
        self.n_rows = self.n_frames = 0
        self._plotted = -np.inf
        self._picture = None  # the last frame's atoms for crack_atoms.png
        self._atoms_started = False
        if ckpt is not None:
            self._continue_from(ckpt)

    # -- restart ---------------------------------------------------------------------
    def _continue_from(self, ckpt) -> None:
        from qcsim.io.checkpoint import copy_history

        copy_history(ckpt.path, self.h5, ckpt.n_steps, ckpt.n_frames, table=TABLE)
        self._copy_dislocations(ckpt.path, int(ckpt.state["step_index"]))
        self.n_rows, self.n_frames = ckpt.n_steps, ckpt.n_frames
        self.h5["run"].attrs.update({"restarted_from": str(ckpt.path),
                                     "restart_step": int(ckpt.state["step_index"])})
        old = ckpt.path.parent / "atoms.extxyz"
        if self.deck["output"].extxyz and ckpt.n_frames:
            if old.is_file():
                self._copy_atoms(old, ckpt.n_frames)
            else:
                log.warning("no atoms.extxyz next to %s: atoms.extxyz starts at this run's "
                            "first frame", ckpt.path)

    def _copy_dislocations(self, source, last_step: int) -> None:
        """The ``/dislocations`` rows of the steps up to ``last_step`` from ``source``."""
        import h5py

        with h5py.File(source, "r") as old:
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
                self.writer.append(DISLOCATIONS, units=DISLOCATION_UNITS, **cols)

    def _copy_atoms(self, old, n_frames: int) -> None:
        import ase.io

        frames = [a for a in ase.io.read(old, index=":")
                  if int(a.info.get("frame", n_frames)) < n_frames]
        if frames:
            ase.io.write(self._target("atoms.extxyz"), frames, format="extxyz")
            self._atoms_started = True

    # -- per step --------------------------------------------------------------------
    def record(self, rec, study, frame: bool) -> None:
        """Append the step's row; write a frame (mesh, atoms) if ``frame``."""
        row = step_row(rec, self.K_G, study.step_index)
        row["frame"] = self.n_frames if frame else -1
        units = {k: v for k, v in UNITS.items() if k in row}
        self.writer.append(TABLE, units=units, **row)
        drows = dislocation_rows(rec, study.step_index)
        if len(drows["step"]):
            self.writer.append(DISLOCATIONS, units=DISLOCATION_UNITS, **drows)
        self.n_rows += 1
        if frame:
            self._frame(rec, study)
            self.n_frames += 1
        self.h5.flush()

    def _frame(self, rec, study) -> None:
        from qcsim.io.xdmf import write_mesh_frame
        from qcsim.tasks.qc_relax import element_strains

        model = study.model
        mesh, regions, U = model.mesh, model.regions, model.U_nc
        planar = mesh.X_nc.copy()
        planar[:, mesh.dim:] = 0.0
        g = write_mesh_frame(self.h5, self.n_frames, planar, mesh.elements_ta, U,
                             node_data={"beta": regions.beta_n, "region": regions.flag_n,
                                        "fixed": model.fixed_n},
                             element_data={"mean_beta": regions.element_weights(mesh)
                                           / mesh.volumes_t, **element_strains(mesh, U)},
                             time=mpa_sqrt_m(rec.K))
        g.attrs.update({"step": study.step_index, "K": mpa_sqrt_m(rec.K),
                        "K_units": "MPa*sqrt(m)", "time_units": "MPa*sqrt(m) (time = K)",
                        "crack_tip_x": rec.crack_tip_x, "crack_tip_x_units": "A",
                        "energy": float(rec.energy), "energy_units": "eV"})
        report = rec.extra.get("defect_report")  # the step's own analysis (None if it failed)
        if report is not None:
            atoms_n = np.asarray(report.index_i)
            xy = (mesh.X_nc[atoms_n] + U[atoms_n])[:, :2]
            self._picture = {"xy": xy, "structure": report.structure_i.copy(),
                             "tip": (rec.crack_tip_x, study.y_plane),
                             "cores": [d.core_xy for d in rec.extra.get("dislocations", [])],
                             "step": study.step_index, "K": mpa_sqrt_m(rec.K)}
        if self.deck["output"].extxyz:
            self._atoms(rec, study, report)

    def _atoms(self, rec, study, report) -> None:
        from qcsim.io.extxyz import write_extxyz
        from qcsim.tasks.qc_relax import atoms_of

        model = study.model
        U = model.U_nc
        atoms, energies, forces = atoms_of(model, study.slab, study.crystal.element, U,
                                           model.forces(U))
        if report is not None and np.array_equal(report.index_i, atoms.arrays["node"]):
            atoms.arrays["csp"] = report.csp_i
            atoms.arrays["structure"] = report.structure_i.astype(np.int32)
        # Two energies, named for what they are: the whole model's (= /steps/energy) and
        # the sum of the per-atom energies of the atoms written (computed on them alone).
        atoms.info.update({"frame": self.n_frames, "step": study.step_index,
                           "K": mpa_sqrt_m(rec.K),
                           "K_over_K_G": rec.K / self.K_G, "crack_tip_x": rec.crack_tip_x,
                           "model_energy": float(rec.energy),
                           "atoms_energy": float(energies.sum()),
                           "units": "A, eV, eV/A, K in MPa*sqrt(m)"})
        for k, d in enumerate(sorted(rec.extra.get("dislocations", []),
                                     key=lambda d: -d.distance)):
            # dislocation k (0: farthest from the tip): core (A), Burgers vector, plane
            atoms.info.update({f"dislocation{k}_core": f"{d.core_xy[0]:.3f} {d.core_xy[1]:.3f}",
                               f"dislocation{k}_distance": round(float(d.distance), 3),
                               f"dislocation{k}_burgers": d.burgers,
                               f"dislocation{k}_plane": d.plane,
                               f"dislocation{k}_kind": d.kind})
        if study.slip_ic is not None:  # from the step's own dislocation analysis
            atoms.arrays["slip"] = study.slip_ic
        write_extxyz(self._target("atoms.extxyz"), atoms, forces=forces, energies=energies,
                     append=self._atoms_started)
        self._atoms_started = True

    # -- checkpoints and publishing ------------------------------------------------------
    def checkpoint(self, snap: Snapshot) -> None:
        """Write the checkpoint of ``snap`` into results.h5."""
        from qcsim.io.checkpoint import write_checkpoint

        write_checkpoint(self.h5, snap.state, snap.X_nc, n_steps=snap.n_rows,
                         n_frames=snap.n_frames, K_G=self.K_G, gamma=self.gamma,
                         deck_text=self.deck.text)

    def publish(self, snap: Snapshot | None, force_plots: bool = False) -> None:
        """XDMF index, plots (at most every PLOT_INTERVAL s unless forced), commit."""
        from qcsim.io.xdmf import FRAMES, write_xdmf

        self.h5.flush()
        if FRAMES in self.h5 and len(self.h5[FRAMES]):
            write_xdmf(self._stage_path("results.xdmf"), self.h5, h5_name="results.h5")
        due = self.n_rows and time.monotonic() - self._plotted > PLOT_INTERVAL
        if snap is not None and (force_plots or due):
            self.plots(snap)
        self.stage.commit()

    def plots(self, snap: Snapshot) -> None:
        from qcsim.io.crack_plots import StudyCurves, plot_atoms, plot_mesh, plot_study

        t = time.perf_counter()
        K_G = mpa_sqrt_m(self.K_G)
        steps = self.h5[TABLE] if TABLE in self.h5 else None
        if steps is not None and self.n_rows:
            n = self.n_rows
            col = lambda name: np.asarray(steps[name][:n])  # noqa: E731
            curves = StudyCurves(K=col("K"), K_G=K_G,
                                 tip_advance=col("crack_tip_x") - self.deck["crack"].tip_x,
                                 dislocation_distance=col("dislocation_distance"),
                                 energy=col("energy"), n_dof=col("n_dof"),
                                 converged=col("converged"), emitted=col("emitted"),
                                 advanced=col("advanced"))
            plot_study(self._stage_path("crack_tip.png"), curves, title=self.deck.title or "")
        if self._picture is not None:
            p = self._picture
            far = max((np.hypot(c[0] - p["tip"][0], c[1] - p["tip"][1]) for c in p["cores"]),
                      default=0.0)
            reach = np.abs(p["xy"] - np.asarray(p["tip"])).max() if len(p["xy"]) else 40.0
            half = float(min(max(40.0, 1.15 * far + 10.0), reach))
            plot_atoms(self._stage_path("crack_atoms.png"), p["xy"], p["structure"], p["tip"],
                       p["cores"], half_width=half,
                       title=f"step {p['step']}: K = {p['K']:.4g} MPa*sqrt(m) "
                             f"({p['K'] / K_G:.3f} K_G); atoms by local structure")
        st = snap.state
        qc = self.deck["qc"]
        plot_mesh(self._stage_path("mesh.png"), snap.X_nc, st["U_nc"], snap.elements_ta,
                  snap.flag_n, snap.atoms_n, (st["tip_x"], st["cores"][0][1]),
                  zoom=1.5 * min(qc.r_core, qc.r_outer),
                  title=f"step {st['step_index']}: K = {mpa_sqrt_m(st['K']):.4g} MPa*sqrt(m)")
        self._plotted = time.monotonic()
        log.debug("plots written (%.2f s)", time.perf_counter() - t)

    def _stage_path(self, name: str):
        """Where to write a file that is rewritten whole (the next commit moves it)."""
        return self.stage.path(name)

    def _target(self, name: str):
        """Where to append to ``name``: its final path once committed, else the staged one."""
        final = self.stage.final_path(name)
        return final if final in getattr(self.stage, "files", ()) else self.stage.path(name)

    def close(self) -> None:
        self.writer.close()
